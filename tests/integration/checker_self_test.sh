# The independent checker must be able to fail: feed it broken plans derived from a valid one.
source "$(dirname "$0")/common.sh"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$T/good" >/dev/null
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/good"
# mutate NAME PYTHON-EXPR-ON-rows: rows is the list of plan.csv rows after the header.
mutate() {
    local name=$1 code=$2
    mkdir -p "$T/$name"
    cp "$T/good/summary.json" "$T/$name/"
    "$PYTHON" - "$T/good/plan.csv" "$T/$name/plan.csv" "$code" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
hdr, rows = rows[0], rows[1:]
exec(sys.argv[3])
w = csv.writer(open(sys.argv[2], "w", newline=""), lineterminator="\n")
w.writerow(hdr); w.writerows(rows)
PY
    if "$PYTHON" "$CHECK" --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --plan-dir "$T/$name" >"$T/$name.out" 2>&1; then
        bad "checker accepted broken plan '$name'"
    else
        ok "checker rejects '$name': $(head -1 "$T/$name.out")"
    fi
}
mutate all_in_wave_one 'rows = [[ "1" ] + r[1:] for r in rows]; rows.sort(key=lambda r: r[1].encode())'
mutate wrong_source 'rows[0][2] = "h200" if rows[0][2] != "h200" else "h199"'
mutate drop_a_move 'del rows[len(rows)//2]'
mutate same_target 'rows = [r[:3] + [rows[0][3]] + r[4:] for r in rows]'
finish
