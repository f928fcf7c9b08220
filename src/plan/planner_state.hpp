// The planner's state and the operations every pass shares (plan/passes.hpp holds the passes,
// plan/planner.cpp the order in which each goal runs them). Internal to the planner.
// Thread-safety: one PlannerState per planner run; none of it is shared between threads.
// Determinism: every choice made here breaks ties by id, never by address or thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/placement_state.hpp"
#include "src/plan/plan.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"

namespace fp::plan::detail {

class Stopwatch {
  public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double lap() {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - start_).count();
        start_ = now;
        return s;
    }

  private:
    std::chrono::steady_clock::time_point start_;
};

// "cpu=… mem=…MiB net=…Mbps", for messages about a VM's demand.
std::string describe_demand(const model::Resources& r);

// The placement state during one plan, the plan made so far, budgets, exclusions and sites.
// Passes read the members directly; they change the placement only through record() and
// retarget() (or move tentatively and move back), which keep the move indices in step.
class PlannerState {
  public:
    PlannerState(const model::Fleet& fleet, const PlanOptions& opt, const policy::PolicySet& pol);

    // ---- budgets ----
    bool within_budget(int64_t extra_moves, int64_t extra_mem_kib) const {
        if (opt_.budget_migrations >= 0 && migrations_ + extra_moves > opt_.budget_migrations)
            return false;
        if (mem_budget_kib_ >= 0 &&
            static_cast<double>(moved_mem_kib_ + extra_mem_kib) > mem_budget_kib_)
            return false;
        return true;
    }
    int64_t mem_of(int32_t vm) const { return mem_kib_[static_cast<size_t>(vm)]; }
    // The host a VM starts on (kNoHost: new), from the compact copy.
    int32_t start_host(int32_t vm) const { return start_host_[static_cast<size_t>(vm)]; }
    // May this VM move (again) in this plan? Not twice, not during its cooldown.
    bool movable(int32_t vm) const {
        return !moved_[static_cast<size_t>(vm)] && !frozen_[static_cast<size_t>(vm)];
    }

    // ---- moves ----
    void append_move(const Move& m);
    void record(int32_t vm, int32_t target, MoveReason reason);

    // The placement policy's choice among allowed hosts; failing that, an off host is switched
    // on (largest first by the same policy) when `power_on` allows it.
    // `must`: the VM has to leave (anti-affinity): without the placement guard if need be.
    std::optional<int32_t> choose(int32_t vm, bool power_on, bool must = false);
    std::optional<int32_t> choose_among(int32_t vm, bool power_on, bool cross);
    // pick(), and once more without the placement guard when it finds nothing (a VM that must
    // go somewhere: a new one, or one leaving a host being evacuated).
    template <typename Pick>
    std::optional<int32_t> unguarded_if_none(Pick pick) {
        auto h = pick();
        if (h || !state_.guarded()) return h;
        model::PlacementState::GuardOff off(state_);
        return pick();
    }

    // ---- sites and migration limits ----
    enum class Work { kMandatory, kOptional };

    // The site a VM starts from (-1 for a new VM, which may go anywhere).
    int32_t home_site(int32_t vm) const {
        const int32_t h = start_host(vm);
        return h == model::kNoHost ? -1 : site_of_[static_cast<size_t>(h)];
    }
    // May this VM's mandatory move leave its site when the site has no room?
    bool may_cross(int32_t vm) const {
        const int32_t h = start_host(vm);
        if (h == model::kNoHost || sites_ < 2) return false;
        return opt_.cross_site == CrossSite::kAllow ||
               (opt_.cross_site == CrossSite::kEvacuations && evac_[static_cast<size_t>(h)]);
    }
    // Does a move of the VM from its site to `site` stay within [migration]'s limits (downtime,
    // convergence, timeout), estimated at the bandwidth the wave limits leave it?
    bool acceptable(int32_t vm, int32_t site);
    bool acceptable_at_home(int32_t vm) {
        return home_site(vm) < 0 || acceptable(vm, home_site(vm));
    }
    // Optional work (consolidation, balance) moves a VM only if it may move at all, and within
    // the migration limits somewhere it may go.
    bool optional_ok(int32_t vm);
    // May the VM go to host t as optional work: within its site unless cross_site = "allow",
    // and within the migration limits there?
    bool may_go(int32_t vm, int32_t t) {
        const int32_t home = home_site(vm);
        if (home < 0 || sites_ < 2) return true;
        const int32_t site = site_of_[static_cast<size_t>(t)];
        if (site != home && opt_.cross_site != CrossSite::kAllow) return false;
        return acceptable(vm, site);
    }

    // The placement policy's choice among `base`, restricted to where the VM may go: a running
    // VM stays in its site unless `cross`; optional work goes only where the move stays within
    // the migration limits (under cross_site = "allow", possibly another site).
    std::optional<int32_t> place(int32_t vm, const std::vector<uint8_t>& base, Work work,
                                 bool cross);

    // False when no usable host could take the VM even empty: no host may take VMs at all, or
    // the VM is above the largest max-util limit in some dimension. O(1), so that hostile fleets
    // (every host in maintenance, VMs larger than any host) cost no scan of the hosts per VM.
    bool may_fit_somewhere(int32_t vm) const {
        return any_usable_ && state_.demand(vm).fits_within(usable_max_);
    }
    std::string why_unplaceable(int32_t vm) const;

    // A VM that must move (evacuation, a new VM) could not: a shard hands it to the global step
    // (another shard may have room or budget left); otherwise the plan says why.
    template <typename Reason>
    void must_move_failed(int32_t host, int32_t vm, Reason reason) {
        if (opt_.phase == Phase::kLocal) {
            plan_.deferred.push_back(vm);
        } else {
            plan_.unresolved.push_back({host, vm, reason()});
        }
    }

    // VMs in decreasing order of the placement policy's size, ties by VM id.
    void sort_decreasing(std::vector<int32_t>& vms) const;

    // A VM moved earlier in this plan may be sent elsewhere instead, by replacing its move with
    // one at the end of the sequence, when that keeps every move feasible in sequence: nothing
    // arrived at its source after it left (the source now keeps it longer).
    bool can_retarget(int32_t vm) const;
    void retarget(int32_t vm, int32_t target, MoveReason reason);

    // Drops the tombstones retarget() left in plan_.moves (the order of the rest is kept).
    void drop_retargeted();

    const model::Fleet& fleet_;
    const PlanOptions& opt_;
    const policy::PolicySet& pol_;
    model::PlacementState state_;
    policy::PolicyContext ctx_;
    std::vector<uint8_t> evac_;
    std::vector<uint8_t> allowed_;     // usable targets
    std::vector<uint8_t> off_;         // off hosts that may still be switched on
    std::vector<uint8_t> receiver_;    // hosts that received a VM (never drained afterwards)
    std::vector<uint8_t> moved_;       // a VM moves at most once per plan
    std::vector<uint8_t> frozen_;      // in cooldown since the previous plan
    std::vector<int64_t> mem_kib_;     // per VM: mem_size_kib
    std::vector<int32_t> start_host_;  // per VM: its host in the fleet (kNoHost: new)
    std::vector<int32_t> move_index_;  // per VM: its move in plan_.moves, -1 if none
    std::vector<std::vector<int32_t>> arrivals_;  // per host: live moves into it, ascending
    std::vector<uint8_t> dead_;                   // per entry of plan_.moves: retargeted away
    std::vector<uint8_t> kept_;                   // goal consolidate: the hosts that stay on
    bool any_usable_ = false;      // some host is neither in maintenance nor being evacuated
    model::Resources usable_max_;  // per dimension, the largest max-util limit of such hosts
    int64_t migrations_ = 0;
    int64_t moved_mem_kib_ = 0;
    int64_t total_mem_kib_ = 0;
    double mem_budget_kib_ = -1;           // -1: no memory budget
    std::vector<std::string> site_names_;  // sorted; a host without a site is in site ""
    int32_t sites_ = 1;
    std::vector<int32_t> site_of_;    // per host
    std::vector<int32_t> site_host_;  // per site: one of its hosts (for WAN estimates)
    double admit_bw_ = 0;             // bandwidth assumed when a move is admitted
    std::vector<int8_t> acceptable_;  // per VM: a move within its site keeps the limits (-1: ?)
    std::vector<uint8_t> site_ok_, scratch_;  // place(): scratch space
    Plan plan_;
};

}  // namespace fp::plan::detail
