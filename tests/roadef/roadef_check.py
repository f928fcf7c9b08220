#!/usr/bin/env python3
"""Independent checker for ROADEF/EURO Challenge 2012 machine-reassignment solutions.

Written from the data set's README (format, hard constraints, cost) alone; it shares no code
with `fleetplan roadef`, so that the two can check each other. Standard library only.

    roadef_check.py --model M.txt --assignment A.txt --solution S.txt [--examples N]

Prints one JSON object on stdout:
  valid               true when no hard constraint is violated
  violations          for each kind (capacity, transient_capacity, conflict, spread,
                      dependency): {"count": n, "examples": [first few, in a fixed order]}
  objective           the total cost, the sum of the five weighted parts below
  load_cost, balance_cost, process_move_cost, service_move_cost, machine_move_cost
                      each part already multiplied by its weight(s)
  load_cost_by_resource, balance_cost_by_objective
                      the unweighted sums behind load_cost and balance_cost
  moved_processes     processes whose machine differs from the initial assignment
  processes, machines, services, resources
Exit code: 0 valid, 1 invalid, 2 malformed input or bad usage (FILE:LINE:FIELD: message on
stderr, the project's convention for bad input).

Semantics (README, read as the challenge defines them):
  - usage(m, r) sums the requirements of the processes the solution puts on m. Load and balance
    costs use it. The capacity constraint also counts, for a transient resource, each process
    that moved away from m (its initial machine) on m too.
  - A (machine, resource) pair over capacity counts once: as `capacity` when usage alone exceeds
    it, else as `transient_capacity` when the processes moved away push it over.
  - conflict counts (service, machine) pairs holding two or more processes of the service.
  - spread counts services whose processes cover fewer than spread_min distinct locations.
  - dependency is per neighborhood: it counts (service s, service s', neighborhood n) where s
    depends on s', n holds a process of s and no process of s'.
  - machine move cost is the README's sum over all processes of move_cost(M0(p), M(p)), read as
    the row of the initial machine and the column of the new one.
"""

import argparse
import bisect
import json
import sys

KINDS = ("capacity", "transient_capacity", "conflict", "spread", "dependency")


class InputError(Exception):
    def __init__(self, path, line, field, what):
        super().__init__(f"{path}:{line}:{field}: {what}")
        self.line, self.field, self.what = line, field, what


class Numbers:
    """The whitespace-separated integers of one file, each with the line it is on."""

    def __init__(self, path):
        self.path = path
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InputError(path, 0, "file", f"cannot read: {e.strerror}") from None
        self.tokens = []
        self.line_starts = []  # index of the first token at or after each line's start
        for line in data.split(b"\n"):
            self.line_starts.append(len(self.tokens))
            self.tokens.extend(line.split())
        self.pos = 0
        self.records = []  # (label, first token, numbers expected): for diagnostics only

    def record(self, label, numbers):
        """Marks the start of a record that the challenge's files keep on a line of its own."""
        self.records.append((label, self.pos, numbers))

    def misaligned(self, before):
        """The first record starting before token BEFORE whose line does not hold exactly its
        numbers: (label, line, numbers on the line, numbers expected), or None."""
        for label, start, n in self.records:
            if start >= min(before, len(self.tokens)):
                break
            line = self.line_of(start)
            first = self.line_starts[line - 1]
            end = self.line_starts[line] if line < len(self.line_starts) else len(self.tokens)
            if start != first or end - first != n:
                return label, line, end - first, n
        return None

    def line_of(self, index):
        if not self.tokens:
            return 1
        return bisect.bisect_right(self.line_starts, min(index, len(self.tokens) - 1))

    def left(self):
        return len(self.tokens) - self.pos

    def error(self, field, what, index=None):
        return InputError(self.path, self.line_of(self.pos if index is None else index), field,
                          what)

    def next(self, field, lo=0, hi=None):
        """The next integer, within [lo, hi] (hi None: no upper bound)."""
        if self.pos >= len(self.tokens):
            raise InputError(self.path, self.line_of(self.pos), field,
                             "the file ends here (truncated, or a count above is wrong)")
        tok = self.tokens[self.pos]
        digits = tok[1:] if tok[:1] == b"-" else tok
        if not digits.isdigit():  # bytes.isdigit is ASCII-only; int() would take '+1', '1_0'
            raise self.error(field, f"not an integer: {tok.decode('utf-8', 'replace')!r}")
        v = int(tok)
        if v < lo or (hi is not None and v > hi):
            rng = f"{lo}..{hi}" if hi is not None else f">= {lo}"
            raise self.error(field, f"out of range: {v} (must be {rng})")
        self.pos += 1
        return v

    def count(self, field, per_record_min):
        """A record count, checked against what the rest of the file can hold."""
        n = self.next(field)
        if n * per_record_min > self.left():
            raise self.error(
                field, f"{n} records need at least {n * per_record_min} more numbers, the file "
                f"holds {self.left()} (truncated, or a wrong count)", self.pos - 1)
        return n

    def expect_end(self, what):
        if self.pos < len(self.tokens):
            raise self.error("end", f"extra data after {what}: "
                             f"{self.left()} more number(s) starting with "
                             f"{self.tokens[self.pos].decode('utf-8', 'replace')!r}")


class Model:
    pass


def read_model(path):
    """The model; a malformed one raises InputError. The README only asks for whitespace-
    separated numbers, so line breaks are free; but when a number is missing or extra, the error
    shows far below, and the challenge's files keep each record on a line of its own: then the
    first line holding a wrong count of numbers is named instead, with what followed."""
    t = Numbers(path)
    try:
        return _read_model(t)
    except InputError as e:
        bad = t.misaligned(t.pos + 1)
        if bad is None or bad[0] == "resources":  # not laid out one record per line
            raise
        label, line, found, expected = bad
        raise InputError(path, line, label, f"{found} numbers on this line, {expected} "
                         f"expected (then, read on: line {e.line}: {e.field}: {e.what})") from None


def _read_model(t):
    m = Model()
    t.record("resources", 1)
    R = t.count("resources", 2)
    m.transient = []
    m.weight_load = []
    for r in range(R):
        t.record(f"resource {r}", 2)
        m.transient.append(t.next(f"resource {r} transient", 0, 1))
        m.weight_load.append(t.next(f"resource {r} weight_load_cost"))
    t.record("machines", 1)
    M = t.count("machines", 2 + 2 * R)
    if M * M > t.left():
        raise t.error("machines", f"{M} machines need a {M}x{M} move-cost matrix, the file "
                      f"holds {t.left()} more numbers (truncated, or a wrong count)", t.pos - 1)
    m.neighborhood, m.location, m.capacity, m.safety, m.move_cost = [], [], [], [], []
    for i in range(M):
        t.record(f"machine {i}", 2 + 2 * R + M)
        m.neighborhood.append(t.next(f"machine {i} neighborhood"))
        m.location.append(t.next(f"machine {i} location"))
        m.capacity.append([t.next(f"machine {i} capacity[{r}]") for r in range(R)])
        m.safety.append([t.next(f"machine {i} safety_capacity[{r}]") for r in range(R)])
        m.move_cost.append([t.next(f"machine {i} move_cost_to[{j}]") for j in range(M)])
    t.record("services", 1)
    S = t.count("services", 2)
    m.spread_min, m.deps = [], []
    for s in range(S):
        t.record(f"service {s}", 2)
        m.spread_min.append(t.next(f"service {s} spread_min"))
        n = t.next(f"service {s} n_deps", 0, S)
        t.records[-1] = t.records[-1][:2] + (2 + n,)
        m.deps.append([t.next(f"service {s} dependency {k}", 0, S - 1) for k in range(n)])
    t.record("processes", 1)
    P = t.count("processes", 2 + R)
    m.service, m.requirement, m.process_move_cost = [], [], []
    for p in range(P):
        t.record(f"process {p}", 2 + R)
        m.service.append(t.next(f"process {p} service", 0, S - 1))
        m.requirement.append([t.next(f"process {p} requirement[{r}]") for r in range(R)])
        m.process_move_cost.append(t.next(f"process {p} process_move_cost"))
    t.record("balance objectives", 1)
    B = t.count("balance objectives", 4)
    m.balance = []
    for b in range(B):
        t.record(f"balance {b}", 3)
        r1 = t.next(f"balance {b} r1", 0, R - 1)
        r2 = t.next(f"balance {b} r2", 0, R - 1)
        target = t.next(f"balance {b} target")
        t.record(f"balance {b} weight", 1)
        weight = t.next(f"balance {b} weight")
        m.balance.append((r1, r2, target, weight))
    t.record("weights", 3)
    m.weight_process_move = t.next("weight_process_move")
    m.weight_service_move = t.next("weight_service_move")
    m.weight_machine_move = t.next("weight_machine_move")
    t.expect_end("the model's last field (weight_machine_move)")
    m.R, m.M, m.S, m.P = R, M, S, P
    return m


def read_assignment(path, model):
    t = Numbers(path)
    if len(t.tokens) < model.P:
        t.pos = len(t.tokens)
        raise t.error(f"process {len(t.tokens)}",
                      f"{len(t.tokens)} machine indices, the model has {model.P} processes "
                      "(truncated, or a wrong count)")
    a = [t.next(f"process {p}", 0, model.M - 1) for p in range(model.P)]
    t.expect_end(f"{model.P} machine indices (one per process of the model)")
    return a


def _first(items, n):
    return {"count": len(items), "examples": items[:n]}


def evaluate(m, initial, sol, n_examples=5):
    R, M = m.R, m.M
    usage = [[0] * R for _ in range(M)]
    moved_out = [[0] * R for _ in range(M)]  # transient resources only
    transient = [r for r in range(R) if m.transient[r]]
    moved = []
    for p in range(m.P):
        req = m.requirement[p]
        row = usage[sol[p]]
        for r in range(R):
            row[r] += req[r]
        if sol[p] != initial[p]:
            moved.append(p)
            out = moved_out[initial[p]]
            for r in transient:
                out[r] += req[r]

    viol = {k: [] for k in KINDS}
    for i in range(M):
        for r in range(R):
            u, c = usage[i][r], m.capacity[i][r]
            if u > c:
                viol["capacity"].append({"machine": i, "resource": r, "usage": u, "capacity": c})
            elif u + moved_out[i][r] > c:
                viol["transient_capacity"].append({
                    "machine": i, "resource": r, "usage": u, "moved_out": moved_out[i][r],
                    "capacity": c})

    on_machine = {}  # (service, machine) -> processes
    locations = [set() for _ in range(m.S)]
    neighborhoods = [set() for _ in range(m.S)]
    for p in range(m.P):
        s, i = m.service[p], sol[p]
        on_machine.setdefault((s, i), []).append(p)
        locations[s].add(m.location[i])
        neighborhoods[s].add(m.neighborhood[i])
    for (s, i), ps in sorted(on_machine.items()):
        if len(ps) > 1:
            viol["conflict"].append({"service": s, "machine": i, "processes": ps})
    for s in range(m.S):
        if len(locations[s]) < m.spread_min[s]:
            viol["spread"].append({"service": s, "locations": len(locations[s]),
                                   "spread_min": m.spread_min[s]})
    for s in range(m.S):
        for d in m.deps[s]:
            for n in sorted(neighborhoods[s] - neighborhoods[d]):
                viol["dependency"].append({"service": s, "depends_on": d, "neighborhood": n})

    load_by_r = [sum(max(0, usage[i][r] - m.safety[i][r]) for i in range(M)) for r in range(R)]
    balance_by_b = []
    for r1, r2, target, _ in m.balance:
        total = 0
        for i in range(M):
            a1 = m.capacity[i][r1] - usage[i][r1]
            a2 = m.capacity[i][r2] - usage[i][r2]
            total += max(0, target * a1 - a2)
        balance_by_b.append(total)
    moved_per_service = [0] * m.S
    for p in moved:
        moved_per_service[m.service[p]] += 1

    load = sum(w * c for w, c in zip(m.weight_load, load_by_r))
    balance = sum(b[3] * c for b, c in zip(m.balance, balance_by_b))
    process_move = m.weight_process_move * sum(m.process_move_cost[p] for p in moved)
    service_move = m.weight_service_move * max(moved_per_service, default=0)
    machine_move = m.weight_machine_move * sum(
        m.move_cost[initial[p]][sol[p]] for p in range(m.P))
    valid = not any(viol[k] for k in KINDS)
    return {
        "valid": valid,
        "violations": {k: _first(viol[k], n_examples) for k in KINDS},
        "objective": load + balance + process_move + service_move + machine_move,
        "load_cost": load,
        "balance_cost": balance,
        "process_move_cost": process_move,
        "service_move_cost": service_move,
        "machine_move_cost": machine_move,
        "load_cost_by_resource": load_by_r,
        "balance_cost_by_objective": balance_by_b,
        "moved_processes": len(moved),
        "processes": m.P,
        "machines": M,
        "services": m.S,
        "resources": R,
    }


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", required=True, help="model_<i>.txt")
    ap.add_argument("--assignment", required=True, help="the initial assignment, M0")
    ap.add_argument("--solution", required=True,
                    help="the new assignment (P machine indices); the initial one scores it")
    ap.add_argument("--examples", type=int, default=5, help="examples kept per violation kind")
    args = ap.parse_args(argv)
    try:
        model = read_model(args.model)
        initial = read_assignment(args.assignment, model)
        sol = read_assignment(args.solution, model)
    except InputError as e:
        print(e, file=sys.stderr)
        return 2
    out = evaluate(model, initial, sol, max(0, args.examples))
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if out["valid"] else 1


if __name__ == "__main__":
    sys.exit(main())
