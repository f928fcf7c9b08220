#include "src/plan/lower_bound.hpp"

#include <algorithm>
#include <functional>
#include <map>
#include <string>

namespace fp::plan {
namespace {

// The fewest of `hosts` (eligible ones), largest limits first, covering `demand` in every
// dimension; all of them when they fall short.
int64_t cover(const model::Fleet& fleet, const std::vector<int32_t>& hosts,
              const model::Resources& demand, int64_t max_util_ppm) {
    int64_t bound = 0;
    std::vector<int64_t> limits;
    limits.reserve(hosts.size());
    for (int d = 0; d < model::kDims; ++d) {
        limits.clear();
        for (int32_t h : hosts)
            limits.push_back(
                model::limit_at(fleet.hosts[static_cast<size_t>(h)].capacity[d], max_util_ppm));
        std::sort(limits.begin(), limits.end(), std::greater<>());
        __int128 covered = 0;
        int64_t count = 0;
        for (int64_t lim : limits) {
            if (covered >= demand[d]) break;
            covered += lim;
            ++count;
        }
        bound = std::max(bound, count);
    }
    return bound;
}

}  // namespace

int64_t lower_bound_hosts(const model::Fleet& fleet, const std::vector<uint8_t>& eligible,
                          int64_t max_util_ppm, CrossSite cross_site) {
    std::vector<int32_t> all;
    for (size_t h = 0; h < fleet.hosts.size(); ++h)
        if (eligible[h]) all.push_back(static_cast<int32_t>(h));
    const int64_t fleet_wide = cover(fleet, all, fleet.total_demand(), max_util_ppm);
    if (cross_site == CrossSite::kAllow) return fleet_wide;
    std::map<std::string, std::pair<std::vector<int32_t>, model::Resources>> sites;
    for (int32_t h : all) sites[fleet.hosts[static_cast<size_t>(h)].site].first.push_back(h);
    for (const model::Vm& vm : fleet.vms) {
        if (vm.is_new()) continue;
        const auto h = static_cast<size_t>(vm.host);
        if (cross_site == CrossSite::kEvacuations && !eligible[h]) continue;
        sites[fleet.hosts[h].site].second += vm.demand;
    }
    int64_t per_site = 0;
    for (const auto& [site, hd] : sites)
        per_site += cover(fleet, hd.first, hd.second, max_util_ppm);
    return std::max(fleet_wide, per_site);
}

}  // namespace fp::plan
