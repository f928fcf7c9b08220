// hosts.csv and vms.csv (CONTRACT.md "Fleet input"): reading with full validation, and writing
// (for `generate` and `collect`). Every error names FILE:LINE:COLUMN; up to 20 per file.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv.hpp"
#include "src/model/fleet.hpp"
#include "src/util/result.hpp"

namespace fp::io {

struct FleetLoad {
    model::Fleet fleet;
    std::vector<std::string> warnings;  // e.g. unknown columns (one warning per file)
    int64_t vm_rows = 0;                // VM rows in the file (kept or not)
    uint64_t vms_digest = 0;            // blocked_digest (io/digest.hpp) of the vms file's bytes
                                        // (0 when not read)
    uint64_t hosts_digest = 0;
    // Set before parse_vms_into: keep the sorted FNV-1a hashes of every VM row's id, so that a
    // process holding only some rows can tell a VM another process holds from an unknown one.
    bool keep_id_hashes = false;
    std::vector<uint64_t> id_hashes;
};

// Which VM rows a process keeps: called with the row's host (index into the host table;
// kNoHost for a new VM, kUnknownHost when the host is not in the table) and its id. Every row
// is still checked for its CSV syntax and for duplicate ids; value errors are reported for the
// rows kept (a row with an unknown host must be kept by exactly one process to be reported).
inline constexpr int32_t kUnknownHost = -2;
using VmRowFilter = std::function<bool(int32_t host, std::string_view id)>;

// The two tables one at a time (a process needs the hosts to decide which VM rows it keeps).
Result<FleetLoad> parse_hosts(std::string_view text, const std::string& name);
Result<void> parse_vms_into(std::string_view text, const std::string& name, const VmRowFilter& keep,
                            FleetLoad& out);

// ---- vms.csv in record-aligned ranges (io/record_split.hpp) ----
// The per-range step (parse_vm_range) is a pure function of (range text, first line, header);
// the cross-range steps take small values from every range, so a distributed reader can run
// them across processes: the quote/line scan of record_split.hpp, the duplicate check over ids
// sent to their bucket's process (vm_id_bucket, vm_duplicate_errors) and the first error
// (vm_first_error). Ranges merged in file order give exactly the rows of one sequential pass;
// the first error is the one a sequential pass reports first, with its FILE:LINE:COLUMN.

// vms.csv's header record, read and checked once and handed to every range.
struct VmHeader {
    std::string file;                   // names the file in messages
    std::vector<std::string> names;     // the header's fields as in the file
    size_t width = 0;                   // fields per record
    std::vector<int> column;            // per VM column (id, host, cpu, ...): field index or -1
    size_t body = 0;                    // offset just past the header record (BOM included)
    int64_t body_line = 2;              // physical line at `body`
    std::vector<std::string> warnings;  // unknown columns
};
// `text` starts at the file's first byte and holds at least the whole header record.
[[nodiscard]] Result<VmHeader> parse_vm_header(std::string_view text, const std::string& file);

// A row's id where it was read: the duplicate check's input.
struct VmIdSeen {
    uint64_t hash = 0;  // fnv1a64 of the id
    int64_t line = 0;   // physical line of the row
    std::string_view id;
};
// What one range gave. Moving it keeps `ids` valid (they point into the range's text or into
// id_copies, whose elements stay put).
struct VmRange {
    std::vector<model::Vm> vms;         // the rows kept by the filter, in file order
    std::vector<VmIdSeen> ids;          // every row's id (kept or not), in file order
    std::deque<std::string> id_copies;  // ids that are not plain views of the text
    int64_t rows = 0;                   // rows read (ids.size())
    ErrorList syntax;                   // CSV faults (a sequential pass reports only these)
    ErrorList values;                   // value faults of the rows kept
};
// Parses text[range.begin, range.end), a record-aligned range whose first physical line is
// range.line, against `header` and the host table of `hosts` (indexed). Pure; thread-safe.
[[nodiscard]] VmRange parse_vm_range(std::string_view text, const CsvChunk& range,
                                     const VmHeader& header, const model::Fleet& hosts,
                                     const VmRowFilter& keep);
// The fast reader of a record-aligned range text[range.begin, range.end) (the one-process reader
// runs it on the whole body, a rank of the split reader on its own range): 1 MiB sub-ranges
// parsed in parallel (TBB) by parse_vm_range's row loop, the host column through a packed lookup
// table built once. Without a filter each sub-range writes its rows straight into the table's
// storage, sized by its newline count, and only sub-ranges that gave fewer rows (blank lines,
// quoted newlines, faulty rows) are moved up afterwards. `beside` (when given) runs while the
// storage is allocated. The rows are those of parse_vm_range over the same ranges, merged in
// order. Pure apart from `beside`; one call per thread.
struct VmTable {
    std::vector<model::Vm> vms;  // the rows kept (and without a value fault), in file order
    std::vector<VmIdSeen> ids;   // every row's id, in file order (views into the text or `parts`)
    std::vector<VmRange> parts;  // the sub-ranges (their id copies; their vectors emptied)
    bool syntax_fault = false;   // some sub-range is not plain RFC 4180 (see VmRange::syntax)
    ErrorList values;            // the value faults of the rows kept, in line order
};
[[nodiscard]] VmTable parse_vm_table(std::string_view text, const CsvChunk& range,
                                     const VmHeader& header, const model::Fleet& hosts,
                                     const VmRowFilter& keep = {},
                                     const std::function<void()>& beside = {});
// The process (of `buckets`) that checks an id with this hash for duplicates.
[[nodiscard]] int32_t vm_id_bucket(uint64_t hash, int32_t buckets);
// Duplicates among `ids` (all rows whose ids share a bucket, from any ranges, in any order):
// "duplicate id 'x' (first on line N)" at each later row. Sorts `ids`.
[[nodiscard]] ErrorList vm_duplicate_errors(std::vector<VmIdSeen>& ids, const std::string& file);
// The message a sequential pass gives first, from each range's first CSV fault (ErrorList::first),
// each bucket's first duplicate and each range's first value fault: CSV faults win (a
// sequential pass stops checking values at them), then the earliest line, a duplicate before the
// same row's value fault.
[[nodiscard]] std::optional<LineMessage> vm_first_error(
    const std::vector<std::optional<LineMessage>>& syntax,
    const std::vector<std::optional<LineMessage>>& duplicates,
    const std::vector<std::optional<LineMessage>>& values);

Result<FleetLoad> load_fleet(const std::string& hosts_path, const std::string& vms_path,
                             const VmRowFilter& keep = {});
// From CSV text already read (used by tests and fuzzers); names are used in messages.
Result<FleetLoad> parse_fleet(std::string_view hosts_text, const std::string& hosts_name,
                              std::string_view vms_text, const std::string& vms_name,
                              const VmRowFilter& keep = {});

// The value rules of hosts.csv and vms.csv in the planner's internal units (millicores, KiB,
// kbps), declared once: the CSV readers apply them to each row, and fleets that come from
// elsewhere (checkpoints read by --resume, --previous and inspect) are held to them by
// validate_fleet. Each returns what is wrong, or nullopt. Ids: fp::id_fault (src/util/text.hpp).
// A host capacity in dimension `dim`: > 0 and at most 1e9 in the input's units.
std::optional<std::string> capacity_problem(int64_t internal, int dim);
// A VM quantity (demand, size, disk, allocation) scaled by `factor`: 0 to 1e9 input units.
std::optional<std::string> quantity_problem(int64_t internal, int64_t factor);
// A plain number (dirty rate, power): finite, 0 to 1e9.
std::optional<std::string> number_problem(double v);

// Every rule above and the tables' own (unique ids, idle power at most the maximum, no VM on an
// off host, hosts in range) on a fleet built elsewhere. Messages name `where` + the column
// and row, e.g. "/fleet/hosts/cpu[3] (host 'h1'): must be greater than 0"; at most 20.
[[nodiscard]] Result<void> validate_fleet(const model::Fleet& fleet, const std::string& hosts_where,
                                          const std::string& vms_where);

// `plan --missing-hosts FILE` (collect's DIR/missing_hosts.csv: a header with a `host` column,
// other columns ignored; one row per host collect could not read): the ids, sorted, each of
// which must be a host of `hosts` (else FILE:LINE:host). Such a host is taken out of the host
// table by exclude_hosts before any VM row is read: it is neither a source nor a target, and a
// VM row that names it is an error (its VMs were not read).
[[nodiscard]] Result<std::vector<std::string>> read_missing_hosts(const std::string& path,
                                                                  const model::Fleet& hosts);
void exclude_hosts(model::Fleet& fleet, const std::vector<std::string>& sorted_ids);

std::string hosts_csv(const model::Fleet& fleet);
std::string vms_csv(const model::Fleet& fleet);

}  // namespace fp::io
