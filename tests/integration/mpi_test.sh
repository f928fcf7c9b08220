# Under mpirun the program gives the same outputs as one process (byte-identical plan.csv,
# summary.json identical less timings and rank counts). Ranks may exceed the cores.
P=${1:-2}
TEST_SUFFIX="_np$P"
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --threads 1 --out "$T/one" >/dev/null
"$MPIRUN" -np "$P" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --threads 1 --out "$T/many" >"$T/mpi.out"
cmp -s "$T/one/plan.csv" "$T/many/plan.csv" && ok "np=$P: plan.csv identical" || bad "np=$P: plan.csv differs"
[ "$(stable_summary "$T/one/summary.json")" = "$(stable_summary "$T/many/summary.json")" ] &&
    ok "np=$P: summary identical less timings" || bad "np=$P: summary differs"
ranks=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['ranks'])" "$T/many/summary.json")
[ "$ranks" = "$P" ] && ok "summary reports $P ranks" || bad "ranks=$ranks"
[ "$(grep -c 'goal consolidate' "$T/mpi.out")" = 1 ] && ok "only rank 0 prints" || bad "output from several ranks"
# A bad input on every rank: all stop with exit code 2, nobody hangs.
printf 'id,host,cpu,mem,net\nv1,h001,x,1,1\n' >"$T/bad.csv"
set +e
timeout 60 "$MPIRUN" -np "$P" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$T/bad.csv" --out "$T/bad" 2>"$T/bad.err"; rc=$?
set -e
[ $rc -eq 2 ] && ok "np=$P bad input: exit 2" || bad "np=$P bad input: exit $rc"
finish
