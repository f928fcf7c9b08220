# Two real libvirtd daemons on this machine, each in network, mount and UTS namespaces of its own,
# joined by a veth pair, with real (TCG) QEMU guests that can be live-migrated between them.
# See /work/shared/RECIPES.md, section "libvirt". Sourced by integration tests AFTER common.sh
# (which provides $T, ok, bad).
#
# Needs: root; iproute2 (ip netns), util-linux (unshare); the Debian packages libvirt-daemon,
# libvirt-daemon-driver-qemu, libvirt-clients, qemu-system-x86 (tools/setup.sh installs them).
# Side effects outside $T: the libvirt-qemu user/group (created once, never removed), the empty
# mount points /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt, and, while the
# environment is up, the namespaces /run/netns/fpl1-$$ and fpl2-$$; the QEMU capabilities cache
# $LV_CAPS_CACHE (below).
#
# Functions:
#   lv_up N1 N2          start both daemons and create N1 guests vm-1-1.. on host 1 and N2 guests
#                        vm-2-1.. on host 2 (transient, 64 MiB, 1 vCPU); returns non-zero on failure.
#   lv_down              kill both daemons and all their QEMUs (everything inside the two network
#                        namespaces, by PID), delete the namespaces (and with them the veth pair).
#                        Idempotent; safe in an EXIT trap and after a half-done lv_up. Keeps $T/lv.
#   lv_kill_daemon N     kill -9 host N's libvirtd only; its guests keep running.
#   lv_restart_daemon N  start host N's libvirtd again on the same base dir (it reconnects to the
#                        running guests); updates LV_PIDN.
#   lv_virsh N ARGS...   virsh -c $LV_URIN ARGS..., run inside host N's network namespace.
#   lv_qemu_pids N       PIDs of the QEMU processes of host N (from its run/qemu/*.pid files,
#                        checked to be live processes inside host N's network namespace).
#   lv_domstate N DOM    prints the state of DOM on host N ("running", ...) or "absent".
# Variables (N = 1, 2), exported; LV_NSN LV_IPN LV_BASEN LV_TCPURIN LV_CAPS_CACHE as soon as this
# file is sourced, LV_SOCKN LV_URIN LV_PIDN by lv_up (LV_PIDN also by lv_restart_daemon):
#   LV_NSN    network namespace name (fpl1-$$, fpl2-$$)
#   LV_IPN    host N's address on the veth pair (10.199.X.N, X = $$ % 250 + 1)
#   LV_BASEN  host N's base dir ($T/lv/hostN: etc run lib log cache; daemon log in log/libvirtd.log,
#             guest logs in log/qemu/)
#   LV_SOCKN  host N's read-write unix socket path: $LV_BASEN/run/libvirt-sock, or, when that is
#             longer than a unix socket path may be, /tmp/fplN-$$.run/libvirt-sock through a
#             symlink to $LV_BASEN/run (the symlink is removed by lv_down)
#   LV_URIN   qemu+unix:///system?socket=$LV_SOCKN  (usable from outside the namespaces)
#   LV_PIDN   host N's libvirtd PID
#   LV_CAPS_CACHE  dir (default $WORK/.libvirt-qemu-caps, kept between runs) with libvirt's
#             probed QEMU capabilities; saves ~4 s per daemon. Set it before sourcing to move it.
#   LV_TCPURIN qemu+tcp://$LV_IPN/system  (libvirtd's TCP listener; reachable from the other
#             namespace, e.g. as the peer-to-peer migration destination)
# Migrate, e.g.: ip netns exec "$LV_NS1" virsh -c "$LV_URI1" migrate --live --p2p vm-1-1 \
#                    "qemu+tcp://$LV_IP2/system" "tcp://$LV_IP2"

LV_X=$(($$ % 250 + 1))
export LV_NS1="fpl1-$$" LV_NS2="fpl2-$$"
export LV_IP1="10.199.$LV_X.1" LV_IP2="10.199.$LV_X.2"
export LV_TCPURI1="qemu+tcp://$LV_IP1/system" LV_TCPURI2="qemu+tcp://$LV_IP2/system"
export LV_BASE1="${T:?source common.sh first}/lv/host1" LV_BASE2="$T/lv/host2"
export LV_CAPS_CACHE="${LV_CAPS_CACHE:-${WORK:-$T}/.libvirt-qemu-caps}"
export LV_SOCK1="" LV_SOCK2="" LV_URI1="" LV_URI2="" LV_PID1="" LV_PID2=""

_lv_log() { echo "libvirt_env: $*" >&2; }

# A unix socket path holds at most 107 bytes. If the base dir is too deep, reach its run dir
# through a short symlink in /tmp (removed by lv_down).
_lv_sock_path() {
    local n=$1 base run
    base=$(eval echo "\$LV_BASE$n")
    run="$base/run"
    if [ ${#run} -gt 80 ]; then
        run="/tmp/fpl$n-$$.run"
        ln -sfn "$base/run" "$run"
    fi
    echo "$run/libvirt-sock"
}

_lv_write_conf() {
    local n=$1 b=$2
    mkdir -p "$b/etc" "$b/run" "$b/lib" "$b/log" "$b/cache"
    cat >"$b/etc/libvirtd.conf" <<EOF
listen_tls = 0
listen_tcp = 1
auth_tcp = "none"
auth_unix_rw = "none"
host_uuid = "00000000-0000-4000-8000-00000000000$n"
log_outputs = "3:file:$b/log/libvirtd.log"
EOF
    cat >"$b/etc/qemu.conf" <<'EOF'
user = "root"
group = "root"
dynamic_ownership = 0
security_driver = "none"
cgroup_controllers = [ ]
namespaces = [ ]
stdio_handler = "file"
remember_owner = 0
EOF
}

# Start host N's libvirtd in the background and wait (10 s) until it answers on its socket.
_lv_start_daemon() {
    local n=$1 b ns sock uri pid i
    b=$(eval echo "\$LV_BASE$n")
    ns=$(eval echo "\$LV_NS$n")
    sock=$(eval echo "\$LV_SOCK$n")
    uri=$(eval echo "\$LV_URI$n")
    rm -f "$sock"   # stale after a kill -9; the daemon is not running
    # ip netns exec, unshare (without --fork) and bash all exec, so $! is libvirtd's PID.
    ip netns exec "$ns" unshare --mount --uts bash -c "mount --make-rprivate / && hostname lvhost$n \
&& mount --bind '$b/etc' /etc/libvirt && mount --bind '$b/run' /run/libvirt \
&& mount --bind '$b/lib' /var/lib/libvirt && mount --bind '$b/log' /var/log/libvirt \
&& mount --bind '$b/cache' /var/cache/libvirt \
&& exec libvirtd --listen --config /etc/libvirt/libvirtd.conf --pid-file /run/libvirt/libvirtd.pid" \
        </dev/null >>"$b/log/libvirtd.stdout" 2>&1 &
    pid=$!
    export "LV_PID$n=$pid"
    for ((i = 0; i < 100; i++)); do
        [ -S "$sock" ] && break
        if ! kill -0 "$pid" 2>/dev/null; then
            _lv_log "libvirtd $n (pid $pid) died; see $b/log/libvirtd.stdout and libvirtd.log"
            tail -5 "$b/log/libvirtd.stdout" >&2 || true
            return 1
        fi
        sleep 0.1
    done
    if ! [ -S "$sock" ]; then
        _lv_log "libvirtd $n (pid $pid): no socket $sock after 10 s"
        return 1
    fi
    if ! timeout 20 virsh -q -c "$uri" uri >/dev/null 2>"$b/log/virsh-connect.err"; then
        _lv_log "libvirtd $n does not answer on $sock: $(cat "$b/log/virsh-connect.err")"
        return 1
    fi
}

_lv_guest_xml() {
    cat <<EOF
<domain type="qemu">
  <name>$1</name>
  <memory unit="MiB">64</memory>
  <vcpu>1</vcpu>
  <os><type arch="x86_64" machine="pc">hvm</type></os>
  <cpu mode="custom" match="exact"><model fallback="allow">qemu64</model></cpu>
  <on_poweroff>destroy</on_poweroff>
  <on_reboot>restart</on_reboot>
  <on_crash>destroy</on_crash>
  <devices>
    <serial type="pty"/>
    <memballoon model="none"/>
  </devices>
</domain>
EOF
}

lv_up() {
    local n1=${1:?lv_up N1 N2} n2=${2:?lv_up N1 N2} n i count b
    # Leftovers of an earlier run under the same names (e.g. a reused PID) go first.
    lv_down
    getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu || return 1
    id -u libvirt-qemu >/dev/null 2>&1 ||
        useradd -r -g libvirt-qemu -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu || return 1
    mkdir -p /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt /etc/libvirt

    ip netns add "$LV_NS1" || return 1
    ip netns add "$LV_NS2" || return 1
    # The veth pair is made inside namespace 1, so no name is ever taken in the root namespace.
    ip -n "$LV_NS1" link add fpveth1 type veth peer name fpveth2 netns "$LV_NS2" || return 1
    ip -n "$LV_NS1" addr add "$LV_IP1/24" dev fpveth1 || return 1
    ip -n "$LV_NS2" addr add "$LV_IP2/24" dev fpveth2 || return 1
    for n in 1 2; do
        ip -n "$(eval echo "\$LV_NS$n")" link set lo up || return 1
        ip -n "$(eval echo "\$LV_NS$n")" link set "fpveth$n" up || return 1
    done

    for n in 1 2; do
        b=$(eval echo "\$LV_BASE$n")
        _lv_write_conf "$n" "$b"
        export "LV_SOCK$n=$(_lv_sock_path "$n")"
        export "LV_URI$n=qemu+unix:///system?socket=$(eval echo "\$LV_SOCK$n")"
    done
    # One host after the other, so that host 2 starts with the QEMU capabilities host 1 probed.
    for n in 1 2; do
        count=$n1
        [ "$n" = 2 ] && count=$n2
        b=$(eval echo "\$LV_BASE$n")
        _lv_caps_seed "$b"
        _lv_start_daemon "$n" || return 1
        for ((i = 1; i <= count; i++)); do
            _lv_guest_xml "vm-$n-$i" >"$b/vm-$n-$i.xml"
            if ! virsh -q -c "$(eval echo "\$LV_URI$n")" create "$b/vm-$n-$i.xml" >/dev/null; then
                _lv_log "could not create vm-$n-$i on host $n; see $b/log/qemu/vm-$n-$i.log"
                return 1
            fi
        done
        _lv_caps_save "$b"
    done
}

# Probing QEMU's capabilities takes libvirtd ~4 s at its first guest. The probe result (which
# libvirt re-validates against the QEMU and libvirtd binaries, and re-probes if stale) is kept in
# $LV_CAPS_CACHE and handed to every new daemon.
_lv_caps_seed() {
    local d="$1/cache/qemu/capabilities"
    compgen -G "$LV_CAPS_CACHE/*.xml" >/dev/null || return 0
    mkdir -p "$d" && cp -p "$LV_CAPS_CACHE"/*.xml "$d/" 2>/dev/null || true
}
_lv_caps_save() {
    local d="$1/cache/qemu/capabilities"
    compgen -G "$d/*.xml" >/dev/null || return 0
    mkdir -p "$LV_CAPS_CACHE" && cp -p "$d"/*.xml "$LV_CAPS_CACHE/" 2>/dev/null || true
}

# Is PID a live (not zombie) process?
_lv_alive() {
    local st
    st=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
    [ -n "$st" ] && [ "$st" != Z ]
}

# PIDs of all processes in network namespace NS (libvirtd, QEMU, helpers), never our own shell.
_lv_ns_pids() {
    [ -e "/run/netns/$1" ] || return 0
    ip netns pids "$1" 2>/dev/null | grep -vx -e "$$" -e "${BASHPID:-$$}" || true
}

lv_qemu_pids() {
    local n=$1 b ns f p nsino
    b=$(eval echo "\$LV_BASE$n")
    ns=$(eval echo "\$LV_NS$n")
    [ -e "/run/netns/$ns" ] || return 0
    nsino=$(stat -L -c %i "/run/netns/$ns")
    for f in "$b"/run/qemu/*.pid; do
        [ -s "$f" ] && [ "$(basename "$f")" != driver.pid ] || continue   # driver.pid is libvirtd's
        p=$(cat "$f")
        _lv_alive "$p" && [ "$(stat -L -c %i "/proc/$p/ns/net" 2>/dev/null)" = "$nsino" ] &&
            [[ "$(cat "/proc/$p/comm" 2>/dev/null)" == qemu* ]] && echo "$p"
    done
    return 0
}

lv_down() {
    local pids="" p ns n i left
    for ns in "$LV_NS1" "$LV_NS2"; do
        pids="$pids $(_lv_ns_pids "$ns")"
    done
    # A daemon that somehow left its namespace is still killed by its recorded PID.
    for p in "${LV_PID1:-}" "${LV_PID2:-}"; do
        [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = libvirtd ] && pids="$pids $p"
    done
    pids=$(echo $pids)
    if [ -n "$pids" ]; then
        kill -TERM $pids 2>/dev/null || true
        for ((i = 0; i < 50; i++)); do
            left=""
            for p in $pids; do _lv_alive "$p" && left="$left $p"; done
            [ -z "$left" ] && break
            sleep 0.1
        done
        [ -n "$left" ] && { kill -KILL $left 2>/dev/null || true; sleep 0.2; }
    fi
    # Reap the daemons we started (our background children), quietly.
    for p in "${LV_PID1:-}" "${LV_PID2:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    for ns in "$LV_NS1" "$LV_NS2"; do
        [ -e "/run/netns/$ns" ] && { ip netns del "$ns" 2>/dev/null || _lv_log "cannot delete netns $ns"; }
    done
    for n in 1 2; do rm -f "/tmp/fpl$n-$$.run"; done
    return 0
}

lv_kill_daemon() {
    local n=${1:?lv_kill_daemon N} p i
    p=$(eval echo "\${LV_PID$n:-}")
    [ -n "$p" ] || { _lv_log "no libvirtd $n recorded"; return 1; }
    kill -KILL "$p" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do _lv_alive "$p" || break; sleep 0.1; done
    wait "$p" 2>/dev/null || true
    return 0
}

lv_restart_daemon() {
    local n=${1:?lv_restart_daemon N} p
    p=$(eval echo "\${LV_PID$n:-}")
    if [ -n "$p" ] && _lv_alive "$p"; then
        _lv_log "libvirtd $n (pid $p) is still running"
        return 1
    fi
    _lv_start_daemon "$n"
}

lv_virsh() {
    local n=${1:?lv_virsh N ARGS...}
    shift
    ip netns exec "$(eval echo "\$LV_NS$n")" virsh -c "$(eval echo "\$LV_URI$n")" "$@"
}

lv_domstate() {
    local st
    if st=$(virsh -q -c "$(eval echo "\$LV_URI$1")" domstate "$2" 2>/dev/null); then
        echo "$st" | head -1
    else
        echo absent
    fi
}

# lv_fleet_files DIR: short per-host socket links DIR/host1 and DIR/host2 (so a URI template can
# name a host's socket by its id), T1/T2/T3 URI templates for fleetplan dispatch/collect, and
# $T/hosts.csv with the two hosts (4 cores, 4096 MiB, addresses on the veth pair).
lv_fleet_files() {
    local dir=$1
    mkdir -p "$dir"
    ln -sfn "$(dirname "$LV_SOCK1")" "$dir/host1"
    ln -sfn "$(dirname "$LV_SOCK2")" "$dir/host2"
    T1="qemu+unix:///system?socket=$dir/{id}/libvirt-sock"
    T2="qemu+tcp://{address}/system"
    T3="tcp://{address}"
    printf 'id,cpu,mem,net,address\nhost1,4,4096,1000,%s\nhost2,4,4096,1000,%s\n' "$LV_IP1" "$LV_IP2" >"$T/hosts.csv"
}
