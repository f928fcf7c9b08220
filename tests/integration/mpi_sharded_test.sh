# The sharded planner under mpirun: for P in {1,2,3,4} ranks (oversubscribed) and 1 or 2 threads,
# plan.csv is byte-identical and summary.json identical less timings. The fixture has twelve
# shards, many ties (identical host types and VM sizes), a rack being evacuated (its VMs can only
# go to other shards: the global step), and at least 3 waves. With P=4 no rank holds more than
# about a quarter of the VM rows. A bad row in the last rank's partition stops every rank with
# one message and exit code 2.
source "$(dirname "$0")/common.sh"
sharded_fleet
EVAC=$(awk -F, 'NR>1 && $5=="r02" {printf "%s%s", sep, $1; sep=","}' "$H")
[ -n "$EVAC" ] && ok "rack r02 to evacuate: $(echo "$EVAC" | tr ',' '\n' | wc -l) hosts" || bad "no rack r02"
run() {  # run P THREADS DIR
    timeout 300 "$MPIRUN" -np "$1" "$FLEETPLAN" plan --hosts "$H" --vms "$V" --config "$CFG" \
        --evacuate "$EVAC" --threads "$2" --out "$3" >"$3.out" 2>"$3.err"
}
run 1 1 "$T/ref" || bad "reference run failed: $(cat "$T/ref.err")"
check_plan "$H" "$V" "$T/ref" --evacuate "$EVAC"
read -r waves evac_moves global_moves <<<"$("$PYTHON" - "$T/ref" "$H" <<'PY'
import csv, json, sys
d, hosts = sys.argv[1], sys.argv[2]
rack = {r["id"]: r["rack"] for r in csv.DictReader(open(hosts))}
s = json.load(open(d + "/summary.json"))
moves = list(csv.DictReader(open(d + "/plan.csv")))
evac = [m for m in moves if m["reason"] == "evacuate"]
far = [m for m in evac if rack[m["source"]] == "r02" and rack[m["target"]] != "r02"]
print(s["waves"], len(evac), len(far))
PY
)"
[ "$waves" -ge 3 ] && ok "reference plan has $waves waves" || bad "only $waves waves"
[ "$global_moves" -gt 0 ] && ok "$global_moves evacuees placed in other shards" ||
    bad "no VM left rack r02 for another shard ($evac_moves evacuation moves)"
for P in 1 2 3 4; do
    for t in 1 2; do
        d="$T/p${P}t$t"
        if ! run "$P" "$t" "$d"; then
            bad "P=$P threads=$t failed: $(head -3 "$d.err")"
            continue
        fi
        cmp -s "$T/ref/plan.csv" "$d/plan.csv" && ok "P=$P threads=$t: plan.csv identical" ||
            bad "P=$P threads=$t: plan.csv differs"
        [ "$(stable_summary "$T/ref/summary.json")" = "$(stable_summary "$d/summary.json")" ] &&
            ok "P=$P threads=$t: summary identical less timings" || bad "P=$P threads=$t: summary differs"
        [ "$(grep -c '^goal auto' "$d.out")" = 1 ] || bad "P=$P: output from several ranks"
    done
done
read -r ranks rows total <<<"$("$PYTHON" -c "
import json,sys; s=json.load(open(sys.argv[1])); print(s['ranks'], s['max_vm_rows_per_rank'], s['vms'])" "$T/p4t1/summary.json")"
[ "$ranks" = 4 ] && ok "summary says ranks: 4" || bad "ranks=$ranks"
# Three of twelve racks per rank: a quarter of the rows, give or take the racks' sizes.
if [ "$rows" -le $((total * 30 / 100)) ]; then ok "P=4: at most $rows of $total VM rows on a rank"; else bad "P=4: a rank held $rows of $total VM rows"; fi

# The checkpoint written by rank 0 at P=3 (from every rank's rows) resumes to the same plan, in
# one process and under P=2.
"$FLEETPLAN" plan --resume "$T/p3t1/checkpoint.h5" --out "$T/resumed1" >/dev/null &&
    cmp -s "$T/ref/plan.csv" "$T/resumed1/plan.csv" && ok "P=3 checkpoint resumes to the same plan" ||
    bad "resume of the P=3 checkpoint differs"
timeout 300 "$MPIRUN" -np 2 "$FLEETPLAN" plan --resume "$T/p3t1/checkpoint.h5" --out "$T/resumed2" >/dev/null &&
    cmp -s "$T/ref/plan.csv" "$T/resumed2/plan.csv" && ok "... and under P=2" || bad "P=2 resume differs"
n=$("$FLEETPLAN" inspect --json "$T/p3t1/checkpoint.h5" | "$PYTHON" -c "import json,sys; print(json.load(sys.stdin)['vms'])")
[ "$n" = "$(($(wc -l <"$V") - 1))" ] && ok "the checkpoint holds all $n VM rows" || bad "checkpoint holds $n VMs"

# A bad row whose host is in the last shard (rack r12: the last rank's partition at P=3).
LAST=$(awk -F, 'NR>1 && $5=="r12" && $7=="active" {print $1; exit}' "$H")
cp "$V" "$T/bad.csv"
echo "vm-bad,$LAST,x,1,1,,,,,,," >>"$T/bad.csv"
line=$(wc -l <"$T/bad.csv")
set +e
timeout 120 "$MPIRUN" -np 3 "$FLEETPLAN" plan --hosts "$H" --vms "$T/bad.csv" --config "$CFG" \
    --out "$T/bad" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
set -e
[ $rc -eq 2 ] && ok "P=3, bad row in the last partition: exit 2" || bad "P=3 bad row: exit $rc"
grep -q "bad.csv:$line:cpu: not a number" "$T/bad.err" && ok "message names file, line $line and field" ||
    bad "message: $(cat "$T/bad.err")"
[ "$(grep -c "bad.csv:$line:cpu" "$T/bad.err")" = 1 ] && ok "the message is printed once" || bad "message repeated"
[ ! -e "$T/bad/plan.csv" ] && ok "no plan written" || bad "a plan was written"
# Faults every rank sees (a header missing two columns): each message once, in order.
printf 'id,host,mem\nv1,%s,1\n' "$LAST" >"$T/hdr.csv"
set +e
timeout 120 "$MPIRUN" -np 3 "$FLEETPLAN" plan --hosts "$H" --vms "$T/hdr.csv" --out "$T/hdr" 2>"$T/hdr.err"
rc=$?
set -e
[ $rc -eq 2 ] && [ "$(grep -c 'hdr.csv:1:' "$T/hdr.err")" = 2 ] &&
    [ "$(grep 'hdr.csv:1:' "$T/hdr.err" | head -1)" = "$T/hdr.csv:1:cpu: missing required column 'cpu'" ] &&
    ok "P=3, header faults: two messages, each once" || bad "header faults: rc=$rc $(cat "$T/hdr.err")"
finish
