#include "src/plan/lower_bound.hpp"

#include <gtest/gtest.h>

#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

TEST(LowerBound, TakesLargestHostsFirstAndTheWorstDimension) {
    // CPU demand 20 cores: at 0.9, the 16-core host gives 14.4, then a 8-core one 7.2 → 2 hosts.
    // Memory demand 30 GiB: 16-core host has 16 GiB (14.4 at 0.9), two 8-core hosts 8 GiB each
    // (7.2) → 14.4 + 7.2 + 7.2 = 28.8 < 30 → 4 hosts are needed.
    auto fleet = testing::FleetBuilder()
                     .host("a", 8, 8192, 1000)
                     .host("b", 16, 16384, 1000)
                     .host("c", 8, 8192, 1000)
                     .host("d", 8, 8192, 1000)
                     .vm("v1", "a", 10, 15360, 10)
                     .vm("v2", "", 10, 15360, 10)
                     .build();
    std::vector<uint8_t> all(4, 1);
    EXPECT_EQ(lower_bound_hosts(fleet, all, 900000), 4);
    // With memory halved (15 GiB), 14.4 + 7.2 GiB covers it: CPU's 2 hosts decide.
    fleet.vms[0].demand[model::kMem] = 7680 * 1024;
    fleet.vms[1].demand[model::kMem] = 7680 * 1024;
    EXPECT_EQ(lower_bound_hosts(fleet, all, 900000), 2);
}

TEST(LowerBound, IneligibleHostsDoNotCountAndShortfallIsAllEligible) {
    auto fleet = testing::FleetBuilder()
                     .host("a", 4, 4096, 1000)
                     .host("b", 4, 4096, 1000)
                     .vm("v1", "a", 7, 10, 1)
                     .build();
    EXPECT_EQ(lower_bound_hosts(fleet, {1, 1}, 900000), 2);
    EXPECT_EQ(lower_bound_hosts(fleet, {1, 0}, 900000), 1);  // even one does not cover it
}

TEST(LowerBound, ZeroDemandNeedsNoHost) {
    auto fleet = testing::FleetBuilder().host("a", 4, 4096, 1000).vm("v", "a", 0, 0, 0).build();
    EXPECT_EQ(lower_bound_hosts(fleet, {1}, 900000), 0);
}

}  // namespace
}  // namespace fp::plan
