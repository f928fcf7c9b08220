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
# --fail-on-unresolved (for cron and Slurm): the same outputs, then exit 4 when something is
# unresolved; exit 0 when nothing is (the fleet without new-huge).
set +e
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal consolidate --fail-on-unresolved \
    --out "$T/fail4" >"$T/fail4.out" 2>"$T/fail4.err"
rc=$?
set -e
[ $rc -eq 4 ] && ok "--fail-on-unresolved with new-huge unresolved: exit 4" || bad "--fail-on-unresolved: exit $rc (want 4)"
grep -q "1 unresolved item(s), listed in $T/fail4/summary.json" "$T/fail4.err" &&
    ok "exit 4 says why on stderr" || bad "exit 4 message: $(cat "$T/fail4.err")"
for f in plan.csv summary.json checkpoint.h5; do
    [ -s "$T/fail4/$f" ] || bad "--fail-on-unresolved did not write $f"
done
# (Without the flag, the same plan exited 0 above.)
cmp -s "$T/fail4/plan.csv" "$T/consolidate/plan.csv" && [ "$(stable_summary "$T/fail4/summary.json")" = "$(stable_summary "$T/consolidate/summary.json")" ] &&
    ok "--fail-on-unresolved writes the same plan.csv and summary.json" || bad "--fail-on-unresolved outputs differ"
grep -v new-huge "$SMALL/vms.csv" >"$T/fits.csv"
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$T/fits.csv" --goal hotspot --fail-on-unresolved --out "$T/fits" >/dev/null &&
    [ "$("$PYTHON" -c "import json,sys; print(len(json.load(open(sys.argv[1]))['unresolved']))" "$T/fits/summary.json")" = 0 ] &&
    ok "--fail-on-unresolved with nothing unresolved: exit 0" || bad "--fail-on-unresolved with nothing unresolved"
"$FLEETPLAN" plan --help | grep -- "--fail-on-unresolved" >/dev/null && "$FLEETPLAN" plan --help | grep "4 with --fail-on-unresolved" >/dev/null &&
    ok "plan --help documents --fail-on-unresolved and exit 4" || bad "plan --help"
# The quoted ids survive into plan.csv (RFC 4180 quoting).
grep -q '"vm ""one"""\|vm-二' "$T/consolidate/plan.csv" && ok "quoted ids in plan.csv" || bad "ids lost"
# An empty fleet of VMs: a header-only plan.csv.
printf 'id,host,cpu,mem,net\n' >"$T/novms.csv"
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$T/novms.csv" --out "$T/empty" >/dev/null
[ "$(cat "$T/empty/plan.csv")" = "step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags" ] &&
    ok "header-only plan.csv" || bad "plan.csv for no VMs: $(cat "$T/empty/plan.csv")"
finish
