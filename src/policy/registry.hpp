// Policies chosen by name. Each role has a Registry mapping a canonical name to a factory that
// validates its parameters from a ConfigNode. Built-ins are added by an explicit call to
// register_builtin_policies() (no static self-registration). Thread-safety: fill once, then
// read-only.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/policy/config_node.hpp"
#include "src/policy/policy.hpp"
#include "src/util/result.hpp"
#include "src/util/text.hpp"

namespace fp::policy {

struct ParamDoc {
    std::string name;
    std::string default_value;
    std::string description;
};

struct PolicyInfo {
    std::string name;
    std::string family;
    std::string description;
    std::vector<ParamDoc> params;
};

struct Registries;

template <typename T>
class Registry {
  public:
    using Factory = std::function<Result<std::unique_ptr<T>>(const ConfigNode&, const Registries&)>;

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
        return it->second.factory(node, all);
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
// and the parameter documentation every placement that takes one shares.
Result<std::shared_ptr<const ResourceFunction>> size_function_from(const ConfigNode& node,
                                                                   const Registries& all);
const std::vector<ParamDoc>& size_params();
// The parts of a ParamDoc's comma-separated text ("cpu_high, mem_high, net_high"), trimmed: the
// keys of a ParamDoc's name (or the defaults of its default_value).
std::vector<std::string> param_keys(const std::string& text);

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
