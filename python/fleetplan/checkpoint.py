"""Read fleetplan checkpoints into pandas DataFrames (layout: docs/checkpoint.md).

Column names, string decoding and units come from the file itself: every 1-D dataset of a
table group becomes a column, a dictionary column (``X`` codes plus ``X_names``) is decoded to
its strings, and each dataset's ``units`` attribute lands in ``DataFrame.attrs["units"]``.
Nothing here repeats the writer's column list, so a column added to the writer appears here.
"""
import json
import os
import zlib

import h5py
import numpy as np
import pandas as pd

PLAN_FORMAT = "fleetplan-checkpoint"
PLAN_FORMAT_VERSION = 3     # newest plan layout understood: 1 (variable-length strings),
                            # 2 (fixed-length strings), 3 (/fleet/vms virtual over part files)
PART_FORMAT = "fleetplan-checkpoint-part"
SIM_FORMAT = "fleetplan-sim-checkpoint"
SIM_FORMAT_VERSION = 2  # 2: energy floor, memory figures (/time) and memory traces
DIMS = ("cpu", "mem", "net")
J_PER_KWH = 3.6e6


class CheckpointError(ValueError):
    """A file that cannot be read as a checkpoint; the message begins with the file's path."""


def _first_line(e):
    s = str(e).strip().splitlines()
    return s[0] if s else type(e).__name__


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    return v.item() if isinstance(v, np.generic) else v


def _attrs(obj):
    return {k: _text(v) for k, v in obj.attrs.items()}


class _Reader:
    """Reads datasets of one open file, checking each against its crc32 attribute."""

    def __init__(self, f, path):
        self.f, self.path = f, path
        self.dapl = h5py.h5p.create(h5py.h5p.DATASET_ACCESS)
        # Part files are named relative to the checkpoint: resolve them there, whatever the
        # working directory or HDF5_VDS_PREFIX.
        self.dapl.set_virtual_prefix(os.path.dirname(os.path.abspath(path)).encode() + b"/")

    def dataset(self, name):
        obj = self.f.get(name)
        if not isinstance(obj, h5py.Dataset):
            raise KeyError(f"missing dataset /{name.lstrip('/')}")
        if obj.is_virtual:
            self._check_parts(obj, name)
            obj = h5py.Dataset(h5py.h5d.open(self.f.id, name.encode(), self.dapl))
        return obj

    def _check_parts(self, d, name):
        # HDF5 reads a missing source as fill values without an error: check every mapping.
        folder = os.path.dirname(os.path.abspath(self.path))
        mapped = 0
        for m in d.virtual_sources():
            start, end = m.src_space.get_select_bounds()
            mapped += end[0] - start[0] + 1
            part = os.path.join(folder, m.file_name)
            where = f"/{name.lstrip('/')}: part file {part}"
            if os.sep in m.file_name or not os.path.isfile(part):
                raise ValueError(f"{where}: missing (keep the part files beside the checkpoint)")
            try:
                with h5py.File(part, "r") as pf:
                    if _text(pf.attrs.get("format")) != PART_FORMAT:
                        raise ValueError(f"{where}: not a checkpoint part")
                    src = pf.get(m.dset_name)
                    if not isinstance(src, h5py.Dataset) or src.shape[0] <= end[0]:
                        raise ValueError(f"{where}: {m.dset_name} is shorter than the "
                                         f"checkpoint maps (a stale or damaged part)")
            except OSError as e:
                raise ValueError(f"{where}: not an HDF5 file, or truncated "
                                 f"({_first_line(e)})") from None
        if mapped != d.shape[0]:
            raise ValueError(f"/{name.lstrip('/')}: its part files do not cover its rows")

    def values(self, name):
        """A dataset's values (strings decoded), checked against its crc32 attribute."""
        d = self.dataset(name)
        raw = d[()]
        crc = d.attrs.get("crc32")
        if crc is not None:
            data = raw if isinstance(raw, bytes) else np.ascontiguousarray(raw).tobytes()
            if zlib.crc32(data) != int(crc):
                raise ValueError(f"/{name.lstrip('/')}: checksum mismatch (crc32 attribute): "
                                 f"the file is damaged")
        if d.dtype.kind in "SO" or h5py.check_string_dtype(d.dtype):
            if d.ndim == 0:
                return _text(raw)
            if raw.dtype.kind == "S":      # fixed-length (formats 2 and 3), NUL-padded
                return np.char.decode(raw, "utf-8").astype(object)
            return np.array([_text(v) for v in raw], dtype=object)   # variable-length
        return raw

    def units(self, name):
        u = self.f[name].attrs.get("units")
        return None if u is None else _text(u)

    def table(self, group, first=("id",), skip=()):
        """Every 1-D dataset of GROUP (but SKIP) as a column; dictionaries decoded; units in
        attrs."""
        g = self.f.get(group)
        if not isinstance(g, h5py.Group):
            raise KeyError(f"missing group /{group}")
        names = [k for k in g
                 if k not in skip and isinstance(g[k], h5py.Dataset) and g[k].ndim == 1]
        names = [k for k in names if not (k.endswith("_names") and k[:-6] in names)]
        names = [k for k in first if k in names] + [k for k in names if k not in first]
        cols, units = {}, {}
        for k in names:
            path = f"{group}/{k}"
            v = self.values(path)
            if f"{k}_names" in g:
                dictionary = self.values(f"{path}_names")
                if len(v) and (v.min() < 0 or v.max() >= len(dictionary)):
                    raise IndexError(f"/{path}: code out of range of /{path}_names")
                v = dictionary[v] if len(dictionary) else np.array([""] * len(v), dtype=object)
            cols[k] = v
            u = self.units(path)
            if u is not None:
                units[k] = u
        lengths = {len(v) for v in cols.values()}
        if len(lengths) > 1:
            raise ValueError(f"/{group}: columns differ in length")
        count = g.attrs.get("count")
        if count is not None and lengths and lengths != {int(count)}:
            raise ValueError(f"/{group}: {lengths.pop()} rows, its count attribute says {count}")
        df = pd.DataFrame(cols)
        df.attrs["units"] = units
        return df


def _ids(index, ids, what):
    """IDS[index] per row, None where the index is -1 (WHAT names the column in errors)."""
    index = np.asarray(index)
    out = np.full(len(index), None, dtype=object)
    ok = index >= 0
    if ((index >= len(ids)) | (index < -1)).any():
        raise IndexError(f"{what}: index out of range")
    out[ok] = np.asarray(ids, dtype=object)[index[ok]]
    return out


class PlanCheckpoint:
    """A plan checkpoint (`fleetplan plan`'s checkpoint.h5).

    DataFrames (row i of ``hosts`` / ``vms`` is host / VM index i, the indices other tables
    use; units per column in ``df.attrs["units"]``, e.g. cpu millicores, mem KiB, net kbps):

    - ``hosts``: id, cpu, mem, net, rack, site, state, power_idle_w, power_max_w, address
    - ``vms``: id, host (index, -1 = new), host_id, cpu, mem, net, mem_size, disk, dirty_rate,
      group, anti_group, cpu_alloc, mem_alloc (-1 = not given)
    - ``moves``: plan.csv's rows in order: step, vm, vm_id, source (-1 = new VM), source_id,
      target, target_id, reason, est_seconds, est_downtime_ms, est_sent_mib, est_start_s
      (the schedule's start, s) and flags ("" = within every limit); the last two are absent
      from checkpoints written before them
    - ``waves``: one row per wave: step, moves, migrations, placements, mem_moved_kib,
      longest_est_seconds (a lower bound of the wave's duration; est_start_s gives the
      schedule)
    - ``unresolved``: host, host_id, vm, vm_id, reason

    ``summary`` is summary.json's dict, ``attrs`` the root attributes, ``config_toml`` the
    fully expanded config.
    """

    kind = "plan"

    def __init__(self, path, f, version):
        r = _Reader(f, path)
        self.path, self.format_version = path, version
        self.attrs = _attrs(f)
        self.goal = self.attrs.get("goal", "")
        self.seed = int(self.attrs.get("seed", 0))
        self.max_util = float(self.attrs.get("max_util", np.nan))
        self.program_version = self.attrs.get("program_version", "")
        self.config_toml = r.values("config/toml")
        self.summary = json.loads(r.values("summary/json"))
        self.hosts = r.table("fleet/hosts", first=("id",) + DIMS)
        self.vms = r.table("fleet/vms", first=("id", "host") + DIMS)
        host_ids = self.hosts["id"].to_numpy()
        vm_ids = self.vms["id"].to_numpy()
        self.vms.insert(self.vms.columns.get_loc("host") + 1, "host_id",
                        _ids(self.vms["host"], host_ids, "/fleet/vms/host"))
        self.moves = r.table("plan/moves", first=("step", "vm", "source", "target"))
        for col, ids in (("vm", vm_ids), ("source", host_ids), ("target", host_ids)):
            self.moves.insert(self.moves.columns.get_loc(col) + 1, col + "_id",
                              _ids(self.moves[col], ids, "/plan/moves/" + col))
        self.unresolved = r.table("plan/unresolved", first=("host", "vm"))
        for col, ids in (("host", host_ids), ("vm", vm_ids)):
            self.unresolved.insert(self.unresolved.columns.get_loc(col) + 1, col + "_id",
                                   _ids(self.unresolved[col], ids, "/plan/unresolved/" + col))
        self.waves = self._waves()

    def _waves(self):
        m = self.moves
        mem = self.vms["mem_size"].to_numpy()[m["vm"].to_numpy()]
        migrated = (m["source"] >= 0).to_numpy()
        w = pd.DataFrame({"step": m["step"], "migration": migrated, "placement": ~migrated,
                          "mem_moved_kib": np.where(migrated, mem, 0),
                          "est_seconds": m["est_seconds"]})
        g = w.groupby("step", sort=True)
        out = pd.DataFrame({"moves": g.size(), "migrations": g["migration"].sum(),
                            "placements": g["placement"].sum(),
                            "mem_moved_kib": g["mem_moved_kib"].sum(),
                            "longest_est_seconds": g["est_seconds"].max()}).reset_index()
        out = out.astype({"moves": "int64", "migrations": "int64", "placements": "int64",
                          "mem_moved_kib": "int64"})
        out.attrs["units"] = {"mem_moved_kib": "KiB", "longest_est_seconds": "s"}
        return out

    # -- derived arrays (units of the hosts table: millicores, KiB, kbps) ----------------------
    def capacity(self):
        """(hosts, 3) int64: cpu, mem, net capacity."""
        return self.hosts[list(DIMS)].to_numpy(dtype=np.int64)

    def load_before(self):
        """(hosts, 3) demand by current host; new VMs excluded."""
        load = np.zeros((len(self.hosts), 3), dtype=np.int64)
        host = self.vms["host"].to_numpy()
        placed = host >= 0
        np.add.at(load, host[placed], self.vms[list(DIMS)].to_numpy(dtype=np.int64)[placed])
        return load

    def load_after(self):
        """(hosts, 3) load once every move is applied."""
        load = self.load_before()
        d = self.vms[list(DIMS)].to_numpy(dtype=np.int64)[self.moves["vm"].to_numpy()]
        src = self.moves["source"].to_numpy()
        np.subtract.at(load, src[src >= 0], d[src >= 0])
        np.add.at(load, self.moves["target"].to_numpy(), d)
        return load

    def _util(self, load):
        cap = self.capacity().astype(float)
        return np.divide(load, cap, out=np.zeros_like(cap), where=cap > 0)

    def util_before(self):
        return self._util(self.load_before())

    def util_after(self):
        return self._util(self.load_after())

    def vm_host_after(self):
        """Each VM's host index after the plan (-1 = still unplaced)."""
        h = self.vms["host"].to_numpy().copy()
        h[self.moves["vm"].to_numpy()] = self.moves["target"].to_numpy()
        return h

    def active_before(self):
        """Boolean per host: holds at least one VM before the plan."""
        h = self.vms["host"].to_numpy()
        return np.bincount(h[h >= 0], minlength=len(self.hosts)) > 0

    def active_after(self):
        h = self.vm_host_after()
        return np.bincount(h[h >= 0], minlength=len(self.hosts)) > 0

    def migrated(self):
        """Boolean per move: a migration of an existing VM (not a new-VM placement)."""
        return (self.moves["source"] >= 0).to_numpy()

    def moved_mem_kib(self):
        return int(self.waves["mem_moved_kib"].sum())

    def wave_count(self):
        return len(self.waves)


class SimCheckpoint:
    """A simulator checkpoint (`fleetplan simulate`'s checkpoint.h5).

    - ``intervals``: one row per simulated interval (/time): interval, t, active_hosts,
      energy_j, …; units per column in ``intervals.attrs["units"]``
    - ``host_util``: interval × host CPU utilisation (columns: host ids, index: interval)
    - ``hosts``: the scenario's hosts: id, type (index), type_name[, accepts]
    - ``vms``: the scenario's VMs: id, mips, pes, ram_mb, … and trace_samples (the length
      of each VM's trace in /scenario/vms/trace)

    ``summary`` is metrics.json's content when the checkpoint was written, ``attrs`` the /sim
    attributes (chain, target_interval, complete, …), ``scenario`` /scenario's attributes.
    """

    kind = "simulate"

    def __init__(self, path, f, version):
        r = _Reader(f, path)
        self.path, self.format_version = path, version
        self.attrs = _attrs(f["sim"])
        self.scenario = _attrs(f["scenario"])
        self.chain = self.attrs.get("chain", "")
        self.program_version = self.attrs.get("program_version", "")
        self.target_interval = int(self.attrs.get("target_interval", 0))
        self.complete = bool(self.attrs.get("complete", 0))
        self.interval_s = int(self.scenario.get("interval_s", 0))
        self.summary = json.loads(r.values("metrics_json"))
        self.intervals = r.table("time", first=("interval", "t"))
        # /scenario/hosts/accepts is empty when every host accepts VMs.
        empty = ("accepts",) if r.dataset("scenario/hosts/accepts").shape == (0,) else ()
        self.hosts = r.table("scenario/hosts", skip=empty)
        types = r.values("scenario/types/name")
        self.hosts.insert(self.hosts.columns.get_loc("type") + 1, "type_name",
                          _ids(self.hosts["type"], types, "/scenario/hosts/type"))
        self.vms = r.table("scenario/vms",
                           skip=("trace", "trace_offset", "mem_trace", "mem_trace_offset"))
        offsets = r.values("scenario/vms/trace_offset")
        if len(offsets) != len(self.vms) + 1:
            raise ValueError("/scenario/vms/trace_offset: not one more than the VMs")
        self.vms["trace_samples"] = np.diff(offsets)
        util = r.values("time/host_util")
        if util.shape != (len(self.intervals), len(self.hosts)):
            raise ValueError(f"/time/host_util: shape {util.shape}, expected "
                             f"{(len(self.intervals), len(self.hosts))}")
        self.host_util = pd.DataFrame(util, columns=self.hosts["id"],
                                      index=pd.Index(self.intervals["interval"], name="interval"))
        self.host_util.attrs["units"] = r.units("time/host_util")

    def hours(self):
        """Each interval's end, in simulated hours."""
        return self.intervals["t"].to_numpy() / 3600.0

    def edges_hours(self):
        """Interval boundaries in hours (intervals + 1 values): interval k covers (t_k-1, t_k]."""
        t = self.intervals["t"].to_numpy(dtype=float)
        start = max(0.0, t[0] - self.interval_s) if len(t) else 0.0
        return np.concatenate([[start], t]) / 3600.0

    def energy_kwh(self):
        return self.intervals["energy_j"].to_numpy() / J_PER_KWH

    def slatah(self):
        """Per interval: overload_host_s / active_host_s (0 when no host was active)."""
        act = self.intervals["active_host_s"].to_numpy(dtype=float)
        over = self.intervals["overload_host_s"].to_numpy(dtype=float)
        return np.divide(over, act, out=np.zeros_like(act), where=act > 0)


def read(path):
    """Open a plan or simulator checkpoint: a PlanCheckpoint or a SimCheckpoint.

    Raises CheckpointError (a ValueError whose message begins with PATH) for a missing,
    foreign, truncated, damaged or newer-version file, or a format-3 file whose part files
    are missing or stale.
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise CheckpointError(f"{path}: no such file")
    try:
        f = h5py.File(path, "r")
    except (OSError, ValueError) as e:
        raise CheckpointError(f"{path}: not a readable HDF5 file, or truncated "
                              f"({_first_line(e)})") from None
    with f:
        try:
            sim = f.get("sim")
            if isinstance(sim, h5py.Group):
                kind, cls, fmt, newest = "simulator ", SimCheckpoint, _text(
                    sim.attrs.get("format")), SIM_FORMAT_VERSION
                want, version = SIM_FORMAT, sim.attrs.get("format_version", -1)
            else:
                kind, cls, fmt, newest = "", PlanCheckpoint, _text(
                    f.attrs.get("format")), PLAN_FORMAT_VERSION
                want, version = PLAN_FORMAT, f.attrs.get("format_version", -1)
        except (OSError, KeyError, ValueError, TypeError) as e:
            raise CheckpointError(f"{path}: damaged checkpoint ({_first_line(e)})") from None
        if fmt != want:
            raise CheckpointError(f"{path}: not a fleetplan {kind}checkpoint (format = {fmt!r})")
        version = int(version)
        if not 0 < version <= newest:
            raise CheckpointError(f"{path}: {kind}checkpoint format version {version}, this "
                                  f"reader understands up to {newest}")
        try:
            return cls(path, f, version)
        except (OSError, KeyError, ValueError, TypeError, IndexError) as e:
            raise CheckpointError(f"{path}: damaged or incomplete checkpoint "
                                  f"({_first_line(e)})") from None
