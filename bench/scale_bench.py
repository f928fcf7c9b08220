#!/usr/bin/python3
"""Scale benchmark of the whole `fleetplan plan` command (issue 5).

For each fleet size (hosts; 20 VMs per host, generated with seed 7 and cached under --work),
each goal and each (ranks, threads) pair, runs `mpirun -np P fleetplan plan --threads T` and
reports: phase_seconds (parse, detect, select, place, resolve, write; wall clock, from
summary.json), the whole command's wall time, the peak resident memory of the largest rank
(every rank runs under /usr/bin/time), migrations and the gap to the lower bound. Then the
speed-ups on the planning phases (detect + select + place + resolve): (1,1)/(1,2) and
(2,1) against (1,2). Prints a Markdown table per size; nothing here passes or fails.

With --runs N every figure is the median of N runs, and with --baseline OLD_BINARY the old
binary runs interleaved with this one in the same rounds (old, new, old, new, ...), its rows
labelled `base`, and each pair's plan.csv is compared byte for byte: on a machine shared with
others, only figures taken side by side in one run compare. `cpu s` is user + system CPU of the
largest rank's process (steadier than wall time under load).

Usage: bench/scale_bench.py [--sizes 10000 50000 100000] [--goals auto consolidate balance]
                            [--configs 1x1 1x2 2x1 4x1] [--work /tmp/fleetplan-scale]
                            [--runs 3] [--baseline /path/to/old/fleetplan]
"""
import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
FLEETPLAN = os.environ.get("FLEETPLAN", str(ROOT / "build" / "fleetplan"))
PLANNING = ("detect", "select", "place", "resolve")


def run_one(fleet, goal, ranks, threads, out, binary=FLEETPLAN):
    env = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
               OMPI_MCA_rmaps_base_oversubscribe="1")
    # Open MPI binds each rank to one core by default: threads would share it.
    cmd = ["mpirun", "--bind-to", "none", "-np", str(ranks), "/usr/bin/time", "-f",
           "peak_rss_kib=%M cpu_s=%U+%S", binary, "plan", "--hosts", str(fleet / "hosts.csv"), "--vms",
           str(fleet / "vms.csv"), "--goal", goal, "--threads", str(threads), "--out", str(out)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr}")
    rss = [int(x) for x in re.findall(r"peak_rss_kib=(\d+)", p.stderr)]
    cpu = [float(u) + float(k) for u, k in re.findall(r"cpu_s=([\d.]+)\+([\d.]+)", p.stderr)]
    s = json.load(open(out / "summary.json"))
    return {"wall": wall, "rss_mib": max(rss) / 1024.0, "cpu": max(cpu), "phases": s["phase_seconds"],
            "migrations": s["migrations"], "gap": s["gap_to_lower_bound"],
            "active": (s["active_hosts_before"], s["active_hosts_after"]),
            "lb": s["lower_bound_hosts"], "rows": s["max_vm_rows_per_rank"], "vms": s["vms"]}


def median_run(runs):
    """Each figure's median over runs (the plan's own figures are the same in every run)."""
    med = lambda xs: sorted(xs)[len(xs) // 2]
    r = dict(runs[0])
    for k in ("wall", "rss_mib", "cpu"):
        r[k] = med([x[k] for x in runs])
    r["phases"] = {k: med([x["phases"][k] for x in runs]) for k in runs[0]["phases"]}
    return r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 50000, 100000])
    ap.add_argument("--goals", nargs="+", default=["auto", "consolidate", "balance"])
    ap.add_argument("--configs", nargs="+", default=["1x1", "1x2", "2x1", "4x1"])
    ap.add_argument("--work", default="/tmp/fleetplan-scale")
    ap.add_argument("--runs", type=int, default=1, help="runs per figure (medians)")
    ap.add_argument("--baseline", help="an older fleetplan to run side by side")
    a = ap.parse_args()
    binaries = ([("base", a.baseline)] if a.baseline else []) + [("new", FLEETPLAN)]
    work = pathlib.Path(a.work)
    configs = [tuple(int(x) for x in c.split("x")) for c in a.configs]
    growth = {}
    for n in a.sizes:
        fleet = work / f"fleet-{n}"
        if not (fleet / "vms.csv").exists():
            subprocess.run([FLEETPLAN, "generate", "--hosts", str(n), "--vms", str(20 * n),
                            "--seed", "7", "--out", str(fleet)], check=True,
                           stdout=subprocess.DEVNULL)
        size_mb = (fleet / "vms.csv").stat().st_size / 1e6
        print(f"\n### {n:,} hosts, {20 * n:,} VMs (vms.csv {size_mb:.0f} MB)\n")
        print("| goal | P×T | binary | parse | detect | select | place | resolve | write | wall s "
              "| cpu s | peak MiB/rank | VM rows/rank | migrations | active → after (LB) | gap |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for goal in a.goals:
            res = {}
            for ranks, threads in configs:
                runs = {label: [] for label, _ in binaries}
                for k in range(a.runs):
                    for label, binary in binaries:
                        out = work / f"out-{n}-{goal}-{ranks}x{threads}-{label}"
                        runs[label].append(run_one(fleet, goal, ranks, threads, out, binary))
                    if a.baseline:
                        same = [(work / f"out-{n}-{goal}-{ranks}x{threads}-{label}" / "plan.csv")
                                .read_bytes() for label, _ in binaries]
                        if same[0] != same[1]:
                            print(f"**plan.csv differs between the binaries: {goal} "
                                  f"{ranks}×{threads} run {k + 1}**", flush=True)
                for label, _ in binaries:
                    r = median_run(runs[label])
                    if label == "new":
                        res[(ranks, threads)] = r
                    ph = r["phases"]
                    print(f"| {goal} | {ranks}×{threads} | {label} | "
                          + " | ".join(f"{ph[k]:.2f}" for k in
                                       ("parse", "detect", "select", "place", "resolve", "write"))
                          + f" | {r['wall']:.2f} | {r['cpu']:.2f} | {r['rss_mib']:.0f} | "
                          f"{r['rows']:,} | {r['migrations']:,} | {r['active'][0]:,} → "
                          f"{r['active'][1]:,} ({r['lb']:,}) | {100 * r['gap']:.1f}% |", flush=True)
            plan = {c: sum(res[c]["phases"][k] for k in PLANNING) for c in res}
            notes = []
            if (1, 1) in plan and (1, 2) in plan:
                notes.append(f"planning (1,1)/(1,2) = {plan[(1, 1)] / plan[(1, 2)]:.2f}×")
            if (2, 1) in plan and (1, 2) in plan:
                notes.append(f"planning (2,1) vs (1,2): {100 * (plan[(2, 1)] / plan[(1, 2)] - 1):+.0f}%")
            if notes:
                print(f"| {goal} | speed-up | " + "; ".join(notes) + " |||||||||||")
            growth[(n, goal)] = res.get((1, 2), next(iter(res.values())))
    if len(a.sizes) > 1:
        lo, hi = min(a.sizes), max(a.sizes)
        print(f"\n### Growth from {lo:,} to {hi:,} hosts ({hi // lo}× the input), P=1, 2 threads\n")
        print("| goal | parse | detect | select | place | resolve | write | wall |")
        print("|---|---|---|---|---|---|---|---|")
        for goal in a.goals:
            if (lo, goal) not in growth or (hi, goal) not in growth:
                continue
            a_, b_ = growth[(lo, goal)], growth[(hi, goal)]
            cells = []
            for k in ("parse", "detect", "select", "place", "resolve", "write"):
                x, y = a_["phases"][k], b_["phases"][k]
                cells.append(f"{y / x:.1f}×" if x > 0.005 else "—")
            cells.append(f"{b_['wall'] / a_['wall']:.1f}×")
            print(f"| {goal} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
