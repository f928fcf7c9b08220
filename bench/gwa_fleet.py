#!/usr/bin/python3
"""The Bitbrains day at fleet size (issue 19): 500 GWA-T-12 VMs replicated to --vms VMs on --hosts
hosts, simulated for one day with configs/simulate-fleet.toml.

Usage: bench/gwa_fleet.py [--vms 100000] [--hosts 5000] [--gwa DIR] [--work DIR]
       [--intervals N] [--fleetplan PATH] [--no-run]

1. `fleetplan convert-trace --trace GWA --trace-format gwa --out WORK/base` writes the 500 VMs'
   interchange trace (288 buckets of 300 s) and their VM rows (`--vms auto`).
2. Replication (here, not in convert-trace: it is a benchmark device, not a way to read a trace):
   VM n = 0..vms-1 is copy j = n // B of base VM n % B (B = the 428 VMs with samples; 72 of the
   500 files have none), named `id-j`, whose series is the original rotated by
   s_j = j * K // R buckets (R = ceil(vms / B) copies, K = 288; value at bucket k = original at
   (k + s_j) mod K), so the copies peak at phases spread over the day. Its VM row is the original's with cpu = cores x its
   first (rotated) fraction, rounded up to millicores. Times, sizes and the other columns stay.
3. hosts.csv: --hosts hosts of 64 cores, 262144 MiB (256 GiB) and 10000 Mbit/s, every 20th with
   1048576 MiB (1 TiB) instead: VM 27 provisions 512 GiB and its 234 copies fit no 256 GiB host
   (the 428 VMs provision 1179 cores, 3903 GiB and 7691 Mbit/s of peak network: x233.6 on 5000
   hosts is 55 cores, 182 GiB and 359 Mbit/s per host). Power from the config's defaults.
4. Unless --no-run: `/usr/bin/time -v fleetplan simulate --hosts --vms --trace --config
   configs/simulate-fleet.toml --threads 2 --checkpoint-every 0 --progress [--intervals N]`,
   printing wall time, peak RSS, the time to read the inputs and the intervals' rate.
Everything is deterministic (no randomness); the files are kept in WORK and reused.
"""
import argparse
import os
import pathlib
import re
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent


def replicate(base, out, total):
    """Writes out/trace.csv and out/vms.csv: `total` VMs, phase-shifted copies of base's."""
    series = {}  # id -> (times, ["cpu,mem,net", ...])
    with open(base / "trace.csv", encoding="utf-8") as f:
        assert f.readline().strip() == "time,vm,cpu,mem,net"
        for line in f:
            t, vm, rest = line.rstrip("\n").split(",", 2)
            s = series.setdefault(vm, ([], []))
            s[0].append(t)
            s[1].append(rest)
    with open(base / "vms.csv", encoding="utf-8") as f:
        header = f.readline().rstrip("\n")
        assert header == "id,host,cpu,mem,net,cpu_alloc", header
        rows = [line.rstrip("\n").split(",") for line in f]
    with open(out / "trace.csv", "w", encoding="utf-8") as ft, \
            open(out / "vms.csv", "w", encoding="utf-8") as fv:
        ft.write("time,vm,cpu,mem,net\n")
        fv.write(header + "\n")
        copies = -(-total // len(rows))
        for n in range(total):
            j, r = divmod(n, len(rows))
            vm, _host, _cpu, mem, net, cores = rows[r]
            times, vals = series[vm]
            k = len(times)
            s = j * k // copies
            rot = vals[s:] + vals[:s]
            vid = "%s-%d" % (vm, j)
            ft.write("".join("%s,%s,%s\n" % (t, vid, v) for t, v in zip(times, rot)))
            milli = -(-int(cores) * int(round(float(rot[0].split(",")[0]) * 1e6)) // 1000)
            fv.write("%s,,%d.%03d,%s,%s,%s\n" % (vid, *divmod(milli, 1000), mem, net, cores))
    return total


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vms", type=int, default=100000)
    ap.add_argument("--hosts", type=int, default=5000)
    ap.add_argument("--gwa", default=str(ROOT.parent / "shared" / "data" / "bitbrains-rnd" /
                                         "2013-07-02"))
    ap.add_argument("--work", default="/tmp/fleetplan-gwa")
    ap.add_argument("--intervals", type=int, default=None)
    ap.add_argument("--fleetplan", default=os.environ.get("FLEETPLAN",
                                                          str(ROOT / "build" / "fleetplan")))
    ap.add_argument("--no-run", action="store_true")
    a = ap.parse_args()
    work = pathlib.Path(a.work)
    base = work / "base"
    if not (base / "trace.csv").exists():
        subprocess.run([a.fleetplan, "convert-trace", "--trace", a.gwa, "--trace-format", "gwa",
                        "--out", str(base)], check=True, stdout=subprocess.DEVNULL)
    fleet = work / f"fleet-{a.hosts}-{a.vms}"
    if not (fleet / "hosts.csv").exists():
        fleet.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        n = replicate(base, fleet, a.vms)
        with open(fleet / "hosts.csv", "w", encoding="utf-8") as f:
            f.write("id,cpu,mem,net\n")
            f.write("".join("h%05d,64,%d,10000\n" % (i, 1048576 if i % 20 == 0 else 262144)
                            for i in range(a.hosts)))
        print(f"fleet: {fleet} ({a.hosts} hosts, {n} VMs) written in "
              f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
    if a.no_run:
        return
    out = work / "run"
    cmd = ["/usr/bin/time", "-v", a.fleetplan, "simulate", "--hosts", str(fleet / "hosts.csv"),
           "--vms", str(fleet / "vms.csv"), "--trace", str(fleet / "trace.csv"), "--config",
           str(ROOT / "configs" / "simulate-fleet.toml"), "--threads", "2",
           "--checkpoint-every", "0", "--progress", "--out", str(out)]
    if a.intervals:
        cmd += ["--intervals", str(a.intervals)]
    load = os.getloadavg()
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        sys.exit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    err = p.stderr
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", err).group(1)) / 1024
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", err).group(1)
    user = float(re.search(r"User time \(seconds\): ([\d.]+)", err).group(1))
    read = re.search(r"simulate: inputs read in ([\d.]+) s", err)
    prog = re.findall(r"simulate: (\d+)/(\d+) intervals, ([\d.]+) intervals/s, ([\d.]+) s elapsed",
                      err)
    last = prog[-1] if prog else None
    print(f"load before {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, after "
          f"{' '.join('%.2f' % x for x in os.getloadavg())}")
    print(f"wall {wall}, user CPU {user:.1f} s, peak RSS {rss:.0f} MiB, inputs read in "
          f"{read.group(1) if read else '?'} s")
    if last:
        print(f"intervals {last[0]}/{last[1]} in {last[3]} s ({last[2]} intervals/s)")
    print(p.stdout.strip())


if __name__ == "__main__":
    main()
