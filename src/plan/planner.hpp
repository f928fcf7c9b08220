// The single-process planner: evacuation, placement of new VMs, hot-spot relief, then the goal's
// own step (consolidation by draining cold hosts, or load balancing), then wave assembly.
// Thread-safety: make_plan may run concurrently on different inputs. Determinism: the plan
// depends only on the fleet, options and policies; every tie breaks by id.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/model/traffic.hpp"
#include "src/plan/plan.hpp"
#include "src/plan/waves.hpp"
#include "src/policy/registry.hpp"

namespace fp::plan {

struct PlanOptions {
    Goal goal = Goal::kAuto;
    int64_t max_util_ppm = 900000;
    std::vector<int32_t> evacuate;    // host indices to empty (besides hosts in maintenance)
    int64_t budget_migrations = -1;   // -1: no limit
    double budget_mem_frac = -1.0;    // fraction of all VMs' memory that may move; -1: no limit
    double balance_tolerance = 0.05;  // balance stops when max − min host utilisation ≤ this
    double balance_min_gain = 0.01;   // a balance move must lower the pair's peak by this much
    double balance_mem_frac = 0.2;    // balance moves at most this fraction of all VM memory
    int64_t cooldown_s = 3600;        // a VM moved by the previous plan stays this long
    bool consolidate_alternatives = true;  // consolidate also tries dot-product placement
    uint64_t seed = 1;
    int64_t now_s = -1;                       // --now (seconds since the epoch), -1 if not given
    std::vector<uint8_t> frozen;              // per VM: in cooldown (--previous), do not move
    const model::History* history = nullptr;  // --history
    const model::Traffic* traffic = nullptr;  // --traffic
    WaveLimits waves;
    MigrationCostConfig cost;
};

struct PhaseTimes {
    double parse = 0, detect = 0, select = 0, place = 0, resolve = 0, write = 0;
};

Plan make_plan(const model::Fleet& fleet, const PlanOptions& options,
               const policy::PolicySet& policies, PhaseTimes& times);

}  // namespace fp::plan
