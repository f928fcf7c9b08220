#include "src/model/fleet.hpp"

#include <cmath>

namespace fp::model {

std::string_view to_string(HostState s) {
    switch (s) {
        case HostState::kActive:
            return "active";
        case HostState::kMaintenance:
            return "maintenance";
        case HostState::kOff:
            return "off";
    }
    return "active";
}

std::optional<HostState> parse_host_state(std::string_view s) {
    if (s.empty() || s == "active") return HostState::kActive;
    if (s == "maintenance") return HostState::kMaintenance;
    if (s == "off") return HostState::kOff;
    return std::nullopt;
}

void Fleet::index() {
    host_by_id_.build(hosts.size(), [this](size_t i) -> std::string_view { return hosts[i].id; });
    vm_by_id_.clear();
    vm_map_built_ = false;
}

std::optional<int32_t> Fleet::host_index(std::string_view id) const { return host_by_id_.find(id); }

std::optional<int32_t> Fleet::vm_index(std::string_view id) const {
    if (!vm_map_built_) {
        vm_by_id_.build(vms.size(), [this](size_t i) -> std::string_view { return vms[i].id; });
        vm_map_built_ = true;
    }
    return vm_by_id_.find(id);
}

std::vector<Resources> Fleet::host_loads() const {
    std::vector<Resources> load(hosts.size());
    for (const Vm& vm : vms)
        if (!vm.is_new()) load[static_cast<size_t>(vm.host)] += vm.demand;
    return load;
}

Resources Fleet::total_demand() const {
    Resources total;
    for (const Vm& vm : vms) total += vm.demand;
    return total;
}

Resources limit_at(const Resources& capacity, int64_t util_ppm) {
    Resources r;
    for (int d = 0; d < kDims; ++d) r[d] = limit_at(capacity[d], util_ppm);
    return r;
}

int64_t to_ppm(double fraction) { return static_cast<int64_t>(std::llround(fraction * 1e6)); }

}  // namespace fp::model
