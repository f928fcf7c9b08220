#include "src/sim/preset.hpp"

#include <algorithm>

namespace fp::sim {

PowerModel hp_ml110_g4_power() {
    return PowerModel{{86, 89.4, 92.6, 96, 99.5, 102, 106, 108, 112, 114, 117}};
}

PowerModel hp_ml110_g5_power() {
    return PowerModel{{93.7, 97, 101, 105, 110, 116, 121, 125, 129, 133, 135}};
}

BestChainParams cloudsim_planetlab_best_params() {
    BestChainParams p;
    p.quantile = 0.75;
    p.pack = 0.95;
    p.hot_now = 1.0;
    p.hot_forecast = 1.2;
    p.cold = 0.6;
    p.drain_pack = 0.85;
    p.cooldown = 24;
    p.start = BestStart::kMostVms;
    return p;
}

Scenario cloudsim_planetlab(const PlanetLabDay& day, uint64_t seed) {
    Scenario sc;
    sc.name = "cloudsim-planetlab";
    sc.interval_s = 300;
    sc.intervals = kPlanetLabSamples;
    sc.types = {HostType{"HP ProLiant ML110 G4", 2, 1860, 4096, 1000, hp_ml110_g4_power()},
                HostType{"HP ProLiant ML110 G5", 2, 2660, 4096, 1000, hp_ml110_g5_power()}};
    constexpr int32_t kHosts = 800;
    for (int32_t h = 0; h < kHosts; ++h) {
        sc.host_ids.push_back("host-" + std::to_string(h));
        sc.host_type.push_back(h % 2);
    }
    const int32_t n = static_cast<int32_t>(day.names.size());
    const int32_t block = std::max<int32_t>(1, (n + 3) / 4);
    static constexpr double kMips[4] = {2500, 2000, 1000, 500};
    static constexpr double kRam[4] = {870, 1740, 1740, 613};
    for (int32_t v = 0; v < n; ++v) {
        const int32_t type = std::min(3, v / block);
        sc.vm_ids.push_back(day.names[v]);
        sc.vm_mips.push_back(kMips[type]);
        sc.vm_pes.push_back(1);
        sc.vm_ram_mb.push_back(kRam[type]);
        sc.vm_bw_mbps.push_back(100);
        sc.vm_initial_host.push_back(-1);
        std::vector<double> tr;
        tr.reserve(kPlanetLabSamples + 1);
        for (int32_t i = 0; i < kPlanetLabSamples; ++i) tr.push_back(day.pct[v][i] / 100.0);
        tr.push_back(tr.back());
        sc.trace.push_back(std::move(tr));
    }
    sc.memory = MemoryModel::kInstantiation;
    sc.power_state = PowerState::kUtilisation;
    sc.incoming = IncomingDemand::kFull;
    sc.boot_s = 0;
    sc.boot_energy_wh = 0;
    sc.degradation = 0.1;
    sc.target_share = 0.1;
    sc.migration_bw_share = 0.5;
    sc.tick_offset_s = 0.1;
    sc.finish_idle_vms = true;
    sc.seed = seed;
    return sc;
}

}  // namespace fp::sim
