// The plan: moves with their wave, reasons and cost estimates, plus what could not be done.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/migration_cost.hpp"

namespace fp::plan {

enum class Goal { kAuto, kConsolidate, kBalance, kHotspot, kEvacuate };
std::string to_string(Goal g);
Result<Goal> parse_goal(const std::string& s);
// Each goal's preset (README "Goals"): the policy names a config gets for a role it leaves out.
// Consolidation copies the least (MMT), hot-spot relief takes the cheapest set that clears the
// excess (holistic), the rest the most direct fix; every part can be swapped in [policy].
struct GoalPreset {
    std::string_view trigger, selection, placement;
};
GoalPreset goal_preset(Goal g);

// Whether a migration may leave its site: never; only VMs of evacuated or maintenance hosts,
// and only when their own site has no room; or always (priced by the WAN cost model).
enum class CrossSite { kNever, kEvacuations, kAllow };
std::string to_string(CrossSite c);
Result<CrossSite> parse_cross_site(const std::string& s);

enum class MoveReason { kEvacuate, kNewVm, kHotspot, kConsolidate, kBalance, kAntiAffinity };
inline constexpr MoveReason kMoveReasons[] = {MoveReason::kEvacuate, MoveReason::kNewVm,
                                              MoveReason::kHotspot,  MoveReason::kConsolidate,
                                              MoveReason::kBalance,  MoveReason::kAntiAffinity};
std::string to_string(MoveReason r);
// The inverse of to_string (plan.csv's reason column); an unknown name is bad input naming the
// valid ones.
Result<MoveReason> parse_move_reason(std::string_view s);
// Mandatory work (evacuation and maintenance, new VMs, hot-spot relief, anti-affinity) is planned
// even when a move breaks a migration limit (then flagged); optional work (consolidation,
// balance) never breaks one, and is what a --window cuts.
bool is_mandatory(MoveReason r);

// Why a planned migration breaks a limit of [migration] (a bit set; 0: within every limit).
enum MoveFlag : uint8_t {
    kFlagOverDowntime = 1,   // estimated downtime above max_downtime_ms
    kFlagNonConvergent = 2,  // pre-copy does not converge (the fallback is used)
    kFlagOverTimeout = 4,    // estimated duration above timeout_s (dispatch would abort it)
};
// "over-downtime;nonconvergent;over-timeout" (the set ones, in this order); "" for none.
std::string flags_to_string(uint8_t flags);
// The inverse of flags_to_string (tokens in any order); an unknown or empty token is bad input
// naming the valid ones.
Result<uint8_t> parse_flags(std::string_view s);
uint8_t limit_flags(const model::MigrationEstimate& e, const model::MigrationCostConfig& cfg);

struct Move {
    int32_t vm = -1;
    int32_t source = -1;  // kNoHost for a new VM
    int32_t target = -1;
    int32_t step = 0;  // wave, from 1
    MoveReason reason = MoveReason::kConsolidate;
    model::MigrationEstimate estimate;
    double est_start_s = 0;  // when it starts under the plan's wave limits (schedule.hpp)
    uint8_t flags = 0;       // MoveFlag bits
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

// What the improvement phase (`[plan] improve`, plan/passes.hpp) did, summed over shards.
struct ImproveStats {
    int64_t work = 0;              // work units used: candidate moves evaluated
    int64_t hosts_freed = 0;       // hosts it emptied beyond the greedy plan
    int64_t moves_added = 0;       // migrations it added (ejected VMs, VMs of the hosts it freed)
    int64_t mem_added_kib = 0;     // their memory
    int64_t moves_undone = 0;      // migrations it took back (the VM stays on a host that stays on)
    int64_t mem_saved_kib = 0;     // their memory
    int64_t moves_retargeted = 0;  // balance: moves sent to another target (no memory added)
    ImproveStats& operator+=(const ImproveStats& o) {
        work += o.work;
        hosts_freed += o.hosts_freed;
        moves_added += o.moves_added;
        mem_added_kib += o.mem_added_kib;
        moves_undone += o.moves_undone;
        mem_saved_kib += o.mem_saved_kib;
        moves_retargeted += o.moves_retargeted;
        return *this;
    }
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
    // --window: optional moves left out because the schedule would not end within the window.
    int64_t window_dropped = 0;
    int64_t window_dropped_mem_kib = 0;
    ImproveStats improve;
};

}  // namespace fp::plan
