// The improvement phases after a consolidation and a balance ([plan] improve,
// plan/pass_improve.cpp and plan/pass_improve_balance.cpp).
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <string>
#include <vector>

#include "src/model/generator.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/sharded.hpp"
#include "src/plan/summary.hpp"
#include "tests/unit/core/fleet_builder.hpp"
#include "tests/unit/core/plan_test_util.hpp"

namespace fp::plan {
namespace {

// Three hosts of 10 cores (9 at max-util 0.9). A runs a1 (5 cores) and a2 (1 core), B runs b
// (8 cores), C runs c (4 cores); a1 and b hold 500 GiB each to copy: never worth a drain. c fits
// neither A (3 cores free) nor B (1 free), so the greedy drains free nothing; moving a2 to B
// makes room for c on A, and C is free.
model::Fleet ejection_fleet() {
    return testing::FleetBuilder()
        .host("A", 10, 65536, 1000)
        .host("B", 10, 65536, 1000)
        .host("C", 10, 65536, 1000)
        .vm("a1", "A", 5, 1024, 1, 512000)
        .vm("a2", "A", 1, 512, 1)
        .vm("b", "B", 8, 1024, 1, 512000)
        .vm("c", "C", 4, 1024, 1)
        .build();
}

// Goal consolidate under a memory budget that covers every VM: the cheapest-first drains.
PlanOptions budgeted(int64_t improve) {
    PlanOptions o;
    o.budget_mem_frac = 1.0;
    o.improve = improve;
    return o;
}

std::vector<int32_t> hosts_after(const model::Fleet& f, const Plan& p) {
    std::vector<int32_t> at(f.vms.size());
    for (size_t v = 0; v < f.vms.size(); ++v) at[v] = f.vms[v].host;
    for (const Move& m : p.moves) at[static_cast<size_t>(m.vm)] = m.target;
    return at;
}

std::string host_of(const model::Fleet& f, const Plan& p, const std::string& vm) {
    const Move* m = testing::move_of(f, p, vm);
    if (!m) return "(stays)";
    return f.hosts[static_cast<size_t>(m->target)].id;
}

TEST(ImproveConsolidation, EjectsASmallVmToEmptyAHostTheGreedyPlanKeeps) {
    const model::Fleet f = ejection_fleet();
    const Plan greedy = testing::plan_goal(f, Goal::kConsolidate, budgeted(0));
    EXPECT_TRUE(greedy.moves.empty());
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, budgeted(1000));
    EXPECT_EQ(host_of(f, p, "a2"), "B");
    EXPECT_EQ(host_of(f, p, "c"), "A");
    EXPECT_EQ(p.moves.size(), 2u);
    EXPECT_EQ(p.improve.hosts_freed, 1);
    EXPECT_EQ(p.improve.moves_added, 2);
    EXPECT_EQ(p.improve.mem_added_kib, (512 + 1024) * 1024);
    EXPECT_GT(p.improve.work, 0);
    PlanOptions o = budgeted(1000);
    o.goal = Goal::kConsolidate;
    const PlanSummary s = summarize(f, p, o);
    EXPECT_EQ(s.active_hosts_after, 2);
    EXPECT_EQ(s.overloaded_after, 0);
}

TEST(ImproveConsolidation, StopsAtItsWorkLimit) {
    const model::Fleet f = ejection_fleet();
    // C (the least loaded) is tried first: c's direct placement, a1 and a2 as ejection
    // candidates, then a2's placement on B: four units.
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, budgeted(3));
    EXPECT_TRUE(p.moves.empty());
    EXPECT_EQ(p.improve.work, 3);
    EXPECT_EQ(p.improve.hosts_freed, 0);
    const Plan q = testing::plan_goal(f, Goal::kConsolidate, budgeted(4));
    EXPECT_EQ(q.improve.hosts_freed, 1);
    EXPECT_EQ(q.improve.work, 4);
}

TEST(ImproveConsolidation, KeepsTheMigrationBudget) {
    const model::Fleet f = ejection_fleet();
    PlanOptions o;
    o.budget_migrations = 1;  // emptying C takes two migrations
    o.improve = 1000;
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, o);
    EXPECT_TRUE(p.moves.empty());
    EXPECT_EQ(p.improve.hosts_freed, 0);
}

TEST(ImproveConsolidation, NeverEjectsAcrossASiteBoundary) {
    model::Fleet f = ejection_fleet();
    f.hosts[0].site = f.hosts[2].site = "s1";
    f.hosts[1].site = "s2";  // a2 would have to go to B, in another site
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, budgeted(1000));
    EXPECT_TRUE(p.moves.empty());
    EXPECT_EQ(p.improve.hosts_freed, 0);
}

TEST(ImproveConsolidation, NeverBreaksAntiAffinity) {
    model::Fleet f = ejection_fleet();
    f.vms[1].anti_group = "g";  // a2
    f.vms[2].anti_group = "g";  // b: a2 may not join it on B
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, budgeted(1000));
    EXPECT_TRUE(p.moves.empty());
}

// As ejection_fleet, but b moves cheaply and a tiny VM b2 on B shares an anti_group with a2, so
// a2 cannot join B: no single ejection frees C or B. Repacking B with C and A does: a2 to C
// (making room on A), c to A, b2 to A, then b to C; C's own repack would need a2 and b2 to
// trade places, a cycle no sequence of moves can carry out, and is dropped.
TEST(ImproveConsolidation, RepacksAHostWithRoomyHostsWhenNoEjectionFrees) {
    model::Fleet f = testing::FleetBuilder()
                         .host("A", 10, 65536, 1000)
                         .host("B", 10, 65536, 1000)
                         .host("C", 10, 65536, 1000)
                         .vm("a1", "A", 5, 1024, 1, 512000)
                         .vm("a2", "A", 1, 512, 1)
                         .vm("b", "B", 8, 1024, 1)
                         .vm("b2", "B", 0, 64, 1)
                         .vm("c", "C", 4, 1024, 1)
                         .build();
    f.vms[1].anti_group = f.vms[3].anti_group = "g";
    EXPECT_TRUE(testing::plan_goal(f, Goal::kConsolidate, budgeted(0)).moves.empty());
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, budgeted(100000));
    EXPECT_EQ(p.improve.hosts_freed, 1);
    EXPECT_EQ(host_of(f, p, "a2"), "C");
    EXPECT_EQ(host_of(f, p, "c"), "A");
    EXPECT_EQ(host_of(f, p, "b2"), "A");
    EXPECT_EQ(host_of(f, p, "b"), "C");
    EXPECT_EQ(host_of(f, p, "a1"), "(stays)");
    PlanOptions o = budgeted(100000);
    o.goal = Goal::kConsolidate;
    const PlanSummary s = summarize(f, p, o);
    EXPECT_EQ(s.active_hosts_after, 2);
    EXPECT_EQ(s.overloaded_after, 0);
}

// The decisions in the order they were made, replayed from the fleet: does every arrival leave
// its target within max-util? (What the wave scheduler relies on: each move fits in sequence.)
std::string first_overload_in_sequence(const model::Fleet& f, const Plan& decisions,
                                       int64_t max_util_ppm) {
    std::vector<model::Resources> load = f.host_loads();
    for (const Move& m : decisions.moves) {
        const model::Resources& dem = f.vms[static_cast<size_t>(m.vm)].demand;
        if (m.source >= 0) load[static_cast<size_t>(m.source)] -= dem;
        load[static_cast<size_t>(m.target)] += dem;
        const model::Resources lim =
            model::limit_at(f.hosts[static_cast<size_t>(m.target)].capacity, max_util_ppm);
        if (!load[static_cast<size_t>(m.target)].fits_within(lim))
            return f.vms[static_cast<size_t>(m.vm)].id + " into " +
                   f.hosts[static_cast<size_t>(m.target)].id;
    }
    return "";
}

// S is above max-util in memory (s1 54 GiB + y 10 GiB of 64): relief moves y to H. Emptying H
// could send h1 (the larger) to S, where y's departure made room, and y on to T; but sent on, y
// leaves S only at the end of the sequence, after h1 arrived there: S would hold 66 GiB (above
// its capacity; the wave scheduler's assertion). Nothing may arrive at S before y is sent on:
// h1 goes to T, and y with it.
TEST(ImproveConsolidation, NeverRoutesAVmIntoAHostBeforeAMoveOffItIsSentOn) {
    const model::Fleet f = testing::FleetBuilder()
                               .host("H", 10, 65536, 1000)
                               .host("S", 10, 65536, 1000)
                               .host("T", 10, 65536, 1000)
                               .vm("h1", "H", 6, 2048, 1)
                               .vm("s1", "S", 2, 54 * 1024, 1, 512000)
                               .vm("y", "S", 1, 10 * 1024, 1)
                               .vm("t1", "T", 1, 10 * 1024, 1, 512000)
                               .build();
    PlanOptions g = budgeted(0), o = budgeted(1000);
    g.goal = o.goal = Goal::kConsolidate;
    PhaseTimes t;
    const Plan greedy = decide_plan(f, g, testing::policies(), t);
    ASSERT_EQ(greedy.moves.size(), 1u);  // relief: y to H
    EXPECT_EQ(f.hosts[static_cast<size_t>(greedy.moves[0].target)].id, "H");
    const Plan p = decide_plan(f, o, testing::policies(), t);
    EXPECT_EQ(first_overload_in_sequence(f, p, o.max_util_ppm), "");
    EXPECT_EQ(p.improve.hosts_freed, 1);
    const Plan full = testing::plan_goal(f, Goal::kConsolidate, budgeted(1000));  // waves
    EXPECT_EQ(host_of(f, full, "h1"), "T");
    EXPECT_EQ(host_of(f, full, "y"), "T");
    EXPECT_TRUE(full.unresolved.empty());
}

// quality_bench's 1,000-host fleet of seed 1 (two sites).
model::Fleet bench_fleet() {
    model::GeneratorOptions g;
    g.hosts = 1000;
    g.vms = 10000;
    g.seed = 1;
    return model::generate_fleet(g);
}

TEST(ImproveConsolidation, FreesHostsOnAGeneratedFleetWithinMaxUtilAndSites) {
    // One shard: the greedy plan keeps 166 hosts for a bound of 162.
    const model::Fleet f = bench_fleet();
    PlanOptions o;
    o.goal = Goal::kConsolidate;
    const Plan greedy = testing::plan_goal(f, Goal::kConsolidate, o);
    o.improve = 250000;
    const Plan p = testing::plan_goal(f, Goal::kConsolidate, o);
    const PlanSummary before = summarize(f, greedy, o), after = summarize(f, p, o);
    EXPECT_GT(p.improve.hosts_freed, 0);
    EXPECT_LT(after.active_hosts_after, before.active_hosts_after);
    EXPECT_EQ(after.overloaded_after, 0);
    EXPECT_TRUE(after.cross_site.empty());
    EXPECT_TRUE(p.unresolved.empty());
    // Every VM ends on an active, usable host; no VM moves twice.
    const std::vector<int32_t> at = hosts_after(f, p);
    std::vector<int> moved(f.vms.size(), 0);
    for (const Move& m : p.moves) EXPECT_EQ(++moved[static_cast<size_t>(m.vm)], 1);
    for (size_t v = 0; v < f.vms.size(); ++v) EXPECT_GE(at[v], 0);
    // Under a memory budget (relief moves first, then the cheapest drains), the phase sends on
    // moves made earlier: its decisions still fit one after the other.
    PlanOptions b = budgeted(250000);
    b.goal = Goal::kConsolidate;
    PhaseTimes t;
    const Plan d = decide_plan(f, b, testing::policies(), t);
    EXPECT_GT(d.improve.hosts_freed, 0);
    EXPECT_EQ(first_overload_in_sequence(f, d, b.max_util_ppm), "");
}

Plan on_threads(int threads, const model::Fleet& f, const PlanOptions& o,
                Goal goal = Goal::kConsolidate) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                           static_cast<size_t>(threads));
    tbb::task_arena arena(threads);
    return arena.execute([&] { return testing::plan_goal(f, goal, o); });
}

TEST(ImproveConsolidation, GivesTheSamePlanOnOneAndTwoThreads) {
    const model::Fleet f = bench_fleet();
    PlanOptions o;
    o.shard_hosts = 250;  // four shards planned in parallel, each improved
    o.improve = 100000;
    const Plan one = on_threads(1, f, o), two = on_threads(2, f, o);
    ASSERT_EQ(one.moves.size(), two.moves.size());
    for (size_t i = 0; i < one.moves.size(); ++i) {
        EXPECT_EQ(one.moves[i].vm, two.moves[i].vm);
        EXPECT_EQ(one.moves[i].target, two.moves[i].target);
        EXPECT_EQ(one.moves[i].step, two.moves[i].step);
    }
    EXPECT_GT(one.improve.work, 0);
    EXPECT_EQ(one.improve.work, two.improve.work);
    EXPECT_EQ(one.improve.hosts_freed, two.improve.hosts_freed);
}

// Balance. Hosts of 10 cores; A and C hold 64 GiB, B 8000 MiB, D (64 GiB, empty) is in
// maintenance. A runs a1 (3.5 cores, 7 GiB) and a2 (3.5 cores, 7.5 GiB): 0.7 by CPU; B runs
// b (1 core, 800 MiB): 0.1; C runs c (2 cores, 1 GiB): 0.2. The greedy pairs the hottest host
// with the coldest, B, whose 6400 MiB left at max-util take neither a1 nor a2; C's c would
// raise B to 0.3, above C's 0.2. So the greedy moves nothing (spread 0.6).
// The phase's objective, the sum of squared deviations from the mean 1/3:
//   (0.7, 0.1, 0.2): 0.3667² + 0.2333² + 0.1333² = 0.2067
//   a1 to C, (0.35, 0.1, 0.55): 0.0167² + 0.2333² + 0.2167² = 0.1017 (drop 0.105; 7 GiB,
//   the cheapest per GiB: a2 drops as much for 7.5 GiB)
//   then c to B, (0.35, 0.3, 0.35): 0.0017, but 7 + 1 GiB exceeds balance_mem_frac 0.45 of
//   the 16.3 GiB (7.335 GiB), and so would a2 alone. D, empty, is never a target.
model::Fleet balance_fleet() {
    return testing::FleetBuilder()
        .host("A", 10, 65536, 1000)
        .host("B", 10, 8000, 1000)
        .host("C", 10, 65536, 1000)
        .host("D", 10, 65536, 1000, model::HostState::kMaintenance)
        .vm("a1", "A", 3.5, 7 * 1024, 1)
        .vm("a2", "A", 3.5, 7.5 * 1024, 1)
        .vm("b", "B", 1, 800, 1)
        .vm("c", "C", 2, 1024, 1)
        .build();
}

PlanOptions balance_options(int64_t improve) {
    PlanOptions o;
    o.goal = Goal::kBalance;
    o.balance_mem_frac = 0.45;
    o.improve = improve;
    return o;
}

// Standard deviation of the usable hosts' dominant share after the plan (quality_bench's).
double dominant_sd(const model::Fleet& f, const Plan& p) {
    std::vector<model::Resources> load(f.hosts.size());
    const std::vector<int32_t> at = hosts_after(f, p);
    for (size_t v = 0; v < f.vms.size(); ++v)
        if (at[v] >= 0) load[static_cast<size_t>(at[v])] += f.vms[v].demand;
    std::vector<double> u;
    for (size_t h = 0; h < f.hosts.size(); ++h) {
        if (f.hosts[h].state != model::HostState::kActive) continue;
        double m = 0;
        for (int d = 0; d < model::kDims; ++d)
            m = std::max(
                m, static_cast<double>(load[h][d]) / static_cast<double>(f.hosts[h].capacity[d]));
        u.push_back(m);
    }
    double mean = 0, var = 0;
    for (double x : u) mean += x / static_cast<double>(u.size());
    for (double x : u) var += (x - mean) * (x - mean) / static_cast<double>(u.size());
    return std::sqrt(var);
}

int64_t total_mem_kib(const model::Fleet& f) {
    int64_t kib = 0;
    for (const auto& vm : f.vms) kib += vm.mem_size_kib;
    return kib;
}

TEST(ImproveBalance, SendsAVmTheColdestHostCannotTakeToTheNextColdestWithinTheMemoryShare) {
    const model::Fleet f = balance_fleet();
    const Plan greedy = testing::plan_goal(f, Goal::kBalance, balance_options(0));
    EXPECT_TRUE(greedy.moves.empty());
    EXPECT_EQ(greedy.improve.work, 0);
    const Plan p = testing::plan_goal(f, Goal::kBalance, balance_options(1000));
    ASSERT_EQ(p.moves.size(), 1u);
    EXPECT_EQ(host_of(f, p, "a1"), "C");
    EXPECT_EQ(p.moves[0].reason, MoveReason::kBalance);
    EXPECT_EQ(p.improve.moves_added, 1);
    EXPECT_EQ(p.improve.mem_added_kib, 7 * 1024 * 1024);
    EXPECT_LE(static_cast<double>(p.moved_mem_kib), 0.45 * static_cast<double>(total_mem_kib(f)));
    const PlanSummary before = summarize(f, greedy, balance_options(0));
    const PlanSummary after = summarize(f, p, balance_options(1000));
    EXPECT_NEAR(before.spread_before, 0.6, 1e-9);
    EXPECT_NEAR(after.spread_after, 0.45, 1e-9);  // 0.55 − 0.1
    EXPECT_LT(dominant_sd(f, p), dominant_sd(f, greedy));
    // With half the memory again (0.55 of 16.3 GiB covers a1 and c), c goes to B as well.
    PlanOptions wider = balance_options(1000);
    wider.balance_mem_frac = 0.55;
    const Plan q = testing::plan_goal(f, Goal::kBalance, wider);
    EXPECT_EQ(host_of(f, q, "a1"), "C");
    EXPECT_EQ(host_of(f, q, "c"), "B");
    EXPECT_EQ(q.moves.size(), 2u);
}

// Balance's contract holds for the phase too: a fleet within balance_tolerance is balanced. The
// crafted fleet's spread is 0.6: at a tolerance of 0.61 the phase adds nothing (work 0); just
// below it, it moves a1 as above.
TEST(ImproveBalance, LeavesAFleetWithinTheToleranceAlone) {
    const model::Fleet f = balance_fleet();
    PlanOptions o = balance_options(1000);
    o.balance_tolerance = 0.61;
    const Plan p = testing::plan_goal(f, Goal::kBalance, o);
    EXPECT_TRUE(p.moves.empty());
    EXPECT_EQ(p.improve.work, 0);
    o.balance_tolerance = 0.59;
    EXPECT_EQ(testing::plan_goal(f, Goal::kBalance, o).moves.size(), 1u);
}

TEST(ImproveBalance, NeverMovesAFrozenVm) {
    // a1 and a2 in cooldown: the only move left, c to B, raises the objective (0.2467 > 0.2067).
    const model::Fleet f = balance_fleet();
    PlanOptions o = balance_options(1000);
    o.frozen = {1, 1, 0, 0};
    const Plan p = testing::plan_goal(f, Goal::kBalance, o);
    EXPECT_TRUE(p.moves.empty());
    EXPECT_GT(p.improve.work, 0);
}

TEST(ImproveBalance, NeverBreaksAntiAffinity) {
    // a1 and c in one anti-affinity group: a1 may not join c on C. a2 (7.5 GiB, within 0.5 of
    // the 16.3 GiB) lowers the objective as much and goes instead.
    model::Fleet f = balance_fleet();
    f.vms[0].anti_group = "g";
    f.vms[3].anti_group = "g";
    PlanOptions o = balance_options(1000);
    o.balance_mem_frac = 0.5;
    const Plan p = testing::plan_goal(f, Goal::kBalance, o);
    EXPECT_EQ(host_of(f, p, "a1"), "(stays)");
    EXPECT_EQ(host_of(f, p, "a2"), "C");
    EXPECT_EQ(p.moves.size(), 1u);
}

TEST(ImproveBalance, LowersTheSpreadOfAGeneratedFleetForTheSameMemoryShare) {
    // Two sites in one shard: each site is balanced within itself.
    const model::Fleet f = bench_fleet();
    PlanOptions o;
    o.goal = Goal::kBalance;
    const Plan greedy = testing::plan_goal(f, Goal::kBalance, o);
    o.improve = 250000;
    const Plan p = testing::plan_goal(f, Goal::kBalance, o);
    const double cap = 0.2 * static_cast<double>(total_mem_kib(f));
    EXPECT_LE(static_cast<double>(greedy.moved_mem_kib), cap);
    EXPECT_LE(static_cast<double>(p.moved_mem_kib), cap);
    // The greedy stops at its memory share (within one VM of it).
    EXPECT_GT(static_cast<double>(greedy.moved_mem_kib), 0.19 * cap / 0.2);
    EXPECT_LT(dominant_sd(f, p), 0.95 * dominant_sd(f, greedy));
    EXPECT_GT(p.improve.moves_retargeted, 0);
    const PlanSummary after = summarize(f, p, o);
    EXPECT_EQ(after.overloaded_after, 0);
    EXPECT_TRUE(after.cross_site.empty());
    EXPECT_TRUE(p.unresolved.empty());
    std::vector<int> moved(f.vms.size(), 0);
    for (const Move& m : p.moves) EXPECT_EQ(++moved[static_cast<size_t>(m.vm)], 1);
    PhaseTimes t;
    const Plan d = decide_plan(f, o, testing::policies(), t);
    EXPECT_EQ(first_overload_in_sequence(f, d, o.max_util_ppm), "");
}

TEST(ImproveBalance, GivesTheSamePlanOnOneTwoAndFourThreads) {
    const model::Fleet f = bench_fleet();
    PlanOptions o;
    o.shard_hosts = 250;  // four shards planned in parallel, each improved
    o.improve = 100000;
    const Plan one = on_threads(1, f, o, Goal::kBalance);
    EXPECT_GT(one.improve.work, 0);
    for (int threads : {2, 4}) {
        const Plan other = on_threads(threads, f, o, Goal::kBalance);
        ASSERT_EQ(one.moves.size(), other.moves.size());
        for (size_t i = 0; i < one.moves.size(); ++i) {
            EXPECT_EQ(one.moves[i].vm, other.moves[i].vm);
            EXPECT_EQ(one.moves[i].target, other.moves[i].target);
            EXPECT_EQ(one.moves[i].step, other.moves[i].step);
        }
        EXPECT_EQ(one.improve.work, other.improve.work);
        EXPECT_EQ(one.improve.moves_retargeted, other.improve.moves_retargeted);
    }
}

}  // namespace
}  // namespace fp::plan
