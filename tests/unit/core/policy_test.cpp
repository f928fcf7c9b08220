// Each policy shows, on a crafted fixture, a decision its siblings do not make.
#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "src/model/placement_state.hpp"
#include "src/plan/plan.hpp"
#include "src/policy/registry.hpp"
#include "src/policy/resource_function.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::policy {
namespace {

TEST(Selection, ResourceConstrainedAndMinMigrationTimeDisagree) {
    // h1 is over 90% CPU by 2 cores. "cpu-heavy" (3 cores, 8 GiB) alone clears it; MMT instead
    // takes the VMs with the least memory first: two 1-core, 1-GiB VMs.
    auto f = testing::FleetBuilder()
                 .host("h1", 20, 65536, 10000)
                 .vm("cpu-heavy", "h1", 3, 8192, 1)
                 .vm("m1", "h1", 1, 1024, 1)
                 .vm("m2", "h1", 1, 1024, 1)
                 .vm("rest", "h1", 15, 30000, 1)
                 .build();
    model::PlacementState s(f, 900000);
    ASSERT_TRUE(s.overloaded(0));
    const auto rc =
        testing::policies("threshold", "resource-constrained").selection->select(s, 0, {}, {});
    const auto mmt =
        testing::policies("threshold", "min-migration-time").selection->select(s, 0, {}, {});
    ASSERT_EQ(rc.size(), 1u);
    EXPECT_EQ(f.vms[static_cast<size_t>(rc[0])].id, "cpu-heavy");
    ASSERT_EQ(mmt.size(), 2u);
    EXPECT_EQ(f.vms[static_cast<size_t>(mmt[0])].id, "m1");
    EXPECT_EQ(f.vms[static_cast<size_t>(mmt[1])].id, "m2");
}

TEST(Placement, FirstFitTakesTheFirstHostBestFitTheTightest) {
    auto f = testing::FleetBuilder()
                 .host("a", 16, 16384, 1000)
                 .host("b", 16, 16384, 1000)
                 .vm("on-b", "b", 12, 12288, 1)
                 .vm("new", "", 2, 1024, 1)
                 .build();
    model::PlacementState s(f, 900000);
    const std::vector<uint8_t> all = {1, 1};
    EXPECT_EQ(*testing::policies("threshold", "resource-constrained", "ffd")
                   .placement->choose(s, 1, all, {}),
              0);
    EXPECT_EQ(*testing::policies("threshold", "resource-constrained", "bfd")
                   .placement->choose(s, 1, all, {}),
              1);
}

TEST(Placement, NeverCreatesAHotSpot) {
    auto f = testing::FleetBuilder()
                 .host("a", 10, 10240, 1000)
                 .vm("x", "a", 8, 1024, 1)
                 .vm("new", "", 1.5, 1024, 1)
                 .build();
    model::PlacementState s(f, 900000);
    EXPECT_FALSE(testing::policies().placement->choose(s, 1, {1}, {}).has_value());
}

// The scan reads PlacementState's headroom (limit − load, kept up to date by move and set_limit)
// instead of load and limit: after any sequence of moves and limit changes, bfd and dot-product
// still choose what a scan of load, limit and the host table chooses, although they skip
// scoring hosts that a bound (multiplications by 1/capacity) shows to lose.
TEST(Placement, HeadroomScanAgreesWithLoadAndLimit) {
    testing::FleetBuilder b;
    for (int h = 0; h < 24; ++h)
        b.host("h" + std::to_string(100 + h), 8 + 8 * (h % 3), 16384 * (1 + h % 4), 1000);
    uint64_t x = 12345;
    auto next = [&](uint64_t n) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        return (x >> 33) % n;
    };
    for (int v = 0; v < 120; ++v)
        b.vm("v" + std::to_string(1000 + v), v % 5 == 0 ? "" : "h" + std::to_string(100 + v % 24),
             0.5 + static_cast<double>(next(6)), 512.0 * static_cast<double>(1 + next(12)),
             static_cast<double>(next(50)));
    model::Fleet f = b.build();
    for (size_t v = 0; v < f.vms.size(); v += 7) f.vms[v].anti_group = "g" + std::to_string(v % 3);
    model::PlacementState s(f, 900000);
    const PolicySet bfd = testing::policies("threshold", "resource-constrained", "bfd");
    const PolicySet dot = testing::policies("threshold", "resource-constrained", "dot-product");
    const VolumeFunction volume;
    std::vector<uint8_t> allowed(f.hosts.size(), 1);
    // The exact scan as it was before the headroom array and the bounds: among allowed hosts
    // where load + demand stays within the limit, the least score(h), ties by id.
    auto reference_scan = [&](int32_t vm, auto score) -> std::optional<int32_t> {
        std::optional<int32_t> best;
        double best_score = 0;
        for (int32_t h = 0; h < s.host_count(); ++h) {
            if (!allowed[static_cast<size_t>(h)] ||
                !(s.load(h) + s.demand(vm)).fits_within(s.limit(h)) || s.anti_conflict(vm, h))
                continue;
            const double sc = score(h, f.hosts[static_cast<size_t>(h)].capacity);
            if (!best || sc < best_score || (sc == best_score && s.id_rank(h) < s.id_rank(*best))) {
                best = h;
                best_score = sc;
            }
        }
        return best;
    };
    // bfd: the least volume of limit − load − demand.
    auto reference = [&](int32_t vm) {
        return reference_scan(vm, [&](int32_t h, const model::Resources& cap) {
            return volume.score(s.limit(h) - s.load(h) - s.demand(vm), cap);
        });
    };
    // dot-product: the least negated cosine of headroom and demand as fractions of capacity.
    auto dot_reference = [&](int32_t vm) {
        return reference_scan(vm, [&](int32_t h, const model::Resources& cap) {
            const auto r = fractions(s.limit(h) - s.load(h), cap);
            const auto d = fractions(s.demand(vm), cap);
            double dot = 0, rr = 0, dd = 0;
            for (size_t i = 0; i < r.size(); ++i) {
                dot += r[i] * d[i];
                rr += r[i] * r[i];
                dd += d[i] * d[i];
            }
            return rr > 0 && dd > 0 ? -dot / std::sqrt(rr * dd) : 0.0;
        });
    };
    int chosen = 0;
    for (int step = 0; step < 400; ++step) {
        for (int32_t h = 0; h < s.host_count(); ++h) {
            for (int d = 0; d < model::kDims; ++d)
                ASSERT_EQ(s.headroom(h)[d], s.limit(h)[d] - s.load(h)[d]) << "step " << step;
            ASSERT_EQ(s.capacity(h), f.hosts[static_cast<size_t>(h)].capacity);
        }
        const auto vm = static_cast<int32_t>(next(f.vms.size()));
        for (size_t h = 0; h < allowed.size(); ++h) allowed[h] = next(4) != 0;
        const auto want = reference(vm);
        ASSERT_EQ(bfd.placement->choose(s, vm, allowed, {}), want) << "step " << step;
        ASSERT_EQ(dot.placement->choose(s, vm, allowed, {}), dot_reference(vm)) << "step " << step;
        if (want) {
            ++chosen;
            s.move(vm, *want);
        } else if (next(3) == 0) {
            s.move(vm, model::kNoHost);
        }
        if (next(10) == 0) {  // a brief limit change, as the planner's proactive relief makes
            const auto h = static_cast<int32_t>(next(f.hosts.size()));
            model::Resources tight = s.limit(h);
            tight[model::kCpu] -= 500;
            s.set_limit(h, tight);
        }
    }
    EXPECT_GT(chosen, 100);  // the moves did happen
}

TEST(ResourceFunction, SizeFunctionsRankVmsDifferently) {
    const model::Resources ref{{1000, 1000, 1000}};
    const model::Resources balanced{{400, 400, 0}};  // 0.4, 0.4
    const model::Resources skewed{{700, 0, 0}};      // 0.7
    VolumeFunction vol;
    MaxFunction mx;
    WeightedSumFunction ws({1, 1, 1});
    L2Function l2;
    // max, l2 and volume call the skewed vector larger; weighted-sum the balanced one.
    EXPECT_GT(mx.score(skewed, ref), mx.score(balanced, ref));
    EXPECT_GT(l2.score(skewed, ref), l2.score(balanced, ref));
    EXPECT_GT(ws.score(balanced, ref), ws.score(skewed, ref));
    EXPECT_NEAR(vol.score(balanced, ref), 1 / 0.36, 1e-9);
    EXPECT_NEAR(vol.score(skewed, ref), 1 / 0.3, 1e-9);
}

TEST(Trigger, ThresholdFindsHotAndColdHosts) {
    auto f = testing::FleetBuilder()
                 .host("hot", 10, 10240, 1000)
                 .host("cold", 10, 10240, 1000)
                 .host("mid", 10, 10240, 1000)
                 .host("empty", 10, 10240, 1000)
                 .vm("a", "hot", 9.5, 1024, 1)
                 .vm("b", "cold", 1, 1024, 1)
                 .vm("c", "mid", 5, 5120, 1)
                 .build();
    model::PlacementState s(f, 900000);
    const auto r = testing::policies().trigger->evaluate(s, {});
    ASSERT_EQ(r.hot.size(), 1u);
    EXPECT_EQ(r.hot[0], 0);
    ASSERT_EQ(r.cold.size(), 1u);
    EXPECT_EQ(r.cold[0], 1);
}

TEST(Registry, UnknownNameListsTheValidOnes) {
    Registries r;
    register_builtin_policies(r);
    ConfigNode n("policy.placement");
    auto p = r.placements.create("worst-fit", n, r);
    ASSERT_FALSE(p.has_value());
    // Every registered placement is listed, in name order.
    std::string valid;
    for (const auto& info : r.placements.list()) valid += (valid.empty() ? "" : ", ") + info.name;
    EXPECT_NE(p.error().msg.find("(valid: " + valid + ")"), std::string::npos) << p.error().msg;
    EXPECT_NE(valid.find("bfd, "), std::string::npos);
}

// The goal presets live in the core (src/plan) while the policies register in src/policy: a
// renamed policy must not leave a preset naming nothing.
TEST(Registry, EveryGoalPresetNamesARegisteredPolicy) {
    Registries r;
    register_builtin_policies(r);
    for (const plan::Goal g : {plan::Goal::kAuto, plan::Goal::kConsolidate, plan::Goal::kBalance,
                               plan::Goal::kHotspot, plan::Goal::kEvacuate}) {
        const plan::GoalPreset p = plan::goal_preset(g);
        EXPECT_TRUE(r.triggers.contains(std::string(p.trigger))) << plan::to_string(g);
        EXPECT_TRUE(r.selections.contains(std::string(p.selection))) << plan::to_string(g);
        EXPECT_TRUE(r.placements.contains(std::string(p.placement))) << plan::to_string(g);
    }
    EXPECT_NE(plan::goal_preset(plan::Goal::kConsolidate).selection,
              plan::goal_preset(plan::Goal::kBalance).selection);
}

}  // namespace
}  // namespace fp::policy
