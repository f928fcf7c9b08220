# Bitbrains GWA-T-12 traces end to end: `convert-trace` writes the interchange CSV and the VM
# rows; `simulate --trace-format gwa --vms auto` on the directory equals `simulate` on the
# converted files (planner and lr-mmt chains, metrics.json and intervals.csv less decision
# times), and --resume works on a --vms auto run; bad files and flags are exit 2 naming
# FILE:LINE:FIELD. The real Bitbrains day is converted too when ../shared/data holds it.
source "$(dirname "$0")/common.sh"

# 1. A crafted directory: 10 VMs, 4 hours, each on its own phase (unaligned timestamps), one
# missing sample, one VM off (0 cores) for its first hour.
G="$T/gwa"
"$PYTHON" - "$G" <<'PY'
import math, os, sys
d = sys.argv[1]
os.makedirs(d)
head = ("Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
        "CPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\t"
        "Disk read throughput [KB/s];\tDisk write throughput [KB/s];\t"
        "Network received throughput [KB/s];\tNetwork transmitted throughput [KB/s]\n")
t0 = 1372723200
for v in range(10):
    cores = 1 + v % 4
    mhz = 2926.0 * cores
    kb = 1048576.0 * (1 + v % 3)
    lines = [head]
    for i in range(48):
        if v == 3 and i == 20:
            continue  # a missing sample
        t = t0 + 37 * v + 300 * i + (1 if i % 7 == 3 else 0)
        off = v == 5 and i < 12
        u = 0.5 + 0.4 * math.sin(i / 6.0 + v)
        use = 0.0 if off else mhz * u
        mem = 0.0 if off else kb * (0.3 + 0.2 * math.cos(i / 9.0 + v))
        rx, tx = 10.0 * v * u, 3.0 * u
        lines.append(";\t".join(str(x) for x in (
            t, 0 if off else cores, 0.0 if off else mhz, use, 100 * u, 0.0 if off else kb, mem,
            1.0, 2.0, rx, tx)) + "\n")
    open(os.path.join(d, "%d.csv" % v), "w").write("".join(lines))
PY
cat >"$T/hosts.csv" <<'EOF'
id,cpu,mem,net,power_idle_w,power_max_w
h1,8,8192,10000,90,200
h2,8,8192,10000,90,200
h3,16,16384,10000,120,300
h4,16,16384,10000,120,300
EOF

"$FLEETPLAN" convert-trace --trace "$G" --trace-format gwa --out "$T/conv" >"$T/conv.out"
"$PYTHON" - "$T/conv" <<'PY' && ok "convert-trace: 10 VMs x 49 buckets, VM rows" || bad "convert-trace output"
import csv, sys
d = sys.argv[1]
rows = list(csv.DictReader(open(d + "/trace.csv")))
assert list(rows[0].keys()) == ["time", "vm", "cpu", "mem", "net"], rows[0].keys()
# The grid starts at 1372723200 (a multiple of 300) and ends with the bucket of the last sample
# (VM 9's: 1372723200 + 333 + 47*300 = +14433 s -> bucket 48): 49 buckets per VM.
assert len(rows) == 10 * 49, len(rows)
assert rows[0]["time"] == "1372723200" and rows[48]["time"] == str(1372723200 + 48 * 300)
vms = list(csv.DictReader(open(d + "/vms.csv")))
assert [v["id"] for v in vms] == [str(i) for i in range(10)]  # byte order of the names
assert [v["cpu_alloc"] for v in vms] == [str(1 + i % 4) for i in range(10)], vms
assert vms[5]["host"] == "" and vms[5]["cpu"] == "0"  # off at the start
assert all(0 <= float(r["cpu"]) <= 1 and 0 <= float(r["mem"]) <= 1 and 0 <= float(r["net"]) <= 1
           for r in rows)
PY

# 2. The directory and the converted files give the same simulation.
for chain in planner lr-mmt; do
    "$FLEETPLAN" simulate --hosts "$T/hosts.csv" --vms auto --trace "$G" --trace-format gwa \
        --config "$SRC/configs/simulate-fleet.toml" --policy "$chain" --out "$T/sim-gwa-$chain" >/dev/null
    "$FLEETPLAN" simulate --hosts "$T/hosts.csv" --vms "$T/conv/vms.csv" --trace "$T/conv/trace.csv" \
        --config "$SRC/configs/simulate-fleet.toml" --policy "$chain" --out "$T/sim-csv-$chain" >/dev/null
    if [ "$(stable_sim "$T/sim-gwa-$chain")" = "$(stable_sim "$T/sim-csv-$chain")" ]; then
        ok "$chain: gwa directory = converted CSV"
    else
        bad "$chain: gwa directory and converted CSV differ"
    fi
done
"$PYTHON" -c "
import json,sys; m=json.load(open(sys.argv[1])); assert m['vms']==10 and m['hosts']==4 and m['intervals']==48 and m['energy_kwh']>0, m" \
    "$T/sim-gwa-planner/metrics.json" && ok "gwa run: 10 VMs, 4 hosts, 48 intervals" || bad "gwa run metrics"
"$FLEETPLAN" simulate --hosts "$T/hosts.csv" --vms auto --trace "$G" --trace-format gwa \
    --config "$SRC/configs/simulate-fleet.toml" --stop-after 20 --out "$T/sim-stop" >/dev/null
"$FLEETPLAN" simulate --resume "$T/sim-stop/checkpoint.h5" --out "$T/sim-stop" >/dev/null
[ "$(stable_sim "$T/sim-gwa-planner")" = "$(stable_sim "$T/sim-stop")" ] &&
    ok "--vms auto run: stop + resume = uninterrupted" || bad "--vms auto resume differs"

# 3. Refusals: exit 2 naming FILE:LINE:FIELD or the flag.
mkdir -p "$T/bad"
head -1 "$G/0.csv" >"$T/bad/x.csv"
printf '1372723413;\t2;\t5851.9;\tNaN;\t0;\t8388608;\t1;\t0;\t0;\t0;\t0\n' >>"$T/bad/x.csv"
expect2 "NaN in a GWA file" "x.csv:2:CPU usage [MHZ]:" simulate --hosts "$T/hosts.csv" --vms auto \
    --trace "$T/bad" --trace-format gwa --out "$T/x"
expect2 "convert-trace on a bad file" "x.csv:2:CPU usage [MHZ]:" convert-trace --trace "$T/bad" \
    --trace-format gwa --out "$T/x"
expect2 "--vms auto without gwa" "--trace-format gwa" simulate --hosts "$T/hosts.csv" --vms auto \
    --trace "$T/conv/trace.csv" --out "$T/x"
expect2 "unknown --trace-format" "valid: csv, planetlab, gwa" simulate --hosts "$T/hosts.csv" \
    --vms "$T/conv/vms.csv" --trace "$T/conv/trace.csv" --trace-format xls --out "$T/x"
expect2 "a directory as csv" "not a trace CSV" simulate --hosts "$T/hosts.csv" \
    --vms "$T/conv/vms.csv" --trace "$G" --trace-format csv --out "$T/x"
expect2 "convert-trace csv" "already the interchange format" convert-trace --trace "$T/conv/trace.csv" \
    --trace-format csv --out "$T/x"
expect2 "--trace-format with --resume" "cannot be combined with --resume" simulate --resume \
    "$T/sim-stop/checkpoint.h5" --trace-format gwa --out "$T/x"
[ ! -e "$T/x" ] && ok "refused runs wrote nothing" || bad "a refused run wrote $T/x"

# 4. The real day, when it is there: of its 500 files, 72 hold a header only (VMs left out, one
# warning); the other 428 VMs on the 288-bucket grid of 2013-07-02 from 00:00 UTC.
BB="$SRC/../shared/data/bitbrains-rnd/2013-07-02"
if [ -d "$BB" ]; then
    "$FLEETPLAN" convert-trace --trace "$BB" --trace-format gwa --out "$T/bb" >/dev/null 2>"$T/bb.err"
    grep -q "72 files have a header and no samples" "$T/bb.err" && ok "Bitbrains day: 72 empty VMs, one warning" ||
        bad "Bitbrains day warning: $(cat "$T/bb.err")"
    [ "$(tail -n +2 "$T/bb/trace.csv" | wc -l)" = $((428 * 288)) ] && [ "$(tail -n +2 "$T/bb/vms.csv" | wc -l)" = 428 ] &&
        [ "$(sed -n 2p "$T/bb/trace.csv" | cut -d, -f1)" = 1372723200 ] &&
        ok "Bitbrains day: 428 VMs x 288 buckets from 1372723200" || bad "Bitbrains day conversion"
else
    echo "skip: no $BB"
fi
finish
