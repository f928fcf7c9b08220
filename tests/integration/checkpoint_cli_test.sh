# The checkpoint as a product: h5dump reads it, inspect summarises it, --resume recomputes the
# same outputs from it alone, bad files are exit code 2, a killed writer leaves the old file.
source "$(dirname "$0")/common.sh"
cp "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/"
"$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal consolidate --evacuate h003 \
    --config "$SRC/configs/consolidate.toml" --now 2026-11-25T10:00:00Z --seed 17 --out "$T/a" >/dev/null
CK="$T/a/checkpoint.h5"
h5dump -H "$CK" >"$T/h5dump.txt" && grep -q '/fleet/vms\|GROUP "vms"' "$T/h5dump.txt" && ok "h5dump reads the layout" || bad "h5dump failed"
h5dump -d /fleet/hosts/cpu -A "$CK" | grep 'millicores' >/dev/null && ok "units attribute present" || bad "no units attribute"
"$FLEETPLAN" inspect "$CK" >"$T/inspect.txt"
grep -q 'freed hosts' "$T/inspect.txt" && grep -q 'hottest hosts' "$T/inspect.txt" && ok "inspect summary" || bad "inspect output: $(cat "$T/inspect.txt")"
"$FLEETPLAN" inspect "$CK" --json >"$T/inspect.json"
"$PYTHON" - "$T/inspect.json" "$T/a/summary.json" <<'PY' && ok "inspect --json matches summary.json" || bad "inspect --json"
import json, sys
j = json.load(open(sys.argv[1])); s = json.load(open(sys.argv[2]))
assert j["seed"] == 17 and j["goal"] == "consolidate", j
assert j["summary"]["migrations"] == s["migrations"]
assert j["summary"]["freed_hosts"] == s["freed_hosts"]
assert any("min-migration-time" in p for p in j["policies"]), j["policies"]
assert j["inputs"]["now"] == "2026-11-25T10:00:00Z"
PY
# Resume from the checkpoint alone: the original inputs are gone.
rm "$T/hosts.csv" "$T/vms.csv"
"$FLEETPLAN" plan --resume "$CK" --out "$T/b" >/dev/null
cmp -s "$T/a/plan.csv" "$T/b/plan.csv" && ok "resume: plan.csv byte-identical" || bad "resume: plan.csv differs"
[ "$(stable_summary "$T/a/summary.json")" = "$(stable_summary "$T/b/summary.json")" ] &&
    ok "resume: summary.json identical less timings" || bad "resume: summary differs"
set +e
"$FLEETPLAN" plan --resume "$CK" --goal balance --out "$T/c" 2>/dev/null; rc=$?
set -e
[ $rc -eq 2 ] && ok "resume rejects overriding flags" || bad "resume with --goal: exit $rc"
# Bad checkpoints.
head -c 2000 "$CK" >"$T/trunc.h5"
echo "hello" >"$T/foreign.h5"
for f in trunc foreign; do
    set +e
    "$FLEETPLAN" inspect "$T/$f.h5" 2>"$T/$f.err"; rc=$?
    set -e
    [ $rc -eq 2 ] && grep -q "$T/$f.h5" "$T/$f.err" && ok "$f checkpoint: exit 2, names the file" || bad "$f checkpoint: exit $rc: $(cat "$T/$f.err")"
done
# Kill the writer in the middle of a checkpoint: the previous checkpoint survives whole.
cp "$DEMO/hosts.csv" "$DEMO/vms.csv" "$T/"
before=$(md5sum <"$CK")
set +e
FP_CKPT_ABORT_AFTER=8 "$FLEETPLAN" plan --hosts "$T/hosts.csv" --vms "$T/vms.csv" --goal balance --out "$T/a" >/dev/null 2>&1; rc=$?
set -e
[ $rc -ne 0 ] && ok "writer killed mid-checkpoint (exit $rc)" || bad "writer was not killed"
[ "$(md5sum <"$CK")" = "$before" ] && "$FLEETPLAN" inspect "$CK" >/dev/null && ok "previous checkpoint intact" || bad "checkpoint damaged"
finish
