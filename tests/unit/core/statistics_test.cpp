#include "src/util/statistics.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace fp {
namespace {

double iqr_by_rounded_rank(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return stats::rounded_rank_iqr_sorted(v.data(), v.size());
}

// CloudSim's LRR: the robust line through (1, y_0), (2, y_1), ... with one re-weighting.
stats::Line robust_trend(const std::vector<double>& y) {
    std::vector<double> x(y.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i + 1);
    return *stats::robust_line(x, y, stats::tricube_to_last(y.size()), 1,
                               stats::ZeroScale::kKeepLine);
}

TEST(Statistics, MedianSpreadAndPercentileMatchCommonsMath) {
    const std::vector<double> v = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
    EXPECT_DOUBLE_EQ(stats::median(v), 6.5);
    EXPECT_DOUBLE_EQ(stats::median({3, 1, 2}), 2);
    EXPECT_DOUBLE_EQ(stats::median_absolute_deviation(v), 3);
    // Apache Commons Math: position p(n+1)/100 = 3.25 → 3.25, 9.75 → 9.75.
    EXPECT_DOUBLE_EQ(stats::percentile(v, 25), 3.25);
    EXPECT_DOUBLE_EQ(stats::percentile(v, 75), 9.75);
    EXPECT_DOUBLE_EQ(stats::interquartile_range(v), 6.5);
    EXPECT_DOUBLE_EQ(stats::percentile({5, 1}, 10), 1);  // below the first position
    EXPECT_DOUBLE_EQ(stats::percentile({5, 1}, 90), 5);  // past the last
}

TEST(Statistics, TimeSeriesModelsAreExactOnTheirOwnProcesses) {
    std::vector<double> line;
    for (int i = 0; i < 10; ++i) line.push_back(0.1 + 0.05 * i);
    EXPECT_NEAR(stats::holt_forecast(line, 0.5, 0.3, 1), 0.6, 1e-12);
    EXPECT_NEAR(stats::holt_forecast(line, 0.5, 0.3, 4), 0.75, 1e-12);
    EXPECT_NEAR(stats::loess_forecast(line, 2, stats::LoessWeights::kTricube, 2), 0.65, 1e-12);
    std::vector<double> ar = {0.2, 0.5};
    for (int i = 0; i < 12; ++i) ar.push_back(0.1 + 0.6 * ar.back() + 0.3 * ar[ar.size() - 2]);
    const double next = 0.1 + 0.6 * ar.back() + 0.3 * ar[ar.size() - 2];
    EXPECT_NEAR(stats::ar_forecast(ar, 2, 1), next, 1e-9);
    EXPECT_NEAR(stats::ar_forecast(ar, 2, 2), 0.1 + 0.6 * next + 0.3 * ar.back(), 1e-9);
    // Too short, or singular (a straight line is collinear with the intercept): the last value.
    EXPECT_DOUBLE_EQ(stats::ar_forecast({0.1, 0.2, 0.3, 0.4, 0.5}, 2, 1), 0.5);
    EXPECT_DOUBLE_EQ(stats::ar_forecast(line, 2, 1), line.back());
}

TEST(Statistics, MatchesCloudSimMathUtil) {
    EXPECT_DOUBLE_EQ(stats::median({3, 1, 2}), 2);
    EXPECT_DOUBLE_EQ(stats::median({4, 1, 2, 3}), 2.5);
    EXPECT_DOUBLE_EQ(stats::median_absolute_deviation({1, 2, 3, 4, 100}), 1);
    // iqr of 1..10: q1 = round(2.75) - 1 = 2 → 3; q3 = round(8.25) - 1 = 7 → 8.
    EXPECT_DOUBLE_EQ(iqr_by_rounded_rank({10, 9, 8, 7, 6, 5, 4, 3, 2, 1}), 5);
    const auto line = stats::least_squares({1, 3, 5, 7});
    EXPECT_NEAR(line.intercept, -1, 1e-12);
    EXPECT_NEAR(line.slope, 2, 1e-12);
    // One outlier pulls least squares' next-step forecast to 15.6; the robust fit stays at 11.
    const std::vector<double> y{1, 2, 3, 4, 5, 6, 30, 8, 9, 10};
    const auto rob = robust_trend(y);
    const auto plain = stats::least_squares(y);
    EXPECT_NEAR(plain.at(11), 15.6, 1e-9);
    EXPECT_NEAR(rob.at(11), 11, 0.1);
    EXPECT_EQ(robust_trend({1, 2, 3, 4, 5}).slope, 1);
}

TEST(Statistics, InPlaceFormsEqualTheCopyingOnes) {
    const std::vector<double> v = {7, 1, 9, 3, 3, 12, 0.5, 8};
    std::vector<double> a = v;
    EXPECT_DOUBLE_EQ(stats::median_in_place(a.data(), a.size()), stats::median(v));
    a = v;
    EXPECT_DOUBLE_EQ(stats::median_absolute_deviation_in_place(a.data(), a.size()),
                     stats::median_absolute_deviation(v));
    EXPECT_DOUBLE_EQ(stats::median_in_place(nullptr, 0), 0);
}

TEST(Statistics, FitLineNeedsTwoWeightedPointsAtDistinctX) {
    EXPECT_FALSE(stats::fit_line({1, 2, 3}, {1, 2, 3}, {1, 0, 0}).has_value());
    EXPECT_FALSE(stats::fit_line({2, 2, 2}, {1, 2, 3}, {1, 1, 1}).has_value());
    const auto l = stats::fit_line({0, 1, 2, 3}, {1, 3, 5, 100}, {1, 1, 1, 0});
    ASSERT_TRUE(l.has_value());
    EXPECT_NEAR(l->intercept, 1, 1e-12);
    EXPECT_NEAR(l->slope, 2, 1e-12);
    // Fewer than two points: a flat line through the mean.
    EXPECT_DOUBLE_EQ(stats::least_squares({4}).at(7), 4);
}

TEST(Statistics, ZeroScaleKeepsTheLineOrRefitsOnThePointsOnIt) {
    // Six of eight points lie on y = x; the two others pull the first (uniform) fit off it, so
    // every residual is nonzero and the re-weighting pulls the line back towards y = x.
    const std::vector<double> x = {1, 2, 3, 4, 5, 6, 7, 8};
    const std::vector<double> y = {1, 2, 3, 4, 5, 6, 20, 30};
    const std::vector<double> ones(8, 1.0);
    const auto plain = stats::fit_line(x, y, ones);
    const auto robust = stats::robust_line(x, y, ones, 3, stats::ZeroScale::kPointsOnLine);
    ASSERT_TRUE(plain && robust);
    EXPECT_LT(std::abs(robust->slope - 1), std::abs(plain->slope - 1));
    // On a perfect line the residuals' median is zero: both rules give the line itself.
    const std::vector<double> on = {2, 4, 6, 8, 10, 12, 14, 16};
    for (auto rule : {stats::ZeroScale::kKeepLine, stats::ZeroScale::kPointsOnLine}) {
        const auto l = stats::robust_line(x, on, ones, 2, rule);
        ASSERT_TRUE(l.has_value());
        EXPECT_NEAR(l->slope, 2, 1e-12);
        EXPECT_NEAR(l->intercept, 0, 1e-12);
    }
}

}  // namespace
}  // namespace fp
