# Plans an operator can carry out as they stand, through the CLI: on a generated multi-site
# fleet every goal keeps moves inside their sites, within the migration limits (optional work)
# and under the shared wave limits, with each move's estimated start on dispatch's schedule
# (all checked by the independent checker); the terminal summary names each goal's own figure;
# cross_site "evacuations" and "allow"; --window; bad values of the new settings.
source "$(dirname "$0")/common.sh"
F="$T/fleet"
"$FLEETPLAN" generate --hosts 800 --vms 8000 --seed 3 --out "$F" >/dev/null
sites=$(cut -d, -f6 "$F/hosts.csv" | sort -u | grep -c .)
[ "$sites" -ge 2 ] && ok "the fleet has $((sites - 1)) sites" || bad "the fleet has one site"
EVAC=$(sed -n '2p;3p;4p' "$F/hosts.csv" | cut -d, -f1 | paste -sd,)

# goal → the line the terminal summary must show for it
declare -A FIGURE=([auto]="cold hosts freed" [consolidate]="lower bound" [balance]="spread"
    [hotspot]="still above max-util" [evacuate]="hosts emptied")
for goal in auto consolidate balance hotspot evacuate; do
    extra=()
    [ "$goal" = evacuate ] && extra=(--evacuate "$EVAC")
    "$FLEETPLAN" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --goal "$goal" "${extra[@]}" \
        --out "$T/$goal" >"$T/$goal.out"
    check_plan "$F/hosts.csv" "$F/vms.csv" "$T/$goal" "${extra[@]}" --expect-no-unresolved
    grep -q "${FIGURE[$goal]}" "$T/$goal.out" && ok "$goal: the summary shows '${FIGURE[$goal]}'" ||
        bad "$goal: no '${FIGURE[$goal]}' in: $(cat "$T/$goal.out")"
    if [ "$goal" != consolidate ] && grep -q "gap" "$T/$goal.out"; then
        bad "$goal: the summary prints a gap to the lower bound"
    fi
    for line in "est. duration" "worst downtime" "flagged" "cross-site" "GiB moved"; do
        grep -q "$line" "$T/$goal.out" || bad "$goal: no '$line' in the summary"
    done
    "$PYTHON" - "$T/$goal/summary.json" <<'PY' && ok "$goal: 0 cross-site, 0 flagged, limits 2/16" || bad "$goal: summary"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["cross_site_migrations"] == 0 and s["cross_site"] == [], s["cross_site_migrations"]
assert s["flagged_migrations"] == 0, s["flagged_migrations"]
assert s["schedule"] == {"max_per_host": 2, "max_total": 16}, s["schedule"]
assert s["est_makespan_seconds"] > 0 or s["migrations"] == 0
PY
done
head -1 "$T/consolidate/plan.csv" | grep -x "step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags" >/dev/null &&
    ok "plan.csv header" || bad "plan.csv header: $(head -1 "$T/consolidate/plan.csv")"

# Maintenance hosts with no room left in their site: "never" leaves the VMs and says why,
# "evacuations" moves them to another site, within the checker's rules for that mode.
"$PYTHON" - "$F" "$T/tight" <<'PY'
import csv, os, sys
src, dst = sys.argv[1], sys.argv[2]
os.makedirs(dst, exist_ok=True)
hosts = list(csv.DictReader(open(f"{src}/hosts.csv")))
first = hosts[0]["site"]
mine = [h for h in hosts if h["site"] == first]
for h in mine[:4]:
    h["state"] = "maintenance"
for h in mine[4:]:
    h["state"] = "maintenance"  # empty, and nothing else in the site may take VMs
w = csv.DictWriter(open(f"{dst}/hosts.csv", "w", newline=""), fieldnames=list(hosts[0].keys()))
w.writeheader()
w.writerows(hosts)
keep = {h["id"] for h in mine[4:]}
vms = [v for v in csv.DictReader(open(f"{src}/vms.csv")) if v["host"] not in keep]
w = csv.DictWriter(open(f"{dst}/vms.csv", "w", newline=""), fieldnames=list(vms[0].keys()))
w.writeheader()
w.writerows(vms)
PY
"$FLEETPLAN" plan --hosts "$T/tight/hosts.csv" --vms "$T/tight/vms.csv" --goal evacuate --out "$T/never" >/dev/null
check_plan "$T/tight/hosts.csv" "$T/tight/vms.csv" "$T/never"
grep -q "cannot evacuate" "$T/never/summary.json" && ok "never: the stranded VMs are unresolved" ||
    bad "never: no unresolved evacuation"
printf '[plan]\ncross_site = "evacuations"\n' >"$T/evac.toml"
"$FLEETPLAN" plan --hosts "$T/tight/hosts.csv" --vms "$T/tight/vms.csv" --goal evacuate \
    --config "$T/evac.toml" --out "$T/evac" >/dev/null
check_plan "$T/tight/hosts.csv" "$T/tight/vms.csv" "$T/evac" --cross-site evacuations --expect-no-unresolved
"$PYTHON" - "$T/evac/summary.json" <<'PY' && ok "evacuations: the maintenance hosts' VMs left their site" || bad "evacuations: no cross-site move"
import json, sys
s = json.load(open(sys.argv[1]))
assert s["cross_site_migrations"] > 0 and len(s["cross_site"]) == s["cross_site_migrations"]
assert s["evacuated_hosts"] == s["evacuating_hosts"] >= 4, (s["evacuated_hosts"], s["evacuating_hosts"])
PY
# allow: the checker rejects the plan under "never" (so that check can fail) and accepts it under
# "allow"; optional cross-site moves stay within the migration limits.
printf '[plan]\ncross_site = "allow"\n[migration]\nwan_reconfig_s = 0.0\nwan_bandwidth_mibps = 1000.0\n' >"$T/allow.toml"
"$FLEETPLAN" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --goal consolidate --config "$T/allow.toml" --out "$T/allow" >/dev/null
check_plan "$F/hosts.csv" "$F/vms.csv" "$T/allow" --cross-site allow
if "$PYTHON" "$CHECK" --hosts "$F/hosts.csv" --vms "$F/vms.csv" --plan-dir "$T/allow" >/dev/null; then
    bad "allow: the checker accepts cross-site moves under never"
else
    ok "allow: the plan crosses sites (the checker rejects it under never)"
fi

# anti_group_scope = "rack": members of an anti_group never share a rack, not even in flight
# (the host-scope plan breaks that somewhere, so the rack check can fail).
printf '[plan]\nanti_group_scope = "rack"\n' >"$T/rack.toml"
"$FLEETPLAN" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --goal consolidate --config "$T/rack.toml" --out "$T/rack" >/dev/null
check_plan "$F/hosts.csv" "$F/vms.csv" "$T/rack" --anti-scope rack
if "$PYTHON" "$CHECK" --hosts "$F/hosts.csv" --vms "$F/vms.csv" --plan-dir "$T/consolidate" --anti-scope rack >/dev/null; then
    bad "rack: the host-scope plan keeps every group out of shared racks (the check cannot fail here)"
else
    ok "rack: the host-scope plan puts group members in one rack; the rack-scope plan does not"
fi
printf '[plan]\nanti_group_scope = "row"\n' >"$T/bad4.toml"
expect2 "anti_group_scope unknown" "plan.anti_group_scope: unknown value 'row' (valid: host, rack)" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --config "$T/bad4.toml" --out "$T/x"

# --window: mandatory moves, then optional ones while the schedule ends within it.
"$FLEETPLAN" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --goal consolidate --window 1h --out "$T/win" >"$T/win.out"
check_plan "$F/hosts.csv" "$F/vms.csv" "$T/win" --window 3600
"$PYTHON" - "$T/win/summary.json" "$T/consolidate/summary.json" <<'PY' && ok "window: within 1 h, fewer moves, the rest reported" || bad "window"
import json, sys
w, full = (json.load(open(p)) for p in sys.argv[1:3])
assert w["est_makespan_seconds"] <= 3600 + 1e-3, w["est_makespan_seconds"]
assert full["est_makespan_seconds"] > 3600, full["est_makespan_seconds"]
assert w["window"]["seconds"] == 3600 and w["window"]["optional_moves_left_out"] > 0
assert w["migrations"] + w["window"]["optional_moves_left_out"] == full["migrations"]
assert w["overloaded_after"] == 0
PY
grep -q "left out for time" "$T/win.out" && ok "window: the summary says what was left out" || bad "window: summary"
"$FLEETPLAN" plan --resume "$T/win/checkpoint.h5" --out "$T/win-again" >/dev/null
cmp -s "$T/win/plan.csv" "$T/win-again/plan.csv" && ok "window: --resume gives the same plan" ||
    bad "window: --resume differs"

# Bad values.
expect2 "--window nonsense" "--window: 'soon' is not a positive duration" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --window soon --out "$T/x"
expect2 "--window 0" "--window: '0' is not a positive duration" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --window 0 --out "$T/x"
expect2 "--window with --resume" "--window cannot be combined" plan --resume "$T/win/checkpoint.h5" --window 1h --out "$T/x"
printf '[plan]\ncross_site = "sometimes"\n' >"$T/bad1.toml"
expect2 "cross_site unknown" "plan.cross_site: unknown value 'sometimes' (valid: never, evacuations, allow)" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --config "$T/bad1.toml" --out "$T/x"
printf '[waves]\nmax_per_wave = 4\nmax_total = 4\n' >"$T/bad2.toml"
expect2 "max_per_wave and max_total" "waves.max_per_wave: an old name of waves.max_total" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --config "$T/bad2.toml" --out "$T/x"
printf '[migration]\ntimeout_s = -1.0\n' >"$T/bad3.toml"
expect2 "timeout_s negative" "migration.timeout_s" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --config "$T/bad3.toml" --out "$T/x"
# The old key still reads (checkpoints written before it was renamed).
printf '[waves]\nmax_per_wave = 4\n' >"$T/old.toml"
"$FLEETPLAN" plan --hosts "$F/hosts.csv" --vms "$F/vms.csv" --goal hotspot --config "$T/old.toml" --out "$T/old" >/dev/null
check_plan "$F/hosts.csv" "$F/vms.csv" "$T/old" --max-total 4
finish
