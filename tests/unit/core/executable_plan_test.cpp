// Plans that can be carried out as they stand: site boundaries, migration limits as a limit for
// optional work and a flag for mandatory work, drains that pay for themselves, the shared
// schedule and --window.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <utility>

#include "src/plan/lower_bound.hpp"
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

std::string site_of(const model::Fleet& f, int32_t h) {
    return f.hosts[static_cast<size_t>(h)].site;
}

// Two sites: s1 has two lightly used hosts, s2 one lightly used host with plenty of room.
model::Fleet two_sites() {
    auto f = testing::FleetBuilder()
                 .host("a1", 16, 16384, 1000)
                 .host("a2", 16, 16384, 1000)
                 .host("b1", 64, 65536, 1000)
                 .vm("x", "a1", 2, 2048, 1)
                 .vm("y", "a2", 2, 2048, 1)
                 .vm("z", "b1", 2, 2048, 1)
                 .build();
    f.hosts[0].site = f.hosts[1].site = "s1";
    f.hosts[2].site = "s2";
    return f;
}

TEST(CrossSite, NeverIsTheDefaultAndKeepsEveryMoveInItsSite) {
    const model::Fleet f = two_sites();
    const Plan p = run(f, Goal::kConsolidate);
    ASSERT_FALSE(p.moves.empty());  // a1 and a2 still merge within s1
    for (const Move& m : p.moves) EXPECT_EQ(site_of(f, m.source), site_of(f, m.target));
    PlanOptions o;
    o.cross_site = CrossSite::kAllow;
    o.cost.wan_reconfig_s = 0;  // within the downtime limit, so consolidation may use the WAN
    const Plan q = run(f, Goal::kConsolidate, o);
    int cross = 0;
    for (const Move& m : q.moves) cross += site_of(f, m.source) != site_of(f, m.target);
    EXPECT_EQ(cross, 2);  // both s1 VMs go to the large host in s2
}

TEST(CrossSite, EvacuationsLeaveTheirSiteOnlyWhenItIsFull) {
    auto f = testing::FleetBuilder()
                 .host("a1", 16, 16384, 1000, model::HostState::kMaintenance)
                 .host("a2", 16, 16384, 1000)
                 .host("b1", 16, 16384, 1000)
                 .vm("x", "a1", 10, 4096, 1)
                 .vm("full", "a2", 10, 4096, 1)
                 .build();
    f.hosts[0].site = f.hosts[1].site = "s1";
    f.hosts[2].site = "s2";
    // never: x has no room in s1 and stays; the plan says why.
    const Plan never = run(f, Goal::kEvacuate);
    EXPECT_TRUE(never.moves.empty());
    ASSERT_EQ(never.unresolved.size(), 1u);
    EXPECT_NE(never.unresolved[0].reason.find("cannot evacuate"), std::string::npos);
    // evacuations: x may leave s1, to b1.
    PlanOptions o;
    o.cross_site = CrossSite::kEvacuations;
    const Plan evac = run(f, Goal::kEvacuate, o);
    const Move* m = move_of(f, evac, "x");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(f.hosts[static_cast<size_t>(m->target)].id, "b1");
    EXPECT_TRUE(evac.unresolved.empty());
    // Its own site first: with room on a2, x stays in s1.
    f.vms[1].demand[model::kCpu] = 2000;
    const Plan local = run(f, Goal::kEvacuate, o);
    m = move_of(f, local, "x");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(f.hosts[static_cast<size_t>(m->target)].id, "a2");
}

TEST(CrossSite, AHotHostDoesNotLeaveItsSiteUnderEvacuations) {
    auto f = testing::FleetBuilder()
                 .host("a1", 10, 16384, 1000)
                 .host("b1", 10, 16384, 1000)
                 .vm("v1", "a1", 6, 1024, 1)
                 .vm("v2", "a1", 4, 1024, 1)
                 .build();
    f.hosts[0].site = "s1";
    f.hosts[1].site = "s2";
    PlanOptions o;
    o.cross_site = CrossSite::kEvacuations;
    const Plan p = run(f, Goal::kHotspot, o);
    EXPECT_TRUE(p.moves.empty());
    ASSERT_EQ(p.unresolved.size(), 1u);
    o.cross_site = CrossSite::kAllow;
    const Plan q = run(f, Goal::kHotspot, o);
    EXPECT_EQ(q.moves.size(), 1u);
}

TEST(LowerBound, WithSiteBoundariesItIsTheSumOfEachSitesBound) {
    // Each site's VMs fit one host at 90%, but not together: fleet-wide 1 host, per site 2.
    const model::Fleet f = two_sites();
    const std::vector<uint8_t> all(f.hosts.size(), 1);
    EXPECT_EQ(lower_bound_hosts(f, all, 900000, CrossSite::kAllow), 1);
    EXPECT_EQ(lower_bound_hosts(f, all, 900000, CrossSite::kNever), 2);
    // Under "evacuations" the VMs of a host being emptied are free to go anywhere.
    std::vector<uint8_t> no_b1 = all;
    no_b1[2] = 0;
    EXPECT_EQ(lower_bound_hosts(f, no_b1, 900000, CrossSite::kEvacuations), 1);
    EXPECT_EQ(lower_bound_hosts(f, no_b1, 900000, CrossSite::kNever), 1);  // s2 has no host left
}

// h1 holds a VM whose memory is dirtied faster than pre-copy can send it at the admission
// bandwidth: its move does not converge.
model::Fleet with_busy_vm() {
    auto f = testing::FleetBuilder()
                 .host("h1", 16, 65536, 1000)
                 .host("h2", 16, 65536, 1000)
                 .vm("busy", "h1", 1, 4096, 1)
                 .vm("calm", "h2", 1, 4096, 1)
                 .build();
    f.vms[0].dirty_rate_mibps = 990;  // vs 1000 MiB/s
    return f;
}

TEST(MigrationLimits, OptionalWorkNeverPlansAMoveBeyondThem) {
    const model::Fleet f = with_busy_vm();
    const Plan p = run(f, Goal::kConsolidate);
    // calm moves to h1 (h2 is freed); busy never moves.
    ASSERT_EQ(p.moves.size(), 1u);
    EXPECT_EQ(f.vms[static_cast<size_t>(p.moves[0].vm)].id, "calm");
    EXPECT_EQ(p.moves[0].flags, 0);
}

TEST(MigrationLimits, MandatoryWorkIsPlannedAndFlagged) {
    model::Fleet f = with_busy_vm();
    f.hosts[0].state = model::HostState::kMaintenance;
    const Plan p = run(f, Goal::kEvacuate);
    const Move* m = move_of(f, p, "busy");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->reason, MoveReason::kEvacuate);
    EXPECT_TRUE(m->flags & kFlagNonConvergent);
    PlanOptions o;
    o.goal = Goal::kEvacuate;
    const PlanSummary s = summarize(f, p, o);
    EXPECT_EQ(s.flagged, 1);
    EXPECT_EQ(s.nonconvergent, 1);
    EXPECT_EQ(flags_to_string(m->flags), "nonconvergent");
}

TEST(MigrationLimits, HotReliefChoosesMovesWithinTheLimitsFirst) {
    // Either VM alone clears h1's excess; the smaller one (the cheapest to copy) breaks the
    // limits, so the larger one goes.
    auto f = testing::FleetBuilder()
                 .host("h1", 10, 65536, 1000)
                 .host("h2", 10, 65536, 1000)
                 .vm("small", "h1", 5, 1024, 1)
                 .vm("large", "h1", 5, 8192, 1)
                 .build();
    f.vms[0].dirty_rate_mibps = 990;
    const Plan p = run(f, Goal::kHotspot);
    ASSERT_EQ(p.moves.size(), 1u);
    EXPECT_EQ(f.vms[static_cast<size_t>(p.moves[0].vm)].id, "large");
    EXPECT_EQ(p.moves[0].flags, 0);
    // With no acceptable choice the host is still relieved, and the move is flagged.
    f.vms[1].dirty_rate_mibps = 990;
    const Plan q = run(f, Goal::kHotspot);
    ASSERT_EQ(q.moves.size(), 1u);
    EXPECT_NE(q.moves[0].flags, 0);
}

TEST(MigrationLimits, AMoveOverTheTimeoutIsFlagged) {
    model::Fleet f = with_busy_vm();
    f.vms[0].dirty_rate_mibps = 0;
    f.vms[0].mem_size_kib = int64_t{700} * 1000 * 1024;  // 700,000 MiB at 1000 MiB/s: 700 s
    f.hosts[0].state = model::HostState::kMaintenance;
    const Plan p = run(f, Goal::kEvacuate);
    const Move* m = move_of(f, p, "busy");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->flags, kFlagOverTimeout);
    PlanOptions o;
    o.cost.timeout_s = 0;  // no limit
    const Plan q = run(f, Goal::kEvacuate, o);
    EXPECT_EQ(q.moves[0].flags, 0);
}

TEST(DrainBenefit, ANearlyPackedHostIsNotDrainedForLessThanItsMovesCost) {
    // h2's 400 GiB would cost 400 × 5 = 2000 Wh to move; its idle power saves 100 W × 24 h =
    // 2400 Wh a day: drained. At 300 W idle over one hour (300 Wh) it is not.
    auto f = testing::FleetBuilder()
                 .host("h1", 64, 1048576, 10000)
                 .host("h2", 64, 1048576, 10000)
                 .vm("a", "h1", 8, 409600, 1)
                 .vm("b", "h2", 8, 409600, 1)
                 .build();
    const Plan day = run(f, Goal::kConsolidate);
    EXPECT_EQ(day.moves.size(), 1u);
    PlanOptions o;
    o.horizon_s = 3600;
    f.hosts[0].power_idle_w = f.hosts[1].power_idle_w = 300.0;
    const Plan hour = run(f, Goal::kConsolidate, o);
    EXPECT_TRUE(hour.moves.empty());
    // The same rule for the cold drains of goal auto.
    const Plan autod = run(f, Goal::kAuto, o);
    EXPECT_TRUE(autod.moves.empty());
    o.move_wh_per_gib = 0.5;  // 200 Wh < 300 Wh
    EXPECT_EQ(run(f, Goal::kConsolidate, o).moves.size(), 1u);
}

TEST(Schedule, EveryMoveHasItsEstimatedStartUnderTheWaveLimits) {
    // Four VMs leave one host in maintenance: at most 2 migrations touch a host at once, so
    // two waves; the second starts when the longest of the first ends.
    auto f = testing::FleetBuilder()
                 .host("m", 16, 65536, 10000, model::HostState::kMaintenance)
                 .host("t1", 16, 65536, 10000)
                 .host("t2", 16, 65536, 10000)
                 .vm("v1", "m", 1, 10000, 1)
                 .vm("v2", "m", 1, 20000, 1)
                 .vm("v3", "m", 1, 10000, 1)
                 .vm("v4", "m", 1, 10000, 1)
                 .build();
    PlanOptions o;
    o.cost.model = model::CostModel::kSuspendCopy;
    o.cost.max_downtime_ms = 1e9;
    const Plan p = run(f, Goal::kEvacuate, o);
    ASSERT_EQ(p.moves.size(), 4u);
    double first_end = 0;
    for (const Move& m : p.moves) {
        if (m.step == 1) {
            EXPECT_EQ(m.est_start_s, 0.0);
            first_end = std::max(first_end, m.est_start_s + m.estimate.seconds);
        }
    }
    for (const Move& m : p.moves) {
        if (m.step == 2) {
            EXPECT_DOUBLE_EQ(m.est_start_s, first_end);
        }
    }
    const PlanSummary s = summarize(f, p, o);
    double end = 0;
    for (const Move& m : p.moves) end = std::max(end, m.est_start_s + m.estimate.seconds);
    EXPECT_DOUBLE_EQ(s.est_makespan_seconds, end);
}

TEST(Waves, TheFleetTotalCapsEveryWave) {
    testing::FleetBuilder b;
    b.host("m", 64, 65536, 10000, model::HostState::kMaintenance);
    for (int i = 0; i < 8; ++i) b.host("t" + std::to_string(i), 64, 65536, 10000);
    for (int i = 0; i < 16; ++i) b.vm("v" + std::to_string(i), "m", 1, 1024, 1);
    const model::Fleet f = b.build();
    PlanOptions o;
    o.waves.max_per_host = 0;
    o.waves.max_total = 3;
    const Plan p = run(f, Goal::kEvacuate, o);
    ASSERT_EQ(p.moves.size(), 16u);
    std::map<int32_t, int> per_wave;
    for (const Move& m : p.moves) ++per_wave[m.step];
    EXPECT_EQ(per_wave.size(), 6u);  // ceil(16 / 3)
    for (const auto& [w, n] : per_wave) EXPECT_LE(n, 3);
}

TEST(Window, MandatoryMovesFirstThenOptionalOnesWhileTheScheduleFits) {
    // Maintenance host m holds one VM (mandatory); four cold hosts hold one 50 GiB VM each
    // (optional, about 51 s each at 1000 MiB/s). Everything fits on big.
    testing::FleetBuilder b;
    b.host("big", 64, 1048576, 10000);
    b.host("m", 16, 262144, 10000, model::HostState::kMaintenance);
    b.vm("keep", "big", 1, 1024, 1);
    b.vm("must", "m", 1, 51200, 1);
    for (int i = 0; i < 4; ++i) {
        b.host("c" + std::to_string(i), 16, 262144, 10000);
        b.vm("v" + std::to_string(i), "c" + std::to_string(i), 1, 51200, 1);
    }
    const model::Fleet f = b.build();
    PlanOptions o;
    o.waves.max_per_host = 1;  // every move touches big: one at a time
    const Plan all = run(f, Goal::kConsolidate, o);
    EXPECT_EQ(all.moves.size(), 5u);
    EXPECT_EQ(all.window_dropped, 0);
    o.window_s = 160;  // room for three moves of about 51 s
    const Plan cut = run(f, Goal::kConsolidate, o);
    ASSERT_EQ(cut.moves.size(), 3u);
    EXPECT_NE(move_of(f, cut, "must"), nullptr);
    EXPECT_EQ(cut.window_dropped, 2);
    const PlanSummary s = summarize(f, cut, o);
    EXPECT_LE(s.est_makespan_seconds, 160.0);
    o.window_s = 10;  // not even the mandatory move fits: it is planned all the same
    const Plan tight = run(f, Goal::kConsolidate, o);
    ASSERT_EQ(tight.moves.size(), 1u);
    EXPECT_EQ(f.vms[static_cast<size_t>(tight.moves[0].vm)].id, "must");
    EXPECT_EQ(tight.window_dropped, 4);
}

TEST(Window, AHotHostIsRelievedWhateverTheWindow) {
    auto f = testing::FleetBuilder()
                 .host("hot", 10, 65536, 1000)
                 .host("cool", 10, 65536, 1000)
                 .vm("v1", "hot", 6, 51200, 1)
                 .vm("v2", "hot", 4, 51200, 1)
                 .build();
    PlanOptions o;
    o.window_s = 1;
    const Plan p = run(f, Goal::kConsolidate, o);
    const PlanSummary s = summarize(f, p, o);
    EXPECT_EQ(s.overloaded_after, 0);
}

// Two racks of two hosts; db1 and db2 share rack r1 on different hosts.
model::Fleet two_racks() {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("c", 16, 16384, 1000)
                 .host("d", 16, 16384, 1000)
                 .vm("db1", "a", 1, 1024, 1)
                 .vm("db2", "b", 1, 1024, 1)
                 .vm("web", "c", 1, 1024, 1)
                 .vm("app", "d", 1, 1024, 1)
                 .build();
    f.hosts[0].rack = f.hosts[1].rack = "r1";
    f.hosts[2].rack = f.hosts[3].rack = "r2";
    f.vms[0].anti_group = f.vms[1].anti_group = "db";
    return f;
}

std::vector<int32_t> hosts_after(const model::Fleet& f, const Plan& p) {
    std::vector<int32_t> host(f.vms.size());
    for (size_t v = 0; v < f.vms.size(); ++v) host[v] = f.vms[v].host;
    for (const Move& m : p.moves) host[static_cast<size_t>(m.vm)] = m.target;
    return host;
}

TEST(AntiGroupScope, RackMembersNeverShareARack) {
    const model::Fleet f = two_racks();
    // Host scope: db1 and db2 are apart already; consolidation may bring them into one rack.
    const Plan host = run(f, Goal::kHotspot);
    EXPECT_TRUE(host.moves.empty());
    PlanOptions o;
    o.anti_scope = model::AntiScope::kRack;
    const Plan rack = run(f, Goal::kHotspot, o);
    ASSERT_EQ(rack.moves.size(), 1u);
    EXPECT_EQ(rack.moves[0].reason, MoveReason::kAntiAffinity);
    EXPECT_EQ(f.vms[static_cast<size_t>(rack.moves[0].vm)].id, "db2");  // the lower id stays
    EXPECT_EQ(f.hosts[static_cast<size_t>(rack.moves[0].target)].rack, "r2");
    // Consolidation packs everything it can, but never the two into one rack.
    for (const Plan& p : {run(f, Goal::kConsolidate, o), run(f, Goal::kBalance, o)}) {
        const std::vector<int32_t> at = hosts_after(f, p);
        EXPECT_NE(f.hosts[static_cast<size_t>(at[0])].rack,
                  f.hosts[static_cast<size_t>(at[1])].rack);
    }
}

TEST(AntiGroupScope, EvacuationKeepsMembersInDifferentRacks) {
    // db1's host goes into maintenance; db1 and db2 both start in r1, so with rack scope they
    // end in different racks.
    model::Fleet f = two_racks();
    f.hosts[0].state = model::HostState::kMaintenance;
    PlanOptions o;
    o.anti_scope = model::AntiScope::kRack;
    const Plan p = run(f, Goal::kEvacuate, o);
    const std::vector<int32_t> at = hosts_after(f, p);
    EXPECT_NE(at[0], 0);
    EXPECT_NE(f.hosts[static_cast<size_t>(at[0])].rack, f.hosts[static_cast<size_t>(at[1])].rack);
}

TEST(Cooldown, AHostLeftHotByVmsInCooldownSaysSo) {
    auto f = testing::FleetBuilder()
                 .host("a", 10, 10240, 1000)
                 .host("b", 10, 10240, 1000)
                 .vm("v1", "a", 5, 1024, 1)
                 .vm("v2", "a", 5, 1024, 1)
                 .build();
    PlanOptions o;
    o.frozen = {1, 1};
    const Plan p = run(f, Goal::kHotspot, o);
    ASSERT_EQ(p.unresolved.size(), 1u);
    EXPECT_NE(p.unresolved[0].reason.find("2 of its VMs are in cooldown"), std::string::npos)
        << p.unresolved[0].reason;
}

}  // namespace
}  // namespace fp::plan
