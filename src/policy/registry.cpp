#include "src/policy/registry.hpp"

#include <algorithm>

#include "src/policy/placement.hpp"
#include "src/policy/resource_function.hpp"
#include "src/policy/selection.hpp"
#include "src/policy/trigger.hpp"
#include "src/util/text.hpp"

namespace fp::policy {
namespace {

template <typename T>
Result<std::unique_ptr<T>> ok(std::unique_ptr<T> p) {
    return Result<std::unique_ptr<T>>(std::move(p));
}

}  // namespace

// A size function named by the "size" key of a placement table; its weights live there too.
Result<std::shared_ptr<const ResourceFunction>> size_function_from(const ConfigNode& node,
                                                                   const Registries& all) {
    auto name = node.get_string("size", "volume");
    if (!name) return tl::unexpected(name.error());
    auto made = all.sizes.create(*name, node, all);
    if (!made) {
        if (!all.sizes.contains(*name)) {
            std::string valid;
            for (const auto& i : all.sizes.list()) valid += (valid.empty() ? "" : ", ") + i.name;
            return bad_input(node.path() + ".size: unknown size function " + in_quotes(*name) +
                             " (valid: " + valid + ")");
        }
        return tl::unexpected(made.error());
    }
    return std::shared_ptr<const ResourceFunction>(std::move(*made));
}

const std::vector<ParamDoc>& size_params() {
    static const std::vector<ParamDoc> params = {
        {"size", "\"volume\"",
         "size function ordering VMs and scoring residuals (volume, weighted-sum, max, l2)"},
        {"cpu_weight, mem_weight, net_weight", "1, 1, 1", "weights when size = \"weighted-sum\""}};
    return params;
}

std::vector<std::string> param_keys(const std::string& text) {
    std::vector<std::string> keys;
    size_t start = 0;
    while (start <= text.size()) {
        const size_t comma = std::min(text.find(',', start), text.size());
        std::string key = text.substr(start, comma - start);
        while (!key.empty() && key.front() == ' ') key.erase(key.begin());
        while (!key.empty() && key.back() == ' ') key.pop_back();
        keys.push_back(key);
        start = comma + 1;
    }
    return keys;
}

std::vector<PolicyInfo> Registries::list_all() const {
    std::vector<PolicyInfo> out;
    for (auto& i : triggers.list()) out.push_back(i);
    for (auto& i : selections.list()) out.push_back(i);
    for (auto& i : placements.list()) out.push_back(i);
    for (auto& i : sizes.list()) out.push_back(i);
    return out;
}

void register_builtin_policies(Registries& r) {
    register_history_triggers(r);
    register_extra_selections(r);
    register_extra_placements(r);
    // ---- size functions ----
    r.sizes.add(
        {"volume", "", "1/(1-cpu)·1/(1-mem)·1/(1-net) of the fractions of the reference", {}},
        [](const ConfigNode&, const Registries&) {
            return ok<ResourceFunction>(std::make_unique<VolumeFunction>());
        });
    r.sizes.add(
        {"weighted-sum",
         "",
         "w_cpu·cpu + w_mem·mem + w_net·net of the fractions",
         {{"cpu_weight", "1", "weight of CPU"},
          {"mem_weight", "1", "weight of memory"},
          {"net_weight", "1", "weight of network"}}},
        [](const ConfigNode& n, const Registries&) -> Result<std::unique_ptr<ResourceFunction>> {
            auto c = n.get_double("cpu_weight", 1.0, 0.0, 1e6);
            auto m = n.get_double("mem_weight", 1.0, 0.0, 1e6);
            auto w = n.get_double("net_weight", 1.0, 0.0, 1e6);
            if (!c) return tl::unexpected(c.error());
            if (!m) return tl::unexpected(m.error());
            if (!w) return tl::unexpected(w.error());
            return ok<ResourceFunction>(
                std::make_unique<WeightedSumFunction>(std::array<double, 3>{*c, *m, *w}));
        });
    r.sizes.add({"max", "", "the largest fraction over the dimensions", {}},
                [](const ConfigNode&, const Registries&) {
                    return ok<ResourceFunction>(std::make_unique<MaxFunction>());
                });
    r.sizes.add({"l2", "", "the Euclidean norm of the fractions", {}},
                [](const ConfigNode&, const Registries&) {
                    return ok<ResourceFunction>(std::make_unique<L2Function>());
                });

    // ---- triggers ----
    r.triggers.add(
        {"threshold",
         "",
         "hot when any dimension is above its high threshold, cold when all are at or below low",
         {{"cpu_high, mem_high, net_high", "plan.max_util", "hot thresholds (fractions)"},
          {"cpu_low, mem_low, net_low", "0.25", "cold thresholds (fractions)"}}},
        [](const ConfigNode& n, const Registries&) -> Result<std::unique_ptr<TriggerPolicy>> {
            std::array<double, 3> high{};
            std::array<double, 3> low{};
            for (int d = 0; d < model::kDims; ++d) {
                const std::string dim = model::kDimNames[static_cast<size_t>(d)];
                auto h = n.get_double(dim + "_high", -1.0, -1.0, 10.0);
                if (!h) return tl::unexpected(h.error());
                auto l = n.get_double(dim + "_low", 0.25, 0.0, 1.0);
                if (!l) return tl::unexpected(l.error());
                high[static_cast<size_t>(d)] = *h;
                low[static_cast<size_t>(d)] = *l;
            }
            return ok<TriggerPolicy>(std::make_unique<ThresholdTrigger>(high, low));
        });

    // ---- VM selection ----
    r.selections.add(
        {"resource-constrained",
         "",
         "the cheapest VM that alone clears the excess, else the largest consumer "
         "of the most-exceeded dimension",
         {}},
        [](const ConfigNode&, const Registries&) {
            return ok<VmSelectionPolicy>(std::make_unique<ResourceConstrainedSelection>());
        });
    r.selections.add(
        {"min-migration-time", "", "VMs with the least memory to copy leave first", {}},
        [](const ConfigNode&, const Registries&) {
            return ok<VmSelectionPolicy>(std::make_unique<MinMigrationTimeSelection>());
        });

    // ---- placement ----
    r.placements.add(
        {"ffd", "", "first fit decreasing: the first host in id order that fits", size_params()},
        [](const ConfigNode& n, const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok<PlacementPolicy>(std::make_unique<FirstFitDecreasing>(*size));
        });
    r.placements.add(
        {"bfd", "", "best fit decreasing: the host left with the least residual capacity",
         size_params()},
        [](const ConfigNode& n, const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok<PlacementPolicy>(std::make_unique<BestFitDecreasing>(*size));
        });
}

}  // namespace fp::policy
