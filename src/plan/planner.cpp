#include "src/plan/planner.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <string>
#include <string_view>

#include "src/plan/passes.hpp"
#include "src/plan/plan_costs.hpp"
#include "src/plan/planner_state.hpp"
#include "src/plan/schedule.hpp"
#include "src/util/assert.hpp"

namespace fp::plan {
namespace {

using detail::PlannerState;
using detail::Stopwatch;

// One plan: which passes run, in which order, for the goal and phase of `opt`. keep_order
// ranks the hosts goal consolidate keeps (see detail::consolidate_all); `improve` is the work
// limit of the improvement phase after a consolidation or a balance (0: none).
Plan run(const model::Fleet& fleet, const PlanOptions& opt, const policy::PolicySet& pol,
         PhaseTimes& times, int keep_order, int64_t improve) {
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
        // The repack chooses the hosts that stay by capacity alone: [plan] max_arrivals binds
        // only the passes after it (a budget or --window bounds the repack).
        {
            model::PlacementState::ArrivalCapOff uncapped(s.state_);
            consolidate_all(s, keep_order, evac_hosts, new_vms);
        }
        // The passes after it count arrivals from the repacked placement: the repack's own do
        // not close the kept hosts to them (else they would fill the hosts it freed).
        if (opt.max_arrivals > 0) s.state_.set_arrival_cap(opt.max_arrivals);
        separate_anti_affinity(s);
        times.place += sw.lap();
        const policy::TriggerResult trig = pol.trigger->evaluate(s.state_, s.ctx_);
        times.detect += sw.lap();
        relieve_hotspots(s, trig.hot, times, sw);
        drain_kept(s);
        improve_consolidation(s, improve);
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
            improve_consolidation(s, improve);
            times.place += sw.lap();
        } else if (opt.goal == Goal::kAuto) {
            // Only the trigger's cold spots, re-evaluated after the mandatory moves.
            std::vector<int32_t> cold = pol.trigger->evaluate(s.state_, s.ctx_).cold;
            times.detect += sw.lap();
            consolidate_cold(s, std::move(cold));
            times.place += sw.lap();
        } else if (opt.goal == Goal::kBalance) {
            balance(s);
            improve_balance(s, improve);
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
        return run(fleet, options, policies, times, 0, options.improve);
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
                                            order_times[static_cast<size_t>(v)], v % kOrders, 0);
    });
    // In a shard, a variant that leaves fewer VMs to the global step comes first.
    Plan best;
    int best_variant = 0;
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
            best_variant = order;
            best = std::move(p);
            best_active = active;
            best_migrations = migrations;
        }
    }
    // The improvement phase works on the winning variant alone: it is run again (the same
    // greedy plan, it is deterministic) with the phase at its end.
    if (options.improve > 0) {
        PhaseTimes t;
        best = run(fleet, options, sets[static_cast<size_t>(best_variant / kOrders)], t,
                   best_variant % kOrders, options.improve);
        times.place += t.place + t.detect + t.select + t.resolve;
    }
    return best;
}

}  // namespace fp::plan
