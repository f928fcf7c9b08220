// schedule_dispatch: dispatch's start rule simulated over estimated durations (waves in order;
// within a wave, plan order, per-host and total limits; limits <= 0 mean no limit).
#include "src/plan/schedule.hpp"

#include <gtest/gtest.h>

namespace fp::plan {
namespace {

// A move of wave `step` from host `s` to host `t` taking `secs`.
ScheduledMove mv(int32_t step, int32_t s, int32_t t, double secs) { return {step, s, t, secs}; }

TEST(ScheduleDispatch, NoMovesTakeNoTime) {
    const Schedule s = schedule_dispatch({}, 2, 16);
    EXPECT_TRUE(s.start_s.empty());
    EXPECT_EQ(s.makespan_s, 0);
}

TEST(ScheduleDispatch, OneWaveOnDistinctHostsRunsAllAtOnce) {
    const Schedule s =
        schedule_dispatch({mv(1, 0, 1, 10), mv(1, 2, 3, 30), mv(1, 4, 5, 20)}, 1, 16);
    EXPECT_EQ(s.start_s, (std::vector<double>{0, 0, 0}));
    EXPECT_EQ(s.makespan_s, 30);  // the longest
}

TEST(ScheduleDispatch, PerHostLimitSerialisesMovesSharingAHost) {
    // Both leave host 0: with one slot per host the second waits for the first.
    const std::vector<ScheduledMove> moves = {mv(1, 0, 1, 10), mv(1, 0, 2, 5)};
    const Schedule one = schedule_dispatch(moves, 1, 16);
    EXPECT_EQ(one.start_s, (std::vector<double>{0, 10}));
    EXPECT_EQ(one.makespan_s, 15);
    // Two slots: together. A shared target counts the same as a shared source.
    EXPECT_EQ(schedule_dispatch(moves, 2, 16).makespan_s, 10);
    const Schedule target = schedule_dispatch({mv(1, 1, 0, 10), mv(1, 2, 0, 5)}, 1, 16);
    EXPECT_EQ(target.start_s, (std::vector<double>{0, 10}));
}

TEST(ScheduleDispatch, TotalLimitCapsMovesInFlight) {
    // Distinct hosts; two at a time: the third starts when the first (shortest) ends.
    const Schedule s = schedule_dispatch({mv(1, 0, 1, 10), mv(1, 2, 3, 20), mv(1, 4, 5, 30)}, 2, 2);
    EXPECT_EQ(s.start_s, (std::vector<double>{0, 0, 10}));
    EXPECT_EQ(s.makespan_s, 40);
}

TEST(ScheduleDispatch, WavesRunOneAfterAnother) {
    // Wave 2 uses other hosts and would fit at once, yet waits for wave 1's last move.
    const Schedule s = schedule_dispatch(
        {mv(1, 0, 1, 10), mv(1, 2, 3, 20), mv(2, 4, 5, 5), mv(3, 0, 1, 1)}, 2, 16);
    EXPECT_EQ(s.start_s, (std::vector<double>{0, 0, 20, 25}));
    EXPECT_EQ(s.makespan_s, 26);
}

TEST(ScheduleDispatch, PlanOrderBreaksTiesForAFreedSlot) {
    // All go to host 1, one slot: when the first ends, the next in plan order takes the slot,
    // whatever its duration.
    const Schedule s = schedule_dispatch({mv(1, 0, 1, 5), mv(1, 2, 1, 3), mv(1, 3, 1, 1)}, 1, 16);
    EXPECT_EQ(s.start_s, (std::vector<double>{0, 5, 8}));
    EXPECT_EQ(s.makespan_s, 9);
    const Schedule swapped =
        schedule_dispatch({mv(1, 0, 1, 5), mv(1, 3, 1, 1), mv(1, 2, 1, 3)}, 1, 16);
    EXPECT_EQ(swapped.start_s, (std::vector<double>{0, 5, 6}));
    EXPECT_EQ(swapped.makespan_s, 9);
}

TEST(ScheduleDispatch, ALaterMoveStartsWhileAnEarlierOneWaits) {
    // Not first-in-first-out: the second waits for host 0, the third's hosts are free.
    const Schedule s = schedule_dispatch({mv(1, 0, 1, 10), mv(1, 0, 2, 5), mv(1, 3, 4, 2)}, 1, 16);
    EXPECT_EQ(s.start_s, (std::vector<double>{0, 10, 0}));
    EXPECT_EQ(s.makespan_s, 15);
}

TEST(ScheduleDispatch, ZeroLimitsMeanNoLimit) {
    std::vector<ScheduledMove> moves;
    for (int32_t t = 1; t <= 20; ++t) moves.push_back(mv(1, 0, t, t));
    const Schedule s = schedule_dispatch(moves, 0, 0);
    EXPECT_EQ(s.start_s, std::vector<double>(20, 0.0));
    EXPECT_EQ(s.makespan_s, 20);
    // Only the total limited: ten at a time although all leave host 0.
    const Schedule total = schedule_dispatch(moves, 0, 10);
    EXPECT_EQ(total.start_s[9], 0);
    EXPECT_EQ(total.start_s[10], 1);  // the first (1 s) has ended
    // Only the per-host limit: host 0 takes one at a time.
    EXPECT_EQ(schedule_dispatch(moves, 1, 0).makespan_s, 20 * 21 / 2);
}

}  // namespace
}  // namespace fp::plan
