# Under mpirun consolidation gives the same outputs as one process (byte-identical plan.csv,
# summary.json identical less timings and rank counts), with several shards on every rank: the
# 200-host demo (10 racks of 20) in shards of 20 hosts is 10 shards, so P=2 or 3 ranks hold 3 to 5
# each and none reads every VM row. The improvement phase runs in every shard ([plan] improve),
# so its result is also the same for any P; the same for goal balance and its phase. Only rank 0
# prints; bad input stops every rank with exit 2.
# Ranks may exceed the cores.
P=${1:-2}
TEST_SUFFIX="_np$P"
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
printf '[plan]\nshard_hosts = 20\nimprove = 200000\n' >"$T/shards.toml"
racks=$(awk -F, 'NR>1 {print $5}' "$DEMO/hosts.csv" | sort -u | wc -l)
[ "$racks" -ge $((2 * P)) ] && ok "$racks racks of 20 hosts: $racks shards, at least 2 per rank" ||
    bad "only $racks racks (shards) for $P ranks"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --config "$T/shards.toml" \
    --threads 1 --out "$T/one" >/dev/null
"$MPIRUN" -np "$P" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate \
    --config "$T/shards.toml" --threads 1 --out "$T/many" >"$T/mpi.out"
cmp -s "$T/one/plan.csv" "$T/many/plan.csv" && ok "np=$P: plan.csv identical" || bad "np=$P: plan.csv differs"
[ "$(stable_summary "$T/one/summary.json")" = "$(stable_summary "$T/many/summary.json")" ] &&
    ok "np=$P: summary identical less timings" || bad "np=$P: summary differs"
work=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['improve']['work_used'])" "$T/many/summary.json")
[ "$work" -gt 0 ] && ok "np=$P: the improvement phase ran ($work work units)" || bad "improve: work_used=$work"
# Balance too: its improvement phase runs in every shard and gives the same plan for any P.
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --config "$T/shards.toml" \
    --threads 1 --out "$T/bal_one" >/dev/null
"$MPIRUN" -np "$P" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance \
    --config "$T/shards.toml" --threads 2 --out "$T/bal_many" >/dev/null
cmp -s "$T/bal_one/plan.csv" "$T/bal_many/plan.csv" && ok "np=$P balance: plan.csv identical" ||
    bad "np=$P balance: plan.csv differs"
[ "$(stable_summary "$T/bal_one/summary.json")" = "$(stable_summary "$T/bal_many/summary.json")" ] &&
    ok "np=$P balance: summary identical less timings" || bad "np=$P balance: summary differs"
read -r bwork bsent <<<"$("$PYTHON" -c "
import json,sys; i=json.load(open(sys.argv[1]))['improve']; print(i['work_used'], i['migrations_retargeted'])" "$T/bal_many/summary.json")"
[ "$bwork" -gt 0 ] && ok "np=$P balance: the phase ran ($bwork work units, $bsent moves sent elsewhere)" ||
    bad "balance improve: work_used=$bwork"
ranks=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['ranks'])" "$T/many/summary.json")
[ "$ranks" = "$P" ] && ok "summary reports $P ranks" || bad "ranks=$ranks"
# The rows are spread: one shard (or one rank owning all) would put every VM row on one rank.
read -r rows total <<<"$("$PYTHON" -c "
import json,sys; s=json.load(open(sys.argv[1])); print(s['max_vm_rows_per_rank'], s['vms'])" "$T/many/summary.json")"
if [ "$rows" -lt "$total" ] && [ "$rows" -le $((total * 60 / 100)) ]; then
    ok "np=$P: at most $rows of $total VM rows on a rank"
else
    bad "np=$P: a rank held $rows of $total VM rows"
fi
[ "$(grep -c 'goal consolidate' "$T/mpi.out")" = 1 ] && ok "only rank 0 prints" || bad "output from several ranks"
# A bad input on every rank: all stop with exit code 2, nobody hangs.
printf 'id,host,cpu,mem,net\nv1,h001,x,1,1\n' >"$T/bad.csv"
set +e
timeout 60 "$MPIRUN" -np "$P" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$T/bad.csv" --out "$T/bad" 2>"$T/bad.err"; rc=$?
set -e
[ $rc -eq 2 ] && ok "np=$P bad input: exit 2" || bad "np=$P bad input: exit $rc"
finish
