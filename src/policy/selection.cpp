#include "src/policy/selection.hpp"

#include <algorithm>

namespace fp::policy {
namespace {

bool excluded(const std::vector<int32_t>& exclude, int32_t vm) {
    return std::find(exclude.begin(), exclude.end(), vm) != exclude.end();
}

int64_t mem_size(const model::PlacementState& s, int32_t vm) {
    return s.fleet().vms[static_cast<size_t>(vm)].mem_size_kib;
}

}  // namespace

std::vector<int32_t> ResourceConstrainedSelection::select(const model::PlacementState& state,
                                                          int32_t host,
                                                          const std::vector<int32_t>& exclude,
                                                          const PolicyContext&) const {
    std::vector<int32_t> chosen;
    model::Resources load = state.load(host);
    const model::Resources& limit = state.limit(host);
    std::vector<int32_t> pool;
    for (int32_t vm : state.vms_on(host))
        if (!excluded(exclude, vm)) pool.push_back(vm);
    while (!load.fits_within(limit) && !pool.empty()) {
        // 1) The cheapest single VM that clears every dimension's excess.
        int best = -1;
        for (size_t i = 0; i < pool.size(); ++i) {
            if (!(load - state.demand(pool[i])).fits_within(limit)) continue;
            if (best < 0 ||
                mem_size(state, pool[i]) < mem_size(state, pool[static_cast<size_t>(best)]))
                best = static_cast<int>(i);
        }
        if (best < 0) {
            // 2) Otherwise the largest consumer of the most-exceeded dimension.
            int dim = 0;
            double worst = -1;
            for (int d = 0; d < model::kDims; ++d) {
                const double excess = limit[d] > 0
                                          ? static_cast<double>(load[d] - limit[d]) / limit[d]
                                          : static_cast<double>(load[d]);
                if (excess > worst) {
                    worst = excess;
                    dim = d;
                }
            }
            for (size_t i = 0; i < pool.size(); ++i) {
                const int64_t a = state.demand(pool[i])[dim];
                if (best < 0) {
                    best = static_cast<int>(i);
                    continue;
                }
                const int32_t b = pool[static_cast<size_t>(best)];
                const int64_t bd = state.demand(b)[dim];
                if (a > bd || (a == bd && mem_size(state, pool[i]) < mem_size(state, b)))
                    best = static_cast<int>(i);
            }
        }
        const int32_t vm = pool[static_cast<size_t>(best)];
        chosen.push_back(vm);
        load -= state.demand(vm);
        pool.erase(pool.begin() + best);
    }
    if (!load.fits_within(limit)) return {};
    return chosen;
}

std::vector<int32_t> MinMigrationTimeSelection::select(const model::PlacementState& state,
                                                       int32_t host,
                                                       const std::vector<int32_t>& exclude,
                                                       const PolicyContext& ctx) const {
    std::vector<std::pair<double, int32_t>> keyed;
    for (int32_t vm : state.vms_on(host)) {
        if (excluded(exclude, vm)) continue;
        // Estimated migration time by the cost model in force (memory to copy without one).
        const auto& v = state.fleet().vms[static_cast<size_t>(vm)];
        const double mem_mib = static_cast<double>(v.mem_size_kib) / 1024.0;
        const double t =
            ctx.cost ? model::estimate_migration(mem_mib, v.dirty_rate_mibps, *ctx.cost).seconds
                     : mem_mib;
        keyed.emplace_back(t, vm);
    }
    // vms_on is in ascending index order, so a stable sort keeps index order among equals.
    std::stable_sort(keyed.begin(), keyed.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<int32_t> pool;
    for (const auto& [t, vm] : keyed) pool.push_back(vm);
    std::vector<int32_t> chosen;
    model::Resources load = state.load(host);
    for (int32_t vm : pool) {
        if (load.fits_within(state.limit(host))) break;
        chosen.push_back(vm);
        load -= state.demand(vm);
    }
    if (!load.fits_within(state.limit(host))) return {};
    return chosen;
}

}  // namespace fp::policy
