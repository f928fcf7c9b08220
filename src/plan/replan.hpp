// Rules for planning again after a previous plan (`plan --previous CKPT.h5`): which VMs are
// still cooling down, and what changed in the fleet since. Pure functions of the two fleets
// (the previous one: its hosts, and the ids of the VMs its plan moved).
// Thread-safety: pure functions. Determinism: outputs sorted by id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/plan.hpp"

namespace fp::plan {

// What changed since the previous plan's fleet: hosts added, removed or newly in maintenance
// (ids in byte order), and how many VMs are new (to place).
struct FleetChanges {
    std::vector<std::string> hosts_added;
    std::vector<std::string> hosts_removed;
    std::vector<std::string> hosts_entered_maintenance;
    int64_t new_vms = 0;
};
FleetChanges fleet_changes(const model::Fleet& prev, const model::Fleet& now);

// Whether the previous plan's moves still cool down: until cooldown_s has passed since its
// planning time. Without both times (-1: not given) they conservatively do.
bool cooling_down(int64_t prev_now_s, int64_t now_s, int64_t cooldown_s);

// Per VM of `now`: 1 when the previous plan moved it and `cooling`, else 0. `moved_ids`: the
// ids of the VMs the previous plan's moves name (any of them, in any order; ids not in `now`
// are skipped), so that a rank passes only those of its own VMs.
std::vector<uint8_t> cooldown_frozen(const std::vector<std::string>& moved_ids,
                                     const model::Fleet& now, bool cooling);

}  // namespace fp::plan
