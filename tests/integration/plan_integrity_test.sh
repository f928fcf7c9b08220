# dispatch carries out only the plan.csv its checkpoint was written with, and only one that
# keeps the planner's wave rules: a hand-edited plan (a VM moved twice, two targets swapped
# inside a wave, a lone wave 5) is refused with exit 2 before anything migrates (libvirt's
# test driver; it cannot migrate, so a dispatch that starts fails with exit 3).
source "$(dirname "$0")/common.sh"
test_node "$T/h1.xml" web-1 web-2
test_node "$T/h2.xml" db-1
test_node "$T/h3.xml"
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\nh3,4,8192,1000\n' >"$T/hosts.csv"
printf 'id,host,cpu,mem,net\nweb-1,h1,1,2048,10\nweb-2,h1,1,2048,10\ndb-1,h2,2,2048,10\n' >"$T/vms.csv"
T1="test://$T/{id}.xml"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal evacuate --evacuate h1 --out "$T/p" >/dev/null
[ "$(tail -n +2 "$T/p/plan.csv" | wc -l)" -eq 2 ] && ok "the plan moves web-1 and web-2" || bad "plan: $(cat "$T/p/plan.csv")"
"$FLEETPLAN" dispatch --plan "$T/p" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run >"$T/dry.out" 2>&1 &&
    ok "the plan as written: dry run" || bad "dry run of the plan as written: $(cat "$T/dry.out")"

# tamper NAME PYTHON: a copy of the plan directory whose plan.csv rows (list `rows` after the
# header, `hdr` the header) PYTHON changes.
tamper() {
    local name=$1 code=$2
    rm -rf "$T/$name"
    cp -r "$T/p" "$T/$name"
    "$PYTHON" - "$T/$name/plan.csv" "$code" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
hdr, rows = rows[0], rows[1:]
exec(sys.argv[2])
w = csv.writer(open(sys.argv[1], "w", newline=""), lineterminator="\n")
w.writerow(hdr); w.writerows(rows)
PY
}
# refused NAME PATTERN: dispatch (for real, and dry) exits 2 naming PATTERN; nothing journalled.
refused() {
    local name=$1 pattern=$2
    expect2 "dispatch refuses $name" "$pattern" dispatch --plan "$T/$name" --hosts "$T/hosts.csv" \
        --connect-uri-template "$T1" --retries 0 --backoff 0
    [ ! -e "$T/$name/dispatch.journal" ] && ok "$name: nothing migrated" || bad "$name: a dispatch started: $(cat "$T/$name/dispatch.journal")"
    expect2 "dry run refuses $name" "$pattern" dispatch --plan "$T/$name" --hosts "$T/hosts.csv" \
        --connect-uri-template "$T1" --dry-run
}
tamper twice 'rows.append([str(int(rows[-1][0]) + 1), rows[0][1], rows[0][3], "h2"] + rows[0][4:])'
refused twice "is already moved on line 2"
tamper lone_wave_5 'rows[-1][0] = "5"'
refused lone_wave_5 "plan.csv:3:step: wave 5 follows wave"
tamper swap 'a, b = rows[0], rows[1]; assert a[0] == b[0] and a[3] != b[3], rows; a[3], b[3] = b[3], a[3]'
refused swap "plan.csv does not match"
tamper estimate 'rows[0][4] = "0.001"'
refused estimate "plan.csv does not match"

# A checkpoint written before plan digests: a warning, and the wave rules still hold.
for d in old old_twice; do
    rm -rf "$T/$d"
    cp -r "$T/p" "$T/$d"
    "$PYTHON" -c 'import h5py, sys; f = h5py.File(sys.argv[1], "r+"); del f.attrs["plan_csv_digest"]' "$T/$d/checkpoint.h5"
done
"$FLEETPLAN" dispatch --plan "$T/old" --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run >"$T/old.out" 2>&1 &&
    grep -q "records no digest of plan.csv" "$T/old.out" && ok "old checkpoint: warned, dry run goes on" || bad "old checkpoint: $(cat "$T/old.out")"
"$PYTHON" - "$T/old_twice/plan.csv" <<'PY'
import sys
lines = open(sys.argv[1]).read().splitlines(True)
open(sys.argv[1], "w").write("".join(lines + [lines[1]]))
PY
expect2 "old checkpoint: the wave rules still hold" "already moved" dispatch --plan "$T/old_twice" \
    --hosts "$T/hosts.csv" --connect-uri-template "$T1" --dry-run
finish
