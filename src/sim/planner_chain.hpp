// `planner`: the simulator runs fleetplan's own planner (plan/planner.hpp) with the configured
// trigger, selection and placement policies at every boundary. The fleet it plans on is the
// simulated one at that moment: each VM's CPU demand from its trace, memory and network as in
// vms.csv, and the utilisation history the simulation has seen so far (for forecasting triggers).
// VMs in flight count on their target and stay put; a VM moved less than the plan's cooldown_s
// ago stays put. Of the resulting plan, the first wave starts now; the rest is planned again at
// the next boundary on fresher demand. New VMs are placed the same way at time 0.
// Thread-safety: one chain per engine. Determinism: the planner's.
#pragma once

#include <memory>

#include "src/model/fleet.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"
#include "src/sim/engine.hpp"

namespace fp::sim {

// `fleet` is the fleet as read, in the scenario's host and VM order (indices match).
std::unique_ptr<Chain> make_planner_chain(model::Fleet fleet, plan::PlanOptions options,
                                          policy::PolicySet policies);

}  // namespace fp::sim
