// Size functions: volume, weighted-sum, max, l2 (README policy table).
#pragma once

#include <algorithm>
#include <array>
#include <memory>

#include "src/policy/policy.hpp"

namespace fp::policy {

// amount / reference per dimension (0 where the reference is 0). Inline, like the volume
// score below: placement scans call them for every host.
inline std::array<double, model::kDims> fractions(const model::Resources& amount,
                                                  const model::Resources& reference) {
    std::array<double, model::kDims> f{};
    for (int d = 0; d < model::kDims; ++d) {
        f[static_cast<size_t>(d)] =
            reference[d] > 0 ? static_cast<double>(amount[d]) / static_cast<double>(reference[d])
                             : 0.0;
    }
    return f;
}

class VolumeFunction final : public ResourceFunction {
  public:
    std::string_view name() const override { return "volume"; }
    double score(const model::Resources& a, const model::Resources& ref) const override {
        // Sandpiper's volume 1/(1-cpu)·1/(1-mem)·1/(1-net), with fractions capped below 1.
        double v = 1.0;
        for (double f : fractions(a, ref)) v /= 1.0 - std::clamp(f, 0.0, 0.999);
        return v;
    }
};

class WeightedSumFunction final : public ResourceFunction {
  public:
    explicit WeightedSumFunction(std::array<double, model::kDims> w) : w_(w) {}
    std::string_view name() const override { return "weighted-sum"; }
    double score(const model::Resources& a, const model::Resources& ref) const override;

  private:
    std::array<double, model::kDims> w_;
};

class MaxFunction final : public ResourceFunction {
  public:
    std::string_view name() const override { return "max"; }
    double score(const model::Resources& a, const model::Resources& ref) const override;
};

class L2Function final : public ResourceFunction {
  public:
    std::string_view name() const override { return "l2"; }
    double score(const model::Resources& a, const model::Resources& ref) const override;
};

}  // namespace fp::policy
