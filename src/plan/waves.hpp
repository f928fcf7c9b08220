// Wave assembly. Input: moves in the order the planner decided them, each feasible at max-util
// when applied one after another. Output: each move gets the earliest wave in which its target
// holds its load plus every arrival of that wave within 100% of capacity (a leaving VM frees its
// resources only when its wave ends), for that wave and every later one, within the per-host
// and per-wave concurrency limits. A fresh wave after all others always fits (it is the
// sequential state), so the assembly never deadlocks. Deterministic: depends only on the order.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/placement_state.hpp"
#include "src/plan/plan.hpp"

namespace fp::plan {

// The concurrency limits shared by the plan's wave assembly and dispatch (which may only lower
// them): a wave never has more migrations in flight than these.
struct WaveLimits {
    int32_t max_per_host = 2;  // migrations in flight per host (as source or target); 0 = no limit
    int32_t max_total = 16;    // migrations in flight in the whole fleet; 0 = no limit
};

// Assigns Move::step for every move; returns the number of waves.
// Members of one anti_group never meet in one host (or rack, with AntiScope::kRack) even while
// migrations are in flight: one arrives only in a wave after the other has left.
int32_t assign_waves(const model::Fleet& fleet, std::vector<Move>& moves, const WaveLimits& limits,
                     model::AntiScope anti_scope = model::AntiScope::kHost);

}  // namespace fp::plan
