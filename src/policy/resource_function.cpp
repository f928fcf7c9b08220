#include "src/policy/resource_function.hpp"

#include <algorithm>
#include <cmath>

namespace fp::policy {

std::array<double, model::kDims> fractions(const model::Resources& amount,
                                           const model::Resources& reference) {
    std::array<double, model::kDims> f{};
    for (int d = 0; d < model::kDims; ++d) {
        f[static_cast<size_t>(d)] =
            reference[d] > 0 ? static_cast<double>(amount[d]) / static_cast<double>(reference[d])
                             : 0.0;
    }
    return f;
}

double VolumeFunction::score(const model::Resources& a, const model::Resources& ref) const {
    // Sandpiper's volume 1/(1-cpu)·1/(1-mem)·1/(1-net), with fractions capped below 1.
    double v = 1.0;
    for (double f : fractions(a, ref)) v /= 1.0 - std::clamp(f, 0.0, 0.999);
    return v;
}

double WeightedSumFunction::score(const model::Resources& a, const model::Resources& ref) const {
    const auto f = fractions(a, ref);
    double s = 0;
    for (size_t d = 0; d < f.size(); ++d) s += w_[d] * f[d];
    return s;
}

double MaxFunction::score(const model::Resources& a, const model::Resources& ref) const {
    const auto f = fractions(a, ref);
    return *std::max_element(f.begin(), f.end());
}

double L2Function::score(const model::Resources& a, const model::Resources& ref) const {
    double s = 0;
    for (double f : fractions(a, ref)) s += f * f;
    return std::sqrt(s);
}

}  // namespace fp::policy
