#!/usr/bin/env python3
# history.csv and traffic.csv for a generated fleet (bench/README.md, "Split --history and
# --traffic"): FRACTION of the VMs get 1-6 samples 300 or 600 s apart (a fifth without mem);
# per host about FRACTION x its VMs pairs within the host, and FRACTION/4 x VMs pairs across
# the fleet.
# Usage: keyed_inputs.py VMS_CSV OUT_DIR SEED [FRACTION=0.3]. Same arguments, same bytes.
import csv, random, sys
vms_csv, out_dir, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
frac = float(sys.argv[4]) if len(sys.argv) > 4 else 0.3
rng = random.Random(seed)
ids, hosts = [], []
with open(vms_csv, newline="") as f:
    r = csv.reader(f)
    head = next(r)
    ii, hi = head.index("id"), head.index("host")
    for row in r:
        ids.append(row[ii]); hosts.append(row[hi])
with open(f"{out_dir}/history.csv", "w") as h:
    h.write("time,vm,cpu,mem,net\n")
    for i, vm in enumerate(ids):
        if rng.random() >= frac:
            continue
        n = rng.randint(1, 6)
        step = rng.choice([300, 300, 600])
        for k in range(n):
            mem = "" if rng.random() < 0.2 else f"{rng.random():.3f}"
            cpu, net = rng.random() * 1.2, rng.random()
            h.write(f"{1000000 + k * step},{vm},{cpu:.3f},{mem},{net:.3f}\n")
by_host = {}
for i, hst in enumerate(hosts):
    by_host.setdefault(hst, []).append(i)
seen = set()
with open(f"{out_dir}/traffic.csv", "w") as t:
    t.write("vm_a,vm_b,mbps\n")
    for hst, members in by_host.items():
        if not hst or len(members) < 2:
            continue
        for _ in range(max(1, int(len(members) * frac))):
            a, b = rng.sample(members, 2)
            k = (min(a, b), max(a, b))
            if k in seen:
                continue
            seen.add(k)
            t.write(f"{ids[a]},{ids[b]},{rng.randint(1, 900)}\n")
    for _ in range(int(len(ids) * frac / 4)):  # across hosts (and shards)
        a, b = rng.randrange(len(ids)), rng.randrange(len(ids))
        k = (min(a, b), max(a, b))
        if a == b or k in seen:
            continue
        seen.add(k)
        t.write(f"{ids[a]},{ids[b]},{rng.randint(1, 900)}\n")
