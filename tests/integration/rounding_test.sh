# --max-util is turned into parts per million with one rounding, half away from zero, in the
# planner and in the checker alike (README, "Units and exactness"). 0.0100005 is exactly
# 10000.5 ppm in binary: half-to-even gives 10000, half away from zero 10001, and a plan that
# fills a host to 10001 millicores of its 1,000,000 was rejected by the checker.
source "$(dirname "$0")/common.sh"
printf 'id,cpu,mem,net\nh1,1000,1000000,1000000\nh2,1000,1000000,1000000\n' >"$T/hosts.csv"
printf 'id,host,cpu,mem,net\nv1,h1,10.001,1,1\nv2,h1,10.001,1,1\n' >"$T/vms.csv"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal hotspot --max-util 0.0100005 \
    --out "$T/plan" >/dev/null
# The planner's limit is 10001 millicores: one VM moves to h2, which it fills to the limit.
if [ "$(tail -n +2 "$T/plan/plan.csv" | wc -l)" -eq 1 ]; then ok "one move"; else bad "moves: $(cat "$T/plan/plan.csv")"; fi
check_plan "$T/hosts.csv" "$T/vms.csv" "$T/plan" --max-util 0.0100005
# Exactly at the tie the other way (…4999 ppm rounds down in both): h2 would be over; nothing fits.
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal hotspot --max-util 0.0100004 \
    --out "$T/plan4" >/dev/null
check_plan "$T/hosts.csv" "$T/vms.csv" "$T/plan4" --max-util 0.0100004
finish
