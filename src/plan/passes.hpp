// The planner's passes, each a step of a plan over one PlannerState (plan/planner_state.hpp);
// plan/planner.cpp runs them in each goal's order. Internal to the planner.
// Thread-safety: a pass touches only the state it is given. Determinism: ties break by id.
#pragma once

#include <cstdint>
#include <vector>

#include "src/plan/planner.hpp"
#include "src/plan/planner_state.hpp"

namespace fp::plan::detail {

// Counts work units (candidate moves evaluated) against the limit of an improvement phase.
class WorkMeter {
  public:
    explicit WorkMeter(int64_t limit) : limit_(limit) {}
    // Charges one unit; false (and nothing charged) once the limit is reached.
    bool charge() {
        if (used_ >= limit_) return false;
        ++used_;
        return true;
    }
    bool exhausted() const { return used_ >= limit_; }
    int64_t used() const { return used_; }

  private:
    int64_t limit_;
    int64_t used_ = 0;
};

// pass_evacuate.cpp: the mandatory moves. VMs leave the hosts being evacuated, largest first;
// new VMs are placed, largest first. What cannot move is deferred (a shard) or unresolved.
void evacuate(PlannerState& s, const std::vector<int32_t>& hosts);
void place_new(PlannerState& s, std::vector<int32_t> vms);

// pass_relieve.cpp: relieves the trigger's hot spots first, then any other host above max-util
// (the plan guarantees max-util whatever the trigger's thresholds).
void relieve_hotspots(PlannerState& s, std::vector<int32_t> hot, PhaseTimes& times, Stopwatch& sw);

// pass_consolidate.cpp: goal auto drains the trigger's cold spots; goal consolidate under a
// budget drains the hosts cheapest to empty first; goal consolidate repacks the whole fleet
// into the hosts it keeps (ranked by `keep_order`: 0 capacity alike in every dimension, 1
// weighted by the fleet's demand/capacity ratio, 2 the scarcest dimension alone), then
// drain_kept drains kept hosts into the other kept hosts.
void consolidate_cold(PlannerState& s, std::vector<int32_t> cold);
void consolidate_cheapest_first(PlannerState& s, std::vector<int32_t> hosts);
void consolidate_all(PlannerState& s, int keep_order, const std::vector<int32_t>& evac_hosts,
                     const std::vector<int32_t>& new_vms);
void drain_kept(PlannerState& s);
// Is emptying the host worth what copying its VMs away costs (plan.horizon_s, move_wh_per_gib)?
bool worth_draining(const PlannerState& s, int32_t h);
// Is emptying the host worth copying `kib` of VM memory (the same price)?
bool worth_moving(const PlannerState& s, int32_t h, int64_t kib);
// Consolidation moves off hosts that still run VMs are taken back where that stays feasible.
void undo_partial_drains(PlannerState& s);

// pass_improve.cpp: after a consolidation, the improvement phase ([plan] improve work units,
// each a candidate move evaluated): takes back moves that free nothing, then empties one more
// host at a time, cheapest in memory first, by moving its VMs into the hosts that stay on, a
// VM that fits nowhere by ejecting a VM of a target host into a third host. Keeps max-util,
// anti-affinity, sites, migration limits and budgets; a host is emptied only when worth its
// drain price. Deterministic: host order by index and id, no randomness.
void improve_consolidation(PlannerState& s, int64_t work_limit);

// pass_separate.cpp: members of one anti-affinity group that share a host (or rack) are
// separated.
void separate_anti_affinity(PlannerState& s);

// pass_balance.cpp: moves single VMs from the most to the least utilised host.
void balance(PlannerState& s);

// pass_improve_balance.cpp: after a balance, the improvement phase ([plan] improve work units):
// lowers the sum of squared deviations of the hosts' dominant share from their mean (per site
// when sites bound the plan) by sending the greedy's balance moves to better targets or home,
// adding moves off the hottest hosts onto the coldest with the memory left, and sending home
// the balance move that lowers it least per GiB when its memory pays for a move that lowers it
// more.
// Keeps max-util, anti-affinity, sites, migration limits, budgets, balance_mem_frac and every
// move feasible in sequence. Deterministic: hosts by utilisation then id, no randomness.
void improve_balance(PlannerState& s, int64_t work_limit);

// pass_grow.cpp: VMs allotted less than they ask for grow in place where the host has room.
void grow_allocations(PlannerState& s);

}  // namespace fp::plan::detail
