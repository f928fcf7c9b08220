// The lower bound on active hosts (CONTRACT.md): for each dimension, the fewest eligible hosts,
// largest limits first, whose limits at max-util cover the total demand; the maximum over
// dimensions. When even all eligible hosts fall short, it is their count.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/fleet.hpp"

namespace fp::plan {

int64_t lower_bound_hosts(const model::Fleet& fleet, const std::vector<uint8_t>& eligible,
                          int64_t max_util_ppm);

}  // namespace fp::plan
