#!/usr/bin/env bash
# The main job on the bundled demo fleet (200 hosts, 2,000 VMs), in one process, dry run:
# nothing is dispatched, the plan lands in out/demo/.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
build/fleetplan plan --hosts tests/data/clusters/demo/hosts.csv --vms tests/data/clusters/demo/vms.csv \
    --config configs/default.toml --out out/demo "$@"
