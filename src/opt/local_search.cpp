#include "src/opt/local_search.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <cmath>
#include <optional>

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
};

// The costliest (by machine_cost) of four machines drawn at random.
int32_t costliest_of_four(const RoadefState& st, CounterRng& rng) {
    const auto M = static_cast<uint64_t>(st.model().machines);
    auto first = static_cast<int32_t>(rng.below(M));
    for (int t = 0; t < 3; ++t) {
        const auto m = static_cast<int32_t>(rng.below(M));
        if (st.machine_cost(m) > st.machine_cost(first)) first = m;
    }
    return first;
}

// `first` and one or two partners (how many drawn first), each from draw(), in at most `tries`
// draws: a machine already chosen, or one that would take the processes to re-pack past 24, is
// skipped. Empty when no partner is found.
template <typename Draw>
std::vector<int32_t> with_partners(const RoadefState& st, CounterRng& rng, int32_t first, int tries,
                                   Draw draw) {
    std::vector<int32_t> ms{first};
    size_t procs = st.processes_on(MachineIndex{first}).size();
    const int want = 2 + static_cast<int>(rng.below(2));
    for (int t = 0; t < tries && static_cast<int>(ms.size()) < want; ++t) {
        const int32_t m = draw();
        if (std::find(ms.begin(), ms.end(), m) != ms.end()) continue;
        const size_t n = st.processes_on(MachineIndex{m}).size();
        if (procs + n > 24) continue;
        ms.push_back(m);
        procs += n;
    }
    if (ms.size() < 2) ms.clear();
    return ms;
}

// Picks 2 or 3 distinct machines: the costliest of a few sampled, then random partners while
// the processes to re-pack stay few.
std::vector<int32_t> pick_machines(const RoadefState& st, CounterRng& rng) {
    const RoadefModel& md = st.model();
    if (md.machines < 2) return {};
    const auto M = static_cast<uint64_t>(md.machines);
    return with_partners(st, rng, costliest_of_four(st, rng), 8,
                         [&] { return static_cast<int32_t>(rng.below(M)); });
}

// Machines for a pair re-pack: the costliest of four sampled machines, and of `candidates` other
// machines drawn at random the one whose room below safety capacity best matches its excess
// over it: the largest sum over resources of weight_load x min(excess there, room here) (ties:
// the first drawn; a draw of the first machine itself is skipped, not drawn again). Empty when
// the model has fewer than two machines or every draw was the first machine.
std::vector<int32_t> pick_pair(const RoadefState& st, CounterRng& rng, int candidates) {
    const RoadefModel& md = st.model();
    if (md.machines < 2) return {};
    const auto M = static_cast<uint64_t>(md.machines);
    const int32_t first = costliest_of_four(st, rng);
    int32_t partner = -1;
    int64_t most = -1;
    for (int c = 0; c < candidates; ++c) {
        const auto m = static_cast<int32_t>(rng.below(M));
        if (m == first) continue;
        int64_t fit = 0;
        for (int32_t r = 0; r < md.resources; ++r) {
            const int64_t excess = st.usage(first, r) - md.safety(first, r);
            const int64_t room = md.safety(m, r) - st.usage(m, r);
            if (excess > 0 && room > 0) fit += md.weight_load[r] * std::min(excess, room);
        }
        if (fit > most) {
            most = fit;
            partner = m;
        }
    }
    if (partner < 0) return {};
    return {first, partner};
}

// Machines for a room re-pack: the costliest of four sampled machines (its load and balance cost
// is what a re-pack can lower), then one or two partners drawn at random among the `candidates`
// machines with the most room left on every transient resource at once (roomiest_machines), the
// only ones where a big process of a costly machine can arrive when the receiving room is mostly
// spent; partners are skipped while the processes to re-pack would pass 24, as in pick_machines.
std::vector<int32_t> pick_room_machines(const RoadefState& st, CounterRng& rng, int candidates) {
    if (st.model().machines < 2) return {};
    const int32_t first = costliest_of_four(st, rng);
    const std::vector<int32_t> room =
        roomiest_machines(st, first, static_cast<size_t>(std::max(1, candidates)));
    return with_partners(st, rng, first, 4,
                         [&] { return room[static_cast<size_t>(rng.below(room.size()))]; });
}

// A process to move: uniformly at random, or (targeted_percent of the time) a random process of
// the costlier of two random machines, so that moves start where load and balance cost are.
int32_t pick_process(const RoadefState& st, CounterRng& rng, int targeted_percent) {
    const RoadefModel& md = st.model();
    if (static_cast<int>(rng.below(100)) >= targeted_percent)
        return static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
    const auto M = static_cast<uint64_t>(md.machines);
    auto m = static_cast<int32_t>(rng.below(M));
    const auto other = static_cast<int32_t>(rng.below(M));
    if (st.machine_cost(other) > st.machine_cost(m)) m = other;
    const auto& on = st.processes_on(MachineIndex{m});
    if (on.empty()) return static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
    // processes_on is unordered (swap-removal), but its order follows from the applied changes
    // alone, so the pick stays deterministic.
    return on[static_cast<size_t>(rng.below(on.size()))];
}

// Where an aimed or a chain step starts: the costliest of four sampled machines (counted as one
// work), its resource with the largest weighted excess over safety capacity, and of two of its
// processes sampled the one that needs more of that resource. nullopt when that machine runs no
// process or the model has fewer than `min_machines` machines (checked after the sampling, so
// the random stream is the same either way).
struct Overloaded {
    int32_t machine, resource, process;
};
std::optional<Overloaded> pick_overloaded(const RoadefState& st, CounterRng& rng, int64_t& work,
                                          int32_t min_machines) {
    const RoadefModel& md = st.model();
    const auto M = static_cast<uint64_t>(md.machines);
    auto src = static_cast<int32_t>(rng.below(M));
    for (int t = 0; t < 3; ++t) {
        const auto m = static_cast<int32_t>(rng.below(M));
        if (st.machine_cost(m) > st.machine_cost(src)) src = m;
    }
    ++work;
    const auto& on = st.processes_on(MachineIndex{src});
    if (on.empty() || md.machines < min_machines) return std::nullopt;
    int32_t r = 0;
    int64_t worst = INT64_MIN;
    for (int32_t k = 0; k < md.resources; ++k) {
        const int64_t excess = st.usage(src, k) - md.safety(src, k);
        const int64_t w = excess > 0 ? md.weight_load[k] * excess : excess;
        if (w > worst) {
            worst = w;
            r = k;
        }
    }
    int32_t p = on[static_cast<size_t>(rng.below(on.size()))];
    const int32_t other = on[static_cast<size_t>(rng.below(on.size()))];
    if (md.req(other, r) > md.req(p, r)) p = other;
    return Overloaded{src, r, p};
}

// An aimed step at the load cost: on the costliest of a few sampled machines, the resource with
// the largest weighted excess over safety capacity, and the process among two sampled there that
// needs more of it; then the best of `candidates` moves of it to random machines and
// `candidates` swaps with random processes that need less of that resource (feasible ones only,
// ties: the first drawn). Each evaluation counts 1 work, and the step stops at `budget` work;
// `changes` receives the step.
std::optional<int64_t> aimed_step(RoadefState& st, CounterRng& rng, int candidates,
                                  std::vector<Reassign>& changes, int64_t& work, int64_t budget) {
    const RoadefModel& md = st.model();
    const auto M = static_cast<uint64_t>(md.machines);
    const auto P = static_cast<uint64_t>(md.processes);
    const std::optional<Overloaded> o = pick_overloaded(st, rng, work, 1);
    if (!o) return std::nullopt;
    const int32_t src = o->machine, r = o->resource, p = o->process;
    std::optional<int64_t> best;
    Reassign step[2]{};
    int n = 0;
    for (int c = 0; c < candidates && work < budget; ++c) {
        const auto m = static_cast<int32_t>(rng.below(M));
        if (m == src) continue;
        ++work;
        const std::optional<int64_t> d = st.move_delta(ProcessIndex{p}, MachineIndex{m});
        if (d && (!best || *d < *best)) {
            best = d;
            step[0] = {ProcessIndex{p}, MachineIndex{m}};
            n = 1;
        }
    }
    for (int c = 0; c < candidates && work < budget; ++c) {
        const auto q = static_cast<int32_t>(rng.below(P));
        const int32_t mq = st.assignment()[q];
        if (mq == src || md.req(q, r) >= md.req(p, r)) continue;
        ++work;
        const std::optional<int64_t> d = st.swap_delta(ProcessIndex{p}, ProcessIndex{q});
        if (d && (!best || *d < *best)) {
            best = d;
            step[0] = {ProcessIndex{p}, MachineIndex{mq}};
            step[1] = {ProcessIndex{q}, MachineIndex{src}};
            n = 2;
        }
    }
    changes.assign(step, step + n);
    return best;
}

// The other half of the aimed steps fills unused safety capacity (with every machine over safety
// capacity on a resource, its load cost only falls where a machine below safety capacity takes
// more): the machine with the most weighted room below safety capacity among four sampled, its
// resource with the most room, and the best of `candidates` moves onto it of random processes
// that need some of that resource and as many swaps of such a process with one of the machine's
// processes that needs less of it. Work and `changes` as in aimed_step.
std::optional<int64_t> fill_step(RoadefState& st, CounterRng& rng, int candidates,
                                 std::vector<Reassign>& changes, int64_t& work, int64_t budget) {
    const RoadefModel& md = st.model();
    const auto M = static_cast<uint64_t>(md.machines);
    const auto P = static_cast<uint64_t>(md.processes);
    int32_t dst = -1, r = 0;
    int64_t most = 0;
    for (int t = 0; t < 4; ++t) {
        const auto m = static_cast<int32_t>(rng.below(M));
        for (int32_t k = 0; k < md.resources; ++k) {
            const int64_t room = md.weight_load[k] * (md.safety(m, k) - st.usage(m, k));
            if (room > most) {
                most = room;
                dst = m;
                r = k;
            }
        }
    }
    ++work;
    if (dst < 0) return std::nullopt;
    const auto& on = st.processes_on(MachineIndex{dst});
    std::optional<int64_t> best;
    Reassign step[2]{};
    int n = 0;
    for (int c = 0; c < candidates && work < budget; ++c) {
        const auto q = static_cast<int32_t>(rng.below(P));
        const int32_t mq = st.assignment()[q];
        if (mq == dst || md.req(q, r) == 0) continue;
        ++work;
        const std::optional<int64_t> d = st.move_delta(ProcessIndex{q}, MachineIndex{dst});
        if (d && (!best || *d < *best)) {
            best = d;
            step[0] = {ProcessIndex{q}, MachineIndex{dst}};
            n = 1;
        }
        if (on.empty() || work >= budget) continue;
        const int32_t o = on[static_cast<size_t>(rng.below(on.size()))];
        if (md.req(o, r) >= md.req(q, r)) continue;
        ++work;
        const std::optional<int64_t> e = st.swap_delta(ProcessIndex{q}, ProcessIndex{o});
        if (e && (!best || *e < *best)) {
            best = e;
            step[0] = {ProcessIndex{q}, MachineIndex{dst}};
            step[1] = {ProcessIndex{o}, MachineIndex{mq}};
            n = 2;
        }
    }
    changes.assign(step, step + n);
    return best;
}

// A chain (ejection) step at the load cost: p1 as in aimed_step (on the costliest of four sampled
// machines, of two of its processes the one needing more of its resource furthest over safety
// capacity), then `candidates` random targets b. Each is tried as a plain move and as a chain
// that makes room on b: a process p2 of b (of two sampled, one that is away from its initial
// machine if there is one, as its leaving frees transient resources as well) moves on to c, its
// initial machine half the time when it is away from it (which also frees the transient room
// it holds there), else a random machine. On instances whose transient resources are nearly
// full, most single moves overflow their target, and only such pairs get through. The best
// feasible step wins (ties: the first drawn); work and `changes` as in aimed_step.
std::optional<int64_t> chain_step(RoadefState& st, CounterRng& rng, int candidates,
                                  std::vector<Reassign>& changes, int64_t& work, int64_t budget) {
    const RoadefModel& md = st.model();
    const auto M = static_cast<uint64_t>(md.machines);
    const std::optional<Overloaded> o = pick_overloaded(st, rng, work, 3);
    if (!o) return std::nullopt;
    const int32_t src = o->machine, p1 = o->process;
    std::optional<int64_t> best;
    Reassign step[2]{};
    int n = 0;
    for (int c = 0; c < candidates && work < budget; ++c) {
        const auto b = static_cast<int32_t>(rng.below(M));
        if (b == src) continue;
        ++work;
        const std::optional<int64_t> d = st.move_delta(ProcessIndex{p1}, MachineIndex{b});
        if (d && (!best || *d < *best)) {
            best = d;
            step[0] = {ProcessIndex{p1}, MachineIndex{b}};
            n = 1;
        }
        const auto& at_b = st.processes_on(MachineIndex{b});
        if (at_b.empty() || work >= budget) continue;
        int32_t p2 = at_b[static_cast<size_t>(rng.below(at_b.size()))];
        const int32_t alt = at_b[static_cast<size_t>(rng.below(at_b.size()))];
        if (md.initial[p2] == b && md.initial[alt] != b) p2 = alt;
        int32_t dst = md.initial[p2];
        if (dst == b || rng.below(2) == 0) dst = static_cast<int32_t>(rng.below(M));
        if (dst == b) continue;
        ++work;
        const std::optional<int64_t> e =
            st.chain_delta(ProcessIndex{p1}, MachineIndex{b}, ProcessIndex{p2}, MachineIndex{dst});
        if (e && (!best || *e < *best)) {
            best = e;
            step[0] = {ProcessIndex{p1}, MachineIndex{b}};
            step[1] = {ProcessIndex{p2}, MachineIndex{dst}};
            n = 2;
        }
    }
    changes.assign(step, step + n);
    return best;
}

// A home step gives transient room back: a process x away from its initial machine h (the first
// such of up to eight drawn, each counted as one work) goes back to h, where its transient
// requirement is already held, and so frees the room it takes on its current machine b. Tried
// alone, swapped with a process of h (which takes x's place on b), with a process of h moving on
// to a random machine, and with a process p of the costlier of two random machines taking the
// room x frees on b (p to b, x home), `candidates` of each (processes of h drawn at random); the
// best feasible step wins (ties: the first drawn); work and `changes` as in aimed_step. The last
// shape took a2_2 from 958M to 918M (mean of seeds 1-4, 100M work), a2_5 unchanged.
std::optional<int64_t> home_step(RoadefState& st, CounterRng& rng, int candidates,
                                 std::vector<Reassign>& changes, int64_t& work, int64_t budget) {
    const RoadefModel& md = st.model();
    const auto M = static_cast<uint64_t>(md.machines);
    const auto P = static_cast<uint64_t>(md.processes);
    int32_t x = -1;
    for (int t = 0; t < 8 && x < 0 && work < budget; ++t) {
        const auto p = static_cast<int32_t>(rng.below(P));
        ++work;
        if (st.assignment()[p] != md.initial[p]) x = p;
    }
    if (x < 0 || work >= budget) return std::nullopt;
    const int32_t b = st.assignment()[x], h = md.initial[x];
    std::optional<int64_t> best;
    Reassign step[2]{};
    int n = 0;
    ++work;
    if (const std::optional<int64_t> d = st.move_delta(ProcessIndex{x}, MachineIndex{h})) {
        best = d;
        step[0] = {ProcessIndex{x}, MachineIndex{h}};
        n = 1;
    }
    const auto& at_h = st.processes_on(MachineIndex{h});
    for (int c = 0; c < candidates && !at_h.empty() && work < budget; ++c) {
        const int32_t y = at_h[static_cast<size_t>(rng.below(at_h.size()))];
        ++work;
        const std::optional<int64_t> d = st.swap_delta(ProcessIndex{x}, ProcessIndex{y});
        if (d && (!best || *d < *best)) {
            best = d;
            step[0] = {ProcessIndex{x}, MachineIndex{h}};
            step[1] = {ProcessIndex{y}, MachineIndex{b}};
            n = 2;
        }
        if (work >= budget) break;
        const auto dst = static_cast<int32_t>(rng.below(M));
        if (dst == h || dst == b) continue;
        ++work;
        const std::optional<int64_t> e =
            st.chain_delta(ProcessIndex{x}, MachineIndex{h}, ProcessIndex{y}, MachineIndex{dst});
        if (e && (!best || *e < *best)) {
            best = e;
            step[0] = {ProcessIndex{x}, MachineIndex{h}};
            step[1] = {ProcessIndex{y}, MachineIndex{dst}};
            n = 2;
        }
    }
    for (int c = 0; c < candidates && work < budget; ++c) {
        const int32_t p = pick_process(st, rng, 100);
        if (p == x || st.assignment()[p] == b) continue;
        ++work;
        const std::optional<int64_t> e =
            st.chain_delta(ProcessIndex{p}, MachineIndex{b}, ProcessIndex{x}, MachineIndex{h});
        if (e && (!best || *e < *best)) {
            best = e;
            step[0] = {ProcessIndex{p}, MachineIndex{b}};
            step[1] = {ProcessIndex{x}, MachineIndex{h}};
            n = 2;
        }
    }
    changes.assign(step, step + n);
    return best;
}

// The transient weight of the processes away from their initial machines in `assignment`.
int64_t held_transient(const RoadefModel& md, std::span<const int32_t> assignment,
                       const std::vector<int64_t>& weight) {
    int64_t held = 0;
    for (int32_t p = 0; p < md.processes; ++p)
        if (assignment[p] != md.initial[p]) held += weight[static_cast<size_t>(p)];
    return held;
}

// One search's trajectory, kept across rounds: its state, its late-acceptance history and its
// own best. A round continues it with the round's random stream CounterRng(seed, round, index).
//
// The late-acceptance history holds the priced objective: the objective plus the transient
// price times `held`, the transient weight of the processes away from their initial machines
// (see SearchOptions::transient_price). When the price changes between rounds the history is
// shifted by the change of the current priced objective, so it keeps its shape.
struct Searcher {
    Searcher(const RoadefModel& md, std::span<const int32_t> start, int64_t lahc_length,
             const std::vector<int64_t>& weight)
        : st(md, start),
          cur(st.objective()),
          best{st.assignment(), cur},
          history(static_cast<size_t>(std::max<int64_t>(1, lahc_length)), cur),
          weight(&weight),
          held(held_transient(md, start, weight)) {}
    // Starts again from `start` (the best of the epoch, or the initial assignment for a new
    // epoch), with a fresh history.
    void restart(std::span<const int32_t> start, int64_t objective) {
        st = RoadefState(st.model(), start);
        cur = objective;
        FP_ASSERT(cur == st.objective());
        best = {st.assignment(), cur};
        current_is_best = true;
        held = held_transient(st.model(), start, *weight);
        std::fill(history.begin(), history.end(), priced(cur, held));
    }
    // Refills the history at `permille` per mille above the search's best (priced at the
    // current state's held room).
    void reheat(int permille) {
        const int64_t level =
            priced(best.objective, held) +
            static_cast<int64_t>(static_cast<double>(best.objective) * permille / 1000.0);
        std::fill(history.begin(), history.end(), level);
    }
    // Whether no history entry lets a worse step in any more.
    bool frozen() const {
        return *std::max_element(history.begin(), history.end()) <= priced(cur, held);
    }
    int64_t priced(int64_t objective, int64_t held_weight) const {
        return objective + std::llround(price * static_cast<double>(held_weight));
    }
    // Sets the price for the next round, shifting the history with the current priced objective.
    void set_price(double p) {
        if (p == price) return;
        const int64_t old = priced(cur, held);
        price = p;
        const int64_t shift = priced(cur, held) - old;
        for (int64_t& h : history) h += shift;
    }
    RoadefState st;
    int64_t cur;
    SearchOutcome best;
    bool current_is_best = true;
    std::vector<int64_t> history;
    int64_t step = 0;
    const std::vector<int64_t>* weight;
    int64_t held;
    double price = 0;
    int64_t pair_work = 0;  // work spent on pair re-packs, over all rounds
};

// On a model without transient room a home step gives back only move costs: it is worth its
// share once they make at least `share` percent of the objective (on a2_1 at the end, never on
// a2_5). Otherwise the step is a plain move or swap, as with home_percent 0.
bool home_pays(const CostParts& parts, int share) {
    const int64_t moves = parts.process_move + parts.service_move + parts.machine_move;
    return 100 * static_cast<double>(moves) >=
           static_cast<double>(share) * static_cast<double>(parts.total());
}

// permille per mille of x, rounded down, without overflow for any x >= 0.
int64_t permille_of(int64_t x, int permille) {
    return x / 1000 * permille + x % 1000 * permille / 1000;
}

// Continues searcher `s` for `budget` work; returns the work done. Afterwards s.best.assignment
// holds its best assignment (copied out of the state if the state is the best). `work_before` is
// the work of all searches before this round: the transient price fades within the round too,
// every kPriceWork work, as if every search had done this one's work so far (so a short run of
// one round is not priced to its end, and the price depends on this search's work alone).
constexpr int64_t kPriceWork = 4096;
int64_t run_search(Searcher& s, const SearchOptions& opt, uint64_t round, uint64_t index,
                   int64_t budget, int64_t work_before, Stop& stop, bool holds_room) {
    RoadefState& st = s.st;
    const RoadefModel& md = st.model();
    CounterRng rng(opt.seed, round, index);
    const auto P = static_cast<uint64_t>(md.processes);
    const auto M = static_cast<uint64_t>(md.machines);
    int64_t work = 0;
    std::vector<Reassign> changes;
    // The clock is read every 256 iterations (not accepted steps, which may stall).
    uint64_t iteration = 0;
    int64_t price_at = kPriceWork;
    const int64_t pair_before = s.pair_work;  // the round's pair re-packs: s.pair_work - this
    while (work < budget) {
        if (s.price != 0 && work >= price_at) {
            s.set_price(transient_price_at(opt, work_before + opt.searches * work));
            price_at = work + kPriceWork;
        }
        if ((iteration++ & 255) == 0 && stop.check()) break;
        std::optional<int64_t> delta;
        changes.clear();
        // Re-packs the machines `ms` exactly; false when there is no improving packing.
        const auto repack_step = [&](const std::vector<int32_t>& ms, int64_t nodes,
                                     RepackBound bound = RepackBound::kPartialLoad) {
            if (ms.empty()) {
                ++work;
                return false;
            }
            RepackResult rp = repack(st, ms, std::min(nodes, budget - work), bound);
            work += std::max<int64_t>(1, rp.nodes);
            if (rp.changes.empty()) return false;
            delta = rp.delta;
            changes = std::move(rp.changes);
            return true;
        };
        const int room_start =
            opt.repack_percent + opt.aimed_percent + opt.chain_percent + opt.home_percent;
        // A pair re-pack whenever they have had less than their share of the round's work so
        // far, within what is left of their share of its budget (so a short budget is not spent
        // on one re-pack).
        const int64_t pair_work = s.pair_work - pair_before;
        const int64_t pair_room = std::min(
            opt.pair_repack_nodes, permille_of(budget, opt.pair_repack_permille) - pair_work);
        if (pair_room > 0 && pair_work < permille_of(work, opt.pair_repack_permille)) {
            const int64_t was = work;
            const bool found =
                repack_step(pick_pair(st, rng, opt.pair_candidates), pair_room, RepackBound::kRoom);
            s.pair_work += work - was;
            if (!found) continue;
        } else if (const uint64_t kind = rng.below(100);
                   kind < static_cast<uint64_t>(opt.repack_percent)) {
            if (!repack_step(pick_machines(st, rng), opt.repack_nodes)) continue;
        } else if (kind >= static_cast<uint64_t>(room_start) &&
                   kind < static_cast<uint64_t>(room_start + opt.room_repack_percent)) {
            if (!repack_step(pick_room_machines(st, rng, opt.room_candidates), opt.repack_nodes))
                continue;
        } else if (kind < static_cast<uint64_t>(opt.repack_percent + opt.aimed_percent)) {
            delta = (kind - static_cast<uint64_t>(opt.repack_percent)) % 2 == 0
                        ? aimed_step(st, rng, opt.aimed_candidates, changes, work, budget)
                        : fill_step(st, rng, opt.aimed_candidates, changes, work, budget);
        } else if (kind < static_cast<uint64_t>(opt.repack_percent + opt.aimed_percent +
                                                opt.chain_percent)) {
            delta = chain_step(st, rng, opt.aimed_candidates, changes, work, budget);
        } else if (kind < static_cast<uint64_t>(opt.repack_percent + opt.aimed_percent +
                                                opt.chain_percent + opt.home_percent) &&
                   (holds_room || home_pays(st.parts(), opt.home_move_share))) {
            delta = home_step(st, rng, opt.aimed_candidates, changes, work, budget);
        } else if (kind < static_cast<uint64_t>(kMovesEndPercent)) {
            const int32_t p = pick_process(st, rng, opt.targeted_percent);
            const auto m = static_cast<int32_t>(rng.below(M));
            ++work;
            if (st.assignment()[p] == m) continue;
            delta = st.move_delta(ProcessIndex{p}, MachineIndex{m});
            if (delta) changes.push_back({ProcessIndex{p}, MachineIndex{m}});
        } else {
            const int32_t a = pick_process(st, rng, opt.targeted_percent);
            const auto b = static_cast<int32_t>(rng.below(P));
            ++work;
            if (st.assignment()[a] == st.assignment()[b]) continue;
            delta = st.swap_delta(ProcessIndex{a}, ProcessIndex{b});
            if (delta) {
                changes.push_back({ProcessIndex{a}, MachineIndex{st.assignment()[b]}});
                changes.push_back({ProcessIndex{b}, MachineIndex{st.assignment()[a]}});
            }
        }
        if (!delta) continue;
        const int64_t next = s.cur + *delta;
        int64_t next_held = s.held;
        for (const Reassign& c : changes) {
            const int32_t p = ix(c.process), m0 = md.initial[p];
            const int64_t w = (*s.weight)[static_cast<size_t>(p)];
            next_held += (ix(c.machine) != m0 ? w : 0) - (st.assignment()[p] != m0 ? w : 0);
        }
        const int64_t cur_priced = s.priced(s.cur, s.held);
        const int64_t next_priced = s.priced(next, next_held);
        const size_t v = static_cast<size_t>(s.step % static_cast<int64_t>(s.history.size()));
        ++s.step;
        if (next_priced <= cur_priced || next_priced <= s.history[v]) {
            if (*delta > 0 && s.current_is_best) {
                s.best.assignment = st.assignment();
                s.best.objective = s.cur;
                s.current_is_best = false;
            }
            st.apply(changes);
            s.cur = next;
            s.held = next_held;
            FP_DEBUG_ASSERT(s.cur == st.objective());
            if (s.cur < s.best.objective || (s.current_is_best && s.cur <= s.best.objective)) {
                s.best.objective = s.cur;
                s.current_is_best = true;
            }
        }
        const int64_t now_priced = s.priced(s.cur, s.held);
        if (now_priced < s.history[v]) s.history[v] = now_priced;
    }
    if (s.current_is_best) s.best.assignment = st.assignment();
    return work;
}

}  // namespace

double nominal_budget(const SearchOptions& opt) {
    return opt.work >= 0 ? static_cast<double>(opt.work)
                         : opt.time_limit_seconds * static_cast<double>(opt.lahc_work_per_second);
}

double transient_price_at(const SearchOptions& opt, int64_t work_done) {
    if (opt.transient_price <= 0 || opt.transient_price_fade <= 0) return 0;
    double end = nominal_budget(opt) * opt.transient_price_fade / 100.0;
    if (opt.transient_price_fade_work > 0)
        end = std::min(end, static_cast<double>(opt.transient_price_fade_work));
    if (end <= 0) return 0;
    return opt.transient_price * std::max(0.0, 1.0 - static_cast<double>(work_done) / end);
}

std::vector<int64_t> transient_weights(const RoadefModel& md) {
    std::vector<int64_t> w(static_cast<size_t>(md.processes), 0);
    for (int32_t p = 0; p < md.processes; ++p)
        for (int32_t r = 0; r < md.resources; ++r)
            if (md.transient[r]) w[static_cast<size_t>(p)] += md.weight_load[r] * md.req(p, r);
    return w;
}

int64_t lahc_history_length(const SearchOptions& opt) {
    FP_ASSERT(opt.searches >= 1 && opt.lahc_length >= 1 && opt.lahc_work_per_entry >= 0 &&
              opt.lahc_work_per_second >= 0);
    if (opt.lahc_work_per_entry == 0) return opt.lahc_length;
    const double total = nominal_budget(opt);
    const double entries = total / opt.searches / static_cast<double>(opt.lahc_work_per_entry);
    int64_t longest = std::min(kMaxLahcLength, opt.lahc_max_length);
    if (opt.transient_lahc_max_length > 0)
        longest = std::min(longest, opt.transient_lahc_max_length);
    return std::max(opt.lahc_length,
                    static_cast<int64_t>(std::min(entries, static_cast<double>(longest))));
}

bool holds_transient_room(const RoadefModel& md) {
    for (int32_t r = 0; r < md.resources; ++r)
        if (md.transient[r])
            for (int32_t p = 0; p < md.processes; ++p)
                if (md.req(p, r) > 0) return true;
    return false;
}

SearchResult optimise(const RoadefModel& md, const SearchOptions& options) {
    SearchOptions opt = options;
    const bool holds_room = holds_transient_room(md);
    if (!holds_room) {  // no room to give back, price or aim at: moves take the share
        opt.transient_price = 0;
        opt.room_repack_percent = 0;
        opt.transient_lahc_max_length = 0;
        opt.epoch_rounds = 0;
    } else {  // room re-packs serve there, and pair re-packs measured no gain
        opt.pair_repack_permille = 0;
    }
    FP_ASSERT(opt.searches >= 1 && opt.round_work >= 1);
    FP_ASSERT(opt.pair_repack_permille >= 0 && opt.pair_repack_permille <= 1000);
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
    std::vector<Searcher> searchers;
    searchers.reserve(K);
    const int64_t history = lahc_history_length(opt);
    const std::vector<int64_t> weight = transient_weights(md);
    for (size_t i = 0; i < K; ++i) searchers.emplace_back(md, md.initial, history, weight);
    std::vector<int64_t> idle_rounds(K, 0);
    // The current epoch: its best (restarts and reheats aim at it), the work before it began
    // (the transient price fades anew in each) and its best after each of its rounds.
    int64_t epoch_best = best;
    std::vector<int32_t> epoch_assignment = md.initial;
    int64_t epoch_start = 0;
    std::vector<int64_t> epoch_trail;
    res.epochs = 1;
    for (uint64_t round = 0;; ++round) {
        int64_t share = opt.round_work;
        if (opt.work >= 0) {
            const int64_t left = opt.work - res.work;
            if (left <= 0) break;
            // Rounded up without overflow (--work may be INT64_MAX).
            share =
                std::min<int64_t>(share, left / opt.searches + (left % opt.searches != 0 ? 1 : 0));
        }
        if (stop.check()) break;
        std::vector<int64_t> before(K), done(K, 0);
        const int64_t work_before = res.work - epoch_start;
        const double price = transient_price_at(opt, work_before);
        for (size_t i = 0; i < K; ++i) {
            before[i] = searchers[i].best.objective;
            searchers[i].set_price(price);
        }
        tbb::parallel_for(size_t{0}, K, [&](size_t i) {
            int64_t budget = share;
            if (opt.work >= 0)  // the last searches of the last round take what is left
                budget = std::clamp<int64_t>(opt.work - res.work - static_cast<int64_t>(i) * share,
                                             0, share);
            if (budget > 0)
                done[i] =
                    run_search(searchers[i], opt, round, i, budget, work_before, stop, holds_room);
        });
        size_t pick = K;
        for (size_t i = 0; i < K; ++i) {
            res.work += done[i];
            if (searchers[i].best.objective < epoch_best) {
                epoch_best = searchers[i].best.objective;
                pick = i;
            }
        }
        if (pick < K) {
            epoch_assignment = searchers[pick].best.assignment;
            if (epoch_best < best) {
                best = epoch_best;
                res.assignment = epoch_assignment;
                res.best_work = res.work;
            }
        }
        ++res.rounds;
        // A search whose own best has not improved for restart_rounds rounds and is above the
        // best of the epoch starts again from that best (decided in index order, after the round).
        for (size_t i = 0; i < K; ++i) {
            idle_rounds[i] = searchers[i].best.objective < before[i] ? 0 : idle_rounds[i] + 1;
            if (opt.restart_rounds > 0 && idle_rounds[i] >= opt.restart_rounds &&
                searchers[i].best.objective > epoch_best) {
                searchers[i].restart(epoch_assignment, epoch_best);
                idle_rounds[i] = 0;
                ++res.restarts;
            } else if (opt.reheat_rounds > 0 && idle_rounds[i] >= opt.reheat_rounds &&
                       searchers[i].best.objective == epoch_best && searchers[i].frozen()) {
                searchers[i].reheat(opt.reheat_permille);
                idle_rounds[i] = 0;
                ++res.reheats;
            }
        }
        // A new epoch when this one's best gained less than epoch_gain_permille over its last
        // epoch_rounds rounds and work is left (one begun with none would only be counted).
        if (opt.epoch_rounds > 0) epoch_trail.push_back(epoch_best);
        const bool work_left = !stop.hit.load() && (opt.work < 0 || res.work < opt.work);
        if (opt.epoch_rounds > 0 && work_left && std::ssize(epoch_trail) > opt.epoch_rounds) {
            const int64_t then =
                epoch_trail[epoch_trail.size() - 1 - static_cast<size_t>(opt.epoch_rounds)];
            if (static_cast<double>(then - epoch_best) * 1000.0 <
                static_cast<double>(opt.epoch_gain_permille) * static_cast<double>(then)) {
                const int64_t initial = res.initial_parts.total();
                for (size_t i = 0; i < K; ++i) {
                    searchers[i].restart(md.initial, initial);
                    idle_rounds[i] = 0;
                }
                epoch_best = initial;
                epoch_assignment = md.initial;
                epoch_start = res.work;
                epoch_trail.clear();
                ++res.epochs;
            }
        }
    }
    res.stopped_by_time = stop.hit.load();
    for (const Searcher& s : searchers) res.pair_work += s.pair_work;
    res.parts = evaluate_from_scratch(md, res.assignment);
    FP_ASSERT(res.parts.total() == best);
    return res;
}

}  // namespace fp::opt
