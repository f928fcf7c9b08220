#!/usr/bin/env python3
"""Tests of the independent ROADEF 2012 checker (roadef_check.py), run as a program.

    roadef_check_test.py tiny    hand-computed costs, one instance per violation kind, malformed
                                 input (tests/data/roadef/)
    roadef_check_test.py set-a   the initial assignment of every set-A instance, scored as a
                                 solution, must cost exactly what the data set's README says
    roadef_check_test.py set-x   prints the initial cost of every set-X instance (no reference
                                 exists; bench/README.md records them) and requires it valid

The data set is read from $ROADEF_DATA, else ../shared/data/roadef2012 beside the source tree
(where the issue puts it); set-a and set-x exit 77 (ctest: skipped) when it is absent.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.dirname(os.path.dirname(HERE))
CHECK = os.path.join(HERE, "roadef_check.py")
TINY = os.path.join(SRC, "tests", "data", "roadef")
DATA = os.environ.get("ROADEF_DATA") or os.path.join(os.path.dirname(SRC), "shared", "data",
                                                     "roadef2012")
KINDS = ("capacity", "transient_capacity", "conflict", "spread", "dependency")

# Initial cost of each set-A instance, copied from the data set's README ("initial" column).
SET_A_INITIAL = {
    "a1_1": 49_528_750,
    "a1_2": 1_061_649_570,
    "a1_3": 583_662_270,
    "a1_4": 632_499_600,
    "a1_5": 782_189_690,
    "a2_1": 391_189_190,
    "a2_2": 1_876_768_120,
    "a2_3": 2_272_487_840,
    "a2_4": 3_223_516_130,
    "a2_5": 787_355_300,
}
SET_X = ("x_1", "x_2", "x_3", "x_4", "x_5", "x_6", "x_8", "x_9")

# tests/data/roadef/costs, worked by hand from the README's definitions.
#   Resources: r0 (not transient, weight 10), r1 (transient, weight 1).
#   Machines (neighborhood, location, capacity, safety): m0 (0, 0, [10,10], [6,5]),
#     m1 (0, 1, [10,10], [10,3]), m2 (1, 2, [6,20], [4,20]); move_cost rows (from -> to):
#     m0 [0 2 5], m1 [6 0 3], m2 [5 9 0] (asymmetric, so a transposed lookup shows).
#   Services: s0 spread_min 2; s1 spread_min 1, depends on s0.
#   Processes (service, requirement, move cost): p0 (s0, [5,3], 7), p1 (s0, [4,2], 1),
#     p2 (s1, [3,4], 2), p3 (s1, [2,1], 10).
#   Balance: b0 = (r0, r1, target 2, weight 3), b1 = (r1, r0, target 1, weight 2).
#   Weights: process move 2, service move 100, machine move 4.
# Initial M0 = [m0, m1, m0, m1]:
#   usage m0 = [8,7], m1 = [6,3], m2 = [0,0]
#   load r0: (8-6) + 0 + 0 = 2 -> x10 = 20; r1: (7-5) + (3-3) + 0 = 2 -> x1 = 2; load = 22
#   free A = cap - usage: m0 [2,3], m1 [4,7], m2 [6,20]
#   b0: max(0, 2*A0 - A1) = 1 + 1 + 0 = 2 -> x3 = 6; b1: max(0, A1 - A0) = 1 + 3 + 14 = 18
#   -> x2 = 36; balance = 42; no move; objective = 64
# Solution M = [m0, m2, m1, m2] (p1, p2, p3 move):
#   usage m0 = [5,3], m1 = [3,4], m2 = [6,3]; r1 is transient: m0 also holds p2 (7 <= 10),
#   m1 also holds p1 and p3 (4+2+1 = 7 <= 10); load and balance use usage alone.
#   load r0: 0 + 0 + (6-4) = 2 -> 20; r1: 0 + (4-3) + 0 = 1 -> 1; load = 21
#   A: m0 [5,7], m1 [7,6], m2 [0,17] (m2's r0 exactly full: allowed)
#   b0: (10-7) + (14-6) + 0 = 11 -> 33; b1: (7-5) + 0 + (17-0) = 19 -> 38; balance = 71
#   process move: 1 + 2 + 10 = 13 -> x2 = 26
#   service move: s0 moved 1, s1 moved 2 -> max 2 -> x100 = 200
#   machine move: m1->m2 3 + m0->m1 2 + m1->m2 3 = 8 -> x4 = 32
#   constraints hold: s0 at locations {0,2}; s1 in neighborhoods {0,1}, s0 in {0,1}
#   objective = 21 + 71 + 26 + 200 + 32 = 350
COSTS_INITIAL = dict(valid=True, objective=64, load_cost=22, balance_cost=42,
                     process_move_cost=0, service_move_cost=0, machine_move_cost=0,
                     load_cost_by_resource=[2, 2], balance_cost_by_objective=[2, 18],
                     moved_processes=0)
COSTS_SOLUTION = dict(valid=True, objective=350, load_cost=21, balance_cost=71,
                      process_move_cost=26, service_move_cost=200, machine_move_cost=32,
                      load_cost_by_resource=[2, 1], balance_cost_by_objective=[11, 19],
                      moved_processes=3)

# One instance per violation kind (tests/data/roadef/<kind>/): the initial assignment is valid,
# the solution breaks exactly one constraint once. dependency_same_neighborhood is valid: the
# dependency is met by another machine of the same neighborhood.
#   capacity            p0 (6) joins p1 (5) on m1: 11 > capacity 10, resource not transient
#   transient_capacity  p0 (6) and p1 (5) swap; m0 holds p1 plus p0 moved out: 11 > 10
#                       (m1: 6 + 5 = 11 <= its 11); without the transient flag it is valid
#   conflict            both processes of service 0 on m0
#   spread              service 0 needs 2 locations, m0 and m1 share location 0
#   dependency          s0 depends on s1; p0 (s0) moves alone to neighborhood 1
VIOLATIONS = {k: {k: 1} for k in KINDS}
VIOLATIONS["dependency_same_neighborhood"] = {}

fails = 0


def check(cond, what):
    global fails
    if cond:
        print(f"ok: {what}")
    else:
        fails += 1
        print(f"FAIL: {what}")


def run(model, assignment, solution):
    p = subprocess.run([sys.executable, CHECK, "--model", model, "--assignment", assignment,
                        "--solution", solution], capture_output=True, text=True)
    out = json.loads(p.stdout) if p.returncode in (0, 1) else None
    return p.returncode, out, p.stderr


def tiny_dir(name):
    d = os.path.join(TINY, name)
    return [os.path.join(d, f) for f in ("model.txt", "assignment.txt", "solution.txt")]


def expect_fields(out, expected, what):
    got = {k: out[k] for k in expected}
    check(got == expected, f"{what}: {got if got != expected else 'as computed by hand'}")


def test_costs():
    model, assignment, solution = tiny_dir("costs")
    rc, out, err = run(model, assignment, assignment)
    check(rc == 0, f"costs: the initial assignment is valid (rc {rc}) {err.strip()}")
    expect_fields(out, COSTS_INITIAL, "costs, initial assignment")
    rc, out, err = run(model, assignment, solution)
    check(rc == 0, f"costs: the solution is valid (rc {rc}) {err.strip()}")
    expect_fields(out, COSTS_SOLUTION, "costs, solution")


def test_violations():
    for name, expected in VIOLATIONS.items():
        model, assignment, solution = tiny_dir(name)
        rc, out, err = run(model, assignment, assignment)
        check(rc == 0 and out["valid"], f"{name}: initial assignment accepted (rc {rc}) {err}")
        rc, out, err = run(model, assignment, solution)
        counts = {k: v["count"] for k, v in out["violations"].items() if v["count"]} if out else err
        want_rc = 1 if expected else 0
        check(rc == want_rc and counts == expected and out["valid"] == (not expected),
              f"{name}: rc {rc} (want {want_rc}), violations {counts} (want {expected})")
        for k, v in (out or {"violations": {}})["violations"].items():
            check(len(v["examples"]) == min(v["count"], 5), f"{name}: {k} examples listed")


# Malformed input: (what, which file, edit, expected "FILE:LINE:FIELD: message" pattern). Edits
# act on tests/data/roadef/costs; `model`, `assignment`, `solution` name the edited file.
def _sub_line(lineno, old, new):
    def edit(text):
        lines = text.split("\n")
        assert old in lines[lineno - 1], (lineno, old, lines[lineno - 1])
        lines[lineno - 1] = lines[lineno - 1].replace(old, new, 1)
        return "\n".join(lines)
    return edit


MALFORMED = [
    ("non-integer", "model", _sub_line(5, "0 0 10", "x 0 10"),
     r"model\.txt:5:machine 0 neighborhood: not an integer: 'x'"),
    ("fraction", "model", _sub_line(6, "10 10 10 3", "10 10.5 10 3"),
     r"model\.txt:6:machine 1 capacity\[1\]: not an integer: '10\.5'"),
    ("plus sign", "model", _sub_line(3, "1 1", "1 +1"),
     r"model\.txt:3:resource 1 weight_load_cost: not an integer"),
    ("negative requirement", "model", _sub_line(13, "0 4 2 1", "0 4 -2 1"),
     r"model\.txt:13:process 1 requirement\[1\]: out of range: -2"),
    ("transient flag 2", "model", _sub_line(2, "0 10", "2 10"),
     r"model\.txt:2:resource 0 transient: out of range: 2 \(must be 0\.\.1\)"),
    ("service index out of range", "model", _sub_line(15, "1 2 1 10", "2 2 1 10"),
     r"model\.txt:15:process 3 service: out of range: 2 \(must be 0\.\.1\)"),
    ("dependency out of range", "model", _sub_line(10, "1 1 0", "1 1 5"),
     r"model\.txt:10:service 1 dependency 0: out of range: 5"),
    ("balance resource out of range", "model", _sub_line(17, "0 1 2", "0 2 2"),
     r"model\.txt:17:balance 0 r2: out of range: 2 \(must be 0\.\.1\)"),
    ("truncated model", "model", lambda t: t.rsplit("\n", 2)[0] + "\n",
     r"model\.txt:20:weight_process_move: the file ends here"),
    ("wrong process count", "model", _sub_line(11, "4", "40"),
     r"model\.txt:11:processes: 40 records need at least 160 more numbers"),
    ("huge machine count", "model", _sub_line(4, "3", "100000"),
     r"model\.txt:4:machines: 100000 records need"),
    # A number missing or extra on a line: the line is named, not where reading on fails.
    ("capacity missing", "model", _sub_line(6, "0 1 10 10 10 3", "0 1 10 10 3"),
     r"model\.txt:6:machine 1: 8 numbers on this line, 9 expected \(then, read on: line 11:"),
    ("requirement extra", "model", _sub_line(14, "1 3 4 2", "1 3 4 4 2"),
     r"model\.txt:14:process 2: 5 numbers on this line, 4 expected"),
    ("dependency missing", "model", _sub_line(10, "1 1 0", "1 2 0"),
     r"model\.txt:10:service 1: 3 numbers on this line, 4 expected"),
    ("one line, truncated", "model", lambda t: " ".join(t.split()[:-1]),
     r"model\.txt:1:weight_machine_move: the file ends here"),
    ("extra data in model", "model", lambda t: t + "7\n",
     r"model\.txt:22:end: extra data after the model's last field"),
    ("short solution", "solution", lambda t: "0 2 1\n",
     r"solution\.txt:1:process 3: 3 machine indices, the model has 4 processes"),
    ("empty solution", "solution", lambda t: "",
     r"solution\.txt:1:process 0: 0 machine indices"),
    ("long solution", "solution", lambda t: "0 2 1 2\n0\n",
     r"solution\.txt:2:end: extra data after 4 machine indices"),
    ("machine index out of range", "solution", lambda t: "0 3 1 2\n",
     r"solution\.txt:1:process 1: out of range: 3 \(must be 0\.\.2\)"),
    ("machine index not an integer", "solution", lambda t: "0 2\n1 2e0\n",
     r"solution\.txt:2:process 3: not an integer: '2e0'"),
    ("short initial assignment", "assignment", lambda t: "0 1\n0\n",
     r"assignment\.txt:2:process 3: 3 machine indices"),
    ("binary junk", "solution", lambda t: "0 2 \xff 2\n",
     r"solution\.txt:1:process 2: not an integer"),
]


def test_malformed():
    src = dict(zip(("model", "assignment", "solution"), tiny_dir("costs")))
    with tempfile.TemporaryDirectory() as tmp:
        for what, which, edit, pattern in MALFORMED:
            paths = {}
            for k, p in src.items():
                paths[k] = os.path.join(tmp, os.path.basename(p))
                shutil.copy(p, paths[k])
            with open(src[which], encoding="utf-8") as f:
                text = edit(f.read())
            with open(paths[which], "w", encoding="utf-8") as f:
                f.write(text)
            rc, out, err = run(paths["model"], paths["assignment"], paths["solution"])
            line = err.strip().split("\n")[0]
            ok = rc == 2 and re.fullmatch(re.escape(tmp) + "/" + pattern + ".*", line)
            check(ok, f"malformed ({what}): rc {rc}, {line!r}")


def score_initial(name):
    model = os.path.join(DATA, f"model_{name}.txt")
    assignment = os.path.join(DATA, f"assignment_{name}.txt")
    return run(model, assignment, assignment)


def need_data():
    if not os.path.isfile(os.path.join(DATA, "model_a1_1.txt")):
        print(f"skipped: no ROADEF 2012 data in {DATA} (set ROADEF_DATA)")
        sys.exit(77)


def test_set_a():
    need_data()
    for name, initial in SET_A_INITIAL.items():
        rc, out, err = score_initial(name)
        got = out["objective"] if out else err.strip()
        check(rc == 0 and got == initial, f"{name}: initial cost {got} (README {initial:,})")


def test_set_x():
    need_data()
    if not os.path.isfile(os.path.join(DATA, "model_x_1.txt")):  # the bundled copy: set A only
        print(f"skipped: no set X in {DATA} (set ROADEF_DATA to the whole data set)")
        sys.exit(77)
    print("| instance | processes | machines | services | resources | initial cost |")
    print("|---|---|---|---|---|---|")
    rows = []
    for name in SET_X:
        rc, out, err = score_initial(name)
        check(rc == 0, f"{name}: initial assignment valid (rc {rc}) {err.strip()}")
        if out:
            rows.append(f"| {name} | {out['processes']:,} | {out['machines']:,} | "
                        f"{out['services']:,} | {out['resources']} | {out['objective']:,} |")
    print("\n".join(rows))


def main():
    what = sys.argv[1] if len(sys.argv) > 1 else "tiny"
    if what == "tiny":
        test_costs()
        test_violations()
        test_malformed()
    elif what == "set-a":
        test_set_a()
    elif what == "set-x":
        test_set_x()
    else:
        sys.exit(f"usage: {sys.argv[0]} [tiny|set-a|set-x]")
    print(f"{'FAILED' if fails else 'passed'}: {fails} failure(s)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
