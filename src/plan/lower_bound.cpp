#include "src/plan/lower_bound.hpp"

#include <algorithm>
#include <functional>

namespace fp::plan {

int64_t lower_bound_hosts(const model::Fleet& fleet, const std::vector<uint8_t>& eligible,
                          int64_t max_util_ppm) {
    const model::Resources total = fleet.total_demand();
    int64_t bound = 0;
    std::vector<int64_t> limits;
    limits.reserve(fleet.hosts.size());
    for (int d = 0; d < model::kDims; ++d) {
        limits.clear();
        for (size_t h = 0; h < fleet.hosts.size(); ++h)
            if (eligible[h])
                limits.push_back(model::limit_at(fleet.hosts[h].capacity[d], max_util_ppm));
        std::sort(limits.begin(), limits.end(), std::greater<>());
        __int128 covered = 0;
        int64_t count = 0;
        for (int64_t lim : limits) {
            if (covered >= total[d]) break;
            covered += lim;
            ++count;
        }
        bound = std::max(bound, count);
    }
    return bound;
}

}  // namespace fp::plan
