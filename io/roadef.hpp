// The ROADEF/EURO 2012 machine-reassignment files (shared/data/roadef2012/README.md): the model
// (model_*.txt) and an assignment (assignment_*.txt, P machine indices), whitespace-separated
// integers. Every error is FILE:LINE:field: what (CONTRACT.md), e.g.
// "model.txt:7:machine 2 capacity[1]: not an integer: 'x'"; up to 20 per file.
// Neighbourhood and location numbers are renumbered densely in increasing order.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "src/opt/roadef_model.hpp"
#include "src/util/result.hpp"

namespace fp::io {

// Every value is an integer in [0, 1e9] (CONTRACT.md ranges); costs that could overflow 64 bits
// are refused as out of range.
[[nodiscard]] Result<opt::RoadefModel> parse_roadef_model(std::string_view text,
                                                          const std::string& file);
// P machine indices in [0, machines).
[[nodiscard]] Result<std::vector<int32_t>> parse_roadef_assignment(std::string_view text,
                                                                   const std::string& file,
                                                                   const opt::RoadefModel& model);
// Both files read and parsed; the model's `initial` is the assignment.
[[nodiscard]] Result<opt::RoadefModel> read_roadef(const std::string& model_path,
                                                   const std::string& assignment_path);
// A solution file's text: the machine of every process on one line, space-separated.
std::string roadef_solution_text(const std::vector<int32_t>& assignment);

}  // namespace fp::io
