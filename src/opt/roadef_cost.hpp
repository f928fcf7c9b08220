// The ROADEF 2012 cost terms, in one place: the per-machine load and balance cost and the
// per-process move costs. Both the incremental state and the from-scratch evaluation call these.
// Thread-safety: pure functions. Determinism: integer arithmetic only.
#pragma once

#include <algorithm>
#include <cstdint>

#include "src/opt/roadef_model.hpp"

namespace fp::opt::detail {

// Weighted load cost of machine m for the usage row `u` (one entry per resource). Monotone in
// usage: on a partial placement it is a lower bound on the final load cost.
inline int64_t machine_load_cost(const RoadefModel& md, int32_t m, const int64_t* u) {
    int64_t cost = 0;
    for (int32_t r = 0; r < md.resources; ++r)
        cost += md.weight_load[r] * std::max<int64_t>(0, u[r] - md.safety(m, r));
    return cost;
}
// Weighted balance cost of machine m for the usage row `u`.
inline int64_t machine_balance_cost(const RoadefModel& md, int32_t m, const int64_t* u) {
    int64_t cost = 0;
    for (const BalanceObjective& b : md.balances) {
        const int64_t a1 = md.cap(m, b.resource1) - u[b.resource1];
        const int64_t a2 = md.cap(m, b.resource2) - u[b.resource2];
        cost += b.weight * std::max<int64_t>(0, b.target * a1 - a2);
    }
    return cost;
}
// Unweighted machine-move cost of a process that started on m0 and is on m.
inline int64_t machine_move_cost(const RoadefModel& md, int32_t m0, int32_t m) {
    return m == m0 ? 0 : md.mmc(m0, m);
}
// Weighted process-move plus machine-move cost of process p on machine m.
inline int64_t process_on_machine_cost(const RoadefModel& md, int32_t p, int32_t m) {
    const int32_t m0 = md.initial[p];
    if (m == m0) return 0;
    return md.weight_process_move * md.process_move_cost[p] +
           md.weight_machine_move * machine_move_cost(md, m0, m);
}
// The service-move term for the largest number of moved processes of one service.
inline int64_t service_move_cost(const RoadefModel& md, int64_t max_moved) {
    return md.weight_service_move * max_moved;
}

}  // namespace fp::opt::detail
