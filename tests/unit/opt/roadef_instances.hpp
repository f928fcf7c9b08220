// Small ROADEF instances for the optimiser's tests: a hand-built one per constraint, and a
// seeded random one whose initial assignment keeps every hard constraint.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "src/opt/roadef_model.hpp"
#include "src/util/rng.hpp"

namespace fp::opt::testing {

// M machines (machine m in location loc[m], neighbourhood nbh[m]), one resource (transient as
// given) of capacity `cap` with safety capacity `cap`, move costs 1, all weights 1.
inline RoadefModel tiny(int32_t machines, int64_t cap, bool transient, std::vector<int32_t> loc,
                        std::vector<int32_t> nbh) {
    RoadefModel md;
    md.resources = 1;
    md.transient = {static_cast<uint8_t>(transient)};
    md.weight_load = {1};
    md.machines = machines;
    md.location = std::move(loc);
    md.neighborhood = std::move(nbh);
    md.locations = *std::max_element(md.location.begin(), md.location.end()) + 1;
    md.neighborhoods = *std::max_element(md.neighborhood.begin(), md.neighborhood.end()) + 1;
    md.capacity.assign(static_cast<size_t>(machines), cap);
    md.safety_capacity.assign(static_cast<size_t>(machines), cap);
    md.move_cost.assign(static_cast<size_t>(machines) * machines, 1);
    for (int32_t m = 0; m < machines; ++m) md.move_cost[static_cast<size_t>(m) * machines + m] = 0;
    md.weight_process_move = md.weight_service_move = md.weight_machine_move = 1;
    return md;
}
inline void add_service(RoadefModel& md, int32_t spread_min, std::vector<int32_t> deps = {}) {
    md.spread_min.push_back(spread_min);
    md.depends_on.push_back(std::move(deps));
    ++md.services;
}
inline void add_process(RoadefModel& md, int32_t service, int64_t req, int32_t machine) {
    md.service.push_back(service);
    md.requirement.push_back(req);
    md.process_move_cost.push_back(1);
    md.initial.push_back(machine);
    ++md.processes;
}

// A random instance: R resources (the first transient), tight capacities (usage plus 0-40%
// slack), safety capacities below usage on some machines, two balance objectives, services of
// 1-4 processes on distinct machines, spread and dependencies that the initial assignment
// keeps.
inline RoadefModel random_instance(uint64_t seed, int32_t machines = 8, int32_t processes = 40) {
    CounterRng rng(seed, 0, 0);
    RoadefModel md;
    md.resources = 3;
    md.transient = {1, 0, 0};
    md.weight_load = {10, 3, 1};
    md.machines = machines;
    for (int32_t m = 0; m < machines; ++m) {
        md.location.push_back(m % 4);
        md.neighborhood.push_back(m % 3);
    }
    md.locations = std::min(machines, 4);
    md.neighborhoods = std::min(machines, 3);
    md.move_cost.resize(static_cast<size_t>(machines) * machines);
    for (int32_t a = 0; a < machines; ++a)
        for (int32_t b = 0; b < machines; ++b)
            md.move_cost[static_cast<size_t>(a) * machines + b] =
                a == b ? 0 : static_cast<int64_t>(rng.below(5));
    // Services and their processes, each service on distinct machines.
    while (md.processes < processes) {
        const int32_t s = md.services;
        const auto size =
            std::min<int32_t>(1 + static_cast<int32_t>(rng.below(4)), processes - md.processes);
        std::vector<int32_t> ms(static_cast<size_t>(machines));
        for (int32_t m = 0; m < machines; ++m) ms[static_cast<size_t>(m)] = m;
        for (int32_t i = 0; i < size; ++i) {
            const auto j = static_cast<size_t>(i) + rng.below(static_cast<uint64_t>(machines - i));
            std::swap(ms[static_cast<size_t>(i)], ms[j]);
            md.service.push_back(s);
            for (int32_t r = 0; r < md.resources; ++r)
                md.requirement.push_back(1 + static_cast<int64_t>(rng.below(20)));
            md.process_move_cost.push_back(static_cast<int64_t>(rng.below(4)));
            md.initial.push_back(ms[static_cast<size_t>(i)]);
            ++md.processes;
        }
        md.spread_min.push_back(0);
        md.depends_on.emplace_back();
        ++md.services;
    }
    // Capacities from the initial usage.
    std::vector<int64_t> use(static_cast<size_t>(machines) * md.resources, 0);
    for (int32_t p = 0; p < md.processes; ++p)
        for (int32_t r = 0; r < md.resources; ++r)
            use[static_cast<size_t>(md.initial[p]) * md.resources + r] += md.req(p, r);
    for (size_t i = 0; i < use.size(); ++i) {
        md.capacity.push_back(
            use[i] + static_cast<int64_t>(rng.below(static_cast<uint64_t>(use[i] * 4 / 10 + 2))));
        md.safety_capacity.push_back(use[i] * (7 + static_cast<int64_t>(rng.below(5))) / 10);
    }
    // Spread and dependencies the initial assignment keeps.
    std::vector<std::vector<int32_t>> locs(static_cast<size_t>(md.services)),
        nbhs(static_cast<size_t>(md.services));
    for (int32_t p = 0; p < md.processes; ++p) {
        locs[md.service[p]].push_back(md.location[md.initial[p]]);
        nbhs[md.service[p]].push_back(md.neighborhood[md.initial[p]]);
    }
    for (int32_t s = 0; s < md.services; ++s) {
        auto& l = locs[s];
        std::sort(l.begin(), l.end());
        l.erase(std::unique(l.begin(), l.end()), l.end());
        md.spread_min[s] = static_cast<int32_t>(rng.below(l.size() + 1));
        auto& n = nbhs[s];
        std::sort(n.begin(), n.end());
        n.erase(std::unique(n.begin(), n.end()), n.end());
    }
    for (int32_t s = 0; s < md.services; ++s)
        for (int32_t d = 0; d < md.services; ++d) {
            if (d == s || rng.below(4) != 0) continue;
            if (std::includes(nbhs[d].begin(), nbhs[d].end(), nbhs[s].begin(), nbhs[s].end()))
                md.depends_on[s].push_back(d);
        }
    md.balances = {{0, 1, 2, 5}, {2, 1, 1, 2}};
    md.weight_process_move = 2;
    md.weight_service_move = 7;
    md.weight_machine_move = 3;
    return md;
}

}  // namespace fp::opt::testing
