// The fixed small scenario fuzz_sim_state loads states into (also used by the regression test
// of a state it found): 4 hosts of the PlanetLab preset's types, 6 VMs, 6 intervals, `best`.
#pragma once
#include <memory>
#include <string>

#include "src/sim/chains.hpp"
#include "src/sim/engine.hpp"
#include "src/sim/preset.hpp"
#include "src/sim/scenario.hpp"
#include "src/util/assert.hpp"

namespace fp::fuzz {

inline const fp::sim::Scenario& scenario() {
    static const fp::sim::Scenario sc = [] {
        fp::sim::Scenario s;
        s.name = "fuzz";
        s.interval_s = 300;
        s.intervals = 6;
        s.tick_offset_s = 0.1;
        s.finish_idle_vms = true;
        s.types = {{"g4", 2, 1860, 4096, 1000, fp::sim::hp_ml110_g4_power()},
                   {"g5", 2, 2660, 4096, 1000, fp::sim::hp_ml110_g5_power()}};
        s.host_ids = {"h0", "h1", "h2", "h3"};
        s.host_type = {0, 1, 0, 1};
        const double mips[] = {2500, 2000, 1000, 500, 2500, 1000};
        const double ram[] = {870, 1740, 1740, 613, 870, 1740};
        for (int v = 0; v < 6; ++v) {
            s.vm_ids.push_back("v" + std::to_string(v));
            s.vm_mips.push_back(mips[v]);
            s.vm_pes.push_back(1);
            s.vm_ram_mb.push_back(ram[v]);
            s.vm_bw_mbps.push_back(100);
            s.vm_initial_host.push_back(-1);
            std::vector<double> tr;
            for (int k = 0; k <= 6; ++k) tr.push_back(((v * 37 + k * 53) % 101) / 100.0);
            if (v == 5) tr[3] = 0;  // finishes (CloudSim's idle-VM rule)
            s.trace.push_back(tr);
        }
        return s;
    }();
    return sc;
}

inline std::unique_ptr<fp::sim::Engine> make_engine() {
    auto chain = fp::sim::make_chain("best", 1);
    FP_ASSERT(chain.has_value());
    return std::make_unique<fp::sim::Engine>(scenario(), std::move(*chain));
}

}  // namespace fp::fuzz
