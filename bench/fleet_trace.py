#!/usr/bin/python3
"""A deterministic CPU trace for a generated fleet: `time,vm,cpu` CSV for `fleetplan simulate`.

Usage: bench/fleet_trace.py VMS.csv OUT.csv [--intervals 288] [--step 300] [--seed 7]

Writes intervals + 1 samples per VM (times 0, step, ..., intervals * step), so the simulation has
exactly `intervals` decision intervals of `step` seconds. Each VM follows a day curve around its
current utilisation (cpu / cpu_alloc in vms.csv, the fraction `simulate` starts from): one of
eight phases, an amplitude of 20-60% of its level, plus noise of +-0.05, clamped to [0, 1] and
rounded to 0.001. Everything comes from the seed and the VM's row number (no clock, no hash
randomisation), so the same inputs always give the same bytes.
"""
import argparse
import csv
import math
import random
import sys


def levels(vms_csv):
    """Per VM: (id, utilisation of its size now), in file order."""
    out = []
    with open(vms_csv, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            demand = float(r["cpu"])
            size = float(r.get("cpu_alloc") or 0) or demand
            out.append((r["id"], min(1.0, demand / size) if size > 0 else 0.0))
    return out


def write_trace(vms_csv, out_csv, intervals=288, step=300, seed=7):
    vms = levels(vms_csv)
    rng = random.Random(seed)
    params = []
    for _vm_id, u0 in vms:
        phase = rng.randrange(8) * math.pi / 4
        amp = u0 * rng.uniform(0.2, 0.6)
        params.append((u0, phase, amp, rng.getrandbits(32)))
    text = ["%.3f" % (i / 1000) for i in range(1001)]
    ids = [v for v, _ in vms]
    day = 2 * math.pi / 288
    with open(out_csv, "w", encoding="utf-8") as f:
        f.write("time,vm,cpu\n")
        for k in range(intervals + 1):
            t = str(k * step) + ","
            s = math.sin
            lines = []
            for i, (u0, phase, amp, salt) in enumerate(params):
                # Noise in [-0.05, 0.05] from (salt, k): a multiplicative hash, no RNG state.
                noise = (((salt ^ (k * 0x9E3779B1)) * 0x85EBCA6B) >> 13 & 1023) / 10230 - 0.05
                u = u0 + amp * s(day * k + phase) + noise
                q = 0 if u <= 0 else 1000 if u >= 1 else int(u * 1000 + 0.5)
                lines.append(t + ids[i] + "," + text[q] + "\n")
            f.write("".join(lines))
    return len(vms) * (intervals + 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("vms")
    ap.add_argument("out")
    ap.add_argument("--intervals", type=int, default=288)
    ap.add_argument("--step", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    a = ap.parse_args()
    n = write_trace(a.vms, a.out, a.intervals, a.step, a.seed)
    print(f"wrote {a.out} ({n} samples)", file=sys.stderr)


if __name__ == "__main__":
    main()
