# Hostile but valid input: quoted/unicode ids, a maintenance host, an off host, a new VM larger
# than any host. Exit 0, the plan says what it could not do, the checker agrees.
source "$(dirname "$0")/common.sh"
for goal in auto consolidate hotspot; do
    "$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal $goal --out "$T/$goal" >"$T/$goal.out"
    check_plan "$SMALL/hosts.csv" "$SMALL/vms.csv" "$T/$goal"
    if "$PYTHON" - "$T/$goal/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
u = s["unresolved"]
assert len(u) == 1, u
assert u[0]["vm"] == "new-huge" and u[0]["host"] == "", u
assert "larger than any usable host" in u[0]["reason"], u
assert s["placements"] == 1, s
PY
    then ok "$goal: new-huge unresolved, new-small placed"; else bad "$goal: unresolved list wrong"; fi
    grep -q 'new-huge' "$T/$goal.out" && ok "$goal: printed summary names it" || bad "$goal: summary silent"
done
# The quoted ids survive into plan.csv (RFC 4180 quoting).
grep -q '"vm ""one"""\|vm-二' "$T/consolidate/plan.csv" && ok "quoted ids in plan.csv" || bad "ids lost"
# An empty fleet of VMs: a header-only plan.csv.
printf 'id,host,cpu,mem,net\n' >"$T/novms.csv"
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$T/novms.csv" --out "$T/empty" >/dev/null
[ "$(cat "$T/empty/plan.csv")" = "step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags" ] &&
    ok "header-only plan.csv" || bad "plan.csv for no VMs: $(cat "$T/empty/plan.csv")"
finish
