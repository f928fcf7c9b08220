#include "src/sim/chains.hpp"

#include "src/sim/best_chain.hpp"
#include "src/sim/cloudsim_chain.hpp"

namespace fp::sim {

const std::vector<std::string>& grid_chain_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> n = cloudsim_chain_names();
        n.push_back("best");
        return n;
    }();
    return names;
}

Result<std::unique_ptr<Chain>> make_chain(const std::string& name, uint64_t seed,
                                          const BestChainParams& best) {
    if (name == "best") return make_best_chain(best);
    auto p = cloudsim_chain_params(name, seed);
    if (!p) return tl::unexpected(p.error());
    return make_cloudsim_chain(name, *p);
}

}  // namespace fp::sim
