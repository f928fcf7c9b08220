#include <algorithm>
#include <string>

#include "src/model/placement_state.hpp"
#include "src/plan/passes.hpp"

namespace fp::plan::detail {

using model::Resources;

namespace {

enum class Offload { kMoved, kExcluded, kBudgetHit };

// Moves one VM off a hot host to the placement's choice. A VM that may not move or finds no
// room joins `exclude`, so the selection is asked again without it.
Offload offload(PlannerState& s, int32_t vm, std::vector<int32_t>& exclude, bool power_on) {
    if (!s.movable(vm)) {
        exclude.push_back(vm);
        return Offload::kExcluded;
    }
    if (!s.within_budget(1, s.mem_of(vm))) return Offload::kBudgetHit;
    auto t = s.choose(vm, power_on);
    if (!t) {
        exclude.push_back(vm);
        return Offload::kExcluded;
    }
    s.record(vm, *t, MoveReason::kHotspot);
    return Offload::kMoved;
}

}  // namespace

// Relieves the trigger's hot spots first, then any other host above max-util (the plan
// guarantees max-util whatever the trigger's thresholds).
void relieve_hotspots(PlannerState& s, std::vector<int32_t> hot, PhaseTimes& times, Stopwatch& sw) {
    std::vector<uint8_t> listed(s.allowed_.size(), 0);
    for (int32_t h : hot) listed[static_cast<size_t>(h)] = 1;
    for (int32_t h : s.state_.hosts_by_id())
        if (!listed[static_cast<size_t>(h)] && s.state_.overloaded(h)) hot.push_back(h);
    for (int32_t h : hot) {
        if (s.evac_[static_cast<size_t>(h)] || s.off_[static_cast<size_t>(h)]) continue;
        // The global step takes up only hosts whose shard handed it VMs to move.
        if (s.opt_.phase == Phase::kGlobal &&
            std::none_of(s.state_.vms_on(h).begin(), s.state_.vms_on(h).end(),
                         [&](int32_t vm) { return s.movable(vm); }))
            continue;
        std::vector<int32_t> exclude, over_limits;
        for (int32_t vm : s.state_.vms_on(h)) {
            if (s.frozen_[static_cast<size_t>(vm)]) {
                exclude.push_back(vm);
            } else if (!s.acceptable_at_home(vm)) {
                over_limits.push_back(vm);
            }
        }
        bool budget_hit = false;
        // The selection first chooses among the VMs whose moves stay within the migration
        // limits; only if that cannot relieve the host, among all (those moves are flagged).
        std::vector<int32_t> ex = exclude;
        ex.insert(ex.end(), over_limits.begin(), over_limits.end());
        for (int pass = 0; pass < 2 && s.state_.overloaded(h) && !budget_hit; ++pass) {
            if (pass == 1 && over_limits.empty()) break;
            if (pass == 1) ex = exclude;
            while (s.state_.overloaded(h) && !budget_hit) {
                const std::vector<int32_t> chosen =
                    s.pol_.selection->select(s.state_, h, ex, s.ctx_);
                times.select += sw.lap();
                if (chosen.empty()) break;
                for (int32_t vm : chosen) {
                    if (!s.state_.overloaded(h)) break;
                    const Offload r = offload(s, vm, ex, /*power_on=*/true);
                    budget_hit = r == Offload::kBudgetHit;
                    if (r != Offload::kMoved) break;  // ask the selection again without it
                }
                times.place += sw.lap();
            }
        }
        exclude = std::move(ex);  // proactive relief below prefers moves within the limits too
        // Proactive relief: the trigger may flag a host below max-util (a rising trend, a
        // forecast); VMs leave one at a time, as the selection ranks them, until it no
        // longer does (CloudSim's loop). Never onto a switched-off host.
        for (int guard = 0;
             s.opt_.phase != Phase::kGlobal && !budget_hit && !s.state_.overloaded(h) &&
             guard < 64 && s.pol_.trigger->is_hot(s.state_, h, s.ctx_);
             ++guard) {
            const Resources saved = s.state_.limit(h);
            Resources tight = saved;
            int dim = 0;
            for (int d = 1; d < model::kDims; ++d)
                if (s.state_.util(h, d) > s.state_.util(h, dim)) dim = d;
            tight[dim] = std::min(saved[dim], s.state_.load(h)[dim] - 1);
            s.state_.set_limit(h, tight);
            const std::vector<int32_t> chosen =
                s.pol_.selection->select(s.state_, h, exclude, s.ctx_);
            s.state_.set_limit(h, saved);
            times.select += sw.lap();
            if (chosen.empty()) break;
            budget_hit =
                offload(s, chosen.front(), exclude, /*power_on=*/false) == Offload::kBudgetHit;
            times.place += sw.lap();
        }
        if (s.state_.overloaded(h) && s.opt_.phase == Phase::kLocal) {
            // Another shard may have room: hand every VM that may still move to the global
            // step, whose selection policy picks among them again.
            for (int32_t vm : s.state_.vms_on(h))
                if (s.movable(vm)) s.plan_.deferred.push_back(vm);
            continue;
        }
        if (s.state_.overloaded(h)) {
            std::string dims;
            for (int d = 0; d < model::kDims; ++d)
                if (s.state_.load(h)[d] > s.state_.limit(h)[d])
                    dims += std::string(dims.empty() ? "" : ",") +
                            model::kDimNames[static_cast<size_t>(d)];
            // Name the VMs that fit no host at all: no plan can relieve the host of them.
            std::string too_large;
            for (int32_t vm : s.state_.vms_on(h))
                if (!s.may_fit_somewhere(vm))
                    too_large += std::string(too_large.empty() ? "" : "; ") + "VM " +
                                 s.fleet_.vms[static_cast<size_t>(vm)].id + " (" +
                                 describe_demand(s.state_.demand(vm)) +
                                 ") is larger than any usable host at max-util";
            // VMs the previous plan moved may not move again yet: say so, it may be why.
            int64_t cooling = 0;
            for (int32_t vm : s.state_.vms_on(h)) cooling += s.frozen_[static_cast<size_t>(vm)];
            const std::string cooldown =
                cooling == 0 ? ""
                             : "; " + std::to_string(cooling) +
                                   " of its VMs are in cooldown (moved by the previous "
                                   "plan) and may not move yet";
            s.plan_.unresolved.push_back(
                {h, -1,
                 "still above max-util in " + dims +
                     (budget_hit ? ": migration budget exhausted"
                                 : ": no other host can take enough of its VMs") +
                     (too_large.empty() ? "" : " (" + too_large + ")") + cooldown});
        }
    }
}

}  // namespace fp::plan::detail
