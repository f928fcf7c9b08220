// What `dispatch --dry-run` tells an operator deciding whether to run a plan, besides the calls
// it would make (dispatch.hpp dry_run_text): how long it should take at dispatch's limits and at
// the plan's (plan::schedule_dispatch over plan.csv's est_seconds, so both figures follow
// dispatch's own start rule), which moves the plan flags as breaking a [migration] limit, how
// many leave their site, and how many are estimated to outlast dispatch's timeout.
// Pure and deterministic (plan order only); thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "src/dispatch/dispatch.hpp"
#include "src/plan/waves.hpp"

namespace fp::dispatch {

inline constexpr size_t kDryRunListedMoves = 50;

// `plan_limits`: the plan's wave limits (nullopt: unknown, e.g. no checkpoint). Every host of
// `moves` is in `hosts`. At most `max_listed` flagged moves are listed, then "... and N more".
std::string dry_run_estimate(const std::vector<PlannedMove>& moves,
                             const std::vector<HostAddr>& hosts, const DispatchOptions& opt,
                             const std::optional<plan::WaveLimits>& plan_limits,
                             size_t max_listed = kDryRunListedMoves);

}  // namespace fp::dispatch
