// The ROADEF/EURO 2012 machine-reassignment instance (shared/data/roadef2012/README.md) as plain
// data: resources, machines, services, processes, balance objectives, the three move weights and
// the initial assignment. io/roadef.hpp reads it; the optimiser (src/opt/) never touches files.
// Thread-safety: an immutable value once built. Determinism: no state.
#pragma once

#include <cstdint>
#include <vector>

namespace fp::opt {

// Typed indices: a process and a machine cannot be mixed up at an API boundary.
enum class ProcessIndex : int32_t {};
enum class MachineIndex : int32_t {};
constexpr int32_t ix(ProcessIndex p) { return static_cast<int32_t>(p); }
constexpr int32_t ix(MachineIndex m) { return static_cast<int32_t>(m); }

struct BalanceObjective {
    int32_t resource1 = 0;
    int32_t resource2 = 0;
    int64_t target = 0;
    int64_t weight = 0;
};

struct RoadefModel {
    // Resources.
    int32_t resources = 0;
    std::vector<uint8_t> transient;    // per resource
    std::vector<int64_t> weight_load;  // per resource
    // Machines.
    int32_t machines = 0;
    std::vector<int32_t> neighborhood;     // per machine, dense 0..neighborhoods-1
    std::vector<int32_t> location;         // per machine, dense 0..locations-1
    std::vector<int64_t> capacity;         // machines x resources
    std::vector<int64_t> safety_capacity;  // machines x resources
    std::vector<int64_t> move_cost;        // machines x machines: from x machines + to
    int32_t neighborhoods = 0;
    int32_t locations = 0;
    // Services.
    int32_t services = 0;
    std::vector<int32_t> spread_min;               // per service
    std::vector<std::vector<int32_t>> depends_on;  // per service
    // Processes.
    int32_t processes = 0;
    std::vector<int32_t> service;      // per process
    std::vector<int64_t> requirement;  // processes x resources
    std::vector<int64_t> process_move_cost;
    // Balance objectives and weights.
    std::vector<BalanceObjective> balances;
    int64_t weight_process_move = 0;
    int64_t weight_service_move = 0;
    int64_t weight_machine_move = 0;
    // The initial assignment M0.
    std::vector<int32_t> initial;  // per process: machine

    int64_t cap(int32_t m, int32_t r) const {
        return capacity[static_cast<size_t>(m) * resources + r];
    }
    int64_t safety(int32_t m, int32_t r) const {
        return safety_capacity[static_cast<size_t>(m) * resources + r];
    }
    int64_t req(int32_t p, int32_t r) const {
        return requirement[static_cast<size_t>(p) * resources + r];
    }
    int64_t mmc(int32_t from, int32_t to) const {
        return move_cost[static_cast<size_t>(from) * machines + to];
    }
};

}  // namespace fp::opt
