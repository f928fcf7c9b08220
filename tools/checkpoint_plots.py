#!/usr/bin/python3
"""Draw the usual figures from fleetplan checkpoints (read with the fleetplan package, python/).

As a module::

    import fleetplan, checkpoint_plots as cp     # PYTHONPATH=python:tools
    ck = fleetplan.read("plan/checkpoint.h5")
    cp.plot_utilisation(ck, "utilisation.png")

As a command::

    checkpoint_plots.py CKPT.h5 [CKPT2.h5 ...] --out DIR [--labels a,b,...]

One checkpoint gives ``utilisation.png``, ``waves.png`` and ``racks.png``; several give
``LABEL-utilisation.png`` etc. for each plus ``compare.png``.  A checkpoint's label is the name
of its parent directory unless ``--labels`` is given.

Simulator checkpoints (``fleetplan simulate``) are drawn over time instead: one or several give
``sim_active_hosts.png``, ``sim_energy.png``, ``sim_migrations.png`` and ``sim_sla.png``, one
line per checkpoint, labelled by its chain (the ``/sim`` attribute ``chain``) unless
``--labels`` is given.  Plan and simulator checkpoints cannot be mixed in one call.

The paths written are printed, one a line.  Exit status: 0 on success, 2 on bad input
(unreadable, truncated or foreign file, newer format version, bad arguments), with a one-line
message naming the file.

Figures:
  utilisation.png  per dimension (cpu, mem, net), every host's utilisation before and after the
                   plan, each curve sorted descending, with the max_util limit as a line.
  waves.png        per wave, migrations and new-VM placements (stacked bars) and memory moved.
  racks.png        host utilisation (cpu, mem, net) before and after the plan as a heat map, one
                   column per host, hosts grouped by rack (every rack, also the emptied ones).
  compare.png      one small bar chart per metric, one bar per checkpoint.

Simulator figures (x axis: simulated time in hours; each value covers one interval):
  sim_active_hosts.png  active hosts at the end of each interval.
  sim_energy.png        energy per interval (kWh), and cumulative energy.
  sim_migrations.png    migrations per interval, and cumulative migrations.
  sim_sla.png           per-interval SLATAH (overload_host_s / active_host_s, %) and hotspot
                        hosts per interval.
"""
import argparse
import os
import re
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from fleetplan import CheckpointError, figures, read  # noqa: E402

DIMS = ("cpu", "mem", "net")
KIB_PER_GIB = 1024.0 ** 2
KIB_PER_TIB = 1024.0 ** 3


# -- plots --------------------------------------------------------------------------------------
_title = figures.title


def _save(fig, out):
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_utilisation(ck, out, label=None):
    """Per dimension, every host's utilisation before/after, sorted descending."""
    before, after = ck.util_before(), ck.util_after()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), sharey=True)
    x = np.arange(len(ck.hosts))
    for i, (ax, dim) in enumerate(zip(axes, DIMS)):
        for util, name, color in ((before, "before", "tab:gray"), (after, "after", "tab:blue")):
            ax.plot(x, np.sort(util[:, i])[::-1], label=name, color=color, lw=1.5,
                    drawstyle="steps-mid")
        ax.axhline(ck.max_util, color="tab:red", ls="--", lw=1, label=f"max_util {ck.max_util:g}")
        ax.set_title(dim)
        ax.set_xlabel("hosts, sorted by utilisation")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("utilisation (load / capacity)")
    axes[0].legend(loc="upper right")
    unres = f", {len(ck.unresolved)} unresolved" if len(ck.unresolved) else ""
    fig.suptitle("Host utilisation — " + _title(ck, label) + unres)
    fig.tight_layout()
    return _save(fig, out)


def plot_waves(ck, out, label=None):
    """Per wave: migrations and new-VM placements (stacked), and memory moved in GiB."""
    w = ck.waves
    n = len(w)
    waves = w["step"].to_numpy()
    n_mig, n_new = w["migrations"].to_numpy(), w["placements"].to_numpy()
    gib = w["mem_moved_kib"].to_numpy() / KIB_PER_GIB
    fig, (a1, a2) = plt.subplots(2, 1, figsize=(12, 7), sharex=True)
    a1.bar(waves, n_mig, label=f"migrations ({int(n_mig.sum())})", color="tab:blue")
    a1.bar(waves, n_new, bottom=n_mig, label=f"new-VM placements ({int(n_new.sum())})",
           color="tab:orange")
    a1.set_ylabel("moves")
    a1.legend(loc="upper right")
    a2.bar(waves, gib, color="tab:green", label=f"memory moved ({gib.sum():,.0f} GiB)")
    a2.set_ylabel("memory moved (GiB)")
    a2.set_xlabel("wave")
    a2.legend(loc="upper right")
    for a in (a1, a2):
        a.grid(axis="y", alpha=0.3)
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
    a1.yaxis.set_major_locator(MaxNLocator(integer=True))
    if n == 0:                                  # an empty plan: say so, on sane axes
        for a in (a1, a2):
            a.set(xlim=(0, 2), ylim=(0, 1))
            a.get_legend().remove()
        a1.text(0.5, 0.5, "no moves in this plan", transform=a1.transAxes, ha="center")
    fig.suptitle(f"Waves ({n}) — " + _title(ck, label))
    fig.tight_layout()
    return _save(fig, out)


def plot_racks(ck, out, label=None):
    """Host utilisation by rack, before and after (fleetplan.figures.rack_heatmap): every host in
    both halves, so an emptied rack shows as dark "after" columns, not as missing bars."""
    return _save(figures.rack_heatmap(ck, label), out)


def metrics(ck):
    """The numbers compared across checkpoints."""
    s = ck.summary
    return {
        "active hosts before": int(ck.active_before().sum()),
        "active hosts after": int(ck.active_after().sum()),
        "lower bound (hosts)": s.get("lower_bound_hosts", np.nan),
        "migrations": int(ck.migrated().sum()),
        "waves": ck.wave_count(),
        "moved memory (TiB)": ck.moved_mem_kib() / KIB_PER_TIB,
    }


def plot_compare(cks, labels, out):
    """A grid of small bar charts, one per metric, one bar per checkpoint."""
    rows = [metrics(ck) for ck in cks]
    names = list(rows[0])
    fig, axes = plt.subplots(2, 3, figsize=(max(12, 1.2 * len(cks) * 3), 7))
    colors = [f"C{i % 10}" for i in range(len(cks))]
    for ax, name in zip(axes.flat, names):
        vals = [float(r[name]) for r in rows]
        bars = ax.bar(range(len(cks)), vals, color=colors)
        fmt = "{:.2f}" if "TiB" in name else "{:.0f}"
        ax.bar_label(bars, [fmt.format(v) for v in vals], fontsize=8)
        ax.set_xticks(range(len(cks)), labels, rotation=30 if len(cks) > 4 else 0)
        ax.set_title(name)
        ax.margins(y=0.15)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle("Checkpoints compared: " + ", ".join(
        f"{lab} (goal {ck.goal})" for lab, ck in zip(labels, cks)))
    fig.tight_layout()
    return _save(fig, out)


# -- simulator plots ----------------------------------------------------------------------------
def _sim_figure(sims, labels, out, title, panels):
    return _save(figures.sim_figure(sims, labels, title, panels), out)


def plot_sim_active_hosts(sims, labels, out):
    return _sim_figure(sims, labels, out, "Active hosts per interval", [figures.SIM_ACTIVE])


def plot_sim_energy(sims, labels, out):
    return _sim_figure(sims, labels, out, "Energy", [figures.SIM_ENERGY, figures.SIM_ENERGY_CUM])


def plot_sim_migrations(sims, labels, out):
    return _sim_figure(sims, labels, out, "Migrations",
                       [figures.SIM_MIGRATIONS, figures.SIM_MIGRATIONS_CUM])


def plot_sim_sla(sims, labels, out):
    return _sim_figure(sims, labels, out, "SLA violations over time",
                       [figures.SIM_SLATAH, figures.SIM_HOTSPOTS])


SIM_FIGURES = (("sim_active_hosts", plot_sim_active_hosts), ("sim_energy", plot_sim_energy),
               ("sim_migrations", plot_sim_migrations), ("sim_sla", plot_sim_sla))


# -- command ------------------------------------------------------------------------------------
_labels = figures.labels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="+", metavar="CKPT.h5")
    ap.add_argument("--out", required=True, metavar="DIR", help="directory for the PNGs")
    ap.add_argument("--labels", metavar="a,b,...", help="one label per checkpoint")
    args = ap.parse_args(argv)   # exits 2 on missing arguments
    try:
        _labels(args.checkpoints, args.labels)          # bad --labels before reading
        cks = [read(p) for p in args.checkpoints]
        sim = cks[0].kind == "simulate"
        for ck in cks:
            if (ck.kind == "simulate") != sim:
                raise CheckpointError(f"{ck.path}: a {ck.kind} checkpoint among "
                                      f"{cks[0].kind} checkpoints; plot them separately")
        chains = [ck.chain or os.path.basename(os.path.dirname(os.path.abspath(ck.path)))
                  for ck in cks] if sim else None
        labels = _labels(args.checkpoints, args.labels, chains)
    except CheckpointError as e:
        print(f"checkpoint_plots: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    if sim:
        for name, fn in SIM_FIGURES:
            print(fn(cks, labels, os.path.join(args.out, f"{name}.png")))
        return 0
    single = len(cks) == 1
    written = []
    for ck, lab in zip(cks, labels):
        prefix = "" if single else re.sub(r"[^\w.+-]", "_", lab) + "-"
        for name, fn in (("utilisation", plot_utilisation), ("waves", plot_waves),
                         ("racks", plot_racks)):
            written.append(fn(ck, os.path.join(args.out, f"{prefix}{name}.png"), lab))
    if not single:
        written.append(plot_compare(cks, labels, os.path.join(args.out, "compare.png")))
    for p in written:
        print(p)
    return 0


if __name__ == "__main__":
    sys.exit(main())
