// Communication between VMs (traffic.csv: vm_a,vm_b,mbps), for affinity-aware placement.
// Edges are undirected; both directions are listed in `neighbours`. Thread-safety: immutable.
#pragma once

#include <cstdint>
#include <vector>

namespace fp::model {

struct TrafficEdge {
    int32_t vm = -1;  // the other VM (fleet index)
    double mbps = 0.0;
};

struct Traffic {
    // Indexed by fleet VM index; sorted by the other VM's index.
    std::vector<std::vector<TrafficEdge>> neighbours;

    bool empty() const { return neighbours.empty(); }
};

}  // namespace fp::model
