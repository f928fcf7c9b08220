# A checkpoint that lies: values the CSV readers reject, fields that disagree with each other,
# flipped bits, damaged JSON and dataset sizes out of all proportion. `plan --resume`,
# `--previous` and `inspect` refuse each with exit 2 naming the dataset (docs/checkpoint.md,
# "Integrity").
source "$(dirname "$0")/common.sh"
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal balance --seed 5 \
    --out "$T/a" >/dev/null
CK="$T/a/checkpoint.h5"
"$FLEETPLAN" plan --resume "$CK" --out "$T/ok" >/dev/null && ok "the untouched checkpoint resumes" || bad "resume"

# Every damaged copy is made by one Python run (h5py), from the list below: NAME, then the
# code that changes the h5py file f (helpers put, put_str), then "reseal" (recompute every
# crc32 attribute, so that the reader's value checks are what is tested) or "keep".
cat >"$T/cases.py" <<'PY'
CASES = [
 ("zero_capacity", 'c = f["/fleet/hosts/cpu"][...]; c[0] = 0; put(f, "/fleet/hosts/cpu", c)', "reseal"),
 ("negative_mem", 'c = f["/fleet/hosts/mem"][...]; c[1] = -1024; put(f, "/fleet/hosts/mem", c)', "reseal"),
 ("huge_capacity", 'c = f["/fleet/hosts/net"][...]; c[1] = 10**18; put(f, "/fleet/hosts/net", c)', "reseal"),
 ("negative_demand", 'c = f["/fleet/vms/cpu"][...]; c[0] = -5; put(f, "/fleet/vms/cpu", c)', "reseal"),
 ("duplicate_host", 'i = f["/fleet/hosts/id"][...]; i[1] = i[0]; put(f, "/fleet/hosts/id", i)', "reseal"),
 ("duplicate_vm", 'i = f["/fleet/vms/id"][...]; i[2] = i[1]; put(f, "/fleet/vms/id", i)', "reseal"),
 ("empty_vm_id", 'i = f["/fleet/vms/id"][...]; i[0] = b""; put(f, "/fleet/vms/id", i)', "reseal"),
 ("non_utf8_id", r'i = f["/fleet/vms/id"][...]; i[0] = b"\xff\xfe"; put(f, "/fleet/vms/id", i)', "reseal"),
 ("idle_over_max", 'p = f["/fleet/hosts/power_idle_w"][...]; p[0] = 500.0; q = f["/fleet/hosts/power_max_w"][...]; q[0] = 100.0; put(f, "/fleet/hosts/power_idle_w", p); put(f, "/fleet/hosts/power_max_w", q)', "reseal"),
 ("max_util_attr", 'f.attrs.modify("max_util", 0.5)', "reseal"),
 ("seed_attr", 'f.attrs.modify("seed", np.uint64(6))', "reseal"),
 ("host_count", 'f["/fleet/hosts"].attrs.modify("count", np.int64(99))', "reseal"),
 ("flip_demand", 'c = f["/fleet/vms/mem"][...]; c[0] ^= 1 << 20; put(f, "/fleet/vms/mem", c)', "keep"),
 ("bad_changes", r'put_str(f, "/inputs/fleet_changes", "{\"hosts_added\": [")', "reseal"),
 ("huge_dictionary", 'del f["/fleet/hosts/rack_names"]; f.create_dataset("/fleet/hosts/rack_names", shape=(2000000,), dtype="S16", chunks=(1,), maxshape=(None,))', "keep"),
 ("many_names", 'del f["/fleet/hosts/site_names"]; f.create_dataset("/fleet/hosts/site_names", data=np.array([b"s%d" % i for i in range(100)], dtype="S4"), maxshape=(None,), chunks=True)', "keep"),
 ("huge_ids", 'del f["/fleet/vms/id"]; f.create_dataset("/fleet/vms/id", shape=(2000000,), dtype="S8", chunks=(1,), maxshape=(None,))', "keep"),
 ("huge_moves", 'del f["/plan/moves/step"]; f.create_dataset("/plan/moves/step", data=np.ones(5000, dtype="i4"), maxshape=(None,), chunks=True)', "keep"),
]
PY
"$PYTHON" - "$CK" "$T" <<'PY'
import shutil, sys, zlib, h5py, numpy as np
sys.path.insert(0, sys.argv[2])
from cases import CASES
def raw(d):
    if d.shape == ():
        v = d[()]
        return v if isinstance(v, bytes) else v.encode()
    return d[...].tobytes()  # numbers in the file's byte order, strings NUL-padded
def put(f, path, values):
    attrs = dict(f[path].attrs)
    dt = f[path].dtype
    del f[path]
    d = f.create_dataset(path, data=np.array(values, dtype=dt), maxshape=(None,), chunks=True)
    for k, v in attrs.items():
        d.attrs[k] = v
def put_str(f, path, value):
    attrs = dict(f[path].attrs)
    del f[path]
    d = f.create_dataset(path, data=value, dtype=h5py.string_dtype())
    for k, v in attrs.items():
        d.attrs[k] = v
def seal(name, obj):
    if isinstance(obj, h5py.Dataset) and "crc32" in obj.attrs:
        obj.attrs.modify("crc32", np.uint32(zlib.crc32(raw(obj))))
for name, code, how in CASES:
    out = "%s/%s.h5" % (sys.argv[2], name)
    shutil.copy(sys.argv[1], out)
    with h5py.File(out, "r+") as f:
        exec(code)
        if how == "reseal":
            f.visititems(seal)
# One flipped bit, nothing resealed: 0.9 -> 0.8 in the stored config (still a valid config).
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"max_util = 0.9")
assert i >= 0 and b.find(b"max_util = 0.9", i + 1) < 0
b[i + len("max_util = 0.")] ^= 0x01
open(sys.argv[2] + "/flip_config.h5", "wb").write(bytes(b))
PY
# refused NAME PATTERN [inspect]: plan --resume (and inspect) of NAME.h5 exit 2 with PATTERN.
refused() {
    local name=$1 pattern=$2
    expect2 "resume refuses $name" "$pattern" plan --resume "$T/$name.h5" --out "$T/out_$name"
    if [ $# -gt 2 ]; then expect2 "inspect refuses $name" "$pattern" inspect "$T/$name.h5"; fi
}

# ---- values the CSV readers reject ----
refused zero_capacity "/fleet/hosts/cpu[0]" inspect
refused negative_mem "/fleet/hosts/mem[1]"
refused huge_capacity "/fleet/hosts/net[1]"
refused negative_demand "/fleet/vms/cpu[0]"
refused duplicate_host "/fleet/hosts/id[1]"
refused duplicate_vm "duplicate id"
refused empty_vm_id "/fleet/vms/id[0]"
refused non_utf8_id "not valid UTF-8"
refused idle_over_max "greater than power_max_w"
# --previous reads the same way.
expect2 "--previous refuses a zero capacity" "/fleet/hosts/cpu[0]" plan --hosts "$SMALL/hosts.csv" \
    --vms "$SMALL/vms.csv" --previous "$T/zero_capacity.h5" --out "$T/out_prev"

# ---- duplicated fields must agree ----
refused max_util_attr "root attribute max_util" inspect
refused seed_attr "root attribute seed"
refused host_count "/fleet/hosts: attribute count"

# ---- checksums: a flipped bit, a value changed without its checksum ----
refused flip_config "/config/toml: checksum mismatch" inspect
refused flip_demand "/fleet/vms/mem: checksum mismatch"

# ---- fleet_changes of a resumed checkpoint ----
refused bad_changes "/inputs/fleet_changes"

# ---- sizes bounded before reading: by the bytes stored, and by the fleet the file states ----
start=$(date +%s)
refused huge_dictionary "bad length of /fleet/hosts/rack_names" inspect
[ $(($(date +%s) - start)) -lt 8 ] && ok "huge dictionary refused quickly" || bad "huge dictionary took $(($(date +%s) - start)) s"
refused huge_ids "bad length of /fleet/vms/id: 2000000 elements in 0 stored bytes"
refused many_names "bad length of /fleet/hosts/site_names: 100 elements"
refused huge_moves "bad length of /plan/moves/step: 5000 elements"

finish
