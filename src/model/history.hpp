// Utilisation history of VMs (from --history: a PlanetLab directory or a CSV
// time,vm,cpu[,mem,net]). Values are fractions of the VM's size: CPU size is the VM's `cpu_alloc`
// when given, else its current CPU demand; memory and network likewise (`mem_alloc` or demand;
// network demand). Series are aligned at the end: sample length-1 is "now" (the fleet's current
// state). Thread-safety: immutable once built.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/fleet.hpp"

namespace fp::model {

struct History {
    int64_t interval_s = 300;  // seconds between samples
    int32_t length = 0;        // samples per series (the longest)
    // Indexed by fleet VM index; an empty series means no history for that VM (or dimension).
    std::vector<std::vector<float>> cpu;
    std::vector<std::vector<float>> mem;
    std::vector<std::vector<float>> net;

    bool empty() const { return length == 0; }
};

// The size that history fractions refer to, per dimension (millicores, KiB, kbps).
Resources history_size(const Vm& vm);

}  // namespace fp::model
