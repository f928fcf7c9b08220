// The fleet once a plan has been carried out (`fleetplan apply`): the input of the next plan
// when nobody collects the fleet again. Thread-safety: pure functions. Determinism: the result
// depends only on the arguments; hosts and VMs keep their order.
#pragma once

#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/plan.hpp"
#include "src/util/result.hpp"

namespace fp::plan {

// Whether a goal frees hosts to switch them off (consolidate and auto drain hosts for that);
// the others leave the hosts they happen to empty running.
bool powers_down_freed_hosts(Goal goal);

// `before` with `plan` carried out: every VM on its move's target (a new VM placed there; a VM
// without a move stays), each resize's allocation set, the hosts the plan switched on active,
// and, when the goal powers freed hosts down, every active host the plan emptied off. Hosts in
// maintenance and those in `evacuate` (indices of hosts given with --evacuate) keep their state.
// A plan that does not fit `before` (a move from a host the VM is not on, a VM moved twice, a
// target that is off and not switched on, a resize on a host the VM does not end on) is bad
// input; the message names the row ("/plan/moves row 3: ...") for the caller to prefix a file.
// The indices in `plan` and `evacuate` must be in range (read_checkpoint checks them).
Result<model::Fleet> fleet_after(const model::Fleet& before, const Plan& plan, Goal goal,
                                 const std::vector<int32_t>& evacuate);

}  // namespace fp::plan
