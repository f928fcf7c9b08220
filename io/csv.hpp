// RFC 4180 CSV reading with physical line numbers, for error messages of the form
// FILE:LINE:COLUMN: message (CONTRACT.md). Quoted fields may hold commas, quotes and newlines.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/result.hpp"
#include "src/util/text.hpp"

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

// One message and the physical line it is about.
struct LineMessage {
    int64_t line = 0;
    std::string message;
};
// The first in file order (a tie goes to the earlier in the list); nullopt when all are.
std::optional<LineMessage> first_in_file_order(const std::vector<std::optional<LineMessage>>& all);

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
    [[nodiscard]] Error to_error() const;
    // Adds another list's messages (kept in line order: lists from chunks of one file merge
    // into what one reader would have found).
    void merge(const ErrorList& other);
    // The first message in line order, for picking the first error over ranges or processes.
    std::optional<LineMessage> first() const;

  private:
    std::vector<std::pair<int64_t, std::string>> messages_;  // (line, message)
    size_t dropped_ = 0;
};

// A byte range of CSV text that starts at a record boundary, with its first physical line.
struct CsvChunk {
    size_t begin = 0;
    size_t end = 0;
    int64_t line = 1;
};

// Cuts text[begin, size) into chunks of about `bytes` each, at record boundaries (outside
// quotes), in parallel (split_records of io/record_split.hpp, empty ranges left out). `line` is the
// physical line at `begin`.
std::vector<CsvChunk> csv_chunks(std::string_view text, size_t begin, int64_t line, size_t bytes);

// Reads records of a chunk fast: fields are views into the text, or into the scanner's own
// buffer for quoted fields with escaped quotes. A record that is not plain RFC 4180 (a stray
// quote, an unterminated quote, invalid UTF-8) makes next() return kUnclean: the caller falls
// back to parse_csv, whose messages name the fault.
class CsvScanner {
  public:
    enum Status { kRecord, kEnd, kUnclean };
    CsvScanner(std::string_view text, const CsvChunk& chunk)
        : text_(text), i_(chunk.begin), end_(chunk.end), line_(chunk.line) {}
    Status next();
    int64_t line() const { return record_line_; }  // physical line where the record starts
    size_t position() const { return i_; }         // offset just past the last record read
    const std::vector<std::string_view>& fields() const { return fields_; }

  private:
    std::string_view text_;
    size_t i_, end_;
    int64_t line_, record_line_ = 0;
    std::vector<std::string_view> fields_;
    std::deque<std::string> unescaped_;  // stable: fields may point into them
    size_t used_ = 0;
};

// The whole of a regular file. A FIFO, device, socket or directory is bad input naming PATH
// (never read: a FIFO would block, /dev/zero never ends).
Result<std::string> read_file(const std::string& path);
// The size of a regular file, with read_file's checks (a split reader plans its ranges by it).
Result<int64_t> regular_file_size(const std::string& path);
// Bytes [offset, offset + length) of a regular file (fewer when it ends first), with read_file's
// checks: each rank of a split read reads only its range.
Result<std::string> read_file_range(const std::string& path, int64_t offset, int64_t length);
// Bad input when PATH exists and is not a regular file (links followed); else nothing (a
// missing file is for the caller's open to report). For readers that open PATH themselves.
Result<void> require_regular_file(const std::string& path);
// Parses CSV text. Blank lines are skipped; a UTF-8 byte-order mark is ignored; CRLF accepted.
Result<CsvTable> parse_csv(std::string_view text, const std::string& file);
// parse_csv's record loop on text that starts at a record boundary on physical line `line`: with
// have_header false the first record becomes `header`. Rows with faults are left out; faults go to
// `errors` (an unterminated quoted field stops the loop). Returns whether a header was read (or
// reading stopped at a fault). For a record-aligned range of a file (io/record_split.hpp).
bool parse_csv_records(std::string_view text, int64_t line, const std::string& file,
                       std::vector<std::string>& header, bool have_header, ErrorList& errors,
                       std::vector<CsvRow>& rows);

// "a, b, c and 7 more": names (say, of unknown columns) for a message, each escaped and capped
// (src/util/text.hpp), at most max_names of them.
std::string name_list(const std::vector<std::string>& names, size_t max_names = 10);

// Quotes a field when it needs it.
// `s` without the spaces, tabs and CRs around it.
std::string_view trim_blanks(std::string_view s);
std::string csv_field(std::string_view s);
// csv_field for a file meant for a spreadsheet: a value beginning with = + - @ TAB or CR (which a
// spreadsheet may run as a formula) gets a leading ' (OWASP's advice), and so does one beginning
// with ', so that removing one leading ' always gives the value back.
std::string spreadsheet_field(std::string_view s);
// printf-style formatting of one double (e.g. "%.3f"), for CSV and messages.
std::string format_double(const char* fmt, double v);

// Writes `content` to `path` atomically (stage_file, then rename_staged, fsync of the
// directory). Environment failures (disk full, permissions) are ErrorCode::kEnvironment.
Result<void> write_file_atomic(const std::string& path, std::string_view content);
// Writes `content` to a new temporary PATH.tmp.PID.RANDOM and fsyncs it (after removing
// temporaries of PATH that dead processes left); returns the temporary's path. The temporary is
// created exclusively and never through a link (O_EXCL | O_NOFOLLOW, relative to the
// directory), under a name no one can plant ahead. On failure nothing is left behind.
Result<std::string> stage_file(const std::string& path, std::string_view content);
// Renames the staged temporary TMP onto PATH. TMP must still be a regular file of this user: a
// link or another user's file in its place is bad input naming it, and is not renamed. false:
// TMP is not there (already renamed, for a commit list being finished).
Result<bool> rename_staged(const std::string& tmp, const std::string& path);
// Whether TMP is a name stage_file gives NAME's temporaries (NAME.tmp.PID[.RANDOM]).
bool is_temporary_name(const std::string& tmp, const std::string& name);
// fsyncs the directory holding PATH (after creating or renaming an entry in it; best effort).
void sync_parent_dir(const std::string& path);
// Removes NAME.tmp.PID[.RANDOM] files of PATH left by a process that died while writing PATH
// (PID not alive).
void remove_stale_temporaries(const std::string& path);
// Creates DIR and its parents (an environment error when it cannot).
Result<void> make_dir(const std::string& dir);

// Strict UTF-8 (src/util/text.hpp): every field of every CSV input is checked with it.
using fp::valid_utf8;

}  // namespace fp::io
