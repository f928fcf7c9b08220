# The README's parameter tables are `fleetplan policies --markdown` verbatim (between the
# <!-- BEGIN/END fleetplan policies --markdown --> markers), so the README cannot drift from the
# declarations the config reader uses; and the tables cover every declared key.
source "$(dirname "$0")/common.sh"

"$FLEETPLAN" policies --markdown >"$T/generated.md"
awk '/^<!-- END fleetplan policies --markdown -->$/ {on = 0}
     on {print}
     /^<!-- BEGIN fleetplan policies --markdown -->$/ {on = 1}' "$SRC/README.md" >"$T/readme.md"
if [ -s "$T/generated.md" ] && cmp -s "$T/generated.md" "$T/readme.md"; then
    ok "README's parameter tables equal fleetplan policies --markdown"
else
    bad "README's parameter tables differ from the declarations (regenerate with" \
        "fleetplan policies --markdown): $(diff "$T/readme.md" "$T/generated.md" | head -10)"
fi

"$FLEETPLAN" policies --json >"$T/policies.json"
"$PYTHON" - "$T/policies.json" "$T/generated.md" <<'PY' && ok "every declared parameter has a typed row" || bad "declared parameters missing from --markdown"
import json, sys
j = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
tables = ["plan", "waves", "migration", "sim", "cycle", "roadef"]
assert [s["table"] for s in j["settings"]] == sorted((s["table"] for s in j["settings"]), key=tables.index)
for s in j["settings"]:
    assert s["type"] in ("number", "integer", "string", "boolean"), s
    assert f"| `{s['key']}` | `{s['default']}` |" in md, s
for p in j["policies"]:
    for q in p["params"]:
        assert q["type"] in ("number", "integer", "string", "boolean"), q
        assert f"| {p['kind']} `{p['name']}` | `{q['key']}` |" in md, (p["name"], q)
PY
finish
