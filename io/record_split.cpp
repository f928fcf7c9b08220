#include "io/record_split.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>

#include "src/util/assert.hpp"

namespace fp::io {

BlockCounts count_block(std::string_view bytes) {
    BlockCounts c;
    // Plain loops over chars: the compiler vectorises both counts.
    for (char ch : bytes) {
        c.quotes += ch == '"';
        c.newlines += ch == '\n';
    }
    return c;
}

std::vector<ScanState> scan_blocks(const std::vector<BlockCounts>& counts, ScanState first) {
    std::vector<ScanState> out(counts.size());
    ScanState s = first;
    for (size_t b = 0; b < counts.size(); ++b) {
        out[b] = s;
        s.quotes += counts[b].quotes;
        s.line += counts[b].newlines;
    }
    return out;
}

std::optional<RecordStart> find_record_start(std::string_view bytes, ScanState at) {
    bool in_quotes = at.in_quotes();
    int64_t line = at.line;
    for (size_t i = 0; i < bytes.size(); ++i) {
        const char c = bytes[i];
        if (c == '"') {
            in_quotes = !in_quotes;
        } else if (c == '\n') {
            ++line;
            if (!in_quotes) return RecordStart{i + 1, line};
        }
    }
    return std::nullopt;
}

std::vector<CsvChunk> resolve_ranges(const std::vector<size_t>& block_begin,
                                     const std::vector<std::optional<RecordStart>>& found,
                                     size_t begin, int64_t line, size_t end) {
    const size_t k = block_begin.size();
    FP_ASSERT(found.size() == k);
    std::vector<CsvChunk> out(k);
    size_t next = end;
    int64_t next_line = -1;  // unknown for the end; filled from the last range below
    for (size_t b = k; b-- > 0;) {
        size_t start = next;
        int64_t start_line = next_line;
        if (b == 0) {
            start = begin;
            start_line = line;
        } else if (found[b]) {
            start = std::min(end, block_begin[b] + found[b]->offset);
            start_line = found[b]->line;
        }
        out[b] = CsvChunk{start, next, start_line};
        next = start;
        next_line = start_line;
    }
    // Empty ranges at the end take the line of the range before them (nothing is parsed there).
    for (size_t b = 1; b < k; ++b)
        if (out[b].line < 0) out[b].line = out[b - 1].line;
    return out;
}

std::vector<size_t> nominal_cuts(size_t begin, size_t end, size_t k) {
    FP_ASSERT(k > 0 && begin <= end);
    std::vector<size_t> cuts(k);
    const size_t n = end - begin;
    for (size_t b = 0; b < k; ++b)
        cuts[b] = begin + static_cast<size_t>(static_cast<unsigned __int128>(n) * b / k);
    return cuts;
}

std::vector<CsvChunk> split_records(std::string_view text, size_t begin, int64_t line, size_t k) {
    FP_ASSERT(begin <= text.size());
    k = std::max<size_t>(k, 1);
    const size_t end = text.size();
    const std::vector<size_t> cuts = nominal_cuts(begin, end, k);
    auto block = [&](size_t b) {
        const size_t hi = b + 1 < k ? cuts[b + 1] : end;
        return text.substr(cuts[b], hi - cuts[b]);
    };
    std::vector<BlockCounts> counts(k);
    tbb::parallel_for(size_t{0}, k, [&](size_t b) { counts[b] = count_block(block(b)); });
    const std::vector<ScanState> states = scan_blocks(counts, ScanState{0, line});
    std::vector<std::optional<RecordStart>> found(k);
    tbb::parallel_for(size_t{1}, std::max<size_t>(k, 1),
                      [&](size_t b) { found[b] = find_record_start(block(b), states[b]); });
    return resolve_ranges(cuts, found, begin, line, end);
}

}  // namespace fp::io
