// The single-process planner: evacuation, placement of new VMs, hot-spot relief, then the goal's
// own step (consolidation by draining cold hosts, or load balancing), then wave assembly.
// Thread-safety: make_plan may run concurrently on different inputs. Determinism: the plan
// depends only on the fleet, options and policies; every tie breaks by id.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/model/traffic.hpp"
#include "src/plan/plan.hpp"
#include "src/plan/waves.hpp"
#include "src/policy/registry.hpp"

namespace fp::plan {

// Where a planner runs: on the whole fleet, on one shard of it (what it cannot do locally is
// deferred to the global step), or as the global step over the shards' leftovers.
enum class Phase { kWhole, kLocal, kGlobal };

struct PlanOptions {
    Goal goal = Goal::kAuto;
    Phase phase = Phase::kWhole;
    // Hosts per shard for the sharded planner (plan/sharded.hpp); 0 = the whole fleet is one.
    int32_t shard_hosts = 1024;
    // Phase kGlobal: moves already made by the shards, applied before planning (vm, host); those
    // VMs stay where these put them.
    std::vector<std::pair<int32_t, int32_t>> preapplied;
    int64_t budget_mem_kib = -1;  // absolute memory budget (overrides budget_mem_frac when >= 0)
    int64_t max_util_ppm = 900000;
    std::vector<int32_t> evacuate;    // host indices to empty (besides hosts in maintenance)
    int64_t budget_migrations = -1;   // -1: no limit
    double budget_mem_frac = -1.0;    // fraction of all VMs' memory that may move; -1: no limit
    double balance_tolerance = 0.05;  // balance stops when max − min host utilisation ≤ this
    double balance_min_gain = 0.01;   // a balance move must lower the pair's peak by this much
    double balance_mem_frac = 0.2;    // balance moves at most this fraction of all VM memory
    int64_t cooldown_s = 3600;        // a VM moved by the previous plan stays this long
    bool consolidate_alternatives = true;  // consolidate also tries dot-product placement
    // [plan] placement_guard = "trigger": no target whose trigger forecast would call it hot
    // with the VM added (TriggerPolicy::forecast_guard); "none": max-util only.
    bool placement_guard = false;
    // [plan] max_arrivals: at most this many migrations into one host per plan for work that can
    // wait (consolidation, balance, relief of a host hot only by forecast), so the plan's moves
    // spread over targets and run in parallel waves; VMs that must move may exceed it. 0: none.
    int32_t max_arrivals = 0;
    // [plan] improve: work units (candidate moves evaluated) of the improvement phase after a
    // consolidation or a balance, per shard and variant; 0: off.
    int64_t improve = 0;
    CrossSite cross_site = CrossSite::kNever;
    model::AntiScope anti_scope = model::AntiScope::kHost;  // [plan] anti_group_scope
    // Consolidation drains a host only when the energy its idle power costs over this horizon
    // exceeds the energy price of copying its VMs' memory away.
    double horizon_s = 86400.0;
    double move_wh_per_gib = 5.0;  // energy price of one GiB migrated (both ends, network)
    // false ([plan] migration_limits = "flag"): moves beyond [migration]'s limits are planned
    // for any work and only flagged.
    bool enforce_migration_limits = true;
    // --window: the schedule (at the wave limits) should end within this many seconds; optional
    // moves that would push it past are left out. <= 0: no window.
    double window_s = 0;
    uint64_t seed = 1;
    int64_t now_s = -1;                       // --now (seconds since the epoch), -1 if not given
    std::vector<uint8_t> frozen;              // per VM: in cooldown (--previous), do not move
    const model::History* history = nullptr;  // --history
    const model::Traffic* traffic = nullptr;  // --traffic
    WaveLimits waves;
    model::MigrationCostConfig cost;
};

struct PhaseTimes {
    double parse = 0, detect = 0, select = 0, place = 0, resolve = 0, write = 0;
};

// The whole pipeline in one process: shards (plan/sharded.hpp), the global step, waves and cost
// estimates. The plan indexes `fleet`.
Plan make_plan(const model::Fleet& fleet, const PlanOptions& options,
               const policy::PolicySet& policies, PhaseTimes& times);

// The decisions alone for one fleet (or shard) in the order they were made: no waves, no cost
// estimates (resolve_plan adds them). Honours options.phase.
Plan decide_plan(const model::Fleet& fleet, const PlanOptions& options,
                 const policy::PolicySet& policies, PhaseTimes& times);

// Waves, cost estimates, output order and estimated start times for decisions that are
// feasible in sequence.
void resolve_plan(const model::Fleet& fleet, Plan& plan, const PlanOptions& options);

// Sets Move::est_start_s of moves in output order (plan/schedule.hpp under `limits`); returns
// the estimated makespan.
double schedule_moves(std::vector<Move>& moves, const WaveLimits& limits);

}  // namespace fp::plan
