// The simulator's HDF5 checkpoint: the scenario it replays (hosts, types with power tables, VMs,
// traces: a resume needs no other file), the time axis written so far (per interval: energy,
// its floor, active hosts, hotspots, migrations, SLA figures, decision time, and CPU utilisation
// per host), the run's metrics, and the engine's resumable state (an opaque, versioned byte blob).
// Layout in docs/checkpoint.md; readable with h5dump and h5py. Written atomically. Thread-safety:
// not thread-safe (HDF5 serial library).
#pragma once

#include <string>
#include <vector>

#include "src/sim/engine.hpp"
#include "src/sim/scenario.hpp"
#include "src/util/result.hpp"

namespace fp::io {

inline constexpr const char* kSimCheckpointFormatName = "fleetplan-sim-checkpoint";
inline constexpr int kSimCheckpointFormatVersion =
    2;  // 2: /time/energy_floor_j, memory figures and traces

struct SimCheckpoint {
    std::string program_version;
    std::string chain;
    std::string inputs;       // what the scenario was built from (paths, preset)
    int32_t target_tick = 0;  // the run's last interval
    bool complete = false;
    sim::Scenario scenario;
    std::vector<sim::IntervalRow> rows;
    std::string state;  // Engine::save_state()
    std::string metrics_json;
    // Fleet runs (not the preset): the inputs' text, which the planner chain needs on --resume,
    // and the config file as given ("" for none).
    std::string hosts_csv, vms_csv, config_toml;
};

Result<void> write_sim_checkpoint(const std::string& path, const SimCheckpoint& c);
Result<SimCheckpoint> read_sim_checkpoint(const std::string& path);
// True when FILE is a simulator checkpoint (for `inspect`).
bool is_sim_checkpoint(const std::string& path);

}  // namespace fp::io
