// traffic.csv: `vm_a,vm_b,mbps` (communication between VMs). Errors name FILE:LINE:COLUMN.
#pragma once

#include <string>

#include "src/model/fleet.hpp"
#include "src/model/traffic.hpp"
#include "src/util/result.hpp"

namespace fp::io {

Result<model::Traffic> load_traffic(const std::string& path, const model::Fleet& fleet);
Result<model::Traffic> parse_traffic(std::string_view text, const std::string& name,
                                     const model::Fleet& fleet);

}  // namespace fp::io
