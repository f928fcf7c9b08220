#!/usr/bin/env bash
# Do two fleetplan binaries make the same plans? For a refactor of the planner that must not
# change behaviour: runs `plan` with both binaries on the bundled demo fleet and on generated
# fleets (the 2,000-host one spans 5 sites), for every goal, every example config, budgets, a
# window, cross-site settings, --history/--traffic and the sharded config, at 1 and 2 threads,
# and diffs plan.csv, resize.csv, summary.json (without timings, ranks, threads), the exit code
# and stderr.
# usage: tests/tools/compare_plans.sh OLD_FLEETPLAN NEW_FLEETPLAN [WORKDIR] [--quick]
#   --quick: the demo fleet only.  Exit 0 when every case is identical, 1 otherwise.
#   FLEETS="demo g2000" and CASES=REGEX (extended, on the case names) choose a part; THREADS="1 2".
set -u
OLD=$(realpath "$1")
NEW=$(realpath "$2")
W=${3:-$(mktemp -d)}
QUICK=${4:-}
SRC=$(cd "$(dirname "$0")/../.." && pwd)
PYTHON=${PYTHON:-python3}
mkdir -p "$W"

fleets=(demo)
[ "$QUICK" = --quick ] || fleets+=(g2000)
[ -n "${FLEETS:-}" ] && read -r -a fleets <<<"$FLEETS"
CASES=${CASES:-.}
THREADS=${THREADS:-1 2}
if [[ " ${fleets[*]} " == *" g2000 "* && ! -f "$W/g2000/vms.csv" ]]; then
    "$OLD" generate --hosts 2000 --vms 40000 --seed 3 --out "$W/g2000" >/dev/null || exit 1
fi
mkdir -p "$W/demo" && cp "$SRC/tests/data/clusters/demo/"*.csv "$W/demo/"

# History for a tenth of the VMs and traffic pairs, deterministic (seed 5): the bench's
# generator (bench/keyed_inputs.py), as the split-input bench uses it.
for f in "${fleets[@]}"; do
    [ -f "$W/$f/traffic.csv" ] && continue
    "$PYTHON" "$SRC/bench/keyed_inputs.py" "$W/$f/vms.csv" "$W/$f" 5 0.1 || exit 1
done
for cs in allow evacuations; do
    printf '[plan]\ncross_site = "%s"\n' $cs >"$W/cross-$cs.toml"
done
printf '[plan]\ngoal = "balance"\ncross_site = "allow"\n' >"$W/balance-cross.toml"
printf '[plan]\nanti_group_scope = "rack"\n' >"$W/anti-rack.toml"


# stable_summary: summary.json without timings, ranks and threads, as the integration tests
# compare it.
FLEETPLAN=$NEW WORK=$W SRC=$SRC PYTHON=$PYTHON source "$SRC/tests/integration/common.sh"
set +e +o pipefail

fail=0 n=0
run_case() {  # fleet name args...
    local f=$1 name=$2
    shift 2
    local D="$W/$f"
    [[ $name =~ $CASES ]] || return 0
    for t in $THREADS; do
        for which in old new; do
            local bin=$OLD
            [ $which = new ] && bin=$NEW
            local out="$W/out/$f/$name/t$t/$which"
            rm -rf "$out" && mkdir -p "$(dirname "$out")"
            "$bin" plan --hosts "$D/hosts.csv" --vms "$D/vms.csv" --threads $t --out "$out" "$@" \
                >/dev/null 2>"$out.err"
            echo $? >"$out.rc"
            [ -f "$out/summary.json" ] && stable_summary "$out/summary.json" >"$out.summary"
        done
        local o="$W/out/$f/$name/t$t/old" nw="$W/out/$f/$name/t$t/new" same=1
        cmp -s "$o.rc" "$nw.rc" || same=0
        cmp -s "$o.err" "$nw.err" || same=0
        for x in plan.csv resize.csv; do
            [ -f "$o/$x" ] || [ -f "$nw/$x" ] || continue
            cmp -s "$o/$x" "$nw/$x" || same=0
        done
        if [ -f "$o.summary" ] || [ -f "$nw.summary" ]; then cmp -s "$o.summary" "$nw.summary" || same=0; fi
        n=$((n + 1))
        local moves=$(($(wc -l <"$o/plan.csv" 2>/dev/null || echo 1) - 1))
        if [ $same = 1 ]; then
            echo "same    $f $name t=$t (rc $(cat "$o.rc"), $moves moves)"
        else
            echo "DIFFERS $f $name t=$t"
            fail=1
        fi
    done
}

for f in "${fleets[@]}"; do
    D="$W/$f"
    ev=$(sed -n '2p;12p;40p' "$D/hosts.csv" | cut -d, -f1 | paste -sd,)
    for g in auto consolidate balance hotspot; do run_case $f goal-$g --goal $g; done
    run_case $f evacuate --goal evacuate --evacuate "$ev"
    run_case $f consolidate-evacuate --goal consolidate --evacuate "$ev"
    run_case $f consolidate-budget-mem --goal consolidate --budget-mem-frac 0.05
    run_case $f consolidate-budget-moves --goal consolidate --budget-migrations 200
    run_case $f balance-budget --goal balance --budget-mem-frac 0.02
    run_case $f auto-maxutil --goal auto --max-util 0.7
    run_case $f consolidate-window --goal consolidate --window 1h
    run_case $f balance-window --goal balance --window 30m
    for c in "$SRC"/configs/*.toml "$SRC"/tests/data/configs/*.toml; do
        run_case $f "cfg-$(basename "$c" .toml)" --config "$c"
    done
    for c in cross-allow cross-evacuations balance-cross anti-rack; do
        run_case $f "$c-consolidate" --config "$W/$c.toml" --goal consolidate --evacuate "$ev"
        run_case $f "$c-auto" --config "$W/$c.toml" --evacuate "$ev"
    done
    run_case $f balance-cross --config "$W/balance-cross.toml"
    run_case $f history-lr --config "$SRC/configs/proactive-lr-mmt.toml" --history "$D/history.csv"
    run_case $f history-hotspot --goal hotspot --history "$D/history.csv" \
        --config "$SRC/configs/proactive-lr-mmt.toml"
    run_case $f traffic-wan --config "$SRC/configs/affinity-wan.toml" --traffic "$D/traffic.csv" \
        --history "$D/history.csv"
    run_case $f traffic-consolidate --config "$SRC/configs/affinity-wan.toml" --goal consolidate \
        --traffic "$D/traffic.csv"
done
echo "$n cases compared; $([ $fail = 0 ] && echo 'all identical' || echo 'SOME DIFFER')"
exit $fail
