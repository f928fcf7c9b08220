#include "src/util/statistics.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace fp::stats {

double median(std::vector<double> v) { return median_in_place(v.data(), v.size()); }

double median_in_place(double* a, size_t n) {
    if (n == 0) return 0.0;
    std::nth_element(a, a + n / 2, a + n);
    const double hi = a[n / 2];
    if (n % 2 == 1) return hi;
    return (*std::max_element(a, a + n / 2) + hi) / 2.0;
}

double median_absolute_deviation(const std::vector<double>& v) {
    std::vector<double> copy = v;
    return median_absolute_deviation_in_place(copy.data(), copy.size());
}

double median_absolute_deviation_in_place(double* a, size_t n) {
    if (n == 0) return 0.0;
    const double m = median_in_place(a, n);
    for (size_t i = 0; i < n; ++i) a[i] = std::fabs(a[i] - m);
    return median_in_place(a, n);
}

double percentile(std::vector<double> v, double p) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const double n = static_cast<double>(v.size());
    const double pos = p * (n + 1) / 100.0;
    if (pos < 1) return v.front();
    if (pos >= n) return v.back();
    const double fpos = std::floor(pos);
    const size_t i = static_cast<size_t>(fpos);  // 1-based index of the lower neighbour
    const double lower = v[i - 1];
    const double upper = v[i];
    return lower + (pos - fpos) * (upper - lower);
}

double interquartile_range(const std::vector<double>& v) {
    return percentile(v, 75.0) - percentile(v, 25.0);
}

double rounded_rank_iqr_sorted(const double* a, size_t n) {
    if (n == 0) return 0;
    const double len = static_cast<double>(n);
    const auto at = [&](double q) {
        const int64_t i = std::llround(q * (len + 1)) - 1;  // Java's Math.round for q > 0
        return a[static_cast<size_t>(std::clamp<int64_t>(i, 0, static_cast<int64_t>(n) - 1))];
    };
    return at(0.75) - at(0.25);
}

std::optional<Line> fit_line(const std::vector<double>& x, const std::vector<double>& y,
                             const std::vector<double>& w) {
    double sw = 0, sx = 0, sy = 0;
    int positive = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        if (w[i] <= 0) continue;
        ++positive;
        sw += w[i];
        sx += w[i] * x[i];
        sy += w[i] * y[i];
    }
    if (positive < 2) return std::nullopt;
    const double mx = sx / sw;
    const double my = sy / sw;
    double sxx = 0, sxy = 0;
    for (size_t i = 0; i < y.size(); ++i) {
        if (w[i] <= 0) continue;
        sxx += w[i] * (x[i] - mx) * (x[i] - mx);
        sxy += w[i] * (x[i] - mx) * (y[i] - my);
    }
    if (sxx <= 0) return std::nullopt;
    Line l;
    l.slope = sxy / sxx;
    l.intercept = my - l.slope * mx;
    return l;
}

Line least_squares(const std::vector<double>& y) {
    std::vector<double> x(y.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i + 1);
    if (auto l = fit_line(x, y, std::vector<double>(y.size(), 1.0))) return *l;
    double sy = 0;
    for (double v : y) sy += v;
    return {y.empty() ? 0.0 : sy / static_cast<double>(y.size()), 0.0};
}

std::vector<double> tricube_to_last(size_t n) {
    std::vector<double> w(n);
    const double span = static_cast<double>(n);
    for (size_t i = 0; i < n; ++i) {
        const double u = static_cast<double>(n - 1 - i) / span;
        const double t = 1.0 - u * u * u;
        w[i] = t * t * t;
    }
    return w;
}

std::optional<Line> robust_line(const std::vector<double>& x, const std::vector<double>& y,
                                const std::vector<double>& base, int iterations,
                                ZeroScale zero_scale) {
    auto fit = fit_line(x, y, base);
    if (!fit) return std::nullopt;
    const size_t n = y.size();
    std::vector<double> w(n);
    std::vector<double> abs_res(n);
    for (int it = 0; it < iterations; ++it) {
        for (size_t i = 0; i < n; ++i) abs_res[i] = std::fabs(y[i] - fit->at(x[i]));
        const double s = median(abs_res);
        if (s <= 1e-12 && zero_scale == ZeroScale::kKeepLine) break;
        for (size_t i = 0; i < n; ++i) {
            double robust;
            if (s <= 1e-12) {
                robust = abs_res[i] <= 1e-12 ? 1.0 : 0.0;  // the points on the line exactly
            } else {
                const double u = abs_res[i] / (6.0 * s);
                robust = u < 1.0 ? (1.0 - u * u) * (1.0 - u * u) : 0.0;
            }
            w[i] = base[i] * robust;
        }
        auto next = fit_line(x, y, w);
        if (!next) break;
        fit = next;
    }
    return fit;
}

double loess_forecast(const std::vector<double>& y, double steps, LoessWeights weights,
                      int robust_iterations) {
    const size_t n = y.size();
    if (n == 0) return 0.0;
    if (n == 1) return y[0];
    std::vector<double> x(n);
    for (size_t i = 0; i < n; ++i) x[i] = static_cast<double>(i) - static_cast<double>(n - 1);
    const std::vector<double> base =
        weights == LoessWeights::kTricube ? tricube_to_last(n) : std::vector<double>(n, 1.0);
    const auto fit = robust_line(x, y, base, robust_iterations, ZeroScale::kPointsOnLine);
    return fit ? fit->at(steps) : y.back();
}
double holt_forecast(const std::vector<double>& y, double alpha, double beta, int steps) {
    if (y.empty()) return 0.0;
    if (y.size() == 1) return y[0];
    double level = y[0];
    double trend = y[1] - y[0];
    for (size_t t = 1; t < y.size(); ++t) {
        const double prev = level;
        level = alpha * y[t] + (1.0 - alpha) * (level + trend);
        trend = beta * (level - prev) + (1.0 - beta) * trend;
    }
    return level + static_cast<double>(steps) * trend;
}

double ar_forecast(const std::vector<double>& y, int p, int steps) {
    const size_t n = y.size();
    const size_t order = static_cast<size_t>(p);
    if (n == 0) return 0.0;
    if (p < 1 || n < 2 * order + 2) return y.back();
    // Normal equations for x_t = c + φ1·x_{t-1} + ... + φp·x_{t-p}, t = p .. n-1.
    const size_t k = order + 1;
    std::vector<double> a(k * (k + 1), 0.0);  // augmented matrix, row-major k × (k+1)
    std::vector<double> row(k);
    for (size_t t = order; t < n; ++t) {
        row[0] = 1.0;
        for (size_t j = 1; j <= order; ++j) row[j] = y[t - j];
        for (size_t r = 0; r < k; ++r) {
            for (size_t c = 0; c < k; ++c) a[r * (k + 1) + c] += row[r] * row[c];
            a[r * (k + 1) + k] += row[r] * y[t];
        }
    }
    // Gaussian elimination with partial pivoting.
    double scale = 0;
    for (size_t r = 0; r < k; ++r) scale = std::max(scale, std::fabs(a[r * (k + 1) + r]));
    for (size_t c = 0; c < k; ++c) {
        size_t piv = c;
        for (size_t r = c + 1; r < k; ++r)
            if (std::fabs(a[r * (k + 1) + c]) > std::fabs(a[piv * (k + 1) + c])) piv = r;
        if (std::fabs(a[piv * (k + 1) + c]) <= 1e-12 * std::max(scale, 1.0)) return y.back();
        if (piv != c)
            for (size_t j = 0; j <= k; ++j) std::swap(a[c * (k + 1) + j], a[piv * (k + 1) + j]);
        for (size_t r = c + 1; r < k; ++r) {
            const double f = a[r * (k + 1) + c] / a[c * (k + 1) + c];
            for (size_t j = c; j <= k; ++j) a[r * (k + 1) + j] -= f * a[c * (k + 1) + j];
        }
    }
    std::vector<double> coef(k);
    for (size_t c = k; c-- > 0;) {
        double v = a[c * (k + 1) + k];
        for (size_t j = c + 1; j < k; ++j) v -= a[c * (k + 1) + j] * coef[j];
        coef[c] = v / a[c * (k + 1) + c];
    }
    // Iterate the recursion from the last p samples.
    std::vector<double> recent(y.end() - static_cast<std::ptrdiff_t>(order), y.end());
    double next = y.back();
    for (int s = 0; s < steps; ++s) {
        next = coef[0];
        for (size_t j = 1; j <= order; ++j) next += coef[j] * recent[recent.size() - j];
        next = std::clamp(next, 0.0, 10.0);
        recent.push_back(next);
    }
    return next;
}

}  // namespace fp::stats
