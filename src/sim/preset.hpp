// The CloudSim PlanetLab preset (Beloglazov & Buyya 2012, CloudSim 3.0.3's PlanetLab runner):
// 800 hosts alternating HP ProLiant ML110 G4 (2 × 1860 MIPS) and G5 (2 × 2660 MIPS), 4096 MB,
// 1 Gbit/s, with their SPECpower tables; one VM per trace file, VM i of type
// i / ceil(n / 4) among 2500/2000/1000/500 MIPS with 870/1740/1740/613 MB, 1 core, 100 Mbit/s;
// a 300 s interval over 24 h. Trace values are percentages; the last is repeated as the 289th
// sample. Thread-safety: pure functions.
#pragma once

#include <string>
#include <vector>

#include "src/sim/best_chain.hpp"
#include "src/sim/scenario.hpp"

namespace fp::sim {

struct PlanetLabDay {
    std::vector<std::string> names;     // in VM creation order
    std::vector<std::vector<int>> pct;  // per VM: 288 integer percentages
};

constexpr int32_t kPlanetLabSamples = 288;

PowerModel hp_ml110_g4_power();
PowerModel hp_ml110_g5_power();
Scenario cloudsim_planetlab(const PlanetLabDay& day, uint64_t seed);

// The `best` chain's settings on this preset (issue 19's energy target: at most 1.4× the energy
// floor with SLATAH <= 1%, at most 1/20 of lr-mmt's migrations and no more unserved CPU than
// thr-mmt). Its VMs are small against a host (after the first hour about 17 per host), so it
// packs to 0.95 of a host on the 0.75 quantile, relieves a host only once its current demand
// exceeds it or its forecast exceeds 1.2 × it, drains hosts under 0.6 into hosts kept under
// 0.85, and starts with BestStart::kMostVms. Measured on both PlanetLab days: README.
BestChainParams cloudsim_planetlab_best_params();

}  // namespace fp::sim
