#!/usr/bin/python3
"""A memory-bound fleet from the Bitbrains "Rnd" day (GWA-T-12), and the chains simulated on it.

Bench input generator and runner (issue 19). The trace is read by fleetplan itself:
`fleetplan convert-trace --trace DATA_DIR --trace-format gwa --out OUT/gwa` writes the
interchange trace (`time,vm,cpu,mem,net`, each VM resampled onto the 300 s grid by time-weighted
means, README "Trace formats") and the `--vms auto` rows. This script only adds:

- hosts.csv: H identical hosts (--host-cores, --host-mem-gib, 10 Gbit/s, --idle-w / --max-w),
  H sized so that the peak of the summed demand (over the day, in the dimension that binds:
  cpu = cores x fraction, mem = provisioned MiB x fraction, summed per bucket) is --peak of the
  fleet's capacity (default 0.7);
- vms.csv: convert-trace's rows with an initial host round-robin over the hosts (VM i, in the
  rows' order, on host i mod H): a spread-out fleet the chains may consolidate.

OUT/trace.csv is convert-trace's trace, unchanged. With --run CHAIN[,CHAIN...] it then runs
`fleetplan simulate --hosts OUT/hosts.csv --vms OUT/vms.csv --trace OUT/trace.csv --policy CHAIN
--out OUT/run-CHAIN` (the planner chain: `--config configs/simulate-fleet.toml`; --set adds
`[sim]` keys through a generated config) and prints one row per chain from metrics.json, with
the run's wall time.

Usage:
  bench/bitbrains_fleet.py DATA_DIR OUT [--peak 0.7] [--host-cores 32] [--host-mem-gib 48]
                           [--run thr-mmt,lr-mmt,best,planner] [--set best_mem_window=3]
"""
import argparse
import csv
import json
import math
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def convert(fleetplan, data, out):
    gwa = out / "gwa"
    subprocess.run([fleetplan, "convert-trace", "--trace", str(data), "--trace-format", "gwa",
                    "--out", str(gwa)], check=True, stdout=subprocess.DEVNULL)
    return gwa


def read_fleet(gwa):
    with open(gwa / "vms.csv", encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    size = {r["id"]: (float(r["cpu_alloc"]), float(r["mem"])) for r in rows}
    cpu_t, mem_t = {}, {}
    with open(gwa / "trace.csv", encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            t = int(float(r["time"]))
            cores, mem_mib = size[r["vm"]]
            cpu_t[t] = cpu_t.get(t, 0.0) + float(r["cpu"]) * cores
            mem_t[t] = mem_t.get(t, 0.0) + float(r["mem"]) * mem_mib
    return rows, cpu_t, mem_t


def write_fleet(a, out, rows, cpu_t, mem_t):
    host_mem = a.host_mem_gib * 1024
    need_cpu = max(cpu_t.values()) / (a.peak * a.host_cores)
    need_mem = max(mem_t.values()) / (a.peak * host_mem)
    hosts = max(1, math.ceil(max(need_cpu, need_mem)))
    with open(out / "hosts.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["id", "cpu", "mem", "net", "power_idle_w", "power_max_w"])
        for h in range(hosts):
            w.writerow([f"h{h:03d}", a.host_cores, host_mem, 10000, a.idle_w, a.max_w])
    with open(out / "vms.csv", "w", newline="") as f:
        cols = list(rows[0].keys())
        w = csv.DictWriter(f, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for i, r in enumerate(rows):
            w.writerow(dict(r, host=f"h{i % hosts:03d}"))
    (out / "trace.csv").unlink(missing_ok=True)
    os.link(out / "gwa" / "trace.csv", out / "trace.csv")
    prov = sum(float(r["mem"]) for r in rows)
    print(f"{len(rows)} VMs, {len(cpu_t)} buckets, {hosts} hosts of {a.host_cores} cores / "
          f"{a.host_mem_gib} GiB; peak demand {max(cpu_t.values()):.1f} cores "
          f"({max(cpu_t.values()) / (hosts * a.host_cores):.1%}), "
          f"{max(mem_t.values()) / 1024:.1f} GiB ({max(mem_t.values()) / (hosts * host_mem):.1%});"
          f" provisioned memory {prov / 1024:.0f} GiB")
    return hosts


def run_chain(a, out, chain):
    run = out / f"run-{chain}"
    cmd = [a.fleetplan, "simulate", "--hosts", str(out / "hosts.csv"), "--vms",
           str(out / "vms.csv"), "--trace", str(out / "trace.csv"), "--out", str(run),
           "--checkpoint-every", "0"]
    base = ROOT / "configs" / "simulate-fleet.toml" if chain == "planner" else None
    if a.set:
        text = base.read_text() if base else "[sim]\n"
        if "[sim]" not in text:
            text = "[sim]\n" + text
        extra = "".join(f"{kv.split('=', 1)[0].strip()} = {kv.split('=', 1)[1].strip()}\n"
                        for kv in a.set)
        text = text.replace("[sim]\n", "[sim]\n" + extra, 1)
        cfg = out / f"config-{chain}.toml"
        cfg.write_text(text)
        base = cfg
    if base:
        cmd += ["--config", str(base)]
    if chain != "planner":
        cmd += ["--policy", chain]
    t0 = time.monotonic()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.monotonic() - t0
    m = json.loads((run / "metrics.json").read_text())
    return m, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("data")
    ap.add_argument("out")
    ap.add_argument("--peak", type=float, default=0.7)
    ap.add_argument("--host-cores", type=int, default=32)
    ap.add_argument("--host-mem-gib", type=int, default=48)
    ap.add_argument("--idle-w", type=float, default=100)
    ap.add_argument("--max-w", type=float, default=250)
    ap.add_argument("--run", default="", help="chains to simulate, comma-separated")
    ap.add_argument("--set", action="append", default=[], help="[sim] KEY=VALUE for every run")
    ap.add_argument("--fleetplan", default=os.environ.get("FLEETPLAN",
                                                          str(ROOT / "build" / "fleetplan")))
    a = ap.parse_args()
    out = pathlib.Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    gwa = convert(a.fleetplan, a.data, out)
    rows, cpu_t, mem_t = read_fleet(gwa)
    if not rows:
        sys.exit(f"{a.data}: no VM with samples")
    write_fleet(a, out, rows, cpu_t, mem_t)
    chains = [c for c in a.run.split(",") if c]
    if not chains:
        return
    print("| chain | energy kWh | energy / floor | mean active hosts | migrations | SLATAH % "
          "| unserved CPU % | mem over-commit host-intervals | unserved mem % | wall s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for c in chains:
        m, wall = run_chain(a, out, c)
        eof = m.get("energy_over_floor")
        eof = "-" if eof is None else f"{eof:.2f}"
        print(f"| {c} | {m['energy_kwh']:.2f} | {eof} | {m['mean_active_hosts']:.2f} | "
              f"{m['migrations']:,} | {100 * m['slatah']:.3f} | {100 * m['unserved_frac']:.3f} | "
              f"{m['mem_overcommit_host_intervals']} | {100 * m['unserved_mem_frac']:.3f} | "
              f"{wall:.1f} |", flush=True)


if __name__ == "__main__":
    main()
