# Stability: re-planning the fleet a plan produces, with the same config, migrates nothing; with
# --previous the VMs just moved stay put during the cooldown; --now, --traffic and --previous
# reach the checkpoint so --resume stays exact.
source "$(dirname "$0")/common.sh"
migrations() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['migrations'])" "$1/summary.json"; }
# balance's own memory budget (balance_mem_frac) can stop it short of its fixed point; without
# the budget it reaches one, and with it successive re-plans converge to one. `fleetplan apply`
# writes the fleet each plan leaves (apply_test.sh checks it in detail).
printf '[plan]\nbalance_mem_frac = -1.0\n' >"$T/unbudgeted.toml"
for goal in auto consolidate balance hotspot; do
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal $goal --config "$T/unbudgeted.toml" --out "$T/$goal-1" >/dev/null
    "$FLEETPLAN" apply "$T/$goal-1" --out "$T/$goal-fleet2" >/dev/null
    "$FLEETPLAN" plan --hosts "$T/$goal-fleet2/hosts.csv" --vms "$T/$goal-fleet2/vms.csv" --goal $goal --config "$T/unbudgeted.toml" --out "$T/$goal-2" >/dev/null
    n=$(migrations "$T/$goal-2")
    [ "$n" = 0 ] && ok "$goal: re-plan of the planned fleet migrates nothing" || bad "$goal: re-plan migrates $n"
done
fleet="$DEMO"
prev=999999
for i in 1 2 3 4 5 6 7 8; do
    "$FLEETPLAN" plan --hosts "$fleet/hosts.csv" --vms "$fleet/vms.csv" --goal balance --out "$T/round-$i" >/dev/null
    n=$(migrations "$T/round-$i")
    [ "$n" -le "$prev" ] || { bad "balance re-plan $i migrates more ($n) than the one before ($prev)"; break; }
    prev=$n
    [ "$n" = 0 ] && break
    "$FLEETPLAN" apply "$T/round-$i" --out "$T/round-$i-fleet" >/dev/null
    fleet="$T/round-$i-fleet"
done
[ "$prev" = 0 ] && ok "budgeted balance converges: re-plan $i migrates nothing" || bad "budgeted balance still migrates $prev after $i rounds"
# Cooldown: the previous plan's VMs are frozen until cooldown_s (default 3600 s) has passed.
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --now 2026-11-25T10:00:00Z --out "$T/p1" >/dev/null
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --now 2026-11-25T10:30:00Z \
    --previous "$T/p1/checkpoint.h5" --out "$T/p2" >/dev/null
"$PYTHON" - "$T/p1/plan.csv" "$T/p2/plan.csv" "$T/p2/summary.json" <<'PY' && ok "cooldown: no VM of the previous plan moves again within 30 min" || bad "cooldown broken"
import csv, json, sys
first = {r["vm"] for r in csv.DictReader(open(sys.argv[1])) if r["source"]}
second = {r["vm"] for r in csv.DictReader(open(sys.argv[2])) if r["source"]}
s = json.load(open(sys.argv[3]))
assert first and not (first & second), first & second
assert s["vms_in_cooldown"] >= len(first), s["vms_in_cooldown"]
assert s["fleet_changes"]["hosts_added"] == [], s["fleet_changes"]
PY
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --now 2026-11-25T12:00:00Z \
    --previous "$T/p1/checkpoint.h5" --out "$T/p3" >/dev/null 2>"$T/p3.err"
c=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['vms_in_cooldown'])" "$T/p3/summary.json")
[ "$c" = 0 ] && ok "cooldown over after 2 h" || bad "still $c VMs in cooldown after 2 h"
grep -q "warning" "$T/p3.err" && bad "--previous with --now on both plans warns: $(cat "$T/p3.err")" || ok "--now on both plans: no warning"
# Without --now (now or in the previous plan) a cooldown cannot expire: a warning says so, and
# the previous plan's VMs stay put even days later.
cooling() { "$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['vms_in_cooldown'])" "$1/summary.json"; }
first=$(($(grep -c . "$T/p1/plan.csv") - 1))
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance \
    --previous "$T/p1/checkpoint.h5" --out "$T/nonow" >/dev/null 2>"$T/nonow.err"
grep -q "warning: --previous without --now: cooldowns cannot expire" "$T/nonow.err" && [ "$(cooling "$T/nonow")" -ge "$first" ] &&
    ok "--previous without --now: warning, and the previous plan's VMs stay put" || bad "--previous without --now: $(cat "$T/nonow.err")"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --out "$T/q1" >/dev/null
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --now 2026-12-25T10:00:00Z \
    --previous "$T/q1/checkpoint.h5" --out "$T/q2" >/dev/null 2>"$T/q2.err"
grep -q "warning: --previous $T/q1/checkpoint.h5 was planned without --now: cooldowns cannot expire" "$T/q2.err" &&
    [ "$(cooling "$T/q2")" -ge "$first" ] &&
    ok "--previous of a plan without --now: warning, VMs still in cooldown a month later" || bad "previous plan without --now: $(cat "$T/q2.err")"
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/p2"
# --traffic and --previous survive a resume from the checkpoint alone.
head -1 "$DEMO/vms.csv" >/dev/null
printf 'vm_a,vm_b,mbps\nvm0001,vm0002,500\nvm0003,vm0004,80.5\n' >"$T/traffic.csv"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --traffic "$T/traffic.csv" \
    --now 2026-11-25T10:30:00Z --previous "$T/p1/checkpoint.h5" --out "$T/t1" >/dev/null
"$FLEETPLAN" plan --resume "$T/t1/checkpoint.h5" --out "$T/t2" >/dev/null
cmp -s "$T/t1/plan.csv" "$T/t2/plan.csv" && ok "resume with traffic/previous/now: plan.csv identical" || bad "resume differs"
[ "$(stable_summary "$T/t1/summary.json")" = "$(stable_summary "$T/t2/summary.json")" ] && ok "resume: summary identical" || bad "resume: summary differs"
set +e
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --now yesterday --out "$T/bad" 2>"$T/now.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "not an ISO 8601 time" "$T/now.err" && ok "--now yesterday: exit 2" || bad "--now yesterday: exit $rc"
finish
