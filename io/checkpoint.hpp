// HDF5 checkpoints: the input fleet, the fully expanded config, seed, program version, input
// digests, the plan and its summary, in the layout documented in docs/checkpoint.md. Readable
// with h5dump and h5py; read back by `inspect` and `plan --resume`. Writes are atomic: a
// temporary file in the same directory, flushed, then renamed over the real name.
// hid_t never leaves checkpoint.cpp. Thread-safety: not thread-safe (HDF5 serial library).
#pragma once

#include <optional>
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

// 2: string columns are fixed-length (1: variable-length). 3: as 2, but /fleet/vms's columns
// may be virtual datasets over part files written by every rank (VmParts). Readers accept all
// three; a self-contained file is written as version 2, which older readers read too.
inline constexpr int kCheckpointFormatVersion = 3;
inline constexpr int kSelfContainedFormatVersion = 2;
inline constexpr const char* kCheckpointFormatName = "fleetplan-checkpoint";

// ---- Checkpoints written by every rank ----
// Under MPI each rank writes the VM rows of its shards to a part file next to checkpoint.h5
// (VmPartWriter), and rank 0's checkpoint.h5 joins them: each /fleet/vms column is a virtual
// dataset mapping every shard's rows, in shard order, from the part that holds them (the rows
// are in the same order as in a one-process checkpoint). docs/checkpoint.md, "Parts".

// The part file name of `rank` for the run `token` (a plain file name, in the checkpoint's
// directory), and whether NAME is some run's part file.
std::string part_file_name(const std::string& token, int rank);
bool is_part_file_name(const std::string& name);

// One rank's VM rows: its shards in increasing order, each shard's rows contiguous.
struct VmPartRows {
    std::vector<const model::Vm*> rows;
    std::vector<int32_t> hosts;       // per row: index in the full host table (-1: new VM)
    std::vector<int32_t> shards;      // the shards, increasing
    std::vector<int64_t> shard_rows;  // per shard: its number of rows
};

// What rank 0 needs to join the parts, gathered from every rank.
struct VmParts {
    std::vector<std::string> files;  // per rank: its part's file name (relative)
    std::vector<int64_t> part_rows;  // per rank: rows in its part
    struct Span {
        int32_t rank = 0;
        int64_t first = 0;  // first row within the rank's part
        int64_t rows = 0;
    };
    std::vector<Span> shards;  // per shard, in shard order (global row order)
    // Per column of /fleet/vms (in table order): text columns' agreed width (fixed strings),
    // dictionary columns' names (every rank's, concatenated in rank order), and per shard the
    // crc32 of its slice as stored (combined here into the column's checksum).
    std::vector<int64_t> widths;
    std::vector<std::vector<std::string>> names;
    std::vector<std::vector<uint32_t>> crc;
};

// A rank's part: prepare (local), agree on widths and dictionary codes with the other ranks,
// then write.
class VmPartWriter {
  public:
    explicit VmPartWriter(VmPartRows rows);
    // Per /fleet/vms column (table order): the longest value of a text column (0 for others).
    std::vector<int64_t> widths() const;
    // Per column: a dictionary column's names in this part (empty for others).
    const std::vector<std::vector<std::string>>& names() const { return names_; }
    // Writes DIR/NAME atomically with the agreed widths (max over ranks) and, per column, this
    // rank's first dictionary code (the names of lower ranks come first). Returns per column,
    // per shard of this part, the crc32 of the slice as stored.
    Result<std::vector<std::vector<uint32_t>>> write(const std::string& path,
                                                     const std::vector<int64_t>& widths,
                                                     const std::vector<int32_t>& code_base);
    int64_t rows() const { return static_cast<int64_t>(rows_.rows.size()); }

  private:
    VmPartRows rows_;
    std::vector<std::vector<std::string>> names_;
    std::vector<std::vector<int32_t>> codes_;
};

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
    // Writing only: when set, /fleet/vms joins the ranks' part files (format 3) instead.
    std::optional<VmParts> vm_parts;
    // Reading only: the part files a format-3 checkpoint's /fleet/vms maps (paths next to it).
    std::vector<std::string> part_files;
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

// ---- Planning again: what `plan --previous` reads of a checkpoint ----
// A replan needs the previous plan's hosts (the fleet diff), its planning time (the cooldown)
// and the ids of the VMs its moves name (who cools down), not its VM rows. So the hosts, the
// attributes and /plan/moves are read whole (they are small), and of /fleet/vms a reader takes
// one range of rows, range k of n: rows [N·k/n, N·(k+1)/n), and keeps the ids of the moved VMs
// among them. n readers of the n ranges (the ranks) read each VM row once between them.
// Integrity as read_checkpoint's: a format-3 checkpoint's parts are checked first (missing, cut,
// not a part, shorter than mapped: bad input naming the part), and every /fleet/vms column's
// range is checksummed as stored; verify_previous_rows joins the ranges' sums in row order and
// compares them with the columns' crc32 attributes, so a damaged or stale row anywhere is bad
// input naming the column (and the parts), wherever it lies. The dispatch journal, when the
// plan was dispatched, says which moves happened: a VM whose journalled moves all failed, were
// skipped or never started is left out of moved_ids (it did not move, so no cooldown). Not read:
// the plan's other tables, the summary, history and traffic (nothing in a replan uses them).
struct ColumnSum {
    uint32_t crc = 0;   // crc32 of a range of a column's values as stored
    int64_t bytes = 0;  // their length in bytes
};
struct PreviousCheckpoint {
    int format_version = 0;
    model::Fleet fleet;             // the hosts, indexed; no VM rows
    int64_t now_s = -1;             // -1: planned without --now
    std::vector<plan::Move> moves;  // every move; vm: a row of /fleet/vms
    int64_t vm_rows = 0;            // rows of /fleet/vms
    int64_t first_row = 0;          // the range read: [first_row, first_row + rows_read)
    int64_t rows_read = 0;
    std::vector<std::string> moved_ids;  // ids of the range's rows that a move names (and, when
                                         // dispatched, that moved), row order
    std::vector<ColumnSum> sums;         // per /fleet/vms column (table order): the range's
    std::vector<std::optional<uint32_t>> want;  // per column: its crc32 (none: older file)
    std::string parts;  // the part files /fleet/vms maps, comma-separated ("" for none)
};
// Range `range` of `ranges` (0 <= range < ranges). Bad input names the file.
[[nodiscard]] Result<PreviousCheckpoint> read_previous(const std::string& path, int range,
                                                       int ranges);
// Every range's sums, in range order (what each reader of `path` returned; `prev` is any one
// of them): the joined sum of each column against its crc32 attribute.
[[nodiscard]] Result<void> verify_previous_rows(const std::string& path,
                                                const PreviousCheckpoint& prev,
                                                const std::vector<std::vector<ColumnSum>>& ranges);

Result<void> write_checkpoint(const std::string& path, const Checkpoint& ckpt);
// The file write_checkpoint would write, in memory (`path` names it in messages).
Result<std::string> checkpoint_image(const std::string& path, const Checkpoint& ckpt);
Result<Checkpoint> read_checkpoint(const std::string& path);

}  // namespace fp::io
