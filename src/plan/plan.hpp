// The plan: moves with their wave, reasons and cost estimates, plus what could not be done.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/plan/migration_cost.hpp"

namespace fp::plan {

enum class Goal { kAuto, kConsolidate, kBalance, kHotspot, kEvacuate };
std::string to_string(Goal g);
Result<Goal> parse_goal(const std::string& s);

enum class MoveReason { kEvacuate, kNewVm, kHotspot, kConsolidate, kBalance, kAntiAffinity };
std::string to_string(MoveReason r);

struct Move {
    int32_t vm = -1;
    int32_t source = -1;  // kNoHost for a new VM
    int32_t target = -1;
    int32_t step = 0;  // wave, from 1
    MoveReason reason = MoveReason::kConsolidate;
    MigrationEstimate estimate;
};

struct Unresolved {
    int32_t host = -1;  // -1: no host (a new VM)
    int32_t vm = -1;    // -1: about the host as a whole
    std::string reason;
};

// Grow a VM's allocation in place (local first): the VM asks for more than it is allotted and
// its host has room.
struct Resize {
    int32_t vm = -1;
    int32_t host = -1;
    int64_t cpu_alloc_millicores = 0;
    int64_t mem_alloc_kib = 0;
};

struct Plan {
    std::vector<Move> moves;  // sorted by (step, vm id) once waves are assigned
    std::vector<Unresolved> unresolved;
    std::vector<Resize> resizes;      // sorted by VM id
    std::vector<int32_t> powered_on;  // off hosts the plan switches on, ascending id
    // Phase kLocal only: VMs that must leave (evacuation, new, a host still above max-util) but
    // found no room in their shard; the global step places them.
    std::vector<int32_t> deferred;
    int64_t migrations = 0;     // moves of running VMs decided (budget accounting)
    int64_t moved_mem_kib = 0;  // their memory
};

}  // namespace fp::plan
