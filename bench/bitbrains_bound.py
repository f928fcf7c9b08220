#!/usr/bin/python3
"""The least energy any schedule without memory over-commit can use on a fleet (issue 19).

Input: a fleet directory as bench/bitbrains_fleet.py writes it (hosts.csv of identical hosts
with linear power, vms.csv with `cpu_alloc` cores and `mem` MiB, the interchange trace.csv),
and optionally the metrics.json of runs to compare. Reads nothing of fleetplan's code; the model
is the simulator's as the README states it for fleet runs:

- A host draws power while it holds a VM, P(u) = idle + (max - idle)·u with u its allocated CPU
  over its capacity (cores × 1000 MIPS), integrated trapezoidally between frames; boots add
  energy (ignored here: the bound only drops terms that are >= 0).
- A VM's demand at time t is its trace interpolated linearly between the 300 s samples (CPU
  fraction × cores × 1000 MIPS; memory fraction × its MiB); a host's resident memory in a frame
  is that of the VMs it holds (a migrating VM on both hosts) at the frame's start.

Zero memory over-commit means every frame's hosts each hold at most their memory. With every VM
hosted (every run here places all of them), in interval k = [300k, 300(k+1)) every frame starts
at a time whose summed memory demand is at least m_k = min(M(300k), M(300(k+1))) (M is linear
in between), and no two VMs each demanding more than half a host share one, so at least

    n_k = max(ceil(m_k / ram), #VMs whose memory is > ram/2 at both ends of the interval)

hosts draw at least their idle power through the interval. The CPU they serve costs
(max - idle) per host capacity on top, whichever hosts serve it. Hence for any such schedule
that serves a share s of the CPU demanded:

    E >= idle · 300 · sum_k n_k  +  (max - idle) / (cores·1000) · s · integral of D(t) dt

with D the summed CPU demand (MIPS), integrated trapezoidally over the run's intervals.
Printed: the bound at s = 1 and at s = 1 - (each given run's unserved_frac), next to that run's
energy: a run below the bound at its own s cannot have had zero memory over-commit.

Usage: bench/bitbrains_bound.py FLEET_DIR [RUN_DIR ...] [--intervals N] [--json]
"""
import argparse
import csv
import json
import math
import pathlib
import sys

STEP = 300.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("fleet")
    ap.add_argument("runs", nargs="*")
    ap.add_argument("--intervals", type=int, default=None,
                    help="intervals simulated (default: the first run's, else the trace's)")
    ap.add_argument("--json", action="store_true", help="print the figures as JSON")
    a = ap.parse_args()
    fleet = pathlib.Path(a.fleet)
    with open(fleet / "hosts.csv", encoding="utf-8", newline="") as f:
        hosts = list(csv.DictReader(f))
    kinds = {(h["cpu"], h["mem"], h["power_idle_w"], h["power_max_w"]) for h in hosts}
    if len(kinds) != 1:
        sys.exit(f"{fleet}/hosts.csv: the bound is written for identical hosts")
    cores, ram, idle, pmax = (float(x) for x in kinds.pop())
    cap_mips = cores * 1000.0
    with open(fleet / "vms.csv", encoding="utf-8", newline="") as f:
        size = {}
        for r in csv.DictReader(f):
            mem = float(r.get("mem_size") or r["mem"])
            size[r["id"]] = (float(r.get("cpu_alloc") or r["cpu"]), mem)
    series = {}  # vm -> {k: (cpu, mem)}, k counted from the trace's first time (the run's 0)
    with open(fleet / "trace.csv", encoding="utf-8", newline="") as f:
        rows = [(float(r["time"]), r["vm"], float(r["cpu"]), float(r["mem"] or 1))
                for r in csv.DictReader(f)]
    t0 = min(r[0] for r in rows)
    for t, vm, c, m in rows:
        k = (t - t0) / STEP
        if k != int(k):
            sys.exit(f"{fleet}/trace.csv: time {t:g} is off the 300 s grid")
        series.setdefault(vm, {})[int(k)] = (c, m)
    samples = 1 + max(max(s) for s in series.values())
    runs = [json.loads((pathlib.Path(d) / "metrics.json").read_text()) for d in a.runs]
    intervals = a.intervals or (runs[0]["intervals"] if runs else samples - 1)
    # Per grid point: summed CPU (MIPS) and memory (MiB), and each VM's memory (held past ends).
    cpu = [0.0] * (intervals + 1)
    mem = [0.0] * (intervals + 1)
    big = [set() for _ in range(intervals + 1)]
    for vm, s in series.items():
        cores_v, mem_v = size[vm]
        keys = sorted(s)
        for k in range(intervals + 1):
            if k <= keys[0] or k >= keys[-1]:  # before the first or after the last: held
                c, m = s[keys[0] if k <= keys[0] else keys[-1]]
            elif k in s:
                c, m = s[k]
            else:  # a gap: linear between the samples around it
                j = max(x for x in keys if x < k)
                nxt = min(x for x in keys if x > k)
                w = (k - j) / (nxt - j)
                c = s[j][0] + (s[nxt][0] - s[j][0]) * w
                m = s[j][1] + (s[nxt][1] - s[j][1]) * w
            cpu[k] += c * cores_v * 1000.0
            mem[k] += m * mem_v
            if m * mem_v > ram / 2:
                big[k].add(vm)
    host_s = 0.0
    demand_mips_s = 0.0
    n = []
    for k in range(intervals):
        m_k = min(mem[k], mem[k + 1])
        n.append(max(math.ceil(m_k / ram - 1e-9), len(big[k] & big[k + 1])))
        host_s += n[-1] * STEP
        demand_mips_s += (cpu[k] + cpu[k + 1]) / 2 * STEP
    idle_kwh = idle * host_s / 3.6e6
    load_kwh = (pmax - idle) / cap_mips * demand_mips_s / 3.6e6
    rows = []
    for d, m in zip(a.runs, runs):
        s = 1 - m["unserved_frac"]
        b = idle_kwh + load_kwh * s
        rows.append({"run": d, "energy_kwh": m["energy_kwh"], "served_share": s, "bound_kwh": b,
                     "below": m["energy_kwh"] < b,
                     "mem_overcommit_host_intervals": m["mem_overcommit_host_intervals"]})
    if a.json:
        print(json.dumps({"intervals": intervals, "mean_hosts": sum(n) / intervals,
                          "max_hosts": max(n), "idle_kwh": idle_kwh, "load_kwh": load_kwh,
                          "bound_kwh": idle_kwh + load_kwh, "runs": rows}, indent=1))
        return
    print(f"{len(hosts)} hosts of {cores:g} cores / {ram / 1024:g} GiB ({idle:g}-{pmax:g} W), "
          f"{len(series)} VMs, {intervals} intervals")
    print(f"hosts that must hold memory: mean {sum(n) / intervals:.2f}, max {max(n)}; "
          f"CPU demand {demand_mips_s / 3.6e6:.1f} core-hours x1000 MIPS")
    print(f"bound, every CPU demand served: {idle_kwh:.2f} kWh idle + {load_kwh:.2f} kWh load = "
          f"{idle_kwh + load_kwh:.2f} kWh")
    for r in rows:
        verdict = "below the bound" if r["below"] else "not below"
        print(f"{r['run']}: {r['energy_kwh']:.2f} kWh, {r['mem_overcommit_host_intervals']} mem "
              f"over-commit host-intervals; bound at its served share {r['served_share']:.4f}: "
              f"{r['bound_kwh']:.2f} kWh ({verdict}, {r['energy_kwh'] / r['bound_kwh']:.3f} x)")

if __name__ == "__main__":
    main()
