// Cost estimates of a plan's migrations once their waves are known: concurrent migrations on a
// host share its bandwidth, group members moving together between the same hosts in one wave
// send their shared pages once (gang migration), and moves between sites copy local disk over
// the WAN and pay a network reconfiguration. Deterministic; pure.
#pragma once

#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/migration_cost.hpp"
#include "src/plan/plan.hpp"

namespace fp::plan {

// Fills Move::estimate and Move::flags for every migration (new-VM placements cost nothing).
void estimate_plan_costs(const model::Fleet& fleet, std::vector<Move>& moves,
                         const model::MigrationCostConfig& cfg);

// One VM's migration from `source` to `target` at a bandwidth of `bw_mibps` (its share of the
// hosts'), with `mem_mib` to copy: within a site, or across sites (disk, WAN, reconfiguration).
model::MigrationEstimate estimate_move(const model::Fleet& fleet, int32_t vm, int32_t source,
                                       int32_t target, double bw_mibps, double mem_mib,
                                       const model::MigrationCostConfig& cfg);

// The bandwidth the planner assumes when it admits a move: its share of the host's when the
// host runs as many migrations as the wave limits allow (so the estimate after wave assembly is
// no worse).
double admission_bandwidth(const model::MigrationCostConfig& cfg, int32_t max_per_host);

}  // namespace fp::plan
