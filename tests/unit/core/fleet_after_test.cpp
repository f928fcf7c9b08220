// The fleet after a plan (`fleetplan apply`): placements, resizes, host states, and plans that
// do not fit the fleet they claim to come from.
#include "src/plan/fleet_after.hpp"

#include <gtest/gtest.h>

#include "src/model/generator.hpp"
#include "src/plan/planner.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

using model::HostState;

model::Fleet four_hosts() {
    return testing::FleetBuilder()
        .host("a", 16, 16384, 1000)
        .host("b", 16, 16384, 1000)
        .host("off", 16, 16384, 1000, HostState::kOff)
        .host("m", 16, 16384, 1000, HostState::kMaintenance)
        .vm("x", "a", 1, 1024, 1)
        .vm("y", "b", 1, 1024, 1)
        .vm("z", "m", 1, 1024, 1)
        .vm("new", "", 2, 2048, 1)
        .build();
}

Move move(int32_t vm, int32_t source, int32_t target) {
    Move m;
    m.vm = vm;
    m.source = source;
    m.target = target;
    m.step = 1;
    return m;
}

TEST(FleetAfter, PutsEveryVmAtItsTargetAndAppliesResizes) {
    const model::Fleet f = four_hosts();
    Plan p;
    p.moves = {move(0, 0, 1), move(2, 3, 2), move(3, model::kNoHost, 1)};
    p.powered_on = {2};
    p.resizes = {{1, 1, 1500, 2048}};
    auto after = fleet_after(f, p, Goal::kBalance, {});
    ASSERT_TRUE(after.has_value()) << after.error().msg;
    EXPECT_EQ(after->vms[0].host, 1);
    EXPECT_EQ(after->vms[1].host, 1);  // no move: stays
    EXPECT_EQ(after->vms[2].host, 2);
    EXPECT_EQ(after->vms[3].host, 1);  // new VM placed
    EXPECT_EQ(after->vms[1].cpu_alloc_millicores, 1500);
    EXPECT_EQ(after->vms[1].mem_alloc_kib, 2048);
    EXPECT_FALSE(after->vms[0].cpu_alloc_millicores.has_value());
    EXPECT_EQ(after->hosts[2].state, HostState::kActive);       // switched on
    EXPECT_EQ(after->hosts[3].state, HostState::kMaintenance);  // emptied, still in maintenance
    EXPECT_EQ(after->hosts[0].state, HostState::kActive);       // emptied, but balance keeps it on
    EXPECT_EQ(after->vm_index("new"), 3);
    // The input is untouched.
    EXPECT_EQ(f.vms[0].host, 0);
    EXPECT_EQ(f.hosts[2].state, HostState::kOff);
}

TEST(FleetAfter, GoalsThatFreeHostsSwitchOffTheHostsTheyEmpty) {
    const model::Fleet f = four_hosts();
    Plan p;
    p.moves = {move(0, 0, 1)};
    for (Goal g : {Goal::kConsolidate, Goal::kAuto}) {
        auto after = fleet_after(f, p, g, {});
        ASSERT_TRUE(after.has_value());
        EXPECT_EQ(after->hosts[0].state, HostState::kOff) << to_string(g);
        EXPECT_EQ(after->hosts[1].state, HostState::kActive);
    }
    for (Goal g : {Goal::kBalance, Goal::kHotspot, Goal::kEvacuate}) {
        auto after = fleet_after(f, p, g, {});
        ASSERT_TRUE(after.has_value());
        EXPECT_EQ(after->hosts[0].state, HostState::kActive) << to_string(g);
    }
    // A host given with --evacuate keeps its state, whatever the goal.
    auto after = fleet_after(f, p, Goal::kConsolidate, {0});
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->hosts[0].state, HostState::kActive);
    // A host that was empty before is not "emptied" by the plan.
    model::Fleet g = f;
    g.vms[0].host = 1;
    after = fleet_after(g, Plan{}, Goal::kConsolidate, {});
    ASSERT_TRUE(after.has_value());
    EXPECT_EQ(after->hosts[0].state, HostState::kActive);
}

TEST(FleetAfter, RejectsAPlanThatDoesNotFitTheFleet) {
    const model::Fleet f = four_hosts();
    auto error_of = [&](const Plan& p) {
        auto r = fleet_after(f, p, Goal::kAuto, {});
        return r.has_value() ? std::string("(no error)") : r.error().msg;
    };
    Plan p;
    p.moves = {move(0, 1, 1)};
    EXPECT_EQ(error_of(p), "/plan/moves row 1: VM 'x' is on 'a', not on 'b'");
    p.moves = {move(0, 0, 1), move(0, 1, 0)};
    EXPECT_EQ(error_of(p), "/plan/moves row 2: VM 'x' moves twice");
    p.moves = {move(1, 1, 2)};
    EXPECT_EQ(error_of(p),
              "/plan/moves row 1: VM 'y' goes to host 'off', which is off and not switched on by "
              "the plan");
    p.moves = {move(3, 0, 1)};
    EXPECT_EQ(error_of(p), "/plan/moves row 1: VM 'new' is on (new), not on 'a'");
    p.moves = {move(0, 0, 1)};
    p.resizes = {{0, 0, 1000, 1024}};
    EXPECT_EQ(error_of(p), "/plan/resizes row 1: VM 'x' ends on 'b', not on 'a'");
}

// The property `apply` exists for: the fleet a plan produces is one the same goal leaves alone.
TEST(FleetAfter, ReplanningTheFleetAfterMovesNothing) {
    model::GeneratorOptions g;
    g.hosts = 60;
    g.vms = 600;
    g.seed = 3;
    const model::Fleet f = model::generate_fleet(g);
    for (Goal goal : {Goal::kAuto, Goal::kConsolidate, Goal::kHotspot}) {
        PlanOptions o;
        o.goal = goal;
        PhaseTimes t;
        const Plan p = make_plan(f, o, testing::policies(), t);
        ASSERT_FALSE(p.moves.empty()) << to_string(goal);
        auto after = fleet_after(f, p, goal, {});
        ASSERT_TRUE(after.has_value()) << after.error().msg;
        const Plan again = make_plan(*after, o, testing::policies(), t);
        EXPECT_TRUE(again.moves.empty()) << to_string(goal) << ": " << again.moves.size();
        EXPECT_TRUE(again.resizes.empty()) << to_string(goal);
    }
}

}  // namespace
}  // namespace fp::plan
