# `collect` and `dispatch` against libvirt's test driver (a real libvirt in process, one node
# file per host; it cannot migrate): what collect writes, the dry run, a real dispatch that
# libvirt refuses (exit 3, VMs stay, journal says why), and bad input (exit 2, named).
source "$(dirname "$0")/common.sh"
test_node "$T/h1.xml" web-1 web-2
test_node "$T/h2.xml" db-1
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\n' >"$T/hosts.csv"
T1="test://$T/{id}.xml"

"$FLEETPLAN" collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c" --sample-seconds 0 >/dev/null
"$FLEETPLAN" collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c" --sample-seconds 0 >/dev/null
"$PYTHON" - "$T/c/vms.csv" "$T/c/history.csv" <<'PY' && ok "collect: vms.csv in the contract's form, history appended" || bad "collect output"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert [(r["id"], r["host"]) for r in rows] == [("web-1", "h1"), ("web-2", "h1"), ("db-1", "h2")], rows
assert all(r["mem_size"] == "256" and r["cpu_alloc"] == "2" for r in rows), rows
h = open(sys.argv[2]).read().splitlines()
assert h[0] == "time,vm,cpu,mem,net" and len(h) == 7, h
PY
[ "$(cat "$T/c/missing_hosts.csv")" = "host,error" ] && ok "collect: missing_hosts.csv with its header only when every host answered" || bad "missing_hosts.csv: $(cat "$T/c/missing_hosts.csv")"
# A host that cannot be reached (its node file does not exist): skipped with a warning naming it
# and libvirt's error, listed in missing_hosts.csv, the others written (exit 0 with a share
# allowed); --strict and a share above --max-missing-frac: exit 3 and nothing written.
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\nh3,4,8192,1000\n' >"$T/hosts3.csv"
"$FLEETPLAN" collect --hosts "$T/hosts3.csv" --connect-uri-template "$T1" --out "$T/m" --sample-seconds 0 \
    --max-missing-frac 0.5 >"$T/m.out" 2>"$T/m.err" && rc=0 || rc=$?
[ $rc -eq 0 ] && grep -q "warning: collect: host h3 skipped: test://$T/h3.xml: cannot connect" "$T/m.err" &&
    [ "$(cut -d, -f1,2 "$T/m/vms.csv" | tr '\n' ' ')" = "id,host web-1,h1 web-2,h1 db-1,h2 " ] &&
    [ "$(tail -n +2 "$T/m/missing_hosts.csv" | cut -d, -f1)" = "h3" ] && grep -q "1 missing" "$T/m.out" &&
    ok "collect: an unreachable host is skipped with a warning and listed in missing_hosts.csv" || bad "unreachable host: rc $rc: $(cat "$T/m.out" "$T/m.err")"
for p in 1 2 3; do
    "$FLEETPLAN" collect --hosts "$T/hosts3.csv" --connect-uri-template "$T1" --out "$T/m$p" --sample-seconds 0 \
        --max-missing-frac 0.5 --parallel $p >/dev/null 2>&1
done
cmp -s "$T/m1/vms.csv" "$T/m3/vms.csv" && cmp -s "$T/m1/vms.csv" "$T/m2/vms.csv" && cmp -s "$T/m1/missing_hosts.csv" "$T/m3/missing_hosts.csv" &&
    cmp -s "$T/m1/vms.csv" "$T/m/vms.csv" && ok "collect: --parallel 1, 2, 3 write the same files" || bad "collect differs with --parallel"
for args in "--strict --max-missing-frac 0.5" "" "--max-missing-frac 0.3"; do
    set +e
    # shellcheck disable=SC2086
    "$FLEETPLAN" collect --hosts "$T/hosts3.csv" --connect-uri-template "$T1" --out "$T/s" --sample-seconds 0 $args >"$T/s.out" 2>&1
    rc=$?
    set -e
    [ $rc -eq 3 ] && [ ! -e "$T/s" ] && grep -q "collect: 1 of 3 hosts could not be read" "$T/s.out" &&
        ok "collect ${args:-(default share 0.1)} with 1 of 3 hosts missing: exit 3, nothing written" || bad "collect $args: rc $rc: $(cat "$T/s.out")"
done
expect2 "collect --parallel 0" "--parallel: 0 is out of range" \
    collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c2" --parallel 0
expect2 "collect --max-missing-frac above 1" "--max-missing-frac: 2 is out of range" \
    collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c2" --max-missing-frac 2
# plan --missing-hosts: the unreachable h3 (big and, as collect saw it, empty) is neither a
# target nor a source, and summary.json says it is missing. h1 is full, so evacuating h2 has no
# room: without the list the plan would move db-1 to h3, whose VMs it cannot see.
printf 'id,cpu,mem,net\nh1,4,600,1000\nh2,4,8192,1000\nh3,64,65536,1000\n' >"$T/hosts3b.csv"
"$FLEETPLAN" plan --hosts "$T/hosts3b.csv" --vms "$T/m/vms.csv" --goal evacuate --evacuate h2 --out "$T/pm0" >/dev/null
"$FLEETPLAN" plan --hosts "$T/hosts3b.csv" --vms "$T/m/vms.csv" --goal evacuate --evacuate h2 \
    --missing-hosts "$T/m/missing_hosts.csv" --out "$T/pm" >/dev/null
[ "$(tail -n +2 "$T/pm0/plan.csv" | cut -d, -f2,3,4)" = "db-1,h2,h3" ] && ok "without --missing-hosts the unreachable host looks empty (a target)" || bad "pm0: $(cat "$T/pm0/plan.csv")"
"$PYTHON" - "$T/pm/plan.csv" "$T/pm/summary.json" <<'PY' && ok "plan --missing-hosts: the missing host is neither source nor target, summary lists it" || bad "plan --missing-hosts: $(cat "$T/pm/plan.csv" "$T/pm/summary.json")"
import csv, json, sys
moves = list(csv.DictReader(open(sys.argv[1])))
assert not any("h3" in (m["source"], m["target"]) for m in moves), moves
s = json.load(open(sys.argv[2]))
assert s["fleet_changes"]["hosts_missing"] == ["h3"], s
assert s["hosts"] == 2 and s["vms"] == 3, s
assert [u["host"] for u in s["unresolved"]] == ["h2"], s["unresolved"]
PY
printf 'host,error\nh9,down\n' >"$T/bad_missing.csv"
expect2 "--missing-hosts naming a host not in hosts.csv" "bad_missing.csv:2:host: unknown host 'h9'" \
    plan --hosts "$T/hosts3b.csv" --vms "$T/m/vms.csv" --missing-hosts "$T/bad_missing.csv" --out "$T/pm2"
# The collected fleet plans (hosts.csv + collect's vms.csv are valid plan inputs).
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/c/vms.csv" --goal evacuate --evacuate h2 --out "$T/p" >/dev/null &&
    [ "$(tail -n +2 "$T/p/plan.csv" | cut -d, -f2,3,4)" = "db-1,h2,h1" ] && ok "collect's output plans: evacuate h2" || bad "plan from collect"

"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" \
    --migrate-uri-template 'tcp://{address}' --mode auto --dry-run >"$T/dry.out"
grep -q 'wave 1:' "$T/dry.out" && grep -q 'virDomainLookupByName("db-1")' "$T/dry.out" && grep -q 'migrate_uri="tcp://h1"' "$T/dry.out" &&
    [ ! -e "$T/p/dispatch.journal" ] && ok "dry run: the calls per wave, nothing written" || bad "dry run: $(cat "$T/dry.out")"
grep -q "expected duration: .* for 1 migration in 1 wave at dispatch's limits (2 per host, 16 in all)" "$T/dry.out" &&
    grep -q "the plan's estimate at its limits (2 per host, 16 in all): " "$T/dry.out" && grep -q "flagged moves: none" "$T/dry.out" &&
    ok "dry run: expected duration at dispatch's and the plan's limits" || bad "dry run estimate: $(cat "$T/dry.out")"
# A hand-written plan with a flagged move, on hosts in two sites.
mkdir -p "$T/flag"
cat >"$T/flag/plan.csv" <<'CSV'
step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags
1,web-1,h1,h2,700.5,350.25,evacuate,0.000,over-downtime;over-timeout
1,new-x,,h2,0.000,0.000,new,0.000,
1,web-2,h1,h2,30,12,consolidate,0.000,
2,db-1,h2,h1,100,5,evacuate,700.5,
CSV
printf 'id,cpu,mem,net,site\nh1,4,8192,1000,east\nh2,4,8192,1000,west\n' >"$T/sites.csv"
"$FLEETPLAN" dispatch --plan "$T/flag" --hosts "$T/sites.csv" --connect-uri-template "$T1" --max-per-host 1 --dry-run >"$T/flag.out" 2>/dev/null
grep -qF "expected duration: 13 min 51 s (830 s) for 3 migrations in 2 waves at dispatch's limits (1 per host, 16 in all)" "$T/flag.out" &&
    grep -qF "the plan's estimate: unknown (no checkpoint.h5 with the plan's limits)" "$T/flag.out" &&
    grep -qF "flagged moves: 1 of 3 break a [migration] limit of the plan:" "$T/flag.out" &&
    grep -qE "^  web-1  h1 -> h2 +700.5 s +350.2 ms +over-downtime;over-timeout$" "$T/flag.out" &&
    grep -qF "over the timeout: 1 migration estimated to take longer than 600 s" "$T/flag.out" &&
    grep -qF "cross-site moves: 3 of 3" "$T/flag.out" &&
    tail -1 "$T/flag.out" | grep "^3 migrations in dry run (1 new-VM placements are not migrations); nothing done$" >/dev/null &&
    ok "dry run: duration at dispatch's limits, the flagged move, the cross-site count" || bad "flagged dry run: $(cat "$T/flag.out")"
printf 'step,vm,source,target,est_seconds\n1,web-1,h1,h2,soon\n' >"$T/flag/plan.csv"
expect2 "a bad est_seconds in plan.csv" "plan.csv:2:est_seconds: not a number: 'soon'" \
    dispatch --plan "$T/flag" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run

set +e
"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --retries 1 --backoff 0 >"$T/d.out" 2>"$T/d.err"
rc=$?
set -e
[ $rc -eq 3 ] && grep -q "failed: db-1 h2 -> h1" "$T/d.out" && ok "a migration libvirt refuses: exit 3, reason shown" || bad "refused dispatch rc $rc: $(cat "$T/d.out")"
[ "$(grep -c ',started,' "$T/p/dispatch.journal")" -eq 2 ] && [ "$(grep -c ',failed,' "$T/p/dispatch.journal")" -eq 2 ] &&
    ok "journal: two attempts, two failures" || bad "journal: $(cat "$T/p/dispatch.journal")"
grep -q "dispatch: " "$T/d.err" && ok "progress line on stderr" || bad "no progress line"
"$PYTHON" - "$T/p/dispatch.json" <<'PY' && ok "dispatch defaults to the plan's limits (2 per host, 16 in all, timeout 600 s)" || bad "dispatch.json: $(cat "$T/p/dispatch.json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert (d["max_per_host"], d["max_total"], d["timeout_s"]) == (2, 16, 600), d
PY

# A plan with its own limits: dispatch takes them, a flag may only lower them.
printf '[waves]\nmax_per_host = 1\nmax_total = 3\n[migration]\ntimeout_s = 120\n' >"$T/tight.toml"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/c/vms.csv" --goal evacuate --evacuate h2 --config "$T/tight.toml" --out "$T/pt" >/dev/null
"$FLEETPLAN" dispatch --plan "$T/pt" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --max-total 5 --dry-run >"$T/dt.out" 2>"$T/dt.err"
grep -q "migrations per host  1  (the plan's)" "$T/dt.out" && grep -q "migrations in all    3  (the plan's; --max-total may only lower it)" "$T/dt.out" &&
    grep -q "timeout              120 s  (the plan's)" "$T/dt.out" && grep -q "warning: --max-total 5 exceeds the plan's 3; using 3" "$T/dt.err" &&
    ok "dry run: the plan's own limits and timeout; a higher --max-total is refused with a warning" || bad "tight limits: $(cat "$T/dt.out" "$T/dt.err")"
"$FLEETPLAN" dispatch --plan "$T/pt" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --max-total 2 --timeout 60 --dry-run >"$T/dt.out"
grep -q "migrations in all    2  (--max-total)" "$T/dt.out" && grep -q "timeout              60 s  (--timeout)" "$T/dt.out" &&
    ok "dry run: flags lower the plan's limits" || bad "lowered limits: $(cat "$T/dt.out")"
printf '[waves]\nmax_total = 0\n' >"$T/nolimit.toml"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/c/vms.csv" --goal evacuate --evacuate h2 --config "$T/nolimit.toml" --out "$T/pn" >/dev/null
"$FLEETPLAN" dispatch --plan "$T/pn" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run >"$T/dn.out" 2>"$T/dn.err"
grep -qF "migrations in all    16  (default: the plan sets no limit (0))" "$T/dn.out" &&
    grep -qF "note: the plan sets no limit (0); using the config's defaults: --max-total 16" "$T/dn.err" &&
    ok "a plan without a total limit: the config's default, and a note" || bad "no total limit: $(cat "$T/dn.out" "$T/dn.err")"
# A hand-written plan (no checkpoint): the config's defaults, and a note saying so.
mkdir -p "$T/hand" && cp "$T/p/plan.csv" "$T/hand/"
"$FLEETPLAN" dispatch --plan "$T/hand" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run >"$T/dh.out" 2>"$T/dh.err"
grep -q "migrations in all    16  (default: the plan has no checkpoint.h5 with its limits)" "$T/dh.out" &&
    grep -qF "note: the plan has no checkpoint.h5 with its limits; using the config's defaults: --max-per-host 2, --max-total 16, --timeout 600 s" "$T/dh.err" &&
    ok "no checkpoint: the config's default limits, and a note" || bad "no checkpoint: $(cat "$T/dh.out" "$T/dh.err")"

printf 'id,cpu,mem,net,address\nh1,4,8192,1000,a;reboot\nh2,4,8192,1000,b\n' >"$T/evil.csv"
expect2 "an address unfit for a URI is refused before anything runs" "evil.csv:2:address: not a host name" \
    dispatch --plan "$T/p" --hosts "$T/evil.csv" --connect-uri-template 'qemu+ssh://{address}/system' --dry-run
expect2 "unknown placeholder" "unknown placeholder" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template 'qemu://{host}/' --dry-run
printf 'id,cpu,mem,net\nh1,4,8192,1000\n' >"$T/one.csv"
expect2 "a plan host missing from hosts.csv" "'h2' of VM 'db-1' is not in" dispatch --plan "$T/p" --hosts "$T/one.csv" --connect-uri-template "$T1" --dry-run
expect2 "a second dispatch of a started plan" "already started" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1"
expect2 "--resume with other flags" "cannot be combined with --resume" dispatch --resume "$T/p" --retries 3
mkdir -p "$T/q" && cp "$T/p/plan.csv" "$T/q/" && printf 'time_s,move,event,vm,source,target,attempt,seconds,downtime_ms,reason\n1,0,flying,db-1,h2,h1,1,0,-1,\n' >"$T/q/dispatch.journal"
cp "$T/p/dispatch.json" "$T/q/"
expect2 "a malformed journal names line and field" "dispatch.journal:2:event" dispatch --resume "$T/q"
# A well-formed journal of another plan: named by its path, as bad input.
printf 'time_s,move,event,vm,source,target,attempt,seconds,downtime_ms,reason\n1,0,queued,other-vm,h2,h1,0,0,-1,\n' >"$T/q/dispatch.journal"
expect2 "a journal of another plan names the journal" "$T/q/dispatch.journal: move 0 does not match the plan" \
    dispatch --resume "$T/q"
expect2 "bad --mode" "valid: precopy, postcopy, auto" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --mode fast
printf 'step,vm,source,target\n1,db-1,h2\n' >"$T/q/plan.csv"
rm -f "$T/q/dispatch.journal"
expect2 "collect --sample-seconds below its range" "--sample-seconds: -1 is out of range [0, 3600]" \
    collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c2" --sample-seconds -1
expect2 "collect --sample-seconds above its range" "--sample-seconds: 7200 is out of range [0, 3600]" \
    collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c2" --sample-seconds 7200
expect2 "collect --sample-seconds not a number" "--sample-seconds: expected a finite number, got 'nan'" \
    collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c2" --sample-seconds nan
[ ! -e "$T/c2" ] && ok "a refused collect writes nothing" || bad "a refused collect wrote $T/c2"
# A dispatch holds DIR/commit.lock for its whole run: a new plan into that directory is refused
# (exit 3), and the dispatched plan stays as it is.
flock "$T/p/commit.lock" sleep 20 &
locker=$!
sleep 0.3
set +e
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/c/vms.csv" --goal balance --out "$T/p" >"$T/lock.out" 2>&1
rc=$?
set -e
kill "$locker" 2>/dev/null || true
wait "$locker" 2>/dev/null || true
[ $rc -eq 3 ] && grep -q "another fleetplan process is writing or dispatching" "$T/lock.out" &&
    [ "$(tail -n +2 "$T/p/plan.csv" | cut -d, -f2,3,4)" = "db-1,h2,h1" ] &&
    ok "a plan into a directory being dispatched: exit 3, the plan there unchanged" || bad "locked dir: rc $rc: $(cat "$T/lock.out")"
expect2 "a malformed plan.csv" "plan.csv:2:target: expected 4 fields" dispatch --plan "$T/q" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run
finish
