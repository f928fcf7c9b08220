// History-driven and scheduled triggers (registered by register_history_triggers):
//   k-of-n, mad, iqr, lr, lrr, forecast  read the utilisation history (PolicyContext::history);
//   imbalance                           reads the current state only;
//   periodic, time-of-day               gate `threshold` by PolicyContext::now_s.
// A host's history is the sum over the VMs now on it of each VM's series × its history size
// (model::history_size), over the host's capacity; a VM without history counts its current
// demand at every sample, and one with a shorter series its first value before that series began.
// The last sample is "now". A history trigger with no history at all, or a host whose VMs lack
// enough of it, falls back to a static CPU threshold (`fallback`, 0.7: CloudSim's behaviour) on
// the current utilisation. Cold hosts are always `threshold`'s (cpu_low/mem_low/net_low), minus
// the hot ones. Hot hosts come most urgent first (largest excess over the trigger's line), ties by
// host id. Thread-safety: const, stateless. Determinism: pure functions of state, context, params.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "src/policy/policy.hpp"

namespace fp::policy::detail {

// ---- statistics on a series (oldest first) ----

double median(std::vector<double> v);
// Median absolute deviation from the median.
double median_absolute_deviation(const std::vector<double>& v);
// The p-th percentile (0 < p <= 100) by Apache Commons Math's default estimator (as CloudSim):
// position p·(n+1)/100 in the sorted values, interpolated linearly, clamped to the ends.
double percentile(std::vector<double> v, double p);
// Interquartile range: percentile 75 − percentile 25.
double interquartile_range(const std::vector<double>& v);

enum class LoessWeights { kTricube, kUniform };
// Local linear regression around the last sample (x = 0 now, −1 one interval before, ...), with
// tricube weights (1 − (|x|/n)³)³ over the n samples (or uniform weights: ordinary least squares,
// which is what CloudSim 3.0.3's LR computes in effect), then `robust_iterations` bisquare
// re-weightings (Cleveland 1979: residual r, scale s = median |r|, weight (1 − (r/6s)²)² or 0)
// multiplying the tricube weights. Returns the fitted value `steps` intervals after the last.
double loess_forecast(const std::vector<double>& y, double steps, LoessWeights weights,
                      int robust_iterations);

// Holt's linear trend (double exponential smoothing), `steps` ahead. Level starts at y[0], trend
// at y[1] − y[0]. A single sample forecasts itself.
double holt_forecast(const std::vector<double>& y, double alpha, double beta, int steps);
// AR(p) with intercept fitted by least squares, iterated `steps` ahead (each prediction clamped to
// [0, 10]). With fewer than 2p + 2 samples or a singular fit it returns the last sample.
double ar_forecast(const std::vector<double>& y, int p, int steps);

// ---- hosts ----

// The host's load in dimension d (the dimension's units) over its last `max_len` samples (all
// when max_len <= 0), oldest first; empty when no VM on the host has history in d.
std::vector<double> host_load_series(const model::PlacementState& state,
                                     const model::History& history, int32_t host, int d,
                                     int64_t max_len);

// Threshold's cold rule (every dimension at or below `low`, VMs on it, not hot by max-util),
// coldest first, without the hosts in `hot`.
std::vector<int32_t> cold_hosts(const model::PlacementState& state,
                                const std::array<double, model::kDims>& low,
                                const std::vector<int32_t>& hot);

}  // namespace fp::policy::detail
