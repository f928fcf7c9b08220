#!/usr/bin/python3
"""A memory-bound fleet from the Bitbrains "Rnd" day (GWA-T-12), for `fleetplan simulate`.

Bench input generator only (issue 19): the simulator's own GWA-T-12 reader is separate work;
this script writes the CSV trace form `time,vm,cpu,mem` so that the memory figures can be
measured now. From DATA_DIR (one `<n>.csv` per VM, `;`+tab separated, as in
/work/shared/data/bitbrains-rnd/2013-07-02) it writes into OUT:

- vms.csv: one VM per file (id `bb<n>`), cpu = its `CPU cores`, mem = mem_size = its
  `Memory capacity provisioned [KB]` in MiB (rounded up), net 10 Mbps, and an initial host
  round-robin over the hosts (VM i on host i mod H): a spread-out fleet the chains may
  consolidate;
- trace.csv: `time,vm,cpu,mem`, samples snapped to the 300 s grid from the day's midnight (a
  later sample wins a slot), cpu = `CPU usage [%]` / 100 and mem = `Memory usage [KB]` / the
  provisioned memory (both clamped to [0, 1]);
- hosts.csv: H identical hosts (--host-cores, --host-mem-gib, 10 Gbit/s, --idle-w / --max-w),
  H sized so that the peak of the summed demand (over the day, in the dimension that binds) is
  --peak of the fleet's capacity (default 0.7).

Prints the fleet's size and peaks. Usage:
  bench/bitbrains_fleet.py DATA_DIR OUT [--peak 0.7] [--host-cores 32] [--host-mem-gib 256]
"""
import argparse
import csv
import math
import os
import pathlib
import sys

STEP = 300


def read_vm(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        if not header.startswith("Timestamp"):
            sys.exit(f"{path}: not a GWA-T-12 file")
        for line in f:
            parts = [p.strip() for p in line.split(";")]
            if len(parts) < 7 or not parts[0]:
                continue
            rows.append((int(float(parts[0])), int(float(parts[1])), float(parts[4]),
                         float(parts[5]), float(parts[6])))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--peak", type=float, default=0.7)
    ap.add_argument("--host-cores", type=int, default=32)
    ap.add_argument("--host-mem-gib", type=int, default=256)
    ap.add_argument("--idle-w", type=float, default=100)
    ap.add_argument("--max-w", type=float, default=250)
    a = ap.parse_args()
    files = sorted((p for p in pathlib.Path(a.data).iterdir() if p.suffix == ".csv"),
                   key=lambda p: int(p.stem) if p.stem.isdigit() else p.stem)
    vms = []  # (id, cores, mem_mib, {slot: (cpu, mem)})
    start = None
    for p in files:
        rows = read_vm(p)
        if not rows:
            continue
        first = min(r[0] for r in rows)
        start = first if start is None else min(start, first)
        vms.append((p, rows))
    day0 = start - start % 86400
    fleet = []
    slots = 0
    for p, rows in vms:
        cores = max(1, rows[0][1])
        prov_kb = max(r[3] for r in rows)
        mem_mib = max(1, math.ceil(prov_kb / 1024))
        series = {}
        for ts, _, cpu_pct, prov, used in sorted(rows):
            k = round((ts - day0) / STEP)
            if k < 0:
                continue
            cpu = min(1.0, max(0.0, cpu_pct / 100))
            mem = min(1.0, max(0.0, used / prov)) if prov > 0 else 0.0
            series[k] = (cpu, mem)
        slots = max(slots, max(series) + 1)
        fleet.append(("bb" + p.stem, cores, mem_mib, series))
    # Peak summed demand per dimension (a missing slot carries the VM's previous sample).
    cpu_t = [0.0] * slots
    mem_t = [0.0] * slots
    for _, cores, mem_mib, series in fleet:
        last = series[min(series)]
        for k in range(slots):
            last = series.get(k, last)
            cpu_t[k] += last[0] * cores
            mem_t[k] += last[1] * mem_mib
    host_mem = a.host_mem_gib * 1024
    need_cpu = max(cpu_t) / (a.peak * a.host_cores)
    need_mem = max(mem_t) / (a.peak * host_mem)
    hosts = max(1, math.ceil(max(need_cpu, need_mem)))
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "hosts.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "cpu", "mem", "net", "power_idle_w", "power_max_w"])
        for h in range(hosts):
            w.writerow([f"h{h:03d}", a.host_cores, host_mem, 10000, a.idle_w, a.max_w])
    with open(out / "vms.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "host", "cpu", "mem", "net", "mem_size"])
        for i, (vid, cores, mem_mib, _) in enumerate(fleet):
            w.writerow([vid, f"h{i % hosts:03d}", cores, mem_mib, 10, mem_mib])
    with open(out / "trace.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time", "vm", "cpu", "mem"])
        for vid, _, _, series in fleet:
            for k in sorted(series):
                cpu, mem = series[k]
                w.writerow([k * STEP, vid, f"{cpu:.6f}", f"{mem:.6f}"])
    print(f"{len(fleet)} VMs, {slots} slots of {STEP} s, {hosts} hosts of {a.host_cores} cores / "
          f"{a.host_mem_gib} GiB; peak demand {max(cpu_t):.1f} cores "
          f"({max(cpu_t) / (hosts * a.host_cores):.1%}), {max(mem_t) / 1024:.1f} GiB "
          f"({max(mem_t) / (hosts * host_mem):.1%}); provisioned memory "
          f"{sum(m for _, _, m, _ in fleet) / 1024:.0f} GiB")


if __name__ == "__main__":
    main()
