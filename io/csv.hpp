// RFC 4180 CSV reading with physical line numbers, for error messages of the form
// FILE:LINE:COLUMN: message (CONTRACT.md). Quoted fields may hold commas, quotes and newlines.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/result.hpp"

namespace fp::io {

struct CsvRow {
    int64_t line = 0;  // physical line on which the row starts (header = 1)
    std::vector<std::string> fields;
};

struct CsvTable {
    std::string file;
    std::vector<std::string> header;
    std::vector<CsvRow> rows;
};

// Collects "FILE:LINE:COLUMN: what" messages, at most kMaxErrors.
class ErrorList {
  public:
    static constexpr size_t kMaxErrors = 20;
    void add(const std::string& file, int64_t line, const std::string& column,
             const std::string& what);
    bool empty() const { return messages_.empty(); }
    bool full() const { return messages_.size() >= kMaxErrors; }
    // Records that checking stopped early with input left unchecked.
    void mark_truncated() { ++dropped_; }
    // All messages, one per line, as a bad-input Error.
    Error to_error() const;

  private:
    std::vector<std::string> messages_;
    size_t dropped_ = 0;
};

Result<std::string> read_file(const std::string& path);
// Parses CSV text. Blank lines are skipped; a UTF-8 byte-order mark is ignored; CRLF accepted.
Result<CsvTable> parse_csv(std::string_view text, const std::string& file);

// Quotes a field when it needs it.
std::string csv_field(std::string_view s);

// Writes `content` to `path` atomically (temporary file in the same directory, fsync, rename).
// Environment failures (disk full, permissions) are ErrorCode::kEnvironment.
Result<void> write_file_atomic(const std::string& path, std::string_view content);

bool valid_utf8(std::string_view s);

}  // namespace fp::io
