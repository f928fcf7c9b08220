// Placement: where a VM goes. Both offer VMs in decreasing size (by a size function) and never
// choose a host that would exceed its max-util limit (no new hot spot).
//  ffd: the first host in id order that fits.
//  bfd: the host left with the least residual capacity (scored by the size function), ties by id.
#pragma once

#include <memory>

#include "src/policy/policy.hpp"

namespace fp::policy {

// A placement that offers VMs largest first by a size function (relative to the largest host).
class SizeOrderedPlacement : public PlacementPolicy {
  public:
    explicit SizeOrderedPlacement(std::shared_ptr<const ResourceFunction> size)
        : size_(std::move(size)) {}
    double order_score(const model::PlacementState& state, int32_t vm) const final;

  protected:
    std::shared_ptr<const ResourceFunction> size_;
};

class FirstFitDecreasing final : public SizeOrderedPlacement {
  public:
    explicit FirstFitDecreasing(std::shared_ptr<const ResourceFunction> size)
        : SizeOrderedPlacement(std::move(size)) {}
    std::string_view name() const override { return "ffd"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;
};

class BestFitDecreasing final : public SizeOrderedPlacement {
  public:
    explicit BestFitDecreasing(std::shared_ptr<const ResourceFunction> size)
        : SizeOrderedPlacement(std::move(size)) {}
    std::string_view name() const override { return "bfd"; }
    std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                  const std::vector<uint8_t>& allowed,
                                  const PolicyContext& ctx) const override;
};

}  // namespace fp::policy
