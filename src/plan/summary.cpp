#include "src/plan/summary.hpp"

#include <algorithm>

#include "src/plan/lower_bound.hpp"

namespace fp::plan {

std::vector<uint8_t> eligible_hosts(const model::Fleet& fleet, const PlanOptions& options) {
    std::vector<uint8_t> eligible(fleet.hosts.size(), 1);
    for (size_t h = 0; h < fleet.hosts.size(); ++h)
        if (fleet.hosts[h].state == model::HostState::kMaintenance) eligible[h] = 0;
    for (int32_t h : options.evacuate) eligible[static_cast<size_t>(h)] = 0;
    return eligible;
}

PlanSummary summarize(const model::Fleet& fleet, const Plan& plan, const PlanOptions& options) {
    PlanSummary s;
    s.hosts = static_cast<int64_t>(fleet.hosts.size());
    s.vms = static_cast<int64_t>(fleet.vms.size());
    std::vector<model::Resources> load = fleet.host_loads();
    std::vector<int64_t> count(fleet.hosts.size(), 0);
    for (const auto& vm : fleet.vms)
        if (!vm.is_new()) ++count[static_cast<size_t>(vm.host)];
    auto overloaded = [&](size_t h) {
        return !load[h].fits_within(model::limit_at(fleet.hosts[h].capacity, options.max_util_ppm));
    };
    const std::vector<uint8_t> eligible = eligible_hosts(fleet, options);
    std::vector<uint8_t> on(fleet.hosts.size(), 0);
    for (size_t h = 0; h < fleet.hosts.size(); ++h)
        on[h] = eligible[h] && fleet.hosts[h].state != model::HostState::kOff;
    auto spread = [&] {
        double lo = 2, hi = 0;
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            if (!on[h]) continue;
            double u = 0;
            for (int d = 0; d < model::kDims; ++d)
                u = std::max(u, static_cast<double>(load[h][d]) /
                                    static_cast<double>(fleet.hosts[h].capacity[d]));
            lo = std::min(lo, u);
            hi = std::max(hi, u);
        }
        return hi >= lo ? hi - lo : 0.0;
    };
    s.spread_before = spread();
    std::vector<uint8_t> active_before(fleet.hosts.size(), 0);
    for (size_t h = 0; h < fleet.hosts.size(); ++h) {
        active_before[h] = count[h] > 0;
        s.active_hosts_before += active_before[h];
        s.overloaded_before += overloaded(h);
    }
    for (const Move& m : plan.moves) {
        const auto& vm = fleet.vms[static_cast<size_t>(m.vm)];
        if (m.source >= 0) {
            ++s.migrations;
            s.moved_mem_mib += static_cast<double>(vm.mem_size_kib) / 1024.0;
            load[static_cast<size_t>(m.source)] -= vm.demand;
            --count[static_cast<size_t>(m.source)];
            s.est_migration_seconds += m.estimate.seconds;
            s.est_makespan_seconds =
                std::max(s.est_makespan_seconds, m.est_start_s + m.estimate.seconds);
            s.max_downtime_ms = std::max(s.max_downtime_ms, m.estimate.downtime_ms);
            s.nonconvergent += (m.flags & kFlagNonConvergent) != 0;
            s.over_downtime += (m.flags & kFlagOverDowntime) != 0;
            s.over_timeout += (m.flags & kFlagOverTimeout) != 0;
            s.flagged += m.flags != 0;
            const std::string& sa = fleet.hosts[static_cast<size_t>(m.source)].site;
            const std::string& sb = fleet.hosts[static_cast<size_t>(m.target)].site;
            if (sa != sb) s.cross_site.push_back({vm.id, sa, sb});
        } else {
            ++s.placements;
        }
        load[static_cast<size_t>(m.target)] += vm.demand;
        ++count[static_cast<size_t>(m.target)];
        s.waves = std::max(s.waves, m.step);
    }
    for (int32_t h : plan.powered_on) on[static_cast<size_t>(h)] = 1;
    s.spread_after = spread();
    for (size_t h = 0; h < fleet.hosts.size(); ++h) {
        s.active_hosts_after += count[h] > 0;
        s.overloaded_after += overloaded(h);
        if (active_before[h] && count[h] == 0) s.freed_hosts.push_back(fleet.hosts[h].id);
        if (!eligible[h] && active_before[h]) {
            ++s.evacuating_hosts;
            s.evacuated_hosts += count[h] == 0;
        }
    }
    std::sort(s.freed_hosts.begin(), s.freed_hosts.end());
    for (int32_t h : plan.powered_on)
        s.powered_on_hosts.push_back(fleet.hosts[static_cast<size_t>(h)].id);
    s.lower_bound_hosts =
        lower_bound_hosts(fleet, eligible, options.max_util_ppm, options.cross_site);
    return s;
}

}  // namespace fp::plan
