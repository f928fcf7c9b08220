# Collectives that cannot hang. FP_FAIL_AT=collective:NAME.STEP:RANK makes one rank's local step
# of one collective fail: `pack` (a rank serialising its part), `receive` (rank 0 making room for
# the sizes it was sent: between the size exchange and the payload, where a throw once left the
# other ranks in MPI_Gatherv) or `unpack` (rank 0 decoding the parts). Under mpirun -np 3 each
# failure must stop every rank within the timeout (a hang is the failure this test exists for)
# with exit 3, rank 0 naming the collective, step and rank, and the previous outputs intact.
P=3
TEST_SUFFIX="_np$P"
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
# 10 shards of 20 hosts: every rank plans some, sends outcomes to rank 0 and writes a part.
printf '[plan]\nshard_hosts = 20\n' >"$T/shards.toml"
PLAN=(plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --config "$T/shards.toml"
    --threads 1 --out "$T/plan")
SIM=(simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --grid --intervals 6
    --out "$T/sim")
"$MPIRUN" -np $P "$FLEETPLAN" "${PLAN[@]}" >/dev/null
cp "$T/plan/plan.csv" "$T/plan.before"

# fault NAME STEP RANK ARGS...: the job exits 3 within the timeout with rank 0's message.
fault() {
    local name=$1 step=$2 rank=$3
    shift 3
    local what="collective:$name.$step:$rank"
    set +e
    timeout -k 10 60 "$MPIRUN" -np $P -x FP_FAIL_AT="$what" "$FLEETPLAN" "$@" >"$T/f.out" 2>"$T/f.err"
    local rc=$?
    set -e
    if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
        bad "FP_FAIL_AT=$what: hung (killed after 60 s)"
    elif [ $rc -ne 3 ]; then
        bad "FP_FAIL_AT=$what: exit $rc, want 3: $(head -3 "$T/f.err")"
    elif ! grep -qF "MPI collective $name: $step failed on rank $rank: injected failure" "$T/f.err"; then
        bad "FP_FAIL_AT=$what: exit 3 but the message does not name it: $(head -3 "$T/f.err")"
    else
        ok "FP_FAIL_AT=$what: every rank stops with exit 3"
    fi
}
for f in shard-outcomes.pack.1 shard-outcomes.pack.2 shard-outcomes.receive.0 shard-outcomes.unpack.0 \
    shard-rows.pack.2 shard-rows.receive.0 shard-rows.unpack.0; do
    IFS=. read -r name step rank <<<"$f"
    fault "$name" "$step" "$rank" "${PLAN[@]}"
done
# The checkpoint's parts (every rank writes its VM rows): a failure while the ranks agree on
# their layout, or after every part is written, leaves only the previous checkpoint's parts.
parts_before=$(cd "$T/plan" && ls checkpoint.part-* | sort | tr '\n' ' ')
for f in ckpt-parts-layout.prepare.1 ckpt-parts-sums.receive.0; do
    IFS=. read -r name step rank <<<"$f"
    fault "$name" "$step" "$rank" "${PLAN[@]}"
done
[ "$(cd "$T/plan" && ls checkpoint.part-* | sort | tr '\n' ' ')" = "$parts_before" ] &&
    ok "failed runs removed their parts; the previous checkpoint's $P remain" ||
    bad "parts after failed runs: $(ls "$T/plan")"
"$FLEETPLAN" inspect "$T/plan/checkpoint.h5" >/dev/null && ok "the previous checkpoint still reads" ||
    bad "the previous checkpoint no longer reads"
cmp -s "$T/plan.before" "$T/plan/plan.csv" && ok "the previous plan.csv is intact" ||
    bad "a failed run changed plan.csv"
for f in sim-metrics.pack.1 sim-metrics.receive.0 sim-metrics.unpack.0; do
    IFS=. read -r name step rank <<<"$f"
    fault "$name" "$step" "$rank" "${SIM[@]}"
done
finish
