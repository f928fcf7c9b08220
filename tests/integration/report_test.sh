# fleetplan report: one self-contained HTML page from two plans of a generated fleet
# (consolidate, balance), the small fleet (new VMs, an unresolved VM) and a short simulation.
# Headless Chromium renders it: the screenshot is not blank and every section is in the DOM;
# the figures the page states agree with summary.json; a checkpoint written before est_start_s
# still gives a report (waves back to back); bad inputs are exit code 2 naming the file.
source "$(dirname "$0")/common.sh"
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
"$FLEETPLAN" generate --hosts 40 --vms 400 --seed 7 --out "$T/fleet" >/dev/null
for goal in consolidate balance; do
    "$FLEETPLAN" plan --hosts "$T/fleet/hosts.csv" --vms "$T/fleet/vms.csv" --goal $goal \
        --out "$T/$goal" >/dev/null
done
# The small fleet with a 5 s migration timeout: its mandatory moves (evacuation, hotspot) are
# flagged over-timeout.
printf '[migration]\ntimeout_s = 5\n' >"$T/flag.toml"
"$FLEETPLAN" plan --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --goal consolidate \
    --config "$T/flag.toml" --out "$T/small" >/dev/null
sim_trace "$SMALL/vms.csv" "$T/trace.csv"
printf '[sim]\nchain = "planner"\n' >"$T/sim.toml"
"$FLEETPLAN" simulate --hosts "$SMALL/hosts.csv" --vms "$SMALL/vms.csv" --trace "$T/trace.csv" \
    --config "$T/sim.toml" --out "$T/sim" >/dev/null

# The checkpoint now carries the schedule: est_start_s (s) and flags per move, as in plan.csv.
if "$PYTHON" - "$SRC/python" "$T/consolidate" "$T/small" <<'PY'; then
import csv, sys
sys.path.insert(0, sys.argv[1])
import fleetplan
flagged = 0
for d in sys.argv[2:]:
    ck = fleetplan.read(d + "/checkpoint.h5")
    rows = list(csv.DictReader(open(d + "/plan.csv", encoding="utf-8")))
    assert len(rows) == len(ck.moves) > 0
    assert ck.moves.attrs["units"]["est_start_s"] == "s"
    for r, (_, m) in zip(rows, ck.moves.iterrows()):
        assert r["vm"] == m["vm_id"] and abs(float(r["est_start_s"]) - m["est_start_s"]) < 5e-4, (r, m)
        assert r["flags"] == m["flags"], (r["flags"], m["flags"])
        flagged += r["flags"] != ""
assert flagged > 0
PY
    ok "checkpoint: est_start_s and flags equal plan.csv's"
else
    bad "checkpoint: est_start_s or flags differ from plan.csv"
fi

# The report from four checkpoints (directories and a file path).
if "$FLEETPLAN" report "$T/consolidate" "$T/balance" "$T/small/checkpoint.h5" "$T/sim" --out "$T/r.html" >"$T/r.out"; then
    ok "report: exit 0"
else
    bad "report: exit $?"
fi
grep -q "wrote $T/r.html" "$T/r.out" && ok "report: says what it wrote" || bad "report output: $(cat "$T/r.out")"

# Self-contained: nothing fetched (no URL in src, href, url() or @import), figures inline.
if grep -Eiq "(src|href)[[:space:]]*=[[:space:]]*[\"']?([a-z]+:)?//|url\(|@import" "$T/r.html"; then
    bad "report refers to outside resources: $(grep -Eio "(src|href)=[\"']?[a-z]*:?//[^\"' >]*" "$T/r.html" | head -3)"
else
    ok "report: no outside resources"
fi

# What the page states agrees with the checkpoints (no figure hard-coded here).
if "$PYTHON" - "$SRC/python" "$T" <<'PY'; then
import html, html.parser, json, re, sys
sys.path.insert(0, sys.argv[1])
import fleetplan
T = sys.argv[2]
page = open(f"{T}/r.html", encoding="utf-8").read()

class Sections(html.parser.HTMLParser):
    """Text of each element with an id (nested ones included), and the img sources."""
    def __init__(self):
        super().__init__()
        self.stack, self.text, self.imgs = [], {}, []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
            return
        self.stack.append(a.get("id"))
        if a.get("id"):
            self.text[a["id"]] = ""
    def handle_endtag(self, tag):
        if tag != "img" and self.stack:
            self.stack.pop()
    def handle_data(self, d):
        for i in self.stack:
            if i:
                self.text[i] += d

p = Sections()
p.feed(page)
for k, name in ((1, "consolidate"), (2, "balance"), (3, "small")):
    s = json.load(open(f"{T}/{name}/summary.json"))
    head = p.text[f"p{k}-headline"]
    assert f"{s['migrations']:,} migrations" in head and f"{s['waves']:,} waves" in head, head
    assert (f"{len(s['unresolved']):,} unresolved" in head) == bool(s["unresolved"]), head
    if name != "balance":
        assert f"active hosts {s['active_hosts_before']:,} → {s['active_hosts_after']:,}" in head, head
    # the site matrix counts every move once
    ck = fleetplan.read(f"{T}/{name}/checkpoint.h5")
    cells = re.findall(r"<td>([\d,]+)<br>", page.split(f'id="p{k}-sites"')[1].split("</section>")[0])
    assert sum(int(c.replace(",", "")) for c in cells) == len(ck.moves), (cells, len(ck.moves))
    # the comparison table has the plan's migrations
    assert f"{s['migrations']:,}" in p.text["comparison"]
# flagged moves: the page lists exactly plan.csv's flagged VMs (none: says so)
import csv
for k, name in ((1, "consolidate"), (3, "small")):
    rows = list(csv.DictReader(open(f"{T}/{name}/plan.csv", encoding="utf-8")))
    flagged = [r for r in rows if r["flags"]]
    sec = page.split(f'id="p{k}-flagged"')[1].split("</section>")[0]
    listed = re.findall(r'<tr><td class="">\d+</td><td class="l">([^<]*)</td>', sec)
    assert sorted(html.unescape(v) for v in listed) == sorted(r["vm"] for r in flagged), (listed, flagged)
    assert bool(flagged) == ("over-timeout" in sec), name
    assert flagged or "No move breaks a limit" in sec
assert any(r["flags"] for r in csv.DictReader(open(f"{T}/small/plan.csv", encoding="utf-8")))
# unresolved items named, with their reason
small = json.load(open(f"{T}/small/summary.json"))
assert small["unresolved"] and "new-huge" in p.text["p3-unresolved"], p.text["p3-unresolved"]
assert "None" in p.text["p1-unresolved"] or json.load(open(f"{T}/consolidate/summary.json"))["unresolved"]
m = json.load(open(f"{T}/sim/metrics.json"))
assert "planner" in p.text["simulation"] and f"{m['migrations']:,}" in p.text["simulation"]
# figures: 2 per plan and one for the simulations, all inline PNGs
assert len(p.imgs) == 7 and all(i.startswith("data:image/png;base64,") for i in p.imgs), len(p.imgs)
PY
    ok "report: headline, site matrix, comparison, unresolved and simulation agree with the checkpoints"
else
    bad "report: content disagrees with the checkpoints"
fi

# Headless Chromium: the page renders (screenshot not blank) and every section is in its DOM.
if [ -z "$CHROMIUM" ]; then
    bad "chromium not found (tools/setup.sh installs it)"
else
    chrome() { "$CHROMIUM" --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome" \
        --window-size=1400,3000 "$@" "file://$T/r.html" 2>>"$T/chrome.err"; }
    chrome --screenshot="$T/shot.png" >/dev/null || true
    not_blank "$T/shot.png"
    chrome --dump-dom >"$T/dom.html" || true
    if "$PYTHON" - "$T/dom.html" "$T/shot.png" <<'PY'; then
import re, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.image as mpimg
import numpy as np
dom = open(sys.argv[1], encoding="utf-8").read()
ids = set(re.findall(r'\bid="([^"]+)"', dom))
want = {"inputs", "comparison", "simulation"} | {
    f"p{k}-{s}" for k in (1, 2, 3)
    for s in ("headline", "heatmap", "gantt", "sites", "flagged", "reasons", "unresolved")}
assert want <= ids, sorted(want - ids)
assert len(re.findall(r"<img [^>]*src=\"data:image/png", dom)) == 7
img = mpimg.imread(sys.argv[2])
px = np.round(img[..., :3].reshape(-1, 3) * 255).astype(np.uint32)
colours = len(np.unique((px[:, 0] << 16) | (px[:, 1] << 8) | px[:, 2]))
assert img.shape[0] >= 2000 and colours >= 50, (img.shape, colours)
PY
        ok "chromium: every section in the DOM, screenshot of many colours"
    else
        bad "chromium: sections missing or screenshot poor ($(tail -3 "$T/chrome.err"))"
    fi
fi

# A checkpoint written before est_start_s and flags: the report lays the waves back to back.
cp "$T/consolidate/checkpoint.h5" "$T/old.h5"
"$PYTHON" -c 'import h5py, sys
with h5py.File(sys.argv[1], "a") as f:
    for k in ("est_start_s", "flags", "flags_names"): del f["plan/moves/" + k]' "$T/old.h5"
"$FLEETPLAN" inspect "$T/old.h5" >/dev/null && ok "inspect reads a checkpoint without est_start_s" ||
    bad "inspect refuses a checkpoint without est_start_s"
if "$FLEETPLAN" report "$T/old.h5" --out "$T/old.html" >/dev/null && grep -q "no est_start_s" "$T/old.html" &&
    grep -q "has no flags column" "$T/old.html"; then
    ok "report: older checkpoint, waves back to back with a note"
else
    bad "report on an older checkpoint"
fi

# Bad input: exit 2 naming the file, no report written.
head -c 3000 "$T/balance/checkpoint.h5" >"$T/trunc.h5"
mkdir -p "$T/empty"
for what in "$T/missing" "$T/empty" "$T/trunc.h5" "$T/fleet/hosts.csv"; do
    rm -f "$T/bad.html"
    expect2 "bad input $(basename "$what"): exit 2 naming it" "$what" report "$what" --out "$T/bad.html"
    [ ! -e "$T/bad.html" ] || bad "a report was written for $what"
done
expect2 "report without --out: exit 2" "--out" report "$T/consolidate"
expect2 "report --out a directory: exit 2" "--out" report "$T/consolidate" --out "$T/empty"
expect2 "report with wrong --labels: exit 2" "--labels" report "$T/consolidate" --labels a,b --out "$T/bad.html"
"$FLEETPLAN" report --help | grep "self-contained HTML" >/dev/null && ok "report --help" || bad "report --help"

# Where the package is found: $FLEETPLAN_PYTHONPATH (it must hold it: exit 3 naming it), else
# ../lib/python3/dist-packages beside the program (an installed copy, here marked), else the
# source tree.
set +e
FLEETPLAN_PYTHONPATH="$T/nowhere" "$FLEETPLAN" report "$T/consolidate" --out "$T/x.html" 2>"$T/env.err"; rc=$?
set -e
[ $rc -eq 3 ] && grep -q "FLEETPLAN_PYTHONPATH=$T/nowhere" "$T/env.err" && ok "FLEETPLAN_PYTHONPATH without the package: exit 3" ||
    bad "FLEETPLAN_PYTHONPATH without the package: exit $rc: $(cat "$T/env.err")"
mkdir -p "$T/inst/bin" "$T/inst/lib/python3/dist-packages"
cp "$FLEETPLAN" "$T/inst/bin/fleetplan"
cp -r "$SRC/python/fleetplan" "$T/inst/lib/python3/dist-packages/"
sed -i 's|<h1>fleetplan report</h1>|<h1>fleetplan report (installed copy)</h1>|' "$T/inst/lib/python3/dist-packages/fleetplan/report.py"
"$T/inst/bin/fleetplan" report "$T/consolidate" --out "$T/inst.html" >/dev/null && grep -q "installed copy" "$T/inst.html" &&
    ok "the installed package beside the program comes before the source tree" || bad "installed package not used"
finish
