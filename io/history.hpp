// Reading utilisation history (--history): a PlanetLab-format directory (one file per VM, named
// by the VM id, one integer CPU percentage per line) or a CSV `time,vm,cpu[,mem,net]` (time in
// seconds, values as fractions of the VM's size). Errors name FILE:LINE:COLUMN.
#pragma once

#include <string>

#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/util/result.hpp"

namespace fp::io {

Result<model::History> load_history(const std::string& path, const model::Fleet& fleet);

}  // namespace fp::io
