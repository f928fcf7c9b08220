#!/usr/bin/env python3
"""Independent plan checker for fleetplan.

Written independently from the planner, from the specification only (it shares
no code with it), so that it can catch planner bugs.  Standard library only.

Usage:
  check_plan.py --hosts H.csv --vms V.csv --plan-dir DIR [--max-util 0.9]
                [--evacuate ID,ID,...] [--evacuate-file F]
                [--expect-no-unresolved] [--max-gap FRACTION]
                [--cross-site never|evacuations|allow] [--max-per-host 2]
                [--max-total 16] [--max-downtime-ms 300] [--timeout-s 600]
                [--window SECONDS] [--after-dir DIR] [--anti-scope host|rack]

DIR must hold plan.csv and summary.json.  Exit 0 if every check holds (one
"check_plan: OK ..." line), 1 on violations (one "check_plan: VIOLATION: ..."
line each, at most 50), 2 on unreadable/invalid inputs.

Integer units: cpu -> millicores (x1000), mem -> KiB (x1024), net -> kbps
(x1000), computed exactly with fractions.Fraction; VM demands rounded up, host
capacities rounded down; max-util limit = capacity * ppm // 1_000_000 with
ppm = float(max_util) * 1e6 rounded half away from zero, as the planner's
llround (exactly, on the double's value: see ppm_of).

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
 7. Sites (hosts.csv `site`, "" when absent): with --cross-site never no
    migration changes site; with evacuations only VMs leaving a maintenance or
    evacuated host may.  The lower bound respects the boundary: the larger of
    the fleet-wide bound and the sum over sites of each site's bound for the
    demand of the VMs bound to it (never: every running VM; evacuations: those
    not on maintenance/evacuated hosts).  summary.cross_site_migrations counts
    the migrations between sites.
 8. Schedule: at most --max-per-host migrations touch a host and at most
    --max-total run in one wave; est_start_s equals the start time of
    dispatch's rule (waves in order; within a wave, rows in order start as
    soon as both hosts and the fleet have a free slot) over est_seconds, and
    summary.est_makespan_seconds its end (tolerance: the 3-decimal rounding).
 9. Flags: over-downtime iff est_downtime_ms > --max-downtime-ms, over-timeout
    iff est_seconds > --timeout-s (nonconvergent cannot be recomputed from the
    row and is only counted); moves whose reason is consolidate or balance
    (optional work) carry no flag; summary's flagged counts match the rows.
10. With --window S: if the schedule ends after S, every migration is
    mandatory work (reason evacuate, new, hotspot, anti-affinity) or leaves a
    host that was above max-util before the plan.
12. Anti-affinity (vms.csv anti_group): members of one group never share a host (with
    --anti-scope rack, a rack: hosts of the same site and rack; a host without a rack is a rack
    of its own) after the plan, unless unresolved names one of them; and a member never arrives
    in a host (rack) during a wave in which another member is there (departing members leave at
    the end of their wave).
11. With --after-dir D (the output of `fleetplan apply`): D/vms.csv holds
    every VM with its host after the plan (same ids and demands), D/hosts.csv
    every host; hosts the plan switched on are active, hosts it emptied are
    off when the goal is consolidate or auto, and every other host keeps its
    state.
"""

import argparse
import csv
import heapq
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
    g_site = getter(cols, "site")
    g_rack = getter(cols, "rack")
    ids, caps, states, index, sites, racks = [], [], [], {}, [], []
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
        sites.append(g_site(row) or "")
        racks.append(g_rack(row) or "")
    return ids, index, caps, states, sites, racks


def load_vms(path, host_index):
    cols, rows = read_table(path, ("id", "host", "cpu", "mem", "net"), "vms")
    g_id = getter(cols, "id")
    g_host = getter(cols, "host")
    g_dim = [getter(cols, d) for d in DIMS]
    g_ms = getter(cols, "mem_size")
    g_anti = getter(cols, "anti_group")
    ids, index, dem, host0, memsize, anti = [], {}, [], [], [], []
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
        anti.append(g_anti(row) or "")
    return ids, index, dem, host0, memsize, anti


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float)) and not isinstance(v, bool)
            and math.isfinite(v))


def bkey(s):
    return s.encode("utf-8", "surrogatepass")


def ppm_of(fraction):
    """Parts per million of a fraction: fraction * 1e6 (a double, as the planner computes it)
    rounded half away from zero, like C's llround; Python's round() rounds half to even and
    disagreed with the planner at ties (--max-util 0.0100005 is 10000.5 ppm)."""
    x = Fraction(fraction * 1e6)  # exact value of the double
    q = math.floor(abs(x) + Fraction(1, 2))
    return q if x >= 0 else -q


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
    ap.add_argument("--cross-site", default="never", choices=("never", "evacuations", "allow"))
    ap.add_argument("--max-per-host", type=int, default=2)
    ap.add_argument("--max-total", type=int, default=16)
    ap.add_argument("--max-downtime-ms", type=float, default=300.0)
    ap.add_argument("--timeout-s", type=float, default=600.0)
    ap.add_argument("--window", type=float, default=None)
    ap.add_argument("--after-dir", default=None)
    ap.add_argument("--anti-scope", default="host", choices=("host", "rack"))
    args = ap.parse_args(argv)

    # ---- options ---------------------------------------------------------
    try:
        mu = float(args.max_util)
    except ValueError:
        die(f"--max-util: not a number: {args.max_util!r}")
    if not math.isfinite(mu) or mu < 0:
        die(f"--max-util: invalid value {args.max_util!r}")
    ppm = ppm_of(mu)

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
        h_ids, h_index, caps, states, h_sites, h_racks = load_hosts(args.hosts)
        v_ids, v_index, dem, host0, memsize, v_anti = load_vms(args.vms, h_index)
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
    col = {name: i for i, name in enumerate(plan_rows[0])} if plan_rows else {}
    rows_ext = []        # (step, vm idx, source idx, target idx, reason, est s, downtime, start, flags)

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

            def field(name, conv, default):
                k = col.get(name)
                if k is None or k >= len(r):
                    return default
                try:
                    return conv(r[k])
                except ValueError:
                    V(f"{where}: {name} {r[k]!r} is not valid")
                    return default
            rows_ext.append((step, j, host0[j], t, field("reason", str, ""),
                             field("est_seconds", float, 0.0),
                             field("est_downtime_ms", float, 0.0),
                             field("est_start_s", float, None),
                             field("flags", str, "")))

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

    def cover(hosts, need):
        """Fewest of `hosts`, largest limits first, covering `need` in every dimension."""
        best = 0
        for k in range(3):
            if need[k] == 0:
                continue
            lims = sorted((limits[i][k] for i in hosts), reverse=True)
            acc, cnt = 0, len(lims)
            for n, x in enumerate(lims, start=1):
                acc += x
                if acc >= need[k]:
                    cnt = n
                    break
            best = max(best, cnt)
        return best

    lower_bound = cover(eligible, total)
    if args.cross_site != "allow":
        site_hosts, site_need = {}, {}
        for i in eligible:
            site_hosts.setdefault(h_sites[i], []).append(i)
        for j in range(N):
            h = host0[j]
            if h < 0 or (args.cross_site == "evacuations" and evac_host[h]):
                continue
            nd = site_need.setdefault(h_sites[h], [0, 0, 0])
            for k in range(3):
                nd[k] += dem[j][k]
        per_site = sum(cover(site_hosts.get(st, []), nd) for st, nd in site_need.items())
        lower_bound = max(lower_bound, per_site)

    # ---- 7. sites --------------------------------------------------------------
    cross = 0
    for (step, j, h0, t, reason, est, down, start, flags) in rows_ext:
        if h0 < 0 or h_sites[h0] == h_sites[t]:
            continue
        cross += 1
        if args.cross_site == "never" or (args.cross_site == "evacuations" and not evac_host[h0]):
            V(f"VM {v_ids[j]!r} moves from site {h_sites[h0]!r} to {h_sites[t]!r} "
              f"(cross-site {args.cross_site})")
    if "cross_site_migrations" in summary and summary["cross_site_migrations"] != cross:
        V(f"summary.cross_site_migrations = {summary['cross_site_migrations']}, expected {cross}")

    # ---- 8. schedule -------------------------------------------------------------
    per_host_wave, per_wave = {}, {}
    for (step, j, h0, t, *_rest) in rows_ext:
        if h0 < 0:
            continue
        per_wave[step] = per_wave.get(step, 0) + 1
        for h in (h0, t):
            per_host_wave[(step, h)] = per_host_wave.get((step, h), 0) + 1
    if args.max_total > 0:
        for step, c in per_wave.items():
            if c > args.max_total:
                V(f"wave {step}: {c} migrations > max_total {args.max_total}")
    if args.max_per_host > 0:
        for (step, h), c in per_host_wave.items():
            if c > args.max_per_host:
                V(f"wave {step}: host {h_ids[h]!r} in {c} migrations > max_per_host "
                  f"{args.max_per_host}")
    # Dispatch's rule, written out here: an event simulation per wave.
    unlimited = 1 << 60
    cap_host = args.max_per_host if args.max_per_host > 0 else unlimited
    cap_total = args.max_total if args.max_total > 0 else unlimited
    migr = [x for x in rows_ext if x[2] >= 0]
    starts = [0.0] * len(migr)
    t_wave = 0.0
    i = 0
    while i < len(migr):
        k = i
        while k < len(migr) and migr[k][0] == migr[i][0]:
            k += 1
        queue = list(range(i, k))
        running = []          # heap of (end time, index)
        busy = {}
        now = t_wave
        end_wave = t_wave
        while queue or running:
            q = 0
            while q < len(queue) and len(running) < cap_total:
                m = migr[queue[q]]
                if busy.get(m[2], 0) < cap_host and busy.get(m[3], 0) < cap_host:
                    busy[m[2]] = busy.get(m[2], 0) + 1
                    busy[m[3]] = busy.get(m[3], 0) + 1
                    starts[queue[q]] = now
                    heapq.heappush(running, (now + max(0.0, m[5]), queue[q]))
                    del queue[q]
                else:
                    q += 1
            if not running:
                V(f"wave {migr[i][0]}: a migration can never start under the limits")
                break
            end, idx = heapq.heappop(running)
            now = end
            end_wave = max(end_wave, end)
            busy[migr[idx][2]] -= 1
            busy[migr[idx][3]] -= 1
        t_wave = end_wave
        i = k
    makespan = t_wave
    tol = 1e-3 * (len(per_wave) + 1) + 1e-6 * makespan
    for n, m in enumerate(migr):
        if m[7] is not None and abs(m[7] - starts[n]) > tol:
            V(f"VM {v_ids[m[1]]!r}: est_start_s {m[7]} but dispatch's rule starts it at "
              f"{starts[n]:.3f}")
            break
    if "est_makespan_seconds" in summary and abs(summary["est_makespan_seconds"] - makespan) > tol:
        V(f"summary.est_makespan_seconds = {summary['est_makespan_seconds']}, expected "
          f"{makespan:.3f}")

    # ---- 9. flags ----------------------------------------------------------------
    n_flagged = n_down = n_timeout = n_nonconv = 0
    for (step, j, h0, t, reason, est, down, start, flags) in rows_ext:
        tokens = set(x for x in flags.split(";") if x)
        unknown = tokens - {"over-downtime", "over-timeout", "nonconvergent"}
        if unknown:
            V(f"VM {v_ids[j]!r}: unknown flags {sorted(unknown)}")
        if h0 < 0:
            if tokens:
                V(f"new VM {v_ids[j]!r} carries flags {flags!r}")
            continue
        if ("over-downtime" in tokens) != (down > args.max_downtime_ms):
            V(f"VM {v_ids[j]!r}: est_downtime_ms {down} against {args.max_downtime_ms} but "
              f"flags {flags!r}")
        if args.timeout_s > 0 and ("over-timeout" in tokens) != (est > args.timeout_s):
            V(f"VM {v_ids[j]!r}: est_seconds {est} against {args.timeout_s} but flags {flags!r}")
        if tokens and reason in ("consolidate", "balance"):
            V(f"VM {v_ids[j]!r}: optional move ({reason}) breaks a migration limit: {flags}")
        n_flagged += bool(tokens)
        n_down += "over-downtime" in tokens
        n_timeout += "over-timeout" in tokens
        n_nonconv += "nonconvergent" in tokens
    for key, val in (("flagged_migrations", n_flagged), ("over_downtime_migrations", n_down),
                     ("over_timeout_migrations", n_timeout),
                     ("nonconvergent_migrations", n_nonconv)):
        if key in summary and summary[key] != val:
            V(f"summary.{key} = {summary[key]}, expected {val}")

    # ---- 10. window --------------------------------------------------------------
    if args.window is not None and makespan > args.window + tol:
        load0 = [[0, 0, 0] for _ in range(H)]
        for j in range(N):
            if host0[j] >= 0:
                for k in range(3):
                    load0[host0[j]][k] += dem[j][k]
        for (step, j, h0, t, reason, *_rest) in rows_ext:
            if reason in ("consolidate", "balance") and h0 >= 0 and not any(
                    load0[h0][k] > limits[h0][k] for k in range(3)):
                V(f"schedule ends at {makespan:.1f} s, after the window {args.window} s, but "
                  f"optional move of VM {v_ids[j]!r} ({reason}) is planned")
                break

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

    # ---- 12. anti-affinity --------------------------------------------------------
    def domain(h):
        if args.anti_scope == "rack" and h_racks[h]:
            return ("rack", h_sites[h], h_racks[h])
        return ("host", h)
    members = [j for j in range(N) if v_anti[j]]
    if members:
        where = {j: host0[j] for j in members}
        present = {}      # (group, domain) -> members there (departing ones until wave end)
        for j in members:
            if where[j] >= 0:
                present.setdefault((v_anti[j], domain(where[j])), set()).add(j)
        for step in sorted(moves):
            arriving = {}
            for j, t in moves[step]:
                if v_anti[j]:
                    arriving.setdefault((v_anti[j], domain(t)), set()).add(j)
            for key, js in arriving.items():
                if len(present.get(key, set()) | js) > 1:
                    j = min(js)
                    V(f"wave {step}: VM {v_ids[j]!r} of anti_group {v_anti[j]!r} arrives at "
                      f"{h_ids[[t for jj, t in moves[step] if jj == j][0]]!r} while another "
                      f"member is in its {args.anti_scope}")
            for j, t in moves[step]:
                if v_anti[j]:
                    if where[j] >= 0:
                        present[(v_anti[j], domain(where[j]))].discard(j)
                    present.setdefault((v_anti[j], domain(t)), set()).add(j)
                    where[j] = t
        final = {}
        for j in members:
            if where[j] >= 0:
                final.setdefault((v_anti[j], domain(where[j])), []).append(j)
        for (g, _), js in final.items():
            if len(js) > 1 and not any(v_ids[j] in unres_vms for j in js):
                V(f"after plan: anti_group {g!r} has {len(js)} members in one "
                  f"{args.anti_scope}: {sorted(v_ids[j] for j in js)[:4]}")

    # ---- 11. the fleet after the plan (fleetplan apply) ---------------------------
    if args.after_dir is not None:
        d = args.after_dir.rstrip("/")
        try:
            a_ids, a_index, a_caps, a_states, a_sites, _ = load_hosts(d + "/hosts.csv")
            av_ids, av_index, av_dem, av_host, _, _ = load_vms(d + "/vms.csv", a_index)
        except InputError as e:
            die(f"--after-dir: {e}")
        powers_down = summary.get("goal") in ("consolidate", "auto")
        on = set(powered_on)
        if sorted(a_ids, key=bkey) != sorted(h_ids, key=bkey):
            V("after-dir hosts.csv does not hold exactly the plan's hosts")
        else:
            for i in range(H):
                a = a_index[h_ids[i]]
                want = states[i]
                if h_ids[i] in on:
                    want = "active"
                elif powers_down and states[i] == "active" and active_before_set[i] and count[i] == 0:
                    want = "off"
                if a_states[a] != want:
                    V(f"after-dir: host {h_ids[i]!r} is {a_states[a]!r}, expected {want!r}")
                if a_caps[a] != caps[i] or a_sites[a] != h_sites[i]:
                    V(f"after-dir: host {h_ids[i]!r} changed capacity or site")
        if sorted(av_ids, key=bkey) != sorted(v_ids, key=bkey):
            V("after-dir vms.csv does not hold exactly the plan's VMs")
        else:
            for j in range(N):
                a = av_index[v_ids[j]]
                got = a_ids[av_host[a]] if av_host[a] >= 0 else ""
                want = h_ids[loc[j]] if loc[j] >= 0 else ""
                if got != want:
                    V(f"after-dir: VM {v_ids[j]!r} on {got!r}, expected {want!r}")
                    break
                if av_dem[a] != dem[j]:
                    V(f"after-dir: VM {v_ids[j]!r} changed demand")
                    break

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
