#!/usr/bin/python3
"""Read fleetplan checkpoints (``checkpoint.h5``, format version 1) and draw the usual figures.

The layout is documented in ``docs/checkpoint.md``.  As a module::

    import checkpoint_plots as cp
    ck = cp.load("plan/checkpoint.h5")
    ck.util_after()[:, 0]               # cpu utilisation of every host after the plan
    cp.plot_utilisation(ck, "utilisation.png")

As a command::

    checkpoint_plots.py CKPT.h5 [CKPT2.h5 ...] --out DIR [--labels a,b,...]

One checkpoint gives ``utilisation.png``, ``waves.png`` and ``racks.png``; several give
``LABEL-utilisation.png`` etc. for each plus ``compare.png``.  A checkpoint's label is the name
of its parent directory unless ``--labels`` is given.

Simulator checkpoints (``fleetplan simulate``; a ``/sim`` group, format
``fleetplan-sim-checkpoint``) are recognised and drawn over time instead: one or several give
``sim_active_hosts.png``, ``sim_energy.png``, ``sim_migrations.png`` and ``sim_sla.png``, one
line per checkpoint, labelled by its chain (the ``/sim`` attribute ``chain``) unless
``--labels`` is given.  Plan and simulator checkpoints cannot be mixed in one call.  As a
module: ``cp.load_sim(path)`` (a ``SimCheckpoint``), ``cp.is_sim(path)``.

The paths written are printed, one a line.  Exit status: 0 on success, 2 on bad input
(unreadable, truncated or foreign file, newer format version, bad arguments), with a one-line
message naming the file.

Figures:
  utilisation.png  per dimension (cpu, mem, net), every host's utilisation before and after the
                   plan, each curve sorted descending, with the max_util limit as a line.
  waves.png        per wave, migrations and new-VM placements (stacked bars) and memory moved.
  racks.png        active hosts (holding >= 1 VM) per rack, before vs after (at most 40 racks:
                   those with the largest change).
  compare.png      one small bar chart per metric, one bar per checkpoint.

Simulator figures (x axis: simulated time in hours; each value covers one interval):
  sim_active_hosts.png  active hosts at the end of each interval.
  sim_energy.png        energy per interval (kWh), and cumulative energy.
  sim_migrations.png    migrations per interval, and cumulative migrations.
  sim_sla.png           per-interval SLATAH (overload_host_s / active_host_s, %) and hotspot
                        hosts per interval.
"""
import argparse
import json
import os
import re
import sys
from dataclasses import dataclass, field

import matplotlib

matplotlib.use("Agg")
import h5py  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402
import numpy as np  # noqa: E402

FORMAT = "fleetplan-checkpoint"
FORMAT_VERSION = 3          # the newest version this reader understands (1 and 2 differ only
                            # in how string columns are stored; h5py's asstr() reads both; 3:
                            # /fleet/vms may be virtual datasets over part files, read by h5py
                            # as any dataset)
DIMS = ("cpu", "mem", "net")
MAX_RACKS = 40
KIB_PER_GIB = 1024.0 ** 2
KIB_PER_TIB = 1024.0 ** 3


class CheckpointError(ValueError):
    """A checkpoint that cannot be read; the message names the file."""


@dataclass
class Checkpoint:
    """One checkpoint as numpy arrays. Host and VM references are indices (-1 = none/new)."""
    path: str
    goal: str
    seed: int
    program_version: str
    format_version: int
    max_util: float
    host_id: np.ndarray          # str
    host_cap: np.ndarray         # (hosts, 3) int64: cpu millicores, mem KiB, net kbps
    host_rack: np.ndarray        # str, decoded from the dictionary
    host_site: np.ndarray
    host_state: np.ndarray
    vm_id: np.ndarray
    vm_host: np.ndarray          # int32 host index, -1 = new VM
    vm_demand: np.ndarray        # (vms, 3) int64, same units as host_cap
    vm_mem_size: np.ndarray      # int64 KiB
    move_step: np.ndarray        # int32 wave, from 1
    move_vm: np.ndarray
    move_source: np.ndarray      # -1 = new VM placement
    move_target: np.ndarray
    move_reason: np.ndarray      # str
    move_est_seconds: np.ndarray
    move_est_downtime_ms: np.ndarray
    unresolved_host: np.ndarray
    unresolved_vm: np.ndarray
    unresolved_reason: np.ndarray
    summary: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)   # every root attribute

    # -- derived arrays ---------------------------------------------------------------------
    def load_before(self):
        """(hosts, 3) demand by current host; new VMs excluded."""
        load = np.zeros(self.host_cap.shape, dtype=np.int64)
        placed = self.vm_host >= 0
        np.add.at(load, self.vm_host[placed], self.vm_demand[placed])
        return load

    def load_after(self):
        """(hosts, 3) load once every move is applied (source -= demand if >= 0, target +=)."""
        load = self.load_before()
        d = self.vm_demand[self.move_vm]
        src = self.move_source >= 0
        np.subtract.at(load, self.move_source[src], d[src])
        np.add.at(load, self.move_target, d)
        return load

    def _util(self, load):
        cap = self.host_cap.astype(float)
        return np.divide(load, cap, out=np.zeros_like(cap), where=cap > 0)

    def util_before(self):
        return self._util(self.load_before())

    def util_after(self):
        return self._util(self.load_after())

    def vm_host_after(self):
        """Each VM's host after the plan (-1 = still unplaced)."""
        h = self.vm_host.copy()
        h[self.move_vm] = self.move_target
        return h

    def active_before(self):
        """Boolean per host: holds at least one VM before the plan."""
        return np.bincount(self.vm_host[self.vm_host >= 0], minlength=len(self.host_id)) > 0

    def active_after(self):
        h = self.vm_host_after()
        return np.bincount(h[h >= 0], minlength=len(self.host_id)) > 0

    def migrated(self):
        """Boolean per move: a migration of an existing VM (not a new-VM placement)."""
        return self.move_source >= 0

    def moved_mem_kib(self):
        return int(self.vm_mem_size[self.move_vm[self.migrated()]].sum())

    def waves(self):
        return int(self.move_step.max()) if len(self.move_step) else 0


def _dict_column(g, name):
    names = g[name + "_names"].asstr()[...]
    codes = g[name][...]
    return names[codes] if len(names) else np.array([""] * len(codes), dtype=object)


def load(path):
    """Read a checkpoint; raise CheckpointError (a ValueError naming the file) if it can't."""
    path = str(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable HDF5 checkpoint ({_first_line(e)})") from None
    with f:
        fmt = f.attrs.get("format")
        fmt = fmt.decode() if isinstance(fmt, bytes) else fmt
        if fmt != FORMAT:
            raise CheckpointError(f"{path}: not a fleetplan checkpoint (format = {fmt!r})")
        version = int(f.attrs.get("format_version", -1))
        if not 0 < version <= FORMAT_VERSION:
            raise CheckpointError(f"{path}: checkpoint format version {version}, "
                                  f"this reader understands up to {FORMAT_VERSION}")
        try:
            attrs = {k: (v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item")
                         else v) for k, v in f.attrs.items()}
            h, v, m, u = f["fleet/hosts"], f["fleet/vms"], f["plan/moves"], f["plan/unresolved"]
            summary = f["summary/json"][()]
            summary = json.loads(summary.decode() if isinstance(summary, bytes) else summary)
            return Checkpoint(
                path=path, goal=attrs.get("goal", ""), seed=int(attrs.get("seed", 0)),
                program_version=attrs.get("program_version", ""), format_version=version,
                max_util=float(attrs.get("max_util", np.nan)),
                host_id=h["id"].asstr()[...],
                host_cap=np.stack([h[d][...].astype(np.int64) for d in DIMS], axis=1),
                host_rack=_dict_column(h, "rack"), host_site=_dict_column(h, "site"),
                host_state=_dict_column(h, "state"),
                vm_id=v["id"].asstr()[...], vm_host=v["host"][...].astype(np.int32),
                vm_demand=np.stack([v[d][...].astype(np.int64) for d in DIMS], axis=1),
                vm_mem_size=v["mem_size"][...].astype(np.int64),
                move_step=m["step"][...], move_vm=m["vm"][...], move_source=m["source"][...],
                move_target=m["target"][...], move_reason=_dict_column(m, "reason"),
                move_est_seconds=m["est_seconds"][...],
                move_est_downtime_ms=m["est_downtime_ms"][...],
                unresolved_host=u["host"][...], unresolved_vm=u["vm"][...],
                unresolved_reason=u["reason"].asstr()[...],
                summary=summary, attrs=attrs)
        except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
            raise CheckpointError(f"{path}: damaged or incomplete checkpoint "
                                  f"({_first_line(e)})") from None


SIM_FORMAT = "fleetplan-sim-checkpoint"
SIM_FORMAT_VERSION = 1      # the newest simulator checkpoint version this reader understands
SIM_TIME_COLUMNS = ("interval", "t", "active_hosts", "energy_j", "active_host_s",
                    "overload_host_s", "requested_mips_s", "allocated_mips_s",
                    "migration_loss_mips_s", "mem_moved_mb", "migrations", "hotspot_hosts",
                    "switched_on", "switched_off", "decision_s")
J_PER_KWH = 3.6e6


@dataclass
class SimCheckpoint:
    """A simulator checkpoint's time axis (one entry per interval done) and metrics."""
    path: str
    chain: str
    scenario: str
    program_version: str
    format_version: int
    hosts: int
    vms: int
    interval_s: int
    target_interval: int
    complete: bool
    time: dict                   # /time/<column> -> 1-D array (SIM_TIME_COLUMNS)
    host_util: np.ndarray        # (intervals, hosts) float32, CPU fraction
    metrics: dict = field(default_factory=dict)
    attrs: dict = field(default_factory=dict)   # every /sim attribute

    def intervals_done(self):
        return len(self.time["interval"])

    def hours(self):
        """Each interval's end, in simulated hours."""
        return self.time["t"] / 3600.0

    def edges_hours(self):
        """Interval boundaries in hours (intervals + 1 values): interval k covers (t_k-1, t_k]."""
        t = self.time["t"].astype(float)
        start = max(0.0, t[0] - self.interval_s) if len(t) else 0.0
        return np.concatenate([[start], t]) / 3600.0

    def energy_kwh(self):
        return self.time["energy_j"] / J_PER_KWH

    def slatah(self):
        """Per interval: overload_host_s / active_host_s (0 when no host was active)."""
        act = self.time["active_host_s"].astype(float)
        return np.divide(self.time["overload_host_s"], act, out=np.zeros_like(act),
                         where=act > 0)


def _attrs(obj):
    return {k: (v.decode() if isinstance(v, bytes) else v.item() if hasattr(v, "item") else v)
            for k, v in obj.attrs.items()}


def _open(path):
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such file")
    try:
        return h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise CheckpointError(
            f"{path}: not a readable HDF5 checkpoint ({_first_line(e)})") from None


def is_sim(path):
    """True when PATH is a readable HDF5 file with a /sim group (a simulator checkpoint)."""
    try:
        with h5py.File(str(path), "r") as f:
            return isinstance(f.get("sim"), h5py.Group)
    except (OSError, ValueError):
        return False


def load_sim(path):
    """Read a simulator checkpoint; raise CheckpointError (naming the file) if it can't."""
    path = str(path)
    with _open(path) as f:
        g = f.get("sim")
        if not isinstance(g, h5py.Group):
            raise CheckpointError(f"{path}: not a fleetplan simulator checkpoint (no /sim group)")
        try:
            attrs = _attrs(g)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"{path}: damaged or incomplete checkpoint "
                                  f"({_first_line(e)})") from None
        if attrs.get("format") != SIM_FORMAT:
            raise CheckpointError(f"{path}: not a fleetplan simulator checkpoint "
                                  f"(format = {attrs.get('format')!r})")
        version = int(attrs.get("format_version", -1))
        if not 0 < version <= SIM_FORMAT_VERSION:
            raise CheckpointError(f"{path}: simulator checkpoint format version {version}, "
                                  f"this reader understands up to {SIM_FORMAT_VERSION}")
        try:
            sc = _attrs(f["scenario"])
            time = {c: f["time/" + c][...] for c in SIM_TIME_COLUMNS}
            util = f["time/host_util"][...]
            n = len(time["interval"])
            if any(len(v) != n for v in time.values()) or util.shape[0] != n:
                raise ValueError("time axis columns of different lengths")
            metrics = f["metrics_json"][()]
            metrics = json.loads(metrics.decode() if isinstance(metrics, bytes) else metrics)
            return SimCheckpoint(
                path=path, chain=attrs.get("chain", ""), scenario=sc.get("name", ""),
                program_version=attrs.get("program_version", ""), format_version=version,
                hosts=len(f["scenario/hosts/id"]), vms=len(f["scenario/vms/id"]),
                interval_s=int(sc.get("interval_s", 0)),
                target_interval=int(attrs.get("target_interval", n)),
                complete=bool(attrs.get("complete", 0)), time=time, host_util=util,
                metrics=metrics, attrs=attrs)
        except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
            raise CheckpointError(f"{path}: damaged or incomplete checkpoint "
                                  f"({_first_line(e)})") from None


def _first_line(e):
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


# -- plots --------------------------------------------------------------------------------------
def _title(ck, label=None):
    return f"{label or ck.path}: goal {ck.goal}, {len(ck.host_id)} hosts, {len(ck.vm_id)} VMs"


def _save(fig, out):
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def plot_utilisation(ck, out, label=None):
    """Per dimension, every host's utilisation before/after, sorted descending."""
    before, after = ck.util_before(), ck.util_after()
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), sharey=True)
    x = np.arange(len(ck.host_id))
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
    unres = f", {len(ck.unresolved_vm)} unresolved" if len(ck.unresolved_vm) else ""
    fig.suptitle("Host utilisation — " + _title(ck, label) + unres)
    fig.tight_layout()
    return _save(fig, out)


def plot_waves(ck, out, label=None):
    """Per wave: migrations and new-VM placements (stacked), and memory moved in GiB."""
    n = ck.waves()
    waves = np.arange(1, n + 1)
    mig = ck.migrated()
    n_mig = np.bincount(ck.move_step[mig], minlength=n + 1)[1:]
    n_new = np.bincount(ck.move_step[~mig], minlength=n + 1)[1:]
    gib = np.bincount(ck.move_step[mig], weights=ck.vm_mem_size[ck.move_vm[mig]],
                      minlength=n + 1)[1:] / KIB_PER_GIB
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
    """Active hosts per rack before vs after (the MAX_RACKS racks that change most)."""
    racks, idx = np.unique(ck.host_rack, return_inverse=True)
    before = np.bincount(idx, weights=ck.active_before(), minlength=len(racks)).astype(int)
    after = np.bincount(idx, weights=ck.active_after(), minlength=len(racks)).astype(int)
    title = f"Active hosts per rack ({before.sum()} -> {after.sum()})"
    if len(racks) > MAX_RACKS:
        keep = np.sort(np.argsort(-np.abs(after - before), kind="stable")[:MAX_RACKS])
        racks, before, after = racks[keep], before[keep], after[keep]
        title += f", the {MAX_RACKS} racks with the largest change"
    x = np.arange(len(racks))
    fig, ax = plt.subplots(figsize=(max(8, 0.35 * len(racks) + 3), 5))
    ax.bar(x - 0.2, before, 0.4, label="before", color="tab:gray")
    ax.bar(x + 0.2, after, 0.4, label="after", color="tab:blue")
    ax.set_xticks(x, [str(r) or "(none)" for r in racks], rotation=90 if len(racks) > 12 else 0)
    ax.set_ylabel("active hosts (holding ≥ 1 VM)")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("rack")
    ax.grid(axis="y", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.005, 1.0))
    ax.set_title(title + "\n" + _title(ck, label), fontsize=10)
    fig.tight_layout()
    return _save(fig, out)


def metrics(ck):
    """The numbers compared across checkpoints."""
    s = ck.summary
    return {
        "active hosts before": int(ck.active_before().sum()),
        "active hosts after": int(ck.active_after().sum()),
        "lower bound (hosts)": s.get("lower_bound_hosts", np.nan),
        "migrations": int(ck.migrated().sum()),
        "waves": ck.waves(),
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
def _sim_title(sims, labels):
    first = sims[0]
    what = f"{first.scenario}, {first.hosts} hosts, {first.vms} VMs, {first.interval_s} s intervals"
    parts = []
    for sim, lab in zip(sims, labels):
        done = f" (incomplete: {sim.intervals_done()}/{sim.target_interval})"
        parts.append(lab + ("" if sim.complete else done))
    return what + " — " + ", ".join(parts)


def _sim_lines(ax, sims, labels, values, legend_fmt=None, cumulative=False):
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
    if not any(sim.intervals_done() for sim in sims):
        ax.set(xlim=(0, 1), ylim=(0, 1))
        ax.text(0.5, 0.5, "no intervals simulated yet", transform=ax.transAxes, ha="center")
    else:
        ax.legend(loc="upper left" if cumulative else "best", fontsize=8)


def _sim_figure(sims, labels, out, title, panels):
    """PANELS: (ylabel, values, legend_fmt, integer_y, cumulative) per subplot, sharing the time
    axis."""
    fig, axes = plt.subplots(len(panels), 1, figsize=(12, 3.6 * len(panels) + 0.6), sharex=True,
                             squeeze=False)
    for ax, (ylabel, values, legend_fmt, integer, cumulative) in zip(axes[:, 0], panels):
        _sim_lines(ax, sims, labels, values, legend_fmt, cumulative)
        ax.set_ylabel(ylabel)
        ax.set_ylim(bottom=0)
        if integer:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes[-1, 0].set_xlabel("simulated time (h)")
    fig.suptitle(title + "\n" + _sim_title(sims, labels), fontsize=10)
    fig.tight_layout()
    return _save(fig, out)


def plot_sim_active_hosts(sims, labels, out):
    return _sim_figure(sims, labels, out, "Active hosts per interval", [
        ("active hosts", lambda s: s.time["active_hosts"],
         lambda s, y: f"mean {y.mean():.1f}" if len(y) else "no data", True, False)])


def plot_sim_energy(sims, labels, out):
    return _sim_figure(sims, labels, out, "Energy", [
        ("energy per interval (kWh)", lambda s: s.energy_kwh(),
         lambda s, y: f"{y.sum():.2f} kWh", False, False),
        ("cumulative energy (kWh)", lambda s: s.energy_kwh(), None, False, True)])


def plot_sim_migrations(sims, labels, out):
    return _sim_figure(sims, labels, out, "Migrations", [
        ("migrations per interval", lambda s: s.time["migrations"],
         lambda s, y: f"{int(y.sum())} in all", True, False),
        ("cumulative migrations", lambda s: s.time["migrations"], None, True, True)])


def plot_sim_sla(sims, labels, out):
    def slatah_total(s, y):
        act = s.time["active_host_s"].sum()
        return f"SLATAH {100 * s.time['overload_host_s'].sum() / act:.2f}%" if act > 0 else "-"
    return _sim_figure(sims, labels, out, "SLA violations over time", [
        ("SLATAH per interval (%)\n(overloaded / active host time)",
         lambda s: 100 * s.slatah(), slatah_total, False, False),
        ("hotspot hosts per interval", lambda s: s.time["hotspot_hosts"],
         lambda s, y: f"{int(y.sum())} host-interval{'' if y.sum() == 1 else 's'}", True, False)])


SIM_FIGURES = (("sim_active_hosts", plot_sim_active_hosts), ("sim_energy", plot_sim_energy),
               ("sim_migrations", plot_sim_migrations), ("sim_sla", plot_sim_sla))


# -- command ------------------------------------------------------------------------------------
def _labels(paths, given, defaults=None):
    if given is not None:
        labels = [s.strip() for s in given.split(",")]
        if len(labels) != len(paths) or not all(labels):
            raise CheckpointError(f"--labels: {len(labels)} label(s) for {len(paths)} checkpoint(s)")
    elif defaults is not None:
        labels = list(defaults)
    else:
        labels = [os.path.basename(os.path.dirname(os.path.abspath(p))) or p for p in paths]
    seen = {}
    for i, lab in enumerate(labels):           # make duplicates unique: a, a-2, a-3
        seen[lab] = seen.get(lab, 0) + 1
        if seen[lab] > 1:
            labels[i] = f"{lab}-{seen[lab]}"
    return labels


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoints", nargs="+", metavar="CKPT.h5")
    ap.add_argument("--out", required=True, metavar="DIR", help="directory for the PNGs")
    ap.add_argument("--labels", metavar="a,b,...", help="one label per checkpoint")
    args = ap.parse_args(argv)   # exits 2 on missing arguments
    try:
        kinds = [is_sim(p) for p in args.checkpoints]
        if any(kinds):
            for p, sim in zip(args.checkpoints, kinds):
                if not sim:
                    load(p)     # a damaged or foreign file: its own message
                    raise CheckpointError(f"{p}: a plan checkpoint among simulator checkpoints; "
                                          f"plot them separately")
            _labels(args.checkpoints, args.labels)      # bad --labels before reading
            sims = [load_sim(p) for p in args.checkpoints]
            chains = [sim.chain or os.path.basename(os.path.dirname(os.path.abspath(sim.path)))
                      for sim in sims]
            labels = _labels(args.checkpoints, args.labels, chains)
        else:
            labels = _labels(args.checkpoints, args.labels)
            cks = [load(p) for p in args.checkpoints]
    except CheckpointError as e:
        print(f"checkpoint_plots: {e}", file=sys.stderr)
        return 2
    os.makedirs(args.out, exist_ok=True)
    if any(kinds):
        for name, fn in SIM_FIGURES:
            print(fn(sims, labels, os.path.join(args.out, f"{name}.png")))
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
