# Checkpoints written by every rank (format 3, docs/checkpoint.md "Parts"): under mpirun each
# rank writes its VM rows to a part file and checkpoint.h5 joins them with virtual datasets.
# The joined checkpoint reads like a one-process one for inspect, --resume, --previous (also
# read split across ranks), h5py and h5dump, from any working directory and after its directory
# moved; a missing, cut or stale part is bad input naming the part (--previous at P=2 too), and
# so is one claiming more rows than it stores; HDF5_VDS_PREFIX cannot redirect the parts; a new
# run removes the parts of the checkpoint it replaces, and so does dispatch when it rewrites the
# checkpoint with its journal.
source "$(dirname "$0")/common.sh"
sharded_fleet
# Groups, so that the dictionary columns hold values from every rank.
"$PYTHON" - "$V" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
for i, r in enumerate(rows):
    r["group"] = "g%d" % (i % 7) if i % 3 else ""
    r["anti_group"] = "a%d" % (i % 11) if i % 5 == 0 else ""
w = csv.DictWriter(open(sys.argv[1], "w", newline=""), fieldnames=list(rows[0]))
w.writeheader()
w.writerows(rows)
PY
run() {  # run P DIR [args...]
    local p=$1 d=$2
    shift 2
    timeout 300 "$MPIRUN" -np "$p" "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" \
        --out "$d" "$@" >"$d.out" 2>"$d.err"
}
parts() { find "$1" -maxdepth 1 -name 'checkpoint.part-*' | wc -l; }

run 1 "$T/p1" || bad "P=1 failed: $(cat "$T/p1.err")"
[ "$(parts "$T/p1")" = 0 ] && ok "P=1: one self-contained file" || bad "P=1 wrote parts"
for P in 2 4; do
    run "$P" "$T/p$P" || bad "P=$P failed: $(cat "$T/p$P.err")"
    cmp -s "$T/p1/plan.csv" "$T/p$P/plan.csv" && ok "P=$P: plan.csv identical" || bad "P=$P: plan differs"
    [ "$(parts "$T/p$P")" = "$P" ] && ok "P=$P: $P part files" || bad "P=$P: $(parts "$T/p$P") parts"
    v=$("$FLEETPLAN" inspect --json "$T/p$P/checkpoint.h5" | "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(d['vms'], d['format_version'])")
    [ "$v" = "3000 3" ] && ok "P=$P: inspect reads 3000 VMs, format 3" || bad "P=$P inspect: $v"
    "$FLEETPLAN" plan --resume "$T/p$P/checkpoint.h5" --out "$T/resumed$P" >/dev/null 2>"$T/resumed$P.err" &&
        cmp -s "$T/p1/plan.csv" "$T/resumed$P/plan.csv" && ok "P=$P checkpoint resumes to the same plan" ||
        bad "resume of the P=$P checkpoint: $(cat "$T/resumed$P.err")"
done
timeout 300 "$MPIRUN" -np 2 "$FLEETPLAN" plan --resume "$T/p4/checkpoint.h5" --out "$T/resumed42" >/dev/null &&
    cmp -s "$T/p1/plan.csv" "$T/resumed42/plan.csv" && ok "P=4 checkpoint resumes under P=2" || bad "P=4 → P=2 resume"
# --previous: the same cooldowns from a joined checkpoint as from a self-contained one.
for P in 1 4; do
    "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" --previous "$T/p$P/checkpoint.h5" \
        --now 2026-01-01T00:00:00Z --out "$T/prev$P" >/dev/null 2>"$T/prev$P.err" || bad "--previous P=$P: $(cat "$T/prev$P.err")"
done
cmp -s "$T/prev1/plan.csv" "$T/prev4/plan.csv" && ok "--previous of the P=4 checkpoint plans as of the P=1 one" ||
    bad "--previous differs"
# ... read split across ranks (each rank its range of the VM rows): a P=2 checkpoint at P=4, a
# P=4 one at P=2, a P=1 one at P=4.
for wr in 2:4 4:2 1:4; do
    w=${wr%:*} r=${wr#*:}
    timeout 300 "$MPIRUN" -np "$r" "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" \
        --previous "$T/p$w/checkpoint.h5" --now 2026-01-01T00:00:00Z --out "$T/prev$w-$r" \
        >/dev/null 2>"$T/prev$w-$r.err" || bad "--previous P=$w at P=$r: $(cat "$T/prev$w-$r.err")"
    cmp -s "$T/prev1/plan.csv" "$T/prev$w-$r/plan.csv" &&
        ok "--previous of the P=$w checkpoint read at P=$r plans as the one-process read" ||
        bad "--previous P=$w at P=$r differs"
done
# A format-1 previous checkpoint (variable-length id strings, no checksum on them), read whole and
# in ranges of 3.
mkdir -p "$T/v1" && cp "$T/p1/checkpoint.h5" "$T/v1/checkpoint.h5"
"$PYTHON" - "$T/v1/checkpoint.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "a")
f.attrs["format_version"] = np.int32(1)
for path in ["fleet/vms/id", "fleet/hosts/id"]:
    ids, attrs = [x.decode() for x in f[path][()]], dict(f[path].attrs)
    del f[path]
    d = f.create_dataset(path, data=ids, dtype=h5py.string_dtype("utf-8"))
    for k, v in attrs.items():
        if k != "crc32":
            d.attrs[k] = v
PY
for r in 1 3; do
    timeout 300 "$MPIRUN" -np "$r" "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" \
        --previous "$T/v1/checkpoint.h5" --now 2026-01-01T00:00:00Z --out "$T/prevv1-$r" \
        >/dev/null 2>"$T/prevv1-$r.err" && cmp -s "$T/prev1/plan.csv" "$T/prevv1-$r/plan.csv" &&
        ok "--previous of a format-1 checkpoint at P=$r plans as of format 2" ||
        bad "--previous format 1 at P=$r: $(head -c 300 "$T/prevv1-$r.err")"
done

# Readers outside fleetplan, from another working directory: h5py and h5dump see the same rows.
(cd / && "$PYTHON" - "$T/p1/checkpoint.h5" "$T/p4/checkpoint.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r")["fleet/vms"] for p in sys.argv[1:])
for k in a:
    if k.endswith("_names"):
        continue
    x, y = a[k][()], b[k][()]
    if k + "_names" in a:  # dictionary: compare the values, not the codes
        x, y = a[k + "_names"][()][x], b[k + "_names"][()][y]
    assert x.shape == y.shape == (3000,) and np.array_equal(x, y), k
assert set(b["group_names"][()]) == set(a["group_names"][()]) and len(a["group_names"]) == 8
PY
) && ok "h5py (cwd /) reads every VM column of the P=4 checkpoint as the P=1 one" || bad "h5py read differs"
(cd / && h5dump -d /fleet/vms/mem "$T/p4/checkpoint.h5" | sed -n '/DATA {/,$p') >"$T/dump4"
(cd / && h5dump -d /fleet/vms/mem "$T/p1/checkpoint.h5" | sed -n '/DATA {/,$p') >"$T/dump1"
[ -s "$T/dump4" ] && cmp -s "$T/dump1" "$T/dump4" && ok "h5dump dumps the joined column as the P=1 one" ||
    bad "h5dump differs"

# The directory moved elsewhere: the parts are found next to the checkpoint.
cp -r "$T/p4" "$T/copy" && mv "$T/copy" "$T/moved"
cp -r "$T/p4" "$T/p4copy"
(cd / && "$FLEETPLAN" plan --resume "$T/moved/checkpoint.h5" --out "$T/resumed_moved" >/dev/null) &&
    cmp -s "$T/p1/plan.csv" "$T/resumed_moved/plan.csv" && ok "moved directory: resumes to the same plan" ||
    bad "moved directory does not resume"

# A missing or cut part: exit 2, naming the part file.
part=$(find "$T/moved" -name 'checkpoint.part-*-0002.h5')
mv "$part" "$T/saved.h5"
set +e
"$FLEETPLAN" inspect "$T/moved/checkpoint.h5" >/dev/null 2>"$T/missing.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "$(basename "$part")" "$T/missing.err" && ok "missing part: exit 2 naming it" ||
    bad "missing part: exit $rc: $(cat "$T/missing.err")"
prev_fault() {  # name: --previous of the moved checkpoint at P=2, exit 2 with the message of inspect
    set +e
    timeout 300 "$MPIRUN" -np 2 "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" \
        --previous "$T/moved/checkpoint.h5" --out "$T/pf-$1" >/dev/null 2>"$T/pf-$1.err"
    local rc=$?
    set -e
    [ $rc = 2 ] && grep -qF "$(head -1 "$T/$1.err")" "$T/pf-$1.err" &&
        ok "$1 part, --previous at P=2: exit 2, $(head -c 120 "$T/$1.err")" ||
        bad "$1 part, --previous at P=2: exit $rc: $(head -c 300 "$T/pf-$1.err")"
}
prev_fault missing
head -c 4000 "$T/saved.h5" >"$part"
set +e
"$FLEETPLAN" plan --resume "$T/moved/checkpoint.h5" --out "$T/cut" >/dev/null 2>"$T/cut.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "$(basename "$part").*truncated" "$T/cut.err" && ok "truncated part: exit 2 naming it" ||
    bad "truncated part: exit $rc: $(cat "$T/cut.err")"
prev_fault cut
# A part of another run under the right name: its rows are not the ones checkpoint.h5 sealed.
other=$(find "$T/p2" -name 'checkpoint.part-*-0001.h5')
cp "$other" "$part"
set +e
"$FLEETPLAN" inspect "$T/moved/checkpoint.h5" >/dev/null 2>"$T/stale.err"; rc=$?
set -e
[ $rc = 2 ] && ok "a stale part: exit 2 ($(head -c 150 "$T/stale.err"))" || bad "stale part: exit $rc"
prev_fault stale

# A part and mapping that claim 10^12 rows while storing none: exit 2 naming the part, before
# anything is allocated (the reader died of std::bad_alloc).
cp -r "$T/p2" "$T/huge"
"$PYTHON" - "$T/huge/checkpoint.h5" <<'PY'
import os, sys, h5py
main, n = sys.argv[1], 10**12
part = "checkpoint.part-0badc0de0badc0de-0000.h5"
with h5py.File(main, "r+") as f, h5py.File(os.path.join(os.path.dirname(main), part), "w") as p:
    p.attrs["format"] = "fleetplan-checkpoint-part"
    g = f["fleet/vms"]
    for k in [k for k in g if g[k].is_virtual]:
        dt = g[k].dtype
        p.create_dataset("fleet/vms/" + k, shape=(n,), dtype=dt, chunks=(4096,))
        layout = h5py.VirtualLayout(shape=(n,), dtype=dt)
        layout[0:n] = h5py.VirtualSource(part, "fleet/vms/" + k, shape=(n,))[0:n]
        del g[k]
        g.create_virtual_dataset(k, layout)
PY
for cmd in inspect resume; do
    set +e
    if [ $cmd = inspect ]; then
        "$FLEETPLAN" inspect "$T/huge/checkpoint.h5" >/dev/null 2>"$T/huge.err"
    else
        "$FLEETPLAN" plan --resume "$T/huge/checkpoint.h5" --out "$T/huge.r" >/dev/null 2>"$T/huge.err"
    fi
    rc=$?
    set -e
    [ $rc = 2 ] && grep -q "checkpoint.part-0badc0de0badc0de-0000.h5.* 0 stored bytes" "$T/huge.err" &&
        ok "$cmd: a part claiming 10^12 rows: exit 2 naming it" ||
        bad "$cmd: a part claiming 10^12 rows: exit $rc: $(head -c 300 "$T/huge.err")"
done

# HDF5_VDS_PREFIX naming a directory that holds other files under the parts' names (here the
# two parts swapped): the parts next to the checkpoint are read all the same.
mkdir "$T/decoy"
mapfile -t p2parts < <(find "$T/p2" -maxdepth 1 -name 'checkpoint.part-*' | sort)
cp "${p2parts[0]}" "$T/decoy/$(basename "${p2parts[1]}")"
cp "${p2parts[1]}" "$T/decoy/$(basename "${p2parts[0]}")"
HDF5_VDS_PREFIX="$T/decoy" "$FLEETPLAN" inspect "$T/p2/checkpoint.h5" >/dev/null 2>"$T/decoy.err" &&
    ok "HDF5_VDS_PREFIX elsewhere: inspect reads the parts next to the checkpoint" ||
    bad "HDF5_VDS_PREFIX redirects the parts: $(head -c 300 "$T/decoy.err")"
HDF5_VDS_PREFIX="$T/decoy" "$FLEETPLAN" plan --resume "$T/p2/checkpoint.h5" --out "$T/decoy.r" \
    >/dev/null 2>>"$T/decoy.err" && cmp -s "$T/p1/plan.csv" "$T/decoy.r/plan.csv" &&
    ok "HDF5_VDS_PREFIX elsewhere: --resume gives the same plan" ||
    bad "HDF5_VDS_PREFIX: resume: $(head -c 300 "$T/decoy.err")"

# dispatch folds its journal into a joined checkpoint after each wave (libvirt's test driver,
# which cannot migrate: the one move fails, exit 3). The rewrite holds every VM row itself, so
# the parts it joined are removed, and it reads (inspect, --resume).
test_node "$T/n1.xml" web-1 web-2
test_node "$T/n2.xml" db-1
printf 'id,cpu,mem,net\nn1,4,8192,1000\nn2,4,8192,1000\n' >"$T/dh.csv"
printf 'id,host,cpu,mem,net\ndb-1,n2,1,256,10\nweb-1,n1,1,256,10\nweb-2,n1,1,256,10\n' >"$T/dv.csv"
timeout 300 "$MPIRUN" -np 2 "$FLEETPLAN" plan --hosts "$T/dh.csv" --vms "$T/dv.csv" --goal evacuate \
    --evacuate n2 --out "$T/d" >/dev/null 2>"$T/d.err" || bad "P=2 plan to dispatch: $(cat "$T/d.err")"
[ "$(parts "$T/d")" = 2 ] && ok "the plan to dispatch has 2 parts" || bad "$(parts "$T/d") parts"
set +e
"$FLEETPLAN" dispatch --plan "$T/d" --hosts "$T/dh.csv" --connect-uri-template "test://$T/{id}.xml" \
    --retries 1 --backoff 0 >"$T/dd.out" 2>"$T/dd.err"
rc=$?
set -e
[ $rc = 3 ] && [ "$(parts "$T/d")" = 0 ] && ok "dispatch: the rewritten checkpoint leaves no part behind" ||
    bad "dispatch: exit $rc, $(parts "$T/d") parts left: $(tail -c 300 "$T/dd.err")"
v=$("$FLEETPLAN" inspect --json "$T/d/checkpoint.h5" | "$PYTHON" -c "import json,sys; d=json.load(sys.stdin); print(d['format_version'], d['vms'], d['dispatch']['failed'])")
[ "$v" = "2 3 1" ] && ok "and it reads: self-contained, 3 VMs, the failed move journalled" ||
    bad "inspect after dispatch: $v"
"$FLEETPLAN" plan --resume "$T/d/checkpoint.h5" --out "$T/d.r" >/dev/null 2>"$T/d.r.err" &&
    cmp -s "$T/d/plan.csv" "$T/d.r/plan.csv" && ok "and --resume gives its plan" ||
    bad "resume after dispatch: $(head -c 300 "$T/d.r.err")"

# A new run removes the parts of the checkpoint it replaces, whatever its rank count.
run 2 "$T/p4" || bad "P=2 over P=4 failed"
[ "$(parts "$T/p4")" = 2 ] && ok "P=2 over P=4: the old parts are gone" || bad "$(parts "$T/p4") parts left"
run 1 "$T/p4" || bad "P=1 over P=2 failed"
[ "$(parts "$T/p4")" = 0 ] && ok "P=1 over P=2: no part left" || bad "$(parts "$T/p4") parts left"
"$FLEETPLAN" inspect "$T/p4/checkpoint.h5" >/dev/null && ok "and the checkpoint reads" || bad "unreadable"

# A commit that fails past its commit point (plan.csv cannot be renamed: a directory holds its
# name) has put checkpoint.h5 in place already: its parts must stay with it.
mkdir -p "$T/late/plan.csv" && touch "$T/late/plan.csv/x"
set +e
run 2 "$T/late"
rc=$?
set -e
[ $rc = 3 ] && grep -q "the new outputs are committed" "$T/late.err" &&
    ok "a rename failing after the commit point is an environment error" ||
    bad "late commit failure: rc=$rc $(head -c 300 "$T/late.err")"
[ "$(parts "$T/late")" = 2 ] && "$FLEETPLAN" inspect "$T/late/checkpoint.h5" >/dev/null 2>"$T/late.inspect" &&
    ok "and the checkpoint it committed reads with its parts" ||
    bad "the committed checkpoint lost its parts: $(head -c 300 "$T/late.inspect")"

# kill -9 anywhere in a P=2 run over a P=4 checkpoint (FP_CRASH_AT reaches every rank): while
# the parts are written (ckpt:N counts each rank's datasets), or at each step of the commit
# (plan-output:N on rank 0: staged, list written, each file in place, each old part removed).
# The directory's checkpoint always reads with all its parts, and resumes to the same plan.
for point in ckpt:3 ckpt:12 plan-output:1 plan-output:2 plan-output:3 plan-output:6 plan-output:8; do
    d="$T/crash-${point/:/-}"
    rm -rf "$d" && cp -r "$T/p4copy" "$d"
    set +e
    FP_CRASH_AT=$point timeout 120 "$MPIRUN" -np 2 "$FLEETPLAN" plan --hosts "$H" --vms "$V" \
        --config "$CFG" --out "$d" >/dev/null 2>&1
    rc=$?
    "$FLEETPLAN" inspect "$d/checkpoint.h5" >/dev/null 2>"$d.err"; irc=$?
    set -e
    [ $rc != 0 ] || bad "FP_CRASH_AT=$point: the run did not die"
    [ $irc = 0 ] && "$FLEETPLAN" plan --resume "$d/checkpoint.h5" --out "$d.r" >/dev/null 2>>"$d.err" &&
        cmp -s "$T/p1/plan.csv" "$d.r/plan.csv" &&
        ok "killed at $point: the checkpoint reads with its parts and resumes" ||
        bad "killed at $point: $(head -c 300 "$d.err")"
done

echo "passed $passes, failed $fails"
[ "$fails" -eq 0 ]
