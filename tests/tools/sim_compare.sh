#!/bin/bash
# Compares two fleetplan binaries' simulations on the bundled small cases: metrics.json (less the
# decision times) and intervals.csv (less decision_ms) must be byte-identical.
# Usage: tests/tools/sim_compare.sh OLD_FLEETPLAN NEW_FLEETPLAN [WORK_DIR]
# Cases: the CloudSim preset on the 64-VM PlanetLab subset (lr-mmt, best, lr-mc, thr-mmt, lr-rs
# with --keep-idle-vms); the test fleet `small` with a 25-sample CSV trace (planner from a config,
# lr-mmt, best); a generated 200-host / 4,000-VM fleet over 24 intervals of
# bench/fleet_trace.py (planner with configs/simulate-fleet.toml less planner_horizon, lr-mmt,
# best). Exit 0 when every case matches, 1 otherwise (the differing cases are listed).
set -u
OLD=$1 NEW=$2
W=${3:-$(mktemp -d)}
mkdir -p "$W"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
# common.sh gives stable_sim and sim_trace (it needs the environment ctest gives it).
FLEETPLAN=$NEW WORK=$W source "$SRC/tests/integration/common.sh"
set +e
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
SMALL="$SRC/tests/data/clusters/small"
fails=0
# same NAME ARGS...: runs both binaries with ARGS (plus --out) and compares their stable outputs.
same() {
    local name=$1
    shift
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
    if [ "$(stable_sim "$W/$name-old")" = "$(stable_sim "$W/$name-new")" ]; then
        echo "same $name"
    else
        echo "DIFF $name"
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
if [ ! -e "$G/trace-24.csv" ]; then
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
