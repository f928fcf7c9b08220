# The foundation issue's acceptance run: 2,000 hosts, ~20,000 VMs, consolidate within 10% of the
# lower bound with no overloaded host and a feasible wave order.
source "$(dirname "$0")/common.sh"
"$FLEETPLAN" generate --hosts 2000 --vms 20000 --seed 7 --out "$T/fleet" >/dev/null
"$FLEETPLAN" plan --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" --goal consolidate --out "$T/plan"
check_plan "$T/fleet/hosts.csv" "$T/fleet/vms.csv" "$T/plan" --max-gap 0.1 --expect-no-unresolved
finish
