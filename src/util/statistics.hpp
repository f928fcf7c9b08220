// Statistics on utilisation series, shared by the history triggers (src/policy) and the
// CloudSim-style chains (src/sim): medians and spreads, least-squares and robust local lines, and
// the time-series forecasts. Series are oldest first. Two IQR estimators exist on purpose: the
// triggers use Apache Commons Math's percentile, CloudSim's MathUtil rounds the rank.
// Pure functions; thread-safe; deterministic (fixed summation order).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

namespace fp::stats {

double median(std::vector<double> v);
// The median of a[0, n) without allocating (reorders a); 0 when n = 0.
double median_in_place(double* a, size_t n);
// Median absolute deviation from the median.
double median_absolute_deviation(const std::vector<double>& v);
// The same without allocating (overwrites a with the deviations).
double median_absolute_deviation_in_place(double* a, size_t n);
// The p-th percentile (0 < p <= 100) by Apache Commons Math's default estimator: position
// p·(n+1)/100 in the sorted values, interpolated linearly, clamped to the ends.
double percentile(std::vector<double> v, double p);
// Interquartile range by percentile(): percentile 75 − percentile 25.
double interquartile_range(const std::vector<double>& v);
// CloudSim MathUtil's interquartile range on values sorted ascending: the values at the rank
// Math.round(q·(n+1)) for q = 0.75 and 0.25 (1-based, clamped to the ends).
double rounded_rank_iqr_sorted(const double* a, size_t n);

struct Line {
    double intercept = 0;  // the value at x = 0
    double slope = 0;
    double at(double x) const { return intercept + slope * x; }
};

// Weighted least-squares line through (x_i, y_i) with weights w_i (points with w_i <= 0 are
// left out); nullopt when fewer than two points carry weight or their x are all equal.
std::optional<Line> fit_line(const std::vector<double>& x, const std::vector<double>& y,
                             const std::vector<double>& w);
// Ordinary least squares through (1, y_0), (2, y_1), ... (CloudSim's LR); a flat line through
// the mean when fewer than two points.
Line least_squares(const std::vector<double>& y);

// Tricube weights (1 − (d/n)³)³ over n samples, d the distance in samples from the newest (the
// last); the oldest sample keeps a small weight.
std::vector<double> tricube_to_last(size_t n);

// What a robust re-weighting does when the residuals' median is zero (more than half the points
// lie on the line): keep the line, or refit on the points exactly on it.
enum class ZeroScale { kKeepLine, kPointsOnLine };

// Robust local regression (Cleveland 1979): the weighted line with weights `base`, then
// `iterations` bisquare re-weightings (residual r, scale s = median |r|, weight
// base·(1 − (r/6s)²)², 0 beyond 6s). A re-weighting that leaves no line keeps the previous one.
// nullopt when the first fit has no line.
std::optional<Line> robust_line(const std::vector<double>& x, const std::vector<double>& y,
                                const std::vector<double>& base, int iterations,
                                ZeroScale zero_scale);

enum class LoessWeights { kTricube, kUniform };
// Local linear regression around the last sample (x = 0 now, −1 one interval before, ...), with
// tricube weights (or uniform: ordinary least squares, which is what CloudSim 3.0.3's LR computes
// in effect), then `robust_iterations` bisquare re-weightings. Returns the fitted value `steps`
// intervals after the last (the last sample when no line fits).
double loess_forecast(const std::vector<double>& y, double steps, LoessWeights weights,
                      int robust_iterations);

// Holt's linear trend (double exponential smoothing), `steps` ahead. Level starts at y[0], trend
// at y[1] − y[0]. A single sample forecasts itself.
double holt_forecast(const std::vector<double>& y, double alpha, double beta, int steps);
// AR(p) with intercept fitted by least squares, iterated `steps` ahead (each prediction clamped to
// [0, 10]). With fewer than 2p + 2 samples or a singular fit it returns the last sample.
double ar_forecast(const std::vector<double>& y, int p, int steps);

}  // namespace fp::stats
