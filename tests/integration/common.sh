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
for k in ("plan_seconds", "phase_seconds", "ranks", "threads", "max_vm_rows_per_rank"):
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

finish() {
    echo "$passes passed, $fails failed"
    [ "$fails" -eq 0 ]
}
