// The policy chains of Beloglazov & Buyya (2012) as CloudSim 3.0.3 runs them, so that its
// published PlanetLab experiments can be reproduced and compared with: an overload detector
// (THR, IQR, MAD, LR, LRR), a VM selection (MMT, MC, RS, MU) and power-aware best-fit decreasing
// placement (PABFD), plus CloudSim's consolidation of under-utilised hosts. Every decision step
// works on a tentative copy of the allocation, as CloudSim's saveAllocation/restoreAllocation.
// CloudSim's quirks are kept on purpose and documented in the README (e.g. the current power of a
// host is taken from the last update, without the VMs tentatively placed on it in this step).
// Thread-safety: one chain per engine. Determinism: RS draws from (seed, tick, draw index).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/sim/engine.hpp"
#include "src/util/result.hpp"

namespace fp::sim {

enum class Detector { kThr, kIqr, kMad, kLr, kLrr };
enum class VmChoice { kMmt, kMc, kRs, kMu };

struct CloudSimChainParams {
    Detector detector = Detector::kThr;
    double parameter = 0.8;  // THR threshold, IQR/MAD safety s, LR/LRR safety
    VmChoice selection = VmChoice::kMmt;
    double fallback_threshold = 0.7;  // until IQR, MAD and LR have enough history
    uint64_t seed = 1;
};

std::unique_ptr<Chain> make_cloudsim_chain(const std::string& name, const CloudSimChainParams& p);

// The named chains of the literature: thr-mmt, iqr-mmt, mad-mmt, lr-mmt, lrr-mmt, lr-mc, lr-rs,
// lr-mu (THR 0.8, IQR 1.5, MAD 2.5, LR and LRR 1.2). Unknown names are an error naming the valid
// ones.
Result<CloudSimChainParams> cloudsim_chain_params(const std::string& name, uint64_t seed);
const std::vector<std::string>& cloudsim_chain_names();

}  // namespace fp::sim
