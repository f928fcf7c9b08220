// Further placements (where a VM goes), registered by register_extra_placements(). All offer VMs
// in decreasing size (the `size` function, like ffd/bfd), consider only allowed hosts for which
// PlacementState::fits holds, and break ties by host id rank (detail::scan_best).
//  dot-product:      VectorDot (Singh et al., SC 2008): the host whose residual capacity
//                    (limit - load, as fractions of its capacity) points most the way the VM's
//                    demand does (largest cosine similarity).
//  vector-imbalance: Mishra & Sahoo (IEEE CLOUD 2011): the host left most balanced after the
//                    placement (least variance of its residual fractions, i.e. the shortest
//                    resource imbalance vector), then the least total residual (best fit).
//  pabfd:            power-aware best fit decreasing (Beloglazov & Buyya 2012): the least power
//                    increase under P(u) = idle + (max - idle)·u of CPU utilisation u, an empty
//                    host also paying its idle power; then the least residual CPU.
//  affinity:         the host with the most affinity: Mbps of traffic (ctx.traffic) to VMs on
//                    it, plus `group_mbps` per VM of the same `group`, plus `rack_weight` times
//                    the same for partners elsewhere in its rack; then best fit as bfd. Never a
//                    host holding another VM of the VM's `anti_group`.
// Thread-safety: const and stateless after construction. Determinism: every score is computed in
// a fixed order and hosts tie by id rank, so the choice does not depend on threads.
#pragma once

#include <memory>

#include "src/policy/placement.hpp"

namespace fp::policy {

class DotProductPlacement final : public SizeOrderedPlacement {
  public:
    explicit DotProductPlacement(std::shared_ptr<const ResourceFunction> size)
        : SizeOrderedPlacement(std::move(size)) {}
    std::string_view name() const override { return "dot-product"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;
};

class VectorImbalancePlacement final : public SizeOrderedPlacement {
  public:
    explicit VectorImbalancePlacement(std::shared_ptr<const ResourceFunction> size)
        : SizeOrderedPlacement(std::move(size)) {}
    std::string_view name() const override { return "vector-imbalance"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;
};

// Watts of a host at idle and at full CPU when hosts.csv does not say.
struct PowerDefaults {
    double idle_w = 100.0;
    double max_w = 250.0;
};

class PowerAwareBestFitDecreasing final : public SizeOrderedPlacement {
  public:
    PowerAwareBestFitDecreasing(std::shared_ptr<const ResourceFunction> size, PowerDefaults power)
        : SizeOrderedPlacement(std::move(size)), power_(power) {}
    std::string_view name() const override { return "pabfd"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;
    // Watts the host draws more once the VM is on it (its idle power too when it holds no VM).
    double power_increase_w(const model::PlacementState& state, int32_t vm, int32_t host) const;

  private:
    PowerDefaults power_;
};

struct AffinityWeights {
    double rack_weight = 0.5;    // a partner in the same rack counts this fraction of same-host
    double group_mbps = 1000.0;  // the traffic one member of the VM's group counts as
};

class AffinityPlacement final : public SizeOrderedPlacement {
  public:
    AffinityPlacement(std::shared_ptr<const ResourceFunction> size, AffinityWeights weights)
        : SizeOrderedPlacement(std::move(size)), weights_(weights) {}
    std::string_view name() const override { return "affinity"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;

  private:
    AffinityWeights weights_;
};

}  // namespace fp::policy
