// Anti-affinity, cooldowns, local-first resizes and wave-aware migration costs.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "src/plan/plan_costs.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/summary.hpp"
#include "tests/unit/core/fleet_builder.hpp"
#include "tests/unit/core/plan_test_util.hpp"

namespace fp::plan {
namespace {

Plan run(const model::Fleet& f, Goal goal, PlanOptions o = {}) {
    return testing::plan_goal(f, goal, std::move(o));
}

using testing::move_of;

TEST(AntiAffinity, MembersAreSeparatedAndNeverReunited) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("c", 16, 16384, 1000)
                 .vm("x1", "a", 1, 1024, 1)
                 .vm("x2", "a", 1, 1024, 1)
                 .vm("y", "b", 1, 1024, 1)
                 .vm("z", "c", 1, 1024, 1)
                 .build();
    f.vms[0].anti_group = f.vms[1].anti_group = "db";
    const Plan p = run(f, Goal::kHotspot);
    const Move* m = move_of(f, p, "x2");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->reason, MoveReason::kAntiAffinity);
    EXPECT_NE(f.hosts[static_cast<size_t>(m->target)].id, "a");
    // Consolidation would love to put x1 and x2 together; it must not.
    const Plan c = run(f, Goal::kConsolidate);
    std::vector<int32_t> host(f.vms.size());
    for (size_t v = 0; v < f.vms.size(); ++v) host[v] = f.vms[v].host;
    for (const Move& mv : c.moves) host[static_cast<size_t>(mv.vm)] = mv.target;
    EXPECT_NE(host[0], host[1]);
}

TEST(Cooldown, FrozenVmsStayAndTheHotspotSaysWhy) {
    auto f = testing::FleetBuilder()
                 .host("a", 10, 10240, 1000)
                 .host("b", 10, 10240, 1000)
                 .vm("v1", "a", 5, 1024, 1)
                 .vm("v2", "a", 5, 1024, 1)
                 .build();
    PlanOptions o;
    o.frozen = {1, 1};
    const Plan p = run(f, Goal::kHotspot, o);
    EXPECT_TRUE(p.moves.empty());
    ASSERT_EQ(p.unresolved.size(), 1u);
    o.frozen = {1, 0};
    const Plan q = run(f, Goal::kHotspot, o);
    ASSERT_EQ(q.moves.size(), 1u);
    EXPECT_EQ(q.moves[0].vm, 1);
}

TEST(Resize, GrowsAllocationInPlaceWhenTheHostHasRoom) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .vm("v", "a", 3, 2048, 1)
                 .vm("w", "a", 1, 1024, 1)
                 .build();
    f.vms[0].cpu_alloc_millicores = 2000;  // uses 3 cores, allotted 2
    f.vms[0].mem_alloc_kib = 4096 * 1024;
    f.vms[1].cpu_alloc_millicores = 2000;  // within its allocation
    const Plan p = run(f, Goal::kAuto);
    ASSERT_EQ(p.resizes.size(), 1u);
    EXPECT_EQ(p.resizes[0].vm, 0);
    EXPECT_EQ(p.resizes[0].cpu_alloc_millicores, 3000);
    EXPECT_EQ(p.resizes[0].mem_alloc_kib, 4096 * 1024);
    EXPECT_TRUE(p.moves.empty());
}

TEST(PlanCosts, ConcurrentMigrationsShareTheHostBandwidth) {
    // Three VMs of 1000 MiB leave host a in one wave: host bandwidth 1500 MiB/s shared by 3 →
    // 500 MiB/s each → 2 s (suspend-copy, to keep the arithmetic plain).
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("c", 16, 16384, 1000)
                 .host("d", 16, 16384, 1000)
                 .vm("v1", "a", 1, 1000, 1)
                 .vm("v2", "a", 1, 1000, 1)
                 .vm("v3", "a", 1, 1000, 1)
                 .build();
    model::MigrationCostConfig c;
    c.model = model::CostModel::kSuspendCopy;
    c.bandwidth_mibps = 1000;
    c.host_bandwidth_mibps = 1500;
    std::vector<Move> moves(3);
    for (int i = 0; i < 3; ++i)
        moves[static_cast<size_t>(i)] = {i, 0, i + 1, 1, MoveReason::kBalance, {}};
    estimate_plan_costs(f, moves, c);
    for (const Move& m : moves) EXPECT_NEAR(m.estimate.seconds, 2.0, 1e-9);
    moves[2].step = 2;  // now two share 1500 → 750 each (capped at 1000), the third runs alone
    estimate_plan_costs(f, moves, c);
    EXPECT_NEAR(moves[0].estimate.seconds, 1000.0 / 750.0, 1e-9);
    EXPECT_NEAR(moves[2].estimate.seconds, 1.0, 1e-9);
}

TEST(PlanCosts, GangMembersSendSharedPagesOnceAndWanMovesCostMore) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("far", 16, 16384, 1000)
                 .vm("g1", "a", 1, 1000, 1)
                 .vm("g2", "a", 1, 1000, 1)
                 .vm("w", "a", 1, 1000, 1)
                 .build();
    f.vms[0].group = f.vms[1].group = "web";
    f.hosts[0].site = f.hosts[1].site = "s1";
    f.hosts[2].site = "s2";
    f.vms[2].disk_kib = 2000 * 1024;
    model::MigrationCostConfig c;
    c.model = model::CostModel::kSuspendCopy;
    c.bandwidth_mibps = 100;
    c.host_bandwidth_mibps = 1e6;  // no sharing in this test
    c.gang_shared_fraction = 0.25;
    c.wan_bandwidth_mibps = 50;
    c.wan_reconfig_s = 3;
    c.site_pairs[{"s1", "s2"}] = {40, 4};
    std::vector<Move> moves = {{0, 0, 1, 1, MoveReason::kBalance, {}},
                               {1, 0, 1, 1, MoveReason::kBalance, {}},
                               {2, 0, 2, 2, MoveReason::kBalance, {}}};
    estimate_plan_costs(f, moves, c);
    EXPECT_NEAR(moves[0].estimate.seconds, 10.0, 1e-9);  // first member pays in full
    EXPECT_NEAR(moves[1].estimate.seconds, 7.5, 1e-9);   // 750 MiB of its own pages
    // WAN at the pair's 40 MiB/s: 1000 MiB memory + 2000 MiB disk = 75 s, plus 4 s reconfig.
    EXPECT_NEAR(moves[2].estimate.seconds, 79.0, 1e-9);
    EXPECT_NEAR(moves[2].estimate.downtime_ms, 25000.0 + 4000.0, 1e-6);
    EXPECT_NEAR(moves[2].estimate.sent_mib, 3000.0, 1e-9);
}

// Ten samples: VMs 0 and 1 rose steadily from 0.2 to 1.0 of their size, VM 2 stayed at 1.0.
model::History two_rising_one_flat() {
    model::History h;
    h.interval_s = 300;
    h.length = 10;
    h.cpu.resize(3);
    for (int i = 0; i < 10; ++i) {
        const float frac = 0.2f + 0.8f * static_cast<float>(i) / 9.0f;
        h.cpu[0].push_back(frac);
        h.cpu[1].push_back(frac);
        h.cpu[2].push_back(1.0f);
    }
    return h;
}

TEST(ProactiveRelief, AHistoryTriggerRelievesAHostBelowMaxUtil) {
    // Host a is at 80% CPU (under max-util 0.9) but its VMs have risen steadily for 10 samples:
    // lr forecasts it over the top and the planner moves a VM off; threshold does not.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 65536, 1000)
                 .host("b", 10, 65536, 1000)
                 .vm("v1", "a", 4.5, 1024, 1)
                 .vm("v2", "a", 3.5, 1024, 1)
                 .vm("w", "b", 1, 1024, 1)
                 .build();
    model::History h = two_rising_one_flat();
    PlanOptions o;
    o.goal = Goal::kHotspot;
    o.history = &h;
    PhaseTimes t;
    const Plan plain = make_plan(f, o, testing::policies("threshold"), t);
    EXPECT_TRUE(plain.moves.empty());
    const Plan pro = make_plan(f, o, testing::policies("lr"), t);
    ASSERT_EQ(pro.moves.size(), 1u);
    EXPECT_EQ(f.hosts[static_cast<size_t>(pro.moves[0].target)].id, "b");
    EXPECT_EQ(pro.moves[0].reason, MoveReason::kHotspot);
}

TEST(ProactiveRelief, TheGuardSendsNoVmWhereTheTriggerWouldFlagANewHotSpot) {
    // Host a is hot by lr's forecast (its VMs rose 0.2 .. 1.0 of their size: 1.089 next); b
    // holds a flat 4-core VM, c is empty. Best fit sends the 4.5-core v1 to b (8.5 of 10 cores
    // now, within max-util 0.9), where lr would forecast 4 + 4.5 · 1.089 = 8.9 cores: 1.2 ×
    // 0.89 >= 1, a new hot spot. With the placement guard it goes to c.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 65536, 1000)
                 .host("b", 10, 65536, 1000)
                 .host("c", 10, 65536, 1000)
                 .vm("v1", "a", 4.5, 1024, 1)
                 .vm("v2", "a", 3.5, 1024, 1)
                 .vm("w", "b", 4, 1024, 1)
                 .build();
    model::History h = two_rising_one_flat();
    PlanOptions o;
    o.goal = Goal::kHotspot;
    o.history = &h;
    PhaseTimes t;
    auto target_of = [&](bool guard) {
        o.placement_guard = guard;
        const Plan p = make_plan(f, o, testing::policies("lr"), t);
        EXPECT_EQ(p.moves.size(), 1u);
        if (p.moves.size() != 1) return std::string();
        EXPECT_EQ(f.vms[static_cast<size_t>(p.moves[0].vm)].id, "v1");
        return f.hosts[static_cast<size_t>(p.moves[0].target)].id;
    };
    EXPECT_EQ(target_of(false), "b");
    EXPECT_EQ(target_of(true), "c");
    // With c as full as b, a new 4.5-core VM without history, which the guard keeps off b and c
    // (4 + 4.5 cores >= 8.33) and max-util off a, is still placed (it must go somewhere), by
    // max-util alone.
    f.vms.push_back(f.vms[2]);
    f.vms.back().id = "new";
    f.vms.back().host = model::kNoHost;
    f.vms.back().demand[model::kCpu] = 4500;
    f.vms.push_back(f.vms[2]);
    f.vms.back().id = "w2";
    f.vms.back().host = 2;
    f.index();
    h.cpu.push_back({});
    h.cpu.push_back(h.cpu[2]);
    o.placement_guard = true;
    o.goal = Goal::kAuto;
    const Plan placed = make_plan(f, o, testing::policies("lr"), t);
    std::string where = "(not placed)";
    for (const Move& m : placed.moves)
        if (f.vms[static_cast<size_t>(m.vm)].id == "new")
            where = f.hosts[static_cast<size_t>(m.target)].id;
    EXPECT_TRUE(where == "b" || where == "c") << where;
}

TEST(ProactiveRelief, TheGuardYieldsToVmsThatMustMove) {
    // b and c each hold a flat 4.5-core VM, so a VM of 4 cores or more on either reaches lr's
    // line (8.33 cores at safety 1.2): the guard refuses both. A new 4.5-core VM must still be
    // placed under every goal (consolidate places it in its own pass), and a host above max-util
    // (a: 5
    // + 4.5 cores > 9, flat) must still be relieved; only a host hot by forecast alone keeps
    // its VMs rather than make a new hot spot.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 65536, 1000)
                 .host("b", 10, 65536, 1000)
                 .host("c", 10, 65536, 1000)
                 .vm("v1", "a", 5, 1024, 1)
                 .vm("v2", "a", 4.5, 1024, 1)
                 .vm("w", "b", 4.5, 1024, 1)
                 .vm("w2", "c", 4.5, 1024, 1)
                 .build();
    model::History h;
    h.interval_s = 300;
    h.length = 10;
    h.cpu.assign(4, std::vector<float>(10, 1.0f));
    PlanOptions o;
    o.history = &h;
    o.placement_guard = true;
    PhaseTimes t;
    o.goal = Goal::kHotspot;
    const Plan over = make_plan(f, o, testing::policies("lr"), t);
    ASSERT_EQ(over.moves.size(), 1u);
    EXPECT_EQ(over.moves[0].reason, MoveReason::kHotspot);
    EXPECT_TRUE(over.unresolved.empty());
    // a at 8.5 cores (within max-util) but hot by forecast (v2 rose 0.2 .. 1.0: 4.9 cores
    // next): no move with the guard, one without.
    f.vms[0].demand[model::kCpu] = 4000;
    h.cpu[1] = two_rising_one_flat().cpu[0];
    const Plan proactive = make_plan(f, o, testing::policies("lr"), t);
    EXPECT_TRUE(proactive.moves.empty());
    o.placement_guard = false;
    EXPECT_EQ(make_plan(f, o, testing::policies("lr"), t).moves.size(), 1u);
    o.placement_guard = true;
    f.vms.push_back(f.vms[1]);
    f.vms.back().id = "new";
    f.vms.back().host = model::kNoHost;
    f.index();
    h.cpu.push_back({});
    for (Goal g : {Goal::kAuto, Goal::kConsolidate, Goal::kHotspot}) {
        o.goal = g;
        const Plan p = make_plan(f, o, testing::policies("lr"), t);
        const Move* m = move_of(f, p, "new");
        EXPECT_NE(m, nullptr) << to_string(g);
    }
}

// How many of the plan's migrations end on each host, by host id.
std::map<std::string, int> arrivals_by_host(const model::Fleet& f, const Plan& p) {
    std::map<std::string, int> in;
    for (const Move& m : p.moves)
        if (m.source != model::kNoHost) ++in[f.hosts[static_cast<size_t>(m.target)].id];
    return in;
}

int waves_of(const Plan& p) {
    int waves = 0;
    for (const Move& m : p.moves) waves = std::max(waves, static_cast<int>(m.step));
    return waves;
}

int most_arrivals(const model::Fleet& f, const Plan& p) {
    int most = 0;
    for (const auto& [h, n] : arrivals_by_host(f, p)) most = std::max(most, n);
    return most;
}

TEST(ArrivalCap, ConsolidationSpreadsItsMovesOverTargets) {
    // Two cold hosts of three small VMs each; best fit packs all six onto one target (six
    // migrations in flight two at a time: three waves at least), while others have room for
    // them too. With max_arrivals = 2 no host receives more than two, the same hosts are freed
    // and the plan takes fewer waves.
    auto f = testing::FleetBuilder()
                 .host("big", 64, 65536, 10000)
                 .host("m1", 16, 16384, 10000)
                 .host("m2", 16, 16384, 10000)
                 .host("c1", 16, 16384, 10000)
                 .host("c2", 16, 16384, 10000)
                 .vm("b", "big", 40, 8192, 1)
                 .vm("w1", "m1", 8, 4096, 1)
                 .vm("w2", "m2", 8, 4096, 1)
                 .vm("x1", "c1", 1, 1024, 1)
                 .vm("x2", "c1", 1, 1024, 1)
                 .vm("x3", "c1", 1, 1024, 1)
                 .vm("y1", "c2", 1, 1024, 1)
                 .vm("y2", "c2", 1, 1024, 1)
                 .vm("y3", "c2", 1, 1024, 1)
                 .build();
    auto freed = [&](const Plan& p) {
        std::map<std::string, int> left;
        for (const auto& vm : f.vms) ++left[f.hosts[static_cast<size_t>(vm.host)].id];
        for (const Move& m : p.moves) {
            --left[f.hosts[static_cast<size_t>(m.source)].id];
            ++left[f.hosts[static_cast<size_t>(m.target)].id];
        }
        std::string out;
        for (const auto& [h, n] : left)
            if (n == 0) out += h + " ";
        return out;
    };
    // goal auto drains the cold spots.
    const Plan free = run(f, Goal::kAuto);
    EXPECT_GT(most_arrivals(f, free), 2);
    PlanOptions capped_options;
    capped_options.max_arrivals = 2;
    const Plan capped = run(f, Goal::kAuto, capped_options);
    EXPECT_EQ(capped.moves.size(), 6u);
    EXPECT_LE(most_arrivals(f, capped), 2);
    EXPECT_EQ(freed(capped), "c1 c2 ");
    EXPECT_LT(waves_of(capped), waves_of(free));
    // goal consolidate without a budget repacks by capacity alone, uncapped.
    PlanOptions o;
    o.max_arrivals = 2;
    auto targets = [&](const Plan& p) {
        std::vector<std::pair<int32_t, int32_t>> out;
        for (const Move& m : p.moves) out.emplace_back(m.vm, m.target);
        return out;
    };
    EXPECT_EQ(targets(run(f, Goal::kConsolidate, o)), targets(run(f, Goal::kConsolidate)));
}

TEST(ArrivalCap, VmsThatMustMoveExceedIt) {
    // Host a is evacuated and only b has room: all three of its VMs go to b, cap or not; a new
    // VM is no migration and does not count.
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 10000)
                 .host("b", 16, 16384, 10000)
                 .host("c", 4, 4096, 10000)
                 .vm("v1", "a", 2, 1024, 1)
                 .vm("v2", "a", 2, 1024, 1)
                 .vm("v3", "a", 2, 1024, 1)
                 .vm("w", "c", 3.5, 3500, 1)
                 .vm("n", "", 1, 1024, 1)
                 .build();
    PlanOptions o;
    o.max_arrivals = 1;
    o.evacuate = {0};
    const Plan p = run(f, Goal::kEvacuate, o);
    EXPECT_TRUE(p.unresolved.empty());
    EXPECT_EQ(arrivals_by_host(f, p)["b"], 3);
    // An off host is not switched on to keep the cap: the VMs still go to b.
    auto g = f;
    g.hosts.push_back(g.hosts[1]);
    g.hosts.back().id = "z";
    g.hosts.back().state = model::HostState::kOff;
    g.index();
    const Plan q = run(g, Goal::kEvacuate, o);
    EXPECT_TRUE(q.powered_on.empty());
    EXPECT_EQ(arrivals_by_host(g, q)["b"], 3);
    const Move* n = move_of(f, p, "n");
    ASSERT_NE(n, nullptr);
    EXPECT_EQ(f.hosts[static_cast<size_t>(n->target)].id, "b");
}

TEST(ArrivalCap, TheRepacksArrivalsDoNotSendLaterMovesToTheHostsItFreed) {
    // goal consolidate keeps K and K2 and repacks uncapped (s1, s2 into K: K2 has 1.8 cores
    // left); the anti-affinity pass after it must still find K for a2 rather than refill a
    // freed host because K is "full" of the repack's arrivals.
    auto f = testing::FleetBuilder()
                 .host("K", 32, 32768, 10000)
                 .host("K2", 32, 32768, 10000)
                 .host("s1", 8, 8192, 10000)
                 .host("s2", 8, 8192, 10000)
                 .vm("k", "K", 20, 4096, 1)
                 .vm("b", "K2", 23, 1024, 1)
                 .vm("a1", "K2", 2, 1024, 1)
                 .vm("a2", "K2", 2, 1024, 1)
                 .vm("x", "s1", 2, 1024, 1)
                 .vm("y", "s2", 2, 1024, 1)
                 .build();
    f.vms[2].anti_group = f.vms[3].anti_group = "g";
    const Plan free = run(f, Goal::kConsolidate);
    PlanOptions o;
    o.max_arrivals = 1;
    const Plan capped = run(f, Goal::kConsolidate, o);
    const PlanSummary a = summarize(f, free, PlanOptions{});
    const PlanSummary b = summarize(f, capped, o);
    EXPECT_EQ(b.active_hosts_after, a.active_hosts_after);
}

TEST(ArrivalCap, CountsWhatEndsOnAHostWhateverTheOrderOfMoves) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 10000)
                 .host("b", 16, 16384, 10000)
                 .vm("v1", "a", 1, 1024, 1)
                 .vm("v2", "a", 1, 1024, 1)
                 .vm("w", "b", 1, 1024, 1)
                 .vm("n", "", 1, 1024, 1)
                 .build();
    model::PlacementState s(f, 900000);
    s.set_arrival_cap(1);
    EXPECT_TRUE(s.guarded());
    EXPECT_TRUE(s.guard_ok(0, 1));
    s.move(0, 1);  // v1 arrives on b
    EXPECT_EQ(s.arrivals(1), 1);
    EXPECT_FALSE(s.guard_ok(1, 1));  // b is full of arrivals for v2
    EXPECT_TRUE(s.guard_ok(2, 1));   // w is at home on b
    EXPECT_TRUE(s.guard_ok(3, 1));   // a new VM is no migration
    EXPECT_TRUE(s.fits_unguarded(1, 1));
    s.move(2, 0);  // w leaves for a: one arrival there, b's count unchanged
    EXPECT_EQ(s.arrivals(0), 1);
    EXPECT_EQ(s.arrivals(1), 1);
    s.move(0, 0);  // v1 back home: no longer an arrival anywhere
    EXPECT_EQ(s.arrivals(1), 0);
    EXPECT_EQ(s.arrivals(0), 1);
    s.move(3, 1);  // n placed on b: no arrival
    EXPECT_EQ(s.arrivals(1), 0);
    {
        model::PlacementState::GuardOff off(s);
        EXPECT_FALSE(s.guarded());
    }
    EXPECT_TRUE(s.guarded());
    {  // nested either way, each restores what it found
        model::PlacementState::ArrivalCapOff uncapped(s);
        EXPECT_FALSE(s.guarded());
        {
            model::PlacementState::GuardOff off(s);
            EXPECT_FALSE(s.guarded());
        }
        EXPECT_FALSE(s.guarded());
    }
    EXPECT_TRUE(s.guarded());
    EXPECT_FALSE(s.guard_ok(0, 1) && s.arrivals(1) >= 1);
    EXPECT_TRUE(s.guard_ok(1, 0));  // v2 is at home on a
    s.move(2, 1);                   // w home
    EXPECT_EQ(s.arrivals(0), 0);
}

TEST(Stability, ReplanningThePlannedFleetMovesNothing) {
    for (Goal goal : {Goal::kAuto, Goal::kConsolidate, Goal::kBalance, Goal::kHotspot}) {
        auto f = testing::FleetBuilder()
                     .host("a", 16, 16384, 1000)
                     .host("b", 16, 16384, 1000)
                     .host("c", 32, 32768, 1000)
                     .host("d", 8, 8192, 1000)
                     .vm("v1", "a", 6, 2048, 1)
                     .vm("v2", "a", 9, 2048, 1)
                     .vm("v3", "b", 2, 2048, 1)
                     .vm("v4", "d", 1, 1024, 1)
                     .vm("v5", "c", 4, 4096, 1)
                     .vm("v6", "", 2, 1024, 1)
                     .build();
        const Plan p = run(f, goal);
        model::Fleet g = f;
        for (const Move& m : p.moves) g.vms[static_cast<size_t>(m.vm)].host = m.target;
        g.index();
        const Plan again = run(g, goal);
        EXPECT_TRUE(again.moves.empty())
            << to_string(goal) << ": " << again.moves.size() << " moves";
    }
}

TEST(MoveFlags, ParseInvertsFlagsToStringInAnyOrder) {
    for (uint8_t f = 0; f < 8; ++f) EXPECT_EQ(parse_flags(flags_to_string(f)), f) << int(f);
    EXPECT_EQ(parse_flags("over-timeout;nonconvergent"), kFlagOverTimeout | kFlagNonConvergent);
    EXPECT_FALSE(parse_flags("over-timeout;").has_value());
    EXPECT_FALSE(parse_flags("slow").has_value());
    for (MoveReason r : kMoveReasons) EXPECT_EQ(parse_move_reason(to_string(r)), r);
    EXPECT_NE(parse_move_reason("moving").error().msg.find("valid: evacuate, new, hotspot"),
              std::string::npos);
}

}  // namespace
}  // namespace fp::plan
