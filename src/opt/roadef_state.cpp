#include "src/opt/roadef_state.hpp"

#include <algorithm>
#include <tuple>

#include "src/opt/roadef_cost.hpp"
#include "src/util/assert.hpp"

namespace fp::opt {

using detail::machine_balance_cost;
using detail::machine_load_cost;
using detail::machine_move_cost;
using detail::service_move_cost;

namespace {

// Per machine and resource: usage, and transient usage of processes that left their machine.
struct Usage {
    std::vector<int64_t> plain;
    std::vector<int64_t> transient;
};

Usage usage_of(const RoadefModel& md, std::span<const int32_t> a) {
    const size_t rs = static_cast<size_t>(md.resources);
    Usage u{std::vector<int64_t>(static_cast<size_t>(md.machines) * rs, 0),
            std::vector<int64_t>(static_cast<size_t>(md.machines) * rs, 0)};
    for (int32_t p = 0; p < md.processes; ++p) {
        const int32_t m0 = md.initial[p];
        for (int32_t r = 0; r < md.resources; ++r) {
            u.plain[static_cast<size_t>(a[p]) * rs + r] += md.req(p, r);
            if (md.transient[r] && a[p] != m0)
                u.transient[static_cast<size_t>(m0) * rs + r] += md.req(p, r);
        }
    }
    return u;
}

}  // namespace

CostParts evaluate_from_scratch(const RoadefModel& md, std::span<const int32_t> a) {
    FP_ASSERT(a.size() == static_cast<size_t>(md.processes));
    const Usage u = usage_of(md, a);
    CostParts c;
    for (int32_t m = 0; m < md.machines; ++m) {
        const int64_t* row = u.plain.data() + static_cast<size_t>(m) * md.resources;
        c.load += machine_load_cost(md, m, row);
        c.balance += machine_balance_cost(md, m, row);
    }
    std::vector<int64_t> moved(static_cast<size_t>(md.services), 0);
    for (int32_t p = 0; p < md.processes; ++p) {
        if (a[p] == md.initial[p]) continue;
        c.process_move += md.weight_process_move * md.process_move_cost[p];
        c.machine_move += md.weight_machine_move * machine_move_cost(md, md.initial[p], a[p]);
        ++moved[md.service[p]];
    }
    const int64_t max_moved = moved.empty() ? 0 : *std::max_element(moved.begin(), moved.end());
    c.service_move = service_move_cost(md, max_moved);
    return c;
}

std::optional<std::string> first_violation(const RoadefModel& md, std::span<const int32_t> a) {
    if (a.size() != static_cast<size_t>(md.processes))
        return "assignment has " + std::to_string(a.size()) + " processes, model " +
               std::to_string(md.processes);
    for (int32_t p = 0; p < md.processes; ++p)
        if (a[p] < 0 || a[p] >= md.machines)
            return "process " + std::to_string(p) + ": machine " + std::to_string(a[p]) +
                   " out of range";
    const Usage u = usage_of(md, a);
    for (int32_t m = 0; m < md.machines; ++m)
        for (int32_t r = 0; r < md.resources; ++r) {
            const size_t i = static_cast<size_t>(m) * md.resources + r;
            if (u.plain[i] + u.transient[i] > md.cap(m, r))
                return "capacity: machine " + std::to_string(m) + " resource " + std::to_string(r);
        }
    const size_t S = static_cast<size_t>(md.services);
    std::vector<std::vector<int32_t>> machines_of(S), locs(S), nbhs(S);
    for (int32_t p = 0; p < md.processes; ++p) {
        const size_t s = static_cast<size_t>(md.service[p]);
        machines_of[s].push_back(a[p]);
        locs[s].push_back(md.location[a[p]]);
        nbhs[s].push_back(md.neighborhood[a[p]]);
    }
    for (size_t s = 0; s < S; ++s) {
        for (auto* v : {&machines_of[s], &locs[s], &nbhs[s]}) {
            std::sort(v->begin(), v->end());
            v->erase(std::unique(v->begin(), v->end()), v->end());
        }
    }
    std::vector<int32_t> count(S, 0);
    for (int32_t p = 0; p < md.processes; ++p) ++count[static_cast<size_t>(md.service[p])];
    for (size_t s = 0; s < S; ++s) {
        if (machines_of[s].size() != static_cast<size_t>(count[s]))
            return "conflict: service " + std::to_string(s) + " has two processes on one machine";
        if (static_cast<int64_t>(locs[s].size()) < md.spread_min[s])
            return "spread: service " + std::to_string(s) + " covers " +
                   std::to_string(locs[s].size()) + " locations, needs " +
                   std::to_string(md.spread_min[s]);
        for (int32_t d : md.depends_on[s])
            for (int32_t n : nbhs[s])
                if (!std::binary_search(nbhs[static_cast<size_t>(d)].begin(),
                                        nbhs[static_cast<size_t>(d)].end(), n))
                    return "dependency: service " + std::to_string(s) + " in neighborhood " +
                           std::to_string(n) + " without service " + std::to_string(d);
    }
    return std::nullopt;
}

RoadefState::RoadefState(const RoadefModel& model) : RoadefState(model, model.initial) {}

RoadefState::RoadefState(const RoadefModel& md, std::span<const int32_t> a)
    : model_(&md), assign_(a.begin(), a.end()) {
    FP_ASSERT(a.size() == static_cast<size_t>(md.processes));
    const size_t S = static_cast<size_t>(md.services);
    on_machine_.assign(static_cast<size_t>(md.machines), {});
    pos_on_machine_.assign(static_cast<size_t>(md.processes), 0);
    loc_count_.assign(S * static_cast<size_t>(md.locations), 0);
    nbh_count_.assign(S * static_cast<size_t>(md.neighborhoods), 0);
    spread_.assign(S, 0);
    moved_.assign(S, 0);
    moved_hist_.assign(static_cast<size_t>(md.processes) + 1, 0);
    service_procs_.assign(S, {});
    dependents_.assign(S, {});
    for (size_t s = 0; s < S; ++s)
        for (int32_t d : md.depends_on[s])
            dependents_[static_cast<size_t>(d)].push_back(static_cast<int32_t>(s));
    Usage u = usage_of(md, a);
    usage_ = std::move(u.plain);
    transient_ = std::move(u.transient);
    for (int32_t p = 0; p < md.processes; ++p) {
        const int32_t m = assign_[p], s = md.service[p];
        FP_ASSERT(m >= 0 && m < md.machines);
        pos_on_machine_[p] = static_cast<int32_t>(on_machine_[m].size());
        on_machine_[m].push_back(p);
        service_procs_[s].push_back(p);
        if (loc_count(s, md.location[m])++ == 0) ++spread_[s];
        ++nbh_count(s, md.neighborhood[m]);
        if (m != md.initial[p]) ++moved_[s];
    }
    for (size_t s = 0; s < S; ++s) {
        ++moved_hist_[static_cast<size_t>(moved_[s])];
        max_moved_ = std::max(max_moved_, moved_[s]);
    }
    row_a_.assign(static_cast<size_t>(md.resources), 0);
    row_b_.assign(static_cast<size_t>(md.resources), 0);
    machine_load_.assign(static_cast<size_t>(md.machines), 0);
    machine_balance_.assign(static_cast<size_t>(md.machines), 0);
    for (int32_t m = 0; m < md.machines; ++m) refresh_machine_cost(m);
    parts_ = evaluate_from_scratch(md, assign_);
}

void RoadefState::refresh_machine_cost(int32_t m) {
    const int64_t* row = usage_.data() + idx(m, 0);
    const int64_t l = machine_load_cost(*model_, m, row);
    const int64_t b = machine_balance_cost(*model_, m, row);
    parts_.load += l - machine_load_[m];
    parts_.balance += b - machine_balance_[m];
    machine_load_[m] = l;
    machine_balance_[m] = b;
}

bool RoadefState::capacity_ok(int32_t m) const {
    const RoadefModel& md = *model_;
    for (int32_t r = 0; r < md.resources; ++r)
        if (usage_[idx(m, r)] + transient_[idx(m, r)] > md.cap(m, r)) return false;
    return true;
}

bool RoadefState::service_on_machine(int32_t s, int32_t m, int32_t except) const {
    // Whichever list is shorter: the service's processes or the machine's.
    if (service_procs_[s].size() <= on_machine_[m].size()) {
        for (int32_t q : service_procs_[s])
            if (q != except && assign_[q] == m) return true;
        return false;
    }
    for (int32_t q : on_machine_[m])
        if (q != except && model_->service[q] == s) return true;
    return false;
}

void RoadefState::relocate(int32_t p, int32_t m) {
    const RoadefModel& md = *model_;
    const int32_t old = assign_[p];
    if (old == m) return;
    const int32_t m0 = md.initial[p], s = md.service[p];
    for (int32_t r = 0; r < md.resources; ++r) {
        const int64_t q = md.req(p, r);
        usage_[idx(old, r)] -= q;
        usage_[idx(m, r)] += q;
        if (md.transient[r]) {
            if (old == m0) transient_[idx(m0, r)] += q;
            if (m == m0) transient_[idx(m0, r)] -= q;
        }
    }
    refresh_machine_cost(old);
    refresh_machine_cost(m);
    // The machine's process list: swap-remove, then append.
    auto& from = on_machine_[old];
    const int32_t last = from.back();
    from[static_cast<size_t>(pos_on_machine_[p])] = last;
    pos_on_machine_[last] = pos_on_machine_[p];
    from.pop_back();
    pos_on_machine_[p] = static_cast<int32_t>(on_machine_[m].size());
    on_machine_[m].push_back(p);
    assign_[p] = m;
    // Service counts.
    if (--loc_count(s, md.location[old]) == 0) --spread_[s];
    if (loc_count(s, md.location[m])++ == 0) ++spread_[s];
    --nbh_count(s, md.neighborhood[old]);
    ++nbh_count(s, md.neighborhood[m]);
    // Move costs.
    const int delta_moved = (m != m0 ? 1 : 0) - (old != m0 ? 1 : 0);
    parts_.process_move += delta_moved * md.weight_process_move * md.process_move_cost[p];
    parts_.machine_move +=
        md.weight_machine_move * (machine_move_cost(md, m0, m) - machine_move_cost(md, m0, old));
    if (delta_moved != 0) {
        const int32_t c = moved_[s];
        --moved_hist_[static_cast<size_t>(c)];
        ++moved_hist_[static_cast<size_t>(c + delta_moved)];
        moved_[s] = c + delta_moved;
        if (c + delta_moved > max_moved_) max_moved_ = c + delta_moved;
        while (max_moved_ > 0 && moved_hist_[static_cast<size_t>(max_moved_)] == 0) --max_moved_;
        parts_.service_move = service_move_cost(md, max_moved_);
    }
}

bool RoadefState::feasible_around(std::span<const Reassign> changes,
                                  std::span<const int32_t> old) const {
    const RoadefModel& md = *model_;
    for (size_t i = 0; i < changes.size(); ++i) {
        const int32_t p = ix(changes[i].process), m = ix(changes[i].machine);
        if (!capacity_ok(m) || !capacity_ok(old[i])) return false;
        const int32_t s = md.service[p];
        if (service_on_machine(s, m, p)) return false;
        if (spread_[s] < md.spread_min[s]) return false;
        for (const int32_t n : {md.neighborhood[old[i]], md.neighborhood[m]}) {
            if (nbh_count(s, n) > 0) {
                for (int32_t d : md.depends_on[s])
                    if (nbh_count(d, n) == 0) return false;
            } else {
                for (int32_t e : dependents_[s])
                    if (nbh_count(e, n) > 0) return false;
            }
        }
    }
    return true;
}

std::optional<int64_t> RoadefState::try_change(std::span<const Reassign> changes) {
    const RoadefModel& md = *model_;
    // A single move that overflows its target is refused before anything is touched.
    if (changes.size() == 1) {
        const int32_t p = ix(changes[0].process), m = ix(changes[0].machine);
        if (assign_[p] == m) return 0;
        const bool home = md.initial[p] == m;
        for (int32_t r = 0; r < md.resources; ++r) {
            const int64_t add = (home && md.transient[r]) ? 0 : md.req(p, r);
            if (usage_[idx(m, r)] + transient_[idx(m, r)] + add > md.cap(m, r)) return std::nullopt;
        }
    }
    constexpr size_t kInline = 64;
    int32_t old_inline[kInline];
    std::vector<int32_t> old_heap;
    int32_t* old = old_inline;
    if (changes.size() > kInline) {
        old_heap.resize(changes.size());
        old = old_heap.data();
    }
    const int64_t before = objective();
    for (size_t i = 0; i < changes.size(); ++i) {
        old[i] = assign_[ix(changes[i].process)];
        relocate(ix(changes[i].process), ix(changes[i].machine));
    }
    const bool ok = feasible_around(changes, std::span<const int32_t>(old, changes.size()));
    const int64_t after = objective();
    for (size_t i = changes.size(); i-- > 0;) relocate(ix(changes[i].process), old[i]);
    if (!ok) return std::nullopt;
    return after - before;
}

bool RoadefState::dependencies_hold(int32_t s1, int32_t from1, int32_t to1, int32_t s2,
                                    int32_t from2, int32_t to2) const {
    // The neighbourhood counts after the change, without writing them.
    const auto count = [&](int32_t s, int32_t n) {
        int32_t c = nbh_count(s, n);
        if (s == s1) c += (n == to1 ? 1 : 0) - (n == from1 ? 1 : 0);
        if (s == s2) c += (n == to2 ? 1 : 0) - (n == from2 ? 1 : 0);
        return c;
    };
    const auto holds = [&](int32_t s, int32_t n) {
        if (count(s, n) > 0) {
            for (int32_t d : model_->depends_on[s])
                if (count(d, n) == 0) return false;
        } else {
            for (int32_t e : dependents_[s])
                if (count(e, n) > 0) return false;
        }
        return true;
    };
    if (from1 != to1 && (!holds(s1, from1) || !holds(s1, to1))) return false;
    if (s2 >= 0 && from2 != to2 && (!holds(s2, from2) || !holds(s2, to2))) return false;
    return true;
}

int32_t RoadefState::max_moved_after(int32_t s1, int32_t d1, int32_t s2, int32_t d2) {
    const auto shift = [&](int32_t s, int32_t d, int sign) {
        if (s < 0 || d == 0) return;
        --moved_hist_[static_cast<size_t>(moved_[s] + (sign < 0 ? d : 0))];
        ++moved_hist_[static_cast<size_t>(moved_[s] + (sign > 0 ? d : 0))];
    };
    shift(s1, d1, +1);
    shift(s2, d2, +1);
    int32_t m = std::min<int32_t>(max_moved_ + 1, static_cast<int32_t>(moved_hist_.size()) - 1);
    while (m > 0 && moved_hist_[static_cast<size_t>(m)] == 0) --m;
    shift(s2, d2, -1);
    shift(s1, d1, -1);
    return m;
}

std::optional<int64_t> RoadefState::move_delta(ProcessIndex pi, MachineIndex mi) {
    const RoadefModel& md = *model_;
    const int32_t p = ix(pi), m = ix(mi), a = assign_[p];
    if (a == m) return 0;
    const int32_t m0 = md.initial[p], s = md.service[p];
    const bool home = m0 == m;
    // Capacity: only the target can overflow (the source loses p, or keeps it as transient).
    for (int32_t r = 0; r < md.resources; ++r) {
        const int64_t q = md.req(p, r);
        const int64_t add = (home && md.transient[r]) ? 0 : q;
        if (usage_[idx(m, r)] + transient_[idx(m, r)] + add > md.cap(m, r)) return std::nullopt;
        row_a_[static_cast<size_t>(r)] = usage_[idx(a, r)] - q;
        row_b_[static_cast<size_t>(r)] = usage_[idx(m, r)] + q;
    }
    if (service_on_machine(s, m, p)) return std::nullopt;
    const int32_t la = md.location[a], lm = md.location[m];
    if (la != lm) {
        const int32_t spread =
            spread_[s] - (loc_count(s, la) == 1 ? 1 : 0) + (loc_count(s, lm) == 0 ? 1 : 0);
        if (spread < md.spread_min[s]) return std::nullopt;
    }
    if (!dependencies_hold(s, md.neighborhood[a], md.neighborhood[m], -1, 0, 0))
        return std::nullopt;
    int64_t delta = machine_load_cost(md, a, row_a_.data()) +
                    machine_balance_cost(md, a, row_a_.data()) +
                    machine_load_cost(md, m, row_b_.data()) +
                    machine_balance_cost(md, m, row_b_.data()) - machine_cost(a) - machine_cost(m);
    delta += detail::process_on_machine_cost(md, p, m) - detail::process_on_machine_cost(md, p, a);
    const int32_t dm = (m != m0 ? 1 : 0) - (a != m0 ? 1 : 0);
    if (dm != 0)
        delta += service_move_cost(md, max_moved_after(s, dm, -1, 0)) - parts_.service_move;
    return delta;
}

std::optional<int64_t> RoadefState::swap_delta(ProcessIndex pa, ProcessIndex pb) {
    const RoadefModel& md = *model_;
    const int32_t a = ix(pa), b = ix(pb);
    const int32_t ma = assign_[a], mb = assign_[b];
    if (ma == mb) return 0;
    const int32_t sa = md.service[a], sb = md.service[b];
    if (sa == sb) return try_swap(pa, pb);
    const int32_t ia = md.initial[a], ib = md.initial[b];
    for (int32_t r = 0; r < md.resources; ++r) {
        const int64_t qa = md.req(a, r), qb = md.req(b, r);
        const int64_t ua = usage_[idx(ma, r)] - qa + qb, ub = usage_[idx(mb, r)] - qb + qa;
        int64_t ta = transient_[idx(ma, r)], tb = transient_[idx(mb, r)];
        if (md.transient[r]) {
            ta += (ia == ma ? qa : 0) - (ib == ma ? qb : 0);
            tb += (ib == mb ? qb : 0) - (ia == mb ? qa : 0);
        }
        if (ua + ta > md.cap(ma, r) || ub + tb > md.cap(mb, r)) return std::nullopt;
        row_a_[static_cast<size_t>(r)] = ua;
        row_b_[static_cast<size_t>(r)] = ub;
    }
    if (service_on_machine(sa, mb, a) || service_on_machine(sb, ma, b)) return std::nullopt;
    const int32_t la = md.location[ma], lb = md.location[mb];
    if (la != lb) {
        for (const auto& [s, from, to] : {std::tuple{sa, la, lb}, std::tuple{sb, lb, la}}) {
            const int32_t spread =
                spread_[s] - (loc_count(s, from) == 1 ? 1 : 0) + (loc_count(s, to) == 0 ? 1 : 0);
            if (spread < md.spread_min[s]) return std::nullopt;
        }
    }
    const int32_t na = md.neighborhood[ma], nb = md.neighborhood[mb];
    if (!dependencies_hold(sa, na, nb, sb, nb, na)) return std::nullopt;
    int64_t delta =
        machine_load_cost(md, ma, row_a_.data()) + machine_balance_cost(md, ma, row_a_.data()) +
        machine_load_cost(md, mb, row_b_.data()) + machine_balance_cost(md, mb, row_b_.data()) -
        machine_cost(ma) - machine_cost(mb);
    delta +=
        detail::process_on_machine_cost(md, a, mb) - detail::process_on_machine_cost(md, a, ma) +
        detail::process_on_machine_cost(md, b, ma) - detail::process_on_machine_cost(md, b, mb);
    const int32_t da = (mb != ia ? 1 : 0) - (ma != ia ? 1 : 0);
    const int32_t db = (ma != ib ? 1 : 0) - (mb != ib ? 1 : 0);
    if (da != 0 || db != 0)
        delta += service_move_cost(md, max_moved_after(sa, da, sb, db)) - parts_.service_move;
    return delta;
}

std::optional<int64_t> RoadefState::chain_delta(ProcessIndex pi1, MachineIndex bi, ProcessIndex pi2,
                                                MachineIndex ci) {
    const RoadefModel& md = *model_;
    const int32_t p1 = ix(pi1), b = ix(bi), p2 = ix(pi2), c = ix(ci);
    const int32_t a = assign_[p1];
    FP_DEBUG_ASSERT(p1 != p2 && assign_[p2] == b && c != b);
    if (a != b && a != c) {
        // b loses p2 (kept as transient where b is p2's initial machine) and gains p1 (no
        // transient left behind where b is p1's initial machine); c only gains p2. With c == a
        // the source frees room as well, which try_change accounts for.
        const bool home1 = md.initial[p1] == b, stays2 = md.initial[p2] == b;
        const bool home2 = md.initial[p2] == c;
        for (int32_t r = 0; r < md.resources; ++r) {
            const bool tr = md.transient[r] != 0;
            const int64_t q1 = md.req(p1, r), q2 = md.req(p2, r);
            const int64_t on_b = usage_[idx(b, r)] + transient_[idx(b, r)] +
                                 ((tr && home1) ? 0 : q1) - ((tr && stays2) ? 0 : q2);
            if (on_b > md.cap(b, r)) return std::nullopt;
            const int64_t on_c =
                usage_[idx(c, r)] + transient_[idx(c, r)] + ((tr && home2) ? 0 : q2);
            if (on_c > md.cap(c, r)) return std::nullopt;
        }
    }
    const Reassign ch[2] = {{pi1, bi}, {pi2, ci}};
    return try_change(ch);
}

void RoadefState::apply(std::span<const Reassign> changes) {
    for (const Reassign& c : changes) relocate(ix(c.process), ix(c.machine));
}

}  // namespace fp::opt
