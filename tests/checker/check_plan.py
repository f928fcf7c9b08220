#!/usr/bin/env python3
"""Independent plan checker for fleetplan.

Written independently from the planner, from the specification only (it shares
no code with it), so that it can catch planner bugs.  Standard library only.

Usage:
  check_plan.py --hosts H.csv --vms V.csv --plan-dir DIR [--max-util 0.9]
                [--evacuate ID,ID,...] [--evacuate-file F]
                [--expect-no-unresolved] [--max-gap FRACTION]

DIR must hold plan.csv and summary.json.  Exit 0 if every check holds (one
"check_plan: OK ..." line), 1 on violations (one "check_plan: VIOLATION: ..."
line each, at most 50), 2 on unreadable/invalid inputs.

Integer units: cpu -> millicores (x1000), mem -> KiB (x1024), net -> kbps
(x1000), computed exactly with fractions.Fraction; VM demands rounded up, host
capacities rounded down; max-util limit = capacity * ppm // 1_000_000 with
ppm = round(float(max_util) * 1e6).

Checks:
 1. plan.csv has exactly one header starting step,vm,source,target; rows are
    sorted by (step as int, vm id as bytes); every step is an integer >= 1;
    the steps used are exactly 1..W (W = summary.waves, 0 iff no rows).
 2. Each VM appears at most once; it exists in vms.csv; source equals its
    current host (empty for new VMs); target exists, differs from source, and
    is not in state maintenance nor in the evacuate set, and not in state off
    unless summary.powered_on_hosts lists it (the plan switches it on).
 3. Wave simulation: in each wave every target's start-of-wave load plus all
    arrivals of the wave fits within 100% capacity in every dimension
    (departing VMs still count on their source during the wave).
 4. After the last wave: no host above the max-util limit and no VM left on a
    maintenance/evacuated host unless the host is in summary.unresolved; every
    new VM is placed unless an unresolved entry names it; with
    --expect-no-unresolved, unresolved must be empty.
 5. summary.json consistency, recomputed independently: hosts, vms,
    migrations, waves, active_hosts_before/after, freed_hosts,
    overloaded_before/after, moved_mem_mib (rel. tol. 1e-6),
    lower_bound_hosts; ranks >= 1, threads >= 1, plan_seconds >= 0,
    phase_seconds values >= 0.
 6. With --max-gap G: active_hosts_after <= ceil(lower_bound_hosts * (1+G))
    (computed exactly).
"""

import argparse
import csv
import json
import math
import sys
from fractions import Fraction

MAX_PRINTED = 50
DIMS = ("cpu", "mem", "net")
SCALE = (1000, 1024, 1000)
PHASES = ("parse", "detect", "select", "place", "resolve", "write")
STATES = ("active", "maintenance", "off")


class InputError(Exception):
    pass


def die(msg):
    print(f"check_plan: ERROR: {msg}", file=sys.stderr)
    sys.exit(2)


def parse_num(s, what):
    """Parse a non-negative number exactly; return (numerator, denominator)."""
    if s is None:
        raise InputError(f"{what}: missing value")
    t = s.strip()
    if not t:
        raise InputError(f"{what}: empty value")
    if t.isascii():
        a, dot, b = t.partition(".")
        if (a.isdigit() or (a == "" and b)) and (b == "" or b.isdigit()):
            return int(a + b), 10 ** len(b)          # fast path: plain decimal
    try:
        v = Fraction(t)                                # exponents, fractions, signs
    except (ValueError, ZeroDivisionError):
        raise InputError(f"{what}: not a number: {s!r}")
    if v < 0:
        raise InputError(f"{what}: negative value {s!r}")
    return v.numerator, v.denominator


def ceil_scaled(v, scale):
    # exact ceil(num/den * scale)
    num, den = v
    return -((-num * scale) // den)


def floor_scaled(v, scale):
    num, den = v
    return (num * scale) // den


def read_table(path, required, kind):
    """Return (column index dict, list of rows) for an input CSV."""
    csv.field_size_limit(1 << 30)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise InputError(f"{kind} file {path}: empty (no header)")
            rows = [r for r in reader if r]
    except OSError as e:
        raise InputError(f"cannot read {kind} file {path}: {e}")
    except (csv.Error, UnicodeDecodeError) as e:
        raise InputError(f"cannot parse {kind} file {path}: {e}")
    cols = {}
    for i, name in enumerate(header):
        cols.setdefault(name.strip(), i)
    missing = [c for c in required if c not in cols]
    if missing:
        raise InputError(f"{kind} file {path}: missing column(s) {', '.join(missing)}")
    return cols, rows


def getter(cols, name):
    idx = cols.get(name)
    if idx is None:
        return lambda row: None
    return lambda row: row[idx] if idx < len(row) else None


def load_hosts(path):
    cols, rows = read_table(path, ("id", "cpu", "mem", "net"), "hosts")
    g_id = getter(cols, "id")
    g_dim = [getter(cols, d) for d in DIMS]
    g_state = getter(cols, "state")
    ids, caps, states, index = [], [], [], {}
    for n, row in enumerate(rows, start=1):
        hid = g_id(row)
        if hid is None or hid == "":
            raise InputError(f"hosts row {n}: empty id")
        if hid in index:
            raise InputError(f"hosts row {n}: duplicate host id {hid!r}")
        cap = tuple(
            floor_scaled(parse_num(g_dim[d](row), f"hosts row {n} ({hid}) {DIMS[d]}"), SCALE[d])
            for d in range(3)
        )
        st = (g_state(row) or "").strip().lower()
        if st == "":
            st = "active"
        if st not in STATES:
            raise InputError(f"hosts row {n} ({hid}): unknown state {st!r}")
        index[hid] = len(ids)
        ids.append(hid)
        caps.append(cap)
        states.append(st)
    return ids, index, caps, states


def load_vms(path, host_index):
    cols, rows = read_table(path, ("id", "host", "cpu", "mem", "net"), "vms")
    g_id = getter(cols, "id")
    g_host = getter(cols, "host")
    g_dim = [getter(cols, d) for d in DIMS]
    g_ms = getter(cols, "mem_size")
    ids, index, dem, host0, memsize = [], {}, [], [], []
    for n, row in enumerate(rows, start=1):
        vid = g_id(row)
        if vid is None or vid == "":
            raise InputError(f"vms row {n}: empty id")
        if vid in index:
            raise InputError(f"vms row {n}: duplicate VM id {vid!r}")
        h = g_host(row) or ""
        if h == "":
            hi = -1
        else:
            hi = host_index.get(h)
            if hi is None:
                raise InputError(f"vms row {n} ({vid}): unknown host {h!r}")
        raw = [parse_num(g_dim[d](row), f"vms row {n} ({vid}) {DIMS[d]}") for d in range(3)]
        d3 = tuple(ceil_scaled(raw[d], SCALE[d]) for d in range(3))
        ms = g_ms(row)
        if ms is None or ms.strip() == "":
            msv = raw[1]
        else:
            msv = parse_num(ms, f"vms row {n} ({vid}) mem_size")
        index[vid] = len(ids)
        ids.append(vid)
        dem.append(d3)
        host0.append(hi)
        memsize.append(msv)
    return ids, index, dem, host0, memsize


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def bkey(s):
    return s.encode("utf-8", "surrogatepass")


def main(argv=None):
    ap = argparse.ArgumentParser(description="Independent fleetplan plan checker")
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--vms", required=True)
    ap.add_argument("--plan-dir", required=True)
    ap.add_argument("--max-util", default="0.9")
    ap.add_argument("--evacuate", action="append", default=[])
    ap.add_argument("--evacuate-file", action="append", default=[])
    ap.add_argument("--expect-no-unresolved", action="store_true")
    ap.add_argument("--max-gap", default=None)
    args = ap.parse_args(argv)

    # ---- options ---------------------------------------------------------
    try:
        mu = float(args.max_util)
    except ValueError:
        die(f"--max-util: not a number: {args.max_util!r}")
    if not math.isfinite(mu) or mu < 0:
        die(f"--max-util: invalid value {args.max_util!r}")
    ppm = round(mu * 1e6)

    gap = None
    if args.max_gap is not None:
        try:
            gap = Fraction(args.max_gap.strip())
        except (ValueError, ZeroDivisionError):
            die(f"--max-gap: not a number: {args.max_gap!r}")

    evac = set()
    for spec in args.evacuate:
        for x in spec.split(","):
            x = x.strip()
            if x:
                evac.add(x)
    for fn in args.evacuate_file:
        try:
            with open(fn, encoding="utf-8-sig") as f:
                for line in f:
                    x = line.strip()
                    if x:
                        evac.add(x)
        except (OSError, UnicodeDecodeError) as e:
            die(f"cannot read evacuate file {fn}: {e}")

    # ---- inputs ----------------------------------------------------------
    try:
        h_ids, h_index, caps, states = load_hosts(args.hosts)
        v_ids, v_index, dem, host0, memsize = load_vms(args.vms, h_index)
    except InputError as e:
        die(str(e))
    H, N = len(h_ids), len(v_ids)
    limits = [tuple(c * ppm // 1_000_000 for c in cap) for cap in caps]
    evac_host = [states[i] == "maintenance" or h_ids[i] in evac for i in range(H)]
    # "off" hosts may only receive VMs when the plan switches them on (summary.powered_on_hosts);
    # that list is read below, once summary.json is loaded.
    forbidden = [evac_host[i] or states[i] == "off" for i in range(H)]

    plan_path = args.plan_dir.rstrip("/") + "/plan.csv"
    sum_path = args.plan_dir.rstrip("/") + "/summary.json"
    csv.field_size_limit(1 << 30)
    try:
        with open(plan_path, newline="", encoding="utf-8") as f:
            plan_rows = list(csv.reader(f))
    except OSError as e:
        die(f"cannot read {plan_path}: {e}")
    except (csv.Error, UnicodeDecodeError) as e:
        die(f"cannot parse {plan_path}: {e}")
    try:
        with open(sum_path, encoding="utf-8") as f:
            summary = json.load(f)
    except OSError as e:
        die(f"cannot read {sum_path}: {e}")
    except (ValueError, UnicodeDecodeError) as e:
        die(f"cannot parse {sum_path}: {e}")

    violations = []

    def V(msg):
        violations.append(msg)

    if not isinstance(summary, dict):
        V("summary.json is not a JSON object")
        summary = {}
    powered_on = summary.get("powered_on_hosts", [])
    if not isinstance(powered_on, list):
        V("summary.powered_on_hosts must be a list of host ids")
        powered_on = []
    for hid in powered_on:
        i = h_index.get(hid) if isinstance(hid, str) else None
        if i is None:
            V(f"summary.powered_on_hosts names unknown host {hid!r}")
        elif states[i] != "off":
            V(f"summary.powered_on_hosts names host {hid!r} which is not off")
        elif not evac_host[i]:
            forbidden[i] = False

    # ---- 1/2. plan rows ----------------------------------------------------
    if not plan_rows:
        V("plan.csv is empty (missing header line)")
        data = []
    else:
        hdr = plan_rows[0]
        if [c for c in hdr[:4]] != ["step", "vm", "source", "target"]:
            V(f"plan.csv header must begin with step,vm,source,target, got {','.join(hdr)!r}")
        data = plan_rows[1:]

    moves = {}           # step -> list of (vm index, target index)
    steps = set()
    seen = {}            # vm id -> row number of first occurrence
    prev_key = None
    migrations = 0
    placements = 0
    migrated_vms = set()
    for rn, r in enumerate(data, start=1):
        where = f"plan.csv row {rn}"
        if len(r) < 4:
            V(f"{where}: expected at least 4 fields, got {len(r)}: {r!r}")
            continue
        s_step, vm, src, tgt = r[0], r[1], r[2], r[3]
        where = f"plan.csv row {rn} (vm {vm!r})"
        if src == "":
            placements += 1
        else:
            migrations += 1
        step = None
        if s_step and all("0" <= c <= "9" for c in s_step) and int(s_step) >= 1:
            step = int(s_step)
            steps.add(step)
            key = (step, bkey(vm))
            if prev_key is not None and key < prev_key:
                V(f"{where}: rows not sorted by (step, vm): step {step} vm {vm!r} "
                  f"after step {prev_key[0]} vm {prev_key[1].decode('utf-8', 'replace')!r}")
            prev_key = key
        else:
            V(f"{where}: step {s_step!r} is not an integer >= 1")

        j = v_index.get(vm)
        if j is None:
            V(f"{where}: VM {vm!r} does not exist in vms.csv")
        if vm in seen:
            V(f"{where}: VM {vm!r} appears more than once (first in row {seen[vm]})")
        else:
            seen[vm] = rn
        if j is not None:
            h0 = host0[j]
            if h0 < 0:
                if src != "":
                    V(f"{where}: new VM must have empty source, got {src!r}")
            else:
                if src != h_ids[h0]:
                    V(f"{where}: source {src!r} differs from current host {h_ids[h0]!r}")
                if src != "":
                    migrated_vms.add(j)
        t = h_index.get(tgt)
        if t is None:
            V(f"{where}: target {tgt!r} does not exist in hosts.csv")
        else:
            if tgt == src:
                V(f"{where}: target equals source {src!r}")
            if forbidden[t]:
                why = ("in state " + states[t]) if states[t] != "active" else "in the evacuate set"
                V(f"{where}: target {tgt!r} is {why}")
        if step is not None and j is not None and t is not None:
            moves.setdefault(step, []).append((j, t))

    W = max(steps) if steps else 0
    if steps != set(range(1, W + 1)):
        missing = sorted(set(range(1, W + 1)) - steps)
        V(f"plan.csv: steps are not exactly 1..{W}; missing {missing[:10]}")

    # ---- initial state -----------------------------------------------------
    load = [[0, 0, 0] for _ in range(H)]
    count = [0] * H
    for j in range(N):
        h = host0[j]
        if h >= 0:
            d = dem[j]
            L = load[h]
            L[0] += d[0]; L[1] += d[1]; L[2] += d[2]
            count[h] += 1

    def overloaded(i):
        L, lim = load[i], limits[i]
        return L[0] > lim[0] or L[1] > lim[1] or L[2] > lim[2]

    active_before_set = [count[i] > 0 for i in range(H)]
    active_before = sum(active_before_set)
    overloaded_before = sum(1 for i in range(H) if overloaded(i))

    # ---- 3. wave simulation ------------------------------------------------
    loc = list(host0)
    for step in sorted(moves):
        mv = moves[step]
        arr = {}
        for j, t in mv:
            a = arr.get(t)
            if a is None:
                a = arr[t] = [0, 0, 0]
            d = dem[j]
            a[0] += d[0]; a[1] += d[1]; a[2] += d[2]
        for t, a in arr.items():
            L, cap = load[t], caps[t]
            bad = [f"{DIMS[k]} {L[k]}+{a[k]}={L[k] + a[k]} > {cap[k]}"
                   for k in range(3) if L[k] + a[k] > cap[k]]
            if bad:
                V(f"wave {step}: target {h_ids[t]!r} over 100% capacity during wave: "
                  + "; ".join(bad))
        for j, t in mv:
            d = dem[j]
            s = loc[j]
            if s >= 0:
                L = load[s]
                L[0] -= d[0]; L[1] -= d[1]; L[2] -= d[2]
                count[s] -= 1
            L = load[t]
            L[0] += d[0]; L[1] += d[1]; L[2] += d[2]
            count[t] += 1
            loc[j] = t

    # ---- unresolved ----------------------------------------------------------
    unresolved = summary.get("unresolved")
    unres_hosts, unres_vms = set(), set()
    if "unresolved" not in summary:
        V("summary.json: missing key 'unresolved'")
        unresolved = []
    elif not isinstance(unresolved, list):
        V("summary.json: 'unresolved' is not a list")
        unresolved = []
    for k, e in enumerate(unresolved):
        if not isinstance(e, dict) or "host" not in e or "reason" not in e:
            V(f"summary.json: unresolved[{k}] is not an object with 'host' and 'reason'")
            continue
        if e["host"] is not None:
            unres_hosts.add(str(e["host"]))
        if e.get("vm") is not None:
            unres_vms.add(str(e["vm"]))
    if args.expect_no_unresolved and unresolved:
        V(f"unresolved is not empty ({len(unresolved)} entries) but --expect-no-unresolved given")

    # ---- 4. final state ------------------------------------------------------
    overloaded_after = 0
    for i in range(H):
        if overloaded(i):
            overloaded_after += 1
            if h_ids[i] not in unres_hosts:
                L, lim = load[i], limits[i]
                bad = [f"{DIMS[k]} {L[k]} > {lim[k]}" for k in range(3) if L[k] > lim[k]]
                V(f"after plan: host {h_ids[i]!r} above max-util limit and not unresolved: "
                  + "; ".join(bad))
        if evac_host[i] and count[i] > 0 and h_ids[i] not in unres_hosts:
            why = "maintenance" if states[i] == "maintenance" else "evacuated"
            V(f"after plan: {why} host {h_ids[i]!r} still holds {count[i]} VM(s) "
              f"and is not unresolved")
    for j in range(N):
        if host0[j] < 0 and loc[j] < 0 and v_ids[j] not in unres_vms:
            V(f"after plan: new VM {v_ids[j]!r} is not placed and not listed as unresolved")

    active_after = sum(1 for i in range(H) if count[i] > 0)
    freed = sorted((h_ids[i] for i in range(H) if active_before_set[i] and count[i] == 0),
                   key=bkey)

    # ---- lower bound -----------------------------------------------------------
    total = [0, 0, 0]
    for d in dem:
        total[0] += d[0]; total[1] += d[1]; total[2] += d[2]
    eligible = [i for i in range(H) if not evac_host[i]]
    lower_bound = 0
    for k in range(3):
        if total[k] == 0:
            continue
        lims = sorted((limits[i][k] for i in eligible), reverse=True)
        acc, cnt = 0, len(lims)
        for n, x in enumerate(lims, start=1):
            acc += x
            if acc >= total[k]:
                cnt = n
                break
        lower_bound = max(lower_bound, cnt)

    # ---- 5. summary consistency ------------------------------------------------
    def check_int(key, expected):
        if key not in summary:
            V(f"summary.json: missing key '{key}'")
            return
        v = summary[key]
        if not is_int(v):
            V(f"summary.json: '{key}' is not an integer: {v!r}")
        elif v != expected:
            V(f"summary.{key} = {v}, expected {expected}")

    check_int("hosts", H)
    check_int("vms", N)
    check_int("migrations", migrations)
    check_int("waves", W)
    check_int("active_hosts_before", active_before)
    check_int("active_hosts_after", active_after)
    check_int("lower_bound_hosts", lower_bound)
    check_int("overloaded_before", overloaded_before)
    check_int("overloaded_after", overloaded_after)

    if "freed_hosts" not in summary:
        V("summary.json: missing key 'freed_hosts'")
    else:
        fh = summary["freed_hosts"]
        if not isinstance(fh, list):
            V("summary.json: 'freed_hosts' is not a list")
        elif fh != freed:
            got = set(x for x in fh if isinstance(x, str))
            extra = [x for x in fh if x not in set(freed)][:5]
            miss = [x for x in freed if x not in got][:5]
            if not extra and not miss:
                V("summary.freed_hosts has the right ids but is not sorted by byte "
                  "string / has duplicates")
            else:
                V(f"summary.freed_hosts mismatch: unexpected {extra}, missing {miss} "
                  f"(got {len(fh)}, expected {len(freed)})")

    moved = float(sum((Fraction(*memsize[j]) for j in migrated_vms), Fraction(0)))
    if "moved_mem_mib" not in summary:
        V("summary.json: missing key 'moved_mem_mib'")
    else:
        v = summary["moved_mem_mib"]
        if not is_num(v):
            V(f"summary.json: 'moved_mem_mib' is not a number: {v!r}")
        elif not math.isclose(v, moved, rel_tol=1e-6, abs_tol=1e-6):
            V(f"summary.moved_mem_mib = {v}, expected {moved}")

    for key in ("ranks", "threads"):
        if key not in summary:
            V(f"summary.json: missing key '{key}'")
        elif not is_int(summary[key]) or summary[key] < 1:
            V(f"summary.{key} must be an integer >= 1, got {summary[key]!r}")
    if "max_vm_rows_per_rank" not in summary:
        V("summary.json: missing key 'max_vm_rows_per_rank'")
    elif not is_int(summary["max_vm_rows_per_rank"]) or summary["max_vm_rows_per_rank"] < 0:
        V(f"summary.max_vm_rows_per_rank must be an integer >= 0, "
          f"got {summary['max_vm_rows_per_rank']!r}")
    if "plan_seconds" not in summary:
        V("summary.json: missing key 'plan_seconds'")
    elif not is_num(summary["plan_seconds"]) or summary["plan_seconds"] < 0:
        V(f"summary.plan_seconds must be a number >= 0, got {summary['plan_seconds']!r}")
    ps = summary.get("phase_seconds")
    if "phase_seconds" not in summary:
        V("summary.json: missing key 'phase_seconds'")
    elif not isinstance(ps, dict):
        V("summary.json: 'phase_seconds' is not an object")
    else:
        for p in PHASES:
            if p not in ps:
                V(f"summary.phase_seconds: missing key '{p}'")
        for p, v in ps.items():
            if not is_num(v) or v < 0:
                V(f"summary.phase_seconds.{p} must be a number >= 0, got {v!r}")

    # ---- 6. gap ------------------------------------------------------------------
    if gap is not None:
        bound = math.ceil(lower_bound * (1 + gap))
        if active_after > bound:
            V(f"active hosts after plan {active_after} > ceil(lower_bound {lower_bound} "
              f"x (1 + {args.max_gap})) = {bound}")

    # ---- report ------------------------------------------------------------------
    if violations:
        for msg in violations[:MAX_PRINTED]:
            print(f"check_plan: VIOLATION: {msg}")
        if len(violations) > MAX_PRINTED:
            print(f"check_plan: {len(violations) - MAX_PRINTED} more violation(s) not shown",
                  file=sys.stderr)
        sys.stdout.flush()
        return 1
    print(f"check_plan: OK waves={W} migrations={migrations} placements={placements} "
          f"active_before={active_before} active_after={active_after} "
          f"lower_bound={lower_bound}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
