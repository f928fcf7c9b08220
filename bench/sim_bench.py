#!/usr/bin/python3
"""Simulator benchmark (issue 6): CloudSim's PlanetLab experiment, every chain, both days.

For each day, runs `fleetplan simulate --preset cloudsim-planetlab --grid` once (every chain
side by side, with the day's --trace-order) and prints:
  - the grid table (energy, migrations, SLATAH, PDM, SLAV, ESV, unserved, decision time);
  - for day 20110303, our figures beside CloudSim 3.0.3's (../shared/data/README.md) with the
    relative differences, against the bounds: energy within 10%, migrations within 25%;
  - the issue's comparisons for `best`: migrations <= lr-mmt's / 10, energy <= lr-mmt's,
    SLATAH and SLAV <= thr-mmt's, unserved demand <= thr-mmt's; and issue 19's: energy at most
    1.4 x its floor (energy_over_floor), SLATAH <= 1%, migrations <= lr-mmt's / 20;
  - the grid's wall time and the mean decision time per 300 s step of every chain, measured
    again alone (one chain per process, nothing else running) because the grid runs chains in
    parallel.
Nothing here passes or fails; the figures are for the issue note and bench/README.md.

Usage: bench/sim_bench.py [--data DIR] [--days 20110303 20110306] [--work /tmp/fleetplan-sim]
DIR (default $FP_PLANETLAB_DATA, else ../shared/data/planetlab beside the repository) holds
one folder per day and order-DAY.txt.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLEETPLAN = os.environ.get("FLEETPLAN", str(ROOT / "build" / "fleetplan"))
CHAINS = ["thr-mmt", "iqr-mmt", "mad-mmt", "lr-mmt", "lrr-mmt", "lr-mc", "lr-rs", "lr-mu", "best"]
# CloudSim 3.0.3, day 20110303 (../shared/data/README.md): energy kWh, migrations, SLATAH %,
# PDM %, SLAV %, ESV.
CLOUDSIM = {
    "thr-mmt": (198.08, 27728, 5.00, 0.071, 0.00357, 0.00707),
    "iqr-mmt": (193.63, 27592, 5.02, 0.068, 0.00342, 0.00662),
    "mad-mmt": (189.79, 27781, 5.09, 0.070, 0.00357, 0.00678),
    "lr-mmt": (167.83, 27649, 5.72, 0.075, 0.00432, 0.00725),
    "lr-mc": (153.87, 23351, 7.02, 0.100, 0.00703, 0.01082),
    "lr-rs": (153.85, 23312, 7.19, 0.100, 0.00721, 0.01109),
    "lr-mu": (180.62, 30102, 8.14, 0.072, 0.00588, 0.01062),
}


def simulate(data, day, args, out):
    cmd = [FLEETPLAN, "simulate", "--preset", "cloudsim-planetlab", "--trace", str(data / day),
           "--trace-order", str(data / f"order-{day}.txt"), "--out", str(out)] + args
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    return time.monotonic() - t0, p.stdout


def metrics(d):
    return json.load(open(d / "metrics.json"))


def main():
    ap = argparse.ArgumentParser()
    default = os.environ.get("FP_PLANETLAB_DATA", str(ROOT.parent / "shared" / "data" / "planetlab"))
    ap.add_argument("--data", default=default)
    ap.add_argument("--days", nargs="+", default=["20110303", "20110306"])
    ap.add_argument("--work", default="/tmp/fleetplan-sim")
    a = ap.parse_args()
    data = pathlib.Path(a.data)
    work = pathlib.Path(a.work)
    for day in a.days:
        grid_dir = work / day / "grid"
        wall, table = simulate(data, day, ["--grid"], grid_dir)
        print(f"## Day {day}: grid of {len(CHAINS)} chains in {wall:.1f} s wall (2 threads)\n")
        print(table.split("grid:")[0])
        m = {c: metrics(grid_dir / c) for c in CHAINS}
        if day == "20110303":
            print("Our reproduction beside CloudSim 3.0.3 (same day, same trace order):\n")
            print("| policy | energy kWh (CloudSim) | Δ | migrations (CloudSim) | Δ | SLATAH % (CloudSim)"
                  " | PDM % (CloudSim) | SLAV % (CloudSim) | ESV (CloudSim) |")
            print("|---|---|---|---|---|---|---|---|---|")
            for c, (e, mig, slatah, pdm, slav, esv) in CLOUDSIM.items():
                x = m[c]
                de = (x["energy_kwh"] - e) / e * 100
                dm = (x["migrations"] - mig) / mig * 100
                print(f"| {c} | {x['energy_kwh']:.2f} ({e:.2f}) | {de:+.1f}% | {x['migrations']} ({mig})"
                      f" | {dm:+.1f}% | {100 * x['slatah']:.2f} ({slatah:.2f}) | {100 * x['pdm']:.3f} ({pdm:.3f})"
                      f" | {100 * x['slav']:.5f} ({slav:.5f}) | {x['esv']:.5f} ({esv:.5f}) |")
            worst_e = max(abs(m[c]["energy_kwh"] - v[0]) / v[0] for c, v in CLOUDSIM.items())
            worst_m = max(abs(m[c]["migrations"] - v[1]) / v[1] for c, v in CLOUDSIM.items())
            print(f"\nlargest difference: energy {100 * worst_e:.1f}% (bound 10%), "
                  f"migrations {100 * worst_m:.1f}% (bound 25%)\n")
        b, lr, thr = m["best"], m["lr-mmt"], m["thr-mmt"]
        checks = [
            ("migrations <= lr-mmt / 10", b["migrations"], lr["migrations"] / 10, b["migrations"] <= lr["migrations"] / 10),
            ("energy kWh <= lr-mmt", b["energy_kwh"], lr["energy_kwh"], b["energy_kwh"] <= lr["energy_kwh"]),
            ("SLATAH <= thr-mmt", b["slatah"], thr["slatah"], b["slatah"] <= thr["slatah"]),
            ("SLAV <= thr-mmt", b["slav"], thr["slav"], b["slav"] <= thr["slav"]),
            ("unserved fraction <= thr-mmt", b["unserved_frac"], thr["unserved_frac"],
             b["unserved_frac"] <= thr["unserved_frac"]),
            ("energy / floor <= 1.4 (issue 19)", b["energy_over_floor"], 1.4,
             b["energy_over_floor"] <= 1.4),
            ("SLATAH <= 1% (issue 19)", b["slatah"], 0.01, b["slatah"] <= 0.01),
            ("migrations <= lr-mmt / 20 (issue 19)", b["migrations"], lr["migrations"] / 20,
             b["migrations"] <= lr["migrations"] / 20),
        ]
        print("best against the issue's bounds:\n")
        print("| comparison | best | bound | holds |")
        print("|---|---|---|---|")
        for name, v, bound, holds in checks:
            print(f"| {name} | {v:.6g} | {bound:.6g} | {'yes' if holds else 'NO'} |")
        print()
        print("Mean / max decision time per 300 s step, each chain alone:\n")
        print("| policy | mean ms | max ms | run s |")
        print("|---|---|---|---|")
        for c in CHAINS:
            d = work / day / "alone" / c
            wall, _ = simulate(data, day, ["--policy", c, "--threads", "1"], d)
            x = metrics(d)
            print(f"| {c} | {1e3 * x['mean_step_seconds']:.3f} | {1e3 * x['max_step_seconds']:.2f} | {wall:.1f} |")
        print()


if __name__ == "__main__":
    main()
