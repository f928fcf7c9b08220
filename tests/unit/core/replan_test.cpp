// Planning again after a previous plan: the fleet diff and which VMs still cool down.
#include "src/plan/replan.hpp"

#include <gtest/gtest.h>

#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

using model::HostState;

TEST(FleetChanges, ListsAddedRemovedAndNewlyMaintainedHostsSortedAndCountsNewVms) {
    const model::Fleet prev = testing::FleetBuilder()
                                  .host("b", 16, 16384, 1000)
                                  .host("gone", 16, 16384, 1000)
                                  .host("m", 16, 16384, 1000, HostState::kMaintenance)
                                  .vm("x", "b", 1, 1024, 1)
                                  .build();
    const model::Fleet now = testing::FleetBuilder()
                                 .host("z-new", 16, 16384, 1000)
                                 .host("b", 16, 16384, 1000, HostState::kMaintenance)
                                 .host("m", 16, 16384, 1000, HostState::kMaintenance)
                                 .host("a-new", 16, 16384, 1000)
                                 .vm("x", "b", 1, 1024, 1)
                                 .vm("n1", "", 1, 1024, 1)
                                 .vm("n2", "", 1, 1024, 1)
                                 .build();
    const FleetChanges c = fleet_changes(prev, now);
    EXPECT_EQ(c.hosts_added, (std::vector<std::string>{"a-new", "z-new"}));
    EXPECT_EQ(c.hosts_removed, std::vector<std::string>{"gone"});
    // "m" was in maintenance already: only "b" entered it.
    EXPECT_EQ(c.hosts_entered_maintenance, std::vector<std::string>{"b"});
    EXPECT_EQ(c.new_vms, 2);
}

TEST(Cooldown, HoldsUntilTheCooldownHasPassedAndWithoutBothTimes) {
    EXPECT_TRUE(cooling_down(1000, 1000 + 3599, 3600));
    EXPECT_FALSE(cooling_down(1000, 1000 + 3600, 3600));
    EXPECT_TRUE(cooling_down(-1, 100000, 3600));
    EXPECT_TRUE(cooling_down(1000, -1, 3600));
}

TEST(Cooldown, FreezesTheVmsThePreviousPlanMovedMatchedById) {
    // The previous plan moved y and "gone"; the new fleet lists its VMs in another order and no
    // longer has "gone".
    const std::vector<std::string> moved = {"y", "gone"};
    const model::Fleet now = testing::FleetBuilder()
                                 .host("a", 16, 16384, 1000)
                                 .host("b", 16, 16384, 1000)
                                 .vm("new", "", 1, 1024, 1)
                                 .vm("y", "b", 1, 1024, 1)
                                 .vm("x", "a", 1, 1024, 1)
                                 .build();
    EXPECT_EQ(cooldown_frozen(moved, now, true), (std::vector<uint8_t>{0, 1, 0}));
    EXPECT_EQ(cooldown_frozen(moved, now, false), (std::vector<uint8_t>{0, 0, 0}));
    EXPECT_EQ(cooldown_frozen({}, now, true), (std::vector<uint8_t>{0, 0, 0}));
}

}  // namespace
}  // namespace fp::plan
