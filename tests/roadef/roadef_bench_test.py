#!/usr/bin/env python3
"""bench/roadef_bench.py --short must pass an improving, valid, honest solver and fail any
other (invalid, no better than the initial cost, score.json disagreeing with the checker), and
exit 77 (ctest: skipped) for a fleetplan without the command. The solver is
tests/roadef/fake_fleetplan.py in each FAKE_ROADEF mode. Exits 77 without the data set."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
BENCH = os.path.join(os.path.dirname(os.path.dirname(HERE)), "bench", "roadef_bench.py")
FAKE = os.path.join(HERE, "fake_fleetplan.py")
WANT = {"improve": 0, "initial": 1, "invalid": 1, "lie": 1, "absent": 77}


def main():
    fails = 0
    with tempfile.TemporaryDirectory() as tmp:
        for mode, want in WANT.items():
            p = subprocess.run([sys.executable, BENCH, "--short", "--time-limit", "1",
                                "--fleetplan", FAKE, "--work-dir", tmp],
                               env=dict(os.environ, FAKE_ROADEF=mode), capture_output=True,
                               text=True)
            if p.returncode == 77 and "no ROADEF 2012 data" in p.stdout:
                print(p.stdout.strip())
                return 77
            ok = p.returncode == want
            fails += not ok
            last = (p.stdout.strip().splitlines() or [""])[-1]
            print(f"{'ok' if ok else 'FAIL'}: {mode}: exit {p.returncode} (want {want}) {last}")
            if not ok:
                print(p.stdout, p.stderr)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
