# Dispatch faults with real daemons (tests/integration/libvirt_env.sh):
#  1. fleetplan is killed (-9) mid-plan and a guest is destroyed meanwhile: --resume settles the
#     move that was in flight by asking libvirt, skips the destroyed guest's move with its
#     reason, finishes the rest, and repeats no finished migration;
#  2. the target's libvirtd is killed mid-plan: the moves fail (exit 3) and their VMs keep
#     running on their source; after the daemon is back, --resume finishes them;
#  3. a migration that outlives --timeout is aborted (virDomainAbortJob) and the VM keeps running
#     on its source.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/libvirt_env.sh"
L=/tmp/fpf-$$
DPID=""
cleanup() {
    [ -n "$DPID" ] && kill -9 "$DPID" 2>/dev/null || true
    lv_down
    rm -rf "$L"
}
trap cleanup EXIT

lv_up 4 0 || { bad "libvirt environment did not start"; finish; exit 1; }
lv_fleet_files "$L"
guest() { # NAME: one more tiny guest on host 1
    lv_virsh 1 create /dev/stdin >/dev/null <<XML
<domain type="qemu"><name>$1</name><memory unit="MiB">64</memory><vcpu>1</vcpu>
<os><type arch="x86_64" machine="pc">hvm</type></os><cpu mode="custom"><model>qemu64</model></cpu>
<devices><serial type="pty"/><memballoon model="none"/></devices></domain>
XML
}
vms() { # the guests on host $1 as a fleet
    printf 'id,host,cpu,mem,net,mem_size\n'
    for v in "$@"; do printf '%s,host1,0.2,64,1,64\n' "$v"; done
}
evacuate_plan() { # DIR VMS...: a plan that moves them host1 -> host2, one at a time
    local d=$1
    shift
    vms "$@" >"$T/$d.vms.csv"
    printf '[waves]\nmax_per_host = 1\n' >"$T/one.toml"
    "$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/$d.vms.csv" --goal evacuate --evacuate host1 \
        --config "$T/one.toml" --out "$T/$d" >/dev/null
}
dispatch() { # DIR [flags...]  (exec: run in the background, $! is fleetplan itself)
    local d=$1
    shift
    exec "$FLEETPLAN" dispatch --plan "$T/$d" --hosts "$T/hosts.csv" --connect-uri-template "$T1" \
        --dest-uri-template "$T2" --migrate-uri-template "$T3" --backoff 0.2 "$@"
}
# started and finished events per move, from the journal
events() { "$PYTHON" -c "
import csv, sys, collections
c = collections.Counter((r['vm'], r['event']) for r in csv.DictReader(open(sys.argv[1])))
print(' '.join(f'{v}:{e}={n}' for (v, e), n in sorted(c.items()) if e in ('started', 'finished')))" "$1"; }

# ---- 1. kill -9 of fleetplan mid-plan, a guest destroyed, then --resume ----
evacuate_plan a vm-1-1 vm-1-2 vm-1-3 vm-1-4
[ "$(($(wc -l <"$T/a/plan.csv") - 1))" -eq 4 ] && ok "plan: 4 moves in 4 waves" || bad "plan: $(cat "$T/a/plan.csv")"
(dispatch a) >"$T/a.out" 2>&1 &
DPID=$!
# Kill it as soon as the second move has started: that migration is in flight.
for _ in $(seq 1 1200); do grep -q ',1,started,' "$T/a/dispatch.journal" 2>/dev/null && break; sleep 0.02; done
kill -9 "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
DPID=""
before=$(events "$T/a/dispatch.journal")
echo "killed after: $before"
# The last planned guest is destroyed while no dispatch runs.
last=$(tail -1 "$T/a/plan.csv" | cut -d, -f2)
lv_virsh 1 destroy "$last" >/dev/null
# While another process holds the plan's dispatch lock, a dispatcher is refused (exit 3).
flock "$T/a/dispatch.lock" sleep 30 &
FL=$!
sleep 0.3
set +e
"$FLEETPLAN" dispatch --resume "$T/a" >"$T/locked.out" 2>&1
rc=$?
set -e
pkill -P "$FL" 2>/dev/null || true  # the sleep holds the lock, flock waits for it
wait "$FL" 2>/dev/null || true
[ $rc -eq 3 ] && grep -q "another fleetplan dispatch" "$T/locked.out" && ok "a second dispatcher of one plan is refused" || bad "lock: rc $rc"
"$FLEETPLAN" dispatch --resume "$T/a" --allow-skips >"$T/a2.out" 2>&1 && ok "resume after kill -9 (a move skipped, --allow-skips): exit 0" || bad "resume after kill -9 failed: $(cat "$T/a2.out")"
"$PYTHON" - "$T/a/dispatch.journal" "$T/a/plan.csv" "$last" <<'PY' && ok "resume after kill -9: finished moves not repeated, the destroyed guest skipped, the rest done" || bad "resume after kill -9: $(cat "$T/a/dispatch.journal")"
import csv, sys
j = list(csv.DictReader(open(sys.argv[1])))
plan = list(csv.DictReader(open(sys.argv[2])))
last = sys.argv[3]
for i, m in enumerate(plan):
    ev = [r for r in j if int(r["move"]) == i]
    fin = [r for r in ev if r["event"] == "finished"]
    if m["vm"] == last:
        assert ev[-1]["event"] == "skipped" and "not running on its planned source" in ev[-1]["reason"], ev
        continue
    assert len(fin) == 1, (m["vm"], [r["event"] for r in ev])
    # Nothing started again after a finish.
    k = ev.index(fin[0])
    assert all(r["event"] != "started" for r in ev[k + 1:]), ev
PY
all=1
for v in $(tail -n +2 "$T/a/plan.csv" | cut -d, -f2); do
    [ "$v" = "$last" ] && continue
    [ "$(lv_domstate 2 "$v")" = running ] && [ "$(lv_domstate 1 "$v")" = absent ] || all=0
done
[ $all -eq 1 ] && ok "every surviving guest runs on host2 only" || bad "a guest is not on host2"

# ---- 2. the target's libvirtd dies mid-plan ----
# Two new guests on host1 (mode auto: post-copy and compression flags).
guest vm-1-5
guest vm-1-6
evacuate_plan b vm-1-5 vm-1-6
lv_kill_daemon 2
set +e
(dispatch b --retries 1 --mode auto) >"$T/b.out" 2>&1
rc=$?
set -e
[ $rc -eq 3 ] && grep -q "failed" "$T/b.out" && ok "target daemon down: dispatch exits 3" || bad "daemon down: rc $rc $(cat "$T/b.out")"
[ "$(lv_domstate 1 vm-1-5)" = running ] && [ "$(lv_domstate 1 vm-1-6)" = running ] &&
    ok "failed moves leave their VMs running on the source" || bad "VMs not on their source"
lv_restart_daemon 2
"$FLEETPLAN" dispatch --resume "$T/b" >"$T/b2.out" 2>&1 && ok "after the daemon is back, --resume finishes (exit 0)" || bad "resume b: $(cat "$T/b2.out")"
[ "$(lv_domstate 2 vm-1-5)" = running ] && [ "$(lv_domstate 2 vm-1-6)" = running ] &&
    [ "$(lv_domstate 1 vm-1-5)" = absent ] && ok "both VMs now run on host2" || bad "after resume b"
[ "$(grep -c ',finished,' "$T/b/dispatch.journal")" -eq 2 ] && ok "each move finished exactly once" || bad "finished count"

# ---- 2b. resume while the killed dispatcher's migration still runs inside libvirt ----
# (the VM shows on both hosts: resume waits for that job instead of starting another)
guest vm-1-8
evacuate_plan e vm-1-8
(dispatch e --bandwidth 1 --retries 0 --timeout 120) >"$T/e.out" 2>&1 &
DPID=$!
for _ in $(seq 1 1200); do grep -q ',0,started,' "$T/e/dispatch.journal" 2>/dev/null && break; sleep 0.02; done
sleep 0.3
kill -9 "$DPID" 2>/dev/null || true
wait "$DPID" 2>/dev/null || true
DPID=""
echo "after the kill: host1 $(lv_domstate 1 vm-1-8), host2 $(lv_domstate 2 vm-1-8)"
"$FLEETPLAN" dispatch --resume "$T/e" >"$T/e2.out" 2>&1 && ok "resume during an in-flight migration: exit 0" || bad "resume in flight: $(cat "$T/e2.out" "$T/e/dispatch.journal")"
[ "$(grep -c ',started,' "$T/e/dispatch.journal")" -eq 1 ] && [ "$(grep -c ',finished,' "$T/e/dispatch.journal")" -eq 1 ] &&
    ok "the in-flight migration was waited for, not started again" || bad "in flight: $(cat "$T/e/dispatch.journal")"
[ "$(lv_domstate 2 vm-1-8)" = running ] && [ "$(lv_domstate 1 vm-1-8)" = absent ] && ok "vm-1-8 runs on host2" || bad "vm-1-8 placement"
"$FLEETPLAN" inspect "$T/e/checkpoint.h5" | grep "1 finished" >/dev/null && ok "the fold after resume reached checkpoint.h5" || bad "stale /dispatch after resume"

# ---- 2c. killed between the journal's "started" and the migration call ----
guest vm-1-9
guest vm-1-10
evacuate_plan f vm-1-9 vm-1-10
set +e
(FP_CRASH_AT=journal:2 dispatch f) >"$T/f.out" 2>&1
rc=$?
set -e
[ $rc -eq 137 ] && [ "$(lv_domstate 1 vm-1-9)" = running ] && ok "killed after 'started' was durable, before migrating" || bad "crash point: rc $rc"
"$FLEETPLAN" dispatch --resume "$T/f" >"$T/f2.out" 2>&1 && [ "$(grep -c ',finished,' "$T/f/dispatch.journal")" -eq 2 ] &&
    [ "$(lv_domstate 2 vm-1-9)" = running ] && [ "$(lv_domstate 2 vm-1-10)" = running ] &&
    ok "resume migrates what was announced but never started, each move once" || bad "resume f: $(cat "$T/f/dispatch.journal")"

# ---- 3. a migration slower than --timeout is aborted; the VM stays on its source ----
guest vm-1-7
evacuate_plan c vm-1-7
t0=$(date +%s)
set +e
(dispatch c --bandwidth 1 --timeout 0.2 --retries 0) >"$T/c.out" 2>&1
rc=$?
set -e
echo "timeout case took $(($(date +%s) - t0)) s"
[ $rc -eq 3 ] && grep -q ',aborted,' "$T/c/dispatch.journal" && grep -q "timed out" "$T/c/dispatch.journal" &&
    ok "a migration over its timeout is aborted (exit 3, journal: aborted)" || bad "timeout: rc $rc $(cat "$T/c.out") $(cat "$T/c/dispatch.journal")"
[ "$(lv_domstate 1 vm-1-7)" = running ] && [ "$(lv_domstate 2 vm-1-7)" = absent ] &&
    ok "the aborted VM keeps running on its source" || bad "aborted VM: host1 $(lv_domstate 1 vm-1-7), host2 $(lv_domstate 2 vm-1-7)"
finish
