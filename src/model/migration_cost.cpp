#include "src/model/migration_cost.hpp"

#include <algorithm>

#include "src/util/text.hpp"

namespace fp::model {

MigrationCostConfig::SitePair MigrationCostConfig::wan(const std::string& a,
                                                       const std::string& b) const {
    auto it = site_pairs.find(a < b ? std::pair{a, b} : std::pair{b, a});
    if (it != site_pairs.end()) return it->second;
    return SitePair{wan_bandwidth_mibps, wan_reconfig_s};
}

MigrationEstimate estimate_migration(double mem_mib, double dirty_rate_mibps,
                                     const MigrationCostConfig& cfg) {
    return estimate_migration_at(mem_mib, dirty_rate_mibps, cfg.bandwidth_mibps, cfg);
}

MigrationEstimate estimate_migration_at(double mem_mib, double dirty_rate_mibps, double bw,
                                        const MigrationCostConfig& cfg) {
    MigrationEstimate e;
    switch (cfg.model) {
        case CostModel::kSuspendCopy:
            e.seconds = mem_mib / bw;
            e.downtime_ms = e.seconds * 1000.0;
            e.sent_mib = mem_mib;
            e.rounds = 1;
            return e;
        case CostModel::kPostCopy:
            e.seconds = mem_mib / bw * (1.0 + cfg.postcopy_fault_overhead);
            e.downtime_ms = cfg.cpu_state_ms;
            e.sent_mib = mem_mib;
            e.rounds = 1;
            return e;
        case CostModel::kPreCopy:
            break;
    }
    double remaining = mem_mib;  // what the next round sends
    const double budget_mib = cfg.max_downtime_ms / 1000.0 * bw;
    for (int round = 0; round < cfg.max_rounds; ++round) {
        const double t = remaining / bw;
        e.seconds += t;
        e.sent_mib += remaining;
        e.rounds = round + 1;
        const double dirtied = std::min(mem_mib, dirty_rate_mibps * t);
        if (dirtied <= budget_mib) {
            // Stop-and-copy of the last dirty set.
            e.seconds += dirtied / bw;
            e.sent_mib += dirtied;
            e.downtime_ms = dirtied / bw * 1000.0;
            return e;
        }
        const bool shrinking = dirtied < cfg.min_shrink * remaining;
        remaining = dirtied;
        if (!shrinking) break;
    }
    e.converged = false;
    if (cfg.fallback == PrecopyFallback::kPostCopy) {
        e.seconds += remaining / bw * (1.0 + cfg.postcopy_fault_overhead);
        e.sent_mib += remaining;
        e.downtime_ms = cfg.cpu_state_ms;
    } else {
        e.seconds += remaining / bw;
        e.sent_mib += remaining;
        e.downtime_ms = remaining / bw * 1000.0;
    }
    return e;
}

std::string to_string(CostModel m) {
    switch (m) {
        case CostModel::kSuspendCopy:
            return "suspend-copy";
        case CostModel::kPreCopy:
            return "pre-copy";
        case CostModel::kPostCopy:
            return "post-copy";
    }
    return "pre-copy";
}

Result<CostModel> parse_cost_model(const std::string& s) {
    if (s == "suspend-copy") return CostModel::kSuspendCopy;
    if (s == "pre-copy") return CostModel::kPreCopy;
    if (s == "post-copy") return CostModel::kPostCopy;
    return bad_input("migration.model: unknown model " + in_quotes(s) +
                     " (valid: suspend-copy, pre-copy, post-copy)");
}

std::string to_string(PrecopyFallback f) {
    return f == PrecopyFallback::kPostCopy ? "post-copy" : "stop-copy";
}

Result<PrecopyFallback> parse_fallback(const std::string& s) {
    if (s == "post-copy") return PrecopyFallback::kPostCopy;
    if (s == "stop-copy") return PrecopyFallback::kStopCopy;
    return bad_input("migration.fallback: unknown fallback " + in_quotes(s) +
                     " (valid: post-copy, stop-copy)");
}

}  // namespace fp::model
