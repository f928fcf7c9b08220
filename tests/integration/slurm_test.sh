# A real single-node Slurm (munge, slurmctld, slurmd, all started here, on their own socket and
# ports) runs slurm/plan.sbatch with 2 tasks; its plan equals the one-process plan, its
# summary says ranks: 2, and each task parsed only its part of vms.csv (the split input). Every daemon started here is stopped by its PID, also on failure.
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
    sinfo -h -o '%t' 2>/dev/null | grep -q idle && break
    sleep 0.2
done
sinfo -h -o '%t' | grep -q idle && ok "slurm node $HOST idle" || bad "node not idle: $(sinfo 2>&1)"

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
finish
