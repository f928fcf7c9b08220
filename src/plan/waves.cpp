#include "src/plan/waves.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "src/util/assert.hpp"

namespace fp::plan {
namespace {

// Per host: changes of load by wave. Load during wave w = base + arrivals in waves <= w −
// departures in waves < w.
struct HostTimeline {
    std::vector<model::Resources> arrive;  // indexed by wave (1-based; [0] unused)
    std::vector<model::Resources> depart;
    std::vector<int32_t> busy;  // migrations in flight touching this host, per wave
};

void grow(HostTimeline& t, size_t waves) {
    if (t.arrive.size() < waves + 2) {
        t.arrive.resize(waves + 2);
        t.depart.resize(waves + 2);
        t.busy.resize(waves + 2, 0);
    }
}

}  // namespace

int32_t assign_waves(const model::Fleet& fleet, std::vector<Move>& moves,
                     const WaveLimits& limits) {
    const std::vector<model::Resources> base = fleet.host_loads();
    std::unordered_map<int32_t, HostTimeline> timelines;
    std::vector<int32_t> per_wave(2, 0);
    int32_t waves = 0;
    // Anti-affinity: the last wave in which a member of a group leaves a host; another member
    // may arrive there only in a later wave, so the two never share it even in flight.
    std::map<std::pair<int32_t, std::string>, int32_t> anti_departed;

    for (Move& m : moves) {
        const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
        const model::Resources& cap = fleet.hosts[static_cast<size_t>(m.target)].capacity;
        HostTimeline& tt = timelines[m.target];
        HostTimeline* st = m.source >= 0 ? &timelines[m.source] : nullptr;
        grow(tt, static_cast<size_t>(waves) + 1);
        if (st) grow(*st, static_cast<size_t>(waves) + 1);
        if (per_wave.size() < static_cast<size_t>(waves) + 2)
            per_wave.resize(static_cast<size_t>(waves) + 2, 0);

        // Target load during each wave 1..waves+1; then the latest wave where it would not fit.
        int32_t earliest = 1;
        model::Resources load = base[static_cast<size_t>(m.target)];
        for (int32_t w = 1; w <= waves + 1; ++w) {
            const size_t wi = static_cast<size_t>(w);
            load += tt.arrive[wi];
            if (w >= 2) load -= tt.depart[wi - 1];
            if (!(load + dem).fits_within(cap)) earliest = w + 1;
        }
        const std::string& anti = fleet.vms[static_cast<size_t>(m.vm)].anti_group;
        if (!anti.empty()) {
            auto it = anti_departed.find({m.target, anti});
            if (it != anti_departed.end()) earliest = std::max(earliest, it->second + 1);
        }
        int32_t chosen = -1;
        for (int32_t w = earliest; w <= waves + 1; ++w) {
            const size_t wi = static_cast<size_t>(w);
            if (limits.max_per_host > 0) {
                if (tt.busy[wi] >= limits.max_per_host) continue;
                if (st && st->busy[wi] >= limits.max_per_host) continue;
            }
            if (limits.max_per_wave > 0 && per_wave[wi] >= limits.max_per_wave) continue;
            chosen = w;
            break;
        }
        // The wave after all others holds the sequential state, which the planner made feasible.
        FP_ASSERT(chosen != -1);
        const size_t ci = static_cast<size_t>(chosen);
        m.step = chosen;
        tt.arrive[ci] += dem;
        tt.busy[ci] += 1;
        if (st) {
            st->depart[ci] += dem;
            st->busy[ci] += 1;
        }
        per_wave[ci] += 1;
        waves = std::max(waves, chosen);
        if (!anti.empty() && m.source >= 0) {
            int32_t& w = anti_departed[{m.source, anti}];
            w = std::max(w, chosen);
        }
    }
    return waves;
}

}  // namespace fp::plan
