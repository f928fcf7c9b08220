#include "src/model/migration_cost.hpp"

#include <gtest/gtest.h>

namespace fp::model {
namespace {

TEST(MigrationCost, SuspendCopyPausesForTheWholeCopy) {
    MigrationCostConfig c;
    c.model = CostModel::kSuspendCopy;
    c.bandwidth_mibps = 100;
    const auto e = estimate_migration(1000, 50, c);
    EXPECT_DOUBLE_EQ(e.seconds, 10.0);
    EXPECT_DOUBLE_EQ(e.downtime_ms, 10000.0);
    EXPECT_DOUBLE_EQ(e.sent_mib, 1000.0);
}

TEST(MigrationCost, PreCopyConvergesGeometrically) {
    // 1000 MiB at 100 MiB/s, dirty 10 MiB/s, downtime budget 100 ms (= 10 MiB).
    // Round 0: 10 s, 100 MiB dirtied. Round 1: 1 s, 10 MiB dirtied <= 10 MiB → stop-and-copy
    // of 10 MiB: 0.1 s. Total 11.1 s, downtime 100 ms, 1110 MiB sent.
    MigrationCostConfig c;
    c.bandwidth_mibps = 100;
    c.max_downtime_ms = 100;
    const auto e = estimate_migration(1000, 10, c);
    EXPECT_TRUE(e.converged);
    EXPECT_EQ(e.rounds, 2);
    EXPECT_NEAR(e.seconds, 11.1, 1e-9);
    EXPECT_NEAR(e.downtime_ms, 100.0, 1e-9);
    EXPECT_NEAR(e.sent_mib, 1110.0, 1e-9);
}

TEST(MigrationCost, PreCopyDoesNotConvergeWhenDirtyRateReachesBandwidth) {
    MigrationCostConfig c;
    c.bandwidth_mibps = 100;
    c.max_downtime_ms = 100;
    c.cpu_state_ms = 20;
    c.postcopy_fault_overhead = 0.5;
    // Dirty rate = bandwidth: round 0 sends 1000 MiB in 10 s and dirties 1000 MiB (capped at the
    // memory size): no shrink → fall back to post-copy for the remaining 1000 MiB (15 s).
    const auto e = estimate_migration(1000, 100, c);
    EXPECT_FALSE(e.converged);
    EXPECT_EQ(e.rounds, 1);
    EXPECT_NEAR(e.seconds, 25.0, 1e-9);
    EXPECT_NEAR(e.downtime_ms, 20.0, 1e-9);
    c.fallback = PrecopyFallback::kStopCopy;
    const auto s = estimate_migration(1000, 100, c);
    EXPECT_NEAR(s.seconds, 20.0, 1e-9);
    EXPECT_NEAR(s.downtime_ms, 10000.0, 1e-9);
}

TEST(MigrationCost, PostCopyPausesOnlyForTheCpuState) {
    MigrationCostConfig c;
    c.model = CostModel::kPostCopy;
    c.bandwidth_mibps = 200;
    c.postcopy_fault_overhead = 0.1;
    c.cpu_state_ms = 15;
    const auto e = estimate_migration(1000, 500, c);
    EXPECT_NEAR(e.seconds, 5.5, 1e-9);
    EXPECT_DOUBLE_EQ(e.downtime_ms, 15.0);
}

}  // namespace
}  // namespace fp::model
