#!/usr/bin/python3
"""Fleet-size simulation benchmark (issue 16): `simulate` in fleet mode over one day.

Builds (once, kept in --work) a fleet with `fleetplan generate --hosts H --vms V --seed 7` and
its trace with bench/fleet_trace.py (288 intervals of 300 s, seed 7), then runs
`fleetplan simulate --hosts --vms --trace --config configs/simulate-fleet.toml --threads 2`
--runs times and prints, per run and as the median: wall time, time per interval (from the
progress lines: the wall time between the first and the last interval, over the intervals),
the chain's mean decision time (metrics.json), the time to read the inputs (hosts, VMs and the
trace: simulate's "inputs read in" line) and peak RSS (/usr/bin/time's %M).

Usage: bench/sim_fleet_bench.py [--hosts 10000] [--vms 200000] [--intervals 288]
       [--runs 3] [--policy NAME] [--config configs/simulate-fleet.toml]
       [--work /tmp/fleetplan-simfleet] [--fleetplan PATH]
--config picks another config, e.g. the fleet config with `planner_horizon = "whole"` to compare
both planning horizons; each run also prints the plan's quality (energy, SLATAH, PDM, migrations).
Nothing here passes or fails; the figures go to bench/README.md.
"""
import argparse
import json
import os
import pathlib
import re
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import fleet_trace  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", type=int, default=10000)
    ap.add_argument("--vms", type=int, default=200000)
    ap.add_argument("--intervals", type=int, default=288)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--policy", default=None, help="a chain (default: the config's, planner)")
    ap.add_argument("--config", default=str(ROOT / "configs" / "simulate-fleet.toml"))
    ap.add_argument("--work", default="/tmp/fleetplan-simfleet")
    ap.add_argument("--fleetplan", default=os.environ.get("FLEETPLAN", str(ROOT / "build" / "fleetplan")))
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    fleet = work / f"fleet-{a.hosts}-{a.vms}"
    trace = fleet / f"trace-{a.intervals}.csv"
    if not (fleet / "vms.csv").exists():
        subprocess.run([a.fleetplan, "generate", "--hosts", str(a.hosts), "--vms", str(a.vms),
                        "--seed", "7", "--out", str(fleet)], check=True, stdout=subprocess.DEVNULL)
    if not trace.exists():
        t0 = time.monotonic()
        fleet_trace.write_trace(fleet / "vms.csv", trace, a.intervals, 300, 7)
        print(f"trace: {trace} written in {time.monotonic() - t0:.0f} s", file=sys.stderr)
    walls, per, rss, step, inputs = [], [], [], [], []
    for i in range(a.runs):
        out = work / f"run{i}"
        cmd = ["/usr/bin/time", "-f", "%M", a.fleetplan, "simulate", "--hosts", str(fleet / "hosts.csv"),
               "--vms", str(fleet / "vms.csv"), "--trace", str(trace), "--config",
               a.config, "--threads", "2",
               "--checkpoint-every", "0", "--progress", "--out", str(out)]
        if a.policy:
            cmd[4:4] = ["--policy", a.policy]
        t0 = time.monotonic()
        p = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.monotonic() - t0
        if p.returncode != 0:
            sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
        lines = p.stderr.strip().splitlines()
        rss.append(int(lines[-1]) / 1024)
        prog = [re.match(r"simulate: (\d+)/\d+ intervals, [\d.]+ intervals/s, ([\d.]+) s elapsed", l)
                for l in lines]
        prog = [(int(m.group(1)), float(m.group(2))) for m in prog if m]
        read = [re.match(r"simulate: inputs read in ([\d.]+) s", l) for l in lines]
        inputs.append(next((float(r.group(1)) for r in read if r), float("nan")))
        m = json.load(open(out / "metrics.json"))
        walls.append(wall)
        step.append(m["mean_step_seconds"])
        # The intervals alone (input parsing excluded): from the progress line's elapsed times.
        if len(prog) >= 2 and prog[-1][0] > prog[0][0]:
            per.append((prog[-1][1] - prog[0][1]) / (prog[-1][0] - prog[0][0]))
        else:
            per.append(wall / max(1, m["intervals"]))
        print(f"run {i + 1}: {wall:.1f} s wall, inputs read in {inputs[-1]:.1f} s, "
              f"{per[-1]:.3f} s per interval, decision "
              f"{step[-1]:.3f} s per interval, peak RSS {rss[-1]:.0f} MiB, "
              f"{m['intervals']} intervals, {m['migrations']} migrations, "
              f"{m['energy_kwh']:.2f} kWh, SLATAH {m['slatah'] * 100:.4f}%, PDM {m['pdm'] * 100:.6f}%")
    print(f"median of {a.runs}: {statistics.median(walls):.1f} s wall, inputs read in "
          f"{statistics.median(inputs):.1f} s, "
          f"{statistics.median(per):.3f} s per interval, decision {statistics.median(step):.3f} s, "
          f"peak RSS {statistics.median(rss):.0f} MiB")


if __name__ == "__main__":
    main()
