// `planner`: the simulator runs fleetplan's own planner (plan/planner.hpp) with the configured
// trigger, selection and placement policies at every boundary. The fleet it plans on is the
// simulated one at that moment: each VM's CPU demand from its trace, its memory from the trace's
// mem column when there is one (the largest of its last [sim] planner_mem_window samples; else
// vms.csv's), network as in vms.csv, and the utilisation history the simulation has seen so far
// (for forecasting triggers). VMs in flight count on their target and stay put; a VM whose last
// migration started less than the plan's cooldown_s ago stays put (placing a new VM is no move).
// Of the resulting plan ([sim] planner_waves): `chained` carries the waves out in order as
// `dispatch` would, each once the one before has ended, until the next boundary (Move::wave);
// `first` starts the first wave only. What has not started by the next boundary is planned
// again there on fresher demand. New
// VMs are placed the same way at time 0, each asking for its size in CPU (all its cores), not its
// first sample; one whose size fits no host at max-util asks for its current demand instead. The
// planning horizon ([sim] planner_horizon) bounds how much of that plan is made: `whole` plans
// every move; `first-wave` lets the planner decide at most waves.max_total² migrations (256 at the
// default 16 per wave; lower if [plan] budget_migrations is lower), i.e. the planner's migration
// budget. Not a truncation of the whole plan: under the
// budget a drain that does not fit is skipped and a later, smaller one tried, so the first wave may
// differ. With goal consolidate the budget also selects the cheapest-first drain instead of the
// global repack. Thread-safety: one chain per engine. Determinism: the planner's.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "src/model/fleet.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"
#include "src/sim/engine.hpp"

namespace fp::sim {

enum class PlannerHorizon { kWhole, kFirstWave };
enum class PlannerWaves { kChained, kFirst };

// "chained" or "first"; nullopt for any other name.
std::optional<PlannerWaves> parse_planner_waves(std::string_view name);
inline constexpr const char* kPlannerWavesNames = "chained, first";

// "whole" or "first-wave"; nullopt for any other name.
std::optional<PlannerHorizon> parse_planner_horizon(std::string_view name);
inline constexpr const char* kPlannerHorizonNames = "whole, first-wave";

// The migration budget the chain gives the planner under `horizon` (-1: none).
int64_t horizon_budget(PlannerHorizon horizon, const plan::PlanOptions& options);

// `fleet` is the fleet as read, in the scenario's host and VM order (indices match).
// `mem_window` ([sim] planner_mem_window): a VM with a memory trace demands the largest memory
// of its last mem_window samples (1: its current demand).
std::unique_ptr<Chain> make_planner_chain(model::Fleet fleet, plan::PlanOptions options,
                                          policy::PolicySet policies,
                                          PlannerHorizon horizon = PlannerHorizon::kWhole,
                                          int32_t mem_window = 1,
                                          PlannerWaves waves = PlannerWaves::kChained);

}  // namespace fp::sim
