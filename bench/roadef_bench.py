#!/usr/bin/env python3
"""ROADEF/EURO 2012 machine reassignment: `fleetplan roadef` against the challenge's references.

Runs `fleetplan roadef` on each instance with a time limit, judges every solution with the
independent checker (tests/roadef/roadef_check.py, never with the solver's own score.json) and
prints a table: instance, initial cost, ours (the checker's objective), reference = min(winner,
best known) from the data set's README, gap = (ours - reference) / reference (for a2_1, whose
reference is near 0, the absolute difference), valid, seconds (wall time of the run), and
whether score.json agrees with the checker. Then the mean gap over the set-A instances other
than a2_1. With --x, set X at each of --x-limits (default 30 and 300 s) against its initial cost.

    bench/roadef_bench.py [--instances a1_1,a2_2] [--time-limit 300] [--x] [--csv FILE]
    bench/roadef_bench.py --short     CI: a1_1 and a2_1 for a few seconds each; exits 1 when a
                                      solution is invalid, does not improve on the initial cost,
                                      or score.json disagrees with the checker

Exit code: 0 all valid (and, with --short, improved and agreeing), 1 otherwise, 2 bad usage,
77 when FLEETPLAN has no `roadef` command (ctest skips the short run until it does).
"""

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(HERE)
CHECKER = os.path.join(SRC, "tests", "roadef", "roadef_check.py")
SET_A = ("a1_1", "a1_2", "a1_3", "a1_4", "a1_5", "a2_1", "a2_2", "a2_3", "a2_4", "a2_5")
SET_X = ("x_1", "x_2", "x_3", "x_4", "x_5", "x_6", "x_8", "x_9")
SHORT = ("a1_1", "a2_1")
ABSOLUTE_GAP = ("a2_1",)  # reference 198: a relative gap would say nothing


def references(data):
    """{instance: min(winner, best known)} from the README's set-A table."""
    path = os.path.join(data, "README.md")
    with open(path, encoding="utf-8") as f:
        lines = [ln for ln in f if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip().strip("|").split("|")]
    try:
        winner = next(i for i, c in enumerate(header) if c.startswith("winner"))
        best = header.index("best known")
    except (StopIteration, ValueError):
        sys.exit(f"{path}: no set-A table with 'winner' and 'best known' columns")
    refs = {}
    for ln in lines[2:]:
        cells = [c.strip() for c in ln.strip().strip("|").split("|")]
        if re.fullmatch(r"a\d_\d", cells[0]):
            refs[cells[0]] = min(int(cells[winner].replace(",", "")),
                                 int(cells[best].replace(",", "")))
    return refs


def has_roadef(fleetplan):
    try:
        p = subprocess.run([fleetplan, "roadef", "--help"], capture_output=True, text=True,
                           timeout=60)
    except OSError as e:
        sys.exit(f"{fleetplan}: {e.strerror}")
    return p.returncode == 0 or "unknown command" not in (p.stdout + p.stderr)


def check(data, name, solution):
    """The checker's verdict on SOLUTION (a path): (json or None, message)."""
    p = subprocess.run([sys.executable, CHECKER, "--model", os.path.join(data, f"model_{name}.txt"),
                        "--assignment", os.path.join(data, f"assignment_{name}.txt"),
                        "--solution", solution], capture_output=True, text=True)
    if p.returncode in (0, 1):
        return json.loads(p.stdout), ""
    return None, p.stderr.strip().split("\n")[0]


def solve(args, name, limit):
    """One `fleetplan roadef` run, judged by the checker: a dict for the table."""
    out = os.path.join(args.work_dir, f"{name}_{limit:g}s")
    os.makedirs(out, exist_ok=True)
    for f in ("solution.txt", "score.json"):
        if os.path.exists(os.path.join(out, f)):
            os.remove(os.path.join(out, f))
    cmd = [args.fleetplan, "roadef", "--model", os.path.join(args.data, f"model_{name}.txt"),
           "--assignment", os.path.join(args.data, f"assignment_{name}.txt"), "--out", out,
           "--time-limit", f"{limit:g}", "--seed", str(args.seed), "--threads", str(args.threads)]
    row = {"instance": name, "limit": limit, "ours": None, "valid": False, "agree": False,
           "note": ""}
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=limit * 1.5 + 60)
        rc, err = p.returncode, p.stderr.strip()
    except subprocess.TimeoutExpired:
        rc, err = None, f"still running {limit * 1.5 + 60:g} s after start"
    row["seconds"] = time.monotonic() - t0
    if rc != 0:
        row["note"] = f"fleetplan exit {rc}: {err.splitlines()[-1] if err else ''}"
        return row
    verdict, msg = check(args.data, name, os.path.join(out, "solution.txt"))
    if verdict is None:
        row["note"] = f"checker: {msg}"
        return row
    row["ours"] = verdict["objective"]
    row["valid"] = verdict["valid"]
    if not verdict["valid"]:
        row["note"] = "violations: " + ", ".join(
            f"{k} {v['count']}" for k, v in verdict["violations"].items() if v["count"])
    try:
        with open(os.path.join(out, "score.json"), encoding="utf-8") as f:
            score = json.load(f)
        row["agree"] = (score.get("objective") == verdict["objective"]
                        and score.get("valid") == verdict["valid"])
        if not row["agree"]:
            row["note"] += (f" score.json says valid={score.get('valid')} "
                            f"objective={score.get('objective')}")
    except (OSError, ValueError) as e:
        row["note"] += f" score.json unreadable: {e}"
    return row


def initial_cost(data, name):
    verdict, msg = check(data, name, os.path.join(data, f"assignment_{name}.txt"))
    if verdict is None:
        sys.exit(f"{name}: {msg}")
    return verdict["objective"]


def fmt(v):
    return "" if v is None else f"{v:,}"


def run_set_a(args, names, refs):
    rows = []
    for name in names:
        row = solve(args, name, args.time_limit)
        row["initial"] = initial_cost(args.data, name)
        row["reference"] = refs.get(name)
        if row["ours"] is not None and row["reference"] is not None:
            diff = row["ours"] - row["reference"]
            row["gap"] = diff if name in ABSOLUTE_GAP else diff / row["reference"]
        else:
            row["gap"] = None
        rows.append(row)
        print(f"{name}: ours {fmt(row['ours'])} valid {row['valid']} "
              f"{row['seconds']:.1f} s {row['note']}", file=sys.stderr, flush=True)
    print(f"\nSet A, --time-limit {args.time_limit:g} s, --threads {args.threads}, "
          f"--seed {args.seed}\n")
    print("| instance | initial | ours | reference | gap | valid | seconds | score.json agrees |")
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        gap = ("" if r["gap"] is None else
               f"{r['gap']:+,}" if r["instance"] in ABSOLUTE_GAP else f"{100 * r['gap']:+.3f}%")
        print(f"| {r['instance']} | {fmt(r['initial'])} | {fmt(r['ours'])} | "
              f"{fmt(r['reference'])} | {gap} | {'yes' if r['valid'] else 'NO'} | "
              f"{r['seconds']:.1f} | {'yes' if r['agree'] else 'NO'} |")
    gaps = [r["gap"] for r in rows if r["instance"] not in ABSOLUTE_GAP and r["gap"] is not None]
    counted = len([n for n in SET_A if n not in ABSOLUTE_GAP])
    if gaps:
        print(f"\nmean gap over {len(gaps)} of the {counted} set-A instances other than a2_1: "
              f"{100 * sum(gaps) / len(gaps):+.3f}%")
    return rows


def run_set_x(args, names):
    rows = []
    for name in names:
        initial = initial_cost(args.data, name)
        for limit in args.x_limits:
            row = solve(args, name, limit)
            row["initial"] = initial
            row["gap"] = None if row["ours"] is None else row["ours"] / initial - 1
            rows.append(row)
            print(f"{name} at {limit:g} s: {fmt(row['ours'])} valid {row['valid']} "
                  f"{row['note']}", file=sys.stderr, flush=True)
    print(f"\nSet X, --threads {args.threads}, --seed {args.seed}: cost against the initial\n")
    head = " | ".join(f"ours at {lim:g} s | vs initial" for lim in args.x_limits)
    print(f"| instance | initial | {head} | valid |")
    print("|---" * (3 + 2 * len(args.x_limits)) + "|")
    for name in names:
        rs = [r for r in rows if r["instance"] == name]
        cells = " | ".join(f"{fmt(r['ours'])} | "
                           + ("" if r["gap"] is None else f"{100 * r['gap']:+.2f}%") for r in rs)
        print(f"| {name} | {fmt(rs[0]['initial'])} | {cells} | "
              f"{'yes' if all(r['valid'] for r in rs) else 'NO'} |")
    return rows


def write_csv(path, rows):
    cols = ("instance", "limit", "initial", "ours", "reference", "gap", "valid", "seconds",
            "agree", "note")
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow(["" if r.get(c) is None else r.get(c) for c in cols])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fleetplan", default=os.path.join(SRC, "build", "fleetplan"))
    ap.add_argument("--data", default=os.environ.get("ROADEF_DATA") or os.path.join(
        os.path.dirname(SRC), "shared", "data", "roadef2012"))
    ap.add_argument("--instances", help="comma-separated, e.g. a1_1,a2_2 (default: all of A)")
    ap.add_argument("--x", action="store_true", help="also set X, at each of --x-limits")
    ap.add_argument("--time-limit", type=float, help="seconds per set-A run (default 300; "
                    "--short: 5)")
    ap.add_argument("--x-limits", default="30,300", help="seconds per set-X run, e.g. 30,300")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1,
                    help="default 1: the winner's reference ran on one core")
    ap.add_argument("--short", action="store_true", help="CI: a1_1 and a2_1, validity and "
                    "improvement only")
    ap.add_argument("--csv", help="also write the rows to this CSV file")
    ap.add_argument("--work-dir", default=os.path.join(os.environ.get("TMPDIR", "/tmp"),
                                                       "roadef_bench"))
    args = ap.parse_args()
    if args.time_limit is None:
        args.time_limit = 5.0 if args.short else 300.0
    args.x_limits = [float(s) for s in args.x_limits.split(",") if s]
    if not os.path.isfile(os.path.join(args.data, "model_a1_1.txt")):
        print(f"skipped: no ROADEF 2012 data in {args.data} (--data or ROADEF_DATA)")
        return 77
    if not has_roadef(args.fleetplan):
        print(f"skipped: {args.fleetplan} has no 'roadef' command yet")
        return 77
    names = args.instances.split(",") if args.instances else list(SHORT if args.short else SET_A)
    unknown = [n for n in names if n not in SET_A + SET_X]
    if unknown:
        ap.error(f"unknown instance(s) {', '.join(unknown)}; known: {', '.join(SET_A + SET_X)}")
    names_x = [n for n in names if n in SET_X]
    if args.x:
        names_x += [n for n in SET_X if n not in names_x]
    names_a = [n for n in names if n in SET_A]
    rows = run_set_a(args, names_a, references(args.data)) if names_a else []
    if names_x:
        rows += run_set_x(args, names_x)
    if args.csv:
        write_csv(args.csv, rows)
    bad = [r for r in rows if not r["valid"]]
    if args.short:
        bad += [r for r in rows if r["valid"] and (r["ours"] >= r["initial"] or not r["agree"])]
    for r in bad:
        print(f"FAIL: {r['instance']} at {r['limit']:g} s: valid {r['valid']}, "
              f"{fmt(r['ours'])} against initial {fmt(r['initial'])}, score.json agrees "
              f"{r['agree']} {r['note']}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
