# Machine-readable output: `plan --json` prints summary.json's object (the same bytes) and
# nothing else on stdout; `policies --json` lists every policy `policies` lists, with kind and
# parameters; `check-config` accepts every file in configs/ (its expanded output checks again to
# the same text) and rejects crafted bad configs with exit 2 and FILE:LINE: messages.
source "$(dirname "$0")/common.sh"

# ---- plan --json
"$FLEETPLAN" plan --hosts "$DEMO/hosts.csv" --vms "$DEMO/vms.csv" --goal consolidate \
    --out "$T/plan" --threads 1 --json >"$T/plan.json" 2>"$T/plan.err"
if cmp -s "$T/plan.json" "$T/plan/summary.json"; then
    ok "plan --json prints summary.json's bytes, nothing else"
else
    bad "plan --json stdout differs from summary.json: $(head -3 "$T/plan.json")"
fi
"$PYTHON" - "$T/plan.json" <<'PY' && ok "plan --json has the contract's keys" || bad "plan --json keys"
import json, sys
s = json.load(open(sys.argv[1]))
for k in ("goal", "hosts", "vms", "migrations", "waves", "freed_hosts", "unresolved",
          "moved_mem_mib", "est_makespan_seconds", "lower_bound_hosts"):
    assert k in s, k
assert s["goal"] == "consolidate" and s["migrations"] > 0, s
PY
set +e
"$FLEETPLAN" plan --hosts "$T/nope.csv" --vms "$DEMO/vms.csv" --out "$T/plan-bad" --json \
    >"$T/bad.json" 2>"$T/bad.err"
rc=$?
set -e
[ $rc -eq 2 ] && [ ! -s "$T/bad.json" ] && grep -q "nope.csv" "$T/bad.err" &&
    ok "plan --json on bad input: exit 2, message on stderr, stdout empty" ||
    bad "plan --json bad input: rc $rc, stdout $(head -c 100 "$T/bad.json")"

# ---- policies --json
"$FLEETPLAN" policies >"$T/policies.txt"
"$FLEETPLAN" policies --json >"$T/policies.json"
"$PYTHON" - "$T/policies.txt" "$T/policies.json" <<'PY' && ok "policies --json lists every policy with kind and typed parameters" || bad "policies --json"
import json, sys
text = [l.split() for l in open(sys.argv[1]) if l[:1] not in (" ", "")]
listed = {(w[1], w[0]) for w in text}
j = json.load(open(sys.argv[2]))
got = {(p["kind"], p["name"]) for p in j["policies"]}
assert got == listed, (got ^ listed)
by = {(p["kind"], p["name"]): p for p in j["policies"]}
thr = {q["key"]: q for q in by[("trigger", "threshold")]["params"]}
assert set(thr) == {"cpu_high", "mem_high", "net_high", "cpu_low", "mem_low", "net_low"}, thr
assert thr["cpu_low"]["type"] == "number" and thr["cpu_low"]["default"] == "0.25", thr["cpu_low"]
bfd = {q["key"]: q for q in by[("placement", "bfd")]["params"]}
assert bfd["size"]["type"] == "string" and bfd["cpu_weight"]["default"] == "1", bfd
for p in j["policies"]:
    for q in p["params"]:
        assert q["key"] and q["doc"] and q["type"] in ("number", "integer", "string", "boolean"), q
assert bfd["cpu_weight"]["type"] == "number" and bfd["size"]["choices"] == ["l2", "max", "volume", "weighted-sum"], bfd
assert {(s["table"], s["key"]) for s in j["settings"]} >= {("plan", "max_util"), ("cycle", "keep"), ("sim", "chain")}, j["settings"]
PY

# ---- check-config: every file in configs/
for c in "$SRC"/configs/*.toml; do
    n=$(basename "$c" .toml)
    if "$FLEETPLAN" check-config "$c" >"$T/$n.expanded.toml" 2>"$T/$n.err" &&
        "$FLEETPLAN" check-config "$T/$n.expanded.toml" >"$T/$n.again.toml" &&
        cmp -s "$T/$n.expanded.toml" "$T/$n.again.toml" &&
        "$FLEETPLAN" check-config "$c" --json >"$T/$n.json" &&
        "$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert j["valid"] and list(j["config"]) == ["plan","policy","waves","migration","cycle","sim","roadef"], j' "$T/$n.json"; then
        ok "check-config $n.toml: valid, its expansion checks to itself, --json"
    else
        bad "check-config $n.toml: $(head -3 "$T/$n.err")"
    fi
done
# An override left out of a config shows as its default in the expansion.
printf '[plan]\ngoal = "balance"\n' >"$T/min.toml"
"$FLEETPLAN" check-config "$T/min.toml" >"$T/min.out"
grep -qx 'goal = "balance"' "$T/min.out" && grep -qx 'max_util = 0.90000000000000002' "$T/min.out" &&
    grep -q '^placement = { name = ' "$T/min.out" && grep -qx '\[sim\]' "$T/min.out" &&
    grep -qx '\[cycle\]' "$T/min.out" && grep -qx 'max_moves = 20' "$T/min.out" &&
    grep -qx '\[roadef\]' "$T/min.out" && grep -qx 'lahc_length = 100' "$T/min.out" &&
    ok "check-config prints the expanded config" || bad "check-config expansion: $(cat "$T/min.out")"

# ---- check-config: bad configs, exit 2 with FILE:LINE:
# bad_config NAME REGEX TOML_TEXT
bad_config() {
    printf '%b' "$3" >"$T/$1.toml"
    expect2 "check-config: $1" "" check-config "$T/$1.toml"
    if grep -Eq -- "$2" "$T/err.out"; then ok "$1: $(head -1 "$T/err.out")"; else bad "$1: '$(cat "$T/err.out")' does not match '$2'"; fi
}
bad_config unknown_key "unknown_key\.toml:3:plan\.max_utl: unknown key" '[plan]\ngoal = "auto"\nmax_utl = 0.8\n'
bad_config unknown_policy "unknown_policy\.toml:2:policy\.placement\.name: unknown placement policy 'bestfit' \(valid: .*bfd" '[policy]\nplacement = { name = "bestfit" }\n'
bad_config out_of_range "out_of_range\.toml:2:plan\.max_util: .*range" '[plan]\nmax_util = 1.5\n'
bad_config bad_syntax "bad_syntax\.toml:2:[0-9]+: " '[plan]\ngoal = "auto\n'
bad_config unknown_table "unknown_table\.toml:1:plans: unknown table" '[plans]\ngoal = "auto"\n'
bad_config unknown_chain "unknown_chain\.toml:2:sim\.chain: unknown policy chain 'lr-xyz' \(valid: thr-mmt.*; or planner" '[sim]\nchain = "lr-xyz"\n'
# Every problem at once: three errors, three lines.
printf '[plan]\nmax_util = 7\nfoo = 1\n[policy]\ntrigger = { name = "nope" }\n' >"$T/three.toml"
expect2 "check-config: three problems" "three.toml:2:plan.max_util" check-config "$T/three.toml"
grep -q "three.toml:3:plan.foo: unknown key" "$T/err.out" && grep -q "three.toml:5:policy.trigger.name" "$T/err.out" &&
    ok "check-config reports every problem at once" || bad "check-config all at once: $(cat "$T/err.out")"
set +e
"$FLEETPLAN" check-config "$T/three.toml" --json >"$T/three.json" 2>/dev/null
rc=$?
set -e
[ $rc -eq 2 ] && "$PYTHON" -c 'import json,sys; j=json.load(open(sys.argv[1])); assert not j["valid"] and len(j["errors"]) == 3, j' "$T/three.json" &&
    ok "check-config --json: exit 2 and the errors as a list" || bad "check-config --json on a bad config: rc $rc"
expect2 "check-config: a missing file" "missing.toml" check-config "$T/missing.toml"
expect2 "check-config: no file" "give exactly one C.toml" check-config

finish
