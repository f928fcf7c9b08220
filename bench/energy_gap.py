#!/usr/bin/python3
"""Where a simulated chain's energy goes above its floor (issue 19), and a whole-host bound.

Reads simulator checkpoints (`fleetplan simulate ... --out DIR`, DIR/checkpoint.h5 or a grid's
DIR/<chain>/checkpoint.h5) and splits energy - floor into:
  - start-up: intervals 1-2, where the preset's creation rule (each VM reserves its full MIPS and
    RAM, so about 300 hosts start) and the first consolidation fall;
  - then, per interval k >= 3, from the host utilisations at the boundaries (/time/host_util,
    trapezoidal like the engine's energy), with e* the best type's full-load W/MIPS:
      partial load  = sum_h P_h(u) - u*C_h*P_h(1)/C_h   (hosts below 100%: idle power share)
      host type     = u*C_h*(P_h(1)/C_h - e*)           (load on a less efficient type)
      served - asked = e* * (served load - demand)      (migration targets' share; minus unserved)
      residual      = energy - the above                 (migration frames within an interval)
and prints the whole-host bound: at every interval ceil(D/C) hosts of the best type, each at
D/(n*C), D the floor's demand (energy_floor_j / e* / dt). Figures are approximate where noted
(host_util is sampled at the boundaries, before each decision); the engine's own energy and
floor are exact.

Usage: bench/energy_gap.py CHECKPOINT.h5 [CHECKPOINT.h5 ...]
"""
import math
import pathlib
import sys

import h5py
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "python"))
import fleetplan  # noqa: E402

J_PER_KWH = 3.6e6


def power(table, u):
    """The engine's PowerModel::at: linear between the 11 steps, u clamped to [0, 1]."""
    x = np.clip(u, 0.0, 1.0) * 10.0
    lo = np.minimum(np.floor(x).astype(int), 9)
    return table[lo] + (table[lo + 1] - table[lo]) * (x - lo)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    print("| run | energy kWh | floor kWh | ratio | start-up (k<=2) | partial load | host type | "
          "served - asked | residual | whole-host bound kWh | bound / floor |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for path in sys.argv[1:]:
        ck = fleetplan.read(path)
        with h5py.File(path) as f:
            pes = f["/scenario/types/pes"][...]
            pe_mips = f["/scenario/types/pe_mips"][...]
            watts = f["/scenario/types/power_w"][...].reshape(-1, 11)
            htype = f["/scenario/hosts/type"][...]
        cap_t = pes * pe_mips
        present = np.unique(htype)
        eff = watts[:, 10] / cap_t
        best_t = present[np.argmin(eff[present])]
        e_star, c_best = eff[best_t], cap_t[best_t]
        t = ck.intervals
        energy = t["energy_j"].to_numpy()
        floor = t["energy_floor_j"].to_numpy()
        util = ck.host_util.to_numpy(dtype=float)  # interval x host, at t_k before the decision
        cap = cap_t[htype]
        n = len(t)
        dt = np.diff(np.concatenate([[0.0], t["t"].to_numpy()]))
        partial = kind = served = resid = 0.0
        for k in range(2, n):  # rows k-1 and k: interval k+1 (1-based), boundaries t_k, t_k+1
            u0, u1 = util[k - 1], util[k]
            on = u0 > 0  # power follows utilisation (the preset): a host at 0% is off
            p = np.zeros_like(u0)
            load = np.zeros_like(u0)
            for ty in present:
                m = on & (htype == ty)
                p[m] = (power(watts[ty], u0[m]) + power(watts[ty], u1[m])) / 2
                load[m] = (u0[m] + u1[m]) / 2 * cap_t[ty]
            full_own = load * watts[htype, 10] / cap
            partial += float((p - full_own).sum()) * dt[k]
            kind += float((full_own - load * e_star).sum()) * dt[k]
            served += float(load.sum()) * e_star * dt[k] - floor[k]
            resid += energy[k] - float(p.sum()) * dt[k]
        start = float(energy[:2].sum() - floor[:2].sum())
        # Whole-host bound from the floor's own demand: D_k (mean over the interval) on
        # ceil(D_k / C) best-type hosts at equal load.
        bound = 0.0
        for k in range(n):
            if floor[k] <= 0:
                continue
            d = floor[k] / e_star / dt[k]
            hosts = math.ceil(d / c_best - 1e-9)
            bound += hosts * power(watts[best_t], d / (hosts * c_best)) * dt[k]
        total_e, total_f = energy.sum(), floor.sum()
        kwh = lambda j: f"{j / J_PER_KWH:.2f}"  # noqa: E731
        print(f"| {ck.chain} ({pathlib.Path(path).parent}) | {kwh(total_e)} | {kwh(total_f)} | "
              f"{total_e / total_f:.3f} | {kwh(start)} | {kwh(partial)} | {kwh(kind)} | "
              f"{kwh(served)} | {kwh(resid)} | {kwh(bound)} | {bound / total_f:.3f} |")


if __name__ == "__main__":
    main()
