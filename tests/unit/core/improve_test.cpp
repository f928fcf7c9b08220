// The improvement phase after a consolidation ([plan] improve, plan/pass_improve.cpp).
#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

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

Plan on_threads(int threads, const model::Fleet& f, const PlanOptions& o) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                           static_cast<size_t>(threads));
    tbb::task_arena arena(threads);
    return arena.execute([&] { return testing::plan_goal(f, Goal::kConsolidate, o); });
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

}  // namespace
}  // namespace fp::plan
