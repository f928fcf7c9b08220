#include "src/model/placement_state.hpp"

#include <algorithm>
#include <numeric>

#include "src/util/assert.hpp"

namespace fp::model {

PlacementState::PlacementState(const Fleet& fleet, int64_t max_util_ppm)
    : fleet_(&fleet), max_util_ppm_(max_util_ppm) {
    const size_t nh = fleet.hosts.size();
    host_of_.resize(fleet.vms.size(), kNoHost);
    load_.resize(nh);
    limit_.resize(nh);
    vms_on_.resize(nh);
    for (size_t h = 0; h < nh; ++h) limit_[h] = limit_at(fleet.hosts[h].capacity, max_util_ppm);
    for (size_t v = 0; v < fleet.vms.size(); ++v) {
        const int32_t h = fleet.vms[v].host;
        host_of_[v] = h;
        if (h != kNoHost) {
            load_[static_cast<size_t>(h)] += fleet.vms[v].demand;
            vms_on_[static_cast<size_t>(h)].push_back(static_cast<int32_t>(v));
        }
    }
    std::vector<int32_t> order(nh);
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return fleet.hosts[static_cast<size_t>(a)].id < fleet.hosts[static_cast<size_t>(b)].id;
    });
    for (size_t h = 0; h < nh; ++h)
        for (int d = 0; d < kDims; ++d)
            reference_capacity_[d] = std::max(reference_capacity_[d], fleet.hosts[h].capacity[d]);
    hosts_by_id_ = order;
    id_rank_.resize(nh);
    for (size_t i = 0; i < nh; ++i)
        id_rank_[static_cast<size_t>(order[i])] = static_cast<int32_t>(i);
}

double PlacementState::util(int32_t h, int d) const {
    const int64_t cap = capacity(h)[d];
    return cap > 0 ? static_cast<double>(load(h)[d]) / static_cast<double>(cap) : 0.0;
}

double PlacementState::max_util(int32_t h) const {
    double m = 0;
    for (int d = 0; d < kDims; ++d) m = std::max(m, util(h, d));
    return m;
}

void PlacementState::move(int32_t vm, int32_t to) {
    const size_t v = static_cast<size_t>(vm);
    const int32_t from = host_of_[v];
    if (from == to) return;
    const Resources& dem = fleet_->vms[v].demand;
    if (from != kNoHost) {
        auto& list = vms_on_[static_cast<size_t>(from)];
        auto it = std::lower_bound(list.begin(), list.end(), vm);
        FP_ASSERT(it != list.end() && *it == vm);
        list.erase(it);
        load_[static_cast<size_t>(from)] -= dem;
    }
    if (to != kNoHost) {
        auto& list = vms_on_[static_cast<size_t>(to)];
        list.insert(std::lower_bound(list.begin(), list.end(), vm), vm);
        load_[static_cast<size_t>(to)] += dem;
    }
    host_of_[v] = to;
}

}  // namespace fp::model
