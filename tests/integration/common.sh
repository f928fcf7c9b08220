# Shared helpers for the integration tests (sourced). Environment from ctest:
# FLEETPLAN (the program), SRC (source tree), PYTHON (/usr/bin/python3), WORK (scratch root).
set -euo pipefail
: "${FLEETPLAN:?}" "${SRC:?}" "${PYTHON:?}" "${WORK:?}"
T="$WORK/$(basename "$0" .sh)${TEST_SUFFIX:-}"
rm -rf "$T"
mkdir -p "$T"
CHECK="$SRC/tests/checker/check_plan.py"
DEMO="$SRC/tests/data/clusters/demo"
SMALL="$SRC/tests/data/clusters/small"
fails=0
passes=0

ok() { passes=$((passes + 1)); echo "ok: $*"; }
bad() { fails=$((fails + 1)); echo "FAIL: $*"; }

# check_plan HOSTS VMS DIR [checker args...]
check_plan() {
    local h=$1 v=$2 d=$3
    shift 3
    if "$PYTHON" "$CHECK" --hosts "$h" --vms "$v" --plan-dir "$d" "$@"; then
        ok "checker accepts $d"
    else
        bad "checker rejects $d"
    fi
}

# summary.json without the fields that may differ between runs (timings, ranks, threads).
stable_summary() {
    "$PYTHON" - "$1" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("plan_seconds", "phase_seconds", "ranks", "threads", "max_vm_rows_per_rank", "vm_rows_parsed_per_rank", "max_vm_rows_parsed_per_rank", "history_rows_parsed_per_rank", "traffic_rows_parsed_per_rank", "previous_vm_rows_read_per_rank"):
    s.pop(k, None)
print(json.dumps(s, indent=1, sort_keys=True))
PY
}

# not_blank PNG: exists, pixel std > 0.01 and > 1% of pixels differ from the most common colour.
not_blank() {
    if [ -s "$1" ] && "$PYTHON" - "$1" <<'PY'; then ok "$(basename "$1") drawn"; else bad "$(basename "$1") missing or blank"; fi
import sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
img = mpimg.imread(sys.argv[1])
px = np.round(img.reshape(-1, img.shape[-1] if img.ndim == 3 else 1) * 255).astype(np.uint8)
packed = np.zeros(len(px), dtype=np.uint32)
for c in range(px.shape[1]):
    packed = (packed << 8) | px[:, c]
_, counts = np.unique(packed, return_counts=True)
other = 1 - counts.max() / len(packed)
assert img.std() > 0.01 and other > 0.01, (img.std(), other)
PY
}

# expect2 WHAT PATTERN ARGS...: fleetplan ARGS exits 2 and its output contains PATTERN.
expect2() {
    local what=$1 pattern=$2
    shift 2
    set +e
    "$FLEETPLAN" "$@" >"$T/err.out" 2>&1
    local rc=$?
    set -e
    if [ $rc -eq 2 ] && grep -qF -- "$pattern" "$T/err.out"; then ok "$what"; else bad "$what (rc $rc): $(head -3 "$T/err.out")"; fi
}

# stable_sim DIR: a simulation's metrics.json and intervals.csv without the wall-clock fields
# (decision times), for byte comparison.
stable_sim() {
    "$PYTHON" - "$1" <<'PY'
import csv, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "metrics.json")))
for k in ("mean_step_seconds", "max_step_seconds"):
    m.pop(k)
print(json.dumps(m, sort_keys=True))
for row in csv.reader(open(os.path.join(d, "intervals.csv"))):
    print(",".join(row[:-1]))  # the last column is decision_ms
PY
}

# sim_trace VMS.csv OUT.csv: a CSV trace (time,vm,cpu) of 25 samples per VM, varied by VM.
sim_trace() {
    "$PYTHON" - "$1" "$2" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8")))
with open(sys.argv[2], "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["time", "vm", "cpu"])
    for i, r in enumerate(rows):
        for k in range(25):
            w.writerow([k * 300, r["id"], "%.3f" % (0.3 + 0.6 * ((k * (i + 3)) % 11) / 10)])
PY
}

# test_node FILE DOMAIN...: a libvirt test-driver node (4 CPUs, 8 GiB) running the named
# domains (256 MiB, 2 vCPUs each), for test:///FILE connections.
test_node() {
    local f=$1
    shift
    {
        echo "<node><cpu><mhz>2000</mhz><model>x</model><nodes>1</nodes><sockets>1</sockets><cores>4</cores><threads>1</threads><active>4</active></cpu><memory>8388608</memory>"
        for d in "$@"; do echo "<domain type='test'><name>$d</name><memory>262144</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>"; done
        echo "</node>"
    } >"$f"
}

# sharded_fleet: for the tests of the sharded planner under mpirun (MPIRUN from ctest, run as
# root, oversubscribed): CFG (twelve shards) and a generated 240-host / 3000-VM fleet, H and V.
sharded_fleet() {
    : "${MPIRUN:?}"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
    CFG="$SRC/tests/data/configs/sharded.toml"
    "$FLEETPLAN" generate --hosts 240 --vms 3000 --seed 11 --out "$T/fleet" >/dev/null
    H="$T/fleet/hosts.csv"
    V="$T/fleet/vms.csv"
}

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
