// Run configuration from a TOML file plus command-line overrides: plan options and the chosen
// policies, validated all at once (unknown keys, bad values and unknown policy names each name
// their key and the valid choices), and the fully expanded config as TOML for the checkpoint.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "src/config/settings.hpp"
#include "src/policy/registry.hpp"

namespace fp::io {

// Flags that override config values (nullopt: not given on the command line).
struct ConfigOverrides {
    std::optional<std::string> goal;
    std::optional<double> max_util;
    std::optional<int64_t> seed;
    std::optional<int64_t> budget_migrations;
    std::optional<double> budget_mem_frac;
    std::optional<double> window_s;  // --window
    // [sim] best_* keys a file leaves out take these values (a preset's settings) instead of
    // BestChainParams{}'s.
    std::optional<sim::BestChainParams> best_base;
};

// [sim] and [cycle] are declared with the other settings in the core (src/config/settings.hpp).
using SimConfig = config::SimConfig;
using CycleConfig = config::CycleConfig;

// options, sim and cycle (config::Settings) as the config and the overrides set them.
struct RunConfig : config::Settings {
    policy::PolicySet policies;
    // Every setting in force, defaults included: [plan], [policy], [waves], [migration] and
    // [cycle] (the plan checkpoint's /config/toml).
    std::string expanded_toml;
    std::string sim_toml;     // the [sim] table in force (simulate only; not in expanded_toml)
    std::string roadef_toml;  // the [roadef] table in force (roadef only; not in expanded_toml)
    // Every key the file sets, by its path ("sim.best_mem_pack", "policy.trigger.name"), with its
    // line (what simulate --preset checks: a preset's config sets only [sim] best_*).
    std::map<std::string, int64_t> keys_given;
};

// `path` empty: defaults only. `text` given: parse it instead of reading `path` (path names it).
Result<RunConfig> load_config(const std::string& path, const ConfigOverrides& overrides,
                              const policy::Registries& registries,
                              const std::optional<std::string>& text = std::nullopt);

// The fully expanded config (expanded_toml, sim_toml and roadef_toml) as JSON: one object per
// table, in the order plan, policy, waves, migration, cycle, sim, roadef; values keep their TOML
// types.
nlohmann::ordered_json config_json(const RunConfig& config);

}  // namespace fp::io
