// Test helpers: plan a small fleet with the default policies, find a VM's move.
#pragma once

#include <string>

#include "src/plan/planner.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::testing {

inline plan::Plan plan_goal(const model::Fleet& f, plan::Goal goal, plan::PlanOptions o = {}) {
    o.goal = goal;
    plan::PhaseTimes t;
    return plan::make_plan(f, o, policies(), t);
}

// The move of the VM with this id, nullptr when the plan does not move it.
inline const plan::Move* move_of(const model::Fleet& f, const plan::Plan& p,
                                 const std::string& vm) {
    for (const plan::Move& m : p.moves)
        if (f.vms[static_cast<size_t>(m.vm)].id == vm) return &m;
    return nullptr;
}

}  // namespace fp::testing
