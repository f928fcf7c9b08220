"""One self-contained HTML report from fleetplan checkpoints (``fleetplan report`` runs this).

    python3 -m fleetplan.report DIR|CKPT.h5 [DIR|CKPT.h5 ...] --out REPORT.html [--labels a,b]

A DIR stands for DIR/checkpoint.h5. Plan checkpoints give, each, a section with the headline
for its goal, a heat map of host utilisation by rack before and after, the waves on the
estimated time axis (Gantt), the site-to-site move matrix, the flagged moves, the reasons for
moves and the unresolved items; several plans add a side-by-side comparison; simulator
checkpoints add active hosts, energy, SLA and migrations over simulated time. Figures are PNGs
embedded as data: URIs and the style sheet is inline: the file loads nothing from anywhere.

Every section element has an id (``p1-headline``, ``p1-heatmap``, ``p1-gantt``,
``p1-sites``, ``p1-flagged``, ``p1-reasons``, ``p1-unresolved`` for the first plan,
``comparison``, ``simulation``), so tests and scripts can find them.

Exit status: 0 on success; 2 on bad input (a missing directory or file, a file that is not a
checkpoint, a truncated or newer one, bad arguments), with one line naming the file.
"""
import argparse
import base64
import html
import io
import os
import sys

import numpy as np
import pandas as pd

from fleetplan import figures
from fleetplan.checkpoint import CheckpointError, read

KIB_PER_GIB = 1024.0 ** 2
MAX_ROWS = 50          # rows shown of a long table (flagged moves, unresolved items)
TOP_REASONS = 10
NEW_VM = "(new VM)"

STYLE = """
body { font-family: sans-serif; margin: 1.5em 2em; color: #222; max-width: 1500px; }
h1 { font-size: 1.6em; } h2 { border-bottom: 2px solid #446; padding-bottom: .2em; }
h3 { margin-top: 1.6em; color: #335; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #bbc; padding: .25em .6em; text-align: right; }
th { background: #eef; } td.l, th.l { text-align: left; }
.headline { font-size: 1.25em; background: #f4f6ff; border-left: 5px solid #446;
            padding: .6em 1em; }
.note { color: #666; font-size: .9em; }
img { max-width: 100%; border: 1px solid #ddd; }
section.plan { margin-bottom: 3em; }
"""


class _Input:
    def __init__(self, given, ck, label):
        self.given, self.ck, self.label = given, ck, label


def _checkpoint_path(given):
    if os.path.isdir(given):
        path = os.path.join(given, "checkpoint.h5")
        if not os.path.isfile(path):
            raise CheckpointError(f"{path}: no such file (is {given} a plan or simulate --out "
                                  f"directory?)")
        return path
    if not os.path.exists(given):
        raise CheckpointError(f"{given}: no such file or directory")
    return given


def _labels(given, labels_arg):
    """--labels, else each DIR's name (a file's directory name)."""
    names = [os.path.basename(os.path.normpath(g)) if os.path.isdir(g) else None for g in given]
    files = figures.labels(given, None)
    return figures.labels(given, labels_arg, [n or f for n, f in zip(names, files)])


# -- HTML pieces -----------------------------------------------------------------------------------
def _e(v):
    return html.escape(str(v), quote=True)


def _img(fig, alt):
    import matplotlib.pyplot as plt
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{data}">'


def _fmt(v):
    if isinstance(v, (float, np.floating)):
        if np.isnan(v):
            return "-"
        return f"{v:,.2f}" if abs(v) < 100 else f"{v:,.0f}"
    if isinstance(v, (int, np.integer)):
        return f"{int(v):,}"
    return str(v)


def _table(df, left=(), caption=None):
    """DF as an HTML table; columns in LEFT are left-aligned text."""
    head = "".join(f'<th class="{"l" if c in left else ""}">{_e(c)}</th>' for c in df.columns)
    rows = []
    for rec in df.itertuples(index=False):
        rows.append("<tr>" + "".join(
            f'<td class="{"l" if c in left else ""}">{_e(_fmt(v))}</td>'
            for c, v in zip(df.columns, rec)) + "</tr>")
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _section(sid, heading, body, cls=""):
    c = f' class="{cls}"' if cls else ""
    return f'<section id="{_e(sid)}"{c}><h3>{_e(heading)}</h3>\n{body}\n</section>'


# -- plan sections ---------------------------------------------------------------------------------
def _gib(kib):
    return float(kib) / KIB_PER_GIB


def _flagged(ck):
    m = ck.moves
    if "flags" not in m.columns:
        return None
    return m[m["flags"].astype(str) != ""]


def plan_figures(ck):
    """The numbers of a plan that the headline and the comparison use."""
    s = ck.summary
    migrated = ck.migrated()
    start, end, scheduled = figures.wave_spans(ck)
    flagged = _flagged(ck)
    return {
        "goal": ck.goal,
        "hosts": len(ck.hosts),
        "VMs": len(ck.vms),
        "active hosts before": int(ck.active_before().sum()),
        "active hosts after": int(ck.active_after().sum()),
        "lower bound (hosts)": s.get("lower_bound_hosts", np.nan),
        "overloaded before": s.get("overloaded_before", np.nan),
        "overloaded after": s.get("overloaded_after", np.nan),
        "migrations": int(migrated.sum()),
        "new-VM placements": int((~migrated).sum()),
        "waves": ck.wave_count(),
        "memory moved (GiB)": _gib(ck.moved_mem_kib()),
        "estimated duration (min)": float(end.max()) / 60.0 if len(end) else 0.0,
        "estimated downtime (s, sum)": float(ck.moves["est_downtime_ms"].sum()) / 1000.0,
        "flagged moves": len(flagged) if flagged is not None else np.nan,
        "unresolved": len(ck.unresolved),
    }


def headline(ck):
    """One sentence for the plan's goal, then the cost of carrying it out."""
    raw = plan_figures(ck)
    f = {k: f"{v:,}" if isinstance(v, int) else v for k, v in raw.items()}
    s = ck.summary
    goal = ck.goal
    freed = f"{len(s.get('freed_hosts', [])):,}"
    if goal == "consolidate":
        lead = (f"Consolidation: active hosts {f['active hosts before']} → "
                f"{f['active hosts after']} (lower bound {_fmt(f['lower bound (hosts)'])}), "
                f"{freed} hosts freed")
    elif goal == "balance":
        hot_b, hot_a = ck.util_before().max(initial=0.0), ck.util_after().max(initial=0.0)
        lead = (f"Balance: spread of host utilisation (hottest minus coolest) "
                f"{s.get('spread_before', np.nan):.3f} → {s.get('spread_after', np.nan):.3f}, "
                f"hottest host {hot_b:.0%} → {hot_a:.0%}")
    elif goal == "hotspot":
        lead = (f"Hotspots: overloaded hosts {_fmt(f['overloaded before'])} → "
                f"{_fmt(f['overloaded after'])}")
    elif goal == "evacuate":
        lead = (f"Evacuation: {_fmt(s.get('evacuated_hosts', np.nan))} of "
                f"{_fmt(s.get('evacuating_hosts', np.nan))} hosts to evacuate emptied")
    else:
        lead = (f"Goal {goal}: active hosts {f['active hosts before']} → "
                f"{f['active hosts after']}, overloaded {_fmt(f['overloaded before'])} → "
                f"{_fmt(f['overloaded after'])}")
    cost = (f"{f['migrations']} migrations and {f['new-VM placements']} placements in "
            f"{f['waves']} waves, {f['memory moved (GiB)']:,.1f} GiB moved, about "
            f"{f['estimated duration (min)']:,.1f} min estimated")
    tail = []
    if raw["unresolved"]:
        tail.append(f"{f['unresolved']} unresolved")
    if raw["flagged moves"] == raw["flagged moves"] and raw["flagged moves"]:   # NaN: no column
        tail.append(f"{f['flagged moves']} flagged moves")
    return lead + "; " + cost + (" — " + ", ".join(tail) if tail else "") + "."


def site_matrix(ck):
    """(moves, GiB) DataFrames: source site × target site; new VMs come from NEW_VM."""
    m = ck.moves
    site = ck.hosts["site"].astype(str).to_numpy()
    src = np.where(m["source"].to_numpy() >= 0, site[np.maximum(m["source"].to_numpy(), 0)],
                   NEW_VM)
    tgt = site[m["target"].to_numpy()]
    gib = ck.vms["mem_size"].to_numpy()[m["vm"].to_numpy()] / KIB_PER_GIB
    df = pd.DataFrame({"from": src, "to": tgt, "n": 1, "gib": gib})
    sites = sorted(set(site))
    rows = ([NEW_VM] if (src == NEW_VM).any() else []) + sites
    n = df.pivot_table(index="from", columns="to", values="n", aggfunc="sum", fill_value=0)
    g = df.pivot_table(index="from", columns="to", values="gib", aggfunc="sum", fill_value=0.0)
    return (n.reindex(index=rows, columns=sites, fill_value=0),
            g.reindex(index=rows, columns=sites, fill_value=0.0))


def _site_section(ck, sid):
    if not len(ck.moves):
        return _section(sid, "Site-to-site moves", "<p>No moves.</p>")
    n, g = site_matrix(ck)
    head = "".join(f"<th>to {_e(c or '(none)')}</th>" for c in n.columns)
    rows = []
    for r in n.index:
        cells = "".join(
            f"<td>{_fmt(int(n.at[r, c]))}<br><span class='note'>{g.at[r, c]:,.1f} GiB</span></td>"
            for c in n.columns)
        rows.append(f'<tr><th class="l">from {_e(r or "(none)")}</th>{cells}</tr>')
    cross = int(n.to_numpy().sum() - sum(int(n.at[s, s]) for s in n.columns if s in n.index))
    body = (f"<p>Moves (and memory moved) from the source host's site to the target host's site; "
            f"{cross} of {len(ck.moves)} moves change site or place a new VM.</p>"
            f"<table><thead><tr><th></th>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>")
    return _section(sid, "Site-to-site moves", body)


def _moves_view(m):
    return pd.DataFrame({
        "wave": m["step"].to_numpy(), "VM": m["vm_id"].to_numpy(),
        "from": np.where(m["source_id"].isna(), NEW_VM, m["source_id"].astype(str)),
        "to": m["target_id"].to_numpy(), "reason": m["reason"].to_numpy(),
        "est. s": m["est_seconds"].to_numpy(dtype=float),
        "downtime ms": m["est_downtime_ms"].to_numpy(dtype=float),
    })


def _flagged_section(ck, sid):
    f = _flagged(ck)
    if f is None:
        body = ("<p class='note'>This checkpoint has no flags column (written before it); "
                "plan.csv's flags column lists them.</p>")
    elif not len(f):
        body = "<p>No move breaks a limit of [migration] (downtime, convergence, timeout).</p>"
    else:
        view = _moves_view(f).assign(flags=f["flags"].to_numpy())
        more = f" (the first {MAX_ROWS})" if len(f) > MAX_ROWS else ""
        body = (f"<p>{len(f)} moves break a limit of [migration]{more}: over-downtime (estimated "
                f"downtime above max_downtime_ms), nonconvergent (pre-copy does not converge), "
                f"over-timeout (estimate above timeout_s).</p>"
                + _table(view.head(MAX_ROWS), left=("VM", "from", "to", "reason", "flags")))
    return _section(sid, "Flagged moves", body)


def _reasons_section(ck, sid):
    m = ck.moves
    if not len(m) or "reason" not in m.columns:
        return _section(sid, "Reasons for moves", "<p>No moves.</p>")
    gib = ck.vms["mem_size"].to_numpy()[m["vm"].to_numpy()] / KIB_PER_GIB
    g = m.assign(gib=gib).groupby("reason", sort=False)
    df = pd.DataFrame({"moves": g.size(), "GiB": g["gib"].sum(),
                       "mean est. s": g["est_seconds"].mean(),
                       "longest est. s": g["est_seconds"].max()})
    df = df.reset_index().sort_values(["moves", "reason"], ascending=[False, True],
                                      kind="stable").head(TOP_REASONS)
    return _section(sid, "Top reasons for moves", _table(df, left=("reason",)))


def _unresolved_section(ck, sid):
    u = ck.unresolved
    if not len(u):
        return _section(sid, "Unresolved items", "<p>None: every goal of the plan is met.</p>")
    by = u.groupby("reason", sort=False).size().rename("items").reset_index()
    by = by.sort_values(["items", "reason"], ascending=[False, True], kind="stable")
    view = pd.DataFrame({"host": u["host_id"].fillna("-").to_numpy(),
                         "VM": u["vm_id"].fillna("-").to_numpy(),
                         "reason": u["reason"].to_numpy()})
    more = f" (the first {MAX_ROWS})" if len(u) > MAX_ROWS else ""
    body = (f"<p>{len(u)} item{'s' if len(u) > 1 else ''} the plan could not resolve, by "
            f"reason:</p>"
            + _table(by, left=("reason",)) + f"<p>Items{more}:</p>"
            + _table(view.head(MAX_ROWS), left=("host", "VM", "reason")))
    return _section(sid, "Unresolved items", body)


def gantt_note(ck):
    if "est_start_s" in ck.moves.columns:
        return ("<p>Each bar runs from a wave's first estimated start to its last estimated end "
                "(est_start_s, est_seconds: dispatch at the plan's wave limits if the estimates "
                "hold); each line is a move, flagged ones in red.</p>")
    return ("<p class='note'>This checkpoint has no est_start_s (written before it): the waves "
            "are drawn back to back, each as long as its longest estimated move.</p>")


def plan_section(inp, k):
    ck, lab = inp.ck, inp.label
    p = f"p{k}"
    parts = [
        f'<section id="{p}" class="plan"><h2>Plan {k}: {_e(lab)} (goal {_e(ck.goal)})</h2>',
        f"<p class='note'>{_e(ck.path)}: {len(ck.hosts):,} hosts, {len(ck.vms):,} VMs, "
        f"{_e(ck.program_version)}, seed {ck.seed}, max_util {ck.max_util:g}</p>",
        _section(f"{p}-headline", "Headline", f"<p class='headline'>{_e(headline(ck))}</p>"),
        _section(f"{p}-heatmap", "Host utilisation by rack, before and after",
                 "<p>One column per host, grouped by rack; rows: CPU, memory and network "
                 "utilisation before the plan (top) and once every move is carried out (bottom). "
                 "Red: above capacity.</p>" + _img(figures.rack_heatmap(ck, lab), "heat map")),
        _section(f"{p}-gantt", "Waves on the estimated time axis", gantt_note(ck)
                 + _img(figures.gantt(ck, lab), "waves")),
        _site_section(ck, f"{p}-sites"),
        _flagged_section(ck, f"{p}-flagged"),
        _reasons_section(ck, f"{p}-reasons"),
        _unresolved_section(ck, f"{p}-unresolved"),
        "</section>",
    ]
    return "\n".join(parts)


def comparison_section(plans):
    rows = [plan_figures(i.ck) for i in plans]
    df = pd.DataFrame(rows, index=[i.label for i in plans]).T
    df.insert(0, "", df.index)
    return _section("comparison", "Side-by-side comparison", _table(df, left=("",)), "plan")


# -- simulator section -----------------------------------------------------------------------------
def simulation_section(sims):
    cks, labels = [i.ck for i in sims], [i.label for i in sims]
    fig = figures.sim_figure(cks, labels, "Simulation over time", [
        figures.SIM_ACTIVE, figures.SIM_ENERGY, figures.SIM_SLATAH, figures.SIM_MIGRATIONS])
    keys = ("energy_kwh", "migrations", "mean_active_hosts", "hotspot_host_intervals")
    percent = ("slatah", "pdm", "slav", "unserved_frac")     # fractions, shown in %
    rows = {}
    for i in sims:
        s = i.ck.summary
        rows[i.label] = {"chain": i.ck.chain, "intervals": f"{len(i.ck.intervals)} / "
                         f"{i.ck.target_interval}" + ("" if i.ck.complete else " (incomplete)")}
        rows[i.label].update({k: s.get(k, np.nan) for k in keys})
        rows[i.label].update({f"{k} (%)": f"{100 * s[k]:.4g}" if k in s else "-" for k in percent})
    df = pd.DataFrame(rows).T.reset_index().rename(columns={"index": "checkpoint"})
    body = ("<p>Active hosts, energy, SLA violation (SLATAH) and migrations per interval over "
            "simulated time, one line per simulator checkpoint.</p>" + _img(fig, "simulation")
            + _table(df, left=("checkpoint", "chain", "intervals")))
    return _section("simulation", "Simulations over time", body, "plan")


# -- the page --------------------------------------------------------------------------------------
def render(inputs):
    plans = [i for i in inputs if i.ck.kind == "plan"]
    sims = [i for i in inputs if i.ck.kind == "simulate"]
    toc = "".join(
        f"<li>{_e(i.label)}: {'plan, goal ' + _e(i.ck.goal) if i.ck.kind == 'plan' else 'simulation, chain ' + _e(i.ck.chain)} "
        f"<span class='note'>({_e(i.ck.path)})</span></li>" for i in inputs)
    body = [f"<h1>fleetplan report</h1><section id='inputs'><h3>Checkpoints</h3><ul>{toc}</ul>"
            f"</section>"]
    if len(plans) > 1:
        body.append(comparison_section(plans))
    body += [plan_section(i, k) for k, i in enumerate(plans, start=1)]
    if sims:
        body.append(simulation_section(sims))
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
            "<title>fleetplan report</title>"
            f"<style>{STYLE}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def write_atomic(path, text):
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(prog="fleetplan report",
                                 description=__doc__.split("\n\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="DIR|CKPT.h5")
    ap.add_argument("--out", required=True, metavar="REPORT.html")
    ap.add_argument("--labels", metavar="a,b,...", help="one label per input")
    args = ap.parse_args(argv)      # exits 2 on bad arguments
    if not args.out or args.out.endswith("/") or os.path.isdir(args.out):
        print(f"fleetplan report: --out {args.out!r}: give the HTML file to write, not a "
              f"directory", file=sys.stderr)
        return 2
    try:
        labels = _labels(args.inputs, args.labels)
        inputs = [_Input(g, read(_checkpoint_path(g)), lab) for g, lab in zip(args.inputs, labels)]
    except CheckpointError as e:
        print(f"fleetplan report: {e}", file=sys.stderr)
        return 2
    try:
        write_atomic(args.out, render(inputs))
    except OSError as e:
        print(f"fleetplan report: {args.out}: {e.strerror or e}", file=sys.stderr)
        return 3
    print(f"wrote {args.out} ({len(inputs)} checkpoint{'s' if len(inputs) > 1 else ''})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
