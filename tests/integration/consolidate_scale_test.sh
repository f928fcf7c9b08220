# The foundation issue's acceptance run: 2,000 hosts, ~20,000 VMs, consolidate within 10% of the
# lower bound with no overloaded host and a feasible wave order; since plans must be carried out
# as they stand, also no cross-site move, no move beyond a migration limit (both checked by the
# checker) and at most 2.5% above the per-site lower bound (2.2% on 2026-12-06).
source "$(dirname "$0")/common.sh"
"$FLEETPLAN" generate --hosts 2000 --vms 20000 --seed 7 --out "$T/fleet" >/dev/null
"$FLEETPLAN" plan --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" --goal consolidate --out "$T/plan"
check_plan "$T/fleet/hosts.csv" "$T/fleet/vms.csv" "$T/plan" --max-gap 0.025 --expect-no-unresolved
# The same plan for any thread count (consolidation runs its variants in parallel).
for t in 1 2; do
    "$FLEETPLAN" plan --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" --goal consolidate --threads $t --out "$T/t$t" >/dev/null
done
cmp -s "$T/t1/plan.csv" "$T/t2/plan.csv" && cmp -s "$T/t1/plan.csv" "$T/plan/plan.csv" &&
    ok "plan.csv identical at 1 and 2 threads" || bad "plan.csv depends on the thread count"
finish
