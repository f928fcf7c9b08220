#include "src/model/placement_state.hpp"

#include <algorithm>
#include <map>
#include <numeric>

#include "src/util/assert.hpp"

namespace fp::model {

std::vector<int32_t> anti_domains(const Fleet& fleet, AntiScope scope) {
    std::vector<int32_t> domain(fleet.hosts.size());
    std::map<std::pair<std::string, std::string>, int32_t> racks;
    for (size_t h = 0; h < fleet.hosts.size(); ++h) {
        const Host& host = fleet.hosts[h];
        if (scope == AntiScope::kHost || host.rack.empty()) {
            domain[h] = static_cast<int32_t>(fleet.hosts.size() + h);  // a domain of its own
        } else {
            domain[h] =
                racks.emplace(std::pair{host.site, host.rack}, static_cast<int32_t>(racks.size()))
                    .first->second;
        }
    }
    return domain;
}

PlacementState::PlacementState(const Fleet& fleet, int64_t max_util_ppm, AntiScope scope)
    : fleet_(&fleet), max_util_ppm_(max_util_ppm) {
    const size_t nh = fleet.hosts.size();
    host_of_.resize(fleet.vms.size(), kNoHost);
    demand_.resize(fleet.vms.size());
    for (size_t v = 0; v < fleet.vms.size(); ++v) demand_[v] = fleet.vms[v].demand;
    load_.resize(nh);
    limit_.resize(nh);
    vms_on_.resize(nh);
    capacity_.resize(nh);
    inverse_capacity_.resize(nh);
    for (size_t h = 0; h < nh; ++h) {
        capacity_[h] = fleet.hosts[h].capacity;
        for (int d = 0; d < kDims; ++d)
            inverse_capacity_[h][static_cast<size_t>(d)] =
                capacity_[h][d] > 0 ? 1.0 / static_cast<double>(capacity_[h][d]) : 0.0;
        limit_[h] = limit_at(capacity_[h], max_util_ppm);
    }
    anti_id_.assign(fleet.vms.size(), -1);
    domain_of_ = anti_domains(fleet, scope);
    anti_on_.resize(2 * nh);
    std::map<std::string, int32_t> anti_ids;
    for (size_t v = 0; v < fleet.vms.size(); ++v) {
        const std::string& g = fleet.vms[v].anti_group;
        if (g.empty()) continue;
        anti_id_[v] = anti_ids.emplace(g, static_cast<int32_t>(anti_ids.size())).first->second;
    }
    for (size_t v = 0; v < fleet.vms.size(); ++v) {
        const int32_t h = fleet.vms[v].host;
        if (h != kNoHost) add_anti(static_cast<int32_t>(v), h, +1);
        host_of_[v] = h;
        if (h != kNoHost) {
            load_[static_cast<size_t>(h)] += fleet.vms[v].demand;
            vms_on_[static_cast<size_t>(h)].push_back(static_cast<int32_t>(v));
        }
    }
    headroom_.resize(nh);
    for (size_t h = 0; h < nh; ++h) headroom_[h] = limit_[h] - load_[h];
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

bool PlacementState::anti_conflict_slow(int32_t vm, int32_t h) const {
    const int32_t g = anti_id_[static_cast<size_t>(vm)];
    const int32_t dom = anti_domain(h);
    const int32_t own = host_of(vm);
    for (const auto& [id, n] : anti_on_[static_cast<size_t>(dom)])
        if (id == g) return n > (own != kNoHost && anti_domain(own) == dom ? 1 : 0);
    return false;
}

void PlacementState::add_anti(int32_t vm, int32_t h, int32_t delta) {
    const int32_t g = anti_id_[static_cast<size_t>(vm)];
    if (g < 0) return;
    auto& list = anti_on_[static_cast<size_t>(anti_domain(h))];
    for (size_t i = 0; i < list.size(); ++i) {
        if (list[i].first != g) continue;
        list[i].second += delta;
        if (list[i].second == 0) list.erase(list.begin() + static_cast<std::ptrdiff_t>(i));
        return;
    }
    FP_ASSERT(delta > 0);
    list.emplace_back(g, delta);
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

void PlacementState::set_guard(std::vector<int64_t> vm_load,
                               const std::vector<int64_t>& host_line) {
    FP_ASSERT(vm_load.size() == demand_.size() && host_line.size() == load_.size());
    guard_load_ = std::move(vm_load);
    guard_room_ = host_line;
    for (size_t v = 0; v < host_of_.size(); ++v)
        if (host_of_[v] != kNoHost) guard_room_[static_cast<size_t>(host_of_[v])] -= guard_load_[v];
    set_guard_active(guard_active_);
}

void PlacementState::set_arrival_cap(int32_t cap) {
    FP_ASSERT(cap >= 0);
    arrival_cap_ = cap;
    if (cap > 0) {
        origin_ = host_of_;
        arrived_.assign(load_.size(), 0);
    } else {
        origin_.clear();
        arrived_.clear();
    }
    set_guard_active(guard_active_);
}

void PlacementState::move(int32_t vm, int32_t to) {
    const size_t v = static_cast<size_t>(vm);
    const int32_t from = host_of_[v];
    if (from == to) return;
    const Resources& dem = demand_[v];
    if (from != kNoHost) {
        auto& list = vms_on_[static_cast<size_t>(from)];
        auto it = std::lower_bound(list.begin(), list.end(), vm);
        FP_ASSERT(it != list.end() && *it == vm);
        list.erase(it);
        load_[static_cast<size_t>(from)] -= dem;
        headroom_[static_cast<size_t>(from)] += dem;
        if (!guard_load_.empty()) guard_room_[static_cast<size_t>(from)] += guard_load_[v];
        if (arrival_cap_ > 0 && origin_[v] != kNoHost && origin_[v] != from)
            --arrived_[static_cast<size_t>(from)];
        add_anti(vm, from, -1);
    }
    if (to != kNoHost) {
        auto& list = vms_on_[static_cast<size_t>(to)];
        list.insert(std::lower_bound(list.begin(), list.end(), vm), vm);
        load_[static_cast<size_t>(to)] += dem;
        headroom_[static_cast<size_t>(to)] -= dem;
        if (!guard_load_.empty()) guard_room_[static_cast<size_t>(to)] -= guard_load_[v];
        if (arrival_cap_ > 0 && origin_[v] != kNoHost && origin_[v] != to)
            ++arrived_[static_cast<size_t>(to)];
        add_anti(vm, to, +1);
    }
    host_of_[v] = to;
}

}  // namespace fp::model
