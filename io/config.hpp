// Run configuration from a TOML file plus command-line overrides: plan options and the chosen
// policies, validated all at once (unknown keys, bad values and unknown policy names each name
// their key and the valid choices), and the fully expanded config as TOML for the checkpoint.
#pragma once

#include <optional>
#include <string>

#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"

namespace fp::io {

// Flags that override config values (nullopt: not given on the command line).
struct ConfigOverrides {
    std::optional<std::string> goal;
    std::optional<double> max_util;
    std::optional<int64_t> seed;
    std::optional<int64_t> budget_migrations;
    std::optional<double> budget_mem_frac;
};

struct RunConfig {
    plan::PlanOptions options;  // evacuate list is filled by the caller
    policy::PolicySet policies;
    std::string expanded_toml;  // every setting in force, defaults included
};

// `path` empty: defaults only. `text` given: parse it instead of reading `path` (path names it).
Result<RunConfig> load_config(const std::string& path, const ConfigOverrides& overrides,
                              const policy::Registries& registries,
                              const std::optional<std::string>& text = std::nullopt);

}  // namespace fp::io
