#include "src/policy/placement.hpp"

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
    if (const auto* volume = dynamic_cast<const VolumeFunction*>(size_.get()))
        return detail::scan_best(state, vm, allowed, [&](int32_t h) {
            return volume->score(state.headroom(h) - dem, state.capacity(h));
        });
    return detail::scan_best(state, vm, allowed, [&](int32_t h) {
        return size_->score(state.headroom(h) - dem, state.capacity(h));
    });
}

}  // namespace fp::policy
