# vms.csv split across 4 ranks (src/dist/split_vms.hpp): each rank parses only its byte range
# (no rank more than 30% of the rows), the plan equals the one-process plan byte for byte, and
# bad input gives exactly the one-process message and exit code wherever the fault lies: a
# duplicate id in the first and last ranges, a value fault and a stray quote in the last range.
# A quoted field holding newlines across a range boundary parses as one record.
P=${1:-4}
TEST_SUFFIX="_np$P"
source "$(dirname "$0")/common.sh"
: "${MPIRUN:?}"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
# 23 MB: 23 digest blocks of 1 MiB, 5 or 6 per rank.
"$FLEETPLAN" generate --hosts 20000 --vms 400000 --seed 7 --out "$T/f" >/dev/null
# A group value with newlines that straddles every rank's nominal start (k·blocks/P MiB).
"$PYTHON" - "$T/f/vms.csv" "$T/quoted.csv" "$P" <<'PY'
import sys
src, dst, P = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
blocks = (len(data) + (1 << 20) - 1) >> 20
cuts = [blocks * r // P << 20 for r in range(1, P)]
lines = data.split(b"\n")
out, at, done = [], 0, set()
for i, line in enumerate(lines):
    end = at + len(line) + 1
    hit = [c for c in cuts if at - 400 <= c < end + 400 and c not in done]
    if i > 0 and line and hit:
        f = line.split(b",")
        f[8] = b'"web\n' + b"x" * 300 + b'\n""tier"""'
        line = b",".join(f)
        done.update(hit)
    out.append(line)
    at = end
assert len(done) == len(cuts), (done, cuts)
open(dst, "wb").write(b"\n".join(out))
PY
run_pair() {  # name vms.csv: plans it with 1 process and with P ranks
    local name=$1 vms=$2
    set +e
    "$FLEETPLAN" plan --hosts "$T/f/hosts.csv" --vms "$vms" --goal auto --threads 1 \
        --out "$T/$name.1" >"$T/$name.1.out" 2>"$T/$name.1.err"
    echo $? >"$T/$name.1.rc"
    timeout 300 "$MPIRUN" --bind-to none -np "$P" "$FLEETPLAN" plan --hosts "$T/f/hosts.csv" \
        --vms "$vms" --goal auto --threads 1 --out "$T/$name.P" >"$T/$name.P.out" 2>"$T/$name.P.err"
    echo $? >"$T/$name.P.rc"
    set -e
}
for name in plain quoted; do
    vms="$T/f/vms.csv"
    [ $name = quoted ] && vms="$T/quoted.csv"
    run_pair $name "$vms"
    [ "$(cat "$T/$name.1.rc") $(cat "$T/$name.P.rc")" = "0 0" ] && ok "$name: both exit 0" ||
        bad "$name: exit $(cat "$T/$name.1.rc") and $(cat "$T/$name.P.rc"): $(head -3 "$T/$name.P.err")"
    cmp -s "$T/$name.1/plan.csv" "$T/$name.P/plan.csv" && ok "$name: np=$P plan.csv identical" ||
        bad "$name: np=$P plan.csv differs"
    [ "$(stable_summary "$T/$name.1/summary.json")" = "$(stable_summary "$T/$name.P/summary.json")" ] &&
        ok "$name: summary identical less timings and rank counts" || bad "$name: summary differs"
done
read -r most total sum n <<<"$("$PYTHON" -c "
import json,sys; s=json.load(open(sys.argv[1])); p=s['vm_rows_parsed_per_rank']
print(s['max_vm_rows_parsed_per_rank'], s['vms'], sum(p), len(p))" "$T/plain.P/summary.json")"
[ "$n" = "$P" ] && [ "$sum" = "$total" ] && ok "each of $P ranks parsed its own rows ($sum in all)" ||
    bad "rows parsed: $n ranks, $sum of $total"
[ $((most * 100)) -le $((total * 30)) ] && ok "at most $most of $total rows parsed on a rank (<= 30%)" ||
    bad "a rank parsed $most of $total rows"
# The whole file's digest, combined from the ranks' blocks, is the one-process digest.
d1=$(h5dump -d /inputs/source "$T/plain.1/checkpoint.h5" | grep -o 'vms.csv fnv1a64-1m:[0-9a-f]*')
dP=$(h5dump -d /inputs/source "$T/plain.P/checkpoint.h5" | grep -o 'vms.csv fnv1a64-1m:[0-9a-f]*')
[ -n "$d1" ] && [ "$d1" = "$dP" ] && ok "same vms.csv digest: $dP" || bad "digests: '$d1' vs '$dP'"
# Faults: the same message and exit code from P ranks as from one process.
"$PYTHON" - "$T/f/vms.csv" "$T" <<'PY'
import sys
src, T = sys.argv[1], sys.argv[2]
lines = open(src, "rb").read().split(b"\n")
first_id = lines[1].split(b",")[0]
last = len(lines) - 2  # the last row (the file ends with a newline)
def write(name, i, line):
    l = list(lines); l[i] = line; open(f"{T}/{name}.csv", "wb").write(b"\n".join(l))
f = lines[last].split(b","); f[0] = first_id; write("dup", last, b",".join(f))
f = lines[last].split(b","); f[2] = b"-1"; write("value", last, b",".join(f))
f = lines[last - 5].split(b","); f[0] = f[0][:3] + b'"' + f[0][3:]; write("quote", last - 5, b",".join(f))
PY
for name in dup value quote; do
    run_pair $name "$T/$name.csv"
    rc1=$(cat "$T/$name.1.rc") rcP=$(cat "$T/$name.P.rc")
    [ "$rc1" = 2 ] && [ "$rcP" = 2 ] && ok "$name: exit 2 from 1 and $P ranks" || bad "$name: exit $rc1 and $rcP"
    # fleetplan's lines (mpirun adds its own banner about the exit code).
    grep -v -e '^---' -e 'job' -e 'process returned' -e 'non-zero exit' -e '^ *$' \
        -e 'Process name' -e 'Exit code' -e '^mpirun' "$T/$name.P.err" >"$T/$name.P.msg" || true
    [ -s "$T/$name.1.err" ] && cmp -s "$T/$name.1.err" "$T/$name.P.msg" &&
        ok "$name: same message: $(head -c 160 "$T/$name.P.msg")" ||
        bad "$name: messages differ: $(diff "$T/$name.1.err" "$T/$name.P.msg" | head -5)"
done
finish
