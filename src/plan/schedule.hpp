// When each migration of a plan starts and ends if dispatch carries it out and the estimates
// hold: waves run one after another; within a wave, migrations start in plan.csv order as soon
// as their hosts and the fleet have a free slot (dispatch's own rule: the first queued move whose
// source and target are below max_per_host, while fewer than max_total run), and the next wave
// starts when the last migration of this one ends. The plan's own estimate (its wave limits) and
// `dispatch --dry-run` (its limits, which may be lower) both come from here. Pure; deterministic.
#pragma once

#include <cstdint>
#include <vector>

namespace fp::plan {

struct ScheduledMove {
    int32_t step = 0;    // wave
    int32_t source = 0;  // any host numbering, the same for source and target
    int32_t target = 0;
    double seconds = 0;  // estimated duration
};

struct Schedule {
    std::vector<double> start_s;  // per move, from the start of the first wave
    double makespan_s = 0;
};

// `moves` sorted by step (plan.csv order). Limits <= 0 mean no limit.
Schedule schedule_dispatch(const std::vector<ScheduledMove>& moves, int32_t max_per_host,
                           int32_t max_total);

}  // namespace fp::plan
