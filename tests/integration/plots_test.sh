# tools/checkpoint_plots.py on real checkpoints: two goals on the demo fleet give every figure
# plus compare.png, none blank; the small fleet (new VMs, unresolved) plots alone; its arrays
# agree with summary.json; a truncated or too-new checkpoint is exit code 2, naming the file.
source "$(dirname "$0")/common.sh"
PLOTS="$SRC/tools/checkpoint_plots.py"
for goal in consolidate balance; do
    "$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal $goal --out "$T/$goal" >/dev/null
done
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal consolidate --out "$T/small" >/dev/null


# Two checkpoints: LABEL-{utilisation,waves,racks}.png for each, plus compare.png.
if "$PYTHON" "$PLOTS" "$T/consolidate/checkpoint.h5" "$T/balance/checkpoint.h5" --out "$T/two" >"$T/two.txt"; then
    ok "two checkpoints: exit 0"
else
    bad "two checkpoints: exit $?"
fi
expected=""
for label in consolidate balance; do
    for fig in utilisation waves racks; do expected="$expected $T/two/$label-$fig.png"; done
done
expected="$expected $T/two/compare.png"
for png in $expected; do
    not_blank "$png"
    grep -qxF "$png" "$T/two.txt" || bad "$png not printed"
done
[ "$(wc -l <"$T/two.txt")" -eq 7 ] && ok "seven paths printed" || bad "printed: $(cat "$T/two.txt")"

# One checkpoint (new VMs, a maintenance host, an unresolved VM), with a label: unprefixed names.
if "$PYTHON" "$PLOTS" "$T/small/checkpoint.h5" --labels "small fleet" --out "$T/one" >"$T/one.txt"; then
    ok "one checkpoint: exit 0"
else
    bad "one checkpoint: exit $?"
fi
for fig in utilisation waves racks; do not_blank "$T/one/$fig.png"; done

# Through the fleetplan package (python/) the plots use: derived arrays agree with summary.json.
if "$PYTHON" - "$SRC/python" "$T/consolidate/checkpoint.h5" "$T/small/checkpoint.h5" <<'PY'; then
import sys
sys.path.insert(0, sys.argv[1])
import fleetplan
for path in sys.argv[2:]:
    ck = fleetplan.read(path)
    s = ck.summary
    assert ck.format_version == 2 and ck.goal == s["goal"] == "consolidate", ck.goal
    assert ck.active_before().sum() == s["active_hosts_before"], path
    assert ck.active_after().sum() == s["active_hosts_after"], path
    assert ck.migrated().sum() == s["migrations"] and (~ck.migrated()).sum() == s["placements"]
    assert ck.wave_count() == s["waves"] and ck.moved_mem_kib() == s["moved_mem_mib"] * 1024
    assert (ck.load_after() >= 0).all() and (ck.util_after() <= ck.max_util + 1e-9).all()
    freed = ck.hosts["id"][ck.active_before() & ~ck.active_after()]
    assert set(freed) == set(s["freed_hosts"])
    assert len(ck.unresolved) == len(s["unresolved"])
ck = fleetplan.read(sys.argv[3])
assert "maintenance" in set(ck.hosts["state"]) and "new" in set(ck.moves["reason"])
assert "vm-二" in set(ck.vms["id"])
assert ck.unresolved["vm_id"][0] == "new-huge"
PY
    ok "fleetplan.read(): arrays agree with summary.json"
else
    bad "fleetplan.read(): arrays disagree with summary.json"
fi

# Bad input: exit 2 with a message naming the file.
head -c 2000 "$T/consolidate/checkpoint.h5" >"$T/trunc.h5"
cp "$T/small/checkpoint.h5" "$T/newer.h5"
"$PYTHON" -c 'import h5py, sys; h5py.File(sys.argv[1], "a").attrs["format_version"] = 4' "$T/newer.h5"
for f in trunc newer; do
    set +e
    "$PYTHON" "$PLOTS" "$T/$f.h5" --out "$T/$f" >/dev/null 2>"$T/$f.err"; rc=$?
    set -e
    [ $rc -eq 2 ] && grep -q "$T/$f.h5" "$T/$f.err" && ok "$f checkpoint: exit 2, names the file" || bad "$f checkpoint: exit $rc: $(cat "$T/$f.err")"
done
grep -q 'version 4' "$T/newer.err" && ok "newer version named" || bad "newer: $(cat "$T/newer.err")"
set +e
"$PYTHON" "$PLOTS" "$T/small/checkpoint.h5" >/dev/null 2>&1; rc=$?
set -e
[ $rc -eq 2 ] && ok "missing --out: exit 2" || bad "missing --out: exit $rc"
finish
