// The inputs keyed by VM id (--history, --traffic, --previous), read split across the ranks like
// vms.csv (issue 16): each rank parses a record-aligned byte range of the file
// (src/dist/split_file.hpp) and every row reaches the rank that plans its VM, through the VM
// directory (the shard of every id, held by the id's hash-bucket rank), so no rank reads every row.
//   - history (CSV `time,vm,cpu[,mem,net]`): a sample goes to its VM's bucket, then to the
//     VM's owner; the owner sorts and fills the series of its VMs. The interval (the smallest
//     step over all VMs), the gap-filling bound and the longest series are agreed over the
//     ranks, so every series equals the one-process one. A PlanetLab directory: each rank reads
//     the files named by its own VMs' ids.
//   - traffic (`vm_a,vm_b,mbps`): the planner uses only pairs within one shard (see
//     plan::split_shards), so a pair travels to the bucket of its smaller id (that end's shard),
//     to the bucket of its larger id (the other end's shard and the duplicate check: every row of
//     one pair meets there), then, when both ends share a shard, to that shard's owner.
// Errors: when any rank finds any fault (a CSV or value fault, an unknown VM, a duplicate, a
// series too long), every rank reads the whole file and all of vms.csv and runs the
// one-process reader, so the messages are exactly one process's (FILE:LINE:COLUMN, exit 2).
// Bad input is the rare path; it costs a full read.
// Determinism: what a rank ends up with depends on the files and the shard map only (rows in
// file order per VM, series and edges as the one-process reader builds them).
// Thread-safety: one call per rank on its own thread with its communicator.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "io/checkpoint.hpp"
#include "io/history.hpp"
#include "src/dist/communicator.hpp"
#include "src/dist/split_file.hpp"
#include "src/model/fleet.hpp"
#include "src/model/traffic.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// What a rank holds when the inputs are split: its VMs (indexed, with every host), the
// directory of all VMs, and the owner of every shard. `whole_fleet` reads every VM row (the
// fault path only).
struct SplitFleet {
    const model::Fleet& mine;
    const VmDirectory& directory;
    const std::vector<int32_t>& shard_owner;
    std::function<Result<model::Fleet>()> whole_fleet;
};

struct SplitHistory {
    io::HistoryLoad load;     // series of this rank's VMs (indexed like fleet.mine.vms)
    int64_t rows_parsed = 0;  // CSV rows (or PlanetLab files) this rank read
};
[[nodiscard]] Result<SplitHistory> read_history_split(const std::string& path,
                                                      const SplitFleet& fleet, Communicator& comm);

struct SplitTraffic {
    model::Traffic traffic;   // pairs within one shard of this rank's VMs (both directions)
    uint64_t digest = 0;      // io::blocked_digest of the whole file
    int64_t rows_parsed = 0;  // CSV rows this rank parsed
};
[[nodiscard]] Result<SplitTraffic> read_traffic_split(const std::string& path,
                                                      const SplitFleet& fleet, Communicator& comm);

// --previous (a checkpoint): each rank reads its range of the previous VM rows
// (io::read_previous, range r of P), the ranges' checksums are joined and checked on every rank
// (io::verify_previous_rows), and the ids of the moved VMs each rank found reach the owners of
// those VMs through the directory (ids no longer in the fleet are dropped). One process reads
// every row (P = 1) and keeps every moved id. Errors are the one-process reader's: every rank
// checks the parts, and the joined checksums are the same on every rank.
struct SplitPrevious {
    io::PreviousCheckpoint prev;  // moved_ids: those of this rank's VMs (P > 1), sorted
    int64_t rows_read = 0;        // /fleet/vms rows this rank read
};
// `fleet` is null for one process (no directory).
[[nodiscard]] Result<SplitPrevious> read_previous_split(const std::string& path,
                                                        const SplitFleet* fleet,
                                                        Communicator& comm);

}  // namespace fp::dist
