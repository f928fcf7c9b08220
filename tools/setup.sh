#!/usr/bin/env bash
# Installs the Debian packages fleetplan needs (only the missing ones), then configures and
# builds into build/ (Release). Idempotent: a second run installs nothing and rebuilds only what
# changed. Usage: tools/setup.sh [extra cmake -D options]
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
    build-essential cmake pkg-config git python3
    libopenmpi-dev openmpi-bin
    libtbb-dev
    libhdf5-dev hdf5-tools
    libboost-serialization-dev
    libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 iproute2
    libgtest-dev libbenchmark-dev
    libtomlplusplus-dev nlohmann-json3-dev libexpected-dev
    clang-format
    python3-h5py python3-numpy python3-matplotlib
    slurm-wlm munge
)

missing=()
for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -q
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}"
else
    echo "setup: all Debian packages present"
fi

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
