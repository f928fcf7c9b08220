// The incremental state against a from-scratch evaluation, and each hard constraint alone.
#include "src/opt/roadef_state.hpp"

#include <gtest/gtest.h>

#include "src/opt/repack.hpp"
#include "tests/unit/opt/roadef_instances.hpp"

namespace fp::opt {
namespace {

using testing::add_process;
using testing::add_service;
using testing::tiny;

ProcessIndex P(int32_t p) { return ProcessIndex{p}; }
MachineIndex Mi(int32_t m) { return MachineIndex{m}; }

// Random moves and swaps on random instances: every delta equals the difference of two full
// evaluations, every verdict equals the full constraint check, and after each applied change the
// kept cost parts equal a full evaluation.
TEST(RoadefState, DeltaEqualsFullReevaluationOverRandomMovesAndSwaps) {
    int64_t feasible = 0, infeasible = 0;
    for (uint64_t seed = 1; seed <= 6; ++seed) {
        const RoadefModel md = testing::random_instance(seed);
        ASSERT_FALSE(first_violation(md, md.initial).has_value()) << "seed " << seed;
        RoadefState st(md);
        CounterRng rng(seed, 1, 0);
        for (int step = 0; step < 4000; ++step) {
            std::vector<Reassign> ch;
            const auto a = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
            if (rng.below(2) == 0) {
                ch.push_back({P(a), Mi(static_cast<int32_t>(
                                        rng.below(static_cast<uint64_t>(md.machines))))});
            } else {
                const auto b = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
                if (a == b) continue;
                ch.push_back({P(a), st.machine_of(P(b))});
                ch.push_back({P(b), st.machine_of(P(a))});
            }
            std::vector<int32_t> after = st.assignment();
            for (const Reassign& c : ch) after[ix(c.process)] = ix(c.machine);
            const std::vector<int32_t> before = st.assignment();
            const auto d = st.try_change(ch);
            ASSERT_EQ(st.assignment(), before) << "try_change altered the state";
            const auto violation = first_violation(md, after);
            ASSERT_EQ(d.has_value(), !violation.has_value())
                << "seed " << seed << " step " << step << ": " << violation.value_or("feasible");
            if (!d) {
                ++infeasible;
                continue;
            }
            ++feasible;
            ASSERT_EQ(*d, evaluate_from_scratch(md, after).total() -
                              evaluate_from_scratch(md, before).total());
            if (rng.below(3) != 0) {
                st.apply(ch);
                ASSERT_EQ(st.parts(), evaluate_from_scratch(md, st.assignment()));
            }
        }
    }
    // Both verdicts occur often enough for the comparison to mean something.
    EXPECT_GT(feasible, 2000);
    EXPECT_GT(infeasible, 2000);
}

// The search's fast path (move_delta, swap_delta) against try_change, which relocates and
// checks: the same verdict and the same delta on random moves and swaps from feasible states.
TEST(RoadefState, FastMoveAndSwapDeltasEqualTryChange) {
    int64_t feasible = 0, infeasible = 0, applied = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        const RoadefModel md = testing::random_instance(seed);
        RoadefState st(md);
        CounterRng rng(seed, 2, 0);
        for (int step = 0; step < 6000; ++step) {
            const auto a = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
            std::vector<Reassign> ch;
            std::optional<int64_t> fast;
            if (rng.below(2) == 0) {
                const auto m = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
                ch.push_back({P(a), Mi(m)});
                fast = st.move_delta(P(a), Mi(m));
            } else {
                const auto b = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
                if (a == b) continue;
                ch.push_back({P(a), st.machine_of(P(b))});
                ch.push_back({P(b), st.machine_of(P(a))});
                fast = st.swap_delta(P(a), P(b));
            }
            const std::vector<int32_t> before = st.assignment();
            const auto slow = st.try_change(ch);
            ASSERT_EQ(st.assignment(), before) << "a fast delta altered the state";
            ASSERT_EQ(fast, slow) << "seed " << seed << " step " << step;
            if (!slow) {
                ++infeasible;
                continue;
            }
            ++feasible;
            if (rng.below(2) == 0) {
                st.apply(ch);
                ++applied;
            }
        }
        ASSERT_EQ(st.parts(), evaluate_from_scratch(md, st.assignment()));
    }
    EXPECT_GT(feasible, 4000);
    EXPECT_GT(infeasible, 4000);
    EXPECT_GT(applied, 2000);
}

// The chain step's delta (capacity of both targets checked from the counters first) against
// try_change on the same two reassignments: p1 to machine b and a process of b on to c, where c
// is p1's machine, the second process's initial machine or a random one; applied half the time
// so that many processes are away from their initial machines (transient room held).
TEST(RoadefState, ChainDeltaEqualsTryChange) {
    int64_t feasible = 0, infeasible = 0, to_source = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        const RoadefModel md = testing::random_instance(seed);
        RoadefState st(md);
        CounterRng rng(seed, 3, 0);
        for (int step = 0; step < 6000; ++step) {
            const auto p1 = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
            const auto b = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
            const auto& at_b = st.processes_on(Mi(b));
            if (b == st.assignment()[p1] || at_b.empty()) continue;
            const int32_t p2 = at_b[static_cast<size_t>(rng.below(at_b.size()))];
            const uint64_t how = rng.below(3);
            int32_t c = how == 0 ? st.assignment()[p1]
                        : how == 1
                            ? md.initial[p2]
                            : static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
            if (c == b) continue;
            to_source += c == st.assignment()[p1] ? 1 : 0;
            const std::vector<Reassign> ch = {{P(p1), Mi(b)}, {P(p2), Mi(c)}};
            const std::vector<int32_t> before = st.assignment();
            const auto fast = st.chain_delta(P(p1), Mi(b), P(p2), Mi(c));
            ASSERT_EQ(st.assignment(), before) << "chain_delta altered the state";
            const auto slow = st.try_change(ch);
            ASSERT_EQ(fast, slow) << "seed " << seed << " step " << step;
            if (!slow) {
                ++infeasible;
                continue;
            }
            ++feasible;
            if (rng.below(2) == 0) st.apply(ch);
        }
        ASSERT_EQ(st.parts(), evaluate_from_scratch(md, st.assignment()));
        ASSERT_FALSE(first_violation(md, st.assignment()).has_value());
    }
    // Measured: 370 feasible of about 31,000 chains on these small, full instances.
    EXPECT_GT(feasible, 200) << infeasible << " infeasible, " << to_source << " back to p1's";
    EXPECT_GT(infeasible, 4000);
    EXPECT_GT(to_source, 2000);
}

// The home step's four shapes (local_search.cpp, home_step) against try_change: a process x
// away from its initial machine h goes back alone, swapped with a process y of h, with y moving
// on to a random machine (chain_delta with x's target being x's initial machine, whose transient
// room x already holds), or with a random process z taking x's place (chain_delta with x the
// process that moves on, to its initial machine). Random moves applied in between keep many
// processes away from home.
TEST(RoadefState, HomeStepDeltasEqualTryChange) {
    int64_t feasible = 0, infeasible = 0, home_moves = 0, replaced = 0;
    for (uint64_t seed = 1; seed <= 8; ++seed) {
        const RoadefModel md = testing::random_instance(seed);
        RoadefState st(md);
        CounterRng rng(seed, 4, 0);
        const auto P_ = static_cast<uint64_t>(md.processes);
        const auto M_ = static_cast<uint64_t>(md.machines);
        for (int step = 0; step < 8000; ++step) {
            const auto p = static_cast<int32_t>(rng.below(P_));
            const int32_t h = md.initial[p], b = st.assignment()[p];
            if (b == h) {  // not away: a random move, applied when feasible, to leave home
                const auto m = static_cast<int32_t>(rng.below(M_));
                if (st.try_move(P(p), Mi(m))) st.apply(std::vector<Reassign>{{P(p), Mi(m)}});
                continue;
            }
            const std::vector<int32_t> before = st.assignment();
            std::vector<Reassign> ch = {{P(p), Mi(h)}};
            std::optional<int64_t> fast;
            const uint64_t how = rng.below(4);
            const auto& at_h = st.processes_on(Mi(h));
            if (how == 3) {
                const auto z = static_cast<int32_t>(rng.below(P_));
                if (z == p || st.assignment()[z] == b) continue;
                fast = st.chain_delta(P(z), Mi(b), P(p), Mi(h));
                ch = {{P(z), Mi(b)}, {P(p), Mi(h)}};
                ++replaced;
            } else if (how == 0 || at_h.empty()) {
                fast = st.move_delta(P(p), Mi(h));
                ++home_moves;
            } else {
                const int32_t y = at_h[static_cast<size_t>(rng.below(at_h.size()))];
                if (how == 1) {
                    fast = st.swap_delta(P(p), P(y));
                    ch.push_back({P(y), Mi(b)});
                } else {
                    const auto c = static_cast<int32_t>(rng.below(M_));
                    if (c == h) continue;
                    fast = st.chain_delta(P(p), Mi(h), P(y), Mi(c));
                    ch.push_back({P(y), Mi(c)});
                }
            }
            ASSERT_EQ(st.assignment(), before) << "a delta altered the state";
            const auto slow = st.try_change(ch);
            ASSERT_EQ(fast, slow) << "seed " << seed << " step " << step << " shape " << how;
            if (!slow) {
                ++infeasible;
                continue;
            }
            ++feasible;
            if (rng.below(2) == 0) st.apply(ch);
        }
        ASSERT_EQ(st.parts(), evaluate_from_scratch(md, st.assignment()));
        ASSERT_FALSE(first_violation(md, st.assignment()).has_value());
    }
    EXPECT_GT(feasible, 1000) << infeasible << " infeasible";
    EXPECT_GT(infeasible, 1000);
    EXPECT_GT(home_moves, 1000);
    EXPECT_GT(replaced, 1000);
}

TEST(Repack, FindsOnlyFeasibleImprovementsWithExactDelta) {
    int64_t found = 0;
    for (uint64_t seed = 1; seed <= 20; ++seed) {
        const RoadefModel md = testing::random_instance(seed, 6, 24);
        RoadefState st(md);
        for (int32_t a = 0; a < md.machines; ++a)
            for (int32_t b = a + 1; b < md.machines; ++b) {
                const int32_t ms[2] = {a, b};
                const RepackResult r = repack(st, ms, 100000);
                if (r.changes.empty()) continue;
                std::vector<int32_t> after = st.assignment();
                for (const Reassign& c : r.changes) after[ix(c.process)] = ix(c.machine);
                ASSERT_FALSE(first_violation(md, after).has_value());
                ASSERT_LT(r.delta, 0);
                ASSERT_EQ(r.delta, evaluate_from_scratch(md, after).total() - st.objective());
                ++found;
            }
    }
    EXPECT_GT(found, 0);
}

// Makes `steps` random moves (each applied when feasible): processes leave home and spend
// transient room.
void random_moves(RoadefState& st, CounterRng rng, int steps) {
    const RoadefModel& md = st.model();
    for (int step = 0; step < steps; ++step) {
        const auto p = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.processes)));
        const auto m = static_cast<int32_t>(rng.below(static_cast<uint64_t>(md.machines)));
        if (st.try_move(P(p), Mi(m))) st.apply(std::vector<Reassign>{{P(p), Mi(m)}});
    }
}

// Without a node limit the re-pack is exact with either bound: on small instances (service-move
// weight 0, so the objective changes only on the re-packed machines and by the freed processes'
// move costs) its result equals the best of every assignment of the freed processes to the
// machines, enumerated apart. A bound that cut off a better packing fails here. The room bound
// visits no node the partial-load bound does not, and fewer somewhere (so it is the one used).
// Random moves first take processes away from home, so transient room is held too.
TEST(Repack, WithoutANodeLimitFindsTheBestPacking) {
    int64_t improved = 0, checked = 0, fewer = 0;
    for (uint64_t seed = 1; seed <= 30; ++seed) {
        RoadefModel md = testing::random_instance(seed, 4, 13);
        md.weight_service_move = 0;
        RoadefState st(md);
        random_moves(st, CounterRng(seed, 11, 0), 60);
        const std::vector<std::vector<int32_t>> groups = {{0, 1}, {2, 3}, {0, 2, 3}, {1, 2, 3}};
        for (const std::vector<int32_t>& ms : groups) {
            std::vector<int32_t> freed;
            for (int32_t p = 0; p < md.processes; ++p)
                if (std::find(ms.begin(), ms.end(), st.assignment()[p]) != ms.end())
                    freed.push_back(p);
            // Every assignment of the freed processes to the machines, as a number in base k.
            const auto k = static_cast<int64_t>(ms.size());
            int64_t combos = 1;
            for (size_t i = 0; i < freed.size(); ++i) combos *= k;
            int64_t best = st.objective();
            std::vector<int32_t> a = st.assignment();
            for (int64_t c = 0; c < combos; ++c) {
                int64_t code = c;
                for (int32_t p : freed) {
                    a[static_cast<size_t>(p)] = ms[static_cast<size_t>(code % k)];
                    code /= k;
                }
                if (!first_violation(md, a))
                    best = std::min(best, evaluate_from_scratch(md, a).total());
            }
            int64_t nodes[2] = {0, 0};
            for (const RepackBound bound : {RepackBound::kPartialLoad, RepackBound::kRoom}) {
                const RepackResult r = repack(st, ms, INT64_MAX, bound);
                ASSERT_EQ(st.objective() + r.delta, best) << "seed " << seed << " group " << ms[0];
                ASSERT_EQ(r.changes.empty(), best == st.objective());
                nodes[bound == RepackBound::kRoom] = r.nodes;
                ++checked;
                if (!r.changes.empty()) ++improved;
            }
            // The same depth-first order with a bound never below the other's: a subset of
            // its nodes.
            EXPECT_LE(nodes[1], nodes[0]) << "seed " << seed << " group " << ms[0];
            if (nodes[1] < nodes[0]) ++fewer;
        }
    }
    EXPECT_EQ(checked, 240);
    EXPECT_GE(improved, 10);
    EXPECT_GT(fewer, 0);  // the room bound cuts somewhere
}

// The smallest share of capacity machine m has left to receive on the transient resources (all
// resources when none is transient), computed apart from roomiest_machines.
double least_free_share(const RoadefState& st, int32_t m) {
    const RoadefModel& md = st.model();
    bool any = false;
    for (int32_t r = 0; r < md.resources; ++r) any = any || md.transient[r];
    double least = 1;
    for (int32_t r = 0; r < md.resources; ++r)
        if (!any || md.transient[r])
            least = std::min(least, static_cast<double>(md.cap(m, r) - st.usage(m, r) -
                                                        st.transient_usage(m, r)) /
                                        static_cast<double>(md.cap(m, r)));
    return least;
}

// Room re-packs: random moves first take processes away from home (spending transient room),
// then each machine in turn is re-packed with the two machines roomiest_machines ranks first.
// Those two have at least as much room as every other machine, the first at least as much as
// the second; every packing found keeps every hard constraint and its delta equals try_change's
// and a from-scratch evaluation's. Applying them keeps the state exact.
TEST(Repack, RoomRepackPicksTheRoomiestAndKeepsDeltasExact) {
    int64_t found = 0;
    for (uint64_t seed = 1; seed <= 10; ++seed) {
        const RoadefModel md = testing::random_instance(seed, 8, 40);
        RoadefState st(md);
        random_moves(st, CounterRng(seed, 7, 0), 400);
        for (int32_t first = 0; first < md.machines; ++first) {
            const std::vector<int32_t> room = roomiest_machines(st, first, 2);
            ASSERT_EQ(room.size(), 2u);
            ASSERT_NE(room[0], first);
            ASSERT_NE(room[1], first);
            ASSERT_NE(room[0], room[1]);
            EXPECT_GE(least_free_share(st, room[0]), least_free_share(st, room[1]));
            for (int32_t m = 0; m < md.machines; ++m) {
                if (m == first || m == room[0] || m == room[1]) continue;
                EXPECT_GE(least_free_share(st, room[1]), least_free_share(st, m))
                    << "seed " << seed << " machine " << m;
            }
            const int32_t ms[3] = {first, room[0], room[1]};
            const RepackResult r = repack(st, ms, 20000);
            if (r.changes.empty()) continue;
            std::vector<int32_t> after = st.assignment();
            for (const Reassign& c : r.changes) after[ix(c.process)] = ix(c.machine);
            ASSERT_FALSE(first_violation(md, after).has_value());
            ASSERT_LT(r.delta, 0);
            ASSERT_EQ(st.try_change(r.changes), r.delta);
            ASSERT_EQ(r.delta, evaluate_from_scratch(md, after).total() - st.objective());
            st.apply(r.changes);
            ASSERT_EQ(st.parts(), evaluate_from_scratch(md, st.assignment()));
            ++found;
        }
    }
    EXPECT_GT(found, 10);
    // Fewer machines than asked for: all the others.
    const RoadefModel md = testing::random_instance(3, 4, 12);
    const RoadefState st(md);
    EXPECT_EQ(roomiest_machines(st, 1, 9).size(), 3u);
}

// Two machines of capacity 10, each with one process (its own service) of the given sizes.
RoadefModel two_on_two(bool transient, int64_t size0, int64_t size1) {
    RoadefModel md = tiny(2, 10, transient, {0, 1}, {0, 0});
    add_service(md, 0);
    add_service(md, 0);
    add_process(md, 0, size0, 0);
    add_process(md, 1, size1, 1);
    return md;
}

TEST(RoadefState, CapacityRefusesAnOverfullMachine) {
    const RoadefModel md = two_on_two(false, 6, 6);
    RoadefState st(md);
    EXPECT_FALSE(st.try_move(P(0), Mi(1)).has_value());
    EXPECT_EQ(st.try_move(P(0), Mi(0)), 0);
}

TEST(RoadefState, TransientResourceCountsOnTheOriginalMachineToo) {
    for (bool transient : {false, true}) {
        const RoadefModel md = two_on_two(transient, 6, 5);
        RoadefState st(md);
        ASSERT_TRUE(st.try_move(P(0), Mi(1)) == std::nullopt);  // 11 > 10 either way
        // Swap: p0 to m1, p1 to m0. Transient: m0 holds 5 + 6 (p0 left it) > 10.
        EXPECT_EQ(st.try_swap(P(0), P(1)).has_value(), !transient) << transient;
        std::vector<int32_t> swapped = {1, 0};
        EXPECT_EQ(first_violation(md, swapped).has_value(), transient);
    }
    // Moving back home releases the transient usage.
    RoadefModel md = tiny(3, 10, true, {0, 1, 2}, {0, 0, 0});
    add_service(md, 0);
    add_service(md, 0);
    add_process(md, 0, 6, 0);
    add_process(md, 1, 5, 1);
    RoadefState st(md);
    const Reassign away{P(0), Mi(2)};
    ASSERT_TRUE(st.try_change({&away, 1}).has_value());
    st.apply({&away, 1});
    EXPECT_EQ(st.transient_usage(0, 0), 6);
    EXPECT_FALSE(st.try_move(P(1), Mi(0)).has_value());  // 5 + 6 transient > 10
    const Reassign home{P(0), Mi(0)};
    ASSERT_EQ(st.try_change({&home, 1}),
              -evaluate_from_scratch(md, std::vector<int32_t>{2, 1}).total());
    st.apply({&home, 1});
    EXPECT_EQ(st.transient_usage(0, 0), 0);
    EXPECT_EQ(st.objective(), 0);
}

TEST(RoadefState, ConflictKeepsOneProcessOfAServicePerMachine) {
    RoadefModel md = tiny(3, 100, false, {0, 1, 2}, {0, 0, 0});
    add_service(md, 0);
    add_process(md, 0, 1, 0);
    add_process(md, 0, 1, 1);
    RoadefState st(md);
    EXPECT_FALSE(st.try_move(P(0), Mi(1)).has_value());
    EXPECT_TRUE(st.try_move(P(0), Mi(2)).has_value());
}

TEST(RoadefState, SpreadKeepsTheMinimumNumberOfLocations) {
    for (int32_t spread : {1, 2}) {
        // Machines 0 and 1 in location 0, machine 2 in location 1.
        RoadefModel md = tiny(3, 100, false, {0, 0, 1}, {0, 0, 0});
        add_service(md, spread);
        add_process(md, 0, 1, 0);
        add_process(md, 0, 1, 2);
        RoadefState st(md);
        EXPECT_EQ(st.try_move(P(1), Mi(1)).has_value(), spread == 1) << spread;
    }
}

TEST(RoadefState, DependencyNeedsTheServiceDependedOnInTheNeighbourhood) {
    // Machines 0, 1 in neighbourhood 0; machine 2 in neighbourhood 1. Service 1 depends on 0.
    RoadefModel md = tiny(3, 100, false, {0, 1, 2}, {0, 0, 1});
    add_service(md, 0);
    add_service(md, 0, {0});
    add_process(md, 0, 1, 0);  // p0: service 0 in neighbourhood 0
    add_process(md, 1, 1, 1);  // p1: service 1 in neighbourhood 0
    RoadefState st(md);
    EXPECT_FALSE(st.try_move(P(1), Mi(2)).has_value());  // service 1 would be alone in nbh 1
    EXPECT_FALSE(st.try_move(P(0), Mi(2)).has_value());  // service 0 would leave nbh 0
    EXPECT_TRUE(st.try_move(P(0), Mi(1)).has_value());   // stays in nbh 0
    // Both together keep it (two services may share a machine).
    const Reassign both[2] = {{P(0), Mi(2)}, {P(1), Mi(2)}};
    EXPECT_TRUE(st.try_change(both).has_value());
    RoadefModel md2 = tiny(4, 100, false, {0, 1, 2, 3}, {0, 0, 1, 1});
    add_service(md2, 0);
    add_service(md2, 0, {0});
    add_process(md2, 0, 1, 0);
    add_process(md2, 1, 1, 1);
    RoadefState st2(md2);
    const Reassign both2[2] = {{P(0), Mi(2)}, {P(1), Mi(3)}};
    EXPECT_TRUE(st2.try_change(both2).has_value());
}

}  // namespace
}  // namespace fp::opt
