#include "src/policy/resource_function.hpp"

#include <algorithm>
#include <cmath>

namespace fp::policy {

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
