# Every goal and every shipped config on the demo fleet, each plan replayed by the checker.
source "$(dirname "$0")/common.sh"
for goal in auto consolidate balance hotspot; do
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal $goal --out "$T/$goal" >/dev/null
    check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/$goal" --expect-no-unresolved
done
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal evacuate \
    --evacuate h001,h002,h050 --out "$T/evacuate" >/dev/null
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/evacuate" --evacuate h001,h002,h050 --expect-no-unresolved
printf 'h010\n# a comment\n\nh011\n' >"$T/evac.txt"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal evacuate \
    --evacuate-file "$T/evac.txt" --out "$T/evacuate-file" >/dev/null
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/evacuate-file" --evacuate-file "$T/evac.txt"
for cfg in "$SRC"/configs/*.toml; do
    name=$(basename "$cfg" .toml)
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --config "$cfg" --out "$T/cfg-$name" >/dev/null
    # The config's own limits: max-util and the wave limits it plans under.
    read -r mu per_host total <<<"$("$PYTHON" -c "
import tomllib, sys
c = tomllib.load(open(sys.argv[1], 'rb'))
w = c.get('waves', {})
print(c.get('plan', {}).get('max_util', 0.9), w.get('max_per_host', 2), w.get('max_total', 16))" "$cfg")"
    check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/cfg-$name" --max-util "$mu" \
        --max-per-host "$per_host" --max-total "$total"
done
# --max-util and budgets are honoured.
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --max-util 0.7 --out "$T/mu" >/dev/null
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/mu" --max-util 0.7
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --budget-migrations 25 --out "$T/budget" >/dev/null
n=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['migrations'])" "$T/budget/summary.json")
[ "$n" -le 25 ] && ok "budget of 25 migrations kept ($n)" || bad "budget exceeded: $n"
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/budget"
# Consolidation on the demo fleet frees hosts and comes close to the lower bound.
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/consolidate" --max-gap 0.1
finish
