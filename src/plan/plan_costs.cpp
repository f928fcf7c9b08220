#include "src/plan/plan_costs.hpp"

#include <algorithm>
#include <map>
#include <tuple>
#include <vector>

namespace fp::plan {

void estimate_plan_costs(const model::Fleet& fleet, std::vector<Move>& moves,
                         const model::MigrationCostConfig& cfg) {
    // Migrations in flight per (wave, host), as source or target: every (wave, host) key once
    // per migration touching it, sorted, so a key's count is the length of its run (one sort
    // instead of a hash map with an entry per key).
    auto key = [](int32_t step, int32_t host) { return (int64_t{step} << 32) | uint32_t(host); };
    std::vector<int64_t> keys;
    keys.reserve(2 * moves.size());
    for (const Move& m : moves) {
        if (m.source < 0) continue;
        keys.push_back(key(m.step, m.source));
        keys.push_back(key(m.step, m.target));
    }
    std::sort(keys.begin(), keys.end());
    auto busy = [&](int64_t k) {
        const auto [lo, hi] = std::equal_range(keys.begin(), keys.end(), k);
        return static_cast<int32_t>(hi - lo);
    };
    // Gang members: the same group, wave, source and target; the first by VM id pays in full.
    std::map<std::tuple<int32_t, int32_t, int32_t, std::string>, std::vector<size_t>> gangs;
    for (size_t i = 0; i < moves.size(); ++i) {
        const Move& m = moves[i];
        const std::string& g = fleet.vms[static_cast<size_t>(m.vm)].group;
        if (m.source < 0 || g.empty()) continue;
        gangs[{m.step, m.source, m.target, g}].push_back(i);
    }
    std::vector<uint8_t> shares_pages(moves.size(), 0);
    for (auto& [k, members] : gangs) {
        if (members.size() < 2) continue;
        std::sort(members.begin(), members.end(), [&](size_t a, size_t b) {
            return fleet.vms[static_cast<size_t>(moves[a].vm)].id <
                   fleet.vms[static_cast<size_t>(moves[b].vm)].id;
        });
        for (size_t j = 1; j < members.size(); ++j) shares_pages[members[j]] = 1;
    }
    for (size_t i = 0; i < moves.size(); ++i) {
        Move& m = moves[i];
        if (m.source < 0) {
            m.estimate = model::MigrationEstimate{};
            continue;
        }
        const model::Vm& vm = fleet.vms[static_cast<size_t>(m.vm)];
        const int32_t sharers = std::max(busy(key(m.step, m.source)), busy(key(m.step, m.target)));
        const double bw =
            std::min(cfg.bandwidth_mibps, cfg.host_bandwidth_mibps / std::max(1, sharers));
        double mem_mib = static_cast<double>(vm.mem_size_kib) / 1024.0;
        if (shares_pages[i]) mem_mib *= 1.0 - cfg.gang_shared_fraction;
        m.estimate = estimate_move(fleet, m.vm, m.source, m.target, bw, mem_mib, cfg);
        m.flags = limit_flags(m.estimate, cfg);
    }
}

model::MigrationEstimate estimate_move(const model::Fleet& fleet, int32_t vm_index, int32_t source,
                                       int32_t target, double bw, double mem_mib,
                                       const model::MigrationCostConfig& cfg) {
    const model::Vm& vm = fleet.vms[static_cast<size_t>(vm_index)];
    const std::string& sa = fleet.hosts[static_cast<size_t>(source)].site;
    const std::string& sb = fleet.hosts[static_cast<size_t>(target)].site;
    if (sa == sb) return model::estimate_migration_at(mem_mib, vm.dirty_rate_mibps, bw, cfg);
    const auto pair = cfg.wan(sa, sb);
    bw = std::min(bw, pair.bandwidth_mibps);
    const double disk_mib = static_cast<double>(vm.disk_kib) / 1024.0;
    model::MigrationEstimate e =
        model::estimate_migration_at(mem_mib, vm.dirty_rate_mibps, bw, cfg);
    e.seconds += disk_mib / bw + pair.reconfig_s;
    e.downtime_ms += pair.reconfig_s * 1000.0;
    e.sent_mib += disk_mib;
    return e;
}

double admission_bandwidth(const model::MigrationCostConfig& cfg, int32_t max_per_host) {
    return std::min(cfg.bandwidth_mibps, cfg.host_bandwidth_mibps / std::max(1, max_per_host));
}

}  // namespace fp::plan
