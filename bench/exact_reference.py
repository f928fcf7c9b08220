#!/usr/bin/python3
"""Exact reference for consolidation: how far is `fleetplan plan --goal consolidate` from the
optimum on small instances?

For ten small generated fleets (12-30 hosts, 40-100 VMs, fixed seeds) it solves the
consolidation problem exactly as an integer program with CBC (Debian's coinor-cbc; a bench
tool, not a runtime dependency) and compares it with fleetplan's plan:

    minimise  sum_h y_h
    s.t.      sum_h x_vh = 1                    every VM on one usable host
              sum_v d_vd x_vh <= L_hd y_h       every host and dimension, L = floor(cap * 0.9)
              sum_{v in g} x_vh <= 1            every anti-affinity group and host
              x, y binary; hosts in maintenance are not usable

Quantities are the exact integer units of README "Units and exactness" (demands rounded up,
capacities down). Usage: bench/exact_reference.py [--fleetplan build/fleetplan] [--time-limit 120]
Prints a Markdown table: lower bound, fleetplan, optimum, gap, and the count of exact matches.
"""
import argparse
import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
from fractions import Fraction

INSTANCES = [  # (hosts, vms, seed)
    (12, 40, 101), (14, 50, 102), (16, 55, 103), (18, 60, 104), (20, 70, 105),
    (22, 75, 106), (24, 80, 107), (26, 85, 108), (28, 90, 109), (30, 100, 110),
]
FACTORS = {"cpu": 1000, "mem": 1024, "net": 1000}
PPM = 900000


def units(text, dim, up):
    x = Fraction(text) * FACTORS[dim]
    return math.ceil(x) if up else math.floor(x)


def load(dirname):
    hosts = list(csv.DictReader(open(os.path.join(dirname, "hosts.csv"), newline="")))
    vms = list(csv.DictReader(open(os.path.join(dirname, "vms.csv"), newline="")))
    return hosts, vms


def solve(hosts, vms, workdir, time_limit):
    usable = [i for i, h in enumerate(hosts) if h.get("state", "active") != "maintenance"]
    lim = {i: {d: units(hosts[i][d], d, False) * PPM // 1000000 for d in FACTORS} for i in usable}
    dem = [{d: units(v[d], d, True) for d in FACTORS} for v in vms]
    lines = ["Minimize", " obj: " + " + ".join(f"y{i}" for i in usable), "Subject To"]
    for v in range(len(vms)):
        lines.append(f" a{v}: " + " + ".join(f"x{v}_{i}" for i in usable) + " = 1")
    for i in usable:
        for d in FACTORS:
            terms = [f"{dem[v][d]} x{v}_{i}" for v in range(len(vms)) if dem[v][d] > 0]
            if terms:
                lines.append(f" c{i}_{d}: " + " + ".join(terms) + f" - {lim[i][d]} y{i} <= 0")
    groups = {}
    for v, row in enumerate(vms):
        if row.get("anti_group"):
            groups.setdefault(row["anti_group"], []).append(v)
    for g, members in enumerate(groups.values()):
        if len(members) > 1:
            for i in usable:
                lines.append(f" g{g}_{i}: " + " + ".join(f"x{v}_{i}" for v in members) + " <= 1")
    lines.append("Binary")
    lines += [f" y{i}" for i in usable]
    lines += [f" x{v}_{i}" for v in range(len(vms)) for i in usable]
    lines.append("End")
    lp = os.path.join(workdir, "model.lp")
    sol = os.path.join(workdir, "model.sol")
    open(lp, "w").write("\n".join(lines) + "\n")
    out = subprocess.run(["cbc", lp, "sec", str(time_limit), "solve", "solu", sol],
                         capture_output=True, text=True).stdout
    status = open(sol).readline().strip()
    m = re.search(r"objective value\s+([-\d.eE+]+)", status)
    optimal = status.startswith("Optimal")
    # Only an optimal or a time-limited integer solution has a meaningful objective; "Integer
    # infeasible" after the time limit reports the relaxation's value.
    value = round(float(m.group(1))) if m and (optimal or status.startswith("Stopped on time")) else None
    return value, optimal


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fleetplan", default=os.path.join(os.path.dirname(__file__), "..", "build", "fleetplan"))
    ap.add_argument("--time-limit", type=int, default=120)
    args = ap.parse_args()
    if subprocess.run(["which", "cbc"], capture_output=True).returncode != 0:
        sys.exit("exact_reference: needs CBC (apt-get install coinor-cbc)")
    print("| instance | hosts | VMs | lower bound | fleetplan | optimum | gap |")
    print("|---|---|---|---|---|---|---|")
    matches = 0
    with tempfile.TemporaryDirectory() as tmp:
        for hosts_n, vms_n, seed in INSTANCES:
            d = os.path.join(tmp, f"s{seed}")
            subprocess.run([args.fleetplan, "generate", "--hosts", str(hosts_n), "--vms", str(vms_n),
                            "--seed", str(seed), "--out", d], check=True, capture_output=True)
            subprocess.run([args.fleetplan, "plan", "--hosts", f"{d}/hosts.csv", "--vms", f"{d}/vms.csv",
                            "--goal", "consolidate", "--out", f"{d}/plan"], check=True, capture_output=True)
            s = json.load(open(f"{d}/plan/summary.json"))
            ours = s["active_hosts_after"]
            hosts, vms = load(d)
            value, optimal = solve(hosts, vms, d, args.time_limit)
            lb = s["lower_bound_hosts"]
            if ours == lb:
                # The lower bound proves fleetplan's plan optimal whatever CBC managed.
                opt_text, gap = f"{lb} (= lower bound)", "+0"
                matches += 1
            elif value is None:
                opt_text, gap = f"CBC found no solution in {args.time_limit} s", "?"
            else:
                opt_text = str(value) if optimal else f"<= {value} (time limit)"
                gap = f"{ours - value:+d}"
                if optimal and ours == value:
                    matches += 1
            print(f"| seed {seed} | {hosts_n} | {vms_n} | {s['lower_bound_hosts']} | {ours} | {opt_text} | {gap} |")
            sys.stdout.flush()
    print(f"\nfleetplan matches the proven optimum on {matches} of {len(INSTANCES)} instances")


if __name__ == "__main__":
    main()
