#include "src/plan/passes.hpp"

namespace fp::plan::detail {

using model::kNoHost;

void evacuate(PlannerState& s, const std::vector<int32_t>& hosts) {
    for (int32_t h : hosts) {
        std::vector<int32_t> vms = s.state_.vms_on(h);
        s.sort_decreasing(vms);
        for (int32_t vm : vms) {
            // The global step moves only the shards' leftovers, never the pinned rest.
            if (s.opt_.phase == Phase::kGlobal && s.frozen_[static_cast<size_t>(vm)]) continue;
            if (!s.within_budget(1, s.mem_of(vm))) {
                s.must_move_failed(h, vm, [&] {
                    return "migration budget exhausted before VM " +
                           s.fleet_.vms[static_cast<size_t>(vm)].id + " could leave";
                });
                continue;
            }
            auto t = s.choose(vm, true);
            if (!t) {
                s.must_move_failed(h, vm,
                                   [&] { return "cannot evacuate: " + s.why_unplaceable(vm); });
                continue;
            }
            s.record(vm, *t, MoveReason::kEvacuate);
        }
    }
}

void place_new(PlannerState& s, std::vector<int32_t> vms) {
    s.sort_decreasing(vms);
    for (int32_t vm : vms) {
        // The global step places only the new VMs its shards deferred.
        if (s.opt_.phase == Phase::kGlobal && s.frozen_[static_cast<size_t>(vm)]) continue;
        auto t = s.choose(vm, true);
        if (!t) {
            s.must_move_failed(kNoHost, vm,
                               [&] { return "cannot place new VM: " + s.why_unplaceable(vm); });
            continue;
        }
        s.record(vm, *t, MoveReason::kNewVm);
    }
}

}  // namespace fp::plan::detail
