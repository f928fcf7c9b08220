# Smoke test of tests/integration/libvirt_env.sh: two real libvirtd daemons in namespaces of their
# own, one TCG guest, one real peer-to-peer live migration from host 1 to host 2. Needs root and
# the libvirt/QEMU packages (see libvirt_env.sh). Everything started here is stopped on exit.
source "$(dirname "$0")/common.sh"
for b in libvirtd virsh qemu-system-x86_64 unshare ip; do
    command -v "$b" >/dev/null || { bad "$b not installed (tools/setup.sh installs libvirt and QEMU)"; finish; exit 1; }
done
[ "$(id -u)" = 0 ] || { bad "needs root (namespaces, libvirtd)"; finish; exit 1; }
source "$(dirname "$0")/libvirt_env.sh"
trap lv_down EXIT
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

t0=$(date +%s.%N)
lv_up 1 1
t1=$(date +%s.%N)
ok "lv_up 1 1 in $(secs "$t0" "$t1") s (hosts $LV_IP1, $LV_IP2; libvirtd pids $LV_PID1, $LV_PID2)"
[ "${LV_FAIL_AFTER_UP:-0}" = 1 ] && false   # deliberate failure: the EXIT trap must clean up

[ "$(lv_domstate 1 vm-1-1)" = running ] && ok "vm-1-1 running on host 1" || bad "vm-1-1 not running on host 1"
[ "$(lv_domstate 2 vm-2-1)" = running ] && ok "vm-2-1 running on host 2" || bad "vm-2-1 not running on host 2"
[ "$(lv_domstate 2 vm-1-1)" = absent ] && ok "vm-1-1 not on host 2 yet" || bad "vm-1-1 already on host 2"
qemu_before=$(lv_qemu_pids 1)

t0=$(date +%s.%N)
if ip netns exec "$LV_NS1" virsh -c "$LV_URI1" migrate --live --p2p vm-1-1 \
    "qemu+tcp://$LV_IP2/system" "tcp://$LV_IP2"; then
    ok "virsh migrate --live --p2p vm-1-1 to $LV_IP2 in $(secs "$t0" "$(date +%s.%N)") s"
else
    bad "migration of vm-1-1 failed (logs: $LV_BASE1/log, $LV_BASE2/log)"
fi

[ "$(lv_domstate 2 vm-1-1)" = running ] && ok "vm-1-1 running on host 2" || bad "vm-1-1 not running on host 2: $(lv_domstate 2 vm-1-1)"
[ "$(lv_domstate 1 vm-1-1)" = absent ] && ok "vm-1-1 gone from host 1" || bad "vm-1-1 still on host 1: $(lv_domstate 1 vm-1-1)"
[ -z "$(lv_qemu_pids 1)" ] && [ -n "$qemu_before" ] && ok "host 1's QEMU ($qemu_before) exited" ||
    bad "host 1's QEMU before: '$qemu_before', now: '$(lv_qemu_pids 1)'"
[ "$(lv_qemu_pids 2 | wc -l)" = 2 ] && ok "host 2 runs 2 QEMUs" || bad "host 2 QEMUs: $(lv_qemu_pids 2 | tr '\n' ' ')"
finish
