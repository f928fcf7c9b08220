// The lower bound on active hosts (CONTRACT.md): for each dimension, the fewest eligible hosts,
// largest limits first, whose limits at max-util cover the total demand; the maximum over
// dimensions. When even all eligible hosts fall short, it is their count.
// With site boundaries (cross_site "never" or "evacuations"), VMs bound to their site (every
// running VM; under "evacuations", those of eligible hosts) must be covered by their own site's
// eligible hosts: the bound is then the larger of the fleet-wide one and the sum of each site's
// bound for its bound VMs' demand.
#pragma once

#include <cstdint>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/plan.hpp"

namespace fp::plan {

int64_t lower_bound_hosts(const model::Fleet& fleet, const std::vector<uint8_t>& eligible,
                          int64_t max_util_ppm, CrossSite cross_site = CrossSite::kAllow);

}  // namespace fp::plan
