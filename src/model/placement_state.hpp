// The mutable placement the planner works on: where each VM is, each host's load, and the
// per-host limit at max-util. Thread-safety: const methods may be called from many threads while
// nobody mutates. Determinism: VM lists per host keep ascending VM index order.
#pragma once

#include <array>
#include <cstdint>
#include <utility>
#include <vector>

#include "src/model/fleet.hpp"

namespace fp::model {

// Where members of one anti_group may not meet: on one host, or in one rack (hosts of the same
// site and rack; a host without a rack is a rack of its own).
enum class AntiScope { kHost, kRack };

// Per host: its anti-affinity domain (a small integer; hosts of one domain share it).
std::vector<int32_t> anti_domains(const Fleet& fleet, AntiScope scope);

class PlacementState {
  public:
    PlacementState(const Fleet& fleet, int64_t max_util_ppm, AntiScope scope = AntiScope::kHost);

    const Fleet& fleet() const { return *fleet_; }
    int32_t host_count() const { return static_cast<int32_t>(fleet_->hosts.size()); }
    int32_t vm_count() const { return static_cast<int32_t>(fleet_->vms.size()); }
    int64_t max_util_ppm() const { return max_util_ppm_; }

    int32_t host_of(int32_t vm) const { return host_of_[static_cast<size_t>(vm)]; }
    const Resources& load(int32_t h) const { return load_[static_cast<size_t>(h)]; }
    const Resources& limit(int32_t h) const { return limit_[static_cast<size_t>(h)]; }
    const Resources& capacity(int32_t h) const { return capacity_[static_cast<size_t>(h)]; }
    // 1 / capacity per dimension (0 where the capacity is 0), for approximate scores that only
    // rule hosts out (policy/placement_scan.hpp); exact scores divide.
    const std::array<double, kDims>& inverse_capacity(int32_t h) const {
        return inverse_capacity_[static_cast<size_t>(h)];
    }
    // limit(h) − load(h): what the host may still take at max-util (negative when above it).
    const Resources& headroom(int32_t h) const { return headroom_[static_cast<size_t>(h)]; }
    // A compact copy of the VMs' demands: loops over a host's VMs read 24 bytes per VM, not a
    // cache line of the VM table each.
    const Resources& demand(int32_t vm) const { return demand_[static_cast<size_t>(vm)]; }
    const std::vector<int32_t>& vms_on(int32_t h) const { return vms_on_[static_cast<size_t>(h)]; }
    // Position of the host in ascending id order: the tie-break of every host choice.
    int32_t id_rank(int32_t h) const { return id_rank_[static_cast<size_t>(h)]; }
    // Host indices in ascending id order.
    const std::vector<int32_t>& hosts_by_id() const { return hosts_by_id_; }
    // The largest capacity of any host, per dimension: the yardstick for VM sizes.
    const Resources& reference_capacity() const { return reference_capacity_; }

    // Would the host stay within its max-util limit (and the guard, below) with this VM added,
    // without putting two members of one anti-affinity group on it?
    bool fits(int32_t vm, int32_t h) const { return fits_unguarded(vm, h) && guard_ok(vm, h); }
    // fits() without the guard: max-util and anti-affinity only (a VM going back where it was).
    bool fits_unguarded(int32_t vm, int32_t h) const {
        return demand(vm).fits_within(headroom(h)) && !anti_conflict(vm, h);
    }

    // The guard: what work that can wait must keep beside max-util. Two parts, each off until
    // set; set_guard_active(false) suspends both (a VM that must go somewhere).
    // - A line: one more scalar per VM and a line per host that a host's sum may not reach (the
    //   planner sets it from its trigger's forecast, "never a new hot spot":
    //   TriggerPolicy::forecast_guard). Integers, so sums kept over any order of moves are exact.
    // - An arrival cap: at most `cap` VMs on a host that were on another host when the cap was
    //   set (the plan's migrations into it; new VMs are no migration and a VM going back where
    //   it was is none either). Counted in move(), so any order of tentative moves and undos
    //   gives the same count.
    void set_guard(std::vector<int64_t> vm_load, const std::vector<int64_t>& host_line);
    void set_arrival_cap(int32_t cap);
    void set_guard_active(bool on) {
        guard_active_ = on;
        guard_on_ = on && (!guard_load_.empty() || (arrival_cap_ > 0 && cap_active_));
    }
    // Suspends the arrival cap alone (arrivals are still counted).
    void set_arrival_cap_active(bool on) {
        cap_active_ = on;
        set_guard_active(guard_active_);
    }
    bool guarded() const { return guard_on_; }
    bool guard_line() const { return !guard_load_.empty(); }
    int32_t arrival_cap() const { return arrival_cap_; }
    // The host's line minus its VMs' guard loads; a VM fits while its load is below it.
    int64_t guard_room(int32_t h) const { return guard_room_[static_cast<size_t>(h)]; }
    int64_t guard_load(int32_t vm) const { return guard_load_[static_cast<size_t>(vm)]; }
    // VMs on h that came from another host since the cap was set.
    int32_t arrivals(int32_t h) const {
        return arrival_cap_ > 0 ? arrived_[static_cast<size_t>(h)] : 0;
    }
    bool guard_ok(int32_t vm, int32_t h) const {
        if (!guard_on_) return true;
        if (!guard_load_.empty() && guard_load(vm) >= guard_room(h)) return false;
        if (arrival_cap_ == 0 || !cap_active_) return true;
        const int32_t from = origin_[static_cast<size_t>(vm)];
        return from == kNoHost || from == h || arrived_[static_cast<size_t>(h)] < arrival_cap_;
    }
    // Suspends the guard for its lifetime and restores it as it was.
    class GuardOff {
      public:
        explicit GuardOff(PlacementState& s) : s_(s), was_(s.guard_active_) {
            s.set_guard_active(false);
        }
        ~GuardOff() { s_.set_guard_active(was_); }
        GuardOff(const GuardOff&) = delete;
        GuardOff& operator=(const GuardOff&) = delete;

      private:
        PlacementState& s_;
        bool was_;
    };
    // Suspends the arrival cap for its lifetime and restores it.
    class ArrivalCapOff {
      public:
        explicit ArrivalCapOff(PlacementState& s) : s_(s), was_(s.cap_active_) {
            s.set_arrival_cap_active(false);
        }
        ~ArrivalCapOff() { s_.set_arrival_cap_active(was_); }
        ArrivalCapOff(const ArrivalCapOff&) = delete;
        ArrivalCapOff& operator=(const ArrivalCapOff&) = delete;

      private:
        PlacementState& s_;
        bool was_;
    };
    // Does the host (with AntiScope::kRack, its rack) hold another member of the VM's
    // anti_group?
    bool anti_conflict(int32_t vm, int32_t h) const {
        return anti_id(vm) >= 0 && anti_conflict_slow(vm, h);
    }
    // The host's anti-affinity domain: the host itself, or its rack.
    int32_t anti_domain(int32_t h) const { return domain_of_[static_cast<size_t>(h)]; }
    // The VM's anti-affinity group as a small integer, -1 for none.
    int32_t anti_id(int32_t vm) const { return anti_id_[static_cast<size_t>(vm)]; }
    bool overloaded(int32_t h) const { return !load(h).fits_within(limit(h)); }
    double util(int32_t h, int d) const;  // load / capacity in dimension d
    double max_util(int32_t h) const;     // the largest of util(h, d)

    // Replaces a host's limit (the planner tightens it briefly to ask a selection policy for one
    // more VM from a host its trigger still flags below max-util).
    void set_limit(int32_t h, const Resources& limit) {
        limit_[static_cast<size_t>(h)] = limit;
        headroom_[static_cast<size_t>(h)] = limit - load(h);
    }

    // Moves (or places, for a new VM) vm onto host `to`; `to` = kNoHost unplaces it.
    void move(int32_t vm, int32_t to);

  private:
    bool anti_conflict_slow(int32_t vm, int32_t h) const;
    void add_anti(int32_t vm, int32_t h, int32_t delta);

    const Fleet* fleet_;
    int64_t max_util_ppm_;
    std::vector<int32_t> host_of_;
    std::vector<Resources> demand_;
    std::vector<Resources> load_;
    std::vector<Resources> limit_;
    // Per host, kept beside load and limit so a placement scan reads one compact array each:
    // limit − load, and the capacity (a copy of the host table's).
    std::vector<Resources> headroom_;
    std::vector<Resources> capacity_;
    std::vector<std::array<double, kDims>> inverse_capacity_;
    std::vector<std::vector<int32_t>> vms_on_;
    std::vector<int32_t> id_rank_;
    std::vector<int32_t> hosts_by_id_;
    Resources reference_capacity_;
    std::vector<int64_t> guard_load_;  // per VM; empty: no guard
    std::vector<int64_t> guard_room_;  // per host
    int32_t arrival_cap_ = 0;          // 0: no cap
    std::vector<int32_t> origin_;      // per VM, with a cap: its host when the cap was set
    std::vector<int32_t> arrived_;     // per host, with a cap: its VMs from another origin
    bool guard_active_ = true;
    bool cap_active_ = true;
    bool guard_on_ = false;
    std::vector<int32_t> anti_id_;
    std::vector<int32_t> domain_of_;  // per host: its anti-affinity domain
    // Per domain: (anti-group id, members in it), only for groups present.
    std::vector<std::vector<std::pair<int32_t, int32_t>>> anti_on_;
};

}  // namespace fp::model
