# Hardening (issue 15, part A) through the real program: files written where they should not be,
# resources, exit codes. Each section names the fault it plants; all of them are real (links,
# FIFOs, device files, rlimits through prlimit) except thread creation, which root cannot make
# fail with RLIMIT_NPROC: there an LD_PRELOAD double of pthread_create fails every thread
# started after MPI_Init_thread (FP_THREAD_FAULT_SHIM, tests/fakes/thread_fault_shim.cpp).
source "$(dirname "$0")/common.sh"

# run_rc WHAT WANT_RC PATTERN CMD...: CMD exits WANT_RC (within 20 s: a hang fails) and its
# output contains PATTERN.
run_rc() {
    local what=$1 want=$2 pattern=$3 rc
    shift 3
    set +e
    timeout 20 "$@" >"$T/run.out" 2>&1 </dev/null
    rc=$?
    set -e
    if [ $rc -eq "$want" ] && grep -qF -- "$pattern" "$T/run.out"; then
        ok "$what: exit $rc, $(grep -F -- "$pattern" "$T/run.out" | head -1)"
    else
        bad "$what: rc $rc (want $want, '$pattern'): $(head -3 "$T/run.out")"
    fi
}
regular() { # PATH: a regular file, not a link
    if [ -f "$1" ] && [ ! -L "$1" ]; then ok "$(basename "$1") is a regular file"; else bad "$1 is not a regular file: $(ls -l "$1" 2>&1)"; fi
}

# A plan directory some sections read.
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$T/base" >/dev/null

# ---- (1) links planted in a shared (1777) --out are never followed ----
S="$T/shared"
mkdir -m 1777 "$S"
echo precious >"$T/victim"
# `exec` keeps the shell's PID: the links are planted under the very PID the command runs as,
# for every temporary name of the old scheme (NAME.tmp.PID), as the outputs themselves (links
# to nothing).
plant_and_run() { # DIR NAMES CMD...
    local dir=$1 names=$2
    shift 2
    bash -c 'dir=$1 names=$2 victim=$3; shift 3
        for n in $names; do ln -s "$victim" "$dir/$n.tmp.$$"; ln -sf "$victim.$n" "$dir/$n"; done
        exec "$@"' _ "$dir" "$names" "$T/victim" "$@" >"$T/plant.out" 2>&1 && ok "$2 into a dir with planted links: exit 0" ||
        bad "$2 with planted links: $(head -3 "$T/plant.out")"
}
# A link planted as the directory's lock is refused (exit 3), not followed.
ln -s "$T/victim.lock" "$S/commit.lock"
run_rc "a link planted as commit.lock" 3 "$S/commit.lock: a link: not followed" \
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$S"
rm "$S/commit.lock"
plant_and_run "$S" "checkpoint.h5 plan.csv summary.json resize.csv commit.pending" \
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$S"
for f in plan.csv summary.json checkpoint.h5; do regular "$S/$f"; done
check_plan "$DEMO/hosts.csv" "$DEMO/vms.csv" "$S"
mkdir -m 1777 "$T/gen"
plant_and_run "$T/gen" "hosts.csv vms.csv" "$FLEETPLAN" generate --hosts 3 --vms 4 --seed 1 --out "$T/gen"
for f in hosts.csv vms.csv; do regular "$T/gen/$f"; done
[ "$(cat "$T/victim")" = precious ] && ok "the file the links name is untouched" || bad "the victim was overwritten: $(head -c 80 "$T/victim")"
[ ! -e "$T/victim.lock" ] && ok "no lock file created through a link" || bad "commit.lock followed a link"
# The outputs themselves were planted as links to nothing: replaced, never written through
# (HDF5 builds the checkpoint in memory and never opens its path).
ls "$T"/victim.* >/dev/null 2>&1 && bad "files created through links: $(ls "$T"/victim.*)" || ok "nothing created through the outputs' links"
# A commit list (a crashed writer's, or a planted one) whose temporary is a link: refused, not
# committed as an output.
P="$T/pend"
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$P" >/dev/null
ln -s "$T/victim" "$P/plan.csv.tmp.999999"
printf 'fleetplan commit 1\nrename\tplan.csv.tmp.999999\tplan.csv\n' >"$P/commit.pending"
run_rc "a pending commit whose temporary is a link" 2 "plan.csv.tmp.999999: not a regular file" \
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$P"
regular "$P/plan.csv"

# ---- (2) --out that cannot be a directory of outputs: exit 2, nothing written ----
touch "$T/afile"
ln -s "$T/nowhere" "$T/dangling"
# What --out / wrote there before the check (generate, plan, collect as root).
root_files="/hosts.csv /vms.csv /plan.csv /summary.json /checkpoint.h5 /commit.lock /history.csv"
had_root_files=0
for f in $root_files; do [ -e "$f" ] && had_root_files=1; done
for cmd in plan generate apply simulate collect; do
    case $cmd in
    plan) args=(plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv") ;;
    generate) args=(generate --hosts 2 --vms 2 --seed 1) ;;
    apply) args=(apply "$T/base") ;;
    simulate) args=(simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/none.csv" --policy best) ;;
    collect) args=(collect --hosts "$DEMO/hosts.csv" --connect-uri-template 'test:///default') ;;
    esac
    # Every case for plan and generate; one each for the others (the same check), in turn.
    case $cmd in plan | generate) cases="empty root file dangling" ;; apply) cases=dangling ;; simulate) cases=empty ;; collect) cases="root file" ;; esac
    for c in $cases; do
        case $c in
        empty) run_rc "$cmd --out ''" 2 "--out: empty" "$FLEETPLAN" "${args[@]}" --out "" ;;
        root) run_rc "$cmd --out /" 2 "--out /: the root directory" "$FLEETPLAN" "${args[@]}" --out / ;;
        file) run_rc "$cmd --out a regular file" 2 "--out $T/afile: not a directory" "$FLEETPLAN" "${args[@]}" --out "$T/afile" ;;
        dangling) run_rc "$cmd --out a dangling link" 2 "--out $T/dangling: a link to nothing" "$FLEETPLAN" "${args[@]}" --out "$T/dangling" ;;
        esac
    done
done
[ -s "$T/afile" ] && bad "the regular file was written" || ok "the regular file is untouched"
[ ! -e "$T/nowhere" ] && ok "nothing created through the dangling link" || bad "$T/nowhere created"
if [ $had_root_files = 0 ]; then
    for f in $root_files; do
        if [ -e "$f" ]; then
            bad "$f written"
            rm -f "$f"
        fi
    done
fi

# ---- (5) non-regular input files: refused by name, never read (a FIFO would hang) ----
mkfifo "$T/fifo"
PLAN=(plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$T/o5")
run_rc "inspect a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" inspect "$T/fifo"
run_rc "--hosts a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" plan --hosts "$T/fifo" --vms "$DEMO/vms.csv" --out "$T/o5"
run_rc "--vms a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$T/fifo" --out "$T/o5"
run_rc "--hosts /dev/zero" 2 "/dev/zero: not a regular file" "$FLEETPLAN" plan --hosts /dev/zero --vms "$DEMO/vms.csv" --out "$T/o5"
run_rc "--config a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" "${PLAN[@]}" --config "$T/fifo"
run_rc "--history a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" "${PLAN[@]}" --history "$T/fifo"
run_rc "--traffic a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" "${PLAN[@]}" --traffic "$T/fifo"
run_rc "--evacuate-file a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" "${PLAN[@]}" --evacuate-file "$T/fifo"
run_rc "--previous a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" "${PLAN[@]}" --previous "$T/fifo"
run_rc "--resume a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" plan --resume "$T/fifo" --out "$T/o5"
run_rc "simulate --resume a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" simulate --resume "$T/fifo" --out "$T/o5"
run_rc "dispatch --hosts a FIFO" 2 "$T/fifo: not a regular file" "$FLEETPLAN" dispatch --plan "$T/base" --hosts "$T/fifo" --connect-uri-template 'test:///default' --dry-run
mkdir -p "$T/fp" && mkfifo "$T/fp/plan.csv"
run_rc "a plan.csv that is a FIFO" 2 "$T/fp/plan.csv: not a regular file" "$FLEETPLAN" dispatch --plan "$T/fp" --hosts "$DEMO/hosts.csv" --connect-uri-template 'test:///default' --dry-run

# ---- (3) out of memory and thread-creation failure: exit 3, a clear message ----
# Under AddressSanitizer (CI's sanitizer build) the shadow memory alone exceeds any small
# address-space limit, so the program cannot start there: that check runs in the normal build.
# (No `grep -q`: it stops reading early, nm dies of SIGPIPE, and pipefail makes the test false.)
if nm -D "$FLEETPLAN" 2>/dev/null | grep __asan_init >/dev/null; then
    echo "skip: ulimit -v under AddressSanitizer"
else
    truncate -s 2G "$T/huge.csv" # sparse: no disk used; reading it needs 2 GiB
    run_rc "out of memory (ulimit -v 400 MiB, a 2 GiB input)" 3 "out of memory" \
        prlimit --as=$((400 * 1024 * 1024)) "$FLEETPLAN" plan --hosts "$T/huge.csv" --vms "$DEMO/vms.csv" --out "$T/o3"
    [ ! -e "$T/o3/plan.csv" ] && ok "nothing written" || bad "outputs written"
fi
if [ -n "${FP_THREAD_FAULT_SHIM:-}" ] && [ -f "$FP_THREAD_FAULT_SHIM" ]; then
    "$FLEETPLAN" generate --hosts 300 --vms 1500 --seed 3 --out "$T/g3" >/dev/null
    run_rc "no worker thread can start" 3 "cannot start a thread" \
        env LD_PRELOAD="$FP_THREAD_FAULT_SHIM" ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$FLEETPLAN" plan --hosts "$T/g3/hosts.csv" --vms "$T/g3/vms.csv" --threads 2 --out "$T/o3t"
    grep -q "internal error" "$T/run.out" && bad "reported as an internal error" || ok "not reported as an internal error"
else
    bad "FP_THREAD_FAULT_SHIM not set (tests/CMakeLists.txt builds it)"
fi

# ---- (4) too few file descriptors for MPI start-up: exit 3 ----
for n in 16 24; do
    run_rc "ulimit -n $n" 3 "file descriptors" \
        prlimit --nofile=$n "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --out "$T/o4"
done

# ---- (6) dispatch: a second dispatcher is an environment failure; skipped moves fail ----
test_node "$T/h1.xml" web-1
test_node "$T/h2.xml" # db-1 is not running anywhere: its move is skipped
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\n' >"$T/hosts.csv"
printf 'id,host,cpu,mem,net\nweb-1,h1,1,256,1\ndb-1,h2,1,256,1\n' >"$T/vms.csv"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal evacuate --evacuate h2 --out "$T/d" >/dev/null
cp -r "$T/d" "$T/d2"
DISP=(dispatch --hosts "$T/hosts.csv" --connect-uri-template "test://$T/{id}.xml" --retries 0)
exec 9>"$T/d/dispatch.lock" # this shell holds the plan's dispatch lock, as a dispatcher would
flock -x 9
run_rc "a second dispatcher of one plan" 3 "another fleetplan dispatch of this plan is running" "$FLEETPLAN" "${DISP[@]}" --plan "$T/d"
exec 9>&-
run_rc "a dispatch whose every move was skipped" 3 "1 of 1 migrations skipped" "$FLEETPLAN" "${DISP[@]}" --plan "$T/d"
run_rc "the same with --allow-skips" 0 "1 skipped of 1 migrations" "$FLEETPLAN" "${DISP[@]}" --plan "$T/d2" --allow-skips
run_rc "--resume --allow-skips" 0 "1 skipped of 1 migrations" "$FLEETPLAN" dispatch --resume "$T/d" --allow-skips
finish
