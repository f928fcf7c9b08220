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
    libhdf5-dev hdf5-tools zlib1g-dev
    libboost-serialization-dev
    libvirt-dev libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86 iproute2
    libgtest-dev libbenchmark-dev
    libtomlplusplus-dev nlohmann-json3-dev libexpected-dev libcli11-dev
    clang-format help2man man-db bsdextrautils file dpkg-dev
    python3-h5py python3-numpy python3-matplotlib python3-pandas
    chromium
    slurm-wlm munge
)

source tools/apt_install.sh
apt_install setup "${PACKAGES[@]}"

cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build build -j"$(nproc)"
