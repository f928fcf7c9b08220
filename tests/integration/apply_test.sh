# `fleetplan apply`: the fleet after a plan, from its checkpoint alone. For every goal, on the
# demo fleet (some allocations below demand, so plans resize), a generated fleet and the small
# one (a host in maintenance, an off host, quoted ids): applying twice gives the same bytes,
# every VM is where the plan put it and the rest where they were, host states follow the goal,
# resizes are applied, and re-planning the result with the same goal and config moves nothing.
# A pending commit in the plan directory is finished first; bad directories are exit 2.
source "$(dirname "$0")/common.sh"
# balance's own memory budget stops it short of its fixed point (see stability_test.sh).
printf '[plan]\nbalance_mem_frac = -1.0\n' >"$T/unbudgeted.toml"
mkdir -p "$T/demo"
cp "$DEMO/hosts.csv" "$T/demo/hosts.csv"
"$PYTHON" - "$DEMO/vms.csv" "$T/demo/vms.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="", encoding="utf-8")))
for r in rows[:40]:
    r["cpu_alloc"] = "0.1"
w = csv.DictWriter(open(sys.argv[2], "w", newline="", encoding="utf-8"), fieldnames=list(rows[0]), lineterminator="\n")
w.writeheader()
w.writerows(rows)
PY
"$FLEETPLAN" generate --hosts 300 --vms 3000 --seed 5 --out "$T/gen" >/dev/null

# check_after FLEET_DIR PLAN_DIR AFTER_DIR GOAL EVACUATE_IDS: prints "moved=N off=K resized=R".
check_after() {
    "$PYTHON" - "$@" <<'PY'
import csv, json, os, sys
from decimal import Decimal
fleet, plan, after, goal, evac = sys.argv[1:6]
evac = set(filter(None, evac.split(",")))
rd = lambda p: list(csv.DictReader(open(p, newline="", encoding="utf-8")))
hin = {r["id"]: r for r in rd(fleet + "/hosts.csv")}
vin = {r["id"]: r for r in rd(fleet + "/vms.csv")}
hout = rd(after + "/hosts.csv")
vout = {r["id"]: r for r in rd(after + "/vms.csv")}
moves = {r["vm"]: r for r in rd(plan + "/plan.csv")}
resize = {r["vm"]: r for r in rd(plan + "/resize.csv")} if os.path.exists(plan + "/resize.csv") else {}
powered = set(json.load(open(plan + "/summary.json"))["powered_on_hosts"])
num = lambda s: Decimal(s) if s not in (None, "") else None
assert [h["id"] for h in hout] == list(hin), "hosts keep their order"
assert set(vout) == set(vin), "the same VMs"
for vid, v in vout.items():
    want = moves[vid]["target"] if vid in moves else vin[vid]["host"]
    assert v["host"] == want, (vid, v["host"], want)
    for col in ("cpu", "mem", "net"):
        assert num(v[col]) == num(vin[vid][col]), (vid, col)
    if vid in resize:
        assert (v["cpu_alloc"], v["mem_alloc"]) == (resize[vid]["cpu_alloc"], resize[vid]["mem_alloc"]), vid
    else:
        for col in ("cpu_alloc", "mem_alloc"):
            assert num(v[col]) == num(vin[vid].get(col)), (vid, col)
used_before = {v["host"] for v in vin.values() if v["host"]}
used_after = {v["host"] for v in vout.values() if v["host"]}
off = 0
for h in hout:
    hid, before = h["id"], hin[h["id"]].get("state") or "active"
    want = before
    if hid in evac or before == "maintenance":
        pass
    elif hid in powered:
        want = "active"
    elif goal in ("consolidate", "auto") and before == "active" and hid in used_before and hid not in used_after:
        want = "off"
    assert h["state"] == want, (hid, h["state"], want)
    off += want == "off" and before != "off"
    for col in ("cpu", "mem", "net"):
        assert num(h[col]) == num(hin[hid][col]), (hid, col)
print("moved=%d off=%d resized=%d" % (len(moves), off, len(resize)))
PY
}

for fleet in demo gen small; do
    dir="$T/$fleet"
    [ "$fleet" = small ] && dir="$SMALL"
    for goal in auto consolidate balance hotspot evacuate; do
        ev=() ids=""
        if [ "$goal" = evacuate ] && [ "$fleet" != small ]; then  # small: its maintenance host
            ids=$(sed -n '2p;3p' "$dir/hosts.csv" | cut -d, -f1 | paste -sd,)
            ev=(--evacuate "$ids")
        fi
        run="$T/$fleet-$goal"
        "$FLEETPLAN" plan --hosts "$dir/hosts.csv" --vms "$dir/vms.csv" --goal $goal \
            --config "$T/unbudgeted.toml" "${ev[@]}" --out "$run/plan" >/dev/null
        "$FLEETPLAN" apply "$run/plan" --out "$run/after" >/dev/null
        "$FLEETPLAN" apply "$run/plan" --out "$run/again" >/dev/null
        cmp -s "$run/after/hosts.csv" "$run/again/hosts.csv" && cmp -s "$run/after/vms.csv" "$run/again/vms.csv" &&
            ok "$fleet $goal: apply twice, same bytes" || bad "$fleet $goal: apply is not byte-stable"
        if counts=$(check_after "$dir" "$run/plan" "$run/after" $goal "$ids"); then
            ok "$fleet $goal: VMs on their targets, host states and allocations as the plan leaves them ($counts)"
        else
            bad "$fleet $goal: the fleet after is wrong"
        fi
        case "$fleet $goal $counts" in
        "demo consolidate moved="[1-9]*" off="[1-9]*" resized="[1-9]*) ok "demo consolidate: moves, switched-off hosts and resizes exercised" ;;
        "demo consolidate"*) bad "demo consolidate should move, switch off and resize: $counts" ;;
        esac
        set +e
        "$FLEETPLAN" plan --hosts "$run/after/hosts.csv" --vms "$run/after/vms.csv" --goal $goal \
            --config "$T/unbudgeted.toml" "${ev[@]}" --out "$run/replan" >"$run/replan.out" 2>&1
        rc=$?
        set -e
        rows=$(($(wc -l <"$run/replan/plan.csv" 2>/dev/null || echo 0) - 1))
        if [ $rc -eq 0 ] && [ "$rows" -eq 0 ] && [ ! -e "$run/replan/resize.csv" ]; then
            ok "$fleet $goal: the fleet after parses and re-planning it moves nothing"
        else
            bad "$fleet $goal: re-plan of the fleet after: exit $rc, $rows rows$([ -e "$run/replan/resize.csv" ] && echo ", resizes")"
        fi
    done
done

# A plan killed after its commit point leaves commit.pending and the earlier checkpoint in
# place: apply finishes the commit first, so it applies the new plan.
d="$T/pending"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --out "$d" >/dev/null
set +e
FP_CRASH_AT=plan-output:2 "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$d" >/dev/null 2>&1
rc=$?
set -e
[ $rc -eq 137 ] && [ -e "$d/commit.pending" ] || bad "plan killed at plan-output:2: exit $rc, no commit.pending"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$T/ref" >/dev/null
"$FLEETPLAN" apply "$d" --out "$T/pending-after" >/dev/null
"$FLEETPLAN" apply "$T/ref" --out "$T/ref-after" >/dev/null
[ ! -e "$d/commit.pending" ] && cmp -s "$T/pending-after/vms.csv" "$T/ref-after/vms.csv" &&
    cmp -s "$T/pending-after/hosts.csv" "$T/ref-after/hosts.csv" &&
    ok "apply finishes a pending commit, then applies the committed plan" || bad "apply and a pending commit"

# Errors.
expect2 "apply on a missing directory: exit 2 naming the checkpoint" "$T/nowhere/checkpoint.h5: cannot open" apply "$T/nowhere" --out "$T/x"
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$SRC/tests/data/planetlab/20110306-subset" \
    --trace-order "$SRC/tests/data/planetlab/order-20110306-subset.txt" --policy lr-mmt --intervals 2 --out "$T/sim" >/dev/null
expect2 "apply on a simulator checkpoint: exit 2" "$T/sim/checkpoint.h5: not a plan checkpoint" apply "$T/sim" --out "$T/x"
mkdir -p "$T/trunc" && head -c 2000 "$T/ref/checkpoint.h5" >"$T/trunc/checkpoint.h5"
expect2 "apply on a truncated checkpoint: exit 2 naming it" "$T/trunc/checkpoint.h5" apply "$T/trunc" --out "$T/x"
expect2 "apply on the checkpoint file itself: exit 2" "give the plan's directory" apply "$T/ref/checkpoint.h5" --out "$T/x"
expect2 "apply without --out: exit 2" "--out DIR is required" apply "$T/ref"
[ ! -e "$T/x" ] && ok "no output after an error" || bad "an error left $T/x"
"$FLEETPLAN" apply --help | grep "usage: fleetplan apply PLAN_DIR --out DIR" >/dev/null && ok "apply --help" || bad "apply --help"
finish
