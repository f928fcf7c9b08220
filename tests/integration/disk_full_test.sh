# Disk full (issue 8, Faults): a full disk while writing `plan`'s outputs, `simulate`'s
# checkpoints and `dispatch`'s journal is exit 3 with a message naming the file; the previous
# checkpoint stays intact and readable, no *.tmp.* file is left, and nothing is started.
# The disk is a small tmpfs (mounted directly as root, else in a user namespace via unshare -rm;
# skipped when neither is allowed). A file-size limit (ulimit -f) is the second fault: fleetplan
# ignores SIGXFSZ so the write fails with EFBIG instead of the signal killing it mid-write. It
# needs a large fleet: MPI start-up itself writes files of a few MB.
if [ "$(id -u)" != 0 ] && [ -z "${FP_DISK_FULL_NS:-}" ]; then
    if unshare -rm true 2>/dev/null; then
        FP_DISK_FULL_NS=1 exec unshare -rm bash "$0" "$@"
    fi
    echo "skip: cannot mount a tmpfs here (not root, no user namespaces)"
    exit 0
fi
source "$(dirname "$0")/common.sh"
MNT="$T/mnt"
mkdir -p "$MNT"
if ! mount -t tmpfs -o size=2m tmpfs "$MNT" 2>"$T/mount.err"; then
    echo "skip: cannot mount a tmpfs: $(cat "$T/mount.err")"
    exit 0
fi
trap 'umount "$MNT" 2>/dev/null || umount -l "$MNT" 2>/dev/null || true' EXIT

# fill FREE_PAGES: fills the tmpfs, leaving FREE_PAGES 4 KiB pages free.
fill() {
    rm -f "$MNT/fill" "$MNT/pad"
    if [ "$1" -gt 0 ]; then dd if=/dev/zero of="$MNT/pad" bs=4k count="$1" 2>/dev/null; fi
    dd if=/dev/zero of="$MNT/fill" bs=4k 2>/dev/null || true
    rm -f "$MNT/pad"
}
unfill() { rm -f "$MNT/fill" "$MNT/pad"; }
# run3 WHAT FILE-PATTERN CMD...: exit 3 and the message names the file.
run3() {
    local what=$1 pattern=$2 rc
    shift 2
    set +e
    timeout 120 "$@" >"$T/out" 2>&1
    rc=$?
    set -e
    if [ $rc -eq 3 ] && grep -qF -- "$pattern" "$T/out" && grep -q "No space left on device" "$T/out"; then
        ok "$what: exit 3, names $pattern: $(grep -F -- "$pattern" "$T/out" | head -1)"
    else
        bad "$what: rc $rc: $(head -3 "$T/out")"
    fi
}
no_tmp() { if ls "$1"/*.tmp.* >/dev/null 2>&1; then bad "leftover temporaries in $1: $(ls "$1")"; else ok "no *.tmp.* left in $1"; fi; }
same_files() { # DIR SUMS: the files' checksums are unchanged
    if (cd "$1" && md5sum -c --quiet "$2"); then ok "previous outputs in $1 intact"; else bad "outputs in $1 changed"; fi
}

# ---- (1) plan: the outputs of an earlier run stay, byte for byte ----
P="$MNT/plan"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --out "$P" >/dev/null
(cd "$P" && md5sum checkpoint.h5 plan.csv summary.json) >"$T/plan.sums"
# The new checkpoint's size in pages: with a little more free, it is staged and a later file
# meets the full disk, and the staged checkpoint must go again.
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$T/ckref" >/dev/null
ck_pages=$(( ($(stat -c %s "$T/ckref/checkpoint.h5") + 4095) / 4096 ))
for free in 0 8 $((ck_pages + 2)); do # a full disk; the checkpoint's first pages fit; all of it fits
    fill $free
    # With all of the checkpoint staged, a later file (summary.json, plan.csv or the commit
    # list, by a page of slack) meets the full disk.
    [ "$free" -gt 8 ] && file="$P/" || file="$P/checkpoint.h5"
    run3 "plan into a full dir ($free pages free)" "$file" \
        "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$P"
    if [ "$free" -gt 8 ]; then
        grep -q "checkpoint.h5" "$T/out" && bad "the checkpoint itself met the full disk: $(head -1 "$T/out")" ||
            ok "a file staged after the checkpoint met the full disk; the staged checkpoint went again"
    fi
    same_files "$P" "$T/plan.sums"
    no_tmp "$P"
    "$FLEETPLAN" inspect "$P/checkpoint.h5" >/dev/null && ok "inspect reads the previous checkpoint" || bad "inspect fails"
done
unfill
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate --out "$P" >/dev/null &&
    check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$P" || bad "plan after freeing space"

# ---- (2) simulate --checkpoint-every 1: the previous checkpoint stays; resume completes ----
sim_trace "$SMALL/vms.csv" "$T/trace.csv"
SIM=(simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" --policy best)
"$FLEETPLAN" "${SIM[@]}" --out "$T/sref" >/dev/null
S="$MNT/sim"
"$FLEETPLAN" "${SIM[@]}" --stop-after 5 --out "$S" >/dev/null
(cd "$S" && md5sum checkpoint.h5) >"$T/sim.sums"
fill 0
run3 "simulate --checkpoint-every 1 into a full dir" "$S/checkpoint.h5" "$FLEETPLAN" "${SIM[@]}" --checkpoint-every 1 --out "$S"
same_files "$S" "$T/sim.sums"
no_tmp "$S"
run3 "simulate --resume into a full dir" "$S/checkpoint.h5" "$FLEETPLAN" simulate --resume "$S/checkpoint.h5" --out "$S"
same_files "$S" "$T/sim.sums"
"$FLEETPLAN" inspect "$S/checkpoint.h5" | grep "simulator checkpoint" >/dev/null && ok "inspect reads the simulator checkpoint" || bad "inspect sim checkpoint"
unfill
"$FLEETPLAN" simulate --resume "$S/checkpoint.h5" --out "$S" >/dev/null && ok "resume once space is back" || bad "resume after freeing space"
[ "$(stable_sim "$T/sref")" = "$(stable_sim "$S")" ] && ok "resumed run = uninterrupted run" || bad "resumed run differs"
no_tmp "$S"

# ---- (3) dispatch: the journal cannot be written: exit 3, no migration started ----
test_node "$T/h1.xml" web-1
test_node "$T/h2.xml" db-1
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\n' >"$T/hosts.csv"
printf 'id,host,cpu,mem,net\nweb-1,h1,1,256,1\ndb-1,h2,1,256,1\n' >"$T/vms.csv"
D="$MNT/disp"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal evacuate --evacuate h2 --out "$D" >/dev/null
[ "$(tail -n +2 "$D/plan.csv" | cut -d, -f2-4)" = "db-1,h2,h1" ] && ok "a plan with one move" || bad "plan: $(cat "$D/plan.csv")"
fill 1 # room for dispatch.json, none for the journal
run3 "dispatch with the journal unwritable" "$D/dispatch.journal" \
    "$FLEETPLAN" dispatch --plan "$D" --hosts "$T/hosts.csv" --connect-uri-template "test://$T/{id}.xml" --retries 1 --backoff 0
# The test driver refuses every migration ("p2p migration is not supported"): its message
# would show that a migration was attempted.
if grep -q "p2p\|failed: db-1" "$T/out"; then bad "a migration was attempted: $(cat "$T/out")"; else ok "no migration attempted"; fi
if [ -e "$D/dispatch.journal" ] && grep -q ",started," "$D/dispatch.journal"; then bad "journal says started"; else ok "nothing started in the journal"; fi
no_tmp "$D"
unfill
set +e
"$FLEETPLAN" dispatch --resume "$D" >"$T/resume.out" 2>&1
rc=$?
set -e
# With space back, resume runs the move (which the test driver then refuses: exit 3, journalled).
[ $rc -eq 3 ] && grep -q ",started," "$D/dispatch.journal" && grep -q "p2p migration is not supported" "$T/resume.out" &&
    ok "dispatch --resume after freeing space attempts the move" || bad "resume after space: rc $rc: $(head -3 "$T/resume.out")"

# ---- (4) a file-size limit: EFBIG, not SIGXFSZ; exit 3; the previous checkpoint intact ----
umount "$MNT"
"$FLEETPLAN" generate --hosts 100000 --vms 200000 --seed 4 --out "$T/big" >/dev/null
U="$T/ulimit"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$U" >/dev/null
(cd "$U" && md5sum checkpoint.h5 plan.csv summary.json) >"$T/u.sums"
set +e
(
    ulimit -f 8000 # KiB: MPI start-up fits, the 100,000-host outputs do not
    exec "$FLEETPLAN" plan --hosts "$T/big/hosts.csv" --vms "$T/big/vms.csv" --out "$U"
) >"$T/u.out" 2>&1
rc=$?
set -e
# Whichever output first meets the limit (the checkpoint, or plan.csv after it) is named.
[ $rc -eq 3 ] && grep -qE "$U/(checkpoint.h5|plan.csv): write failed: File too large" "$T/u.out" &&
    ok "ulimit -f: exit 3, $(grep -E "$U/(checkpoint.h5|plan.csv)" "$T/u.out" | head -1)" || bad "ulimit -f: rc $rc: $(head -3 "$T/u.out")"
same_files "$U" "$T/u.sums"
no_tmp "$U"
finish
