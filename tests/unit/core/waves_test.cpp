#include "src/plan/waves.hpp"

#include <gtest/gtest.h>

#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

Move mv(const model::Fleet& f, const std::string& vm, const std::string& to) {
    Move m;
    m.vm = *f.vm_index(vm);
    m.source = f.vms[static_cast<size_t>(m.vm)].host;
    m.target = *f.host_index(to);
    return m;
}

TEST(AssignWaves, ArrivalWaitsUntilTheDepartureItNeedsHasEnded) {
    // b is full (8 of 10 cores used by x); y (6 cores) can only arrive once x has left.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 1000, 1000)
                 .host("b", 10, 1000, 1000)
                 .host("c", 10, 1000, 1000)
                 .vm("x", "b", 8, 10, 1)
                 .vm("y", "a", 6, 10, 1)
                 .build();
    std::vector<Move> moves = {mv(f, "x", "c"), mv(f, "y", "b")};
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{0, 0}), 2);
    EXPECT_EQ(moves[0].step, 1);
    EXPECT_EQ(moves[1].step, 2);
}

TEST(AssignWaves, IndependentMovesShareAWave) {
    auto f = testing::FleetBuilder()
                 .host("a", 10, 1000, 1000)
                 .host("b", 10, 1000, 1000)
                 .vm("x", "a", 1, 10, 1)
                 .vm("y", "a", 1, 10, 1)
                 .build();
    std::vector<Move> moves = {mv(f, "x", "b"), mv(f, "y", "b")};
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{0, 0}), 1);
    // At most one migration per host at a time splits them.
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{1, 0}), 2);
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{0, 1}), 2);
}

TEST(AssignWaves, LaterMoveNeverInvalidatesAnEarlierWave) {
    // z arrives at b in wave 1; a later move into b must not be put in wave 1 if that would
    // overload b during wave 1, even though it would fit at the very start.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 1000, 1000)
                 .host("b", 10, 1000, 1000)
                 .host("c", 10, 1000, 1000)
                 .vm("z", "a", 5, 10, 1)
                 .vm("w", "c", 5, 10, 1)
                 .vm("big", "b", 1, 10, 1)
                 .vm("u", "c", 4, 10, 1)
                 .build();
    std::vector<Move> moves = {mv(f, "z", "b"), mv(f, "big", "a"), mv(f, "w", "b")};
    assign_waves(f, moves, WaveLimits{0, 0});
    // During wave 1: b holds big(1) + z(5) = 6; adding w(5) would be 11 > 10 → w waits.
    EXPECT_EQ(moves[0].step, 1);
    EXPECT_EQ(moves[1].step, 1);
    EXPECT_EQ(moves[2].step, 2);
}

TEST(AssignWaves, RackScopeKeepsGroupMembersOutOfARackWhileOneIsStillThere) {
    // x (group g) leaves rack r2 (host c → e in r3) and y (group g) enters r2 (a → d): on
    // different hosts they may share a wave; with rack scope y waits for x to have left r2.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 1000, 1000)
                 .host("c", 10, 1000, 1000)
                 .host("d", 10, 1000, 1000)
                 .host("e", 10, 1000, 1000)
                 .vm("x", "c", 1, 10, 1)
                 .vm("y", "a", 1, 10, 1)
                 .build();
    f.hosts[0].rack = "r1";
    f.hosts[1].rack = f.hosts[2].rack = "r2";
    f.hosts[3].rack = "r3";
    f.vms[0].anti_group = f.vms[1].anti_group = "g";
    std::vector<Move> moves = {mv(f, "x", "e"), mv(f, "y", "d")};
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{0, 0}), 1);
    EXPECT_EQ(assign_waves(f, moves, WaveLimits{0, 0}, model::AntiScope::kRack), 2);
    EXPECT_EQ(moves[0].step, 1);
    EXPECT_EQ(moves[1].step, 2);
}

}  // namespace
}  // namespace fp::plan
