// Migration cost models: how long a move takes, how long the VM is paused, how much is sent.
//  suspend-copy: pause, copy all memory, resume (downtime = total time).
//  pre-copy:     iterative rounds resend what was dirtied during the previous round, until the
//                remainder fits the downtime budget, rounds stop shrinking or the round limit;
//                then stop-and-copy. Non-convergence falls back to post-copy or stop-and-copy.
//  post-copy:    move the CPU state, then pull memory on demand (fault overhead).
// Pure functions; thread-safe.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "src/util/result.hpp"

namespace fp::model {

enum class CostModel { kSuspendCopy, kPreCopy, kPostCopy };
enum class PrecopyFallback { kPostCopy, kStopCopy };

struct MigrationCostConfig {
    CostModel model = CostModel::kPreCopy;
    double bandwidth_mibps = 1000.0;  // per migration
    double max_downtime_ms = 300.0;   // pre-copy stop condition
    int max_rounds = 30;
    double min_shrink = 0.9;  // a round must leave < min_shrink × the previous remainder
    PrecopyFallback fallback = PrecopyFallback::kPostCopy;
    double postcopy_fault_overhead = 0.15;  // extra fraction of transfer time for page faults
    double cpu_state_ms = 20.0;             // downtime of a post-copy switch-over
    // Concurrent migrations on one host share its migration bandwidth.
    double host_bandwidth_mibps = 2000.0;
    // Gang migration: this fraction of a group member's memory is shared with the group's other
    // members moving in the same wave between the same hosts, and is sent once.
    double gang_shared_fraction = 0.2;
    // Wide-area moves (source and target in different sites): local disk plus memory over the
    // WAN bandwidth, plus a network reconfiguration delay (added to time and downtime).
    double wan_bandwidth_mibps = 100.0;
    double wan_reconfig_s = 5.0;
    // A migration estimated to take longer is over the limit (dispatch's --timeout default);
    // 0: no limit.
    double timeout_s = 600.0;
    struct SitePair {
        double bandwidth_mibps = 0;
        double reconfig_s = 0;
    };
    std::map<std::pair<std::string, std::string>, SitePair> site_pairs;  // (a, b) with a < b

    // The WAN parameters between two sites (the pair's own, else the defaults).
    SitePair wan(const std::string& a, const std::string& b) const;
};

struct MigrationEstimate {
    double seconds = 0;
    double downtime_ms = 0;
    double sent_mib = 0;
    int rounds = 0;
    bool converged = true;  // false: pre-copy did not converge and the fallback was used
};

MigrationEstimate estimate_migration(double mem_mib, double dirty_rate_mibps,
                                     const MigrationCostConfig& cfg);
// The same at a given bandwidth (a share of the host's, or the WAN's).
MigrationEstimate estimate_migration_at(double mem_mib, double dirty_rate_mibps,
                                        double bandwidth_mibps, const MigrationCostConfig& cfg);

std::string to_string(CostModel m);
Result<CostModel> parse_cost_model(const std::string& s);
std::string to_string(PrecopyFallback f);
Result<PrecopyFallback> parse_fallback(const std::string& s);

}  // namespace fp::model
