// Large-neighbourhood step: free every process of a few machines and re-pack them onto those
// machines with an exact depth-first branch and bound (bounded by a node limit). The bound is
// the move costs of the processes placed so far plus a lower bound on the load cost (RepackBound);
// each complete packing is scored exactly by RoadefState::try_change, which also checks spread
// and dependency. Packings are ranked by their local cost (move costs, and load and balance cost
// of the machines re-packed), which leaves out the service-move term: without a node limit the
// result is the packing of least local cost with either bound, the best by the objective when
// weight_service_move is 0 (test Repack.WithoutANodeLimitFindsTheBestPacking).
// Thread-safety: works on the caller's state only. Determinism: no randomness; the machines, the
// node limit and the bound decide the result.
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

// The load-cost bound of the branch and bound.
enum class RepackBound {
    // The load cost of the partial machines (it only grows as processes are added).
    kPartialLoad,
    // Per resource, the weighted excess over safety capacity the partial machines already have
    // plus what the processes still to place need beyond the room left below safety capacity on
    // all of them together: never below kPartialLoad, so it cuts more and a node limit reaches
    // further. Measured (2026-12-08) on the plain and room re-packs it made a2_3 and a1_4 worse
    // (1,300.1M and 1,307.7M against 1,232.4M and 1,296.6M; 254.7M and 255.9M against 253.4M
    // and 251.2M, seeds 1 and 2 at 1.5G work), so only pair re-packs use it.
    kRoom,
};

// The best improving re-packing of the processes on `machines` (distinct) found within
// node_limit nodes. The state is left unchanged.
RepackResult repack(RoadefState& state, std::span<const int32_t> machines, int64_t node_limit,
                    RepackBound bound = RepackBound::kPartialLoad);

// The `count` machines other than `except` with the most room left to receive on every transient
// resource at once, most room first: ranked by the smallest share of capacity still free
// (capacity - usage - transient usage) over the transient resources, or over all resources in a
// model without one; ties by the lower index. Fewer when the model has fewer machines.
std::vector<int32_t> roomiest_machines(const RoadefState& state, int32_t except, size_t count);

}  // namespace fp::opt
