"""Matplotlib figures of fleetplan checkpoints, shared by ``fleetplan.report`` (the HTML report)
and ``tools/checkpoint_plots.py`` (PNG files). Each function returns a Figure; the caller saves
or embeds it. Needs python3-matplotlib (Debian); uses the Agg back-end (no display).
"""
import os

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

DIMS = ("cpu", "mem", "net")
MAX_RACK_LABELS = 40


def labels(paths, given, defaults=None):
    """One label per checkpoint: GIVEN ("a,b,..."), else DEFAULTS, else each file's directory
    name; repeated ones made unique (a, a-2, a-3). CheckpointError for a wrong GIVEN."""
    from fleetplan.checkpoint import CheckpointError
    if given is not None:
        out = [s.strip() for s in given.split(",")]
        if len(out) != len(paths) or not all(out):
            raise CheckpointError(f"--labels: {len(out)} label(s) for {len(paths)} checkpoint(s)")
    elif defaults is not None:
        out = list(defaults)
    else:
        out = [os.path.basename(os.path.dirname(os.path.abspath(p))) or p for p in paths]
    seen = {}
    for i, lab in enumerate(out):
        seen[lab] = seen.get(lab, 0) + 1
        if seen[lab] > 1:
            out[i] = f"{lab}-{seen[lab]}"
    return out


def title(ck, label=None):
    return f"{label or ck.path}: goal {ck.goal}, {len(ck.hosts)} hosts, {len(ck.vms)} VMs"


def rack_order(ck):
    """Host indices grouped by rack (racks and hosts in id order), and each rack's
    (name, first position, count)."""
    rack = ck.hosts["rack"].to_numpy(dtype=str)
    order = np.lexsort((ck.hosts["id"].to_numpy(dtype=str), rack))
    names, first, counts = np.unique(rack[order], return_index=True, return_counts=True)
    return order, list(zip(names, first, counts))


def rack_heatmap(ck, label=None):
    """Host utilisation (cpu, mem, net) before and after the plan, one column per host, hosts
    grouped by rack: every rack and host shows in both, an emptied host as 0 after."""
    order, racks = rack_order(ck)
    before, after = ck.util_before()[order], ck.util_after()[order]
    rows = np.vstack([before.T, after.T])            # 6 × hosts
    cmap = plt.get_cmap("viridis").copy()
    cmap.set_over("tab:red")
    width = min(20.0, max(9.0, 0.06 * len(order) + 4))
    fig, ax = plt.subplots(figsize=(width, 4.2))
    im = ax.imshow(rows, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0.0, vmax=1.0)
    ax.set_yticks(range(6), [f"{d} before" for d in DIMS] + [f"{d} after" for d in DIMS])
    ax.axhline(2.5, color="white", lw=3)
    for _, first, _ in racks[1:]:
        ax.axvline(first - 0.5, color="white", lw=0.8)
    step = max(1, int(np.ceil(len(racks) / MAX_RACK_LABELS)))
    shown = racks[::step]
    ax.set_xticks([f + (n - 1) / 2 for _, f, n in shown], [str(r) or "(none)" for r, _, _ in shown],
                  rotation=90 if len(shown) > 12 else 0, fontsize=8)
    ax.set_xlabel(f"hosts grouped by rack ({len(racks)} racks"
                  + (f", one label in {step})" if step > 1 else ")"))
    cb = fig.colorbar(im, ax=ax, extend="max", pad=0.01)
    cb.set_label("load / capacity (red: above 1)")
    act_b, act_a = int(ck.active_before().sum()), int(ck.active_after().sum())
    ax.set_title(f"Host utilisation by rack, before and after (active hosts {act_b} -> {act_a}, "
                 f"max_util {ck.max_util:g})\n" + title(ck, label), fontsize=10)
    fig.tight_layout()
    return fig


def wave_spans(ck):
    """Per wave (ck.waves' order): (start_s, end_s) on the estimated time axis, and whether they
    come from the schedule (est_start_s) or were laid back to back from each wave's longest
    estimate (older checkpoints, without est_start_s)."""
    m = ck.moves
    if "est_start_s" in m.columns:
        end = m["est_start_s"] + m["est_seconds"]
        g = m.assign(end=end).groupby("step", sort=True)
        return g["est_start_s"].min().to_numpy(), g["end"].max().to_numpy(), True
    longest = ck.waves["longest_est_seconds"].to_numpy(dtype=float)
    start = np.concatenate([[0.0], np.cumsum(longest)[:-1]])
    return start, start + longest, False


def gantt(ck, label=None):
    """The waves on the estimated time axis: one bar per wave from its first move's start to its
    last move's end, each move a thin line inside it."""
    w = ck.waves
    start, end, scheduled = wave_spans(ck)
    n = len(w)
    fig, ax = plt.subplots(figsize=(12, min(9.0, 1.6 + 0.28 * max(n, 1))))
    steps = w["step"].to_numpy()
    # A wave of new-VM placements only (estimate 0) keeps a visible sliver.
    sliver = 0.004 * (float(end.max()) if n else 0.0)
    ax.barh(steps, np.maximum(end - start, sliver) / 60.0, left=start / 60.0, height=0.7,
            color="tab:blue", alpha=0.35, label="wave (first start to last end)")
    if scheduled and len(ck.moves):
        m = ck.moves.sort_values(["step", "vm"], kind="stable")
        k = m.groupby("step").cumcount().to_numpy()
        count = m.groupby("step")["vm"].transform("size").to_numpy()
        y = m["step"].to_numpy() - 0.33 + 0.66 * (k + 0.5) / count
        flagged = (m["flags"].astype(str) != "").to_numpy() if "flags" in m else np.zeros(len(m),
                                                                                          bool)
        s0 = m["est_start_s"].to_numpy() / 60.0
        s1 = s0 + m["est_seconds"].to_numpy() / 60.0
        ax.hlines(y[~flagged], s0[~flagged], s1[~flagged], color="tab:blue", lw=0.8,
                  label="move (estimated)")
        if flagged.any():
            ax.hlines(y[flagged], s0[flagged], s1[flagged], color="tab:red", lw=1.2,
                      label="flagged move")
    ax.set_ylabel("wave")
    ax.set_xlabel("estimated time from the plan's start (min)")
    ax.invert_yaxis()
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(axis="x", alpha=0.3)
    total = float(end.max()) if n else 0.0
    note = "" if scheduled else ("\nno est_start_s in this checkpoint (written before it): waves "
                                 "drawn back to back by their longest estimate")
    if n == 0:
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.text(0.5, 0.5, "no moves in this plan", transform=ax.transAxes, ha="center")
    else:
        ax.legend(loc="best", fontsize=8)
    ax.set_title(f"Waves on the estimated time axis ({n} waves, {total / 60:.1f} min)" + note
                 + "\n" + title(ck, label), fontsize=10)
    fig.tight_layout()
    return fig


# -- simulator checkpoints over time -----------------------------------------------------------
def sim_title(sims, labels):
    first = sims[0]
    what = (f"{first.scenario.get('name', '')}, {len(first.hosts)} hosts, {len(first.vms)} VMs, "
            f"{first.interval_s} s intervals")
    parts = []
    for sim, lab in zip(sims, labels):
        done = f" (incomplete: {len(sim.intervals)}/{sim.target_interval})"
        parts.append(lab + ("" if sim.complete else done))
    return what + " — " + ", ".join(parts)


def sim_lines(ax, sims, labels, values, legend_fmt=None, cumulative=False):
    """One line per checkpoint over simulated hours: VALUES(sim) (one per interval) as steps, or
    their running total at each interval's end."""
    for i, (sim, lab) in enumerate(zip(sims, labels)):
        y = np.asarray(values(sim), dtype=float)
        name = lab if legend_fmt is None else f"{lab} ({legend_fmt(sim, y)})"
        if cumulative:
            ax.plot(sim.edges_hours(), np.concatenate([[0.0], np.cumsum(y)]), color=f"C{i % 10}",
                    lw=1.3, label=name)
        else:
            ax.stairs(y, sim.edges_hours(), baseline=None, color=f"C{i % 10}", lw=1.3, label=name)
    ax.grid(alpha=0.3)
    if not any(len(sim.intervals) for sim in sims):
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.text(0.5, 0.5, "no intervals simulated yet", transform=ax.transAxes, ha="center")
    else:
        ax.legend(loc="upper left" if cumulative else "best", fontsize=8)


def sim_figure(sims, labels, heading, panels):
    """PANELS: (ylabel, values, legend_fmt, integer_y, cumulative) per subplot, sharing the time
    axis."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 3.6 * len(panels) + 0.6), sharex=True,
                             squeeze=False)
    for ax, (ylabel, values, legend_fmt, integer, cumulative) in zip(axes[:, 0], panels):
        sim_lines(ax, sims, labels, values, legend_fmt, cumulative)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if integer:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1, 0].set_xlabel("simulated time (h)")
    fig.suptitle(heading + "\n" + sim_title(sims, labels), fontsize=10)
    fig.tight_layout()
    return fig


def slatah_total(sim, _y=None):
    act = sim.intervals["active_host_s"].sum()
    return f"SLATAH {100 * sim.intervals['overload_host_s'].sum() / act:.2f}%" if act > 0 else "-"


# The panels of each simulator figure: (ylabel, values, legend_fmt, integer_y, cumulative).
SIM_ACTIVE = ("active hosts", lambda s: s.intervals["active_hosts"],
              lambda s, y: f"mean {y.mean():.1f}" if len(y) else "no data", True, False)
SIM_ENERGY = ("energy per interval (kWh)", lambda s: s.energy_kwh(),
              lambda s, y: f"{y.sum():.2f} kWh", False, False)
SIM_ENERGY_CUM = ("cumulative energy (kWh)", lambda s: s.energy_kwh(), None, False, True)
SIM_MIGRATIONS = ("migrations per interval", lambda s: s.intervals["migrations"],
                  lambda s, y: f"{int(y.sum())} in all", True, False)
SIM_MIGRATIONS_CUM = ("cumulative migrations", lambda s: s.intervals["migrations"], None, True,
                      True)
SIM_SLATAH = ("SLATAH per interval (%)\n(overloaded / active host time)",
              lambda s: 100 * s.slatah(), slatah_total, False, False)
SIM_HOTSPOTS = ("hotspot hosts per interval", lambda s: s.intervals["hotspot_hosts"],
                lambda s, y: f"{int(y.sum())} host-interval{'' if y.sum() == 1 else 's'}", True,
                False)
