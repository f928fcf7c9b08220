// hosts.csv and vms.csv (CONTRACT.md "Fleet input"): reading with full validation, and writing
// (for `generate` and `collect`). Every error names FILE:LINE:COLUMN; up to 20 per file.
#pragma once

#include <string>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/util/result.hpp"

namespace fp::io {

struct FleetLoad {
    model::Fleet fleet;
    std::vector<std::string> warnings;  // e.g. unknown columns (one warning per file)
};

Result<FleetLoad> load_fleet(const std::string& hosts_path, const std::string& vms_path);
// From CSV text already read (used by tests and fuzzers); names are used in messages.
Result<FleetLoad> parse_fleet(std::string_view hosts_text, const std::string& hosts_name,
                              std::string_view vms_text, const std::string& vms_name);

std::string hosts_csv(const model::Fleet& fleet);
std::string vms_csv(const model::Fleet& fleet);

}  // namespace fp::io
