# tests/tools/sim_compare.sh against stand-ins for an older binary: this binary with its outputs
# edited after each run. Without the outputs added since the reference (the script's documented
# list) the runs compare equal; a perturbed value, a missing unlisted key and a perturbed added
# key (when the reference has it) are each reported as a DIFF, with exit 1.
source "$(dirname "$0")/common.sh"

# old_binary NAME PYTHON_EDIT: $T/NAME runs this fleetplan, then PYTHON_EDIT on its --out
# directory (variables m: metrics.json as a dict, rows: intervals.csv as lists, header first).
old_binary() {
    cat >"$T/$1.py" <<PY
import csv, json, os, sys
d = sys.argv[1]
m = json.load(open(os.path.join(d, "metrics.json")))
rows = list(csv.reader(open(os.path.join(d, "intervals.csv"))))
def drop_column(name):
    i = rows[0].index(name)
    for r in rows:
        del r[i]
def strip_added():
    for k in ("energy_floor_kwh", "energy_over_floor", "mem_overcommit_host_intervals",
              "unserved_mem_frac"):
        del m[k]
    for c in ("energy_floor_kwh", "mem_overcommit_hosts", "unserved_mem_frac"):
        drop_column(c)
$2
json.dump(m, open(os.path.join(d, "metrics.json"), "w"), indent=2)
csv.writer(open(os.path.join(d, "intervals.csv"), "w", newline=""), lineterminator="\n").writerows(rows)
PY
    cat >"$T/$1" <<SH
#!/bin/bash
"$FLEETPLAN" "\$@" || exit
out=
while [ \$# -gt 0 ]; do [ "\$1" = --out ] && out=\$2; shift; done
"$PYTHON" "$T/$1.py" "\$out"
SH
    chmod +x "$T/$1"
}
# compare NAME CASES: runs sim_compare.sh with $T/NAME as the old binary; its output in $T/NAME.out.
compare() {
    set +e
    SIM_COMPARE_CASES=$2 bash "$SRC/tests/tools/sim_compare.sh" "$T/$1" "$FLEETPLAN" "$T/w-$1" \
        >"$T/$1.out" 2>&1
    local rc=$?
    set -e
    return $rc
}

old_binary stripped "strip_added()"
if compare stripped '^(preset-best|preset-lr-mmt|small-planner|small-best)$' &&
    [ "$(grep -c '^same ' "$T/stripped.out")" = 4 ]; then
    ok "a reference without the added keys and columns: 4 cases the same"
else
    bad "stripped reference: $(cat "$T/stripped.out")"
fi
old_binary cell "strip_added(); rows[5][rows[0].index('energy_kwh')] += '1'"
if ! compare cell '^small-planner$' &&
    grep -q '^DIFF small-planner: intervals.csv row 6 (interval [0-9]*) energy_kwh: old ' "$T/cell.out"; then
    ok "a perturbed interval cell is a DIFF, exit 1"
else
    bad "perturbed cell: $(cat "$T/cell.out")"
fi
old_binary metric "strip_added(); m['migrations'] += 1"
if ! compare metric '^preset-best$' &&
    grep -q '^DIFF preset-best: metrics.json migrations: old ' "$T/metric.out"; then
    ok "a perturbed metric is a DIFF"
else
    bad "perturbed metric: $(cat "$T/metric.out")"
fi
old_binary unlisted "strip_added(); del m['hosts_switched_on']; drop_column('switched_on')"
if ! compare unlisted '^small-planner$' &&
    grep -q '^DIFF small-planner: metrics.json key hosts_switched_on only in new' "$T/unlisted.out"; then
    ok "a key missing from the reference that is not in the list is a DIFF"
else
    bad "unlisted key: $(cat "$T/unlisted.out")"
fi
old_binary unlisted_col "strip_added(); drop_column('switched_off')"
if ! compare unlisted_col '^small-planner$' && grep -q '^DIFF small-planner: intervals.csv columns' "$T/unlisted_col.out"; then
    ok "a column missing from the reference that is not in the list is a DIFF"
else
    bad "unlisted column: $(cat "$T/unlisted_col.out")"
fi
old_binary floor "m['energy_floor_kwh'] *= 1.001"
if ! compare floor '^preset-lr-mmt$' &&
    grep -q '^DIFF preset-lr-mmt: metrics.json energy_floor_kwh: old ' "$T/floor.out"; then
    ok "an added key the reference has is compared"
else
    bad "added key compared: $(cat "$T/floor.out")"
fi
finish
