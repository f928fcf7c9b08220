#include "src/plan/planner.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "src/model/generator.hpp"
#include "src/plan/sharded.hpp"
#include "src/plan/summary.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

Plan run(const model::Fleet& f, Goal goal, const policy::PolicySet& pol = testing::policies(),
         PlanOptions o = {}) {
    o.goal = goal;
    PhaseTimes t;
    return make_plan(f, o, pol, t);
}

std::string target_of(const model::Fleet& f, const Plan& p, const std::string& vm) {
    for (const Move& m : p.moves)
        if (f.vms[static_cast<size_t>(m.vm)].id == vm)
            return f.hosts[static_cast<size_t>(m.target)].id;
    return "";
}

TEST(Planner, RelievesAHotSpotWithOneCheapMove) {
    // h1 is at 95% CPU; moving the small VM "s" (2 cores, 1 GiB) suffices, the big one would too
    // but copies more memory.
    auto f = testing::FleetBuilder()
                 .host("h1", 20, 65536, 10000)
                 .host("h2", 20, 65536, 10000)
                 .vm("big", "h1", 17, 32768, 10)
                 .vm("s", "h1", 2, 1024, 10)
                 .vm("other", "h2", 2, 1024, 10)
                 .build();
    const Plan p = run(f, Goal::kHotspot);
    ASSERT_EQ(p.moves.size(), 1u);
    EXPECT_EQ(target_of(f, p, "s"), "h2");
    EXPECT_TRUE(p.unresolved.empty());
    PlanOptions o;
    EXPECT_EQ(summarize(f, p, o).overloaded_after, 0);
}

TEST(Planner, VmLargerThanAnyHostIsUnresolvedNotAnError) {
    auto f = testing::FleetBuilder()
                 .host("h1", 8, 8192, 1000)
                 .vm("huge", "", 64, 1024, 1)
                 .vm("ok", "", 1, 1024, 1)
                 .build();
    const Plan p = run(f, Goal::kAuto);
    ASSERT_EQ(p.unresolved.size(), 1u);
    EXPECT_EQ(p.unresolved[0].vm, *f.vm_index("huge"));
    EXPECT_NE(p.unresolved[0].reason.find("larger than any usable host"), std::string::npos);
    EXPECT_EQ(target_of(f, p, "ok"), "h1");
}

TEST(Planner, EveryHostInMaintenanceSaysSoForEveryVm) {
    // Regression (issue 8, hostile fleets): the reason said "larger than any usable host" for a
    // 1-core VM when no host was usable at all.
    auto f = testing::FleetBuilder()
                 .host("m1", 16, 16384, 1000, model::HostState::kMaintenance)
                 .host("m2", 16, 16384, 1000, model::HostState::kMaintenance)
                 .vm("v1", "m1", 1, 1024, 1)
                 .vm("v2", "m2", 0, 0, 0)
                 .vm("n", "", 1, 1024, 1)
                 .build();
    for (Goal g :
         {Goal::kAuto, Goal::kConsolidate, Goal::kBalance, Goal::kHotspot, Goal::kEvacuate}) {
        const Plan p = run(f, g);
        EXPECT_TRUE(p.moves.empty()) << to_string(g);
        ASSERT_EQ(p.unresolved.size(), 3u) << to_string(g);
        for (const auto& u : p.unresolved)
            EXPECT_NE(u.reason.find("every host is in maintenance"), std::string::npos)
                << to_string(g) << ": " << u.reason;
    }
}

TEST(Planner, HotHostNamesTheVmLargerThanAnyHost) {
    // A running VM above every host's limit keeps its host above max-util; the reason names it.
    auto f = testing::FleetBuilder()
                 .host("a", 8, 16384, 1000)
                 .host("b", 8, 16384, 1000)
                 .vm("big", "a", 16, 1024, 10)
                 .vm("small", "b", 1, 1024, 10)
                 .build();
    for (Goal g : {Goal::kAuto, Goal::kConsolidate, Goal::kBalance, Goal::kHotspot}) {
        const Plan p = run(f, g);
        ASSERT_EQ(p.unresolved.size(), 1u) << to_string(g);
        EXPECT_EQ(p.unresolved[0].host, *f.host_index("a")) << to_string(g);
        EXPECT_NE(p.unresolved[0].reason.find("VM big (cpu=16 mem=1024MiB net=10Mbps) is larger "
                                              "than any usable host"),
                  std::string::npos)
            << to_string(g) << ": " << p.unresolved[0].reason;
    }
}

TEST(Planner, EvacuatesMaintenanceHostsAndNeverTargetsThem) {
    auto f = testing::FleetBuilder()
                 .host("m", 16, 16384, 1000, model::HostState::kMaintenance)
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .vm("v1", "m", 4, 4096, 1)
                 .vm("v2", "m", 4, 4096, 1)
                 .vm("v3", "a", 1, 1024, 1)
                 .build();
    for (Goal g :
         {Goal::kAuto, Goal::kConsolidate, Goal::kBalance, Goal::kHotspot, Goal::kEvacuate}) {
        const Plan p = run(f, g);
        EXPECT_NE(target_of(f, p, "v1"), "") << to_string(g);
        EXPECT_NE(target_of(f, p, "v2"), "") << to_string(g);
        for (const Move& m : p.moves) EXPECT_NE(f.hosts[static_cast<size_t>(m.target)].id, "m");
    }
}

TEST(Planner, EvacuationThatDoesNotFitIsReportedPerVm) {
    auto f = testing::FleetBuilder()
                 .host("a", 4, 4096, 1000)
                 .host("b", 4, 4096, 1000)
                 .vm("v1", "a", 3, 1024, 1)
                 .vm("v2", "b", 3, 1024, 1)
                 .build();
    PlanOptions o;
    o.evacuate = {*f.host_index("a")};
    const Plan p = run(f, Goal::kEvacuate, testing::policies(), o);
    ASSERT_EQ(p.unresolved.size(), 1u);
    EXPECT_EQ(p.unresolved[0].host, *f.host_index("a"));
    EXPECT_TRUE(p.moves.empty());
}

TEST(Planner, ConsolidationFreesTheColdHostsAndStaysUnderMaxUtil) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("c", 16, 16384, 1000)
                 .vm("v1", "a", 2, 2048, 1)
                 .vm("v2", "b", 2, 2048, 1)
                 .vm("v3", "c", 2, 2048, 1)
                 .build();
    const Plan p = run(f, Goal::kConsolidate);
    PlanOptions o;
    const PlanSummary s = summarize(f, p, o);
    EXPECT_EQ(s.active_hosts_after, 1);
    EXPECT_EQ(s.lower_bound_hosts, 1);
    EXPECT_EQ(s.freed_hosts.size(), 2u);
    EXPECT_EQ(s.overloaded_after, 0);
}

TEST(Planner, BudgetLimitsMigrations) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .host("c", 16, 16384, 1000)
                 .vm("v1", "a", 2, 2048, 1)
                 .vm("v2", "b", 2, 2048, 1)
                 .vm("v3", "c", 2, 2048, 1)
                 .build();
    PlanOptions o;
    o.budget_migrations = 1;
    const Plan p = run(f, Goal::kConsolidate, testing::policies(), o);
    EXPECT_EQ(p.moves.size(), 1u);
}

TEST(Planner, BalanceEvensOutUtilisation) {
    auto f = testing::FleetBuilder()
                 .host("a", 10, 10240, 1000)
                 .host("b", 10, 10240, 1000)
                 .vm("v1", "a", 2, 1024, 1)
                 .vm("v2", "a", 2, 1024, 1)
                 .vm("v3", "a", 2, 1024, 1)
                 .vm("v4", "a", 2, 1024, 1)
                 .build();
    PlanOptions o;
    o.balance_mem_frac = -1;  // the 20% memory budget would stop this tiny fleet at once
    const Plan p = run(f, Goal::kBalance, testing::policies(), o);
    EXPECT_EQ(p.moves.size(), 2u);
    for (const Move& m : p.moves) EXPECT_EQ(f.hosts[static_cast<size_t>(m.target)].id, "b");
}

TEST(Planner, SwitchesOnAnOffHostOnlyWhenNothingElseFits) {
    auto f = testing::FleetBuilder()
                 .host("a", 4, 4096, 1000)
                 .host("z", 16, 16384, 1000, model::HostState::kOff)
                 .vm("v1", "", 2, 1024, 1)
                 .vm("v2", "", 8, 1024, 1)
                 .build();
    const Plan p = run(f, Goal::kAuto);
    EXPECT_EQ(target_of(f, p, "v1"), "a");
    EXPECT_EQ(target_of(f, p, "v2"), "z");
    ASSERT_EQ(p.powered_on.size(), 1u);
    EXPECT_EQ(p.powered_on[0], *f.host_index("z"));
}

TEST(Planner, NeverSwitchesOnAnOffHostThatIsBeingEvacuated) {
    // Found by review: an off host named in --evacuate was switched on and filled.
    auto f = testing::FleetBuilder()
                 .host("h1", 4, 4096, 1000)
                 .host("h2", 4, 4096, 1000)
                 .host("big", 16, 16384, 1000, model::HostState::kOff)
                 .vm("v1", "h1", 3, 3000, 100)
                 .vm("v2", "h2", 1, 100, 10)
                 .vm("new", "", 2, 2000, 100)
                 .build();
    PlanOptions o;
    o.evacuate = {*f.host_index("big")};
    for (Goal g :
         {Goal::kAuto, Goal::kConsolidate, Goal::kBalance, Goal::kHotspot, Goal::kEvacuate}) {
        const Plan p = run(f, g, testing::policies(), o);
        for (const Move& m : p.moves)
            EXPECT_NE(f.hosts[static_cast<size_t>(m.target)].id, "big") << to_string(g);
        EXPECT_TRUE(p.powered_on.empty()) << to_string(g);
    }
}

// Every field of the plan as text (doubles in hexadecimal, so equal text is equal bits): two
// plans are the same when these strings are.
std::string serialise(const model::Fleet& f, const Plan& p) {
    std::string out;
    char buf[512];
    auto vm_id = [&](int32_t v) {
        return v < 0 ? std::string("-") : f.vms[static_cast<size_t>(v)].id;
    };
    auto host_id = [&](int32_t h) {
        return h < 0 ? std::string("-") : f.hosts[static_cast<size_t>(h)].id;
    };
    for (const Move& m : p.moves) {
        const model::MigrationEstimate& e = m.estimate;
        std::snprintf(buf, sizeof buf, "move %d %s %s %s %s %a %a %a %d %d %a %u\n", m.step,
                      vm_id(m.vm).c_str(), host_id(m.source).c_str(), host_id(m.target).c_str(),
                      to_string(m.reason).c_str(), e.seconds, e.downtime_ms, e.sent_mib, e.rounds,
                      e.converged ? 1 : 0, m.est_start_s, static_cast<unsigned>(m.flags));
        out += buf;
    }
    for (const Unresolved& u : p.unresolved)
        out += "unresolved " + host_id(u.host) + " " + vm_id(u.vm) + " " + u.reason + "\n";
    for (const Resize& r : p.resizes)
        out += "resize " + vm_id(r.vm) + " " + host_id(r.host) + " " +
               std::to_string(r.cpu_alloc_millicores) + " " + std::to_string(r.mem_alloc_kib) +
               "\n";
    for (int32_t h : p.powered_on) out += "on " + host_id(h) + "\n";
    for (int32_t v : p.deferred) out += "deferred " + vm_id(v) + "\n";
    std::snprintf(buf, sizeof buf, "totals %lld %lld %lld %lld\n",
                  static_cast<long long>(p.migrations), static_cast<long long>(p.moved_mem_kib),
                  static_cast<long long>(p.window_dropped),
                  static_cast<long long>(p.window_dropped_mem_kib));
    out += buf;
    return out;
}

// The first line where two serialised plans differ, for the failure message.
std::string first_difference(const std::string& a, const std::string& b) {
    size_t i = 0;
    while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
    const size_t from = a.rfind('\n', i == 0 ? 0 : i - 1);
    const size_t start = from == std::string::npos || i == 0 ? 0 : from + 1;
    auto line = [&](const std::string& s) { return s.substr(start, s.find('\n', start) - start); };
    return "'" + line(a) + "' vs '" + line(b) + "'";
}

// The plan under a task arena of exactly `threads` threads (global_control lets the arena have
// more threads than the machine has cores).
Plan run_on_threads(int threads, const model::Fleet& f, Goal goal, const PlanOptions& o) {
    tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                           static_cast<size_t>(threads));
    tbb::task_arena arena(threads);
    return arena.execute([&] {
        EXPECT_EQ(tbb::this_task_arena::max_concurrency(), threads);
        return run(f, goal, testing::policies(), o);
    });
}

// split_shards takes the caller's VM table: the rows move into the shards in shard order and the
// emptied table's storage is released (at 2M VMs it held 368 MB through the whole plan); the
// hosts stay for the global step.
TEST(SplitShards, MovesEveryVmIntoItsShardAndReleasesTheCallersTable) {
    model::GeneratorOptions g;
    g.hosts = 300;
    g.vms = 3000;
    g.seed = 5;
    const model::Fleet f = model::generate_fleet(g);
    const ShardMap map = make_shards(f.hosts, 100);
    ASSERT_GT(map.shards, 1);
    model::Fleet moved = f;
    const auto inputs = split_shards(std::move(moved), model::History{}, model::Traffic{}, {}, map,
                                     std::vector<uint8_t>(static_cast<size_t>(map.shards), 1));
    EXPECT_EQ(moved.vms.capacity(), 0u);
    EXPECT_EQ(moved.hosts.size(), f.hosts.size());
    EXPECT_EQ(moved.host_index(f.hosts[7].id), 7);
    size_t n = 0;
    for (const ShardInput& in : inputs) {
        ASSERT_EQ(in.fleet.vms.size(), in.origin.size());
        for (size_t i = 0; i < in.origin.size(); ++i)
            EXPECT_EQ(in.fleet.vms[i].id, f.vms[static_cast<size_t>(in.origin[i])].id);
        n += in.origin.size();
    }
    EXPECT_EQ(n, f.vms.size());
}

TEST(Planner, IsByteIdenticalOnOneTwoAndFourThreadsAndOrdersRowsByStepThenVmId) {
    // Two sites of twenty racks in shards of 100 hosts: eight shards planned in parallel and,
    // for consolidation, inside each the six variants in parallel (on this fleet dot-product wins
    // in some shards, the first variant in others); two evacuated hosts for the global step.
    model::GeneratorOptions g;
    g.hosts = 800;
    g.vms = 8000;
    g.seed = 3;
    const model::Fleet f = model::generate_fleet(g);
    PlanOptions o;
    o.shard_hosts = 100;
    ASSERT_EQ(make_shards(f.hosts, o.shard_hosts).shards, 8);
    // Also with the arrival cap, which the shards count in their own placement states.
    for (int32_t cap : {0, 4})
        for (Goal goal : {Goal::kAuto, Goal::kConsolidate, Goal::kBalance}) {
            SCOPED_TRACE(to_string(goal) + " max_arrivals " + std::to_string(cap));
            PlanOptions opt = o;
            opt.max_arrivals = cap;
            if (goal == Goal::kAuto) opt.evacuate = {5, 621};
            const Plan one = run_on_threads(1, f, goal, opt);
            ASSERT_GT(one.moves.size(), 100u);
            const std::string want = serialise(f, one);
            if (cap > 0 && goal != Goal::kConsolidate) {  // (consolidate's repack is uncapped)
                PlanOptions uncapped = opt;
                uncapped.max_arrivals = 0;
                EXPECT_NE(serialise(f, run_on_threads(1, f, goal, uncapped)), want)
                    << "the cap changes nothing here";
            }
            for (int threads : {2, 4}) {
                const std::string got = serialise(f, run_on_threads(threads, f, goal, opt));
                EXPECT_TRUE(got == want)
                    << threads << " threads: the plan differs from one thread's: "
                    << first_difference(got, want);
            }
            for (size_t i = 1; i < one.moves.size(); ++i) {
                const auto& p = one.moves[i - 1];
                const auto& q = one.moves[i];
                EXPECT_TRUE(p.step < q.step ||
                            (p.step == q.step && f.vms[static_cast<size_t>(p.vm)].id <
                                                     f.vms[static_cast<size_t>(q.vm)].id));
            }
        }
}

TEST(Planner, ConsolidateOnAGeneratedFleetIsWithinTenPercentOfTheLowerBound) {
    model::GeneratorOptions g;
    g.hosts = 400;
    g.vms = 4000;
    g.seed = 11;
    const model::Fleet f = model::generate_fleet(g);
    const Plan p = run(f, Goal::kConsolidate);
    const PlanSummary s = summarize(f, p, PlanOptions{});
    EXPECT_EQ(s.overloaded_after, 0);
    EXPECT_LE(static_cast<double>(s.active_hosts_after),
              1.1 * static_cast<double>(s.lower_bound_hosts));
    EXPECT_LT(s.active_hosts_after, s.active_hosts_before);
}

}  // namespace
}  // namespace fp::plan

namespace fp::plan {
namespace {

// resolve_plan orders moves by step, then VM id as std::string orders it (bytes as unsigned,
// a proper prefix first). Its sort compares the ids' first 16 bytes packed into integers and
// the whole ids only on a tie: ids here share 16-byte prefixes, differ only past them, are
// prefixes of each other, hold bytes above 0x7f (UTF-8) and an embedded NUL.
TEST(ResolvePlan, OrdersMovesByStepThenIdAsStringsCompare) {
    testing::FleetBuilder b;
    for (int h = 0; h < 4; ++h) b.host("h" + std::to_string(h), 64, 262144, 10000);
    const std::vector<std::string> ids = {"vm-0123456789abcdef-2",
                                          "vm-0123456789abcdef-10",
                                          "vm-0123456789abcdef",
                                          "vm-0123456789abcde",
                                          "vm-0123456789abcdeg",
                                          "\xc3\xa9t\xc3\xa9",
                                          "zz",
                                          "z",
                                          std::string("z\0a", 3),
                                          "Z",
                                          "vm-0123456789abcdef-1",
                                          "\xc3\xa9",
                                          "a",
                                          "b"};
    for (const std::string& id : ids) b.vm(id, "", 1, 1024, 1);
    const model::Fleet f = b.build();
    Plan p;
    // New VMs only, in a scrambled order, spread over the hosts (waves as the limits allow).
    for (size_t k = 0; k < ids.size(); ++k) {
        Move m;
        m.vm = static_cast<int32_t>((k * 5) % ids.size());
        m.target = static_cast<int32_t>(k % 4);
        m.reason = MoveReason::kNewVm;
        p.moves.push_back(m);
    }
    resolve_plan(f, p, PlanOptions{});
    ASSERT_EQ(p.moves.size(), ids.size());
    std::vector<std::pair<int32_t, std::string>> got;
    for (const Move& m : p.moves) got.emplace_back(m.step, f.vms[static_cast<size_t>(m.vm)].id);
    std::vector<std::pair<int32_t, std::string>> want = got;
    std::sort(want.begin(), want.end());
    EXPECT_EQ(got, want);
    EXPECT_GT(std::count_if(got.begin(), got.end(),
                            [&](const auto& g) { return g.first == got.front().first; }),
              3);
}

}  // namespace
}  // namespace fp::plan
