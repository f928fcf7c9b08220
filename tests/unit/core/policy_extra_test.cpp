// The extra selections and placements: each shows, on a crafted fixture, a decision its siblings
// do not make, plus determinism and parameter checks.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cstdio>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "src/model/history.hpp"
#include "src/model/migration_cost.hpp"
#include "src/model/placement_state.hpp"
#include "src/model/traffic.hpp"
#include "src/policy/placement_extra.hpp"
#include "src/policy/registry.hpp"
#include "src/policy/selection_extra.hpp"
#include "src/util/rng.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::policy {
namespace {

using Params = std::map<std::string, ConfigValue>;

const Registries& registries() {
    static const Registries r = [] {
        Registries out;
        register_builtin_policies(out);
        return out;
    }();
    return r;
}

std::unique_ptr<VmSelectionPolicy> selection(const std::string& name, const Params& params = {}) {
    ConfigNode n("policy.selection");
    for (const auto& [k, v] : params) n.set(k, v);
    auto made = registries().selections.create(name, n, registries());
    EXPECT_TRUE(made.has_value()) << name;
    EXPECT_TRUE(n.unread_keys().empty()) << name;
    return std::move(*made);
}

std::unique_ptr<PlacementPolicy> placement(const std::string& name, const Params& params = {}) {
    ConfigNode n("policy.placement");
    for (const auto& [k, v] : params) n.set(k, v);
    auto made = registries().placements.create(name, n, registries());
    EXPECT_TRUE(made.has_value()) << name;
    EXPECT_TRUE(n.unread_keys().empty()) << name;
    return std::move(*made);
}

std::vector<std::string> ids(const model::Fleet& f, const std::vector<int32_t>& vms) {
    std::vector<std::string> out;
    for (int32_t vm : vms) out.push_back(f.vms[static_cast<size_t>(vm)].id);
    return out;
}

std::string host_id(const model::Fleet& f, std::optional<int32_t> h) {
    return h ? f.hosts[static_cast<size_t>(*h)].id : std::string("(none)");
}

std::vector<std::string> select_ids(const std::string& name, const model::PlacementState& s,
                                    int32_t host, const PolicyContext& ctx = {},
                                    const Params& params = {},
                                    const std::vector<int32_t>& exclude = {}) {
    return ids(s.fleet(), selection(name, params)->select(s, host, exclude, ctx));
}

std::string choose_id(const std::string& name, const model::PlacementState& s, int32_t vm,
                      const PolicyContext& ctx = {}, const Params& params = {}) {
    const std::vector<uint8_t> all(static_cast<size_t>(s.host_count()), 1);
    return host_id(s.fleet(), placement(name, params)->choose(s, vm, all, ctx));
}

int32_t vm_named(const model::Fleet& f, const std::string& id) { return *f.vm_index(id); }

// ---- registration ----

TEST(ExtraPolicies, EveryCanonicalNameIsRegisteredWithADescription) {
    for (const char* n :
         {"min-utilisation", "random", "volume", "volume-to-size", "max-correlation", "holistic"})
        EXPECT_TRUE(registries().selections.contains(n)) << n;
    for (const char* n : {"dot-product", "vector-imbalance", "pabfd", "affinity"})
        EXPECT_TRUE(registries().placements.contains(n)) << n;
    for (const PolicyInfo& i : registries().list_all())
        EXPECT_FALSE(i.description.empty()) << i.name;
}

TEST(ExtraPolicies, ParametersAreValidated) {
    auto bad_placement = [](const std::string& name, const Params& params) {
        ConfigNode n("policy.placement");
        for (const auto& [k, v] : params) n.set(k, v);
        return !registries().placements.create(name, n, registries()).has_value();
    };
    EXPECT_TRUE(bad_placement("pabfd", {{"power_idle_w", 300.0}, {"power_max_w", 200.0}}));
    EXPECT_TRUE(bad_placement("pabfd", {{"power_idle_w", -1.0}}));
    EXPECT_TRUE(bad_placement("affinity", {{"rack_weight", 1.5}}));
    EXPECT_TRUE(bad_placement("dot-product", {{"size", std::string("cube")}}));
    ConfigNode n("policy.selection");
    n.set("exact_max_vms", int64_t{64});
    EXPECT_FALSE(registries().selections.create("holistic", n, registries()).has_value());
}

// ---- selection ----

TEST(MinUtilisationSelection, TakesTheIdleVmWhereMinMigrationTimeTakesTheSmallOnes) {
    // Memory is 2 GiB over the limit. "idle" uses least CPU (0.1 core) and alone clears it; MMT
    // takes the two 1-GiB VMs.
    auto f = testing::FleetBuilder()
                 .host("h1", 20, 20480, 1000)
                 .vm("idle", "h1", 0.1, 6144, 1)
                 .vm("m1", "h1", 4, 1024, 1)
                 .vm("m2", "h1", 4, 1024, 1)
                 .vm("rest", "h1", 9, 12288, 1)
                 .build();
    model::PlacementState s(f, 900000);
    ASSERT_TRUE(s.overloaded(0));
    EXPECT_EQ(select_ids("min-utilisation", s, 0), std::vector<std::string>({"idle"}));
    EXPECT_EQ(select_ids("min-migration-time", s, 0), std::vector<std::string>({"m1", "m2"}));
    // Excluding the idle VM, the next least CPU ones leave.
    EXPECT_EQ(select_ids("min-utilisation", s, 0, {}, {}, {vm_named(f, "idle")}),
              std::vector<std::string>({"m1", "m2"}));
}

TEST(MinUtilisationSelection, BreaksTiesByVmId) {
    auto f = testing::FleetBuilder()
                 .host("h1", 10, 10240, 1000)
                 .vm("z", "h1", 2, 1024, 1)
                 .vm("y", "h1", 2, 1024, 1)
                 .vm("x", "h1", 6, 1024, 1)
                 .build();
    model::PlacementState s(f, 900000);
    EXPECT_EQ(select_ids("min-utilisation", s, 0), std::vector<std::string>({"y"}));
}

TEST(RandomSelection, IsReproducibleForASeedAndVariesWithTheSeed) {
    auto b = testing::FleetBuilder().host("h1", 8, 8192, 1000);
    for (int i = 0; i < 8; ++i) b.vm("v" + std::to_string(i), "h1", 1, 512, 1);
    auto f = b.build();
    model::PlacementState s(f, 900000);
    ASSERT_TRUE(s.overloaded(0));
    auto pick = [&](uint64_t seed, int64_t round) {
        PolicyContext ctx;
        ctx.seed = seed;
        ctx.round = round;
        const auto got = select_ids("random", s, 0, ctx);
        EXPECT_EQ(got.size(), 1u);  // one core over: any single VM clears it
        return got.empty() ? std::string() : got[0];
    };
    std::set<std::string> by_seed;
    for (uint64_t seed = 1; seed <= 16; ++seed) {
        EXPECT_EQ(pick(seed, 0), pick(seed, 0));
        by_seed.insert(pick(seed, 0));
    }
    EXPECT_GT(by_seed.size(), 2u);
    std::set<std::string> by_round;
    for (int64_t round = 0; round < 16; ++round) by_round.insert(pick(7, round));
    EXPECT_GT(by_round.size(), 2u);
    // Excluding the first pick, the same seed yields a different VM.
    PolicyContext ctx;
    ctx.seed = 3;
    const auto first = selection("random")->select(s, 0, {}, ctx);
    ASSERT_EQ(first.size(), 1u);
    const auto second = selection("random")->select(s, 0, first, ctx);
    ASSERT_EQ(second.size(), 1u);
    EXPECT_NE(first[0], second[0]);
}

TEST(VolumeSelection, VolumePicksTheBulkyVmVolumeToSizeTheCheapOne) {
    // One core over. "big" has the largest volume; "small" the largest volume per MiB.
    auto f = testing::FleetBuilder()
                 .host("h1", 10, 10240, 1000)
                 .vm("big", "h1", 5, 4096, 100)
                 .vm("small", "h1", 3, 512, 100)
                 .vm("rest", "h1", 2, 1024, 100)
                 .build();
    model::PlacementState s(f, 900000);
    EXPECT_EQ(select_ids("volume", s, 0), std::vector<std::string>({"big"}));
    EXPECT_EQ(select_ids("volume-to-size", s, 0), std::vector<std::string>({"small"}));
    // Neither is what min-migration-time or min-utilisation takes.
    EXPECT_EQ(select_ids("min-migration-time", s, 0), std::vector<std::string>({"small"}));
    EXPECT_EQ(select_ids("min-utilisation", s, 0), std::vector<std::string>({"rest"}));
}

TEST(VolumeSelection, FractionsAreClampedSoOversizedVmsStayLargest) {
    const model::Resources cap{{1000, 1000, 1000}};
    const double over = sandpiper_volume(model::Resources{{2000, 500, 0}}, cap);
    const double at = sandpiper_volume(model::Resources{{990, 500, 0}}, cap);
    const double under = sandpiper_volume(model::Resources{{900, 500, 0}}, cap);
    EXPECT_GT(over, 0);
    EXPECT_DOUBLE_EQ(over, at);
    EXPECT_GT(at, under);
    EXPECT_DOUBLE_EQ(sandpiper_volume(model::Resources{{0, 0, 0}}, cap), 1.0);
}

class MaxCorrelationSelectionTest : public ::testing::Test {
  protected:
    // 10 cores, 10 in use: one core over, so any single VM clears it. "c" moves with the host's
    // other load; "d" against it; "a" is noise. MMT would take "d" (least memory), MU "a".
    MaxCorrelationSelectionTest()
        : fleet_(testing::FleetBuilder()
                     .host("h1", 10, 65536, 1000)
                     .vm("a", "h1", 2, 2048, 1)
                     .vm("b", "h1", 3, 4096, 1)
                     .vm("c", "h1", 3, 4096, 1)
                     .vm("d", "h1", 2, 1024, 1)
                     .build()) {
        history_.length = 8;
        history_.cpu = {{0.5f, 0.6f, 0.4f, 0.5f, 0.6f, 0.4f, 0.5f, 0.5f},
                        {0.3f, 0.9f, 0.2f, 0.9f, 0.3f, 0.8f, 0.2f, 0.9f},
                        {0.4f, 0.7f, 0.5f, 0.6f, 0.4f, 0.6f, 0.5f, 0.7f},
                        {0.6f, 0.5f, 0.5f, 0.4f, 0.6f, 0.5f, 0.6f, 0.5f}};
    }
    model::Fleet fleet_;
    model::History history_;
};

TEST_F(MaxCorrelationSelectionTest, PicksTheVmMostCorrelatedWithTheRestOfTheHost) {
    model::PlacementState s(fleet_, 900000);
    PolicyContext ctx;
    ctx.history = &history_;
    EXPECT_EQ(select_ids("max-correlation", s, 0, ctx), std::vector<std::string>({"c"}));
    EXPECT_EQ(select_ids("min-migration-time", s, 0, ctx), std::vector<std::string>({"d"}));
    EXPECT_EQ(select_ids("min-utilisation", s, 0, ctx), std::vector<std::string>({"a"}));
    // Without c, b (the other VM following the pattern) is next.
    EXPECT_EQ(select_ids("max-correlation", s, 0, ctx, {}, {vm_named(fleet_, "c")}),
              std::vector<std::string>({"b"}));
}

TEST_F(MaxCorrelationSelectionTest, AVmWithoutHistoryCountsAsUncorrelated) {
    // Without its history "a" counts 0: after a positively correlated VM (b), before an
    // anti-correlated one (d).
    history_.cpu[0].clear();
    model::PlacementState s(fleet_, 900000);
    PolicyContext ctx;
    ctx.history = &history_;
    const int32_t b = vm_named(fleet_, "b");
    const int32_t c = vm_named(fleet_, "c");
    EXPECT_EQ(select_ids("max-correlation", s, 0, ctx, {}, {c}), std::vector<std::string>({"b"}));
    EXPECT_EQ(select_ids("max-correlation", s, 0, ctx, {}, {b, c}),
              std::vector<std::string>({"a"}));
}

TEST_F(MaxCorrelationSelectionTest, WithoutHistoryFallsBackToMinMigrationTime) {
    model::PlacementState s(fleet_, 900000);
    model::History none;
    PolicyContext ctx;
    ctx.history = &none;
    EXPECT_EQ(select_ids("max-correlation", s, 0, ctx), select_ids("min-migration-time", s, 0));
    EXPECT_EQ(select_ids("max-correlation", s, 0), std::vector<std::string>({"d"}));
}

class HolisticSelectionTest : public ::testing::Test {
  protected:
    // 2 cores over the limit. resource-constrained takes "big" (the cheapest single VM that
    // clears it, 8 GiB); min-migration-time takes the four 1-GiB "t" VMs and then "a" (5.5 GiB);
    // the cheapest set is {a, b} (3 GiB).
    HolisticSelectionTest()
        : fleet_(testing::FleetBuilder()
                     .host("h1", 20, 65536, 10000)
                     .vm("big", "h1", 2, 1024, 1, 8192)
                     .vm("a", "h1", 1, 1024, 1, 1536)
                     .vm("b", "h1", 1, 1024, 1, 1536)
                     .vm("t1", "h1", 0.25, 512, 1, 1024)
                     .vm("t2", "h1", 0.25, 512, 1, 1024)
                     .vm("t3", "h1", 0.25, 512, 1, 1024)
                     .vm("t4", "h1", 0.25, 512, 1, 1024)
                     .vm("rest", "h1", 15, 30000, 1, 30000)
                     .build()) {}
    model::Fleet fleet_;
};

TEST_F(HolisticSelectionTest, TakesTwoSmallVmsWhereOthersTakeOneBigOrManyTiny) {
    model::PlacementState s(fleet_, 900000);
    EXPECT_EQ(select_ids("holistic", s, 0), std::vector<std::string>({"a", "b"}));
    EXPECT_EQ(select_ids("resource-constrained", s, 0), std::vector<std::string>({"big"}));
    EXPECT_EQ(select_ids("min-migration-time", s, 0),
              std::vector<std::string>({"t1", "t2", "t3", "t4", "a"}));
    // The greedy path (no exact search) finds the same set here.
    EXPECT_EQ(select_ids("holistic", s, 0, {}, {{"exact_max_vms", int64_t{0}}}),
              std::vector<std::string>({"a", "b"}));
}

TEST_F(HolisticSelectionTest, CostsComeFromTheMigrationModel) {
    // "a" dirties memory at 85% of the link's speed: pre-copy needs 11 shrinking rounds, so its
    // estimate (~8.6 s) is long and the cheapest set becomes b plus the tiny VMs.
    fleet_.vms[static_cast<size_t>(vm_named(fleet_, "a"))].dirty_rate_mibps = 850;
    model::PlacementState s(fleet_, 900000);
    model::MigrationCostConfig cost;
    PolicyContext ctx;
    ctx.cost = &cost;
    EXPECT_EQ(select_ids("holistic", s, 0, ctx),
              std::vector<std::string>({"t1", "t2", "t3", "t4", "b"}));
    // Without a cost model only memory counts, and "a" is cheap again.
    EXPECT_EQ(select_ids("holistic", s, 0), std::vector<std::string>({"a", "b"}));
}

TEST_F(HolisticSelectionTest, ReturnsNothingWhenNoSetClearsTheExcess) {
    model::PlacementState s(fleet_, 900000);
    std::vector<int32_t> all_but_tiny;
    for (const char* id : {"big", "a", "b", "rest"}) all_but_tiny.push_back(vm_named(fleet_, id));
    EXPECT_TRUE(selection("holistic")->select(s, 0, all_but_tiny, {}).empty());
    EXPECT_TRUE(selection("holistic", {{"exact_max_vms", int64_t{0}}})
                    ->select(s, 0, all_but_tiny, {})
                    .empty());
}

TEST(HolisticSelection, ExactSearchMatchesBruteForceAndGreedyIsFeasible) {
    // Random hosts with up to 10 VMs: the exact answer costs what enumerating every subset finds
    // cheapest (memory to copy), and the greedy answer (exact_max_vms = 0) always clears the host.
    int checked = 0;
    for (uint64_t trial = 0; trial < 60; ++trial) {
        CounterRng rng(42, 7, trial);
        auto b = testing::FleetBuilder().host("h", 32, 65536, 10000);
        const int n = 2 + static_cast<int>(rng.below(9));
        for (int i = 0; i < n; ++i) {
            char id[16];
            std::snprintf(id, sizeof id, "v%02d", i);
            b.vm(id, "h", 0.5 + static_cast<double>(rng.below(80)) / 10.0,
                 256.0 * static_cast<double>(1 + rng.below(40)),
                 10.0 * static_cast<double>(rng.below(200)),
                 256.0 * static_cast<double>(1 + rng.below(40)));
        }
        auto f = b.build();
        model::PlacementState s(f, 600000);
        if (!s.overloaded(0)) continue;
        double best = std::numeric_limits<double>::infinity();
        for (uint32_t mask = 1; mask < (1u << n); ++mask) {
            model::Resources load = s.load(0);
            double cost = 0;
            for (int i = 0; i < n; ++i) {
                if (!(mask & (1u << i))) continue;
                load -= s.demand(i);
                cost += static_cast<double>(f.vms[static_cast<size_t>(i)].mem_size_kib) / 1024.0;
            }
            if (load.fits_within(s.limit(0))) best = std::min(best, cost);
        }
        auto cost_of = [&](const std::vector<int32_t>& set, bool* clears) {
            model::Resources load = s.load(0);
            double cost = 0;
            for (int32_t vm : set) {
                load -= s.demand(vm);
                cost += static_cast<double>(f.vms[static_cast<size_t>(vm)].mem_size_kib) / 1024.0;
            }
            *clears = load.fits_within(s.limit(0));
            return cost;
        };
        const auto exact = selection("holistic")->select(s, 0, {}, {});
        const auto greedy =
            selection("holistic", {{"exact_max_vms", int64_t{0}}})->select(s, 0, {}, {});
        if (best == std::numeric_limits<double>::infinity()) {
            EXPECT_TRUE(exact.empty());
            EXPECT_TRUE(greedy.empty());
            continue;
        }
        bool clears = false;
        EXPECT_DOUBLE_EQ(cost_of(exact, &clears), best) << "trial " << trial;
        EXPECT_TRUE(clears);
        cost_of(greedy, &clears);
        EXPECT_TRUE(clears) << "trial " << trial;
        ++checked;
    }
    EXPECT_GT(checked, 20);
}

TEST(HolisticSelection, ManyCandidatesUseTheGreedyCover) {
    auto b = testing::FleetBuilder().host("h1", 40, 65536, 10000);
    for (int i = 0; i < 40; ++i) b.vm("v" + std::to_string(100 + i), "h1", 1, 512, 1, 512 + 16 * i);
    auto f = b.build();
    model::PlacementState s(f, 900000);  // 4 cores over
    // The four cheapest VMs clear it.
    EXPECT_EQ(select_ids("holistic", s, 0),
              std::vector<std::string>({"v100", "v101", "v102", "v103"}));
}

// ---- placement ----

class PlacementFamilyTest : public ::testing::Test {
  protected:
    // A 4-core, 2-GiB, 100-Mbps VM and four 16-core hosts:
    //  a-cpu-free: mostly free CPU, little memory → residual aligns best with the VM (dot-product)
    //  b-tight:    the least residual volume after placement (bfd)
    //  c-balanced: residual after placement ≈ 0.275 in every dimension (vector-imbalance)
    //  d-green:    nearly empty but a cheap power slope: 150 W at full CPU (pabfd)
    PlacementFamilyTest()
        : fleet_(testing::FleetBuilder()
                     .host("a-cpu-free", 16, 16384, 1000)
                     .host("b-tight", 16, 16384, 1000)
                     .host("c-balanced", 16, 16384, 1000)
                     .host("d-green", 16, 16384, 1000)
                     .vm("on-a", "a-cpu-free", 2, 10240, 400)
                     .vm("on-b", "b-tight", 9, 9216, 500)
                     .vm("on-c", "c-balanced", 6, 8192, 500)
                     .vm("on-d", "d-green", 1, 1024, 100)
                     .vm("new", "", 4, 2048, 100)
                     .build()) {
        fleet_.hosts[3].power_max_w = 150.0;
    }
    model::Fleet fleet_;
};

TEST_F(PlacementFamilyTest, EachPolicyPicksADifferentHost) {
    model::PlacementState s(fleet_, 900000);
    const int32_t vm = vm_named(fleet_, "new");
    EXPECT_EQ(choose_id("dot-product", s, vm), "a-cpu-free");
    EXPECT_EQ(choose_id("bfd", s, vm), "b-tight");
    EXPECT_EQ(choose_id("vector-imbalance", s, vm), "c-balanced");
    EXPECT_EQ(choose_id("pabfd", s, vm), "d-green");
    // affinity without partners is best fit, like bfd.
    EXPECT_EQ(choose_id("affinity", s, vm), "b-tight");
}

TEST_F(PlacementFamilyTest, PabfdUsesTheDefaultPowerParameters) {
    // With the same slope everywhere pabfd is CPU best fit: b has the least CPU left.
    fleet_.hosts[3].power_max_w.reset();
    model::PlacementState s(fleet_, 900000);
    const int32_t vm = vm_named(fleet_, "new");
    EXPECT_EQ(choose_id("pabfd", s, vm), "b-tight");
    // A cheaper default slope for hosts without data beats d's explicit 100 → 250 W.
    fleet_.hosts[3].power_idle_w = 100.0;
    fleet_.hosts[3].power_max_w = 250.0;
    model::PlacementState s2(fleet_, 900000);
    EXPECT_EQ(choose_id("pabfd", s2, vm, {}, {{"power_idle_w", 50.0}, {"power_max_w", 60.0}}),
              "b-tight");
}

TEST(PowerAwareBestFitDecreasing, AnEmptyHostPaysItsIdlePower) {
    // "empty" has a far flatter slope, but switching it on costs its idle 100 W.
    auto f = testing::FleetBuilder()
                 .host("busy", 16, 16384, 1000)
                 .host("empty", 16, 16384, 1000)
                 .vm("x", "busy", 4, 4096, 1)
                 .vm("new", "", 4, 1024, 1)
                 .build();
    f.hosts[1].power_max_w = 110.0;
    model::PlacementState s(f, 900000);
    EXPECT_EQ(choose_id("pabfd", s, 1), "busy");
    PowerAwareBestFitDecreasing p(nullptr, PowerDefaults{});
    EXPECT_DOUBLE_EQ(p.power_increase_w(s, 1, 0), 150.0 * 0.25);
    EXPECT_DOUBLE_EQ(p.power_increase_w(s, 1, 1), 100.0 + 10.0 * 0.25);
}

TEST(DotProductPlacement, PrefersAMemoryRichHostForAMemoryHeavyVm) {
    auto f = testing::FleetBuilder()
                 .host("cpu-rich", 16, 16384, 1000)
                 .host("mem-rich", 16, 16384, 1000)
                 .vm("x", "cpu-rich", 1, 12288, 1)
                 .vm("y", "mem-rich", 12, 1024, 1)
                 .vm("new", "", 0.5, 2048, 1)
                 .build();
    model::PlacementState s(f, 900000);
    EXPECT_EQ(choose_id("dot-product", s, 2), "mem-rich");
    EXPECT_EQ(choose_id("dot-product", s, 2, {}, {{"size", std::string("max")}}), "mem-rich");
}

class AffinityPlacementTest : public ::testing::Test {
  protected:
    // "tight" is the best fit; "partner-host" holds "db", which talks to "web" at 500 Mbps.
    AffinityPlacementTest()
        : fleet_(testing::FleetBuilder()
                     .host("partner-host", 16, 16384, 1000)
                     .host("rack-mate", 16, 16384, 1000)
                     .host("tight", 16, 16384, 1000)
                     .vm("db", "partner-host", 2, 2048, 10)
                     .vm("other", "tight", 10, 10240, 10)
                     .vm("web", "", 2, 2048, 10)
                     .build()) {
        fleet_.hosts[0].rack = "r1";
        fleet_.hosts[1].rack = "r1";
        fleet_.hosts[2].rack = "r2";
        traffic_.neighbours.resize(fleet_.vms.size());
        traffic_.neighbours[0].push_back({2, 500.0});
        traffic_.neighbours[2].push_back({0, 500.0});
        ctx_.traffic = &traffic_;
    }
    int32_t web() const { return vm_named(fleet_, "web"); }
    model::Fleet fleet_;
    model::Traffic traffic_;
    PolicyContext ctx_;
};

TEST_F(AffinityPlacementTest, FollowsTraffic) {
    model::PlacementState s(fleet_, 900000);
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_), "partner-host");
    EXPECT_EQ(choose_id("bfd", s, web(), ctx_), "tight");
    // No traffic: best fit.
    EXPECT_EQ(choose_id("affinity", s, web()), "tight");
}

TEST_F(AffinityPlacementTest, PrefersTheRackWhenThePartnerHostIsFull) {
    fleet_.vms[0].demand[model::kCpu] = 13500;  // db fills its host: web no longer fits there
    model::PlacementState s(fleet_, 900000);
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_), "rack-mate");
    // Without a rack bonus, best fit decides.
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_, {{"rack_weight", 0.0}}), "tight");
}

TEST_F(AffinityPlacementTest, NeverJoinsItsAntiGroup) {
    fleet_.vms[0].anti_group = "replicas";
    fleet_.vms[2].anti_group = "replicas";
    model::PlacementState s(fleet_, 900000);
    // The partner host holds a replica: the rack-mate is next best.
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_), "rack-mate");
    // Nowhere but the replica's host: no host at all.
    const std::vector<uint8_t> only_partner = {1, 0, 0};
    EXPECT_FALSE(placement("affinity")->choose(s, web(), only_partner, ctx_).has_value());
}

TEST_F(AffinityPlacementTest, JoinsItsGroup) {
    fleet_.vms[1].group = "web-tier";  // "other" on tight
    fleet_.vms[2].group = "web-tier";
    model::PlacementState s(fleet_, 900000);
    // A group member (1000 Mbps) outweighs 500 Mbps of traffic.
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_), "tight");
    EXPECT_EQ(choose_id("affinity", s, web(), ctx_, {{"group_mbps", 100.0}}), "partner-host");
}

// ---- determinism of the parallel scan ----

TEST(ExtraPlacements, ParallelScanBreaksTiesByLowestHostId) {
    // 20,000 identical hosts (enough for the parallel scan), listed in descending id order: every
    // policy must choose the lowest id, whatever the thread count.
    constexpr int kHosts = 20000;
    model::Fleet f;
    for (int i = 0; i < kHosts; ++i) {
        char id[16];
        std::snprintf(id, sizeof id, "h%05d", kHosts - 1 - i);
        model::Host h;
        h.id = id;
        h.capacity = model::Resources{{16000, 16384 * 1024, 1000000}};
        f.hosts.push_back(h);
        model::Vm v;
        v.id = std::string("on-") + id;
        v.host = i;
        v.demand = model::Resources{{4000, 4096 * 1024, 100000}};
        v.mem_size_kib = v.demand[model::kMem];
        f.vms.push_back(v);
    }
    model::Vm v;
    v.id = "new";
    v.demand = model::Resources{{2000, 2048 * 1024, 10000}};
    v.mem_size_kib = v.demand[model::kMem];
    f.vms.push_back(v);
    f.index();
    model::PlacementState s(f, 900000);
    const int32_t vm = vm_named(f, "new");
    for (int threads : {1, 4}) {
        tbb::global_control gc(tbb::global_control::max_allowed_parallelism,
                               static_cast<size_t>(threads));
        for (const char* name : {"dot-product", "vector-imbalance", "pabfd", "affinity"})
            EXPECT_EQ(choose_id(name, s, vm), "h00000") << name << " threads " << threads;
    }
}

}  // namespace
}  // namespace fp::policy
