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
