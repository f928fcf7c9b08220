// Each history-driven or scheduled trigger shows, on a crafted fixture, a decision its siblings
// (and `threshold`) do not make; plus the fallback without history and the shared math.
#include "src/policy/trigger_history.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "src/model/placement_state.hpp"
#include "src/policy/registry.hpp"
#include "src/util/statistics.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::policy {
namespace {

using Params = std::vector<std::pair<std::string, ConfigValue>>;

std::unique_ptr<TriggerPolicy> make(const std::string& name, const Params& params = {}) {
    Registries r;
    register_builtin_policies(r);
    ConfigNode n("policy.trigger");
    for (const auto& [k, v] : params) n.set(k, v);
    auto t = r.triggers.create(name, n, r);
    EXPECT_TRUE(t.has_value()) << (t ? "" : t.error().msg);
    EXPECT_TRUE(n.unread_keys().empty());
    return t ? std::move(*t) : nullptr;
}

std::string error_of(const std::string& name, const Params& params) {
    Registries r;
    register_builtin_policies(r);
    ConfigNode n("policy.trigger");
    for (const auto& [k, v] : params) n.set(k, v);
    auto t = r.triggers.create(name, n, r);
    return t ? "(no error)" : t.error().msg;
}

// One host per entry (10 cores, 64 GiB, 10 Gbps) running one VM "vm-<host>" whose CPU size
// (cpu_alloc) is the host's 10 cores: its history fractions are the host's CPU utilisation. The
// VM's current demand is the series' last value (or `now` for a host without a series).
struct Fixture {
    model::Fleet fleet;
    model::History history;
};

struct HostSeries {
    std::string host;
    std::vector<float> cpu;  // empty: the VM has no history
    double now = -1;         // current CPU utilisation when cpu is empty
};

Fixture hosts_with_series(const std::vector<HostSeries>& hosts) {
    testing::FleetBuilder b;
    for (const auto& h : hosts) b.host(h.host, 10, 65536, 10000);
    for (const auto& h : hosts) {
        const double now = h.cpu.empty() ? h.now : h.cpu.back();
        b.vm("vm-" + h.host, h.host, now * 10, 1024, 1);
    }
    Fixture f;
    f.fleet = b.build();
    for (auto& vm : f.fleet.vms) vm.cpu_alloc_millicores = 10000;
    f.history.interval_s = 300;
    f.history.cpu.resize(f.fleet.vms.size());
    f.history.mem.resize(f.fleet.vms.size());
    f.history.net.resize(f.fleet.vms.size());
    for (size_t i = 0; i < hosts.size(); ++i) {
        f.history.cpu[i] = hosts[i].cpu;
        f.history.length = std::max(f.history.length, static_cast<int32_t>(hosts[i].cpu.size()));
    }
    return f;
}

PolicyContext with_history(const model::History& h) {
    PolicyContext ctx;
    ctx.history = &h;
    return ctx;
}

std::vector<std::string> ids(const model::Fleet& f, const std::vector<int32_t>& hosts) {
    std::vector<std::string> out;
    for (int32_t h : hosts) out.push_back(f.hosts[static_cast<size_t>(h)].id);
    return out;
}

using Ids = std::vector<std::string>;

TEST(HistoryTrigger, KOfNIgnoresASingleSpikeThatThresholdFlags) {
    auto f = hosts_with_series({{"spike", {0.5f, 0.5f, 0.5f, 0.5f, 0.95f}},
                                {"sustained", {0.95f, 0.95f, 0.95f, 0.5f, 0.95f}},
                                {"calm", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_EQ(ids(f.fleet, make("threshold")->evaluate(s, ctx).hot), (Ids{"spike", "sustained"}));
    EXPECT_EQ(ids(f.fleet, make("k-of-n")->evaluate(s, ctx).hot), (Ids{"sustained"}));
    // k = 1 of n = 5 flags the spike too; threshold 0.4 flags every host.
    EXPECT_EQ(ids(f.fleet, make("k-of-n", {{"k", int64_t{1}}})->evaluate(s, ctx).hot),
              (Ids{"spike", "sustained"}));
    EXPECT_EQ(ids(f.fleet, make("k-of-n", {{"threshold", 0.4}})->evaluate(s, ctx).hot).size(), 3u);
}

TEST(HistoryTrigger, KOfNCountsEveryDimensionWithHistory) {
    // CPU is calm; memory exceeds max-util in 3 of the last 5 samples, though not now.
    auto f = hosts_with_series({{"h", {0.5f, 0.5f, 0.5f, 0.5f, 0.5f}}});
    f.fleet.vms[0].mem_alloc_kib = 65536 * 1024;  // memory fractions are the host's too
    f.history.mem[0] = {0.2f, 0.95f, 0.95f, 0.95f, 0.5f};
    model::PlacementState s(f.fleet, 900000);
    EXPECT_EQ(ids(f.fleet, make("k-of-n")->evaluate(s, with_history(f.history)).hot), (Ids{"h"}));
    EXPECT_TRUE(make("threshold")->evaluate(s, with_history(f.history)).hot.empty());
}

TEST(HistoryTrigger, MadAndIqrAdaptToAVolatileHost) {
    // "steady" sits at 0.85 without variation: CloudSim's THR 0.8 flags it, the adaptive upper
    // thresholds (1 - s * 0) do not. "volatile" swings between 0.2 and 0.7 and is at 0.75 now:
    // MAD = 0.25 gives 1 - 2.5 * 0.25 = 0.375, IQR = 0.5 gives 1 - 1.5 * 0.5 = 0.25.
    std::vector<float> volatile_series;
    for (int i = 0; i < 11; ++i) volatile_series.push_back(i % 2 == 0 ? 0.2f : 0.7f);
    volatile_series.push_back(0.75f);
    auto f = hosts_with_series(
        {{"steady", std::vector<float>(12, 0.85f)}, {"volatile", volatile_series}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_EQ(ids(f.fleet, make("threshold", {{"cpu_high", 0.8}})->evaluate(s, ctx).hot),
              (Ids{"steady"}));
    EXPECT_EQ(ids(f.fleet, make("mad")->evaluate(s, ctx).hot), (Ids{"volatile"}));
    EXPECT_EQ(ids(f.fleet, make("iqr")->evaluate(s, ctx).hot), (Ids{"volatile"}));
}

TEST(HistoryTrigger, IqrFlagsAHostIdleAThirdOfTheTimeWhichMadIgnores) {
    // 4 of 12 samples idle, the rest at 0.6: the median's deviation is 0 (MAD = 0, threshold 1),
    // but the quartiles are 0 and 0.6 (IQR = 0.6, threshold 1 - 1.5 * 0.6 = 0.1).
    auto f =
        hosts_with_series({{"h", {0.6f, 0, 0.6f, 0.6f, 0, 0.6f, 0.6f, 0, 0.6f, 0.6f, 0, 0.6f}}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_TRUE(make("mad")->evaluate(s, ctx).hot.empty());
    EXPECT_EQ(ids(f.fleet, make("iqr")->evaluate(s, ctx).hot), (Ids{"h"}));
}

TEST(HistoryTrigger, MadFallsBackWhenAHostHasTooFewSamples) {
    // 11 samples (min_samples = 12): the static 0.7 applies to the current 0.75.
    auto f = hosts_with_series(
        {{"short", std::vector<float>(11, 0.75f)}, {"long", std::vector<float>(12, 0.75f)}});
    model::PlacementState s(f.fleet, 900000);
    EXPECT_EQ(ids(f.fleet, make("mad")->evaluate(s, with_history(f.history)).hot), (Ids{"short"}));
    EXPECT_EQ(
        ids(f.fleet,
            make("mad", {{"min_samples", int64_t{11}}})->evaluate(s, with_history(f.history)).hot),
        (Ids{}));
}

TEST(HistoryTrigger, LrFlagsARisingTrendBelowTheStaticThreshold) {
    // 0.35 .. 0.80 in steps of 0.05: the forecast 0.85 × 1.2 = 1.02 >= 1, although the host is
    // at 0.80 now (below max-util 0.9); the flat host at 0.8 forecasts 0.8 × 1.2 < 1.
    std::vector<float> rising;
    for (int i = 0; i < 10; ++i) rising.push_back(0.35f + 0.05f * static_cast<float>(i));
    auto f = hosts_with_series({{"rising", rising}, {"flat", std::vector<float>(10, 0.8f)}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_TRUE(make("threshold")->evaluate(s, ctx).hot.empty());
    EXPECT_EQ(ids(f.fleet, make("lr")->evaluate(s, ctx).hot), (Ids{"rising"}));
    EXPECT_EQ(ids(f.fleet, make("lrr")->evaluate(s, ctx).hot), (Ids{"rising"}));
    // With a safety of 1.1 the forecast 0.85 × 1.1 < 1.
    EXPECT_TRUE(make("lr", {{"safety", 1.1}})->evaluate(s, ctx).hot.empty());
}

TEST(HistoryTrigger, LrForecastsOneMigrationTimeAhead) {
    // 0.30 .. 0.75: one interval ahead 0.80 × 1.2 = 0.96 (cool); the host's largest VM (600 GiB
    // at 1000 MiB/s: 614 s) takes three 300 s intervals to leave: 0.90 × 1.2 = 1.08 (hot).
    std::vector<float> rising;
    for (int i = 0; i < 10; ++i) rising.push_back(0.30f + 0.05f * static_cast<float>(i));
    auto f = hosts_with_series({{"h", rising}});
    f.fleet.vms[0].mem_size_kib = int64_t{600} * 1024 * 1024;
    model::PlacementState s(f.fleet, 900000);
    auto ctx = with_history(f.history);
    EXPECT_TRUE(make("lr")->evaluate(s, ctx).hot.empty());
    model::MigrationCostConfig cost;
    cost.model = model::CostModel::kSuspendCopy;
    cost.bandwidth_mibps = 1000;
    ctx.cost = &cost;
    EXPECT_EQ(ids(f.fleet, make("lr")->evaluate(s, ctx).hot), (Ids{"h"}));
    // An explicit horizon overrides the estimate.
    EXPECT_TRUE(make("lr", {{"horizon_s", 300.0}})->evaluate(s, ctx).hot.empty());
    EXPECT_EQ(
        ids(f.fleet, make("lr", {{"horizon_s", 601.0}})->evaluate(s, with_history(f.history)).hot),
        (Ids{"h"}));
}

TEST(HistoryTrigger, LrFollowsAOneSampleSpikeThatLrrIgnores) {
    // Flat at 0.75 with one spike to 1.0 just before now: the tricube fit tilts toward the spike
    // (forecast × 1.2 ≈ 1.02), the bisquare re-weighting drops it (0.75 × 1.2 = 0.9).
    std::vector<float> spike(10, 0.75f);
    spike[8] = 1.0f;
    auto f = hosts_with_series({{"h", spike}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_EQ(ids(f.fleet, make("lr")->evaluate(s, ctx).hot), (Ids{"h"}));
    EXPECT_TRUE(make("lrr")->evaluate(s, ctx).hot.empty());
    EXPECT_TRUE(make("threshold")->evaluate(s, ctx).hot.empty());
}

TEST(HistoryTrigger, LrrKeepsATrendThroughADipThatLrFollows) {
    // Rising 0.5 .. 0.85, a dip to 0.3, then 0.85: lr's fit bends to the dip (≈ 0.84 < 1),
    // lrr's drops it and keeps the trend (≈ 1.11 >= 1).
    auto f = hosts_with_series(
        {{"h", {0.5f, 0.55f, 0.6f, 0.65f, 0.7f, 0.75f, 0.8f, 0.85f, 0.3f, 0.85f}}});
    model::PlacementState s(f.fleet, 900000);
    const auto ctx = with_history(f.history);
    EXPECT_TRUE(make("lr")->evaluate(s, ctx).hot.empty());
    EXPECT_EQ(ids(f.fleet, make("lrr")->evaluate(s, ctx).hot), (Ids{"h"}));
}

TEST(HistoryTrigger, LrWithUniformWeightsIsOrdinaryLeastSquares) {
    // CloudSim 3.0.3's LR in effect: on the spike series OLS forecasts 1/1.2 (mean 0.775 at x =
    // -4.5, slope 0.35/33), below the tricube fit that weights the recent spike more.
    std::vector<double> y(10, 0.75);
    y[8] = 1.0;
    const double ols = stats::loess_forecast(y, 1, stats::LoessWeights::kUniform, 0);
    EXPECT_NEAR(ols * 1.2, 1.0, 1e-12);
    const double tricube = stats::loess_forecast(y, 1, stats::LoessWeights::kTricube, 0);
    EXPECT_GT(tricube, ols);
}

TEST(HistoryTrigger, LrGuardIsTheSumOfTheVmsForecastsTheTriggerJudges) {
    // Host a: VM r rose 0.2, 0.3, 0.4 of the 10 cores (ordinary least squares: 0.5 next, 5,000
    // millicores), VM c stays at 0.3 (3,000). Host b: x at 0.045 (450), y at 0.02 (200). lr's
    // line at safety 1.2 is 10,000 / 1.2 = 8,333.3 millicores of forecast: a holds 8,000, so y
    // fits under it and x does not, and the trigger, asked with each moved there, agrees.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 65536, 10000)
                 .host("b", 10, 65536, 10000)
                 .vm("r", "a", 4, 1024, 1)
                 .vm("c", "a", 3, 1024, 1)
                 .vm("x", "b", 0.45, 1024, 1)
                 .vm("y", "b", 0.2, 1024, 1)
                 .build();
    for (auto& vm : f.vms) vm.cpu_alloc_millicores = 10000;
    model::History hist;
    hist.interval_s = 300;
    hist.cpu = {
        {0.2f, 0.3f, 0.4f}, {0.3f, 0.3f, 0.3f}, {0.045f, 0.045f, 0.045f}, {0.02f, 0.02f, 0.02f}};
    hist.mem.resize(4);
    hist.net.resize(4);
    hist.length = 3;
    const Params lr = {
        {"window", int64_t{3}}, {"weights", std::string("uniform")}, {"horizon_s", 300.0}};
    auto t = make("lr", lr);
    const auto ctx = with_history(hist);
    model::PlacementState s(f, 1000000);
    std::vector<int64_t> load, line;
    ASSERT_TRUE(t->forecast_guard(s, ctx, load, line));
    ASSERT_EQ(load.size(), 4u);
    EXPECT_NEAR(static_cast<double>(load[0]), 5000, 1);
    EXPECT_NEAR(static_cast<double>(load[1]), 3000, 1);
    EXPECT_NEAR(static_cast<double>(load[2]), 450, 1);
    EXPECT_NEAR(static_cast<double>(load[3]), 200, 1);
    EXPECT_EQ(line, (std::vector<int64_t>{8334, 8334}));
    s.set_guard(load, line);
    EXPECT_FALSE(t->is_hot(s, 0, ctx));
    EXPECT_FALSE(s.fits(2, 0));
    EXPECT_TRUE(s.fits(3, 0));
    s.move(3, 0);
    EXPECT_FALSE(t->is_hot(s, 0, ctx));  // 1.2 × 0.82 < 1
    EXPECT_EQ(s.guard_room(0), line[0] - load[0] - load[1] - load[3]);
    s.move(3, 1);
    s.move(2, 0);
    EXPECT_TRUE(t->is_hot(s, 0, ctx));  // 1.2 × 0.845 >= 1
    EXPECT_EQ(s.guard_room(1), line[1] - load[3]);
    // Suspended, max-util alone decides; a guard below 1 leaves a band under the hot line.
    s.move(2, 1);
    s.set_guard_active(false);
    EXPECT_TRUE(s.fits(2, 0));
    Params banded = lr;
    banded.emplace_back("guard", 0.9);
    ASSERT_TRUE(make("lr", banded)->forecast_guard(s, ctx, load, line));
    EXPECT_EQ(line, (std::vector<int64_t>{7500, 7500}));
    // No guard from lrr (its re-weighting is not linear in the series), nor without history.
    EXPECT_FALSE(make("lrr")->forecast_guard(s, ctx, load, line));
    EXPECT_FALSE(t->forecast_guard(s, PolicyContext{}, load, line));
    EXPECT_FALSE(make("threshold")->forecast_guard(s, ctx, load, line));
}

TEST(HistoryTrigger, ForecastFlagsAHostWhoseVmsTrendUp) {
    // Two hosts at 0.85 now (below max-util 0.9): on "up" the VM rose 0.7, 0.75, 0.8, 0.85
    // (Holt: 0.90 next), on "flat" it stayed at 0.85.
    auto f = hosts_with_series(
        {{"up", {0.7f, 0.75f, 0.8f, 0.85f}}, {"flat", {0.85f, 0.85f, 0.85f, 0.85f}}});
    model::PlacementState s(f.fleet, 890000);
    const auto ctx = with_history(f.history);
    EXPECT_TRUE(make("threshold")->evaluate(s, ctx).hot.empty());
    EXPECT_EQ(ids(f.fleet, make("forecast")->evaluate(s, ctx).hot), (Ids{"up"}));
    // Three steps ahead the trend reaches 1.0 on "up"; "flat" stays.
    EXPECT_EQ(ids(f.fleet, make("forecast", {{"steps", int64_t{3}}})->evaluate(s, ctx).hot),
              (Ids{"up"}));
}

TEST(HistoryTrigger, ForecastSumsTheVmsOfAHostInEveryDimension) {
    // Two VMs, each 40% of the host's memory now; one's memory grows 0.30, 0.35, 0.40 (of its
    // size): Holt forecasts 0.45, so the host would hold 85% > max-util 0.8. CPU is idle.
    auto f = testing::FleetBuilder()
                 .host("h", 10, 10000, 1000)
                 .vm("grows", "h", 1, 4000, 1)
                 .vm("still", "h", 1, 4000, 1)
                 .build();
    f.vms[0].mem_alloc_kib = 10000 * 1024;  // history fractions of the host's memory
    model::History hist;
    hist.cpu.resize(2);
    hist.mem.resize(2);
    hist.net.resize(2);
    hist.mem[0] = {0.30f, 0.35f, 0.40f};
    hist.length = 3;
    model::PlacementState s(f, 800000);
    EXPECT_TRUE(make("threshold")->evaluate(s, with_history(hist)).hot.empty());
    EXPECT_EQ(ids(f, make("forecast")->evaluate(s, with_history(hist)).hot), (Ids{"h"}));
}

TEST(HistoryTrigger, ForecastArRevertsToTheMeanWhereHoltExtrapolates) {
    // x_t = 0.1 + 0.6 x_{t-1} + 0.3 x_{t-2} tends to 1.0 from below: 20 steps ahead AR(2) fits
    // it and forecasts ≈ 0.95 (under max-util 0.98); Holt extends the recent rise to ≈ 1.12.
    std::vector<float> ar = {0.2f, 0.5f};
    for (int i = 0; i < 12; ++i) ar.push_back(0.1f + 0.6f * ar.back() + 0.3f * ar[ar.size() - 2]);
    auto f = hosts_with_series({{"h", ar}});
    model::PlacementState s(f.fleet, 980000);
    const auto ctx = with_history(f.history);
    EXPECT_EQ(ids(f.fleet, make("forecast", {{"steps", int64_t{20}}})->evaluate(s, ctx).hot),
              (Ids{"h"}));
    EXPECT_TRUE(make("forecast", {{"steps", int64_t{20}}, {"model", std::string("ar")}})
                    ->evaluate(s, ctx)
                    .hot.empty());
}

TEST(HistoryTrigger, ImbalanceFiresOnlyAboveItsBound) {
    // Dominant shares 0.8, 0.5, 0.3 (spread 0.5, mean 0.533): above bound 0.3 the host more than
    // 0.15 over the mean is hot; with bound 0.6 nothing is. No host is above max-util.
    auto f = testing::FleetBuilder()
                 .host("a", 10, 10240, 1000)
                 .host("b", 10, 10240, 1000)
                 .host("c", 10, 10240, 1000)
                 .host("idle", 10, 10240, 1000)
                 .vm("va", "a", 8, 1024, 1)
                 .vm("vb", "b", 5, 1024, 1)
                 .vm("vc", "c", 1, 3072, 1)
                 .build();
    model::PlacementState s(f, 900000);
    EXPECT_TRUE(make("threshold")->evaluate(s, {}).hot.empty());
    EXPECT_EQ(ids(f, make("imbalance")->evaluate(s, {}).hot), (Ids{"a"}));
    EXPECT_TRUE(make("imbalance", {{"bound", 0.6}})->evaluate(s, {}).hot.empty());
    // Cold as threshold's: c (0.1 CPU, 0.3 memory) is above 0.25 in memory; with mem_low 0.3 it
    // is cold. The idle host has no VMs and counts neither for the spread nor as cold.
    EXPECT_TRUE(make("imbalance")->evaluate(s, {}).cold.empty());
    EXPECT_EQ(ids(f, make("imbalance", {{"mem_low", 0.3}})->evaluate(s, {}).cold), (Ids{"c"}));
}

// Hosts for the gated triggers: "warm" at 0.85 CPU (hot by cpu_high 0.8), "over" at 0.95 (above
// max-util 0.9), "cold" at 0.1.
model::Fleet gated_fleet() {
    return testing::FleetBuilder()
        .host("cold", 10, 10240, 1000)
        .host("over", 10, 10240, 1000)
        .host("warm", 10, 10240, 1000)
        .vm("c", "cold", 1, 1024, 1)
        .vm("o", "over", 9.5, 1024, 1)
        .vm("w", "warm", 8.5, 1024, 1)
        .build();
}

PolicyContext at(int64_t now_s) {
    PolicyContext ctx;
    ctx.now_s = now_s;
    return ctx;
}

TEST(HistoryTrigger, PeriodicGatesByNow) {
    const auto f = gated_fleet();
    model::PlacementState s(f, 900000);
    auto t = make("periodic", {{"cpu_high", 0.8},
                               {"every_s", int64_t{3600}},
                               {"offset_s", int64_t{600}},
                               {"window_s", int64_t{300}}});
    const int64_t day = 1795564800;  // 2026-11-25T00:00:00Z
    for (int64_t now : {day + 600, day + 899, day + 7200 + 600, int64_t{-1}}) {
        const auto r = t->evaluate(s, at(now));
        EXPECT_EQ(ids(f, r.hot), (Ids{"over", "warm"})) << now;
        EXPECT_EQ(ids(f, r.cold), (Ids{"cold"})) << now;
    }
    for (int64_t now : {day, day + 599, day + 900, day + 3599}) {
        const auto r = t->evaluate(s, at(now));
        EXPECT_EQ(ids(f, r.hot), (Ids{"over"})) << now;
        EXPECT_TRUE(r.cold.empty()) << now;
    }
}

TEST(HistoryTrigger, TimeOfDayGatesByNowAcrossMidnight) {
    const auto f = gated_fleet();
    model::PlacementState s(f, 900000);
    const int64_t day = 1795564800;  // 2026-11-25T00:00:00Z
    auto night =
        make("time-of-day",
             {{"cpu_high", 0.8}, {"start", std::string("22:00")}, {"end", std::string("02:00")}});
    for (int64_t now : {day + 22 * 3600, day + 23 * 3600 + 1800, day + 3600 + 3599, int64_t{-1}}) {
        const auto r = night->evaluate(s, at(now));
        EXPECT_EQ(ids(f, r.hot), (Ids{"over", "warm"})) << now;
        EXPECT_EQ(ids(f, r.cold), (Ids{"cold"})) << now;
    }
    for (int64_t now : {day + 2 * 3600, day + 12 * 3600, day + 22 * 3600 - 1}) {
        const auto r = night->evaluate(s, at(now));
        EXPECT_EQ(ids(f, r.hot), (Ids{"over"})) << now;
        EXPECT_TRUE(r.cold.empty()) << now;
    }
    // The default window 01:00-05:00.
    auto dflt = make("time-of-day", {{"cpu_high", 0.8}});
    EXPECT_EQ(dflt->evaluate(s, at(day + 3 * 3600)).hot.size(), 2u);
    EXPECT_EQ(dflt->evaluate(s, at(day + 5 * 3600)).hot.size(), 1u);
}

TEST(HistoryTrigger, EveryHistoryTriggerFallsBackToAStaticCpuThresholdWithoutHistory) {
    // Without history (null or empty) each flags CPU above 0.7 now, as CloudSim does until it
    // has history: "warm" at 0.75, not "calm" at 0.65; threshold (0.9) flags neither.
    const auto f = hosts_with_series({{"calm", {}, 0.65}, {"warm", {}, 0.75}}).fleet;
    model::PlacementState s(f, 900000);
    const model::History empty;
    PolicyContext with_empty;
    with_empty.history = &empty;
    EXPECT_TRUE(make("threshold")->evaluate(s, {}).hot.empty());
    for (const char* name : {"k-of-n", "mad", "iqr", "lr", "lrr", "forecast"}) {
        EXPECT_EQ(ids(f, make(name)->evaluate(s, {}).hot), (Ids{"warm"})) << name;
        EXPECT_EQ(ids(f, make(name)->evaluate(s, with_empty).hot), (Ids{"warm"})) << name;
        EXPECT_EQ(ids(f, make(name, {{"fallback", 0.6}})->evaluate(s, {}).hot),
                  (Ids{"warm", "calm"}))
            << name;
    }
}

TEST(HistoryTrigger, HostsWhoseVmsHaveNoHistoryFallBack) {
    // History exists for "tracked" only; "untracked" (0.75 now) is judged by the fallback.
    auto f =
        hosts_with_series({{"tracked", std::vector<float>(12, 0.75f)}, {"untracked", {}, 0.75}});
    model::PlacementState s(f.fleet, 900000);
    for (const char* name : {"k-of-n", "mad", "iqr", "lr", "lrr", "forecast"})
        EXPECT_EQ(ids(f.fleet, make(name)->evaluate(s, with_history(f.history)).hot),
                  (Ids{"untracked"}))
            << name;
}

TEST(HistoryTrigger, HotComeMostUrgentFirstTiesByIdAndNeverCold) {
    // k-of-n: "b" and "a" both exceed in 5 of 5, b further now; "c" equals a. A host hot by its
    // history but idle now ("d") is not also cold.
    auto f = hosts_with_series({{"c", std::vector<float>(5, 0.95f)},
                                {"b", {0.95f, 0.95f, 0.95f, 0.95f, 0.99f}},
                                {"a", std::vector<float>(5, 0.95f)},
                                {"d", {0.95f, 0.95f, 0.95f, 0.1f, 0.1f}},
                                {"e", std::vector<float>(5, 0.1f)}});
    model::PlacementState s(f.fleet, 900000);
    const auto r = make("k-of-n")->evaluate(s, with_history(f.history));
    EXPECT_EQ(ids(f.fleet, r.hot), (Ids{"b", "a", "c", "d"}));
    EXPECT_EQ(ids(f.fleet, r.cold), (Ids{"e"}));
    EXPECT_EQ(ids(f.fleet, make("threshold")->evaluate(s, {}).cold), (Ids{"d", "e"}));
}

TEST(HistoryTrigger, HostSeriesSumsVmsAlignedAtTheEnd) {
    // VM "long" (size 2 cores) has 3 samples, "short" (4 cores) 1, "none" (1 core now) none.
    auto f = testing::FleetBuilder()
                 .host("h", 10, 10240, 1000)
                 .vm("long", "h", 2, 1024, 1)
                 .vm("short", "h", 4, 1024, 1)
                 .vm("none", "h", 1, 1024, 1)
                 .build();
    model::History hist;
    hist.cpu = {{0.5f, 0.25f, 1.0f}, {0.5f}, {}};
    hist.length = 3;
    model::PlacementState s(f, 900000);
    // Before its series began, "short" counts its first value.
    const auto series = detail::host_load_series(s, hist, 0, model::kCpu, 0);
    ASSERT_EQ(series.size(), 3u);
    EXPECT_DOUBLE_EQ(series[0], 1000 + 2000 + 1000);
    EXPECT_DOUBLE_EQ(series[1], 500 + 2000 + 1000);
    EXPECT_DOUBLE_EQ(series[2], 2000 + 2000 + 1000);
    EXPECT_EQ(detail::host_load_series(s, hist, 0, model::kCpu, 2).size(), 2u);
    EXPECT_TRUE(detail::host_load_series(s, hist, 0, model::kMem, 0).empty());
}

TEST(HistoryTrigger, RegisteredWithTheirParameters) {
    Registries r;
    register_builtin_policies(r);
    for (const char* name : {"k-of-n", "mad", "iqr", "lr", "lrr", "forecast", "imbalance",
                             "periodic", "time-of-day"}) {
        EXPECT_TRUE(r.triggers.contains(name)) << name;
        auto t = make(name);
        ASSERT_NE(t, nullptr);
        EXPECT_EQ(t->name(), name);
    }
    for (const auto& info : r.triggers.list()) {
        EXPECT_EQ(info.family, "trigger");
        EXPECT_FALSE(info.description.empty()) << info.name;
    }
}

TEST(HistoryTrigger, BadParametersAreErrors) {
    EXPECT_EQ(error_of("k-of-n", {{"k", int64_t{6}}}), "policy.trigger.k: 6 is more than n (5)");
    EXPECT_EQ(error_of("mad", {{"window", int64_t{10}}}),
              "policy.trigger.window: 10 is less than min_samples (12)");
    EXPECT_EQ(error_of("forecast", {{"model", std::string("arima")}}),
              "policy.trigger.model: unknown model 'arima' (valid: ar, holt)");
    EXPECT_EQ(error_of("lr", {{"weights", std::string("gauss")}}),
              "policy.trigger.weights: unknown weights 'gauss' (valid: tricube, uniform)");
    EXPECT_EQ(error_of("time-of-day", {{"start", std::string("25:00")}}),
              "policy.trigger.start: expected \"HH:MM\" (00:00-23:59), got '25:00'");
    EXPECT_EQ(error_of("time-of-day", {{"start", std::string("05:00")}}),
              "policy.trigger.end: equals start (an empty window)");
    EXPECT_EQ(error_of("periodic", {{"every_s", int64_t{0}}}),
              "policy.trigger.every_s: 0 is out of range [1, 1000000000]");
    EXPECT_EQ(error_of("lr", {{"horizon_s", -0.5}}),
              "policy.trigger.horizon_s: must be -1 (estimate) or >= 0");
}

}  // namespace
}  // namespace fp::policy
