// Headline figures of a plan (summary.json, checkpoint, the demo's printout), recomputed from
// the fleet and the plan by replaying the moves.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/planner.hpp"

namespace fp::plan {

struct PlanSummary {
    int64_t hosts = 0;
    int64_t vms = 0;
    int64_t migrations = 0;  // moves of running VMs
    int64_t placements = 0;  // new VMs placed
    int32_t waves = 0;
    int64_t active_hosts_before = 0;
    int64_t active_hosts_after = 0;
    int64_t lower_bound_hosts = 0;
    int64_t overloaded_before = 0;
    int64_t overloaded_after = 0;
    std::vector<std::string> freed_hosts;       // ascending id
    std::vector<std::string> powered_on_hosts;  // ascending id
    double moved_mem_mib = 0;
    double est_migration_seconds = 0;  // sum over migrations
    double est_makespan_seconds = 0;   // sum over waves of the longest migration in the wave
    double max_downtime_ms = 0;
    int64_t nonconvergent = 0;  // pre-copy estimates that needed the fallback
    // Moves that break a [migration] limit (flags), by limit; a move may break several.
    int64_t flagged = 0;
    int64_t over_downtime = 0;
    int64_t over_timeout = 0;
    struct CrossSiteMove {
        std::string vm, source_site, target_site;
    };
    std::vector<CrossSiteMove> cross_site;  // in plan order
    // Utilisation spread (max − min of each host's most-used dimension) over the hosts that are
    // on and may hold VMs, before and after the plan.
    double spread_before = 0;
    double spread_after = 0;
    int64_t evacuating_hosts = 0;  // in maintenance or given with --evacuate, holding VMs before
    int64_t evacuated_hosts = 0;   // of them, empty after the plan
};

PlanSummary summarize(const model::Fleet& fleet, const Plan& plan, const PlanOptions& options);

// Hosts that may hold VMs after the plan: not in maintenance and not being evacuated.
std::vector<uint8_t> eligible_hosts(const model::Fleet& fleet, const PlanOptions& options);

}  // namespace fp::plan
