# --history through the program: a PlanetLab directory (file names are VM ids, one has a space)
# and the CSV form, with a history trigger; bad history rows are exit code 2 with FILE:LINE:COLUMN.
source "$(dirname "$0")/common.sh"
PL="$SRC/tests/data/planetlab/20110303"
printf 'id,cpu,mem,net\nh1,4,16384,1000\nh2,4,16384,1000\nh3,4,16384,1000\n' >"$T/hosts.csv"
{
    echo "id,host,cpu,mem,net,cpu_alloc"
    i=0
    for f in "$PL"/*; do
        i=$((i + 1))
        printf '"%s",h1,1.1,2048,10,1.5\n' "$(basename "$f")"
    done
} >"$T/vms.csv"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --history "$PL" \
    --config "$SRC/configs/proactive-lr-mmt.toml" --out "$T/pl" >/dev/null
check_plan "$T/hosts.csv" "$T/vms.csv" "$T/pl"
"$FLEETPLAN" plan --resume "$T/pl/checkpoint.h5" --out "$T/pl2" >/dev/null
cmp -s "$T/pl/plan.csv" "$T/pl2/plan.csv" && ok "resume with PlanetLab history: identical plan" || bad "resume differs"
# CSV history: h1's VMs rise steadily; lr relieves h1 before it overloads, threshold does not.
{
    echo "time,vm,cpu"
    for t in 0 1 2 3 4 5 6 7 8 9; do
        while IFS= read -r f; do
            printf '%d,"%s",%s\n' $((t * 300)) "$(basename "$f")" "$(awk -v t=$t 'BEGIN {printf "%.3f", 0.2 + 0.8 * t / 9}')"
        done < <(ls -1 "$PL" | sed "s|^|$PL/|")
    done
} >"$T/hist.csv"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --history "$T/hist.csv" --goal hotspot --out "$T/thr" >/dev/null
printf '[policy]\ntrigger = { name = "lr" }\n' >"$T/lr.toml"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --history "$T/hist.csv" --goal hotspot --config "$T/lr.toml" --out "$T/lr" >/dev/null
t=$(awk 'END {print NR - 1}' "$T/thr/plan.csv")
l=$(awk 'END {print NR - 1}' "$T/lr/plan.csv")
[ "$t" = 0 ] && [ "$l" -ge 1 ] && ok "lr relieves the rising host ($l moves), threshold does not" || bad "threshold $t moves, lr $l moves"
check_plan "$T/hosts.csv" "$T/vms.csv" "$T/lr"
printf 'time,vm,cpu\n0,nope,0.5\n' >"$T/bad.csv"
set +e
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --history "$T/bad.csv" --out "$T/bad" 2>"$T/bad.err"; rc=$?
set -e
[ $rc = 2 ] && grep -q "bad.csv:2:vm: unknown VM 'nope'" "$T/bad.err" && ok "bad history: exit 2, FILE:LINE:COLUMN" || bad "bad history: exit $rc: $(cat "$T/bad.err")"
finish
