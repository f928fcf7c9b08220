// The four pluggable heuristic roles (STYLE.md §4). Implementations are stateless after
// construction, read an immutable snapshot (PlacementState) and a PolicyContext, and are safe to
// call from many threads at once. Determinism: every choice breaks ties by host/VM id.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "src/model/history.hpp"
#include "src/model/migration_cost.hpp"
#include "src/model/placement_state.hpp"
#include "src/model/traffic.hpp"

namespace fp::policy {

// What a policy may read besides the placement: all optional (nullptr / -1 when not given).
struct PolicyContext {
    uint64_t seed = 0;
    int64_t round = 0;
    int64_t now_s = -1;                                // --now as seconds since the epoch (UTC)
    const model::History* history = nullptr;           // --history
    const model::Traffic* traffic = nullptr;           // traffic.csv
    const model::MigrationCostConfig* cost = nullptr;  // the migration cost model in force
};

// Scores a resource vector against a reference capacity (the size of a VM, the hotness of a host).
class ResourceFunction {
  public:
    virtual ~ResourceFunction() = default;
    virtual std::string_view name() const = 0;
    virtual double score(const model::Resources& amount,
                         const model::Resources& reference) const = 0;
};

struct TriggerResult {
    std::vector<int32_t> hot;   // hosts needing relief, most urgent first (ties by id)
    std::vector<int32_t> cold;  // hosts with spare capacity, coldest first (ties by id)
};

// When to act: which hosts are hot spots and which are cold spots.
class TriggerPolicy {
  public:
    virtual ~TriggerPolicy() = default;
    virtual std::string_view name() const = 0;
    virtual TriggerResult evaluate(const model::PlacementState& state,
                                   const PolicyContext& ctx) const = 0;
    // Is this one host hot in this state? The planner asks again after each VM leaves it, so a
    // host flagged below max-util is relieved until the trigger no longer flags it. The default
    // evaluates the whole fleet; triggers with a per-host rule override it.
    virtual bool is_hot(const model::PlacementState& state, int32_t host,
                        const PolicyContext& ctx) const;
    // For placement ("never a new hot spot"): where this trigger's verdict on a host is a sum
    // over its VMs compared with a line (hot once sum >= line), fills vm_load (per VM) and
    // host_line (per host) in integer units of CPU demand and returns true; the planner then
    // refuses a target whose sum would reach its line with the VM added
    // (PlacementState::set_guard). false (the default): no such rule, no guard.
    virtual bool forecast_guard(const model::PlacementState& state, const PolicyContext& ctx,
                                std::vector<int64_t>& vm_load,
                                std::vector<int64_t>& host_line) const;
};

// Which VMs leave a hot host: returns VMs (not in `exclude`) whose departure brings the host
// within its limit, in the order to move them; empty when no choice helps.
class VmSelectionPolicy {
  public:
    virtual ~VmSelectionPolicy() = default;
    virtual std::string_view name() const = 0;
    virtual std::vector<int32_t> select(const model::PlacementState& state, int32_t host,
                                        const std::vector<int32_t>& exclude,
                                        const PolicyContext& ctx) const = 0;
};

// Where a VM goes: a host among those allowed (allowed[h] != 0) that fits it at max-util, or
// nullopt. `order_score` ranks VMs for the "decreasing" order in which the planner offers them.
class PlacementPolicy {
  public:
    virtual ~PlacementPolicy() = default;
    virtual std::string_view name() const = 0;
    virtual std::optional<int32_t> choose(const model::PlacementState& state, int32_t vm,
                                          const std::vector<uint8_t>& allowed,
                                          const PolicyContext& ctx) const = 0;
    virtual double order_score(const model::PlacementState& state, int32_t vm) const = 0;
};

}  // namespace fp::policy
