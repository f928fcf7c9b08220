# The Python reader (python/fleetplan) on real checkpoints of every format: plans on the demo
# fleet for two goals at P=1 (format 2) and under mpirun -np 2 (format 3, part files), a format-1
# file (variable-length strings, which no current writer produces: derived from the format-2 one
# and accepted by fleetplan's own reader first), and simulator runs on the bundled PlanetLab slice.
# Each DataFrame is held against facts from other files (hosts.csv, vms.csv, plan.csv,
# summary.json, metrics.json, intervals.csv); damaged and foreign files raise CheckpointError
# naming the file; the README's example runs as printed.
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export PYTHONPATH="$SRC/python"
PLD="$SRC/tests/data/planetlab"
CFG="$SRC/tests/data/configs/sharded.toml"  # 20-host shards: under 2 ranks both parts hold VMs

for goal in consolidate balance; do
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal $goal \
        --config "$CFG" --out "$T/$goal-p1" >/dev/null
    timeout 300 "$MPIRUN" -np 2 "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" \
        --goal $goal --config "$CFG" --out "$T/$goal-p2" >/dev/null
    n=$("$PYTHON" -c 'import h5py, sys
print(len({m.file_name for m in h5py.File(sys.argv[1])["fleet/vms/id"].virtual_sources()}))' "$T/$goal-p2/checkpoint.h5")
    [ "$n" -eq 2 ] && ok "$goal, 2 ranks: VM rows in two part files" || bad "$goal, 2 ranks: $n part files"
done
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal consolidate --out "$T/small" >/dev/null

# Format 1: string columns stored variable-length (docs/checkpoint.md). fleetplan only writes 2
# and 3 now, so rewrite a format-2 file's string columns; fleetplan's reader must accept it.
mkdir -p "$T/consolidate-f1"
cp "$T/consolidate-p1/checkpoint.h5" "$T/consolidate-p1/plan.csv" "$T/consolidate-p1/summary.json" "$T/consolidate-f1/"
"$PYTHON" - "$T/consolidate-f1/checkpoint.h5" <<'PY'
import sys, h5py
with h5py.File(sys.argv[1], "a") as f:
    fixed = []
    f.visititems(lambda n, o: fixed.append(n) if isinstance(o, h5py.Dataset) and o.ndim == 1
                 and o.dtype.kind == "S" else None)
    assert len(fixed) > 5, fixed
    for n in fixed:
        vals = f[n][...]
        attrs = {k: v for k, v in f[n].attrs.items() if k != "crc32"}
        del f[n]
        d = f.create_dataset(n, data=[v.decode() for v in vals], dtype=h5py.string_dtype(),
                             maxshape=(None,), chunks=(max(1, min(len(vals), 65536)),))
        d.attrs.update(attrs)
    f.attrs["format_version"] = 1
PY
"$FLEETPLAN" inspect "$T/consolidate-f1/checkpoint.h5" | grep 'fleetplan checkpoint v1' >/dev/null &&
    ok "format 1: fleetplan inspect reads the derived file" || bad "format 1: inspect refuses it"

simulate() { # OUT_NAME CHAIN [extra flags...]
    local out=$1 chain=$2
    shift 2
    "$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PLD/20110306-subset" \
        --trace-order "$PLD/order-20110306-subset.txt" --policy "$chain" --intervals 12 "$@" --out "$T/$out" >/dev/null
}
simulate sim thr-mmt && ok "simulate thr-mmt" || bad "simulate thr-mmt"
simulate stopped lr-mmt --stop-after 5 && ok "simulate lr-mmt, stopped" || bad "simulate --stop-after"

# Plan checkpoints against hosts.csv, vms.csv, plan.csv and summary.json; P=2 and format 1 read
# the same tables as P=1.
if (cd / && "$PYTHON" - "$T" "$DEMO" "$SMALL" <<'PY'); then
import csv, json, math, sys
import pandas as pd
import fleetplan
T, DEMO, SMALL = sys.argv[1:]
# Input units -> the units the file declares (hosts.csv/vms.csv: cores, MiB, Mbps).
FACTOR = {"millicores": 1000, "KiB": 1024, "kbps": 1000}

def rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))

def check(ckdir, fleet, version):
    ck = fleetplan.read(f"{ckdir}/checkpoint.h5")
    assert ck.kind == "plan" and ck.format_version == version, (ckdir, ck.format_version)
    hosts, vms, plan = rows(f"{fleet}/hosts.csv"), rows(f"{fleet}/vms.csv"), rows(f"{ckdir}/plan.csv")
    summary = json.load(open(f"{ckdir}/summary.json"))
    timings = ("plan_seconds", "phase_seconds")   # the checkpoint is written before "write" ends
    assert {k: v for k, v in ck.summary.items() if k not in timings} == \
        {k: v for k, v in summary.items() if k not in timings}, ckdir
    assert len(ck.hosts) == len(hosts) and len(ck.vms) == len(vms), ckdir
    assert list(ck.hosts["id"]) == [h["id"] for h in hosts], ckdir
    for table, given in ((ck.hosts, hosts), (ck.vms, vms)):
        units = table.attrs["units"]
        by_id = table.set_index("id")
        for dim in ("cpu", "mem", "net"):
            k = FACTOR[units[dim]]
            want = [round(float(r[dim]) * k) for r in given]
            assert list(by_id.loc[[r["id"] for r in given], dim]) == want, (ckdir, dim)
    host_of = dict(zip(ck.vms["id"], ck.vms["host_id"]))
    assert all(host_of[v["id"]] == (v["host"] or None) for v in vms), ckdir
    assert len(ck.moves) == len(plan) == summary["migrations"] + summary["placements"], ckdir
    for (_, m), p in zip(ck.moves.iterrows(), plan):
        assert (m["step"], m["vm_id"], m["source_id"] or "", m["target_id"], m["reason"]) == \
            (int(p["step"]), p["vm"], p["source"], p["target"], p["reason"]), (m, p)
        assert f"{m['est_seconds']:.3f}" == p["est_seconds"], (m, p)
    assert ck.moves.attrs["units"]["est_seconds"] == "s"
    w = ck.waves
    assert len(w) == summary["waves"] and w["moves"].sum() == len(plan), ckdir
    assert list(w["step"]) == sorted({int(p["step"]) for p in plan}), ckdir
    assert w["migrations"].sum() == summary["migrations"], ckdir
    assert w["mem_moved_kib"].sum() == summary["moved_mem_mib"] * 1024, ckdir
    assert w.attrs["units"]["mem_moved_kib"] == "KiB"
    assert len(ck.unresolved) == len(summary["unresolved"]), ckdir
    assert list(ck.unresolved["host_id"].fillna("")) == [u["host"] for u in summary["unresolved"]]
    return ck

for goal in ("consolidate", "balance"):
    one = check(f"{T}/{goal}-p1", DEMO, 2)
    assert one.goal == goal
    two = check(f"{T}/{goal}-p2", DEMO, 3)
    for name in ("hosts", "vms", "moves", "waves", "unresolved"):
        assert getattr(one, name).equals(getattr(two, name)), (goal, name)
f1 = check(f"{T}/consolidate-f1", DEMO, 1)
for name in ("hosts", "vms", "moves", "waves", "unresolved"):
    assert getattr(f1, name).equals(getattr(fleetplan.read(f"{T}/consolidate-p1/checkpoint.h5"), name)), name
small = check(f"{T}/small", SMALL, 2)
assert len(small.unresolved) > 0 and (small.moves["source"] == -1).any()
assert small.moves.loc[small.moves["source"] == -1, "source_id"].isna().all()
PY
    ok "plan checkpoints (formats 1, 2, 3): tables agree with the CSVs, plan.csv and summary.json"
else
    bad "plan checkpoints: tables disagree"
fi

# A plan with no moves: empty moves and waves, with their columns.
mkdir -p "$T/idle"
printf 'id,cpu,mem,net\nh1,8,8192,1000\nh2,8,8192,1000\n' >"$T/idle/hosts.csv"
printf 'id,host,cpu,mem,net\nv1,h1,1,1024,10\n' >"$T/idle/vms.csv"
"$FLEETPLAN" plan --hosts "$T/idle/hosts.csv" --vms "$T/idle/vms.csv" --goal balance --out "$T/idle/plan" >/dev/null
if "$PYTHON" - "$T/idle/plan/checkpoint.h5" <<'PY'; then
import sys
import fleetplan
ck = fleetplan.read(sys.argv[1])
assert ck.summary["migrations"] == ck.summary["waves"] == 0 and len(ck.moves) == len(ck.waves) == 0
assert {"step", "vm_id", "source_id", "target_id"} <= set(ck.moves.columns)
assert {"step", "moves", "mem_moved_kib"} <= set(ck.waves.columns) and ck.moved_mem_kib() == 0
assert list(ck.vms["host_id"]) == ["h1"] and ck.active_after().tolist() == [True, False]
PY
    ok "a plan without moves: empty moves and waves"
else
    bad "a plan without moves"
fi

# Format 3 from elsewhere: a relative path from another working directory, and the directory
# moved; a missing part is an error naming it, not fill values.
cp -r "$T/consolidate-p2" "$T/moved"
cp -r "$T/consolidate-p2" "$T/noparts"
rm "$(find "$T/noparts" -name 'checkpoint.part-*-0001.h5')"
mkdir -p "$T/elsewhere"
if (cd "$T/elsewhere" && "$PYTHON" - <<'PY'); then
import fleetplan
a = fleetplan.read("../moved/checkpoint.h5")
b = fleetplan.read("../consolidate-p1/checkpoint.h5")
assert a.format_version == 3 and a.vms.equals(b.vms)
try:
    fleetplan.read("../noparts/checkpoint.h5")
    raise AssertionError("a checkpoint without its part read")
except fleetplan.CheckpointError as e:
    msg = str(e)
    assert msg.startswith("../noparts/checkpoint.h5: ") and "-0001.h5" in msg, msg
PY
    ok "format 3: relative path from another directory, moved directory, missing part named"
else
    bad "format 3 from another directory"
fi

# Simulator checkpoints against metrics.json and intervals.csv.
if "$PYTHON" - "$T" <<'PY'; then
import csv, json, sys
import numpy as np
import fleetplan
T = sys.argv[1]
for name, chain, done in (("sim", "thr-mmt", 12), ("stopped", "lr-mmt", 5)):
    s = fleetplan.read(f"{T}/{name}/checkpoint.h5")
    t = s.intervals
    assert s.kind == "simulate" and s.chain == chain and s.format_version == 2, name
    assert len(t) == done == s.summary["intervals"], (name, len(t))
    assert s.complete == (done == 12) and s.target_interval == 12, name
    assert t.attrs["units"]["energy_j"] == "J" and t.attrs["units"]["t"] == "s"
    assert len(s.vms) == s.summary["vms"] == 64 and len(s.hosts) == s.summary["hosts"] == 800
    assert s.host_util.shape == (done, 800) and list(s.host_util.columns) == list(s.hosts["id"])
    assert t["migrations"].sum() == s.summary["migrations"], name
    if done == 12:
        assert s.summary == json.load(open(f"{T}/{name}/metrics.json")), name
        rows = list(csv.DictReader(open(f"{T}/{name}/intervals.csv")))
        assert len(rows) == len(t), name
        for (_, r), c in zip(t.iterrows(), rows):
            assert int(r["interval"]) == int(c["interval"]) and f"{r['t']:.1f}" == c["t_s"]
            assert int(r["active_hosts"]) == int(c["active_hosts"])
            assert int(r["migrations"]) == int(c["migrations"])
            assert abs(r["energy_j"] / 3.6e6 - float(c["energy_kwh"])) < 1e-8, (r, c)
PY
    ok "simulator checkpoints: intervals agree with metrics.json and intervals.csv"
else
    bad "simulator checkpoints disagree"
fi

# Errors: a missing file, files that are not checkpoints (CSV, JSON, a part file), truncated and
# bit-flipped checkpoints, a newer version: CheckpointError naming the file.
head -c 2000 "$T/consolidate-p1/checkpoint.h5" >"$T/trunc.h5"
size=$(stat -c %s "$T/consolidate-p1/checkpoint.h5")
head -c $((size / 2)) "$T/consolidate-p1/checkpoint.h5" >"$T/half.h5"
head -c $(($(stat -c %s "$T/sim/checkpoint.h5") / 2)) "$T/sim/checkpoint.h5" >"$T/sim-half.h5"
cp "$T/consolidate-p1/checkpoint.h5" "$T/newer.h5"
cp "$T/consolidate-p1/checkpoint.h5" "$T/flipped.h5"
"$PYTHON" - "$T" <<'PY'
import sys, h5py, numpy as np
T = sys.argv[1]
with h5py.File(f"{T}/newer.h5", "a") as f:
    f.attrs["format_version"] = 4
with h5py.File(f"{T}/flipped.h5", "a") as f:   # a value changed, crc32 left as it was
    d = f["fleet/vms/cpu"]
    v = d[...]
    v[7] += 1
    d[...] = v
PY
part=$(find "$T/consolidate-p2" -name 'checkpoint.part-*-0000.h5')
if "$PYTHON" - "$T" "$part" <<'PY'; then
import sys
import fleetplan
T, part = sys.argv[1:]
cases = {f"{T}/nothing.h5": "no such file",
         f"{T}/consolidate-p1/plan.csv": "not a readable HDF5 file",
         f"{T}/sim/metrics.json": "not a readable HDF5 file",
         part: "not a fleetplan checkpoint",
         f"{T}/trunc.h5": "truncated",
         f"{T}/half.h5": "",
         f"{T}/sim-half.h5": "",
         f"{T}/newer.h5": "version 4",
         f"{T}/flipped.h5": "/fleet/vms/cpu: checksum mismatch"}
for path, what in cases.items():
    try:
        fleetplan.read(path)
    except fleetplan.CheckpointError as e:
        msg = str(e)
        assert msg.startswith(path + ": ") and what in msg and "\n" not in msg, (path, msg)
        continue
    raise AssertionError(f"{path} read without an error")
PY
    ok "bad files: CheckpointError naming the file"
else
    bad "bad files"
fi

# The README's example, as printed, on a plan and a simulation in plan/ and sim/.
awk '/^### Reading checkpoints in Python/{on=1} on && /^```python/{code=1; next} code && /^```/{exit} code' \
    "$SRC/README.md" >"$T/readme_example.py"
[ "$(grep -c . "$T/readme_example.py")" -gt 5 ] && ok "README example found" || bad "README example missing"
mkdir -p "$T/readme"
cp -r "$T/consolidate-p1" "$T/readme/plan"
cp -r "$T/sim" "$T/readme/sim"
if (cd "$T/readme" && "$PYTHON" "$T/readme_example.py" >"$T/readme.out" 2>&1); then
    ok "README example runs"
else
    bad "README example: $(tail -5 "$T/readme.out")"
fi
finish
