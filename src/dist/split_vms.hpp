// vms.csv read split across the ranks (issue 16): each rank reads and parses only a byte range of
// the file, aligned to record boundaries (quoted newlines included, io/record_split.hpp), and the
// rows reach the rank that owns their host's shard through one all-to-all exchange.
//
// The steps, each agreed before the next collective (2 and 3 are read_record_range of
// src/dist/split_file.hpp, shared with the other inputs split the same way):
//   1. every rank reads the header record (a few bytes) and the file's size;
//   2. rank r reads its nominal range [S·r/P, S·(r+1)/P) of the S bytes (and on to the end of
//      the last 1 MiB digest block starting in it) and counts its quotes and newlines; an
//      allgather of the counts gives each range its quote parity and first line, and of the
//      block digests the whole file's `fnv1a64-1m` digest;
//   3. each rank finds its first record start; an allgather of them gives every record-aligned
//      range; a rank reads the bytes its last record runs into beyond its nominal range;
//   4. each rank parses its range (TBB over sub-ranges), sends every id to the rank of its hash
//      bucket (duplicates across the whole file) and every row to the owner of its shard;
//   5. if any rank found any fault (CSV syntax, a value, a duplicate), every rank reads the whole
//      file once and parses it sequentially, so the messages are exactly those of one process
//      (FILE:LINE:COLUMN, first fault first). Bad input is the rare path; it costs one full read.
// Determinism: a rank receives rows in rank order, and ranks hold the file in rank order, so
// each rank's rows are in file order, whatever P and the thread count.
// Thread-safety: one call per rank on its own thread (in-process ranks) with its communicator.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/dist/communicator.hpp"
#include "src/dist/split_file.hpp"
#include "src/model/fleet.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

struct SplitVms {
    std::vector<model::Vm> vms;         // the rows of this rank's shards, in file order
    uint64_t digest = 0;                // io::blocked_digest of the whole file
    int64_t rows_parsed = 0;            // rows this rank parsed (its range)
    std::vector<std::string> warnings;  // the header's (unknown columns)
};

// The rank that plans a row: by its host index (or, for a new VM, kNoHost) and id.
using RowOwner = std::function<int(int32_t host, std::string_view id)>;

// `hosts` is the indexed host table (io::parse_hosts's fleet) every rank holds.
[[nodiscard]] Result<SplitVms> read_vms_split(const std::string& path, const model::Fleet& hosts,
                                              const RowOwner& owner, Communicator& comm);

}  // namespace fp::dist
