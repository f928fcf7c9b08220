#include "src/policy/placement.hpp"

#include <algorithm>

#include "src/policy/placement_scan.hpp"
#include "src/policy/resource_function.hpp"

namespace fp::policy {

std::optional<int32_t> FirstFitDecreasing::choose(const model::PlacementState& state, int32_t vm,
                                                  const std::vector<uint8_t>& allowed,
                                                  const PolicyContext&) const {
    for (int32_t h : state.hosts_by_id())
        if (allowed[static_cast<size_t>(h)] && state.fits(vm, h)) return h;
    return std::nullopt;
}

double SizeOrderedPlacement::order_score(const model::PlacementState& state, int32_t vm) const {
    return size_->score(state.demand(vm), state.reference_capacity());
}

std::optional<int32_t> BestFitDecreasing::choose(const model::PlacementState& state, int32_t vm,
                                                 const std::vector<uint8_t>& allowed,
                                                 const PolicyContext&) const {
    const model::Resources& dem = state.demand(vm);
    // The default size function is called directly (inlined), not through the interface.
    if (const auto* volume = dynamic_cast<const VolumeFunction*>(size_.get())) {
        // volume = 1 / Π(1 − f_d): a host loses for certain when Π(1 − f_d)·best < 1 by more
        // than the margin, with f_d from multiplications by 1/capacity (no division per host).
        auto beaten = [&](int32_t h, double best) {
            const model::Resources& room = state.headroom(h);
            const auto& inv = state.inverse_capacity(h);
            double p = best;
            for (int d = 0; d < model::kDims; ++d) {
                const double f =
                    static_cast<double>(room[d] - dem[d]) * inv[static_cast<size_t>(d)];
                p *= 1.0 - std::clamp(f, 0.0, 0.999);
            }
            return p < 1.0 - detail::kBoundMargin;
        };
        return detail::scan_best_pruned(
            state, vm, allowed, [](int32_t) { return true; },
            [&](int32_t h) { return volume->score(state.headroom(h) - dem, state.capacity(h)); },
            beaten);
    }
    return detail::scan_best(state, vm, allowed, [&](int32_t h) {
        return size_->score(state.headroom(h) - dem, state.capacity(h));
    });
}

}  // namespace fp::policy
