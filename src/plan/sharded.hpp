// The sharded planner: the fleet is cut into a fixed number of shards (contiguous by site and
// rack, independent of how many processes run), every shard is planned on its own (in parallel,
// on any rank), and a global step places what no shard could place by itself. A shard's outcome
// is a summary — the load of the VMs that stay, plus the VMs it moved or could not place — so the
// global step and the wave assembly work on a skeleton of the fleet, not on its VM table.
// Determinism: shards depend only on the host table and shard_hosts; each shard's plan only on
// its own input; the global step sees outcomes in shard order. So the plan is the same for any
// number of ranks and threads. Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/model/traffic.hpp"
#include "src/plan/plan.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"

namespace fp::plan {

struct ShardMap {
    int32_t shards = 1;
    std::vector<int32_t> shard_of_host;       // per host of the host table
    std::vector<int32_t> local_of_host;       // per host: its index within its shard
    std::vector<std::vector<int32_t>> hosts;  // per shard: its hosts, sorted by (site, rack, id)
    std::vector<double> weight;  // per shard: its capacity, in units of the largest host
};

// Whole racks (split only when larger than a shard) dealt to shards of about shard_hosts hosts,
// never mixing sites unless a site is smaller than half a shard; within a site a shard mixes
// racks, so it holds every host type the site has. shard_hosts = 0: one shard.
ShardMap make_shards(const std::vector<model::Host>& hosts, int32_t shard_hosts);
// The shard a new VM (no host yet) is first offered to.
int32_t shard_of_new_vm(std::string_view vm_id, int32_t shards);
// Which rank owns each shard: the heaviest shard first to the least loaded rank (ties: the lower
// rank), so ranks hold about equal capacity and, with it, about equal numbers of VM rows.
std::vector<int32_t> shard_owners(const ShardMap& map, int32_t ranks);

// One shard's input. VMs keep the order in which they were read.
struct ShardInput {
    int32_t shard = 0;
    model::Fleet fleet;           // the shard's hosts (ShardMap order) and VMs (hosts local)
    model::History history;       // indexed like fleet.vms; empty: none
    model::Traffic traffic;       // edges between the shard's own VMs
    std::vector<uint8_t> frozen;  // per VM: in cooldown
    std::vector<int64_t> origin;  // per VM: index in the caller's VM table (in-process only)
};

// Splits a process's VMs (hosts indexed in the full host table; hosts must hold every host)
// into the shards it owns (take[s] != 0), in shard order. History, traffic and frozen are
// indexed like fleet.vms. The VMs and history are moved into the shards and their storage
// released (fleet.vms and history come back empty; fleet.hosts is untouched): at 2M VMs the
// emptied table alone held 368 MB through the whole plan.
std::vector<ShardInput> split_shards(model::Fleet&& fleet, model::History&& history,
                                     const model::Traffic& traffic,
                                     const std::vector<uint8_t>& frozen, const ShardMap& map,
                                     const std::vector<uint8_t>& take);

// A VM a shard moved, deferred, resized or named as unresolved, with everything the global step
// and the outputs need.
struct ListedVm {
    model::Vm vm;         // host: index in the full host table (kNoHost: new)
    int32_t local = -1;   // index among its shard's VMs
    int64_t origin = -1;  // ShardInput::origin
    uint8_t frozen = 0;
    std::vector<float> cpu, mem, net;  // history (deferred VMs only)
};

struct ShardOutcome {
    int32_t shard = 0;
    int64_t vms = 0;                                    // VMs of the shard
    int64_t frozen = 0;                                 // of them in cooldown
    int64_t mem_kib = 0;                                // their memory (budget accounting)
    std::vector<model::Resources> static_load;          // per shard host: the VMs not listed
    std::vector<int32_t> static_count;                  // per shard host: how many they are
    std::vector<std::pair<int32_t, std::string>> anti;  // (host, anti_group) among them
    std::vector<ListedVm> listed;
    // vm: index into listed; hosts: the full host table. Moves in decision order, no waves.
    Plan plan;
    PhaseTimes times;
    int64_t history_interval_s = 300;
    int32_t history_length = 0;  // the fleet's longest series (0: no history)
};

// What the budget split needs to know of each shard before any is planned.
struct ShardDemand {
    int64_t must_moves = 0;    // running VMs on hosts being evacuated
    int64_t must_mem_kib = 0;  // their memory
    int64_t mem_kib = 0;       // all the shard's VMs' memory
};
ShardDemand shard_demand(const ShardInput& in, const ShardMap& map, const PlanOptions& options);

// Plans one shard. `options` is the fleet-wide options (evacuate in the full host table).
// `demand` holds every shard's ShardDemand (indexed by shard): a budget goes first to the
// evacuations, then by hosts; a move that must happen but finds no budget left in its shard is
// deferred, so the global step may pay for it with what other shards left.
ShardOutcome plan_shard(const ShardInput& in, const ShardMap& map, const PlanOptions& options,
                        const policy::PolicySet& policies, const std::vector<ShardDemand>& demand);

struct GlobalPlan {
    // Every host, per host one pinned aggregate of its unlisted VMs (and a zero-size marker per
    // anti-affinity group among them), then every listed VM at its original host.
    model::Fleet skeleton;
    Plan plan;                            // indexes the skeleton; waves and cost estimates assigned
    std::vector<int32_t> listed_shard;    // per skeleton VM: its shard, -1 for pseudo VMs
    std::vector<const ListedVm*> listed;  // per skeleton VM: its record, nullptr for pseudo VMs
    int64_t vms = 0;                      // VMs in the fleet
    int64_t frozen = 0;                   // VMs in cooldown
};

// The global step over all shards' outcomes (in shard order), then waves and cost estimates.
// `outcomes` must outlive the result (GlobalPlan::listed points into them).
GlobalPlan resolve_global(const std::vector<model::Host>& hosts, const ShardMap& map,
                          const std::vector<ShardOutcome>& outcomes, const PlanOptions& options,
                          const policy::PolicySet& policies, PhaseTimes& times);

}  // namespace fp::plan
