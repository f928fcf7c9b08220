// traffic.csv: `vm_a,vm_b,mbps` (communication between VMs). Errors name FILE:LINE:COLUMN.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "io/csv.hpp"
#include "src/model/fleet.hpp"
#include "src/model/traffic.hpp"
#include "src/util/result.hpp"

namespace fp::io {

Result<model::Traffic> load_traffic(const std::string& path, const model::Fleet& fleet);
Result<model::Traffic> parse_traffic(std::string_view text, const std::string& name,
                                     const model::Fleet& fleet);

// ---- In steps, for a reader that holds the rows and the VMs in parts (a split read across ranks,
// src/dist/split_inputs.hpp): parse_traffic is these steps in order.
struct TrafficColumns {
    size_t vm_a = 0, vm_b = 0, mbps = 0;
};
// nullopt after recording the missing required columns.
std::optional<TrafficColumns> traffic_columns(const std::vector<std::string>& header,
                                              const std::string& name, ErrorList& errors);
struct TrafficRow {
    std::string_view vm_a, vm_b;  // views into the CsvRow
    double mbps = 0.0;
};
// A row's ends and rate, or nullopt after recording its errors (in column order: vm_a, vm_b,
// mbps). `index`, when given, looks an id up in the fleet ("unknown VM" when it has none). A row
// whose ends are the same VM is an error too.
using VmLookup = std::function<std::optional<int32_t>(const std::string& id)>;
std::optional<TrafficRow> parse_traffic_row(const CsvRow& row, const TrafficColumns& columns,
                                            const std::string& name, const VmLookup* index,
                                            ErrorList& errors);

}  // namespace fp::io
