// Record-aligned byte ranges of CSV text (RFC 4180: quoted fields may hold newlines), in steps
// that a distributed reader can run across processes by exchanging a few numbers:
//   1. count_block on each nominal block (pure; a process needs only its own bytes),
//   2. scan_blocks: exclusive scan of the counts (quote parity and physical line per block),
//   3. find_record_start on each block with its scanned state (pure),
//   4. resolve_ranges: the record-aligned ranges from every block's start (or none).
// split_records runs all four in-process (TBB over blocks). A record starts just after a newline
// outside quotes; a block with no such newline gives an empty range (its bytes go to the range
// before). The ranges cover the text exactly and parse, one by one in order, to what one
// sequential pass gives (quote parity counts every `"`: an escaped "" counts twice). A stray quote
// inside an unquoted field breaks the parity for the rest of the text: the sequential parser
// rejects that record, so the first error is still found in the range that holds it.
// Thread-safety and determinism: pure functions; the ranges depend on the text and K only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "io/csv.hpp"

namespace fp::io {

// What a block of bytes holds, for the exclusive scan.
struct BlockCounts {
    int64_t quotes = 0;    // `"` characters
    int64_t newlines = 0;  // '\n' characters (physical lines end at LF, CRLF included)
};
// Where a block begins: quotes before it (parity: inside a quoted field when odd) and the
// physical line its first byte is on.
struct ScanState {
    int64_t quotes = 0;
    int64_t line = 1;
    bool in_quotes() const { return (quotes & 1) != 0; }
};
// A record start inside a block: byte offset from the block's first byte, and its line.
struct RecordStart {
    size_t offset = 0;
    int64_t line = 1;
};

[[nodiscard]] BlockCounts count_block(std::string_view bytes);
// States at each block's start, given the state at the first block's start (exclusive scan).
[[nodiscard]] std::vector<ScanState> scan_blocks(const std::vector<BlockCounts>& counts,
                                                 ScanState first);
// The first record start in `bytes`: just past its first newline outside quotes (possibly
// bytes.size(), when that newline is the last byte). nullopt when the block has none.
[[nodiscard]] std::optional<RecordStart> find_record_start(std::string_view bytes, ScanState at);
// The K ranges [s_k, s_{k+1}) for blocks whose first bytes are at block_begin[k] (block 0 at
// `begin`, the first record, whose line is `line`; found[0] is ignored): s_k is block k's record
// start, or s_{k+1} when it has none; s_K = end. Offsets are absolute.
[[nodiscard]] std::vector<CsvChunk> resolve_ranges(
    const std::vector<size_t>& block_begin, const std::vector<std::optional<RecordStart>>& found,
    size_t begin, int64_t line, size_t end);
// The nominal cut points of text[begin, end) into K blocks of near-equal size.
[[nodiscard]] std::vector<size_t> nominal_cuts(size_t begin, size_t end, size_t k);
// All of the above in-process: K record-aligned ranges of text[begin, size) (some may be empty);
// `line` is the physical line at `begin`, which must be a record start.
[[nodiscard]] std::vector<CsvChunk> split_records(std::string_view text, size_t begin, int64_t line,
                                                  size_t k);

}  // namespace fp::io
