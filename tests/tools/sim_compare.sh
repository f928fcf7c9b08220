#!/bin/bash
# Compares two fleetplan binaries' simulations on the bundled small cases: metrics.json (less the
# decision times) and intervals.csv (less decision_ms) must be identical in everything the OLD
# binary writes.
# Usage: tests/tools/sim_compare.sh OLD_FLEETPLAN NEW_FLEETPLAN [WORK_DIR]
# Cases: the CloudSim preset on the 64-VM PlanetLab subset (lr-mmt, best, lr-mc, thr-mmt, lr-rs
# with --keep-idle-vms); the test fleet `small` with a 25-sample CSV trace (planner from a config,
# lr-mmt, best); a generated 200-host / 4,000-VM fleet over 24 intervals of
# bench/fleet_trace.py (planner with configs/simulate-fleet.toml less planner_horizon, lr-mmt,
# best). SIM_COMPARE_CASES (a bash regex) runs only the cases whose name matches it.
# Outputs added since the reference binary (f8d5fef, which wrote this script): when OLD's output
# lacks one of these, NEW's is compared without it; any other key or column that one side has and
# the other lacks is a difference.
#   metrics.json: energy_floor_kwh energy_over_floor (e294ace, the energy floor),
#                 mem_overcommit_host_intervals unserved_mem_frac (6d25b89, fleet runs enforce
#                 memory)
#   intervals.csv: energy_floor_kwh (e294ace), mem_overcommit_hosts unserved_mem_frac (6d25b89)
# Exit 0 when every case matches, 1 otherwise (the differing cases are listed, each with its
# first differing key or interval cell).
set -u
OLD=$1 NEW=$2
W=${3:-$(mktemp -d)}
mkdir -p "$W"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
ADDED_KEYS="energy_floor_kwh energy_over_floor mem_overcommit_host_intervals unserved_mem_frac"
ADDED_COLUMNS="energy_floor_kwh mem_overcommit_hosts unserved_mem_frac"
CASES=${SIM_COMPARE_CASES:-.}
# common.sh gives sim_trace (it needs the environment ctest gives it).
FLEETPLAN=$NEW WORK=$W source "$SRC/tests/integration/common.sh"
set +e
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
SMALL="$SRC/tests/data/clusters/small"
fails=0
# differs OLD_DIR NEW_DIR: prints nothing when the two runs agree on everything OLD writes (less
# decision times; the added outputs above only when OLD has them), else the first difference.
differs() {
    ADDED_KEYS=$ADDED_KEYS ADDED_COLUMNS=$ADDED_COLUMNS "$PYTHON" - "$1" "$2" <<'PY'
import csv, json, os, sys
old_dir, new_dir = sys.argv[1:3]
added_keys = os.environ["ADDED_KEYS"].split()
added_cols = os.environ["ADDED_COLUMNS"].split()
def metrics(d):
    m = json.load(open(os.path.join(d, "metrics.json")))
    for k in ("mean_step_seconds", "max_step_seconds"):
        m.pop(k, None)
    return m
old, new = metrics(old_dir), metrics(new_dir)
for k in added_keys:
    if k not in old:
        new.pop(k, None)
for k in sorted(set(old) | set(new)):
    if k not in old or k not in new:
        sys.exit("metrics.json key %s only in %s" % (k, "new" if k in new else "old"))
    if old[k] != new[k]:
        sys.exit("metrics.json %s: old %r, new %r" % (k, old[k], new[k]))
def table(d):
    rows = list(csv.reader(open(os.path.join(d, "intervals.csv"))))
    return rows[0], rows[1:]
(oh, orows), (nh, nrows) = table(old_dir), table(new_dir)
keep = [c for c in nh if c != "decision_ms" and (c in oh or c not in added_cols)]
oc = [c for c in oh if c != "decision_ms"]
if keep != oc:
    sys.exit("intervals.csv columns: old %s, new %s" % (",".join(oc), ",".join(keep)))
if len(orows) != len(nrows):
    sys.exit("intervals.csv: old %d rows, new %d" % (len(orows), len(nrows)))
oi, ni = [oh.index(c) for c in oc], [nh.index(c) for c in keep]
for r, (a, b) in enumerate(zip(orows, nrows)):
    for c, i, j in zip(oc, oi, ni):
        if a[i] != b[j]:
            sys.exit("intervals.csv row %d (interval %s) %s: old %s, new %s" % (r + 2, a[0], c, a[i], b[j]))
PY
}
# same NAME ARGS...: runs both binaries with ARGS (plus --out) and compares their outputs.
same() {
    local name=$1
    shift
    [[ $name =~ $CASES ]] || return 0
    for b in old new; do
        local bin=$OLD
        [ $b = new ] && bin=$NEW
        rm -rf "$W/$name-$b"
        if ! "$bin" simulate "$@" --out "$W/$name-$b" >/dev/null 2>"$W/$name-$b.err"; then
            echo "FAIL $name: $b binary failed (see $W/$name-$b.err)"
            fails=$((fails + 1))
            return
        fi
    done
    local why
    if why=$(differs "$W/$name-old" "$W/$name-new" 2>&1); then
        echo "same $name"
    else
        echo "DIFF $name: $why"
        fails=$((fails + 1))
    fi
}
for p in lr-mmt best lr-mc thr-mmt; do
    same "preset-$p" --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --policy "$p"
done
same preset-lr-rs-keep --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" \
    --policy lr-rs --keep-idle-vms
sim_trace "$SMALL/vms.csv" "$W/small-trace.csv"
printf '[sim]\nchain = "planner"\nboot_s = 30\n\n[policy]\ntrigger = { name = "lr" }\n' \
    >"$W/small.toml"
for p in planner lr-mmt best; do
    same "small-$p" --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$W/small-trace.csv" \
        --config "$W/small.toml" --policy "$p"
done
G="$W/gen-200-4000"
if [[ gen-planner =~ $CASES || gen-lr-mmt =~ $CASES || gen-best =~ $CASES ]] &&
    [ ! -e "$G/trace-24.csv" ]; then
    "$NEW" generate --hosts 200 --vms 4000 --seed 7 --out "$G" >/dev/null
    "$PYTHON" "$SRC/bench/fleet_trace.py" "$G/vms.csv" "$G/trace-24.csv" --intervals 24 2>/dev/null
fi
# The old binary may not know planner_horizon; "whole" is its behaviour.
grep -v '^planner_horizon\|planner_horizon' "$SRC/configs/simulate-fleet.toml" >"$W/fleet-whole.toml"
for p in planner lr-mmt best; do
    same "gen-$p" --hosts "$G/hosts.csv" --vms "$G/vms.csv" --trace "$G/trace-24.csv" \
        --config "$W/fleet-whole.toml" --policy "$p" --threads 2
done
[ $fails -eq 0 ] && echo "all cases identical" || echo "$fails case(s) differ"
[ $fails -eq 0 ]
