# `fleetplan simulate` end to end: the CloudSim preset on a 64-VM slice of a PlanetLab day,
# --grid, resume (a planned stop and a kill -9) giving byte-identical outputs, a fleet run with
# the planner chain and its resume, MPI ranks sharing the grid, and bad inputs (exit 2, FILE:LINE).
source "$(dirname "$0")/common.sh"
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"


# 1. One chain over the whole day: metrics and the time axis.
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" \
    --policy lr-mmt --out "$T/lr" >"$T/lr.out"
"$PYTHON" - "$T/lr" <<'PY' && ok "preset run: metrics.json and 288 intervals" || bad "preset metrics"
import json, sys, csv
d = sys.argv[1]
m = json.load(open(d + "/metrics.json"))
for k in ("energy_kwh", "migrations", "slatah", "pdm", "slav", "esv", "unserved_frac", "hosts",
          "vms", "intervals", "mean_step_seconds"):
    assert k in m, k
assert m["hosts"] == 800 and m["vms"] == 64 and m["intervals"] == 288, m
assert m["migrations"] > 0 and m["energy_kwh"] > 0
assert 0 <= m["slatah"] <= 1 and 0 <= m["pdm"] <= 1
assert abs(m["slav"] - m["slatah"] * m["pdm"]) < 1e-15
assert abs(m["esv"] - m["energy_kwh"] * m["slav"]) < 1e-12
rows = list(csv.DictReader(open(d + "/intervals.csv")))
assert len(rows) == 288
assert sum(int(r["migrations"]) for r in rows) == m["migrations"]
assert abs(sum(float(r["energy_kwh"]) for r in rows) - m["energy_kwh"]) < 1e-6
# The energy floor: below the energy, its ratio is energy / floor, the intervals sum to it.
assert 0 < m["energy_floor_kwh"] < m["energy_kwh"], m
assert abs(m["energy_over_floor"] - m["energy_kwh"] / m["energy_floor_kwh"]) < 1e-12
assert abs(sum(float(r["energy_floor_kwh"]) for r in rows) - m["energy_floor_kwh"]) < 1e-6
assert float(rows[0]["energy_floor_kwh"]) == 0  # the preset's first interval counts nothing
PY

# 2. Resume after a planned stop: k intervals, stop, resume, N-k intervals = N intervals.
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" \
    --policy lr-mmt --stop-after 100 --out "$T/lr-stop" >/dev/null
[ ! -e "$T/lr-stop/metrics.json" ] && ok "a stopped run writes no final metrics" || bad "stopped run wrote metrics"
"$FLEETPLAN" simulate --resume "$T/lr-stop/checkpoint.h5" --out "$T/lr-stop" >/dev/null
if [ "$(stable_sim "$T/lr")" = "$(stable_sim "$T/lr-stop")" ]; then ok "stop at 100 + resume = uninterrupted"; else bad "resume differs"; fi
cmp -s <(h5dump -d /time/host_util "$T/lr/checkpoint.h5" | tail -n +3) \
    <(h5dump -d /time/host_util "$T/lr-stop/checkpoint.h5" | tail -n +3) &&
    ok "resumed checkpoint has the same host utilisation time axis" || bad "host_util differs"

# --stop-after at or beyond the last interval is an ordinary complete run.
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" \
    --policy lr-mmt --intervals 20 --stop-after 20 --out "$T/lr-20" >"$T/lr-20.out"
[ -s "$T/lr-20/metrics.json" ] && grep -q '"complete": true' "$T/lr-20/metrics.json" &&
    ok "--stop-after = last interval completes the run" || bad "--stop-after at the end left it unfinished"
grep -q "stopped after 100 of 288" <("$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" \
    --trace-order "$ORDER" --policy lr-mmt --stop-after 100 --out "$T/lr-stop2") &&
    ok "a stopped run says so and how to resume" || bad "stopped run message"

# 3. Killed (SIGKILL, as by kill -9) mid-run while checkpointing every interval, then resumed:
# the same outputs. FP_CRASH_AT=sim-interval:N kills the run as it reaches interval N, before
# that interval's checkpoint, so the checkpoint must say N-1 of 288 intervals, not complete: a run
# that got to the end would test no resume.
for run in best:40 lr-mc:150; do
    chain=${run%:*} n=${run#*:}
    "$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" \
        --policy "$chain" --out "$T/$chain" >/dev/null
    set +e
    FP_CRASH_AT=sim-interval:$n "$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" \
        --trace-order "$ORDER" --policy "$chain" --checkpoint-every 1 --out "$T/$chain-k" >/dev/null 2>&1
    rc=$?
    set -e
    read -r done_k target complete <<<"$("$FLEETPLAN" inspect --json "$T/$chain-k/checkpoint.h5" 2>/dev/null |
        "$PYTHON" -c "import json,sys; c=json.load(sys.stdin); print(c['intervals_done'], c['target_interval'], c['complete'])" 2>/dev/null || true)"
    if [ $rc -eq 137 ] && [ "$done_k" = $((n - 1)) ] && [ "$target" = 288 ] && [ "$complete" = False ] &&
        [ ! -e "$T/$chain-k/metrics.json" ]; then
        ok "$chain: killed at interval $n, the checkpoint holds $done_k of $target intervals, incomplete"
    else
        bad "$chain: FP_CRASH_AT=sim-interval:$n: want exit 137 and a checkpoint of $((n - 1)) of 288 intervals, not complete; got exit $rc and ${done_k:-?} of ${target:-?}, complete ${complete:-?}"
        continue
    fi
    "$FLEETPLAN" simulate --resume "$T/$chain-k/checkpoint.h5" --out "$T/$chain-k" >/dev/null
    if [ "$(stable_sim "$T/$chain")" = "$(stable_sim "$T/$chain-k")" ]; then
        ok "$chain: kill -9 after $done_k intervals + resume = uninterrupted"
    else
        bad "$chain: resume after kill -9 differs"
    fi
done

# 4. The grid: every chain, one table; MPI ranks share the chains and agree with one process.
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --grid \
    --intervals 48 --out "$T/grid" >"$T/grid.out"
n=$(grep -c '^| [a-z]' "$T/grid.out" || true)
[ "$n" -eq 10 ] && ok "grid table: header + 9 chains" || bad "grid table has $n rows"
for c in thr-mmt iqr-mmt mad-mmt lr-mmt lrr-mmt lr-mc lr-rs lr-mu best; do
    [ -s "$T/grid/$c/metrics.json" ] || bad "grid: no metrics for $c"
done
if [ -n "${MPIRUN:-}" ] || command -v mpirun >/dev/null; then
    ${MPIRUN:-mpirun} --allow-run-as-root --oversubscribe -np 3 "$FLEETPLAN" simulate --preset cloudsim-planetlab \
        --trace "$PL" --trace-order "$ORDER" --grid --intervals 48 --out "$T/grid-mpi" >"$T/grid-mpi.out"
    same=1
    for c in thr-mmt lr-mc lr-rs best; do
        [ "$(stable_sim "$T/grid/$c")" = "$(stable_sim "$T/grid-mpi/$c")" ] || same=0
    done
    [ $same -eq 1 ] && ok "grid over 3 MPI ranks = one process" || bad "grid under MPI differs"
fi

# 5. A fleet run: hosts.csv + vms.csv + a CSV trace, the planner chain from a config, resume.
sim_trace "$SMALL/vms.csv" "$T/trace.csv"
printf '[sim]\nchain = "planner"\nboot_s = 30\n\n[policy]\ntrigger = { name = "lr" }\n' >"$T/sim.toml"
"$FLEETPLAN" simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" \
    --config "$T/sim.toml" --out "$T/fleet" >/dev/null && ok "fleet run with the planner chain" || bad "fleet run failed"
"$FLEETPLAN" simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" \
    --config "$T/sim.toml" --stop-after 9 --out "$T/fleet-stop" >/dev/null
"$FLEETPLAN" simulate --resume "$T/fleet-stop/checkpoint.h5" --out "$T/fleet-stop" >/dev/null
[ "$(stable_sim "$T/fleet")" = "$(stable_sim "$T/fleet-stop")" ] && ok "fleet run: resume = uninterrupted" || bad "fleet resume differs"
"$PYTHON" -c "
import json,sys; m=json.load(open(sys.argv[1])); assert m['policy']=='planner' and m['intervals']==24 and m['hosts']==6, m" "$T/fleet/metrics.json" &&
    ok "fleet metrics: planner, 24 intervals, 6 hosts" || bad "fleet metrics"

# 5b. Progress (issue 16): --progress prints rate and ETA lines on stderr; without it and without a
# terminal, stderr stays quiet. Also for --grid, counted over every chain.
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --policy thr-mmt \
    --intervals 30 --progress --out "$T/prog" >/dev/null 2>"$T/prog.err"
grep -Eq '^simulate: 30/30 intervals, [0-9.]+ intervals/s, [0-9.]+ s elapsed, ETA 0 s$' "$T/prog.err" &&
    ok "--progress: a last line with rate and ETA" || bad "--progress: $(cat "$T/prog.err")"
grep -Eq '^simulate: inputs read in [0-9.]+ s$' "$T/prog.err" &&
    ok "--progress: the input reading time" || bad "--progress: $(cat "$T/prog.err")"
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --grid \
    --intervals 10 --progress --out "$T/prog-grid" >/dev/null 2>"$T/prog-grid.err"
grep -q '^simulate: 90/90 intervals' "$T/prog-grid.err" && ok "--grid --progress counts every chain" ||
    bad "--grid --progress: $(cat "$T/prog-grid.err")"
"$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --policy thr-mmt \
    --intervals 5 --out "$T/noprog" >/dev/null 2>"$T/noprog.err"
[ ! -s "$T/noprog.err" ] && ok "no progress without --progress or a terminal" || bad "stderr: $(cat "$T/noprog.err")"

# 5c. The planner chain's horizon (issue 16): `first-wave` is the planner under a migration budget of
# waves.max_total² (or [plan] budget_migrations when lower), checked against that budget spelled
# out; the case is chosen so that the budget changes the run (else this would prove nothing).
"$FLEETPLAN" generate --hosts 40 --vms 600 --seed 3 --out "$T/hz" >/dev/null
sim_trace "$T/hz/vms.csv" "$T/hz/trace.csv"
hz_run() {  # NAME [sim] [plan] [waves] lines
    printf '[sim]\nchain = "planner"\n%b\n[plan]\ngoal = "auto"\n%b\n[waves]\n%b\n[policy]\ntrigger = { name = "lr" }\n' \
        "$2" "$3" "$4" >"$T/hz-$1.toml"
    "$FLEETPLAN" simulate --hosts "$T/hz/hosts.csv" --vms "$T/hz/vms.csv" --trace "$T/hz/trace.csv" \
        --config "$T/hz-$1.toml" --out "$T/hz-$1" >/dev/null || bad "horizon run $1 failed"
}
hz_run whole 'planner_horizon = "whole"\n' '' 'max_total = 1\n'
hz_run first 'planner_horizon = "first-wave"\n' '' 'max_total = 1\n'
hz_run budget '' 'budget_migrations = 1\n' 'max_total = 1\n'
hz_run budget4 '' 'budget_migrations = 4\n' 'max_total = 2\n'
hz_run first-b1 'planner_horizon = "first-wave"\n' 'budget_migrations = 1\n' 'max_total = 2\n'
hz_run budget1 '' 'budget_migrations = 1\n' 'max_total = 2\n'
[ "$(stable_sim "$T/hz-first")" = "$(stable_sim "$T/hz-budget")" ] &&
    [ "$(stable_sim "$T/hz-first")" != "$(stable_sim "$T/hz-whole")" ] &&
    ok "planner_horizon first-wave = a budget of max_total² moves" || bad "first-wave horizon"
[ "$(stable_sim "$T/hz-first-b1")" = "$(stable_sim "$T/hz-budget1")" ] &&
    [ "$(stable_sim "$T/hz-budget1")" != "$(stable_sim "$T/hz-budget4")" ] &&
    ok "planner_horizon first-wave keeps a lower budget_migrations" || bad "first-wave with a budget"
"$FLEETPLAN" simulate --hosts "$T/hz/hosts.csv" --vms "$T/hz/vms.csv" --trace "$T/hz/trace.csv" \
    --config "$T/hz-first.toml" --stop-after 9 --out "$T/hz-first-stop" >/dev/null
"$FLEETPLAN" simulate --resume "$T/hz-first-stop/checkpoint.h5" --out "$T/hz-first-stop" >/dev/null
[ "$(stable_sim "$T/hz-first")" = "$(stable_sim "$T/hz-first-stop")" ] &&
    ok "planner_horizon first-wave: resume = uninterrupted" || bad "first-wave resume differs"

# 5c'. The planner chain's waves (issue 19): `chained` (default) starts each later wave of a plan
# within the interval once the one before has ended, as dispatch would; `first` starts the first
# wave only. With two moves in flight at most, plans have several waves, so the two differ, and
# chained starts more moves; a run stopped and resumed (queued waves in the checkpoint) equals
# the uninterrupted one.
hz_run wfirst 'planner_waves = "first"\n' '' 'max_total = 2\n'
hz_run wchained 'planner_waves = "chained"\n' '' 'max_total = 2\n'
migrations_of() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["migrations"])' "$1/metrics.json"; }
[ "$(migrations_of "$T/hz-wchained")" -gt "$(migrations_of "$T/hz-wfirst")" ] &&
    ok "planner_waves chained starts later waves within the interval ($(migrations_of "$T/hz-wchained") > $(migrations_of "$T/hz-wfirst") migrations)" ||
    bad "planner_waves: chained $(migrations_of "$T/hz-wchained"), first $(migrations_of "$T/hz-wfirst")"
for w in wfirst wchained; do
    "$FLEETPLAN" simulate --hosts "$T/hz/hosts.csv" --vms "$T/hz/vms.csv" --trace "$T/hz/trace.csv" \
        --config "$T/hz-$w.toml" --stop-after 5 --out "$T/hz-$w-stop" >/dev/null
    "$FLEETPLAN" simulate --resume "$T/hz-$w-stop/checkpoint.h5" --out "$T/hz-$w-stop" >/dev/null
    [ "$(stable_sim "$T/hz-$w")" = "$(stable_sim "$T/hz-$w-stop")" ] &&
        ok "planner_waves $w: resume = uninterrupted" || bad "planner_waves $w: resume differs"
done

# 5d. Memory (issue 19): the trace's mem column drives each VM's memory demand (a fraction of its
# mem_size, else of its mem). 2 hosts of 4096 MiB and 4 cores, 3 intervals of 300 s; every VM at
# half a core. v0 (2048 MiB) and v1 (mem 1024, mem_size 4096) on h0, v2 (2048 MiB) on h1:
#   h0 holds 1024 + 2048, 2048 + 3072, 2048 + 1024 MiB in intervals 1-3 (demand held from each
#   interval's start), h1 2048 throughout. Only h0 in interval 2 exceeds its 4096, by 1024:
#   mem_overcommit_host_intervals = 1, unserved_mem_frac = 1024 / (3072 + 5120 + 3072 + 3 × 2048)
#   = 1/17. thr-mmt moves nothing before the last boundary (no host is over 80% CPU and neither
#   host's VMs fit in the other's free memory until t = 900, the end of the run).
mkdir -p "$T/mem"
printf 'id,cpu,mem,net\nh0,4,4096,1000\nh1,4,4096,1000\n' >"$T/mem/hosts.csv"
printf 'id,host,cpu,mem,net,mem_size\nv0,h0,1,2048,10,\nv1,h0,1,1024,10,4096\nv2,h1,1,2048,10,\n' >"$T/mem/vms.csv"
printf 'time,vm,cpu,mem\n0,v0,0.5,0.5\n300,v0,0.5,1\n600,v0,0.5,1\n900,v0,0.5,0.5\n0,v1,0.5,0.5\n300,v1,0.5,0.75\n600,v1,0.5,0.25\n900,v1,0.5,0.25\n0,v2,0.5,\n300,v2,0.5,\n600,v2,0.5,\n900,v2,0.5,\n' >"$T/mem/trace.csv"
"$FLEETPLAN" simulate --hosts "$T/mem/hosts.csv" --vms "$T/mem/vms.csv" --trace "$T/mem/trace.csv" \
    --policy thr-mmt --out "$T/mem/out" >/dev/null
"$PYTHON" - "$T/mem/out" <<'PY' && ok "memory over-commit: 1 host-interval, 1/17 unserved, in metrics.json and intervals.csv" || bad "memory metrics"
import csv, json, sys
d = sys.argv[1]
m = json.load(open(d + "/metrics.json"))
assert m["intervals"] == 3 and m["mem_overcommit_host_intervals"] == 1, m
assert abs(m["unserved_mem_frac"] - 1 / 17) < 1e-12, m["unserved_mem_frac"]
rows = list(csv.DictReader(open(d + "/intervals.csv")))
assert [int(r["mem_overcommit_hosts"]) for r in rows] == [0, 1, 0], rows
assert [float(r["unserved_mem_frac"]) for r in rows][0] == 0 and float(rows[1]["unserved_mem_frac"]) > 0
PY
printf 'time,vm,cpu,mem\n0,v0,0.5,lots\n300,v0,0.5,1\n' >"$T/mem/bad.csv"
expect2 "bad mem fraction in the trace" "$T/mem/bad.csv:2:mem" simulate --hosts "$T/mem/hosts.csv" \
    --vms "$T/mem/vms.csv" --trace "$T/mem/bad.csv" --policy best --out "$T/x"

# 6. Bad input: exit 2, and the message names the file (and line and field).
mkdir -p "$T/badday"
cp "$PL/$(head -1 "$ORDER")" "$T/badday/a"
{ head -n 40 "$PL/$(sed -n 2p "$ORDER")"; echo "x7"; tail -n +42 "$PL/$(sed -n 2p "$ORDER")"; } >"$T/badday/b"
expect2 "bad trace line" "$T/badday/b:41:cpu: not an integer percentage" \
    simulate --preset cloudsim-planetlab --trace "$T/badday" --policy thr-mmt --out "$T/x"
expect2 "missing trace dir" "$T/nope" simulate --preset cloudsim-planetlab --trace "$T/nope" --out "$T/x"
expect2 "unknown chain" "valid: thr-mmt" simulate --preset cloudsim-planetlab --trace "$PL" --policy foo --out "$T/x"
expect2 "unknown preset" "valid: cloudsim-planetlab" simulate --preset foo --trace "$PL" --out "$T/x"
expect2 "preset with --hosts" "cannot be combined with --preset" \
    simulate --preset cloudsim-planetlab --trace "$PL" --hosts "$SMALL/hosts.csv" --out "$T/x"
printf '[sim]\nboot_s = -1\nfoo = 1\n' >"$T/badsim.toml"
expect2 "bad [sim] config" "sim.boot_s" simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" \
    --trace "$T/trace.csv" --config "$T/badsim.toml" --out "$T/x"
grep -q "sim.foo: unknown key" "$T/err.out" && ok "unknown [sim] key named" || bad "unknown [sim] key not reported"
printf '[sim]\nplanner_horizon = "next-wave"\n' >"$T/badhz.toml"
printf '[sim]\nchain = "planner"\n\nplanner_waves = "all"\n' >"$T/badwaves.toml"
expect2 "unknown planner_horizon" "badhz.toml:2:sim.planner_horizon: unknown value 'next-wave' (valid: whole, first-wave)" \
    simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" \
    --config "$T/badhz.toml" --out "$T/x"
expect2 "unknown planner_waves" "badwaves.toml:4:sim.planner_waves: unknown value 'all' (valid: chained, first)" \
    simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" \
    --config "$T/badwaves.toml" --out "$T/x"
printf 'time,vm,cpu\n0,nobody,0.5\n' >"$T/badtrace.csv"
expect2 "trace naming an unknown VM" "$T/badtrace.csv:2" simulate --hosts "$SMALL/hosts.csv" \
    --vms "$SMALL/vms.csv" --trace "$T/badtrace.csv" --out "$T/x"
cp "$T/lr/checkpoint.h5" "$T/trunc.h5"
truncate -s 4000 "$T/trunc.h5"
expect2 "truncated checkpoint" "$T/trunc.h5" simulate --resume "$T/trunc.h5" --out "$T/x"
expect2 "resume with inputs" "cannot be combined with --resume" simulate --resume "$T/lr/checkpoint.h5" --policy best --out "$T/x"
expect2 "no --out" "--out" simulate --preset cloudsim-planetlab --trace "$PL"
expect2 "--intervals with --resume" "cannot be combined with --resume" simulate --resume "$T/lr/checkpoint.h5" --intervals 9 --out "$T/x"
expect2 "--seed with --resume" "cannot be combined with --resume" simulate --resume "$T/lr/checkpoint.h5" --seed 3 --out "$T/x"
finish
