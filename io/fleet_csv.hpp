// hosts.csv and vms.csv (CONTRACT.md "Fleet input"): reading with full validation, and writing
// (for `generate` and `collect`). Every error names FILE:LINE:COLUMN; up to 20 per file.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/util/result.hpp"

namespace fp::io {

struct FleetLoad {
    model::Fleet fleet;
    std::vector<std::string> warnings;  // e.g. unknown columns (one warning per file)
    int64_t vm_rows = 0;                // VM rows in the file (kept or not)
    uint64_t vms_digest = 0;            // FNV-1a 64 of the vms file's bytes (0 when not read)
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

std::string hosts_csv(const model::Fleet& fleet);
std::string vms_csv(const model::Fleet& fleet);

}  // namespace fp::io
