#include "src/plan/replan.hpp"

#include <algorithm>

namespace fp::plan {

FleetChanges fleet_changes(const model::Fleet& prev, const model::Fleet& now) {
    FleetChanges c;
    for (const auto& h : now.hosts) {
        auto p = prev.host_index(h.id);
        if (!p) {
            c.hosts_added.push_back(h.id);
        } else if (h.state == model::HostState::kMaintenance &&
                   prev.hosts[static_cast<size_t>(*p)].state != model::HostState::kMaintenance) {
            c.hosts_entered_maintenance.push_back(h.id);
        }
    }
    for (const auto& h : prev.hosts)
        if (!now.host_index(h.id)) c.hosts_removed.push_back(h.id);
    for (const auto& v : now.vms) c.new_vms += v.is_new() ? 1 : 0;
    for (auto* v : {&c.hosts_added, &c.hosts_removed, &c.hosts_entered_maintenance})
        std::sort(v->begin(), v->end());
    return c;
}

bool cooling_down(int64_t prev_now_s, int64_t now_s, int64_t cooldown_s) {
    return prev_now_s < 0 || now_s < 0 || now_s - prev_now_s < cooldown_s;
}

std::vector<uint8_t> cooldown_frozen(const std::vector<std::string>& moved_ids,
                                     const model::Fleet& now, bool cooling) {
    std::vector<uint8_t> frozen(now.vms.size(), 0);
    if (!cooling) return frozen;
    for (const std::string& id : moved_ids)
        if (auto v = now.vm_index(id)) frozen[static_cast<size_t>(*v)] = 1;
    return frozen;
}

}  // namespace fp::plan
