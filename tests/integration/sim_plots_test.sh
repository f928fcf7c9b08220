# Simulator checkpoints as products: two short chains (thr-mmt, best) and an interrupted one on a
# 64-VM slice of PlanetLab day 20110306 (tests/data); `inspect` summarises each (text and --json,
# agreeing with metrics.json), tools/checkpoint_plots.py draws the time plots (one line per
# chain), and a truncated checkpoint is exit code 2 naming the file, for both.
source "$(dirname "$0")/common.sh"
PLD="$SRC/tests/data/planetlab"
PLOTS="$SRC/tools/checkpoint_plots.py"
simulate() { # OUT_NAME CHAIN [extra flags...]
    local out=$1 chain=$2
    shift 2
    "$FLEETPLAN" simulate --preset cloudsim-planetlab --trace "$PLD/20110306-subset" \
        --trace-order "$PLD/order-20110306-subset.txt" --policy "$chain" --intervals 24 "$@" --out "$T/$out" >/dev/null
}
for chain in thr-mmt best; do
    simulate "$chain" "$chain" && [ -s "$T/$chain/checkpoint.h5" ] && ok "simulate $chain: 24 intervals" ||
        bad "simulate $chain"
done
simulate stopped lr-mmt --stop-after 6 && ok "simulate lr-mmt: stopped after 6" || bad "simulate --stop-after"

# inspect, text: what ran, how far, the key metrics.
"$FLEETPLAN" inspect "$T/best/checkpoint.h5" >"$T/best.txt"
grep -q 'simulator checkpoint' "$T/best.txt" && grep -qx 'chain: best' "$T/best.txt" &&
    grep -q '^scenario: cloudsim-planetlab, 800 hosts, 64 VMs' "$T/best.txt" &&
    grep -qx 'intervals: 24 / 24 done, complete' "$T/best.txt" &&
    grep -q '^  energy .* kWh$' "$T/best.txt" && grep -q '^  SLATAH .*%$' "$T/best.txt" &&
    ok "inspect: simulator summary" || bad "inspect output: $(cat "$T/best.txt")"
"$FLEETPLAN" inspect "$T/stopped/checkpoint.h5" >"$T/stopped.txt"
grep -q '^intervals: 6 / 24 done, incomplete' "$T/stopped.txt" && ok "inspect: incomplete run" ||
    bad "inspect stopped: $(cat "$T/stopped.txt")"

# inspect --json: the fields, and metrics equal to metrics.json.
for chain in thr-mmt best stopped; do "$FLEETPLAN" inspect "$T/$chain/checkpoint.h5" --json >"$T/$chain.json"; done
if "$PYTHON" - "$T" <<'PY'; then
import json, sys
T = sys.argv[1]
for name, chain, done, complete in (("thr-mmt", "thr-mmt", 24, True), ("best", "best", 24, True),
                                     ("stopped", "lr-mmt", 6, False)):
    j = json.load(open(f"{T}/{name}.json"))
    assert j["kind"] == "simulator" and j["chain"] == chain, j
    assert j["file"] == f"{T}/{name}/checkpoint.h5" and j["format_version"] == 2
    assert j["scenario"] == "cloudsim-planetlab" and j["hosts"] == 800 and j["vms"] == 64, j
    assert j["interval_s"] == 300 and "20110306" in j["inputs"], j
    assert j["intervals_done"] == done and j["target_interval"] == 24, j
    assert j["complete"] is complete, j
    m = j["metrics"]
    for k in ("energy_kwh", "migrations", "slatah", "pdm", "slav", "esv", "unserved_frac"):
        assert isinstance(m[k], (int, float)) and m[k] >= 0, (k, m.get(k))
    assert m["policy"] == chain and m["intervals"] == done, m
    if complete:   # metrics.json is written at the end only
        assert m == json.load(open(f"{T}/{name}/metrics.json")), name
assert json.load(open(f"{T}/best.json"))["metrics"]["migrations"] < \
    json.load(open(f"{T}/thr-mmt.json"))["metrics"]["migrations"]
PY
    ok "inspect --json: fields and metrics"
else
    bad "inspect --json"
fi

# Through the fleetplan package (python/) the plots use: the time axis adds up to the metrics.
if "$PYTHON" - "$SRC/python" "$T" <<'PY'; then
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import fleetplan
T = sys.argv[2]
for name in ("thr-mmt", "best", "stopped"):
    s = fleetplan.read(f"{T}/{name}/checkpoint.h5")
    m, t = s.summary, s.intervals
    assert s.kind == "simulate" and len(t) == m["intervals"]
    assert list(t["interval"]) == list(range(1, m["intervals"] + 1))
    assert s.host_util.shape == (m["intervals"], 800), s.host_util.shape
    assert np.isclose(s.energy_kwh().sum(), m["energy_kwh"], rtol=1e-9)
    assert t["migrations"].sum() == m["migrations"]
    assert t["hotspot_hosts"].sum() == m["hotspot_host_intervals"]
    assert np.isclose(t["overload_host_s"].sum() / t["active_host_s"].sum(), m["slatah"], rtol=1e-9)
    assert ((s.slatah() >= 0) & (s.slatah() <= 1)).all()
try:
    fleetplan.read(f"{T}/best/metrics.json")
    raise AssertionError("metrics.json read as a checkpoint")
except fleetplan.CheckpointError as e:
    assert str(e).startswith(f"{T}/best/metrics.json: "), e
PY
    ok "fleetplan.read(): time axis agrees with metrics"
else
    bad "fleetplan.read(): time axis disagrees with metrics"
fi

FIGS="sim_active_hosts sim_energy sim_migrations sim_sla"
# Two chains: one line each, in four figures.
if "$PYTHON" "$PLOTS" "$T/thr-mmt/checkpoint.h5" "$T/best/checkpoint.h5" --out "$T/two" >"$T/two.txt"; then
    ok "plots, two simulator checkpoints: exit 0"
else
    bad "plots, two simulator checkpoints: exit $?"
fi
for fig in $FIGS; do
    not_blank "$T/two/$fig.png"
    grep -qxF "$T/two/$fig.png" "$T/two.txt" || bad "$fig.png not printed"
done
[ "$(wc -l <"$T/two.txt")" -eq 4 ] && ok "four paths printed" || bad "printed: $(cat "$T/two.txt")"
# One (interrupted) checkpoint with a label.
"$PYTHON" "$PLOTS" "$T/stopped/checkpoint.h5" --labels "lr-mmt (stopped)" --out "$T/one" >/dev/null 2>"$T/one.err" &&
    ok "plots, one checkpoint: exit 0" || bad "plots, one checkpoint: $(cat "$T/one.err")"
for fig in $FIGS; do not_blank "$T/one/$fig.png"; done

# Bad input: a truncated checkpoint is exit 2 naming the file (inspect and plots); a plan
# checkpoint among simulator checkpoints is exit 2.
size=$(stat -c %s "$T/best/checkpoint.h5")
head -c 2000 "$T/best/checkpoint.h5" >"$T/trunc.h5"
head -c $((size / 2)) "$T/best/checkpoint.h5" >"$T/half.h5"
for f in trunc half; do
    set +e
    "$FLEETPLAN" inspect "$T/$f.h5" >/dev/null 2>"$T/$f.err"; rc=$?
    set -e
    [ $rc -eq 2 ] && grep -q "$T/$f.h5" "$T/$f.err" && ok "inspect $f checkpoint: exit 2, names the file" ||
        bad "inspect $f checkpoint: exit $rc: $(cat "$T/$f.err")"
    set +e
    "$PYTHON" "$PLOTS" "$T/best/checkpoint.h5" "$T/$f.h5" --out "$T/$f" >/dev/null 2>"$T/$f.plots.err"; rc=$?
    set -e
    [ $rc -eq 2 ] && grep -q "$T/$f.h5" "$T/$f.plots.err" && ok "plots $f checkpoint: exit 2, names the file" ||
        bad "plots $f checkpoint: exit $rc: $(cat "$T/$f.plots.err")"
done
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --out "$T/plan" >/dev/null
set +e
"$PYTHON" "$PLOTS" "$T/best/checkpoint.h5" "$T/plan/checkpoint.h5" --out "$T/mixed" >/dev/null 2>"$T/mixed.err"; rc=$?
set -e
[ $rc -eq 2 ] && grep -q "$T/plan/checkpoint.h5" "$T/mixed.err" && ok "plan among simulator checkpoints: exit 2" ||
    bad "mixed: exit $rc: $(cat "$T/mixed.err")"
finish
