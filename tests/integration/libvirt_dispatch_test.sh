# Real live migrations end to end: two libvirtd in their own network namespaces with tiny QEMU
# guests (tests/integration/libvirt_env.sh); `collect` reads them, `plan` on a crafted fleet
# moves guests both ways in 2 waves, `dispatch` carries it out for real; every VM is verified on
# its target, the journal and the checkpoint's /dispatch record it, migration time and downtime
# as libvirt reports them are printed. Everything started is stopped by PID, also on failure.
source "$(dirname "$0")/common.sh"
source "$(dirname "$0")/libvirt_env.sh"
L=/tmp/fpd-$$
cleanup() { lv_down; rm -rf "$L"; }
trap cleanup EXIT

t0=$(date +%s.%N)
lv_up 2 2 || { bad "libvirt environment did not start"; finish; exit 1; }
echo "libvirt: two daemons and 4 guests up in $(echo "$(date +%s.%N) - $t0" | bc) s"
lv_fleet_files "$L"

# collect: the four guests where they run.
"$FLEETPLAN" collect --hosts "$T/hosts.csv" --connect-uri-template "$T1" --out "$T/c" \
    --sample-seconds 0.5 >"$T/collect.out"
"$PYTHON" - "$T/c/vms.csv" "$T/c/history.csv" <<'PY' && ok "collect: 4 guests on their hosts, sizes and history" || bad "collect output"
import csv, sys
rows = {r["id"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == {"vm-1-1", "vm-1-2", "vm-2-1", "vm-2-2"}, rows
for k, r in rows.items():
    assert r["host"] == "host" + k[3], r
    assert 60 <= float(r["mem_size"]) <= 70 and float(r["cpu"]) >= 0 and r["cpu_alloc"] == "1", r
h = list(csv.DictReader(open(sys.argv[2])))
assert len(h) == 4 and all(0 <= float(x["cpu"]) <= 1 for x in h), h
PY

# A crafted fleet from what collect saw: host1 busy in CPU, host2 less so in memory; balancing
# moves a guest each way, one migration per host at a time (2 waves).
"$PYTHON" - "$T/c/vms.csv" "$T/vms.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
demand = {"vm-1-1": (2.0, 100), "vm-1-2": (1.6, 2000), "vm-2-1": (0.2, 1500), "vm-2-2": (0.6, 100)}
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["id", "host", "cpu", "mem", "net", "mem_size"])
    for r in rows:
        cpu, mem = demand[r["id"]]
        w.writerow([r["id"], r["host"], cpu, mem, 10, mem])
PY
printf '[waves]\nmax_per_host = 1\n' >"$T/plan.toml"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal balance --config "$T/plan.toml" \
    --out "$T/p" >/dev/null
"$PYTHON" - "$T/p/plan.csv" <<'PY' && ok "plan: guests move both ways in 2 waves" || bad "plan is not 2 waves both ways: $(cat "$T/p/plan.csv")"
import csv, sys
m = list(csv.DictReader(open(sys.argv[1])))
assert len({r["step"] for r in m}) >= 2, m
assert {(r["source"], r["target"]) for r in m} >= {("host1", "host2"), ("host2", "host1")}, m
PY

# dry run: the calls, nothing done.
"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" \
    --dest-uri-template "$T2" --migrate-uri-template "$T3" --dry-run >"$T/dry.out"
grep -q "virDomainMigrateToURI3(dconnuri=\"qemu+tcp://$LV_IP2/system\"" "$T/dry.out" && [ ! -e "$T/p/dispatch.journal" ] &&
    ok "dry run prints the calls and writes nothing" || bad "dry run: $(cat "$T/dry.out")"

# dispatch for real.
t0=$(date +%s.%N)
"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" \
    --dest-uri-template "$T2" --migrate-uri-template "$T3" >"$T/dispatch.out" 2>"$T/dispatch.err" &&
    ok "dispatch: exit 0" || bad "dispatch failed: $(cat "$T/dispatch.out" "$T/dispatch.err")"
echo "dispatch of $(($(wc -l <"$T/p/plan.csv") - 1)) migrations took $(echo "$(date +%s.%N) - $t0" | bc) s"
all_on_target=1
while IFS=, read -r step vm src dst rest; do
    [ "$step" = step ] && continue
    n=${dst#host}
    m=${src#host}
    [ "$(lv_domstate "$n" "$vm")" = running ] && [ "$(lv_domstate "$m" "$vm")" = absent ] || all_on_target=0
done <"$T/p/plan.csv"
[ $all_on_target -eq 1 ] && ok "every VM runs on its target and not on its source" || bad "a VM is not where the plan put it"
"$PYTHON" - "$T/p/dispatch.journal" "$T/p/plan.csv" <<'PY' && ok "journal: queued, started and finished once per move, with libvirt's figures" || bad "journal: $(cat "$T/p/dispatch.journal")"
import csv, sys
j = list(csv.DictReader(open(sys.argv[1])))
n = len(list(csv.DictReader(open(sys.argv[2]))))
for mv in range(n):
    ev = [r["event"] for r in j if int(r["move"]) == mv]
    assert ev == ["queued", "started", "finished"], (mv, ev)
for r in j:
    if r["event"] == "finished":
        print(f"  {r['vm']}: {r['source']} -> {r['target']}: {float(r['seconds']):.2f} s, downtime {r['downtime_ms']} ms (libvirt)")
PY
"$PYTHON" -c "
import h5py, sys
f = h5py.File(sys.argv[1], 'r')
ev = [e.decode() for e in f['/dispatch/event_names'][...][f['/dispatch/event'][...]]]
assert ev.count('finished') >= 2, ev
" "$T/p/checkpoint.h5" && ok "checkpoint.h5 holds the journal in /dispatch" || bad "no /dispatch in the checkpoint"
"$FLEETPLAN" inspect "$T/p/checkpoint.h5" | grep "dispatch: .* finished" >/dev/null && ok "inspect shows dispatch progress" || bad "inspect: no dispatch progress"

# A second dispatch of the same plan is refused; --resume of a finished one repeats nothing.
set +e
"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" >"$T/again.out" 2>&1
rc=$?
set -e
[ $rc -eq 2 ] && grep -q "already started" "$T/again.out" && ok "a second dispatch is refused (exit 2)" || bad "second dispatch rc $rc"
lines=$(wc -l <"$T/p/dispatch.journal")
"$FLEETPLAN" dispatch --resume "$T/p" >/dev/null 2>&1 && [ "$(grep -c ',started,' "$T/p/dispatch.journal")" -eq 2 ] &&
    ok "resume of a finished dispatch starts nothing" || bad "resume repeated a migration"
finish
