// Run configuration from a TOML file plus command-line overrides: plan options and the chosen
// policies, validated all at once (unknown keys, bad values and unknown policy names each name
// their key and the valid choices), and the fully expanded config as TOML for the checkpoint.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "src/dispatch/cycle_gate.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"
#include "src/sim/best_chain.hpp"
#include "src/sim/planner_chain.hpp"

namespace fp::io {

// Flags that override config values (nullopt: not given on the command line).
struct ConfigOverrides {
    std::optional<std::string> goal;
    std::optional<double> max_util;
    std::optional<int64_t> seed;
    std::optional<int64_t> budget_migrations;
    std::optional<double> budget_mem_frac;
    std::optional<double> window_s;  // --window
};

// [sim]: how `fleetplan simulate` runs a fleet (hosts.csv + vms.csv + a trace).
struct SimConfig {
    std::string chain =
        "planner";              // planner ([policy] and [plan] above), best, or a CloudSim chain
    int64_t interval_s = 0;     // between decisions; 0: the trace's sample interval
    double boot_s = 60;         // a switched-on host's boot delay
    double boot_energy_wh = 2;  // energy of one switch-on
    double degradation = 0.1;   // CPU share a migrating VM loses
    double migration_bw_share = 0.5;  // share of the target's network used by a migration
    double idle_power_w = 100;        // hosts without power_idle_w / power_max_w
    double max_power_w = 250;
    // How much of each plan the planner chain makes (src/sim/planner_chain.hpp).
    sim::PlannerHorizon planner_horizon = sim::PlannerHorizon::kWhole;
    int32_t planner_mem_window = 1;  // planner chain: memory demand = the peak of so many samples
    // The `best` chain's memory settings (best_mem_window, best_mem_pack, best_mem_hot,
    // best_mem_cold, best_mem_rule, best_mem_jumps; src/sim/best_chain.hpp).
    sim::BestChainParams best;
};

// [cycle]: how `fleetplan cycle` runs collect, plan, its gate and dispatch (mpi/cycle.cpp).
// Paths are relative to the config file's directory; empty strings are "not given".
struct CycleConfig {
    std::string hosts;                 // the fleet's hosts.csv (required by `cycle`)
    std::string connect_uri_template;  // dispatch's (and collect's) T1 (required by `cycle`)
    std::string collect_uri_template;  // collect's, when it differs (e.g. a read-only socket)
    std::string dest_uri_template;     // dispatch's T2
    std::string migrate_uri_template;  // dispatch's T3
    double sample_seconds = 1;         // collect --sample-seconds
    double max_missing_frac = 0.1;     // collect --max-missing-frac
    dispatch::GateLimits gate;         // max_moves, max_gib, approval
    int64_t keep = 0;                  // completed cycle directories kept (0: all)
};

struct RunConfig {
    plan::PlanOptions options;  // evacuate list is filled by the caller
    policy::PolicySet policies;
    std::string expanded_toml;  // every setting in force, defaults included
    SimConfig sim;
    std::string sim_toml;  // the [sim] table in force (simulate only; not in expanded_toml)
    CycleConfig cycle;     // [cycle] (the `cycle` command only; not in expanded_toml)
};

// `path` empty: defaults only. `text` given: parse it instead of reading `path` (path names it).
Result<RunConfig> load_config(const std::string& path, const ConfigOverrides& overrides,
                              const policy::Registries& registries,
                              const std::optional<std::string>& text = std::nullopt);

// The fully expanded config (expanded_toml and sim_toml) as JSON: one object per table, in the
// order plan, policy, waves, migration, sim; values keep their TOML types.
nlohmann::ordered_json config_json(const RunConfig& config);

}  // namespace fp::io
