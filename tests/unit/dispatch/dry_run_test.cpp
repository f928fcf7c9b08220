// dispatch --dry-run's estimate: the expected duration at dispatch's limits and at the plan's
// (dispatch's start rule over plan.csv's est_seconds), the flagged moves (listed up to a cap),
// moves over the timeout and cross-site moves.
#include "src/dispatch/dry_run.hpp"

#include <gtest/gtest.h>

namespace fp::dispatch {
namespace {

PlannedMove move(int64_t index, int32_t step, const std::string& vm, const std::string& source,
                 const std::string& target, std::optional<double> seconds,
                 std::optional<uint8_t> flags = uint8_t{0}) {
    PlannedMove m;
    m.index = index;
    m.step = step;
    m.vm = vm;
    m.source = source;
    m.target = target;
    m.est_seconds = seconds;
    m.est_downtime_ms = seconds ? std::optional<double>(*seconds * 10) : std::nullopt;
    m.flags = flags;
    return m;
}

DispatchOptions limits(int32_t per_host, int32_t total, double timeout_s = 600) {
    DispatchOptions o;
    o.max_per_host = per_host;
    o.max_total = total;
    o.timeout_s = timeout_s;
    return o;
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

const std::vector<HostAddr> kHosts = {{"a", "", 0}, {"b", "", 0}, {"c", "", 0}};

TEST(DryRunEstimate, DurationAtDispatchLimitsAndAtThePlans) {
    // Both leave a: one at a time at dispatch's limit, together at the plan's.
    const std::vector<PlannedMove> moves = {move(0, 1, "x", "a", "b", 20),
                                            move(1, 1, "y", "a", "c", 70)};
    const std::string t = dry_run_estimate(moves, kHosts, limits(1, 4), plan::WaveLimits{2, 16});
    EXPECT_TRUE(has(t,
                    "expected duration: 1 min 30 s (90 s) for 2 migrations in 1 wave at "
                    "dispatch's limits (1 per host, 4 in all), if the estimates hold\n"))
        << t;
    EXPECT_TRUE(has(t,
                    "  the plan's estimate at its limits (2 per host, 16 in all): 1 min 10 s "
                    "(70 s)\n"))
        << t;
    EXPECT_TRUE(has(t, "flagged moves: none")) << t;
    EXPECT_FALSE(has(t, "cross-site")) << t;  // hosts.csv has no sites
    EXPECT_FALSE(has(t, "over the timeout")) << t;
    // No limit in the plan; no checkpoint.
    EXPECT_TRUE(has(dry_run_estimate(moves, kHosts, limits(1, 4), plan::WaveLimits{0, 0}),
                    "at its limits (any number per host, no total limit): 1 min 10 s"));
    EXPECT_TRUE(has(dry_run_estimate(moves, kHosts, limits(1, 4), std::nullopt),
                    "the plan's estimate: unknown (no checkpoint.h5"));
}

TEST(DryRunEstimate, SaysWhenPlanCsvHasNoEstimates) {
    const std::vector<PlannedMove> old = {move(0, 1, "x", "a", "b", std::nullopt, std::nullopt)};
    const std::string t = dry_run_estimate(old, kHosts, limits(2, 16), plan::WaveLimits{});
    EXPECT_TRUE(has(t, "expected duration: unknown (plan.csv has no est_seconds")) << t;
    EXPECT_TRUE(has(t, "flagged moves: unknown (plan.csv has no flags column)")) << t;
    // Some estimated, some not: counted as 0 s, and said.
    const std::vector<PlannedMove> mixed = {move(0, 1, "x", "a", "b", 5),
                                            move(1, 2, "y", "a", "b", std::nullopt)};
    const std::string m = dry_run_estimate(mixed, kHosts, limits(2, 16), plan::WaveLimits{});
    EXPECT_TRUE(has(m, "expected duration: 5.0 s for 2 migrations in 2 waves")) << m;
    EXPECT_TRUE(has(m, "1 migration without est_seconds counted as 0 s")) << m;
    EXPECT_TRUE(has(dry_run_estimate({}, kHosts, limits(2, 16), std::nullopt),
                    "expected duration: none (no migrations)"));
}

TEST(DryRunEstimate, ListsFlaggedMovesUpToTheCap) {
    std::vector<PlannedMove> moves;
    for (int i = 0; i < 5; ++i)
        moves.push_back(move(i, 1, "vm-" + std::to_string(i), "a", "b", 700,
                             plan::kFlagOverTimeout | plan::kFlagOverDowntime));
    moves.push_back(move(5, 1, "fine", "b", "c", 10));
    const std::string t = dry_run_estimate(moves, kHosts, limits(2, 16), std::nullopt, 3);
    EXPECT_TRUE(has(t, "flagged moves: 5 of 6 break a [migration] limit of the plan:\n")) << t;
    EXPECT_TRUE(has(t, "  vm    source -> target  est seconds  est downtime  flags\n")) << t;
    EXPECT_TRUE(has(t,
                    "  vm-0  a -> b            700.0 s      7000.0 ms     "
                    "over-downtime;over-timeout\n"))
        << t;
    EXPECT_TRUE(has(t, "  vm-2  a -> b")) << t;
    EXPECT_FALSE(has(t, "vm-3")) << t;
    EXPECT_FALSE(has(t, "fine")) << t;
    EXPECT_TRUE(has(t, "  ... and 2 more\n")) << t;
    EXPECT_TRUE(has(t, "over the timeout: 5 migrations estimated to take longer than 600 s")) << t;
}

TEST(DryRunEstimate, CountsCrossSiteMovesWhenHostsHaveSites) {
    const std::vector<HostAddr> hosts = {
        {"a", "", 0, "east"}, {"b", "", 0, "east"}, {"c", "", 0, "west"}};
    const std::vector<PlannedMove> moves = {move(0, 1, "x", "a", "b", 1),
                                            move(1, 1, "y", "a", "c", 1)};
    EXPECT_TRUE(has(dry_run_estimate(moves, hosts, limits(2, 16), std::nullopt),
                    "cross-site moves: 1 of 2 (memory and local disk cross the wide-area link)"));
    EXPECT_TRUE(has(dry_run_estimate({moves[0]}, hosts, limits(2, 16), std::nullopt),
                    "cross-site moves: none"));
}

}  // namespace
}  // namespace fp::dispatch
