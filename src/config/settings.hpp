// The settings of a run outside the policies: [plan], [waves], [migration], [sim], [cycle] and
// [roadef], each parameter declared once (table, key, type, default, range, doc, and how it is
// applied). io/config reads TOML through these declarations, `fleetplan policies` documents them
// and the expanded config lists them; nothing else spells out a key or a default. Thread-safety:
// the declarations are immutable after first use.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/dispatch/cycle_gate.hpp"
#include "src/opt/local_search.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/param.hpp"
#include "src/sim/best_chain.hpp"
#include "src/sim/planner_chain.hpp"

namespace fp::config {

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
    sim::PlannerWaves planner_waves = sim::PlannerWaves::kChained;
    int32_t planner_mem_window = 1;  // planner chain: memory demand = the peak of so many samples
    // The `best` chain's settings: [sim] best_ + a BestChainParams field (best_window,
    // best_pack, ..., best_mem_cold; src/sim/best_chain.hpp).
    sim::BestChainParams best;
};

// [cycle]: how `fleetplan cycle` runs collect, plan, its gate and dispatch (mpi/cycle.cpp).
// Paths are relative to the config file's directory; empty strings are "not given".
struct CycleConfig {
    std::string hosts;                    // the fleet's hosts.csv (required by `cycle`)
    std::string connect_uri_template;     // dispatch's (and collect's) T1 (required by `cycle`)
    std::string collect_uri_template;     // collect's, when it differs (e.g. a read-only socket)
    std::string dest_uri_template;        // dispatch's T2
    std::string migrate_uri_template;     // dispatch's T3
    double sample_seconds = 1;            // collect --sample-seconds
    double max_missing_frac = 0.1;        // collect --max-missing-frac
    dispatch::GateLimits gate;            // max_moves, max_gib, approval
    int64_t keep = 0;                     // completed cycle directories kept (0: all)
    int64_t history_keep = 288;           // DIR/history.csv: samples of the newest so many cycles
    int64_t history_min_interval_s = 60;  // and none closer than this to a newer one
    // dispatch's options (0 / "": dispatch's own default, which for the first three is the plan's)
    int64_t dispatch_max_per_host = 0;      // --max-per-host
    int64_t dispatch_max_total = 0;         // --max-total
    double dispatch_timeout_s = 0;          // --timeout
    int64_t dispatch_bandwidth_mibps = 0;   // --bandwidth
    int64_t dispatch_retries = 2;           // --retries
    double dispatch_backoff_s = 2;          // --backoff
    std::string dispatch_mode = "precopy";  // --mode
    bool dispatch_allow_skips = false;      // --allow-skips
    bool dispatch_dry_run = false;          // --dry-run: the cycle plans and gates, moves nothing
};

// Everything a config sets besides the policies.
struct Settings {
    plan::PlanOptions options;  // evacuate list is filled by the caller
    SimConfig sim;
    CycleConfig cycle;
    // [roadef]: the search of `fleetplan roadef` (src/opt/local_search.hpp). The config sets its
    // knobs; seed, work and time_limit_seconds come from the command's flags only.
    opt::SearchOptions roadef;
};

struct SettingParam {
    std::string table;  // "plan", "waves", "migration", "sim", "cycle" or "roadef"
    policy::ParamSpec spec;
    // Stores a value read (type and range already checked); returns what is wrong with it
    // beyond that (e.g. an unknown simulator chain), or nullopt.
    std::function<std::optional<std::string>(Settings&, const policy::ConfigValue&)> apply;
    // An earlier name of the key, still read (never both): its value is used, under that name.
    std::string old_key;
};

// The tables in the order the expanded config writes them ([policy] comes after "plan").
const std::vector<std::string>& setting_tables();
// Every declared parameter, grouped by table in setting_tables() order.
const std::vector<SettingParam>& setting_params();
// Checks across parameters once all are applied ("sim.max_power_w: must be at least
// sim.idle_power_w"), each "table.key: what".
std::vector<std::string> cross_check(const Settings& settings);

}  // namespace fp::config
