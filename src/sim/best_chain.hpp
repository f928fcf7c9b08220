// `best`: fleetplan's own simulator chain, built to end CloudSim's migration storm while using
// no more energy. Each VM gets a per-VM forecast (the larger of its current demand and a high
// quantile of its recent history, widened while the history is short); hosts are packed on that
// forecast to a target utilisation, preferring the most power-efficient host type.
//  - hotspots: a host whose current demand or forecast crosses its line sheds the cheapest VMs
//    (least memory) that bring it back under, to the best-fitting active host;
//  - consolidation: a host is drained only when all its VMs fit elsewhere under a stricter line
//    and none moved within the cooldown; at most `drains_per_step` per step, unless the fleet
//    runs far more hosts than its forecast needs (as after the initial placement);
//  - never a new hotspot: a target must stay under its line on forecast and on every core.
//  - memory (MemoryModel::kReserved): each VM's memory forecast is the largest demand among its
//    last `mem_window` samples (what the simulation has seen); a target must stay under
//    mem_pack × its memory on that forecast, a host above mem_hot × its memory sheds VMs, and
//    the hosts the fleet needs count memory too. A host is a drain candidate only if its memory
//    forecast is also under mem_cold × its memory; the least loaded (CPU or memory) go first.
//    mem_rule chooses what "memory forecast" means: kPeak sums each VM's peak of its last
//    mem_window samples; kHostJump plans each host at its VMs' current demand plus a headroom
//    of the mem_jumps largest one-sample rises any of its VMs showed in its last mem_window
//    samples (peaks of different VMs rarely coincide, so summing them over-reserves).
// Thread-safety: one chain per engine. Determinism: ties by host and VM index.
#pragma once

#include <memory>
#include <optional>
#include <string_view>

#include "src/sim/engine.hpp"

namespace fp::sim {

// Where VMs are created and what the first, surplus consolidation keeps.
enum class BestStart {
    kMemoryDecreasing,  // first fit by decreasing memory; drains the least loaded hosts first
    kMostVms,  // first fit by increasing memory (most VMs per host); keeps the hosts with most VMs
};

// How `best` plans a host's memory (see above); [sim] best_mem_rule.
enum class BestMemRule { kPeak, kHostJump };
std::optional<BestMemRule> parse_best_mem_rule(std::string_view name);
inline constexpr const char* kBestMemRuleNames = "peak, host-jump";

struct BestChainParams {
    int32_t window = 12;               // forecast window (samples)
    double quantile = 0.9;             // forecast quantile of the window
    double short_history_widen = 0.5;  // extra share while the window is not full
    double pack = 0.85;                // targets stay under pack × capacity (forecast)
    double hot_now = 0.95;             // current demand above this × capacity: relieve
    double hot_forecast = 1.0;         // forecast above this × capacity: relieve
    double cold = 0.5;                 // forecast under this × capacity: a drain candidate
    double drain_pack = 0.8;           // drained VMs go only where the forecast stays under this
    int32_t drains_per_step = 1;
    double surplus_factor = 1.5;  // active hosts above this × needed: drain without limit
    int32_t cooldown = 12;        // steps before a moved VM may be moved by consolidation
    int32_t mem_window = 12;      // memory forecast window (samples)
    double mem_pack = 0.85;       // targets stay under this × memory (memory forecast)
    double mem_hot = 0.95;        // memory forecast above this × memory: relieve
    double mem_cold = 0.7;        // memory forecast under this × memory: may be drained
    BestStart start = BestStart::kMemoryDecreasing;
    BestMemRule mem_rule = BestMemRule::kPeak;
    int32_t mem_jumps = 1;  // kHostJump: a host's headroom is the sum of its VMs' largest rises
};

std::unique_ptr<Chain> make_best_chain(const BestChainParams& p);

}  // namespace fp::sim
