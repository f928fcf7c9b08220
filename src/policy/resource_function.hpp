// Size functions: volume, weighted-sum, max, l2 (README policy table).
#pragma once

#include <array>
#include <memory>

#include "src/policy/policy.hpp"

namespace fp::policy {

// amount / reference per dimension (0 where the reference is 0).
std::array<double, model::kDims> fractions(const model::Resources& amount,
                                           const model::Resources& reference);

class VolumeFunction final : public ResourceFunction {
  public:
    std::string_view name() const override { return "volume"; }
    double score(const model::Resources& a, const model::Resources& ref) const override;
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
