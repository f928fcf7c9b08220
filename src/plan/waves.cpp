#include "src/plan/waves.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <unordered_map>

#include "src/util/assert.hpp"

namespace fp::plan {
namespace {

// Per host: what changes in each wave that touches it, sorted by wave (a host takes part in few
// waves, so the timeline is sparse). Load during wave w = base + arrivals in waves <= w −
// departures in waves < w.
struct Event {
    int32_t wave = 0;
    model::Resources arrive;
    model::Resources depart;
    int32_t busy = 0;  // migrations in flight touching this host in this wave
};
using Timeline = std::vector<Event>;

Event& event_at(Timeline& t, int32_t wave) {
    auto it = std::lower_bound(t.begin(), t.end(), wave,
                               [](const Event& e, int32_t w) { return e.wave < w; });
    if (it == t.end() || it->wave != wave) {
        Event e;
        e.wave = wave;
        it = t.insert(it, e);
    }
    return *it;
}

int32_t busy_at(const Timeline& t, int32_t wave) {
    auto it = std::lower_bound(t.begin(), t.end(), wave,
                               [](const Event& e, int32_t w) { return e.wave < w; });
    return it != t.end() && it->wave == wave ? it->busy : 0;
}

// The earliest wave from which the target holds `dem` on top of its load in that wave and every
// later one (1 if always). The load changes only at the waves of its events (an arrival from its
// wave on, a departure from the wave after), so only those points are looked at.
// `points` is scratch space, reused from move to move.
int32_t earliest_fit(const Timeline& t, model::Resources load, const model::Resources& dem,
                     const model::Resources& cap, std::vector<std::pair<int32_t, int>>& points) {
    // Change points: wave → delta, in wave order (arrivals at w, departures at w + 1).
    points.clear();  // (wave, index*2 + kind)
    for (size_t i = 0; i < t.size(); ++i) {
        points.emplace_back(t[i].wave, static_cast<int>(2 * i));
        points.emplace_back(t[i].wave + 1, static_cast<int>(2 * i + 1));
    }
    std::sort(points.begin(), points.end());
    int32_t earliest = 1;
    size_t k = 0;
    // Segment before the first change point: the base load.
    int32_t seg_start = 1;
    while (true) {
        // Apply every change at seg_start.
        while (k < points.size() && points[k].first <= seg_start) {
            const Event& e = t[static_cast<size_t>(points[k].second / 2)];
            if (points[k].second % 2 == 0) {
                load += e.arrive;
            } else {
                load -= e.depart;
            }
            ++k;
        }
        const int32_t next = k < points.size() ? points[k].first : -1;
        if (!(load + dem).fits_within(cap)) {
            if (next < 0) return -1;  // never fits from here on
            earliest = next;
        }
        if (next < 0) break;
        seg_start = next;
    }
    return earliest;
}

// The first wave at or after w that is not full (union-find over the closed ones, with path
// halving): waves only ever fill up.
class NextOpen {
  public:
    int32_t find(int32_t w) {
        grow(w);
        while (next_[static_cast<size_t>(w)] != w) {
            const int32_t up = next_[static_cast<size_t>(next_[static_cast<size_t>(w)])];
            next_[static_cast<size_t>(w)] = up;
            w = up;
            grow(w);
        }
        return w;
    }
    void close(int32_t w) {
        grow(w + 1);
        next_[static_cast<size_t>(w)] = w + 1;
    }

  private:
    void grow(int32_t w) {
        while (next_.size() <= static_cast<size_t>(w))
            next_.push_back(static_cast<int32_t>(next_.size()));
    }
    std::vector<int32_t> next_;
};

}  // namespace

int32_t assign_waves(const model::Fleet& fleet, std::vector<Move>& moves, const WaveLimits& limits,
                     model::AntiScope anti_scope) {
    const std::vector<int32_t> domain = model::anti_domains(fleet, anti_scope);
    const std::vector<model::Resources> base = fleet.host_loads();
    std::vector<Timeline> timelines(fleet.hosts.size());
    std::vector<int32_t> per_wave(2, 0);
    int32_t waves = 0;
    // Anti-affinity: the last wave in which a member of a group leaves a host; another member
    // may arrive there only in a later wave, so the two never share it even in flight.
    std::map<std::pair<int32_t, std::string>, int32_t> anti_departed;
    NextOpen not_full;
    std::vector<std::pair<int32_t, int>> points;

    for (Move& m : moves) {
        const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
        const model::Resources& cap = fleet.hosts[static_cast<size_t>(m.target)].capacity;
        Timeline& tt = timelines[static_cast<size_t>(m.target)];
        Timeline* st = m.source >= 0 ? &timelines[static_cast<size_t>(m.source)] : nullptr;
        if (per_wave.size() < static_cast<size_t>(waves) + 2)
            per_wave.resize(static_cast<size_t>(waves) + 2, 0);

        // The earliest wave from which the target holds the VM in every later wave.
        int32_t earliest = earliest_fit(tt, base[static_cast<size_t>(m.target)], dem, cap, points);
        // The wave after all others holds the sequential state, which the planner made feasible.
        FP_ASSERT(earliest >= 1 && earliest <= waves + 1);
        const std::string& anti = fleet.vms[static_cast<size_t>(m.vm)].anti_group;
        if (!anti.empty()) {
            auto it = anti_departed.find({domain[static_cast<size_t>(m.target)], anti});
            if (it != anti_departed.end()) earliest = std::max(earliest, it->second + 1);
        }
        int32_t chosen = -1;
        // Full waves are skipped in one step (not_full), so a fleet total that makes thousands
        // of waves costs no scan of them per move.
        for (int32_t w = not_full.find(earliest); w <= waves + 1; w = not_full.find(w + 1)) {
            if (limits.max_per_host > 0) {
                if (busy_at(tt, w) >= limits.max_per_host) continue;
                if (st && busy_at(*st, w) >= limits.max_per_host) continue;
            }
            chosen = w;
            break;
        }
        FP_ASSERT(chosen != -1);
        m.step = chosen;
        Event& te = event_at(tt, chosen);
        te.arrive += dem;
        te.busy += 1;
        if (st) {
            Event& se = event_at(*st, chosen);
            se.depart += dem;
            se.busy += 1;
        }
        per_wave[static_cast<size_t>(chosen)] += 1;
        if (limits.max_total > 0 && per_wave[static_cast<size_t>(chosen)] >= limits.max_total)
            not_full.close(chosen);
        waves = std::max(waves, chosen);
        if (!anti.empty() && m.source >= 0) {
            int32_t& w = anti_departed[{domain[static_cast<size_t>(m.source)], anti}];
            w = std::max(w, chosen);
        }
    }
    return waves;
}

}  // namespace fp::plan
