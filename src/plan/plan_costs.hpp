// Cost estimates of a plan's migrations once their waves are known: concurrent migrations on a
// host share its bandwidth, group members moving together between the same hosts in one wave
// send their shared pages once (gang migration), and moves between sites copy local disk over
// the WAN and pay a network reconfiguration. Deterministic; pure.
#pragma once

#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/migration_cost.hpp"
#include "src/plan/plan.hpp"

namespace fp::plan {

// Fills Move::estimate for every migration (new-VM placements cost nothing).
void estimate_plan_costs(const model::Fleet& fleet, std::vector<Move>& moves,
                         const MigrationCostConfig& cfg);

}  // namespace fp::plan
