// The gate of `fleetplan cycle` (mpi/cycle.cpp): whether a fresh plan may be dispatched. A plan
// passes when an approval names its digest (an operator's explicit approval of that very plan,
// also above the limits), or when it stays within the per-cycle limits (moves, GiB of memory
// moved) and approval is automatic. Otherwise it is held, with every reason.
// Thread-safety: pure functions. Determinism: the decision depends on its arguments only.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "src/util/result.hpp"

namespace fp::dispatch {

enum class Approval {
    kAuto,  // a plan within the limits is dispatched
    kFile,  // only a plan an --approve file names (or any within the limits with --auto-approve)
};
Result<Approval> parse_approval(const std::string& name);
const char* to_string(Approval a);

// [cycle] max_moves, max_gib (negative: no limit) and approval.
struct GateLimits {
    int64_t max_moves = 20;
    double max_gib = 64;
    Approval approval = Approval::kFile;
};

// What the plan would do, from its summary.json and plan.csv.
struct GatePlan {
    int64_t migrations = 0;
    double moved_mem_mib = 0;
    std::string digest;  // plan.csv's digest ("fnv1a64:HEX", io/digest.hpp)
};

enum class AutoApprove { kNo, kYes };  // --auto-approve

struct GateDecision {
    bool approved = false;
    std::string approved_by;           // "nothing to move", "auto", "approval file"
    std::vector<std::string> reasons;  // why held; for an approval above the limits, the limits
};

// `approved_digests`: the digests an --approve file names (nullopt: no file given).
GateDecision decide_gate(const GatePlan& plan, const GateLimits& limits, AutoApprove auto_approve,
                         const std::optional<std::vector<std::string>>& approved_digests);

}  // namespace fp::dispatch
