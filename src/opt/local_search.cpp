#include "src/opt/local_search.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>

#include "src/opt/repack.hpp"
#include "src/util/assert.hpp"
#include "src/util/rng.hpp"

namespace fp::opt {

namespace {

using Clock = std::chrono::steady_clock;

struct Stop {
    Clock::time_point deadline;
    bool timed = false;
    std::atomic<bool> hit{false};
    bool check() {
        if (!timed) return false;
        if (hit.load(std::memory_order_relaxed)) return true;
        if (Clock::now() >= deadline) hit.store(true, std::memory_order_relaxed);
        return hit.load(std::memory_order_relaxed);
    }
};

struct SearchOutcome {
    std::vector<int32_t> assignment;
    int64_t objective = 0;
    int64_t work = 0;
};

// Picks 2 or 3 distinct machines: the costliest of a few sampled, then random partners while
// the processes to re-pack stay few.
std::vector<int32_t> pick_machines(const RoadefState& st, CounterRng& rng) {
    const RoadefModel& md = st.model();
    std::vector<int32_t> ms;
    if (md.machines < 2) return ms;
    int32_t first = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
    for (int t = 0; t < 3; ++t) {
        const auto m = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
        if (st.machine_cost(m) > st.machine_cost(first)) first = m;
    }
    ms.push_back(first);
    size_t procs = st.processes_on(MachineIndex{first}).size();
    const int want = 2 + static_cast<int>(rng.below(2));
    for (int t = 0; t < 8 && static_cast<int>(ms.size()) < want; ++t) {
        const auto m = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
        if (std::find(ms.begin(), ms.end(), m) != ms.end()) continue;
        const size_t n = st.processes_on(MachineIndex{m}).size();
        if (procs + n > 24) continue;
        ms.push_back(m);
        procs += n;
    }
    if (ms.size() < 2) ms.clear();
    return ms;
}

SearchOutcome run_search(const RoadefModel& md, std::span<const int32_t> start,
                         const SearchOptions& opt, uint64_t round, uint64_t index, int64_t budget,
                         Stop& stop) {
    RoadefState st(md, start);
    CounterRng rng(opt.seed, round, index);
    const auto P = static_cast<uint64_t>(md.processes);
    const auto M = static_cast<uint64_t>(md.machines);
    int64_t cur = st.objective();
    SearchOutcome best{st.assignment(), cur, 0};
    bool current_is_best = true;
    std::vector<int64_t> history(static_cast<size_t>(std::max<int64_t>(1, opt.lahc_length)), cur);
    int64_t step = 0;
    int64_t work = 0;
    std::vector<Reassign> changes;
    // The clock is read every 256 iterations (not accepted steps, which may stall).
    uint64_t iteration = 0;
    while (work < budget) {
        if ((iteration++ & 255) == 0 && stop.check()) break;
        const uint64_t kind = rng.below(100);
        std::optional<int64_t> delta;
        changes.clear();
        if (kind < static_cast<uint64_t>(opt.repack_percent)) {
            const std::vector<int32_t> ms = pick_machines(st, rng);
            if (ms.empty()) {
                ++work;
                continue;
            }
            RepackResult rp = repack(st, ms, std::min(opt.repack_nodes, budget - work));
            work += std::max<int64_t>(1, rp.nodes);
            if (rp.changes.empty()) continue;
            delta = rp.delta;
            changes = std::move(rp.changes);
        } else if (kind < 55) {
            const auto p = static_cast<int32_t>(rng.below(P));
            const auto m = static_cast<int32_t>(rng.below(M));
            ++work;
            if (st.assignment()[p] == m) continue;
            changes.push_back({ProcessIndex{p}, MachineIndex{m}});
            delta = st.try_change(changes);
        } else {
            const auto a = static_cast<int32_t>(rng.below(P));
            const auto b = static_cast<int32_t>(rng.below(P));
            ++work;
            if (st.assignment()[a] == st.assignment()[b]) continue;
            changes.push_back({ProcessIndex{a}, MachineIndex{st.assignment()[b]}});
            changes.push_back({ProcessIndex{b}, MachineIndex{st.assignment()[a]}});
            delta = st.try_change(changes);
        }
        if (!delta) continue;
        const int64_t next = cur + *delta;
        const size_t v = static_cast<size_t>(step % static_cast<int64_t>(history.size()));
        ++step;
        if (*delta <= 0 || next <= history[v]) {
            if (*delta > 0 && current_is_best) {
                best.assignment = st.assignment();
                best.objective = cur;
                current_is_best = false;
            }
            st.apply(changes);
            cur = next;
            FP_DEBUG_ASSERT(cur == st.objective());
            if (cur < best.objective || (current_is_best && cur <= best.objective)) {
                best.objective = cur;
                current_is_best = true;
            }
        }
        if (cur < history[v]) history[v] = cur;
    }
    if (current_is_best) best.assignment = st.assignment();
    best.work = work;
    return best;
}

}  // namespace

SearchResult optimise(const RoadefModel& md, const SearchOptions& opt) {
    FP_ASSERT(opt.searches >= 1 && opt.round_work >= 1);
    FP_ASSERT(opt.work >= 0 || opt.time_limit_seconds > 0);
    Stop stop;
    if (opt.time_limit_seconds > 0) {
        stop.timed = true;
        stop.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                           std::chrono::duration<double>(opt.time_limit_seconds));
    }
    SearchResult res;
    res.assignment = md.initial;
    res.initial_parts = evaluate_from_scratch(md, md.initial);
    int64_t best = res.initial_parts.total();
    if (md.processes == 0 || md.machines == 0) {  // nothing to move (and no index to draw)
        res.parts = res.initial_parts;
        return res;
    }
    const auto K = static_cast<size_t>(opt.searches);
    for (uint64_t round = 0;; ++round) {
        int64_t share = opt.round_work;
        if (opt.work >= 0) {
            const int64_t left = opt.work - res.work;
            if (left <= 0) break;
            share = std::min<int64_t>(share, (left + opt.searches - 1) / opt.searches);
        }
        if (stop.check()) break;
        std::vector<SearchOutcome> out(K);
        tbb::parallel_for(size_t{0}, K, [&](size_t i) {
            int64_t budget = share;
            if (opt.work >= 0)  // the last searches of the last round take what is left
                budget = std::clamp<int64_t>(opt.work - res.work - static_cast<int64_t>(i) * share,
                                             0, share);
            out[i] = budget > 0 ? run_search(md, res.assignment, opt, round, i, budget, stop)
                                : SearchOutcome{res.assignment, best, 0};
        });
        size_t pick = K;
        for (size_t i = 0; i < K; ++i) {
            res.work += out[i].work;
            if (out[i].objective < best) {
                best = out[i].objective;
                pick = i;
            }
        }
        if (pick < K) res.assignment = std::move(out[pick].assignment);
        ++res.rounds;
    }
    res.stopped_by_time = stop.hit.load();
    res.parts = evaluate_from_scratch(md, res.assignment);
    FP_ASSERT(res.parts.total() == best);
    return res;
}

}  // namespace fp::opt
