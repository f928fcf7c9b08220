// Large-neighbourhood step: free every process of a few machines and re-pack them onto those
// machines with an exact depth-first branch and bound (bounded by a node limit). The bound is
// the move costs of the processes placed so far plus the load cost of the partial machines
// (load cost only grows as processes are added); each complete packing is scored exactly by
// RoadefState::try_change, which also checks spread and dependency.
// Thread-safety: works on the caller's state only. Determinism: no randomness; the machines and
// the node limit decide the result.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "src/opt/roadef_state.hpp"

namespace fp::opt {

struct RepackResult {
    std::vector<Reassign> changes;  // empty: no improving packing found
    int64_t delta = 0;              // objective change of `changes` (< 0 when non-empty)
    int64_t nodes = 0;              // search nodes visited (the work done)
};

// The best improving re-packing of the processes on `machines` (distinct) found within
// node_limit nodes. The state is left unchanged.
RepackResult repack(RoadefState& state, std::span<const int32_t> machines, int64_t node_limit);

// The `count` machines other than `except` with the most room left to receive on every transient
// resource at once, most room first: ranked by the smallest share of capacity still free
// (capacity - usage - transient usage) over the transient resources, or over all resources in a
// model without one; ties by the lower index. Fewer when the model has fewer machines.
std::vector<int32_t> roomiest_machines(const RoadefState& state, int32_t except, size_t count);

}  // namespace fp::opt
