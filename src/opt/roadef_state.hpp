// A placement of every process on a machine with the bookkeeping for incremental evaluation:
// per machine and resource the usage and the transient usage (requirements of processes that
// left the machine they started on), per service the process count per location and per
// neighbourhood, the moved-process count per service with its histogram (the max-moved term),
// and the cost parts kept current. try_change() tells, for a set of reassignments, whether the
// result keeps every hard constraint and how much the objective changes, in O(changes × (R +
// dependencies)) and without altering the state; apply() commits it.
//
// The ROADEF cost terms (load, balance, process/service/machine move) live in roadef_cost.hpp
// and nowhere else. Thread-safety: one state per thread; the model is shared read-only.
// Determinism: no randomness, no clock.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "src/opt/roadef_model.hpp"

namespace fp::opt {

struct Reassign {
    ProcessIndex process{};
    MachineIndex machine{};
};

struct CostParts {
    int64_t load = 0;
    int64_t balance = 0;
    int64_t process_move = 0;
    int64_t service_move = 0;
    int64_t machine_move = 0;
    int64_t total() const { return load + balance + process_move + service_move + machine_move; }
    bool operator==(const CostParts&) const = default;
};

// Cost and feasibility from scratch, by definition (no incremental state): for checks and tests.
CostParts evaluate_from_scratch(const RoadefModel& model, std::span<const int32_t> assignment);
// The first hard constraint the assignment breaks, described, or nullopt when it keeps them all.
std::optional<std::string> first_violation(const RoadefModel& model,
                                           std::span<const int32_t> assignment);

class RoadefState {
  public:
    // Starts from the model's initial assignment.
    explicit RoadefState(const RoadefModel& model);
    RoadefState(const RoadefModel& model, std::span<const int32_t> assignment);

    const RoadefModel& model() const { return *model_; }
    const std::vector<int32_t>& assignment() const { return assign_; }
    MachineIndex machine_of(ProcessIndex p) const { return MachineIndex{assign_[ix(p)]}; }
    const CostParts& parts() const { return parts_; }
    int64_t objective() const { return parts_.total(); }
    // Processes placed on each machine (unordered).
    const std::vector<int32_t>& processes_on(MachineIndex m) const { return on_machine_[ix(m)]; }

    // The objective's change if every reassignment were made together (a process at most once),
    // or nullopt if the result breaks a hard constraint on what the changes touch. The state is
    // left as it was.
    std::optional<int64_t> try_change(std::span<const Reassign> changes);
    std::optional<int64_t> try_move(ProcessIndex p, MachineIndex m) {
        const Reassign c{p, m};
        return try_change(std::span<const Reassign>(&c, 1));
    }
    std::optional<int64_t> try_swap(ProcessIndex a, ProcessIndex b) {
        const Reassign c[2] = {{a, machine_of(b)}, {b, machine_of(a)}};
        return try_change(c);
    }
    // The same verdict and delta as try_move / try_swap, computed from the counters without
    // touching the state (no relocation and undo), for a state that keeps every hard constraint:
    // the search's hot path. A swap of two processes of one service goes through try_change.
    std::optional<int64_t> move_delta(ProcessIndex p, MachineIndex m);
    std::optional<int64_t> swap_delta(ProcessIndex a, ProcessIndex b);
    // A chain (ejection) step: p1 moves to machine b and p2, a process on b, moves on to c
    // (c != b; c may be p1's machine). The same verdict and delta as try_change on the two
    // reassignments, with the capacity of b and c checked first from the counters, so that the
    // many chains that overflow are refused without relocating anything.
    std::optional<int64_t> chain_delta(ProcessIndex p1, MachineIndex b, ProcessIndex p2,
                                       MachineIndex c);
    // Makes the reassignments (try_change must have accepted them).
    void apply(std::span<const Reassign> changes);

    // Usage (with transient usage where the resource is transient) fits capacity on m.
    bool capacity_ok(int32_t m) const;
    int64_t usage(int32_t m, int32_t r) const { return usage_[idx(m, r)]; }
    int64_t transient_usage(int32_t m, int32_t r) const { return transient_[idx(m, r)]; }
    const int64_t* usage_data(int32_t m) const { return usage_.data() + idx(m, 0); }
    // Weighted load plus balance cost of machine m.
    int64_t machine_cost(int32_t m) const { return machine_load_[m] + machine_balance_[m]; }
    // Whether a process of service s other than `except` is on machine m.
    bool service_on_machine(int32_t s, int32_t m, int32_t except) const;

  private:
    size_t idx(int32_t m, int32_t r) const {
        return static_cast<size_t>(m) * static_cast<size_t>(model_->resources) + r;
    }
    int32_t& loc_count(int32_t s, int32_t l) {
        return loc_count_[static_cast<size_t>(s) * model_->locations + l];
    }
    int32_t& nbh_count(int32_t s, int32_t n) {
        return nbh_count_[static_cast<size_t>(s) * model_->neighborhoods + n];
    }
    int32_t nbh_count(int32_t s, int32_t n) const {
        return nbh_count_[static_cast<size_t>(s) * model_->neighborhoods + n];
    }
    void relocate(int32_t p, int32_t m);  // unplace + place, with the cost parts kept current
    bool feasible_around(std::span<const Reassign> changes, std::span<const int32_t> old) const;
    void refresh_machine_cost(int32_t m);
    // Services s1 and s2 (s2 may be -1) each move one process between the neighbourhoods given
    // (from, to): whether every dependency touching them still holds afterwards.
    bool dependencies_hold(int32_t s1, int32_t from1, int32_t to1, int32_t s2, int32_t from2,
                           int32_t to2) const;
    // The largest moved count with service s1's count changed by d1 and s2's by d2 (s2 != s1).
    int32_t max_moved_after(int32_t s1, int32_t d1, int32_t s2, int32_t d2);

    const RoadefModel* model_;
    std::vector<int32_t> assign_;
    std::vector<std::vector<int32_t>> on_machine_;
    std::vector<int32_t> pos_on_machine_;  // index of p in on_machine_[assign_[p]]
    std::vector<int64_t> usage_;           // machines x resources
    std::vector<int64_t> transient_;       // machines x resources (transient resources only)
    std::vector<int32_t> loc_count_;       // services x locations
    std::vector<int32_t> nbh_count_;       // services x neighborhoods
    std::vector<int32_t> spread_;          // per service: locations with a process
    std::vector<int32_t> moved_;           // per service: processes not on their initial machine
    std::vector<int32_t> moved_hist_;      // services by moved count
    int32_t max_moved_ = 0;
    std::vector<int64_t> machine_load_;     // per machine: weighted load cost
    std::vector<int64_t> machine_balance_;  // per machine: weighted balance cost
    std::vector<std::vector<int32_t>> service_procs_;
    std::vector<std::vector<int32_t>> dependents_;  // per service: services depending on it
    CostParts parts_;
    std::vector<int64_t> row_a_, row_b_;  // scratch rows for move_delta / swap_delta
};

}  // namespace fp::opt
