#include "src/policy/placement.hpp"

#include "src/policy/placement_scan.hpp"

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
    return detail::scan_best(state, vm, allowed, [&](int32_t h) {
        const model::Resources residual = state.limit(h) - state.load(h) - dem;
        return size_->score(residual, state.capacity(h));
    });
}

}  // namespace fp::policy
