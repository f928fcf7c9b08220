#!/usr/bin/python3
"""bench/bitbrains_bound.py on a crafted fleet whose bound is worked out by hand.

3 hosts of 4 cores (4000 MIPS) / 1024 MiB, 100-200 W; VMs a, b, c of 1 core / 1024 MiB; samples
at T, T+300, T+600 (T = 2013-07-02 00:00 UTC: the run's time 0 is the trace's first time):
  a: cpu 0.5 0.5 0.5, mem 0.51 0.51 0.51 (522.24 MiB)
  b: cpu 0.5 1.0 0.0, mem 0.51 0.51 0.10
  c: cpu 0.0 0.0 1.0, mem 0.51 0.51 0.10
Interval 0: memory 1566.72 MiB at both ends, ceil(/1024) = 2, but all three VMs are above half a
host at both ends, so 3 hosts. Interval 1: min(1566.72, 727.04) = 727.04 -> 1 host; only a is
above half a host at both ends -> 1. Idle: 100 W x 300 s x (3 + 1) = 120,000 J.
CPU: 1000, 1500, 1500 MIPS -> (1000+1500)/2*300 + (1500+1500)/2*300 = 825,000 MIPS s
(trapezoidal; held from each interval's start it would be 750,000);
load: (200-100)/4000 x 825,000 = 20,625 J. Bound 140,625 J = 0.0390625 kWh.
A run of 2 intervals with unserved_frac 0.2 and 0.0370 kWh: bound 120,000 + 0.8 x 20,625 =
136,500 J = 0.0379167 kWh, so it is below; one at 0.0380 kWh is not.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[2]


def main():
    with tempfile.TemporaryDirectory() as tmp:
        d = pathlib.Path(tmp)
        (d / "hosts.csv").write_text("id,cpu,mem,net,power_idle_w,power_max_w\n" + "".join(
            f"h{i},4,1024,1000,100,200\n" for i in range(3)))
        (d / "vms.csv").write_text("id,host,cpu,mem,net,cpu_alloc\n" + "".join(
            f"{v},h0,0.5,1024,1,1\n" for v in "abc"))
        t0 = 1372723200
        series = {"a": ([0.5, 0.5, 0.5], [0.51] * 3), "b": ([0.5, 1.0, 0.0], [0.51, 0.51, 0.1]),
                  "c": ([0.0, 0.0, 1.0], [0.51, 0.51, 0.1])}
        lines = ["time,vm,cpu,mem,net"]
        for v, (cpu, mem) in series.items():
            lines += [f"{t0 + 300 * k},{v},{cpu[k]},{mem[k]},0" for k in range(3)]
        (d / "trace.csv").write_text("\n".join(lines) + "\n")
        runs = []
        for name, kwh in (("low", 0.0370), ("high", 0.0380)):
            (d / name).mkdir()
            (d / name / "metrics.json").write_text(json.dumps(
                {"intervals": 2, "energy_kwh": kwh, "unserved_frac": 0.2,
                 "mem_overcommit_host_intervals": 4}))
            runs.append(str(d / name))
        out = subprocess.run([sys.executable, str(ROOT / "bench" / "bitbrains_bound.py"), str(d),
                              *runs, "--json"], check=True, capture_output=True, text=True).stdout
        r = json.loads(out)
    ok = True

    def near(what, got, want):
        nonlocal ok
        if abs(got - want) > 1e-9 * max(1.0, abs(want)):
            print(f"FAIL {what}: {got!r}, expected {want!r}")
            ok = False

    near("intervals", r["intervals"], 2)
    near("mean_hosts", r["mean_hosts"], 2.0)
    near("max_hosts", r["max_hosts"], 3)
    near("idle_kwh", r["idle_kwh"], 120000 / 3.6e6)
    near("load_kwh", r["load_kwh"], 20625 / 3.6e6)
    near("bound_kwh", r["bound_kwh"], 140625 / 3.6e6)
    for row, below in zip(r["runs"], (True, False)):
        near("run bound_kwh", row["bound_kwh"], 136500 / 3.6e6)
        if row["below"] != below:
            print(f"FAIL {row['run']}: below = {row['below']}, expected {below}")
            ok = False
    print("ok" if ok else "failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
