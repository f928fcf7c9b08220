// Triggers: when to act. `threshold` marks a host hot when any dimension is above its high
// threshold and cold when every dimension is at or below its low threshold.
#pragma once

#include <array>

#include "src/policy/policy.hpp"

namespace fp::policy {

class ThresholdTrigger final : public TriggerPolicy {
  public:
    // A negative high threshold means "the plan's max-util".
    ThresholdTrigger(std::array<double, model::kDims> high, std::array<double, model::kDims> low)
        : high_(high), low_(low) {}
    std::string_view name() const override { return "threshold"; }
    TriggerResult evaluate(const model::PlacementState& state,
                           const PolicyContext& ctx) const override;
    bool is_hot(const model::PlacementState& state, int32_t host,
                const PolicyContext& ctx) const override;

  private:
    std::array<double, model::kDims> high_;
    std::array<double, model::kDims> low_;
};

}  // namespace fp::policy
