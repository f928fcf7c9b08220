#include <algorithm>
#include <map>
#include <string>

#include "src/plan/passes.hpp"

namespace fp::plan::detail {

// Members of one anti-affinity group that already share a host: all but the one with the
// lowest id leave (to the placement policy's choice, which never reunites them).
void separate_anti_affinity(PlannerState& s) {
    // Domains (hosts, or racks) in the order of their first host by id.
    std::map<int32_t, size_t> slot;
    std::vector<std::vector<int32_t>> domains;
    for (int32_t h : s.state_.hosts_by_id()) {
        const auto [it, fresh] = slot.emplace(s.state_.anti_domain(h), domains.size());
        if (fresh) domains.emplace_back();
        domains[it->second].push_back(h);
    }
    const char* where = s.opt_.anti_scope == model::AntiScope::kRack ? "rack" : "host";
    for (const std::vector<int32_t>& hosts : domains) {
        std::vector<int32_t> vms;
        for (int32_t h : hosts)
            for (int32_t vm : s.state_.vms_on(h))
                if (s.state_.anti_id(vm) >= 0) vms.push_back(vm);
        std::sort(vms.begin(), vms.end(), [&](int32_t a, int32_t b) {
            return s.fleet_.vms[static_cast<size_t>(a)].id <
                   s.fleet_.vms[static_cast<size_t>(b)].id;
        });
        std::vector<int32_t> seen;
        for (int32_t vm : vms) {
            const int32_t g = s.state_.anti_id(vm);
            const int32_t h = s.state_.host_of(vm);
            if (std::find(seen.begin(), seen.end(), g) == seen.end()) {
                seen.push_back(g);
                continue;
            }
            const std::string shares = std::string("shares the ") + where +
                                       " with another member of anti_group '" +
                                       s.fleet_.vms[static_cast<size_t>(vm)].anti_group + "'";
            if (!s.movable(vm) || !s.within_budget(1, s.mem_of(vm))) {
                s.plan_.unresolved.push_back({h, vm, shares + " and may not move now"});
                continue;
            }
            auto t = s.choose(vm, true, /*must=*/true);
            if (!t) {
                s.plan_.unresolved.push_back({h, vm, shares + ": " + s.why_unplaceable(vm)});
                continue;
            }
            s.record(vm, *t, MoveReason::kAntiAffinity);
        }
    }
}

}  // namespace fp::plan::detail
