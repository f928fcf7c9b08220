# fleetplan roadef on a1_1 with a small work limit: solution.txt in the challenge's format,
# score.json valid and no worse than the initial assignment, the README's initial cost, the same
# solution for 1 and 2 threads, --config's [roadef] table (configs/roadef.toml gives the defaults'
# solution, a changed knob another, a bad value exit 2), and exit 2 on malformed input.
source "$(dirname "$0")/common.sh"
DATA="${ROADEF_DATA:-$SRC/../shared/data/roadef2012}"
if [ ! -f "$DATA/model_a1_1.txt" ]; then
    echo "no ROADEF data in $DATA"
    exit 77
fi
M="$DATA/model_a1_1.txt"
A="$DATA/assignment_a1_1.txt"
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/t1" --work 200000 --threads 1 >/dev/null
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/t2" --work 200000 --threads 2 >/dev/null
"$PYTHON" - "$T/t1" "$A" <<'PY' && ok "solution.txt and score.json" || bad "solution.txt or score.json"
import json, sys
d, a = sys.argv[1], sys.argv[2]
text = open(d + "/solution.txt").read()
assert text.endswith("\n") and text.count("\n") == 1, "one line"
sol = [int(x) for x in text.split()]
init = [int(x) for x in open(a).read().split()]
assert len(sol) == len(init) == 100, len(sol)
assert all(0 <= m < 4 for m in sol)
s = json.load(open(d + "/score.json"))
for k in ("valid", "objective", "load_cost", "balance_cost", "process_move_cost",
          "service_move_cost", "machine_move_cost", "moves", "seconds", "work", "seed",
          "threads", "initial_objective", "best_work", "rounds", "restarts", "reheats",
          "epochs", "pair_work"):
    assert k in s, k
assert s["valid"] is True
# a1_1 needs no transient resource: one epoch, and pair re-packs take their 300 per mille of
# the work (each search stops them at its share of the round's budget, and the last step before
# a search's budget ends may be one)
assert s["epochs"] == 1 and 0 < s["best_work"] <= s["work"], s
assert 25 * s["work"] <= 100 * s["pair_work"] <= 30 * s["work"], s
assert s["initial_objective"] == 49528750, s["initial_objective"]
assert s["objective"] < s["initial_objective"], s
assert s["objective"] == sum(s[k] for k in ("load_cost", "balance_cost", "process_move_cost",
                                            "service_move_cost", "machine_move_cost"))
assert s["moves"] == sum(x != y for x, y in zip(sol, init))
assert s["work"] == 200000 and s["threads"] == 1 and s["seed"] == 1
PY
cmp -s "$T/t1/solution.txt" "$T/t2/solution.txt" && ok "same solution for 1 and 2 threads" ||
    bad "1 and 2 threads gave different solutions"
# --config: configs/roadef.toml (the defaults written out) gives the very solution of no config,
# score.json records the settings in force, and a changed knob changes the search.
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/c1" --work 200000 --threads 1 \
    --config "$SRC/configs/roadef.toml" >/dev/null
cmp -s "$T/t1/solution.txt" "$T/c1/solution.txt" &&
    ok "--config configs/roadef.toml: the same solution as no config" ||
    bad "configs/roadef.toml changed the solution"
# (a1_1 has no transient resource: room re-packs are off there, and home steps run only while
# move costs make half the objective, which its load cost never lets happen, so home_percent
# would change nothing; without aimed steps the search ends elsewhere.)
printf '[roadef]\naimed_percent = 0\n' >"$T/aimed0.toml"
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/c2" --work 200000 --threads 1 \
    --config "$T/aimed0.toml" >/dev/null
"$PYTHON" - "$T/t1" "$T/c1" "$T/c2" "$SRC/configs/roadef.toml" <<'PY' && ok "score.json's settings; aimed_percent = 0 changes the solution" || bad "settings or aimed_percent"
import json, sys, tomllib
t1, c1, c2 = (json.load(open(d + "/score.json")) for d in sys.argv[1:4])
shipped = tomllib.load(open(sys.argv[4], "rb"))["roadef"]
assert t1["settings"] == c1["settings"] == shipped, (t1["settings"], shipped)
assert c2["settings"] == dict(shipped, aimed_percent=0), c2["settings"]
assert c2["valid"] and c2["work"] == 200000, c2
assert open(sys.argv[1] + "/solution.txt").read() != open(sys.argv[3] + "/solution.txt").read()
PY
# A bad [roadef] value: exit 2 naming FILE:LINE:KEY, nothing written.
printf '# a comment\n[roadef]\nsearches = 2\nlahc_length = 0\n' >"$T/bad_cfg.toml"
set +e
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/bad3" --work 10 \
    --config "$T/bad_cfg.toml" 2>"$T/err3"
rc=$?
set -e
[ $rc -eq 2 ] && grep -qF "bad_cfg.toml:4:roadef.lahc_length: " "$T/err3" &&
    [ ! -e "$T/bad3/solution.txt" ] && ok "bad [roadef] value: exit 2, FILE:LINE:KEY" ||
    bad "bad [roadef] value: exit $rc, $(cat "$T/err3")"
# Malformed input: exit 2 with FILE:LINE:field, nothing written.
sed '3s/.*/4 x/' "$M" >"$T/bad_model.txt"
set +e
"$FLEETPLAN" roadef --model "$T/bad_model.txt" --assignment "$A" --out "$T/bad" --work 10 2>"$T/err"
rc=$?
set -e
[ $rc -eq 2 ] && grep -qF "bad_model.txt:3:resource 1 weight_load_cost: not an integer: 'x'" "$T/err" &&
    [ ! -e "$T/bad/solution.txt" ] && ok "malformed model: exit 2, FILE:LINE:field" ||
    bad "malformed model: exit $rc, $(cat "$T/err")"
set +e
"$FLEETPLAN" roadef --model "$M" --assignment "$A" --out "$T/bad2" --work 0 2>"$T/err2"
rc=$?
set -e
[ $rc -eq 2 ] && ok "--work 0 is a usage error" || bad "--work 0 exit $rc"
finish
