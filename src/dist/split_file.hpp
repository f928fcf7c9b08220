// The generic parts of reading an input file split across the ranks (issue 16), shared by
// vms.csv (src/dist/split_vms.hpp) and the inputs keyed by VM id (src/dist/split_inputs.hpp):
//   - read_record_range: each rank reads its nominal byte range [S·r/P, S·(r+1)/P) of the file's
//     body, the ranks exchange quote and newline counts (io/record_split.hpp) and their first
//     record starts, and each rank ends up with a record-aligned range, its first physical line,
//     and the whole file's `fnv1a64-1m` digest from every rank's 1 MiB blocks;
//   - read_csv_split: the same for any CSV with a one-record header, parsed into rows;
//   - VmDirectory and route_by_vm: the shard of every VM id, held by the rank of the id's hash
//     bucket, so that rows keyed by a VM id reach the rank that plans the VM in two all-to-alls
//     (parsing rank → bucket rank → owner) without any rank holding every id.
// Every step is agreed before the next collective (src/dist/collectives.hpp).
// Determinism: a rank's range, rows and what it receives (in rank order) depend on the file and
// P only; results built from them are in file order.
// Thread-safety: one call per rank on its own thread with its communicator.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "io/csv.hpp"
#include "src/dist/communicator.hpp"
#include "src/model/fleet.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// Little-endian int64 values in a byte string, for the allgathers of small numbers.
std::string pack_i64(const std::vector<int64_t>& v);
std::vector<int64_t> unpack_i64(const std::string& s);
// Every rank's values (the same count on each), in rank order.
[[nodiscard]] Result<std::vector<std::vector<int64_t>>> allgather_i64(
    std::string_view collective, const std::vector<int64_t>& mine, Communicator& comm);

// The nominal byte range [first, last) of rank r among `ranks` in a file of `size` bytes
// (size·r/P to size·(r+1)/P), and the 1 MiB digest blocks it computes: those starting in it
// (`blocks` of them), for which it reads on to `read_end`.
struct NominalRange {
    int64_t first = 0;
    int64_t last = 0;
    int64_t blocks = 0;
    int64_t read_end = 0;
};
[[nodiscard]] NominalRange nominal_range(int64_t size, int rank, int ranks);

// A rank's record-aligned part of a file.
struct RecordRange {
    std::string bytes;    // the file from `first` on, through mine.end at least
    int64_t first = 0;    // the file offset of bytes[0]
    io::CsvChunk mine;    // file offsets, record-aligned (empty: begin == end)
    uint64_t digest = 0;  // io::blocked_digest of the whole file
    // mine, as offsets into `bytes`.
    io::CsvChunk local() const {
        return {mine.begin - static_cast<size_t>(first), mine.end - static_cast<size_t>(first),
                mine.line};
    }
};
// Collective. The body (records after the header) starts at file offset `body` on physical
// line `body_line`; `size` is the file's size; `name` names the collectives.
[[nodiscard]] Result<RecordRange> read_record_range(const std::string& path, int64_t size,
                                                    int64_t body, int64_t body_line,
                                                    std::string_view name, Communicator& comm);

// A CSV file's header and this rank's rows.
struct CsvSplit {
    std::vector<std::string> header;
    std::vector<io::CsvRow> rows;  // this rank's range, in file order
    uint64_t digest = 0;           // io::blocked_digest of the whole file
    // The split read cannot stand for the sequential one: a fault in this rank's range (CSV
    // syntax, invalid UTF-8), or a header it does not read alone (an empty file, blank lines
    // or a fault before it). The caller then reads the whole file, for one process's messages.
    bool fault = false;
};
// Collective (its `fault` is this rank's: callers combine them).
[[nodiscard]] Result<CsvSplit> read_csv_split(const std::string& path, std::string_view name,
                                              Communicator& comm);

// The shard of every VM id, split by the id's hash bucket (io::vm_id_bucket): this rank holds
// the ids of its bucket.
class VmDirectory {
  public:
    // Collective: every rank passes the VMs it holds (vms[i] in shard shard_of[i]).
    [[nodiscard]] static Result<VmDirectory> build(const std::vector<model::Vm>& vms,
                                                   const std::vector<int32_t>& shard_of,
                                                   Communicator& comm);
    // The shard of an id of this rank's bucket; -1: no such VM.
    int32_t shard(std::string_view id) const;
    // The rank whose bucket holds `id`.
    static int bucket(std::string_view id, int ranks);

  private:
    // The ids received, back to back. The map's keys point into it, so it lives on the heap: a
    // short string's bytes sit inside the string object and would move with the directory.
    std::unique_ptr<std::string> ids_ = std::make_unique<std::string>();
    std::unordered_map<std::string_view, int32_t> shard_;
};

// One item keyed by a VM id, in flight: its id and its payload (opaque bytes).
struct Keyed {
    std::string_view id;
    std::string_view payload;
};
// Collective: delivers items keyed by VM id in two all-to-alls. The bucket rank of each item's
// id looks its shard up (-1: unknown) and calls `forward(item, shard)`, which names the rank
// to deliver it to (or -1 to drop it) and may append bytes to what travels on (`extra`).
// Returns, per source rank in rank order, the delivered items as [u32 id][id][u32
// payload+extra][payload extra], for flat::Reader.
using Forward = std::function<int(const Keyed& item, int32_t shard, std::string& extra)>;
[[nodiscard]] Result<std::vector<std::string>> route_by_vm(std::string_view name,
                                                           std::vector<std::string> to_bucket,
                                                           const VmDirectory& dir,
                                                           const Forward& forward,
                                                           Communicator& comm);
// Appends an item for route_by_vm to `to_bucket` (one buffer per rank, the id's bucket's).
void add_keyed(std::vector<std::string>& to_bucket, std::string_view id, std::string_view payload);

}  // namespace fp::dist
