// Migration cost models: how long a move takes, how long the VM is paused, how much is sent.
//  suspend-copy: pause, copy all memory, resume (downtime = total time).
//  pre-copy:     iterative rounds resend what was dirtied during the previous round, until the
//                remainder fits the downtime budget, rounds stop shrinking or the round limit;
//                then stop-and-copy. Non-convergence falls back to post-copy or stop-and-copy.
//  post-copy:    move the CPU state, then pull memory on demand (fault overhead).
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "src/util/result.hpp"

namespace fp::plan {

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

std::string to_string(CostModel m);
Result<CostModel> parse_cost_model(const std::string& s);
std::string to_string(PrecopyFallback f);
Result<PrecopyFallback> parse_fallback(const std::string& s);

}  // namespace fp::plan
