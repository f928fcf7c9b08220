// A synthetic but realistic fleet for demos, tests and benchmarks: heterogeneous host types,
// racks and sites, skewed VM flavours and demands, a messy initial placement (hot, cold, empty,
// off and maintenance hosts), affinity groups and a few new VMs. Same options → same fleet.
// Layout: hosts h1.. in racks of 20 consecutive hosts (the last rack holds the rest), named r1..
// and zero-padded to one width; clamp(hosts / 400, 1, 8) sites s1.., each a contiguous block of
// whole racks (the racks split as evenly as they go), so a rack never spans two sites.
#pragma once

#include <cstdint>

#include "src/model/fleet.hpp"

namespace fp::model {

struct GeneratorOptions {
    int64_t hosts = 100;
    int64_t vms = 1000;
    uint64_t seed = 1;
    double new_vm_fraction = 0.01;
    double maintenance_fraction = 0.005;
    double off_fraction = 0.03;
};

Fleet generate_fleet(const GeneratorOptions& options);

}  // namespace fp::model
