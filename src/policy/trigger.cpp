#include "src/policy/trigger.hpp"

#include <algorithm>

namespace fp::policy {

bool TriggerPolicy::is_hot(const model::PlacementState& state, int32_t host,
                           const PolicyContext& ctx) const {
    const TriggerResult r = evaluate(state, ctx);
    return std::find(r.hot.begin(), r.hot.end(), host) != r.hot.end();
}

bool TriggerPolicy::forecast_guard(const model::PlacementState&, const PolicyContext&,
                                   std::vector<int64_t>&, std::vector<int64_t>&) const {
    return false;
}

bool ThresholdTrigger::is_hot(const model::PlacementState& state, int32_t h,
                              const PolicyContext&) const {
    for (int d = 0; d < model::kDims; ++d) {
        const size_t di = static_cast<size_t>(d);
        const int64_t ppm = high_[di] < 0 ? state.max_util_ppm() : model::to_ppm(high_[di]);
        if (state.load(h)[d] > model::limit_at(state.capacity(h)[d], ppm)) return true;
    }
    return false;
}

TriggerResult ThresholdTrigger::evaluate(const model::PlacementState& state,
                                         const PolicyContext& /*ctx*/) const {
    TriggerResult out;
    struct Scored {
        double key;
        int32_t rank;
        int32_t host;
    };
    std::vector<Scored> hot;
    std::vector<Scored> cold;
    for (int32_t h = 0; h < state.host_count(); ++h) {
        const auto& cap = state.capacity(h);
        const auto& load = state.load(h);
        double worst = 0;  // largest load / threshold-limit ratio
        bool is_hot = false;
        bool is_cold = !state.vms_on(h).empty();
        for (int d = 0; d < model::kDims; ++d) {
            const size_t di = static_cast<size_t>(d);
            const int64_t ppm = high_[di] < 0 ? state.max_util_ppm() : model::to_ppm(high_[di]);
            const int64_t lim = model::limit_at(cap[d], ppm);
            if (load[d] > lim) is_hot = true;
            if (lim > 0) worst = std::max(worst, static_cast<double>(load[d]) / lim);
            if (load[d] > model::limit_at(cap[d], model::to_ppm(low_[di]))) is_cold = false;
        }
        if (is_hot) hot.push_back({-worst, state.id_rank(h), h});
        if (is_cold && !is_hot) cold.push_back({state.max_util(h), state.id_rank(h), h});
    }
    auto by_key = [](const Scored& a, const Scored& b) {
        return a.key != b.key ? a.key < b.key : a.rank < b.rank;
    };
    std::sort(hot.begin(), hot.end(), by_key);
    std::sort(cold.begin(), cold.end(), by_key);
    for (const auto& s : hot) out.hot.push_back(s.host);
    for (const auto& s : cold) out.cold.push_back(s.host);
    return out;
}

}  // namespace fp::policy
