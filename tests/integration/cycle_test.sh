# `fleetplan cycle` against libvirt's test driver (one node file per host; it cannot migrate):
#  1. a maintenance host: the cycle collects, plans db-1 off h2, passes the gate (--auto-approve)
#     and dispatches. Dispatch reaches the hosts through node files that show the fleet after the
#     move ([cycle] connect_uri_template; collect reads the others through
#     collect_uri_template), so it finds db-1 on its target and records it finished;
#  2. the fleet after the move: the plan gets cycle 1's checkpoint as --previous and has nothing
#     to move; it passes the chain on;
#  3. h1 in maintenance with max_moves 1: three moves, held, nothing dispatched, and --previous
#     is still cycle 1's checkpoint (through cycle 2);
#  4. approval: a file naming another plan holds; one naming this plan's digest passes it above
#     max_moves, dispatch fails (it finds the VMs on neither host: skipped, exit 3), the cycle is
#     failed (exit 3), and the next cycle does not chain to it;
#  5. a second cycle while one holds DIR/.lock: exit 3, nothing done; bad [cycle] values: exit 2;
#  6. keep = 1: older completed cycles go, the newest stays.
source "$(dirname "$0")/common.sh"
S="$T/state"
mkdir -p "$T/after" "$T/gone"
test_node "$T/h1.xml" web-1 web-2
test_node "$T/h2.xml" db-1
test_node "$T/after/h1.xml" web-1 web-2 db-1
test_node "$T/after/h2.xml"
test_node "$T/gone/h1.xml"
test_node "$T/gone/h2.xml"
hosts() { # STATE_OF_H1 STATE_OF_H2
    printf 'id,cpu,mem,net,state\nh1,4,8192,1000,%s\nh2,4,8192,1000,%s\n' "$1" "$2" >"$T/hosts.csv"
}
config() { # MAX_MOVES [DISPATCH_VIEW] -> $T/cycle.toml
    cat >"$T/cycle.toml" <<EOF
[cycle]
hosts = "hosts.csv"
connect_uri_template = "test://$T/${2:-after}/{id}.xml"
collect_uri_template = "test://$T/{id}.xml"
sample_seconds = 0.0
max_moves = $1
approval = "file"
EOF
}
cycle_dir() { echo "$S/$1"; }
# field CYCLE PYTHON_EXPR: the value of an expression over cycle.json (c) and gate.json (g).
field() {
    "$PYTHON" - "$S/$1" "$2" <<'PY'
import json, os, sys
d = sys.argv[1]
c = json.load(open(os.path.join(d, "cycle.json")))
g = json.load(open(os.path.join(d, "gate.json"))) if os.path.exists(os.path.join(d, "gate.json")) else {}
step = {s["step"]: s for s in c["steps"]}
v = eval(sys.argv[2])
print(" ".join(str(x) for x in v) if isinstance(v, tuple) else v)
PY
}
run_cycle() { # NOW ARGS... -> rc in $rc, output in $T/out
    local now=$1
    shift
    set +e
    "$FLEETPLAN" cycle --config "$T/cycle.toml" --state "$S" --now "$now" "$@" >"$T/out" 2>&1
    rc=$?
    set -e
}

# 1. collect → plan → gate → dispatch.
hosts active maintenance
config 5
run_cycle 2026-12-01T10:00:00Z --auto-approve
C1=20261201T100000Z
CK1="$S/$C1/plan/checkpoint.h5"
[ $rc -eq 0 ] && grep -q "^cycle $S/$C1: dispatched (1 migrations" "$T/out" &&
    [ "$(tail -n +2 "$S/$C1/plan/plan.csv" | cut -d, -f2,3,4)" = "db-1,h2,h1" ] &&
    ok "cycle 1: collect, plan, gate and dispatch; db-1 leaves the maintenance host" || bad "cycle 1: rc $rc: $(cat "$T/out")"
[ "$(field $C1 'c["status"], g["decision"], g["approved_by"], [step[s]["exit_code"] for s in ("collect", "plan", "dispatch")]')" = "dispatched approved auto [0, 0, 0]" ] &&
    [ "$(field $C1 '"--previous" in step["plan"]["argv"], c["next_previous"] == sys.argv[1] + "/plan/checkpoint.h5"')" = "False True" ] &&
    grep -q ",finished,db-1,h2,h1,.*already on the target" "$S/$C1/plan/dispatch.journal" &&
    [ -s "$S/$C1/collect.log" ] && [ -s "$S/$C1/dispatch.log" ] && [ -s "$S/history.csv" ] &&
    ok "cycle 1: cycle.json records each step's command line and exit code; the journal is in plan/" || bad "cycle 1 record: $(cat "$S/$C1/cycle.json")"
[ "$(readlink "$S/latest")" = "$C1" ] && ok "cycle 1: DIR/latest points at it" || bad "latest: $(readlink "$S/latest")"
# The gate's record: the plan's figures and its digest, the digest dispatch checks.
[ "$(field $C1 'g["migrations"], g["moved_mem_mib"], g["max_moves"], g["plan_digest"].startswith("fnv1a64:")')" = "1 256.0 5 True" ] &&
    ok "gate.json: migrations, memory moved, the limits and the plan's digest" || bad "gate.json: $(cat "$S/$C1/gate.json")"

# 2. The fleet after the move: --previous is cycle 1's checkpoint; nothing to move.
test_node "$T/h1.xml" web-1 web-2 db-1
test_node "$T/h2.xml"
hosts active active
run_cycle 2026-12-01T10:05:00Z --auto-approve
C2=20261201T100500Z
[ $rc -eq 0 ] && [ "$(field $C2 'c["status"], c["previous"] == c["next_previous"]')" = "nothing to move True" ] &&
    [ "$(field $C2 'step["plan"]["argv"][step["plan"]["argv"].index("--previous") + 1]')" = "$CK1" ] &&
    [ "$(field $C2 '"dispatch" in step')" = "False" ] && [ ! -e "$S/$C2/dispatch.log" ] &&
    ok "cycle 2: plans with cycle 1's checkpoint as --previous, nothing to move, no dispatch" || bad "cycle 2: rc $rc: $(cat "$T/out" "$S/$C2/cycle.json")"
"$PYTHON" - "$S/$C2/plan/summary.json" <<'PY' && ok "cycle 2: the plan compared the fleet with cycle 1's (fleet_changes)" || bad "cycle 2 summary: $(cat "$S/$C2/plan/summary.json")"
import json, sys
s = json.load(open(sys.argv[1]))
assert "fleet_changes" in s, s
PY

# 3. h1 in maintenance, at most one move per cycle: its three VMs would go (an evacuation is
#    mandatory, cooldown or not): held, nothing dispatched.
hosts maintenance active
config 1
run_cycle 2026-12-01T10:10:00Z --auto-approve
C3=20261201T101000Z
[ $rc -eq 0 ] && grep -q "held:" "$T/out" && grep -q "3 migrations exceed cycle.max_moves 1" "$T/out" &&
    [ "$(field $C3 'c["status"], g["decision"], g["reasons"]')" = "held held ['3 migrations exceed cycle.max_moves 1']" ] &&
    [ ! -e "$S/$C3/dispatch.log" ] && [ ! -e "$S/$C3/plan/dispatch.journal" ] &&
    ok "cycle 3: three moves above max_moves 1 are held, exit 0, nothing dispatched, gate.json says why" || bad "cycle 3: rc $rc: $(cat "$T/out")"
[ "$(field $C3 'step["plan"]["argv"][step["plan"]["argv"].index("--previous") + 1] == c["next_previous"]')" = "True" ] &&
    [ "$(field $C3 'c["next_previous"]')" = "$CK1" ] && [ "$(readlink "$S/latest")" = "$C3" ] &&
    ok "cycle 3: --previous is still cycle 1's checkpoint (through cycle 2), passed on again" || bad "cycle 3 chain: $(cat "$S/$C3/cycle.json")"

# 4. Approval: by digest only.
printf 'fnv1a64:0123456789abcdef\n' >"$T/other.approve"
run_cycle 2026-12-01T10:15:00Z --approve "$T/other.approve"
C4=20261201T101500Z
[ $rc -eq 0 ] && [ "$(field $C4 'c["status"]')" = "held" ] &&
    grep -q "the approval file does not name this plan" "$S/$C4/gate.json" &&
    ok "an approval naming another plan does not apply: held" || bad "cycle 4: rc $rc: $(cat "$T/out")"
D4=$(field $C4 'g["plan_digest"]')
[ "$D4" = "$(field $C3 'g["plan_digest"]')" ] && ok "the same fleet gives the same plan digest (what an approval names)" || bad "digests differ"
printf '# approved by the operator\n%s\n' "$D4" >"$T/ok.approve"
config 1 gone
run_cycle 2026-12-01T10:20:00Z --approve "$T/ok.approve"
C5=20261201T102000Z
[ $rc -eq 3 ] && grep -q "step dispatch failed (exit 3)" "$T/out" &&
    [ "$(field $C5 'c["status"], c["failed_step"], g["decision"], g["approved_by"]')" = "failed dispatch approved approval file" ] &&
    grep -q "approved above the limit: 3 migrations exceed cycle.max_moves 1" "$S/$C5/gate.json" &&
    grep -q "3 of 3 migrations skipped" "$S/$C5/dispatch.log" && [ "$(readlink "$S/latest")" = "$C4" ] &&
    ok "an approval naming the plan passes it above the limit; a failed dispatch fails the cycle (exit 3), latest stays" || bad "cycle 5: rc $rc: $(cat "$T/out")"
run_cycle 2026-12-01T10:25:00Z
C6=20261201T102500Z
[ $rc -eq 0 ] && [ "$(field $C6 'step["plan"]["argv"][step["plan"]["argv"].index("--previous") + 1]')" = "$CK1" ] &&
    grep -q 'cycle.approval is \\"file\\": give --approve FILE' "$S/$C6/gate.json" &&
    ok "the cycle after a failed one chains past it; approval \"file\" without a file holds" || bad "cycle 6: rc $rc: $(cat "$T/out" "$S/$C6/cycle.json")"

# 5. The lock, and bad input.
n=$(ls "$S" | wc -l)
set +e
flock "$S/.lock" "$FLEETPLAN" cycle --config "$T/cycle.toml" --state "$S" --auto-approve >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] && grep -q "another fleetplan cycle is running on $S" "$T/out" && [ "$(ls "$S" | wc -l)" = "$n" ] &&
    ok "a second cycle on a locked state directory: exit 3, nothing done" || bad "lock: rc $rc: $(cat "$T/out")"
printf '[cycle]\nconnect_uri_template = "test:///default"\n' >"$T/nohosts.toml"
expect2 "[cycle] without hosts" "nohosts.toml: cycle.hosts: required by fleetplan cycle" \
    cycle --config "$T/nohosts.toml" --state "$T/s2"
printf '[cycle]\nhosts = "hosts.csv"\napproval = "maybe"\nmax_moves = -5\n' >"$T/bad.toml"
expect2 "a bad approval mode names its line" "bad.toml:3:cycle.approval: unknown value 'maybe' (valid: auto, file)" \
    cycle --config "$T/bad.toml" --state "$T/s2"
expect2 "max_moves below -1" "bad.toml:4:cycle.max_moves" cycle --config "$T/bad.toml" --state "$T/s2"
expect2 "--approve with --auto-approve" "not both" \
    cycle --config "$T/cycle.toml" --state "$T/s2" --auto-approve --approve "$T/ok.approve"
[ ! -e "$T/s2" ] && ok "bad input creates no state directory" || bad "state directory created on bad input"

# 6. keep = 1 on a fleet with nothing to move.
hosts active active
config 5
printf 'keep = 1\n' >>"$T/cycle.toml"
S="$T/keep"
run_cycle 2026-12-02T10:00:00Z && run_cycle 2026-12-02T10:05:00Z
[ $rc -eq 0 ] && [ "$(ls "$S" | tr '\n' ' ')" = "20261202T100500Z history.csv latest " ] &&
    [ "$(readlink "$S/latest")" = 20261202T100500Z ] && ok "keep = 1: the older completed cycle is removed" || bad "keep: rc $rc: $(ls "$S")"
# 7. History: plan reads collect's history (DIR/history.csv's rows of the VMs collect found, as
#    DIR/<cycle>/history.csv: plan refuses a VM it does not know), and DIR/history.csv keeps the
#    samples of the newest history_keep cycles only, none closer than history_min_interval_s to
#    a newer one (a cycle rerun at once replaces the last sample instead of adding a duplicate).
S="$T/hist"
mkdir -p "$S"
config 5
printf 'history_keep = 2\n' >>"$T/cycle.toml"
t0=$(date +%s)
{
    echo "time,vm,cpu,mem,net"
    for back in 900 600 300; do for vm in web-1 web-2 db-1; do echo "$((t0 - back)),$vm,0.1,0.5,"; done; done
    echo "$((t0 - 300)),deleted-vm,0.1,0.5,"
} >"$S/history.csv"
times() { cut -d, -f1 "$S/history.csv" | tail -n +2 | sort -u | wc -l; }
run_cycle 2026-12-05T10:00:00Z --auto-approve
H1=20261205T100000Z
[ $rc -eq 0 ] && [ "$(field $H1 'step["plan"]["argv"][step["plan"]["argv"].index("--history") + 1]')" = "$S/$H1/history.csv" ] &&
    [ "$(field $H1 'c["history"]["rows_of_other_vms"]')" = 1 ] && ! grep -q deleted-vm "$S/$H1/history.csv" &&
    "$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert sum(s["history_rows_parsed_per_rank"]) == 6, s' "$S/$H1/plan/summary.json" &&
    ok "plan gets collect's history for the VMs collect found (a deleted VM's rows left out) and reads it" || bad "history to plan: rc $rc: $(cat "$T/out" "$S/$H1/cycle.json")"
[ "$(times)" = 2 ] && ! grep -q "^$((t0 - 600))," "$S/history.csv" && grep -q "^$((t0 - 300)),db-1," "$S/history.csv" &&
    [ "$(field $H1 'c["history"]["times_kept"], c["history"]["rows_dropped"]')" = "2 6" ] &&
    ok "history_keep = 2: the samples of the two newest cycles stay, older ones go" || bad "history trim: $(cat "$S/history.csv")"
run_cycle 2026-12-05T10:00:30Z --auto-approve
[ $rc -eq 0 ] && [ "$(times)" = 2 ] && [ "$(grep -c ',web-1,' "$S/history.csv")" = 2 ] &&
    grep -q "^$((t0 - 300)),web-1," "$S/history.csv" &&
    ok "a cycle rerun at once replaces the newest sample (no duplicate for plan to refuse)" || bad "history rerun: rc $rc: $(cat "$T/out" "$S/history.csv")"

# 8. A dispatch that moves one VM and fails another: h2 in maintenance, db-1 and db-2 go to h1;
#    dispatch finds db-1 on h1 already (finished) and cannot migrate db-2 (the test driver does
#    not migrate; no retries from [cycle] dispatch_retries = 0). The cycle is "partly dispatched"
#    (exit 3), records each move's outcome, and chains: the next plan cools down db-1 only.
S="$T/partly"
mkdir -p "$T/part"
test_node "$T/h1.xml" web-1 web-2
test_node "$T/h2.xml" db-1 db-2
test_node "$T/part/h1.xml" web-1 web-2 db-1
test_node "$T/part/h2.xml" db-2
hosts active maintenance
config 5 part
printf 'dispatch_retries = 0\ndispatch_backoff_s = 0\ndispatch_max_per_host = 1\n' >>"$T/cycle.toml"
run_cycle 2026-12-06T10:00:00Z --auto-approve
P1=20261206T100000Z
[ $rc -eq 3 ] && grep -q "step dispatch failed (exit 3); 1 migrations done" "$T/out" &&
    [ "$(field $P1 'c["status"], c["dispatch"]["finished"], c["dispatch"]["failed"]')" = "partly dispatched ['db-1 h2->h1'] ['db-2 h2->h1']" ] &&
    [ "$(field $P1 'c["next_previous"] == sys.argv[1] + "/plan/checkpoint.h5", "failed" in c["reason"]')" = "True True" ] &&
    [ "$(readlink "$S/latest")" = "$P1" ] &&
    ok "a partly failed dispatch: exit 3, \"partly dispatched\", each move's outcome recorded, chained" || bad "partly: rc $rc: $(cat "$T/out" "$S/$P1/cycle.json" 2>/dev/null)"
[ "$(field $P1 'tuple(step["dispatch"]["argv"][step["dispatch"]["argv"].index(f) + 1] for f in ("--retries", "--backoff", "--max-per-host"))')" = "0 0 1" ] &&
    grep -q '"retries": 0' "$S/$P1/plan/dispatch.json" &&
    ok "[cycle] dispatch_* options reach dispatch's command line" || bad "dispatch options: $(cat "$S/$P1/cycle.json")"
test_node "$T/h1.xml" web-1 web-2 db-1
test_node "$T/h2.xml" db-2
hosts active active
run_cycle 2026-12-06T10:05:00Z
P2=20261206T100500Z
[ $rc -eq 0 ] && [ "$(field $P2 'step["plan"]["argv"][step["plan"]["argv"].index("--previous") + 1]')" = "$S/$P1/plan/checkpoint.h5" ] &&
    "$PYTHON" -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["vms_in_cooldown"] == 1, s["vms_in_cooldown"]' "$S/$P2/plan/summary.json" &&
    ok "the next cycle chains to it: db-1 (moved) cools down, db-2 (failed) does not" || bad "after partly: rc $rc: $(cat "$T/out" "$S/$P2/plan/summary.json")"
# A dry run from [cycle]: the dispatch step prints its calls, moves nothing, passes the chain on.
hosts active maintenance
printf 'dispatch_dry_run = true\n' >>"$T/cycle.toml"
run_cycle 2026-12-06T10:10:00Z --auto-approve
P3=20261206T101000Z
[ $rc -eq 0 ] && [ "$(field $P3 'c["status"], "--dry-run" in step["dispatch"]["argv"], c["next_previous"] == c["previous"]')" = "dry run True True" ] &&
    [ ! -e "$S/$P3/plan/dispatch.journal" ] && grep -q "nothing done" "$S/$P3/dispatch.log" &&
    ok "dispatch_dry_run = true: a dry run, nothing moved, the chain passed on" || bad "dry run: rc $rc: $(cat "$T/out" "$S/$P3/cycle.json")"
printf '[cycle]\nhosts = "hosts.csv"\ndispatch_mode = "fast"\n' >"$T/badmode.toml"
expect2 "a bad dispatch_mode names its line" "badmode.toml:3:cycle.dispatch_mode: unknown value 'fast'" \
    cycle --config "$T/badmode.toml" --state "$T/s2"

# 9. Pruning counts completed cycles only, in time order ("-10" after "-2"); a cycle left
#    "running" (its process is gone: this one holds the lock) is marked interrupted and kept.
S="$T/prune"
mkdir -p "$S/20261207T090000Z"
printf '{"status": "running", "pid": 999999, "steps": []}\n' >"$S/20261207T090000Z/cycle.json"
for n in "" -2 -3 -4 -5 -6 -7 -8 -9 -10; do
    mkdir -p "$S/20261207T100000Z$n"
    printf '{"status": "nothing to move", "steps": []}\n' >"$S/20261207T100000Z$n/cycle.json"
done
hosts active active
config 5
printf 'keep = 2\n' >>"$T/cycle.toml"
run_cycle 2026-12-07T10:00:00Z
[ $rc -eq 0 ] && [ "$(ls "$S" | grep -v history | tr '\n' ' ')" = "20261207T090000Z 20261207T100000Z-10 20261207T100000Z-11 latest " ] &&
    [ "$(readlink "$S/latest")" = 20261207T100000Z-11 ] &&
    ok "keep = 2 keeps -10 and -11 (not -8 and -9), and does not count a running cycle" || bad "prune: rc $rc: $(ls "$S")"
[ "$(field 20261207T090000Z 'c["status"], "pid 999999" in c["reason"]')" = "interrupted True" ] &&
    grep -q "20261207T090000Z was interrupted" "$T/out" &&
    ok "a cycle left running is marked interrupted by the next one" || bad "interrupted: $(cat "$S/20261207T090000Z/cycle.json")"

# 10. Every exit records a final status: a cycle killed by SIGKILL while collect runs is found
#     interrupted by the next (which waits for the lock its orphaned step still holds); an error
#     after the steps (DIR/latest cannot be replaced) marks the cycle failed with the reason.
S="$T/killed"
mkdir -p "$S"
config 5
sed -i 's/^sample_seconds = .*/sample_seconds = 2.0/' "$T/cycle.toml"
"$FLEETPLAN" cycle --config "$T/cycle.toml" --state "$S" --now 2026-12-08T10:00:00Z >"$T/out" 2>&1 &
pid=$!
for _ in $(seq 50); do [ -e "$S/20261208T100000Z/collect.log" ] && break; sleep 0.1; done
kill -9 $pid
wait $pid 2>/dev/null || true
flock "$S/.lock" true
config 5
run_cycle 2026-12-08T10:05:00Z
[ $rc -eq 0 ] && [ "$(field 20261208T100000Z 'c["status"], "pid %d" % c["pid"] in c["reason"]')" = "interrupted True" ] &&
    ok "a cycle killed by SIGKILL is marked interrupted by the next one" || bad "killed: rc $rc: $(cat "$T/out" "$S/20261208T100000Z/cycle.json")"
rm "$S/latest"
mkdir -p "$S/latest/x"
run_cycle 2026-12-08T10:10:00Z
[ $rc -eq 3 ] && [ "$(field 20261208T101000Z 'c["status"], "latest: cannot update" in c["reason"]')" = "failed True" ] &&
    ok "an error after the steps: exit 3, the cycle recorded as failed with the reason" || bad "late error: rc $rc: $(cat "$T/out" "$S/20261208T101000Z/cycle.json")"
# 11. The state directory spelled two ways (a trailing slash, then a symlink to it): prune still
#     keeps the cycle whose checkpoint the chain passes on (paths are compared canonical).
S="$T/spelled"
test_node "$T/h1.xml" web-1 web-2
test_node "$T/h2.xml" db-1
hosts active maintenance
config 5
printf 'keep = 1\n' >>"$T/cycle.toml"
set +e
"$FLEETPLAN" cycle --config "$T/cycle.toml" --state "$S/" --now 2026-12-09T10:00:00Z --auto-approve >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] && [ "$(field 20261209T100000Z 'c["status"], c["next_previous"]')" = "dispatched $S/20261209T100000Z/plan/checkpoint.h5" ] &&
    ok "--state DIR/: the recorded paths have one spelling" || bad "spelled: rc $rc: $(cat "$T/out" "$S/20261209T100000Z/cycle.json")"
test_node "$T/h1.xml" web-1 web-2 db-1
test_node "$T/h2.xml"
hosts active active
ln -s "$S" "$T/spelled-link"
set +e
"$FLEETPLAN" cycle --config "$T/cycle.toml" --state "$T/spelled-link" --now 2026-12-09T10:05:00Z --auto-approve >"$T/out" 2>&1
rc=$?
set -e
[ $rc -eq 0 ] && [ "$(field 20261209T100500Z 'c["status"], c["next_previous"]')" = "nothing to move $S/20261209T100000Z/plan/checkpoint.h5" ] &&
    [ -f "$S/20261209T100000Z/plan/checkpoint.h5" ] &&
    ok "keep = 1 through a symlinked --state: the chained cycle stays" || bad "spelled prune: rc $rc: $(ls "$S"; cat "$T/out")"
finish
