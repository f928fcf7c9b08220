// Inputs of `fleetplan simulate`: a PlanetLab day directory (one file per VM, in --trace-order
// or byte order) for the CloudSim preset, and a scenario from hosts.csv + vms.csv + a trace
// (a PlanetLab directory or the CSV `time,vm,cpu[,mem,net]`) with [sim] settings. Errors name
// FILE:LINE:FIELD. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>

#include "src/sim/preset.hpp"
#include "src/sim/scenario.hpp"
#include "src/util/result.hpp"

namespace fp::io {

// Reads DIR's trace files: the names in `order_file` (one per line, spaces kept) when given,
// else every regular file not starting with '.', in byte order. Each must hold 288 samples.
Result<sim::PlanetLabDay> read_planetlab_day(const std::string& dir,
                                             const std::optional<std::string>& order_file);

struct SimSettings {
    int64_t interval_s = 300;
    std::optional<int32_t> intervals;  // default: the trace's length
    double boot_s = 60;
    double boot_energy_wh = 2;
    double degradation = 0.1;
    double migration_bw_share = 0.5;
    double default_idle_w = 100, default_max_w = 250;  // hosts without power columns
};

// A scenario from the fleet files: hosts keep their cores (1000 MIPS each), memory, network and
// linear power model; VMs their size (cpu_alloc or cpu) and, when the trace has none for them,
// their current CPU demand as a constant. Memory is reserved wherever a VM runs or arrives.
Result<sim::Scenario> fleet_scenario(const std::string& hosts_csv, const std::string& vms_csv,
                                     const std::string& trace, const SimSettings& settings,
                                     uint64_t seed);

}  // namespace fp::io
