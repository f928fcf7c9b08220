// VM selection: which VMs leave a hot host.
//  resource-constrained: one VM that alone clears the excess with the least memory to copy, else
//                        the largest consumer of the most-exceeded dimension, repeated.
//  min-migration-time:   the VMs with the shortest estimated migration (cost model; memory to
//                        copy when no model is given) first (CloudSim's MMT).
#pragma once

#include "src/policy/policy.hpp"

namespace fp::policy {

class ResourceConstrainedSelection final : public VmSelectionPolicy {
  public:
    std::string_view name() const override { return "resource-constrained"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;
};

class MinMigrationTimeSelection final : public VmSelectionPolicy {
  public:
    std::string_view name() const override { return "min-migration-time"; }
    std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude,
                                const PolicyContext& ctx) const override;
};

}  // namespace fp::policy
