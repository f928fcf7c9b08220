// HDF5 checkpoints: the input fleet, the fully expanded config, seed, program version, input
// digests, the plan and its summary, in the layout documented in docs/checkpoint.md. Readable
// with h5dump and h5py; read back by `inspect` and `plan --resume`. Writes are atomic: a
// temporary file in the same directory, flushed, then renamed over the real name.
// hid_t never leaves checkpoint.cpp. Thread-safety: not thread-safe (HDF5 serial library).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "src/dispatch/dispatch.hpp"
#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/model/traffic.hpp"
#include "src/plan/plan.hpp"
#include "src/util/result.hpp"

namespace fp::io {

// 2: string columns are fixed-length (1: variable-length); readers accept both.
inline constexpr int kCheckpointFormatVersion = 2;
inline constexpr const char* kCheckpointFormatName = "fleetplan-checkpoint";

struct Checkpoint {
    int format_version = kCheckpointFormatVersion;
    std::string program_version;
    std::string command;  // "plan"
    uint64_t seed = 0;
    std::string goal;
    int64_t max_util_ppm = 0;
    std::string config_toml;                                  // fully expanded
    std::vector<std::pair<std::string, std::string>> inputs;  // (role, "path fnv1a64:hex")
    std::vector<std::string> evacuate;                        // host ids given with --evacuate
    model::Fleet fleet;
    // Writing only: when not empty, the VM rows to store instead of fleet.vms (left empty), with
    // their hosts (indices into fleet.hosts), so a caller can write rows it holds elsewhere
    // without copying them. Reading always fills fleet.vms.
    std::vector<const model::Vm*> vm_rows;
    std::vector<int32_t> vm_row_hosts;
    plan::Plan plan;
    std::string summary_json;
    // "fnv1a64:HEX" of plan.csv's bytes as `plan` wrote them (root attribute plan_csv_digest;
    // "" in files written before it): dispatch carries out only the plan.csv it matches.
    std::string plan_csv_digest;
    // Inputs beyond the fleet, kept so that --resume recomputes the same plan.
    model::History history;
    model::Traffic traffic;
    std::vector<uint8_t> frozen;  // per VM, from --previous (empty: none)
    int64_t now_s = -1;
    std::string fleet_changes;  // JSON, "" without --previous
    // `fleetplan dispatch`: the journal so far, folded in after each wave (/dispatch).
    std::vector<dispatch::JournalEntry> dispatch_journal;
};

Result<void> write_checkpoint(const std::string& path, const Checkpoint& ckpt);
// The file write_checkpoint would write, in memory (`path` names it in messages).
Result<std::string> checkpoint_image(const std::string& path, const Checkpoint& ckpt);
Result<Checkpoint> read_checkpoint(const std::string& path);

}  // namespace fp::io
