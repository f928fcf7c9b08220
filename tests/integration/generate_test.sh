# The generator: same seed, same bytes; another seed, other bytes; its output plans cleanly.
source "$(dirname "$0")/common.sh"
"$FLEETPLAN" generate --hosts 300 --vms 3000 --seed 5 --out "$T/a" >/dev/null
"$FLEETPLAN" generate --hosts 300 --vms 3000 --seed 5 --out "$T/b" >/dev/null
"$FLEETPLAN" generate --hosts 300 --vms 3000 --seed 6 --out "$T/c" >/dev/null
cmp -s "$T/a/hosts.csv" "$T/b/hosts.csv" && cmp -s "$T/a/vms.csv" "$T/b/vms.csv" &&
    ok "same seed, same bytes" || bad "same seed gave different bytes"
cmp -s "$T/a/vms.csv" "$T/c/vms.csv" && bad "different seeds gave the same vms.csv" || ok "other seed, other bytes"
new=$(awk -F, 'NR>1 && $2==""' "$T/a/vms.csv" | wc -l)
[ "$new" -eq 30 ] && ok "30 new VMs" || bad "expected 30 new VMs, found $new"
"$FLEETPLAN" plan --hosts "$T/a/hosts.csv" --vms "$T/a/vms.csv" --out "$T/plan" >/dev/null
check_plan "$T/a/hosts.csv" "$T/a/vms.csv" "$T/plan" --expect-no-unresolved
set +e
"$FLEETPLAN" generate --hosts 0 --vms 10 --out "$T/x" 2>"$T/err"
rc=$?
set -e
[ $rc -eq 2 ] && ok "generate --hosts 0 is a usage error" || bad "generate --hosts 0 exit $rc"
finish
