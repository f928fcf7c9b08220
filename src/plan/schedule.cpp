#include "src/plan/schedule.hpp"

#include <algorithm>
#include <functional>
#include <limits>
#include <queue>
#include <unordered_map>
#include <utility>

#include "src/util/assert.hpp"

namespace fp::plan {

Schedule schedule_dispatch(const std::vector<ScheduledMove>& moves, int32_t max_per_host,
                           int32_t max_total) {
    Schedule s;
    s.start_s.assign(moves.size(), 0.0);
    const int32_t per_host = max_per_host > 0 ? max_per_host : std::numeric_limits<int32_t>::max();
    const int32_t total = max_total > 0 ? max_total : std::numeric_limits<int32_t>::max();
    double wave_start = 0;
    std::unordered_map<int32_t, int32_t> busy;
    for (size_t begin = 0; begin < moves.size();) {
        size_t end = begin;
        while (end < moves.size() && moves[end].step == moves[begin].step) ++end;
        FP_ASSERT(end == moves.size() || moves[end].step > moves[begin].step);
        // The queue in plan order; running migrations by end time (ties: plan order).
        std::vector<size_t> queue;
        for (size_t i = begin; i < end; ++i) queue.push_back(i);
        using Running = std::pair<double, size_t>;
        std::priority_queue<Running, std::vector<Running>, std::greater<>> running;
        busy.clear();
        double now = wave_start, wave_end = wave_start;
        while (!queue.empty() || !running.empty()) {
            // Start every queued move that may start now, first in plan order first.
            for (size_t k = 0; k < queue.size() && static_cast<int32_t>(running.size()) < total;) {
                const ScheduledMove& m = moves[queue[k]];
                if (busy[m.source] < per_host && busy[m.target] < per_host) {
                    ++busy[m.source];
                    ++busy[m.target];
                    s.start_s[queue[k]] = now;
                    running.emplace(now + std::max(0.0, m.seconds), queue[k]);
                    queue.erase(queue.begin() + static_cast<std::ptrdiff_t>(k));
                    // The moves before k still cannot start (slots only filled up): go on at k.
                    continue;
                }
                ++k;
            }
            if (running.empty()) break;  // nothing can ever start: cannot happen with limits >= 1
            // The next migration to end frees its slots.
            const auto [t, i] = running.top();
            running.pop();
            now = t;
            wave_end = std::max(wave_end, t);
            --busy[moves[i].source];
            --busy[moves[i].target];
        }
        FP_ASSERT(queue.empty());
        wave_start = wave_end;
        begin = end;
    }
    s.makespan_s = wave_start;
    return s;
}

}  // namespace fp::plan
