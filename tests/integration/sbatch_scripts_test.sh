# The sbatch scripts (slurm/*.sbatch) without Slurm: each parses (bash -n), and with FP_DRY_RUN=1
# prints the command its job would run, expanded from the allocation (SLURM_CPUS_PER_TASK) and
# the overrides (FLEETPLAN, FP_THREADS, FP_MPI, FP_SRUN_ARGS, the inputs), with arguments that
# hold spaces kept whole. slurm_job runs them under a real Slurm.
source "$(dirname "$0")/common.sh"
S="$SRC/slurm"
for f in "$S"/*.sbatch; do
    bash -n "$f" && ok "bash -n $(basename "$f")" || bad "$(basename "$f") does not parse"
done
# expand SCRIPT [VAR=VALUE...] -- ARGS...: the command line, one word per line.
expand() {
    local script=$1 vars=()
    shift
    while [ "$1" != -- ]; do vars+=("$1"); shift; done
    shift
    (cd "$T" && env -i PATH=/usr/bin:/bin FP_DRY_RUN=1 "${vars[@]}" bash "$S/$script" "$@") |
        xargs -n1 printf '%s\n' 2>/dev/null | tr '\n' ' '
}
same() {  # same WHAT GOT WANT
    [ "$2" = "$3" ] && ok "$1" || bad "$1: got '$2', want '$3'"
}
# Defaults: pmix, 1 thread, the build tree's program when there, else fleetplan on PATH.
same "plan.sbatch defaults" "$(expand plan.sbatch -- --hosts h.csv --out o)" \
    "srun --mpi=pmix fleetplan plan --threads 1 --hosts h.csv --out o "
mkdir -p "$T/submit/build"
cp /bin/true "$T/submit/build/fleetplan"
same "plan.sbatch takes build/fleetplan of the submit directory" \
    "$(expand plan.sbatch SLURM_SUBMIT_DIR="$T/submit" -- --out o)" \
    "srun --mpi=pmix $T/submit/build/fleetplan plan --threads 1 --out o "
# The allocation's CPUs per task give the threads and reach srun; every override.
same "plan.sbatch with -c 4" "$(expand plan.sbatch SLURM_CPUS_PER_TASK=4 -- --out o)" \
    "srun --mpi=pmix --cpus-per-task=4 fleetplan plan --threads 4 --out o "
same "plan.sbatch overrides" "$(expand plan.sbatch SLURM_CPUS_PER_TASK=4 FP_THREADS=3 FP_MPI=pmi2 \
    FP_SRUN_ARGS='--cpu-bind=cores -l' FLEETPLAN=/opt/fp/bin/fleetplan 'FP_CONFIG=my configs/a.toml' \
    FP_HOSTS=h.csv FP_VMS=v.csv FP_OUT=out -- --goal consolidate)" \
    "srun --mpi=pmi2 --cpus-per-task=4 --cpu-bind=cores -l /opt/fp/bin/fleetplan plan --threads 3 --config my configs/a.toml --hosts h.csv --vms v.csv --out out --goal consolidate "
# (xargs splits the printed words again: 'my configs/a.toml' is checked as one word below.)
n=$(cd "$T" && env -i PATH=/usr/bin:/bin FP_DRY_RUN=1 'FP_CONFIG=my configs/a.toml' bash "$S/plan.sbatch" |
    "$PYTHON" -c 'import shlex, sys; w = shlex.split(sys.stdin.read()); print(w[w.index("--config") + 1])')
same "a config path with a space stays one word" "$n" "my configs/a.toml"
same "plan-multinode.sbatch overrides" "$(expand plan-multinode.sbatch SLURM_CPUS_PER_TASK=2 FP_MPI=pmi2 \
    -- --hosts h.csv --out o)" \
    "srun --mpi=pmi2 --cpus-per-task=2 fleetplan plan --threads 2 --hosts h.csv --out o "
same "simulate-grid.sbatch overrides" "$(expand simulate-grid.sbatch SLURM_CPUS_PER_TASK=2 \
    FP_PRESET=cloudsim-planetlab FP_TRACE=day FP_TRACE_ORDER=order.txt FP_OUT=g -- --intervals 48)" \
    "srun --mpi=pmix --cpus-per-task=2 fleetplan simulate --grid --progress --threads 2 --preset cloudsim-planetlab --trace day --trace-order order.txt --out g --intervals 48 "
# No value an operator would change is fixed in a script beyond its #SBATCH defaults.
for f in "$S"/*.sbatch; do
    grep -nE -- '--mpi=[a-z]|--threads [0-9]|--time|--mem' "$f" | grep -v '^[0-9]*:#' |
        grep -v 'FP_MPI:-pmix' >"$T/fixed" && bad "$(basename "$f") fixes: $(cat "$T/fixed")" ||
        ok "$(basename "$f"): nothing fixed outside #SBATCH and documented defaults"
done
finish
