// Policies chosen by name. Each role has a Registry mapping a canonical name to a factory that
// validates its parameters from a ConfigNode. Built-ins are added by an explicit call to
// register_builtin_policies() (no static self-registration). Thread-safety: fill once, then
// read-only.
#pragma once

#include <array>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/policy/config_node.hpp"
#include "src/policy/param.hpp"
#include "src/policy/policy.hpp"
#include "src/util/result.hpp"
#include "src/util/text.hpp"

namespace fp::policy {

struct PolicyInfo {
    std::string name;
    std::string family;
    std::string description;
    std::vector<ParamSpec> params;  // read by create() before the factory runs
};

struct Registries;

template <typename T>
class Registry {
  public:
    // Gets the declared parameters already read and checked (ParamValues); the node is for
    // checks across parameters (their messages name node.path()) and delegated readers.
    using Factory = std::function<Result<std::unique_ptr<T>>(const ParamValues&, const ConfigNode&,
                                                             const Registries&)>;

    explicit Registry(std::string family) : family_(std::move(family)) {}

    void add(PolicyInfo info, Factory factory) {
        info.family = family_;
        const std::string key = info.name;
        entries_[key] = Entry{std::move(info), std::move(factory)};
    }
    bool contains(const std::string& name) const { return entries_.count(name) != 0; }

    Result<std::unique_ptr<T>> create(const std::string& name, const ConfigNode& node,
                                      const Registries& all) const {
        auto it = entries_.find(name);
        if (it == entries_.end()) {
            std::string valid;
            for (const auto& [k, e] : entries_) valid += (valid.empty() ? "" : ", ") + k;
            return bad_input(node.path() + ".name: unknown " + family_ + " policy " +
                             in_quotes(name) + " (valid: " + valid + ")");
        }
        auto values = read_params(node, it->second.info.params);
        if (!values) return tl::unexpected(values.error());
        return it->second.factory(*values, node, all);
    }
    std::optional<PolicyInfo> info(const std::string& name) const {
        auto it = entries_.find(name);
        if (it == entries_.end()) return std::nullopt;
        return it->second.info;
    }
    std::vector<PolicyInfo> list() const {
        std::vector<PolicyInfo> out;
        for (const auto& [k, e] : entries_) out.push_back(e.info);
        return out;
    }
    const std::string& family() const { return family_; }

  private:
    struct Entry {
        PolicyInfo info;
        Factory factory;
    };
    std::string family_;
    std::map<std::string, Entry> entries_;
};

struct Registries {
    Registry<TriggerPolicy> triggers{"trigger"};
    Registry<VmSelectionPolicy> selections{"selection"};
    Registry<PlacementPolicy> placements{"placement"};
    Registry<ResourceFunction> sizes{"size"};

    std::vector<PolicyInfo> list_all() const;
};

// The size function named by a placement table's "size" key (its weights in the same table),
// and the parameter declarations every placement that takes one shares (read by
// size_function_from, so they are marked delegated).
Result<std::shared_ptr<const ResourceFunction>> size_function_from(const ConfigNode& node,
                                                                   const Registries& all);
const std::vector<ParamSpec>& size_params();
// Triggers' shared declarations: cpu_high, mem_high, net_high (-1: plan.max_util, documented as
// that) and cpu_low, mem_low, net_low (0.25); dims() gathers one triple from the values read.
std::vector<ParamSpec> high_params(const std::string& doc);
std::vector<ParamSpec> low_params();
std::array<double, 3> dims(const ParamValues& p, const std::string& suffix);

// Adds every built-in policy; calls the per-family functions below.
void register_builtin_policies(Registries& registries);
// History-driven and scheduled triggers (src/policy/trigger_history.cpp).
void register_history_triggers(Registries& registries);
// Further VM selections (src/policy/selection_extra.cpp).
void register_extra_selections(Registries& registries);
// Further placements (src/policy/placement_extra.cpp).
void register_extra_placements(Registries& registries);

// The chosen policies of one plan.
struct PolicySet {
    std::shared_ptr<const TriggerPolicy> trigger;
    std::shared_ptr<const VmSelectionPolicy> selection;
    std::shared_ptr<const PlacementPolicy> placement;
};

}  // namespace fp::policy
