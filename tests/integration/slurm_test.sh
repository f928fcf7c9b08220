# A real single-node Slurm (munge, slurmctld, slurmd, all started here, on their own socket and
# ports) runs slurm/plan.sbatch with 2 tasks; its plan equals the one-process plan, its
# summary says ranks: 2, and each task parsed only its part of vms.csv (the split input). Then
# plan.sbatch again with overrides (1 task of 2 CPUs, a time limit and memory from sbatch's
# environment, FP_MPI, FP_CONFIG and the inputs from the environment), and simulate-grid.sbatch
# (2 tasks) against a one-process grid. Every daemon started here is stopped by its PID, also
# on failure.
source "$(dirname "$0")/common.sh"
for b in munged slurmctld slurmd sbatch squeue; do
    command -v "$b" >/dev/null || { bad "$b not installed (tools/setup.sh installs slurm-wlm munge)"; finish; exit 1; }
done
S="$T/slurm"
mkdir -p "$S/state" "$S/spool"
# The munge socket lives in a short path of its own (a unix socket path has at most 107 bytes).
M=$(mktemp -d /tmp/fp-munge.XXXXXX)
ln -s "$M" "$S/munge"
chown munge:munge "$M"
chmod 0755 "$M"
PIDS=()
cleanup() {
    for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
        [ -s "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
    done
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    sleep 0.5
    for f in "$S/slurmd.pid" "$S/slurmctld.pid" "$S/munge/munged.pid"; do
        [ -s "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null || true
    done
    rm -rf "$M"
}
trap cleanup EXIT

# munge, on a socket of its own.
SOCK="$M/munge.socket"
runuser -u munge -- /usr/sbin/munged --socket="$SOCK" --pid-file="$S/munge/munged.pid" \
    --log-file="$S/munge/munged.log" --seed-file="$S/munge/munged.seed" --force
for _ in $(seq 50); do [ -S "$SOCK" ] && break; sleep 0.1; done
munge -S "$SOCK" -n | unmunge -S "$SOCK" >/dev/null && ok "munged answers on $SOCK" || bad "munge failed"

HOST=$(hostname)
PORT0=$((17000 + RANDOM % 2000))
cat >"$S/slurm.conf" <<CONF
ClusterName=fleettest
SlurmctldHost=$HOST
SlurmctldPort=$PORT0
SlurmdPort=$((PORT0 + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$SOCK
CryptoType=crypto/munge
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/slurmctld.log
SlurmdLogFile=$S/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
NodeName=$HOST NodeAddr=127.0.0.1 CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$S/slurm.conf"
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF"
for _ in $(seq 100); do
    sinfo -h -o '%t' 2>/dev/null | grep idle >/dev/null && break
    sleep 0.2
done
sinfo -h -o '%t' | grep idle >/dev/null && ok "slurm node $HOST idle" || bad "node not idle: $(sinfo 2>&1)"

# The job: the sharded determinism fixture, 2 tasks of 1 CPU.
CFG="$SRC/tests/data/configs/sharded.toml"
"$FLEETPLAN" generate --hosts 240 --vms 3000 --seed 11 --out "$T/fleet" >/dev/null
"$FLEETPLAN" plan --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" --config "$CFG" \
    --threads 1 --out "$T/one" >/dev/null
cd "$T"
job=$(FLEETPLAN="$FLEETPLAN" sbatch --parsable -o "$T/job.out" -e "$T/job.err" \
    "$SRC/slurm/plan.sbatch" --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" \
    --config "$CFG" --out "$T/slurm_out")
[ -n "$job" ] && ok "submitted job $job" || bad "sbatch failed"
for _ in $(seq 240); do
    [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
    sleep 0.5
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && ok "job $job finished" || bad "job $job still queued or running"
cmp -s "$T/one/plan.csv" "$T/slurm_out/plan.csv" && ok "the Slurm job's plan equals the one-process plan" ||
    bad "plans differ: $(head -5 "$T/job.err" 2>/dev/null)"
ranks=$("$PYTHON" -c "import json,sys; print(json.load(open(sys.argv[1]))['ranks'])" "$T/slurm_out/summary.json" 2>/dev/null || echo none)
[ "$ranks" = 2 ] && ok "summary.json says ranks: 2" || bad "ranks: $ranks"
# The split input: each task parsed its own byte range of vms.csv, together every row once.
read -r parsed total <<<"$("$PYTHON" -c "
import json,sys; s=json.load(open(sys.argv[1])); p=s['vm_rows_parsed_per_rank']
print(','.join(map(str,p)), s['vms'])" "$T/slurm_out/summary.json" 2>/dev/null || echo none 0)"
"$PYTHON" -c "import sys; p=[int(x) for x in sys.argv[1].split(',')]; t=int(sys.argv[2])
sys.exit(0 if len(p) == 2 and sum(p) == t and max(p) < t else 1)" "$parsed" "$total" 2>/dev/null &&
    ok "each task parsed part of vms.csv: $parsed of $total rows" || bad "rows parsed per task: $parsed of $total"
[ "$(grep -c '^goal auto' "$T/job.out")" = 1 ] && ok "one summary printed" || bad "job output: $(cat "$T/job.out")"

# wait_job JOB: until Slurm no longer lists it (at most 120 s).
wait_job() {
    for _ in $(seq 240); do
        [ -z "$(squeue -h -j "$1" 2>/dev/null)" ] && return 0
        sleep 0.5
    done
    return 1
}
# The same plan with overrides: 1 task of 2 CPUs (threads 2), time and memory through sbatch's
# environment, the MPI plugin, config and inputs through the script's.
job=$(FLEETPLAN="$FLEETPLAN" SBATCH_TIMELIMIT=00:07:00 SBATCH_MEM_PER_NODE=600M FP_MPI=pmix \
    FP_CONFIG="$CFG" FP_HOSTS="$T/fleet/hosts.csv" FP_VMS="$T/fleet/vms.csv" FP_OUT="$T/slurm_over" \
    sbatch --parsable -n 1 -c 2 -o "$T/over.out" -e "$T/over.err" "$SRC/slurm/plan.sbatch")
wait_job "$job" && ok "job $job (overrides) finished" || bad "job $job (overrides) still queued or running"
info=$(scontrol show job "$job" 2>&1)
grep -q 'TimeLimit=00:07:00' <<<"$info" && grep -qE 'MinMemoryNode=600M|mem=600M' <<<"$info" &&
    ok "the job got the time limit and memory given in sbatch's environment" ||
    bad "time/memory not applied: $(grep -oE 'TimeLimit=[^ ]*|MinMemory[A-Za-z]*=[^ ]*' <<<"$info" | tr '\n' ' ')"
cmp -s "$T/one/plan.csv" "$T/slurm_over/plan.csv" && ok "the overridden job's plan equals the one-process plan" ||
    bad "overridden job: $(head -5 "$T/over.err" 2>/dev/null)"
read -r ranks threads <<<"$("$PYTHON" -c "import json,sys; s=json.load(open(sys.argv[1])); print(s['ranks'], s['threads'])" \
    "$T/slurm_over/summary.json" 2>/dev/null || echo none none)"
[ "$ranks $threads" = "1 2" ] && ok "-n 1 -c 2 ran 1 rank of 2 threads" || bad "ranks/threads: $ranks $threads"

# simulate --grid over 2 tasks equals one process's grid.
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --grid \
    --intervals 48 --threads 1 --out "$T/grid_one" >/dev/null
job=$(FLEETPLAN="$FLEETPLAN" FP_TRACE="$PL" sbatch --parsable -o "$T/grid.out" -e "$T/grid.err" \
    "$SRC/slurm/simulate-grid.sbatch" --preset cloudsim-planetlab --trace-order "$ORDER" \
    --intervals 48 --out "$T/grid_slurm")
wait_job "$job" && ok "grid job $job finished" || bad "grid job $job still queued or running"
same=1
for c in $(ls "$T/grid_one"); do
    [ -d "$T/grid_one/$c" ] || continue
    [ "$(stable_sim "$T/grid_one/$c")" = "$(stable_sim "$T/grid_slurm/$c" 2>/dev/null)" ] || same=0
done
[ $same = 1 ] && [ "$(grep -c '^| [a-z]' "$T/grid.out")" = 10 ] &&
    ok "the Slurm grid (2 tasks) equals one process's, one table of 9 chains" ||
    bad "grid job: $(head -5 "$T/grid.err" "$T/grid.out" 2>/dev/null)"
grep -q '^simulate: .*intervals' "$T/grid.err" && ok "the grid job logs progress" ||
    bad "no progress in $T/grid.err"
finish
