#include "src/policy/registry.hpp"

#include <algorithm>

#include "src/policy/placement.hpp"
#include "src/policy/resource_function.hpp"
#include "src/policy/selection.hpp"
#include "src/policy/trigger.hpp"
#include "src/util/assert.hpp"
#include "src/util/text.hpp"

namespace fp::policy {
namespace {

template <typename T>
Result<std::unique_ptr<T>> ok(std::unique_ptr<T> p) {
    return Result<std::unique_ptr<T>>(std::move(p));
}

}  // namespace

std::vector<ParamSpec> high_params(const std::string& doc) {
    // -1: plan.max_util (the trigger reads it from the plan options).
    std::vector<ParamSpec> out = dim_params("_high", -1.0, -1.0, 10.0, doc);
    for (ParamSpec& s : out) s = s.shown_as("plan.max_util");
    return out;
}

std::vector<ParamSpec> low_params() {
    return dim_params("_low", 0.25, 0.0, 1.0, "cold thresholds (fractions)");
}

std::array<double, 3> dims(const ParamValues& p, const std::string& suffix) {
    std::array<double, 3> out{};
    for (size_t d = 0; d < out.size(); ++d) out[d] = p.real(model::kDimNames[d] + suffix);
    return out;
}

// A size function named by the "size" key of a placement table; its weights live there too.
Result<std::shared_ptr<const ResourceFunction>> size_function_from(const ConfigNode& node,
                                                                   const Registries& all) {
    auto name = read_param(node, size_params()[0]);
    if (!name) return tl::unexpected(name.error());
    const std::string& n = std::get<std::string>(*name);
    auto made = all.sizes.create(n, node, all);
    if (!made) return tl::unexpected(made.error());
    return std::shared_ptr<const ResourceFunction>(std::move(*made));
}

const std::vector<ParamSpec>& size_params() {
    // The choices are the size registry's names (register_builtin_policies checks that).
    static const std::vector<ParamSpec> params =
        concat({enum_param("size", "volume", {"l2", "max", "volume", "weighted-sum"},
                           "size function ordering VMs and scoring residuals", "size function")
                    .read_elsewhere()},
               [] {
                   std::vector<ParamSpec> w;
                   for (const char* dim : model::kDimNames)
                       w.push_back(real_param(std::string(dim) + "_weight", 1.0, 0.0, 1e6,
                                              "weight of " + std::string(dim) +
                                                  " when size = \"weighted-sum\"")
                                       .read_elsewhere());
                   return w;
               }());
    return params;
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
        [](const ParamValues&, const ConfigNode&, const Registries&) {
            return ok<ResourceFunction>(std::make_unique<VolumeFunction>());
        });
    r.sizes.add(
        {"weighted-sum",
         "",
         "w_cpu·cpu + w_mem·mem + w_net·net of the fractions",
         {real_param("cpu_weight", 1.0, 0.0, 1e6, "weight of CPU"),
          real_param("mem_weight", 1.0, 0.0, 1e6, "weight of memory"),
          real_param("net_weight", 1.0, 0.0, 1e6, "weight of network")}},
        [](const ParamValues& p, const ConfigNode&, const Registries&) {
            return ok<ResourceFunction>(std::make_unique<WeightedSumFunction>(std::array<double, 3>{
                p.real("cpu_weight"), p.real("mem_weight"), p.real("net_weight")}));
        });
    r.sizes.add({"max", "", "the largest fraction over the dimensions", {}},
                [](const ParamValues&, const ConfigNode&, const Registries&) {
                    return ok<ResourceFunction>(std::make_unique<MaxFunction>());
                });
    r.sizes.add({"l2", "", "the Euclidean norm of the fractions", {}},
                [](const ParamValues&, const ConfigNode&, const Registries&) {
                    return ok<ResourceFunction>(std::make_unique<L2Function>());
                });
    // The placements' "size" declaration lists these names as its choices.
    std::vector<std::string> sizes;
    for (const PolicyInfo& i : r.sizes.list()) sizes.push_back(i.name);
    FP_ASSERT(sizes == size_params()[0].choices);

    // ---- triggers ----
    r.triggers.add(
        {"threshold", "",
         "hot when any dimension is above its high threshold, cold when all are at or below low",
         concat(high_params("hot thresholds (fractions)"), low_params())},
        [](const ParamValues& p, const ConfigNode&, const Registries&) {
            return ok<TriggerPolicy>(
                std::make_unique<ThresholdTrigger>(dims(p, "_high"), dims(p, "_low")));
        });

    // ---- VM selection ----
    r.selections.add(
        {"resource-constrained",
         "",
         "the cheapest VM that alone clears the excess, else the largest consumer "
         "of the most-exceeded dimension",
         {}},
        [](const ParamValues&, const ConfigNode&, const Registries&) {
            return ok<VmSelectionPolicy>(std::make_unique<ResourceConstrainedSelection>());
        });
    r.selections.add(
        {"min-migration-time", "", "VMs with the least memory to copy leave first", {}},
        [](const ParamValues&, const ConfigNode&, const Registries&) {
            return ok<VmSelectionPolicy>(std::make_unique<MinMigrationTimeSelection>());
        });

    // ---- placement ----
    r.placements.add(
        {"ffd", "", "first fit decreasing: the first host in id order that fits", size_params()},
        [](const ParamValues&, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok<PlacementPolicy>(std::make_unique<FirstFitDecreasing>(*size));
        });
    r.placements.add(
        {"bfd", "", "best fit decreasing: the host left with the least residual capacity",
         size_params()},
        [](const ParamValues&, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok<PlacementPolicy>(std::make_unique<BestFitDecreasing>(*size));
        });
}

}  // namespace fp::policy
