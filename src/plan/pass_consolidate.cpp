#include <algorithm>
#include <array>
#include <limits>
#include <utility>

#include "src/plan/passes.hpp"

namespace fp::plan::detail {

using model::kNoHost;
using model::Resources;

namespace {

// A host's idle power when hosts.csv gives none (as pabfd assumes).
constexpr double kDefaultIdlePowerW = 100.0;

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

}  // namespace

// Is emptying the host worth copying `kib` of VM memory? The energy its idle power draws over
// the horizon against move_wh_per_gib per GiB of that memory.
bool worth_moving(const PlannerState& s, int32_t h, int64_t kib) {
    const double idle_wh =
        s.fleet_.hosts[static_cast<size_t>(h)].power_idle_w.value_or(kDefaultIdlePowerW) *
        s.opt_.horizon_s / 3600.0;
    const double gib = static_cast<double>(kib) / (1024.0 * 1024.0);
    return idle_wh > s.opt_.move_wh_per_gib * gib;
}

// Is emptying the host worth what copying its VMs away costs?
bool worth_draining(const PlannerState& s, int32_t h) {
    int64_t kib = 0;
    for (int32_t vm : s.state_.vms_on(h)) kib += s.mem_of(vm);
    return worth_moving(s, h, kib);
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
        // Back where it was: the placement guard does not apply (it held the VM before).
        if (s.can_retarget(vm) && s.state_.fits_unguarded(vm, m.source))
            s.retarget(vm, m.source, m.reason);
    }
}

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
        auto attempt = [&]() -> std::optional<int32_t> {
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
            return t;
        };
        // A VM that must go (new, evacuated) goes by max-util alone when the placement guard
        // leaves it no host, as PlannerState::choose does.
        auto t = forced ? s.unguarded_if_none(attempt) : attempt();
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

}  // namespace fp::plan::detail
