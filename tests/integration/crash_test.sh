# kill -9 at fixed points (FP_CRASH_AT=POINT:N makes fleetplan SIGKILL itself the N-th time it
# passes POINT), then resume, and the final outputs equal an uninterrupted run's:
#  plan     — inside the checkpoint write (several datasets) and at every step of the outputs'
#             commit; the directory never holds files of two runs;
#  simulate — inside checkpoint writes and between intervals;
#  dispatch — between a journal append and the action it announces (libvirt's test driver).
# Temporary files of a killed writer are cleaned by the next write.
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
PL="$SRC/tests/data/planetlab/20110306-subset"
ORDER="$SRC/tests/data/planetlab/order-20110306-subset.txt"
killed() { # expects the command to die by SIGKILL
    set +e
    "$@" >/dev/null 2>&1
    local rc=$?
    set -e
    [ $rc -eq 137 ]
}

# ---- plan ----
# The directory holds an earlier, different plan (goal balance). The new run's outputs are staged
# (plan-output:1), committed by DIR/commit.pending (plan-output:2) and put in place one by one
# (plan-output:3..6: checkpoint.h5, resize.csv's removal, summary.json, plan.csv). A kill before
# the commit point leaves the earlier run whole; a kill after it leaves the list, and the next
# command reading the directory (plan --resume under mpirun, plan --previous, dispatch) completes
# the new run. Either way the
# directory holds one run's files, and a resume then leaves no temporaries.
PLAN=(plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate)
"$FLEETPLAN" "${PLAN[@]}" --out "$T/ref" >/dev/null
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal balance --out "$T/earlier" >/dev/null
cmp -s "$T/ref/plan.csv" "$T/earlier/plan.csv" && bad "the earlier plan must differ from the reference"
same_plan() { cmp -s "$1/plan.csv" "$2/plan.csv" && [ "$(stable_summary "$1/summary.json")" = "$(stable_summary "$2/summary.json")" ]; }
for point in ckpt:1 ckpt:7 ckpt:25 plan-output:1 plan-output:2 plan-output:3 plan-output:4 plan-output:5 plan-output:6; do
    d="$T/p-${point/:/-}"
    rm -rf "$d" && cp -r "$T/earlier" "$d"
    if ! FP_CRASH_AT=$point killed "$FLEETPLAN" "${PLAN[@]}" --out "$d"; then
        bad "plan with FP_CRASH_AT=$point did not die by SIGKILL"
        continue
    fi
    want=earlier pending=no
    case $point in plan-output:[2-6]) want=new pending=yes ;; esac
    if [ -e "$d/commit.pending" ]; then has=yes; else has=no; fi
    [ "$has" = "$pending" ] || bad "plan killed at $point: commit.pending there: $has (want $pending)"
    # The next command reading the directory finishes the commit: plan --resume under mpirun
    # (rank 0 before any rank reads), plan --previous, or dispatch.
    case $point in
    plan-output:2) how="mpirun -np 2 plan --resume"
        "$MPIRUN" -np 2 "$FLEETPLAN" plan --resume "$d/checkpoint.h5" --out "$d.first" >/dev/null ;;
    plan-output:3) how="plan --previous"
        "$FLEETPLAN" "${PLAN[@]}" --previous "$d/checkpoint.h5" --out "$d.first" >/dev/null ;;
    *) how="dispatch --dry-run"
        "$FLEETPLAN" dispatch --plan "$d" --hosts "$DEMO/hosts.csv" --connect-uri-template 'test:///default' --dry-run >/dev/null ;;
    esac || bad "plan killed at $point: $how failed on the directory"
    [ -e "$d/commit.pending" ] && bad "plan killed at $point: $how left commit.pending"
    got=mixed
    same_plan "$d" "$T/earlier" && got=earlier
    same_plan "$d" "$T/ref" && got=new
    "$FLEETPLAN" plan --resume "$d/checkpoint.h5" --out "$d.check" >/dev/null
    if [ "$got" = "$want" ] && same_plan "$d" "$d.check"; then
        ok "plan killed at $point (commit list left: $has, then $how): the directory holds the $got run's files, checkpoint included"
    else
        bad "plan killed at $point: directory is '$got' (want $want) or its checkpoint is of another run"
    fi
    "$FLEETPLAN" plan --resume "$d/checkpoint.h5" --out "$d" >/dev/null
    if same_plan "$d" "$d.check" && ! ls "$d"/*.tmp.* >/dev/null 2>&1 && [ ! -e "$d/commit.pending" ]; then
        ok "plan killed at $point: a resume into the directory leaves no temporaries"
    else
        bad "plan killed at $point: after a resume: $(ls "$d")"
    fi
done

# ---- simulate ----
SIM=(simulate --preset cloudsim-planetlab --trace "$PL" --trace-order "$ORDER" --policy lr-mmt --intervals 48 --checkpoint-every 4)
"$FLEETPLAN" "${SIM[@]}" --out "$T/sref" >/dev/null
for point in ckpt:20 ckpt:70 ckpt:260 sim-interval:5 sim-interval:31 sim-interval:48; do
    d="$T/s-${point/:/-}"
    if FP_CRASH_AT=$point killed "$FLEETPLAN" "${SIM[@]}" --out "$d"; then
        if [ -e "$d/checkpoint.h5" ]; then
            done_k=$("$PYTHON" -c "import h5py,sys; print(h5py.File(sys.argv[1],'r')['/sim'].attrs['intervals_done'])" "$d/checkpoint.h5")
            "$FLEETPLAN" simulate --resume "$d/checkpoint.h5" --out "$d" >/dev/null
        else
            done_k=0  # killed inside the first write: nothing to resume, start again
            "$FLEETPLAN" "${SIM[@]}" --out "$d" >/dev/null
        fi
        [ "$(stable_sim "$T/sref")" = "$(stable_sim "$d")" ] && ! ls "$d"/*.tmp.* >/dev/null 2>&1 &&
            ok "simulate killed at $point (checkpoint at $done_k intervals): resume = uninterrupted" ||
            bad "simulate killed at $point: outputs differ"
    else
        bad "simulate with FP_CRASH_AT=$point did not die by SIGKILL"
    fi
done

# ---- dispatch (test driver: it cannot migrate, so every attempt fails the same way) ----
test_node "$T/h1.xml" a b c
test_node "$T/h2.xml"
printf 'id,cpu,mem,net\nh1,4,8192,1000\nh2,4,8192,1000\n' >"$T/hosts.csv"
printf 'id,host,cpu,mem,net\na,h1,0.5,256,1\nb,h1,0.5,256,1\nc,h1,0.5,256,1\n' >"$T/vms.csv"
printf '[waves]\nmax_per_host = 1\n' >"$T/one.toml"
outcome() { # final event and reason per move
    "$PYTHON" -c "
import csv, sys
last = {}
for r in csv.DictReader(open(sys.argv[1])):
    if r['event'] != 'queued': last[int(r['move'])] = (r['event'], r['reason'].split(':')[0])
print(sorted(last.items()))" "$1"
}
DISP=(dispatch --hosts "$T/hosts.csv" --connect-uri-template "test://$T/{id}.xml" --retries 0 --backoff 0)
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal evacuate --evacuate h1 --config "$T/one.toml" --out "$T/dref" >/dev/null
"$FLEETPLAN" "${DISP[@]}" --plan "$T/dref" >/dev/null 2>&1 || true
for k in 2 4 5 8; do
    d="$T/d-$k"
    mkdir -p "$d" && cp "$T/dref/plan.csv" "$T/dref/checkpoint.h5" "$d/"
    if FP_CRASH_AT=journal:$k killed "$FLEETPLAN" "${DISP[@]}" --plan "$d"; then
        "$FLEETPLAN" dispatch --resume "$d" >/dev/null 2>&1 || true
        [ "$(outcome "$T/dref/dispatch.journal")" = "$(outcome "$d/dispatch.journal")" ] &&
            ok "dispatch killed after journal entry $k: resume ends with the same outcome per move" ||
            bad "dispatch killed after entry $k: $(outcome "$d/dispatch.journal") vs $(outcome "$T/dref/dispatch.journal")"
    else
        bad "dispatch with FP_CRASH_AT=journal:$k did not die by SIGKILL"
    fi
done
finish
