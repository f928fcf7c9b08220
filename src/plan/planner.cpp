#include "src/plan/planner.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "src/model/placement_state.hpp"
#include "src/plan/passes.hpp"
#include "src/plan/plan_costs.hpp"
#include "src/plan/planner_state.hpp"
#include "src/plan/schedule.hpp"
#include "src/util/assert.hpp"

namespace fp::plan::detail {

// ---- evacuate ----
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

// ---- separate ----
// Members of one anti-affinity group that already share a host: all but the one with the
// lowest id leave (to the placement policy's choice, which never reunites them).
void separate_anti_affinity(PlannerState& s) {
    // Domains (hosts, or racks) in the order of their first host by id.
    std::map<int32_t, size_t> slot;
    std::vector<std::vector<int32_t>> domains;
    for (int32_t h : s.state_.hosts_by_id()) {
        const auto [it, fresh] = slot.emplace(s.state_.anti_domain(h), domains.size());
        if (fresh) domains.emplace_back();
        domains[it->second].push_back(h);
    }
    const char* where = s.opt_.anti_scope == model::AntiScope::kRack ? "rack" : "host";
    for (const std::vector<int32_t>& hosts : domains) {
        std::vector<int32_t> vms;
        for (int32_t h : hosts)
            for (int32_t vm : s.state_.vms_on(h))
                if (s.state_.anti_id(vm) >= 0) vms.push_back(vm);
        std::sort(vms.begin(), vms.end(), [&](int32_t a, int32_t b) {
            return s.fleet_.vms[static_cast<size_t>(a)].id <
                   s.fleet_.vms[static_cast<size_t>(b)].id;
        });
        std::vector<int32_t> seen;
        for (int32_t vm : vms) {
            const int32_t g = s.state_.anti_id(vm);
            const int32_t h = s.state_.host_of(vm);
            if (std::find(seen.begin(), seen.end(), g) == seen.end()) {
                seen.push_back(g);
                continue;
            }
            const std::string shares = std::string("shares the ") + where +
                                       " with another member of anti_group '" +
                                       s.fleet_.vms[static_cast<size_t>(vm)].anti_group + "'";
            if (!s.movable(vm) || !s.within_budget(1, s.mem_of(vm))) {
                s.plan_.unresolved.push_back({h, vm, shares + " and may not move now"});
                continue;
            }
            auto t = s.choose(vm, true);
            if (!t) {
                s.plan_.unresolved.push_back({h, vm, shares + ": " + s.why_unplaceable(vm)});
                continue;
            }
            s.record(vm, *t, MoveReason::kAntiAffinity);
        }
    }
}

// ---- grow ----
using model::kNoHost;

// Local first: a VM allotted less than it asks for, on a host with room after the plan,
// grows its allocation in place (resize.csv) instead of moving.
void grow_allocations(PlannerState& s) {
    for (int32_t vm = 0; vm < s.state_.vm_count(); ++vm) {
        const model::Vm& v = s.fleet_.vms[static_cast<size_t>(vm)];
        const int32_t h = s.state_.host_of(vm);
        if (h == kNoHost || s.state_.overloaded(h)) continue;
        const bool cpu_short =
            v.cpu_alloc_millicores && *v.cpu_alloc_millicores < v.demand[model::kCpu];
        const bool mem_short = v.mem_alloc_kib && *v.mem_alloc_kib < v.demand[model::kMem];
        if (!cpu_short && !mem_short) continue;
        Resize r;
        r.vm = vm;
        r.host = h;
        r.cpu_alloc_millicores =
            std::max(v.cpu_alloc_millicores.value_or(0), v.demand[model::kCpu]);
        r.mem_alloc_kib = std::max(v.mem_alloc_kib.value_or(0), v.demand[model::kMem]);
        s.plan_.resizes.push_back(r);
    }
    std::sort(s.plan_.resizes.begin(), s.plan_.resizes.end(),
              [&](const Resize& a, const Resize& b) {
                  return s.fleet_.vms[static_cast<size_t>(a.vm)].id <
                         s.fleet_.vms[static_cast<size_t>(b.vm)].id;
              });
}

// ---- relieve ----
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

// ---- consolidate ----
using model::kNoHost;
using model::Resources;

namespace {

// A host's idle power when hosts.csv gives none (as pabfd assumes).
constexpr double kDefaultIdlePowerW = 100.0;

// Is emptying the host worth what copying its VMs away costs? The energy its idle power
// draws over the horizon against move_wh_per_gib per GiB of their memory.
bool worth_draining(const PlannerState& s, int32_t h) {
    const double idle_wh =
        s.fleet_.hosts[static_cast<size_t>(h)].power_idle_w.value_or(kDefaultIdlePowerW) *
        s.opt_.horizon_s / 3600.0;
    int64_t kib = 0;
    for (int32_t vm : s.state_.vms_on(h)) kib += s.mem_of(vm);
    const double gib = static_cast<double>(kib) / (1024.0 * 1024.0);
    return idle_wh > s.opt_.move_wh_per_gib * gib;
}

// Load relative to the largest host type: what draining the host would move.
double drain_key(const PlannerState& s, int32_t h) {
    const Resources& ref = s.state_.reference_capacity();
    double key = 0;
    for (int d = 0; d < model::kDims; ++d)
        if (ref[d] > 0)
            key += static_cast<double>(s.state_.load(h)[d]) / static_cast<double>(ref[d]);
    return key;
}

bool drainable(const PlannerState& s, int32_t h) {
    const size_t hi = static_cast<size_t>(h);
    return !s.evac_[hi] && !s.off_[hi] && !s.receiver_[hi] && !s.state_.vms_on(h).empty() &&
           !s.state_.overloaded(h);
}

// Sorts hosts by ascending drain key, ties by id.
void sort_by_drain_key(const PlannerState& s, std::vector<int32_t>& hosts) {
    std::vector<std::pair<double, int32_t>> keyed;
    for (int32_t h : hosts) keyed.emplace_back(drain_key(s, h), h);
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first
                                  : s.state_.id_rank(a.second) < s.state_.id_rank(b.second);
    });
    for (size_t i = 0; i < hosts.size(); ++i) hosts[i] = keyed[i].second;
}

// Moves every VM of h onto `targets`, or nothing: if one VM finds no room the tentative
// moves are undone. On success h leaves the targets.
bool drain(PlannerState& s, int32_t h, std::vector<uint8_t>& targets) {
    const size_t hi = static_cast<size_t>(h);
    std::vector<int32_t> vms = s.state_.vms_on(h);
    int64_t mem = 0;
    for (int32_t vm : vms) {
        mem += s.mem_of(vm);
        if (!s.optional_ok(vm)) return false;
    }
    if (!worth_draining(s, h)) return false;
    if (!s.within_budget(static_cast<int64_t>(vms.size()), mem)) return false;
    s.sort_decreasing(vms);
    const uint8_t was_target = targets[hi];
    targets[hi] = 0;
    std::vector<std::pair<int32_t, int32_t>> tentative;  // (vm, target)
    bool ok = true;
    for (int32_t vm : vms) {
        auto t = s.place(vm, targets, PlannerState::Work::kOptional, false);
        if (!t) {
            ok = false;
            break;
        }
        s.state_.move(vm, *t);
        tentative.emplace_back(vm, *t);
    }
    // Undo, then (on success) replay as recorded moves in the same order.
    for (auto it = tentative.rbegin(); it != tentative.rend(); ++it) s.state_.move(it->first, h);
    if (!ok) {
        targets[hi] = was_target;
        return false;
    }
    for (const auto& [vm, t] : tentative) s.record(vm, t, MoveReason::kConsolidate);
    return true;
}

// A consolidation move from a host that still runs VMs frees nothing: it is taken back (the
// VM stays home) wherever that keeps every move feasible in sequence.
void undo_partial_drains(PlannerState& s) {
    std::vector<int32_t> wasted;
    for (size_t k = 0; k < s.plan_.moves.size(); ++k) {
        const Move& m = s.plan_.moves[k];
        if (!s.dead_[k] && m.reason == MoveReason::kConsolidate && m.source != kNoHost &&
            !s.state_.vms_on(m.source).empty())
            wasted.push_back(m.vm);
    }
    for (auto it = wasted.rbegin(); it != wasted.rend(); ++it) {
        const int32_t vm = *it;
        const Move& m = s.plan_.moves[static_cast<size_t>(s.move_index_[static_cast<size_t>(vm)])];
        if (s.can_retarget(vm) && s.state_.fits(vm, m.source)) s.retarget(vm, m.source, m.reason);
    }
}

}  // namespace

// goal auto: drain the trigger's cold spots, emptiest first, into hosts that already run VMs
// (filling an empty host frees nothing).
void consolidate_cold(PlannerState& s, std::vector<int32_t> cold) {
    std::vector<uint8_t> targets(s.allowed_.size(), 0);
    for (int32_t h = 0; h < s.state_.host_count(); ++h)
        targets[static_cast<size_t>(h)] =
            s.allowed_[static_cast<size_t>(h)] && !s.state_.vms_on(h).empty();
    sort_by_drain_key(s, cold);
    for (int32_t h : cold)
        if (drainable(s, h)) drain(s, h, targets);
}

// goal consolidate under a budget: drain hosts in order of the memory their VMs would copy,
// least first, so the budget frees as many hosts as it can; targets are hosts already
// running VMs, and a drain that does not fit the remaining budget is skipped.
void consolidate_cheapest_first(PlannerState& s, std::vector<int32_t> hosts) {
    std::vector<uint8_t> targets(s.allowed_.size(), 0);
    for (int32_t h = 0; h < s.state_.host_count(); ++h)
        targets[static_cast<size_t>(h)] =
            s.allowed_[static_cast<size_t>(h)] && !s.state_.vms_on(h).empty();
    std::vector<std::pair<int64_t, int32_t>> keyed;
    for (int32_t h : hosts) {
        int64_t mem = 0;
        for (int32_t vm : s.state_.vms_on(h)) mem += s.mem_of(vm);
        keyed.emplace_back(mem, h);
    }
    std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
        return a.first != b.first ? a.first < b.first
                                  : s.state_.id_rank(a.second) < s.state_.id_rank(b.second);
    });
    // The hosts the budget can pay for are not targets: filling them would stop their drain.
    const double budget_kib = s.opt_.budget_mem_frac >= 0
                                  ? s.opt_.budget_mem_frac * static_cast<double>(s.total_mem_kib_) -
                                        static_cast<double>(s.moved_mem_kib_)
                                  : std::numeric_limits<double>::infinity();
    int64_t budget_moves = s.opt_.budget_migrations >= 0 ? s.opt_.budget_migrations - s.migrations_
                                                         : std::numeric_limits<int64_t>::max();
    double planned = 0;
    for (const auto& [mem, h] : keyed) {
        if (!drainable(s, h)) continue;
        const auto n = static_cast<int64_t>(s.state_.vms_on(h).size());
        if (planned + static_cast<double>(mem) > budget_kib || n > budget_moves) break;
        planned += static_cast<double>(mem);
        budget_moves -= n;
        targets[static_cast<size_t>(h)] = 0;
    }
    for (const auto& [mem, h] : keyed) {
        if (!drainable(s, h)) continue;
        if (!drain(s, h, targets)) targets[static_cast<size_t>(h)] = !s.state_.vms_on(h).empty();
    }
}

// goal consolidate: choose the hosts to keep — the largest first (ties: the most loaded, so
// fewer VMs move), until their limits cover the fleet's demand in every dimension — and pack
// every other VM into them, largest first: VMs of hosts being evacuated, new VMs and VMs of
// every host not kept. When a VM fits nowhere the next largest host joins the kept ones (its
// VMs stay); a running VM that still fits nowhere keeps its own host.
void consolidate_all(PlannerState& s, int keep_order, const std::vector<int32_t>& evac_hosts,
                     const std::vector<int32_t>& new_vms) {
    const Resources& ref = s.state_.reference_capacity();
    // How "large" a host is: its capacity relative to the largest host, per dimension,
    // weighted by the keep order: all dimensions alike, by the fleet's demand/capacity ratio
    // (the scarce dimension counts most), or the scarcest dimension alone.
    std::array<double, model::kDims> keep_weight{1.0, 1.0, 1.0};
    if (keep_order > 0) {
        const Resources demand = s.fleet_.total_demand();
        Resources cap;
        for (int32_t h = 0; h < s.state_.host_count(); ++h)
            if (s.allowed_[static_cast<size_t>(h)] || s.off_[static_cast<size_t>(h)])
                cap += s.state_.capacity(h);
        int scarce = 0;
        for (int d = 0; d < model::kDims; ++d) {
            keep_weight[static_cast<size_t>(d)] =
                cap[d] > 0 ? static_cast<double>(demand[d]) / static_cast<double>(cap[d]) : 0.0;
            if (keep_weight[static_cast<size_t>(d)] > keep_weight[static_cast<size_t>(scarce)])
                scarce = d;
        }
        if (keep_order == 2)
            for (int d = 0; d < model::kDims; ++d)
                keep_weight[static_cast<size_t>(d)] = d == scarce ? 1.0 : 0.0;
    }
    std::vector<std::pair<double, int32_t>> by_size;
    for (int32_t h = 0; h < s.state_.host_count(); ++h) {
        // Off hosts may be switched on when that lets more, smaller hosts go.
        if (!s.allowed_[static_cast<size_t>(h)] && !s.off_[static_cast<size_t>(h)]) continue;
        double size = 0;
        for (int d = 0; d < model::kDims; ++d)
            if (ref[d] > 0)
                size += keep_weight[static_cast<size_t>(d)] *
                        static_cast<double>(s.state_.capacity(h)[d]) / static_cast<double>(ref[d]);
        by_size.emplace_back(size, h);
    }
    std::sort(by_size.begin(), by_size.end(), [&](const auto& a, const auto& b) {
        if (a.first != b.first) return a.first > b.first;
        const double la = drain_key(s, a.second), lb = drain_key(s, b.second);
        if (la != lb) return la > lb;
        return s.state_.id_rank(a.second) < s.state_.id_rank(b.second);
    });
    // The demand to cover: every VM that fits some host (one larger than any host at
    // max-util is unresolved, or keeps its own host, whatever is kept).
    Resources total;
    for (int32_t vm = 0; vm < s.state_.vm_count(); ++vm)
        if (s.may_fit_somewhere(vm)) total += s.state_.demand(vm);
    std::vector<uint8_t>& targets = s.kept_;
    targets.assign(s.allowed_.size(), 0);
    Resources covered;
    std::vector<Resources> site_covered(static_cast<size_t>(s.sites_));
    auto keep = [&](int32_t h) {
        targets[static_cast<size_t>(h)] = 1;
        covered += s.state_.limit(h);
        site_covered[static_cast<size_t>(s.site_of_[static_cast<size_t>(h)])] += s.state_.limit(h);
    };
    // Hosts that stay whatever the packing: emptying them is not worth its migrations, or
    // one of their VMs may not move (cooldown, or a move beyond the migration limits).
    for (const auto& [size, h] : by_size) {
        if (!s.allowed_[static_cast<size_t>(h)] || s.state_.vms_on(h).empty()) continue;
        bool pinned = !worth_draining(s, h);
        for (int32_t vm : s.state_.vms_on(h)) pinned = pinned || !s.optional_ok(vm);
        if (pinned) keep(h);
    }
    // With site boundaries, each site keeps enough of its own largest hosts for the VMs
    // bound to it; then the largest hosts anywhere until the fleet's demand is covered.
    if (s.opt_.cross_site != CrossSite::kAllow && s.sites_ > 1) {
        std::vector<Resources> site_demand(static_cast<size_t>(s.sites_));
        for (int32_t vm = 0; vm < s.state_.vm_count(); ++vm) {
            const int32_t h = s.fleet_.vms[static_cast<size_t>(vm)].host;
            if (h == kNoHost || !s.may_fit_somewhere(vm) ||
                (s.opt_.cross_site == CrossSite::kEvacuations && s.evac_[static_cast<size_t>(h)]))
                continue;
            site_demand[static_cast<size_t>(s.site_of_[static_cast<size_t>(h)])] +=
                s.state_.demand(vm);
        }
        for (const auto& [size, h] : by_size) {
            const auto site = static_cast<size_t>(s.site_of_[static_cast<size_t>(h)]);
            if (!targets[static_cast<size_t>(h)] &&
                !site_demand[site].fits_within(site_covered[site]))
                keep(h);
        }
    }
    for (const auto& [size, h] : by_size) {
        if (total.fits_within(covered)) break;
        if (!targets[static_cast<size_t>(h)]) keep(h);
    }
    // The next largest host not yet kept, of one site (-1: of any), when a VM fits nowhere.
    std::vector<size_t> cursor(static_cast<size_t>(s.sites_) + 1, 0);
    auto open_next = [&](int32_t site) -> int32_t {
        size_t& c = cursor[site < 0 ? static_cast<size_t>(s.sites_) : static_cast<size_t>(site)];
        while (c < by_size.size()) {
            const int32_t h = by_size[c++].second;
            if (targets[static_cast<size_t>(h)]) continue;
            if (site >= 0 && s.site_of_[static_cast<size_t>(h)] != site) continue;
            return h;
        }
        return kNoHost;
    };
    std::vector<uint8_t> must_move(s.fleet_.vms.size(), 0);
    std::vector<int32_t> pool;
    for (int32_t h : evac_hosts)
        for (int32_t vm : s.state_.vms_on(h)) {
            pool.push_back(vm);
            must_move[static_cast<size_t>(vm)] = 1;
        }
    for (int32_t vm : new_vms) {
        pool.push_back(vm);
        must_move[static_cast<size_t>(vm)] = 1;
    }
    for (const auto& [size, h] : by_size)
        if (!targets[static_cast<size_t>(h)])
            for (int32_t vm : s.state_.vms_on(h)) pool.push_back(vm);
    // Kept hosts above max-util shed what the selection policy picks into the same packing,
    // so their excess lands on kept hosts with room rather than on freed ones.
    std::vector<uint8_t> shed(s.fleet_.vms.size(), 0);
    for (const auto& [size, h] : by_size) {
        if (!targets[static_cast<size_t>(h)] || !s.state_.overloaded(h)) continue;
        std::vector<int32_t> exclude;
        for (int32_t vm : s.state_.vms_on(h))
            if (s.frozen_[static_cast<size_t>(vm)]) exclude.push_back(vm);
        for (int32_t vm : s.pol_.selection->select(s.state_, h, exclude, s.ctx_)) {
            pool.push_back(vm);
            shed[static_cast<size_t>(vm)] = 1;
        }
    }
    s.sort_decreasing(pool);
    for (int32_t vm : pool) {
        const int32_t src = s.state_.host_of(vm);
        const bool forced = must_move[static_cast<size_t>(vm)];
        if (shed[static_cast<size_t>(vm)]) {
            // Leaves a hot kept host if a kept host has room; else the hot-spot pass decides.
            if (!s.state_.overloaded(src) || !s.within_budget(1, s.mem_of(vm))) continue;
            if (auto t = s.place(vm, targets, PlannerState::Work::kMandatory, false))
                s.record(vm, *t, MoveReason::kHotspot);
            continue;
        }
        if (!forced && targets[static_cast<size_t>(src)]) continue;  // its host was kept
        if (src != kNoHost && !s.within_budget(1, s.mem_of(vm))) {
            if (forced) {
                s.plan_.unresolved.push_back({src, vm,
                                              "migration budget exhausted before VM " +
                                                  s.fleet_.vms[static_cast<size_t>(vm)].id +
                                                  " could leave"});
            } else {
                targets[static_cast<size_t>(src)] = 1;
            }
            continue;
        }
        // A VM that fits no host even empty opens no more hosts in vain.
        const bool may_fit = s.may_fit_somewhere(vm);
        const PlannerState::Work work =
            forced ? PlannerState::Work::kMandatory : PlannerState::Work::kOptional;
        auto t = may_fit ? s.place(vm, targets, work, false) : std::nullopt;
        while (may_fit && !t) {
            const int32_t h = open_next(s.home_site(vm));
            if (h == kNoHost) break;
            targets[static_cast<size_t>(h)] = 1;
            if (!forced && h == src) break;  // its own host is kept now
            t = s.place(vm, targets, work, false);
        }
        // An evacuated VM whose site is full may leave it where cross_site allows.
        if (may_fit && !t && forced && s.may_cross(vm)) {
            t = s.place(vm, targets, work, true);
            while (!t) {
                const int32_t h = open_next(-1);
                if (h == kNoHost) break;
                targets[static_cast<size_t>(h)] = 1;
                t = s.place(vm, targets, work, true);
            }
        }
        if (t) {
            s.record(vm, *t,
                     src == kNoHost ? MoveReason::kNewVm
                     : forced       ? MoveReason::kEvacuate
                                    : MoveReason::kConsolidate);
        } else if (forced) {
            s.must_move_failed(src, vm, [&] {
                return (src == kNoHost ? "cannot place new VM: " : "cannot evacuate: ") +
                       s.why_unplaceable(vm);
            });
        } else {
            targets[static_cast<size_t>(src)] = 1;
        }
    }
    undo_partial_drains(s);
}

// Drains kept hosts, emptiest first, into the other kept hosts.
void drain_kept(PlannerState& s) {
    std::vector<int32_t> kept;
    for (int32_t h = 0; h < s.state_.host_count(); ++h)
        if (s.kept_[static_cast<size_t>(h)] && !s.state_.vms_on(h).empty()) kept.push_back(h);
    sort_by_drain_key(s, kept);
    for (int32_t h : kept)
        if (drainable(s, h)) drain(s, h, s.kept_);
}

// ---- balance ----
using model::kNoHost;

// Moves single VMs from the most to the least utilised host while that lowers the higher of
// the two, until the spread is within the tolerance.
void balance(PlannerState& s) {
    std::vector<uint8_t> stuck(s.allowed_.size(), 0);
    const int64_t max_iterations = static_cast<int64_t>(s.fleet_.vms.size()) * 2 + 16;
    int64_t it = 0;
    // Hosts by utilisation, most used first (ties: id order). Utilisation only changes
    // with a move, and then only at its two hosts, which are put back in place: a round
    // offers hosts in this order until one has a useful move.
    std::vector<std::pair<double, int32_t>> order;  // (utilisation, host)
    auto before = [&](const std::pair<double, int32_t>& a, const std::pair<double, int32_t>& b) {
        if (a.first != b.first) return a.first > b.first;
        return s.state_.id_rank(a.second) < s.state_.id_rank(b.second);
    };
    for (int32_t h : s.state_.hosts_by_id())
        if (s.allowed_[static_cast<size_t>(h)]) order.emplace_back(s.state_.max_util(h), h);
    std::stable_sort(order.begin(), order.end(), before);
    auto reposition = [&](int32_t h) {
        auto at =
            std::find_if(order.begin(), order.end(), [&](const auto& e) { return e.second == h; });
        if (at == order.end()) return;
        order.erase(at);
        const std::pair<double, int32_t> e{s.state_.max_util(h), h};
        order.insert(std::upper_bound(order.begin(), order.end(), e, before), e);
    };
    // With site boundaries each site is balanced within itself.
    const bool per_site = s.opt_.cross_site != CrossSite::kAllow && s.sites_ > 1;
    const size_t groups = per_site ? static_cast<size_t>(s.sites_) : 1;
    std::vector<int32_t> lo_hosts(groups);
    std::vector<double> lo_us(groups);
    for (bool moved = true; moved && it < max_iterations;) {
        moved = false;
        // The least utilised host of each site (ties: id order); never one at 200% or more.
        std::fill(lo_hosts.begin(), lo_hosts.end(), kNoHost);
        std::fill(lo_us.begin(), lo_us.end(), 2.0);
        for (const auto& [u, h] : order) {
            const size_t g = per_site ? static_cast<size_t>(s.site_of_[static_cast<size_t>(h)]) : 0;
            if (u < lo_us[g] || (u == lo_us[g] && lo_hosts[g] != kNoHost &&
                                 s.state_.id_rank(h) < s.state_.id_rank(lo_hosts[g]))) {
                lo_us[g] = u;
                lo_hosts[g] = h;
            }
        }
        for (size_t k = 0; k < order.size(); ++k) {
            const double hi_u = order[k].first;
            const int32_t hi_host = order[k].second;
            const size_t g =
                per_site ? static_cast<size_t>(s.site_of_[static_cast<size_t>(hi_host)]) : 0;
            const int32_t lo_host = lo_hosts[g];
            const double lo_u = lo_us[g];
            if (lo_host == kNoHost || hi_host == lo_host) continue;
            if (hi_u - lo_u <= s.opt_.balance_tolerance) continue;
            if (stuck[static_cast<size_t>(hi_host)]) continue;
            if (it++ >= max_iterations) break;
            int32_t best_vm = -1;
            double best_score = 0;
            // A move must lower the pair's peak by at least the minimum gain (no ping-pong);
            // among those, the most gain per GiB copied wins.
            const double must_reach = hi_u - s.opt_.balance_min_gain;
            for (int32_t vm : s.state_.vms_on(hi_host)) {
                const bool again = s.moved_[static_cast<size_t>(vm)] != 0;
                if (again ? !s.can_retarget(vm) : !s.movable(vm)) continue;
                if (!s.state_.fits(vm, lo_host)) continue;
                if (s.home_site(vm) >= 0 &&
                    (!s.acceptable(vm, s.site_of_[static_cast<size_t>(lo_host)]) ||
                     (per_site && s.home_site(vm) != s.site_of_[static_cast<size_t>(lo_host)])))
                    continue;
                if (!again && !s.within_budget(1, s.mem_of(vm))) continue;
                if (!again && s.opt_.balance_mem_frac >= 0 &&
                    static_cast<double>(s.moved_mem_kib_ + s.mem_of(vm)) >
                        s.opt_.balance_mem_frac * static_cast<double>(s.total_mem_kib_))
                    continue;
                double src_after = 0, dst_after = 0;
                for (int d = 0; d < model::kDims; ++d) {
                    const double cs = static_cast<double>(s.state_.capacity(hi_host)[d]);
                    const double cd = static_cast<double>(s.state_.capacity(lo_host)[d]);
                    const double dem = static_cast<double>(s.state_.demand(vm)[d]);
                    src_after = std::max(
                        src_after, (static_cast<double>(s.state_.load(hi_host)[d]) - dem) / cs);
                    dst_after = std::max(
                        dst_after, (static_cast<double>(s.state_.load(lo_host)[d]) + dem) / cd);
                }
                const double after = std::max(src_after, dst_after);
                if (after >= must_reach - 1e-12) continue;
                const double gib =
                    std::max(1.0, static_cast<double>(s.mem_of(vm)) / (1024.0 * 1024.0));
                const double score = (hi_u - after) / gib;
                if (score > best_score + 1e-15) {
                    best_score = score;
                    best_vm = vm;
                }
            }
            if (best_vm < 0) {
                stuck[static_cast<size_t>(hi_host)] = 1;
                continue;
            }
            if (s.moved_[static_cast<size_t>(best_vm)]) {
                s.retarget(best_vm, lo_host, MoveReason::kBalance);
            } else {
                s.record(best_vm, lo_host, MoveReason::kBalance);
            }
            // The least utilised host changed: every host may have a useful move again.
            std::fill(stuck.begin(), stuck.end(), 0);
            reposition(hi_host);
            reposition(lo_host);
            moved = true;
            break;
        }
    }
}

}  // namespace fp::plan::detail

namespace fp::plan {
namespace {

using detail::PlannerState;
using detail::Stopwatch;

// One plan: which passes run, in which order, for the goal and phase of `opt`. keep_order
// ranks the hosts goal consolidate keeps (see detail::consolidate_all).
Plan run(const model::Fleet& fleet, const PlanOptions& opt, const policy::PolicySet& pol,
         PhaseTimes& times, int keep_order = 0) {
    PlannerState s(fleet, opt, pol);
    Stopwatch sw;
    // detect: what needs doing
    std::vector<int32_t> evac_hosts;
    for (int32_t h : s.state_.hosts_by_id())
        if (s.evac_[static_cast<size_t>(h)] && !s.state_.vms_on(h).empty()) evac_hosts.push_back(h);
    std::vector<int32_t> new_vms;
    for (int32_t v = 0; v < s.state_.vm_count(); ++v)
        if (fleet.vms[static_cast<size_t>(v)].is_new()) new_vms.push_back(v);
    times.detect += sw.lap();

    const bool budgeted =
        opt.budget_migrations >= 0 || opt.budget_mem_frac >= 0 || opt.budget_mem_kib >= 0;
    if (opt.phase == Phase::kGlobal) {
        // The shards' leftovers: VMs still to leave evacuated hosts, new VMs, and hosts still
        // above max-util; every host of the fleet may take them.
        evacuate(s, evac_hosts);
        place_new(s, new_vms);
        times.place += sw.lap();
        relieve_hotspots(s, {}, times, sw);
        times.place += sw.lap();
    } else if (opt.goal == Goal::kConsolidate && !budgeted) {
        // One global repack does evacuation, new VMs, hot hosts that are not kept, and
        // consolidation at once; then the kept hosts' hot spots; then a last drain pass.
        consolidate_all(s, keep_order, evac_hosts, new_vms);
        separate_anti_affinity(s);
        times.place += sw.lap();
        const policy::TriggerResult trig = pol.trigger->evaluate(s.state_, s.ctx_);
        times.detect += sw.lap();
        relieve_hotspots(s, trig.hot, times, sw);
        drain_kept(s);
        times.place += sw.lap();
    } else {
        // Mandatory moves first (evacuation, new VMs), then hot spots, then the goal.
        evacuate(s, evac_hosts);
        place_new(s, new_vms);
        separate_anti_affinity(s);
        times.place += sw.lap();
        const policy::TriggerResult trig = pol.trigger->evaluate(s.state_, s.ctx_);
        times.detect += sw.lap();
        relieve_hotspots(s, trig.hot, times, sw);
        if (opt.goal == Goal::kConsolidate) {
            // Under a budget: free the hosts that are cheapest to empty first.
            std::vector<int32_t> all;
            for (int32_t h = 0; h < s.state_.host_count(); ++h)
                if (!s.state_.vms_on(h).empty()) all.push_back(h);
            consolidate_cheapest_first(s, std::move(all));
            times.place += sw.lap();
        } else if (opt.goal == Goal::kAuto) {
            // Only the trigger's cold spots, re-evaluated after the mandatory moves.
            std::vector<int32_t> cold = pol.trigger->evaluate(s.state_, s.ctx_).cold;
            times.detect += sw.lap();
            consolidate_cold(s, std::move(cold));
            times.place += sw.lap();
        } else if (opt.goal == Goal::kBalance) {
            balance(s);
            times.place += sw.lap();
        }
    }

    // Drop the tombstones of retargeted moves (the order of the rest is kept).
    s.drop_retargeted();
    if (opt.phase != Phase::kGlobal) grow_allocations(s);
    std::sort(s.plan_.powered_on.begin(), s.plan_.powered_on.end(),
              [&](int32_t a, int32_t b) { return s.state_.id_rank(a) < s.state_.id_rank(b); });
    s.plan_.migrations = s.migrations_;
    s.plan_.moved_mem_kib = s.moved_mem_kib_;
    times.resolve += sw.lap();
    return std::move(s.plan_);
}

// Output order: by step, then VM id (a VM moves at most once, so the order is total). Sorts
// small keys holding each id's first 16 bytes (big-endian, zero-padded: a prefix that differs
// orders the ids as std::string does), comparing whole ids only when those are equal, then
// puts the moves in that order: no string compare through the VM table per comparison, no
// 80-byte moves shuffled by the sort.
void sort_for_output(const model::Fleet& fleet, std::vector<Move>& moves) {
    struct Key {
        int32_t step;
        uint32_t index;
        uint64_t head, tail;
    };
    auto pack = [](std::string_view id, size_t from) {
        uint64_t x = 0;
        for (size_t i = from; i < from + 8; ++i)
            x = (x << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
        return x;
    };
    auto id_of = [&](const Key& k) -> const std::string& {
        return fleet.vms[static_cast<size_t>(moves[k.index].vm)].id;
    };
    std::vector<Key> keys(moves.size());
    for (size_t i = 0; i < moves.size(); ++i) {
        const std::string_view id = fleet.vms[static_cast<size_t>(moves[i].vm)].id;
        keys[i] = {moves[i].step, static_cast<uint32_t>(i), pack(id, 0), pack(id, 8)};
    }
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
        if (a.step != b.step) return a.step < b.step;
        if (a.head != b.head) return a.head < b.head;
        if (a.tail != b.tail) return a.tail < b.tail;
        return id_of(a) < id_of(b);
    });
    std::vector<Move> sorted;
    sorted.reserve(moves.size());
    for (const Key& k : keys) sorted.push_back(moves[k.index]);
    moves = std::move(sorted);
}

// Waves, cost estimates, output order and start times; returns the estimated makespan.
double assemble(const model::Fleet& fleet, std::vector<Move>& moves, const PlanOptions& options) {
    assign_waves(fleet, moves, options.waves, options.anti_scope);
    estimate_plan_costs(fleet, moves, options.cost);
    sort_for_output(fleet, moves);
    return schedule_moves(moves, options.waves);
}

// Is the subsequence `keep` of `decisions` (in decision order) still feasible move by move?
// Each kept move's target must hold its arrival within max-util, or within what it held at
// that point of the whole sequence. When a kept move no longer fits because an earlier move
// that left its target was dropped, those departures are kept too (a dependency, not a choice),
// and the replay starts again. False only if that cannot make it feasible.
bool close_dependencies(const model::Fleet& fleet, const std::vector<Move>& decisions,
                        std::vector<uint8_t>& keep, int64_t max_util_ppm) {
    const size_t n = decisions.size();
    const std::vector<model::Resources> base = fleet.host_loads();
    std::vector<model::Resources> allowed(n);  // per move: what its target may hold after it
    {
        std::vector<model::Resources> load = base;
        for (size_t i = 0; i < n; ++i) {
            const Move& m = decisions[i];
            const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
            if (m.source >= 0) load[static_cast<size_t>(m.source)] -= dem;
            load[static_cast<size_t>(m.target)] += dem;
            const model::Resources lim =
                model::limit_at(fleet.hosts[static_cast<size_t>(m.target)].capacity, max_util_ppm);
            for (int d = 0; d < model::kDims; ++d)
                allowed[i][d] = std::max(lim[d], load[static_cast<size_t>(m.target)][d]);
        }
    }
    while (true) {
        std::vector<model::Resources> load = base;
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; ++i) {
            if (!keep[i]) continue;
            const Move& m = decisions[i];
            const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
            if (m.source >= 0) load[static_cast<size_t>(m.source)] -= dem;
            load[static_cast<size_t>(m.target)] += dem;
            if (!load[static_cast<size_t>(m.target)].fits_within(allowed[i])) bad = i;
        }
        if (bad == n) return true;
        bool added = false;
        for (size_t j = 0; j < bad; ++j)
            if (!keep[j] && decisions[j].source == decisions[bad].target) {
                keep[j] = 1;
                added = true;
            }
        if (!added) return false;
    }
}

// --window: the plan's mandatory moves, then as much optional work as keeps the estimated
// schedule within the window. Optional work comes in units: a consolidation drains hosts, so
// the moves off one host are one unit (cheapest hosts first, by estimated migration seconds);
// a balance move is a unit of its own (in decision order, the most useful first). The largest
// number of units that fits is found by bisection (the makespan grows with the units kept).
void fit_window(const model::Fleet& fleet, Plan& plan, std::vector<Move> decisions,
                const PlanOptions& options) {
    const size_t n = decisions.size();
    std::vector<double> seconds(fleet.vms.size(), 0.0);
    for (const Move& m : plan.moves) seconds[static_cast<size_t>(m.vm)] = m.estimate.seconds;
    // A consolidation also empties hosts that were above max-util. Of the moves off such a
    // host, the quickest that bring it under max-util are relief and never cut; the rest drain
    // it like any other host.
    std::vector<uint8_t> relief(n, 0);
    {
        std::vector<model::Resources> load = fleet.host_loads();
        std::vector<std::vector<size_t>> off(fleet.hosts.size());
        for (size_t i = 0; i < n; ++i) {
            const Move& m = decisions[i];
            if (!is_mandatory(m.reason) && m.source >= 0)
                off[static_cast<size_t>(m.source)].push_back(i);
        }
        for (const Move& m : decisions)  // mandatory departures relieve it first
            if (is_mandatory(m.reason) && m.source >= 0)
                load[static_cast<size_t>(m.source)] -= fleet.vms[static_cast<size_t>(m.vm)].demand;
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            const model::Resources lim =
                model::limit_at(fleet.hosts[h].capacity, options.max_util_ppm);
            std::vector<size_t>& leaving = off[h];
            std::stable_sort(leaving.begin(), leaving.end(), [&](size_t a, size_t b) {
                return seconds[static_cast<size_t>(decisions[a].vm)] <
                       seconds[static_cast<size_t>(decisions[b].vm)];
            });
            for (size_t k = 0; k < leaving.size() && !load[h].fits_within(lim); ++k) {
                relief[leaving[k]] = 1;
                load[h] -= fleet.vms[static_cast<size_t>(decisions[leaving[k]].vm)].demand;
            }
        }
    }
    auto relieves = [&](size_t i) { return relief[i] != 0; };
    struct Unit {
        double cost = 0;
        size_t first = 0;
        std::vector<size_t> moves;
    };
    std::vector<Unit> units;
    std::vector<int64_t> unit_of_source(fleet.hosts.size(), -1);
    for (size_t i = 0; i < n; ++i) {
        const Move& m = decisions[i];
        if (is_mandatory(m.reason) || relieves(i)) continue;
        int64_t u = -1;
        if (m.reason == MoveReason::kConsolidate && m.source >= 0) {
            u = unit_of_source[static_cast<size_t>(m.source)];
            if (u < 0)
                unit_of_source[static_cast<size_t>(m.source)] = u =
                    static_cast<int64_t>(units.size());
        }
        if (u < 0) {
            u = static_cast<int64_t>(units.size());
            units.emplace_back();
            units.back().first = i;
        } else if (static_cast<size_t>(u) == units.size()) {
            units.emplace_back();
            units.back().first = i;
        }
        Unit& unit = units[static_cast<size_t>(u)];
        unit.moves.push_back(i);
        if (m.reason == MoveReason::kConsolidate) unit.cost += seconds[static_cast<size_t>(m.vm)];
    }
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
        if (a.cost != b.cost) return a.cost < b.cost;
        return a.first < b.first;
    });
    // The plan keeping the first k units (and what they depend on).
    auto build = [&](size_t k, std::vector<uint8_t>& keep) -> bool {
        keep.assign(n, 0);
        for (size_t i = 0; i < n; ++i) keep[i] = is_mandatory(decisions[i].reason) || relieves(i);
        for (size_t u = 0; u < k; ++u)
            for (size_t i : units[u].moves) keep[i] = 1;
        return close_dependencies(fleet, decisions, keep, options.max_util_ppm);
    };
    auto trial = [&](const std::vector<uint8_t>& keep, std::vector<Move>& out) {
        out.clear();
        for (size_t i = 0; i < n; ++i)
            if (keep[i]) out.push_back(decisions[i]);
        return assemble(fleet, out, options);
    };
    std::vector<uint8_t> keep;
    std::vector<Move> moves;
    size_t lo = 0, hi = units.size();
    if (!build(0, keep)) return;  // cannot happen: the whole plan then stands
    while (lo < hi) {
        const size_t mid = (lo + hi + 1) / 2;
        if (build(mid, keep) && trial(keep, moves) <= options.window_s) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    build(lo, keep);
    trial(keep, moves);
    for (size_t i = 0; i < n; ++i) {
        if (keep[i]) continue;
        const Move& m = decisions[i];
        if (m.source < 0) continue;
        ++plan.window_dropped;
        plan.window_dropped_mem_kib += fleet.vms[static_cast<size_t>(m.vm)].mem_size_kib;
        --plan.migrations;
        plan.moved_mem_kib -= fleet.vms[static_cast<size_t>(m.vm)].mem_size_kib;
    }
    plan.moves = std::move(moves);
    // An off host switched on only for moves left out stays off.
    std::vector<uint8_t> target(fleet.hosts.size(), 0);
    for (const Move& m : plan.moves) target[static_cast<size_t>(m.target)] = 1;
    std::erase_if(plan.powered_on, [&](int32_t h) { return !target[static_cast<size_t>(h)]; });
}

}  // namespace

void resolve_plan(const model::Fleet& fleet, Plan& plan, const PlanOptions& options) {
    std::vector<Move> decisions;
    if (options.window_s > 0) decisions = plan.moves;
    const double makespan = assemble(fleet, plan.moves, options);
    if (options.window_s > 0 && makespan > options.window_s)
        fit_window(fleet, plan, std::move(decisions), options);
}

double schedule_moves(std::vector<Move>& moves, const WaveLimits& limits) {
    std::vector<ScheduledMove> sm;
    std::vector<size_t> index;
    for (size_t i = 0; i < moves.size(); ++i) {
        if (moves[i].source < 0) continue;
        sm.push_back({moves[i].step, moves[i].source, moves[i].target, moves[i].estimate.seconds});
        index.push_back(i);
    }
    const Schedule s = schedule_dispatch(sm, limits.max_per_host, limits.max_total);
    for (size_t k = 0; k < index.size(); ++k) moves[index[k]].est_start_s = s.start_s[k];
    // A new VM's placement is no migration: it may happen once its wave has begun, when every
    // earlier wave has ended.
    double earlier_end = 0, end_so_far = 0;
    int32_t step = 0;
    for (Move& m : moves) {
        if (m.step != step) {
            earlier_end = end_so_far;
            step = m.step;
        }
        if (m.source < 0) {
            m.est_start_s = earlier_end;
        } else {
            end_so_far = std::max(end_so_far, m.est_start_s + m.estimate.seconds);
        }
    }
    return s.makespan_s;
}

Plan decide_plan(const model::Fleet& fleet, const PlanOptions& options,
                 const policy::PolicySet& policies, PhaseTimes& times) {
    FP_ASSERT(policies.trigger && policies.selection && policies.placement);
    FP_ASSERT(options.max_util_ppm > 0 && options.max_util_ppm <= 1000000);
    const bool budgeted = options.budget_migrations >= 0 || options.budget_mem_frac >= 0 ||
                          options.budget_mem_kib >= 0;
    if (options.goal != Goal::kConsolidate || budgeted || options.phase == Phase::kGlobal) {
        return run(fleet, options, policies, times);
    }
    // Consolidation tries three ways of ranking the hosts to keep, each with the configured
    // placement and (plan.consolidate_alternatives) with dot-product, whose alignment of demand
    // and residual vectors steers memory-heavy VMs to memory-rich hosts. The variants run in
    // parallel, each its own planner and result slot; the plan with the fewest active hosts, then
    // the fewest migrations, then the first variant wins: the same for any thread count.
    constexpr int kOrders = 3;
    std::vector<policy::PolicySet> sets = {policies};
    if (options.consolidate_alternatives && policies.placement->name() != "dot-product") {
        policy::Registries reg;
        policy::register_builtin_policies(reg);
        policy::ConfigNode node("policy.placement");
        auto dot = reg.placements.create("dot-product", node, reg);
        FP_ASSERT(dot.has_value());
        policy::PolicySet alt = policies;
        alt.placement = std::move(*dot);
        sets.push_back(alt);
    }
    const int variants = kOrders * static_cast<int>(sets.size());
    std::vector<Plan> plans(static_cast<size_t>(variants));
    std::vector<PhaseTimes> order_times(static_cast<size_t>(variants));
    tbb::parallel_for(0, variants, [&](int v) {
        plans[static_cast<size_t>(v)] = run(fleet, options, sets[static_cast<size_t>(v / kOrders)],
                                            order_times[static_cast<size_t>(v)], v % kOrders);
    });
    // In a shard, a variant that leaves fewer VMs to the global step comes first.
    Plan best;
    int64_t best_active = -1, best_migrations = 0;
    size_t best_deferred = 0;
    for (int order = 0; order < variants; ++order) {
        Plan& p = plans[static_cast<size_t>(order)];
        const PhaseTimes& t = order_times[static_cast<size_t>(order)];
        times.detect += t.detect;
        times.select += t.select;
        times.place += t.place;
        times.resolve += t.resolve;
        std::vector<int32_t> count(fleet.hosts.size(), 0);
        for (const auto& vm : fleet.vms)
            if (!vm.is_new()) ++count[static_cast<size_t>(vm.host)];
        int64_t migrations = 0;
        for (const Move& m : p.moves) {
            if (m.source >= 0) {
                --count[static_cast<size_t>(m.source)];
                ++migrations;
            }
            ++count[static_cast<size_t>(m.target)];
        }
        const int64_t active =
            std::count_if(count.begin(), count.end(), [](int32_t c) { return c > 0; });
        const size_t deferred = p.deferred.size();
        if (best_active < 0 || deferred < best_deferred ||
            (deferred == best_deferred &&
             (active < best_active || (active == best_active && migrations < best_migrations)))) {
            best_deferred = deferred;
            best = std::move(p);
            best_active = active;
            best_migrations = migrations;
        }
    }
    return best;
}

}  // namespace fp::plan
