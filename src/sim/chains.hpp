// Every simulator policy chain by name: CloudSim's (src/sim/cloudsim_chain.hpp) and ours,
// `best` (src/sim/best_chain.hpp). Thread-safety: pure functions.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "src/sim/best_chain.hpp"
#include "src/sim/engine.hpp"
#include "src/util/result.hpp"

namespace fp::sim {

// The chains `--grid` runs, in table order.
const std::vector<std::string>& grid_chain_names();
// `best` gets `best` (its defaults unless a fleet config sets them).
Result<std::unique_ptr<Chain>> make_chain(const std::string& name, uint64_t seed,
                                          const BestChainParams& best = BestChainParams{});

}  // namespace fp::sim
