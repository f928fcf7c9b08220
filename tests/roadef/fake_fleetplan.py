#!/usr/bin/env python3
"""A stand-in for `fleetplan roadef`, to test bench/roadef_bench.py's verdicts before (and
independently of) the real solver. FAKE_ROADEF selects the behaviour:
  improve  first-improvement hill climbing over single moves, judged by the checker's
           evaluate(), until --time-limit; writes solution.txt and an honest score.json
  initial  writes the initial assignment back (valid, no improvement)
  invalid  puts every process on machine 0 (capacity and conflict violations)
  lie      as improve, but score.json claims an objective 1 lower than the truth
  absent   behaves like a fleetplan without the command ("unknown command 'roadef'", exit 2)
"""

import argparse
import json
import os
import random
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import roadef_check  # noqa: E402


def hill_climb(model, initial, seconds, seed):
    rng = random.Random(seed)
    sol = list(initial)
    best = roadef_check.evaluate(model, initial, sol, 0)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        p, m = rng.randrange(model.P), rng.randrange(model.M)
        if m == sol[p]:
            continue
        old, sol[p] = sol[p], m
        trial = roadef_check.evaluate(model, initial, sol, 0)
        if trial["valid"] and trial["objective"] < best["objective"]:
            best = trial
        else:
            sol[p] = old
    return sol, best


def main():
    mode = os.environ.get("FAKE_ROADEF", "improve")
    if len(sys.argv) < 2 or sys.argv[1] != "roadef" or mode == "absent":
        print(f"fleetplan: unknown command '{sys.argv[1] if len(sys.argv) > 1 else ''}'",
              file=sys.stderr)
        return 2
    ap = argparse.ArgumentParser(prog="fake_fleetplan.py roadef")
    for flag in ("--model", "--assignment", "--out"):
        ap.add_argument(flag, required=True)
    ap.add_argument("--time-limit", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(sys.argv[2:])
    t0 = time.monotonic()
    model = roadef_check.read_model(args.model)
    initial = roadef_check.read_assignment(args.assignment, model)
    if mode in ("improve", "lie"):
        sol, score = hill_climb(model, initial, args.time_limit, args.seed)
    elif mode == "invalid":
        sol = [0] * model.P
        score = roadef_check.evaluate(model, initial, sol, 0)
    else:
        sol = list(initial)
        score = roadef_check.evaluate(model, initial, sol, 0)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "solution.txt"), "w", encoding="utf-8") as f:
        f.write(" ".join(map(str, sol)) + "\n")
    keys = ("valid", "objective", "load_cost", "balance_cost", "process_move_cost",
            "service_move_cost", "machine_move_cost")
    out = {k: score[k] for k in keys}
    out["objective"] -= 1 if mode == "lie" else 0
    out["moves"] = score["moved_processes"]
    out["seconds"] = time.monotonic() - t0
    with open(os.path.join(args.out, "score.json"), "w", encoding="utf-8") as f:
        json.dump(out, f)
    return 0


if __name__ == "__main__":
    sys.exit(main())
