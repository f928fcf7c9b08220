# Property test: random fleets × every goal × every placement policy (and a few selections),
# each plan replayed through the independent checker. Any broken constraint fails the test.
source "$(dirname "$0")/common.sh"
placements=$("$FLEETPLAN" policies | awk '$2 == "placement" {print $1}')
selections=$("$FLEETPLAN" policies | awk '$2 == "selection" {print $1}')
[ -n "$placements" ] && [ -n "$selections" ] || { bad "cannot list policies"; finish; }
i=0
for spec in "20 120 11" "45 400 12" "80 900 13" "33 500 14"; do
    set -- $spec
    fleet="$T/fleet-$3"
    "$FLEETPLAN" generate --hosts "$1" --vms "$2" --seed "$3" --out "$fleet" >/dev/null
    evac=$(awk -F, 'NR == 3 || NR == 6 {print $1}' "$fleet/hosts.csv" | paste -sd, -)
    for goal in auto consolidate balance hotspot evacuate; do
        for pl in $placements; do
            i=$((i + 1))
            sel=$(echo "$selections" | sed -n "$(( i % $(echo "$selections" | wc -l) + 1 ))p")
            printf '[policy]\nplacement = { name = "%s" }\nselection = { name = "%s" }\n' "$pl" "$sel" >"$T/c.toml"
            out="$T/p-$3-$goal-$pl"
            extra=()
            [ "$goal" = evacuate ] && extra=(--evacuate "$evac")
            if ! "$FLEETPLAN" plan --hosts "$fleet/hosts.csv" --vms "$fleet/vms.csv" --goal $goal \
                --config "$T/c.toml" --seed "$3" "${extra[@]}" --out "$out" >/dev/null 2>"$out.err"; then
                bad "plan failed: seed $3 $goal $pl/$sel: $(head -1 "$out.err")"
                continue
            fi
            if "$PYTHON" "$CHECK" --hosts "$fleet/hosts.csv" --vms "$fleet/vms.csv" --plan-dir "$out" \
                ${extra[@]+"${extra[@]}"} >"$out.check" 2>&1; then
                passes=$((passes + 1))
            else
                bad "checker: seed $3 $goal $pl/$sel: $(head -2 "$out.check" | tr '\n' ' ')"
            fi
        done
    done
done
echo "ran $i plans"
finish
