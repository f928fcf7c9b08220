#include "src/config/settings.hpp"

#include <cstdint>

#include "src/sim/cloudsim_chain.hpp"
#include "src/util/assert.hpp"

namespace fp::config {
namespace {

using policy::ConfigValue;

template <typename T>
using Setter = std::function<void(Settings&, T)>;

SettingParam real(const char* table, const char* key, double def, double min, double max,
                  const char* doc, Setter<double> set) {
    return {table, policy::real_param(key, def, min, max, doc),
            [set](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
                set(s, std::get<double>(v));
                return std::nullopt;
            },
            ""};
}

SettingParam integer(const char* table, const char* key, int64_t def, int64_t min, int64_t max,
                     const char* doc, Setter<int64_t> set) {
    return {table, policy::int_param(key, def, min, max, doc),
            [set](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
                set(s, std::get<int64_t>(v));
                return std::nullopt;
            },
            ""};
}

SettingParam flag(const char* table, const char* key, bool def, const char* doc, Setter<bool> set) {
    return {table, policy::bool_param(key, def, doc),
            [set](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
                set(s, std::get<bool>(v));
                return std::nullopt;
            },
            ""};
}

SettingParam text(const char* table, const char* key, const char* def, const char* doc,
                  Setter<const std::string&> set) {
    return {table, policy::string_param(key, def, doc),
            [set](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
                set(s, std::get<std::string>(v));
                return std::nullopt;
            },
            ""};
}

// One of `choices` (checked by the reader, so a parse function given the value cannot fail).
SettingParam choice(const char* table, const char* key, const char* def,
                    std::vector<std::string> choices, const char* doc, const char* noun,
                    Setter<const std::string&> set) {
    return {table, policy::enum_param(key, def, std::move(choices), doc, noun),
            [set](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
                set(s, std::get<std::string>(v));
                return std::nullopt;
            },
            ""};
}

// The value of a parse function the declared choices already passed.
template <typename T>
T parsed(const Result<T>& r) {
    FP_ASSERT(r.has_value());  // the declaration's choices and the parser disagree
    return *r;
}

constexpr int64_t kNoLimit = INT64_MAX / 4;  // sums of such values cannot overflow

std::vector<SettingParam> make_params() {
    const sim::BestChainParams kBest;  // the best chain's defaults
    const opt::SearchOptions kSearch;  // the roadef search's defaults
    std::vector<SettingParam> p = {
        // ---- [plan] ----
        choice("plan", "goal", "auto", {"auto", "consolidate", "balance", "hotspot", "evacuate"},
               "what the plan is for (the goals table; sets the default policies)", "goal",
               [](Settings& s, const std::string& v) {
                   s.options.goal = parsed(plan::parse_goal(v));
               }),
        real("plan", "max_util", 0.9, 0.01, 1.0,
             "no host is planned above this fraction of any dimension",
             [](Settings& s, double v) { s.options.max_util_ppm = model::to_ppm(v); }),
        integer("plan", "seed", 1, 0, INT64_MAX, "seed of every random choice",
                [](Settings& s, int64_t v) { s.options.seed = static_cast<uint64_t>(v); }),
        integer("plan", "budget_migrations", -1, -1, INT64_MAX, "most migrations (-1: no limit)",
                [](Settings& s, int64_t v) { s.options.budget_migrations = v; }),
        real("plan", "budget_mem_frac", -1.0, -1.0, 1.0,
             "most memory moved, as a fraction of all VMs' memory (-1: no limit)",
             [](Settings& s, double v) { s.options.budget_mem_frac = v; }),
        real("plan", "balance_tolerance", 0.05, 0.0, 1.0,
             "balance stops when max - min host utilisation is at most this",
             [](Settings& s, double v) { s.options.balance_tolerance = v; }),
        real("plan", "balance_min_gain", 0.01, 0.0, 1.0,
             "a balance move must lower the pair's peak by this much",
             [](Settings& s, double v) { s.options.balance_min_gain = v; }),
        real("plan", "balance_mem_frac", 0.2, -1.0, 1.0,
             "balance moves at most this fraction of all VM memory (-1: no limit)",
             [](Settings& s, double v) { s.options.balance_mem_frac = v; }),
        flag("plan", "consolidate_alternatives", true,
             "consolidate also tries dot-product placement and keeps the better plan",
             [](Settings& s, bool v) { s.options.consolidate_alternatives = v; }),
        choice(
            "plan", "placement_guard", "none", {"none", "trigger"},
            "trigger: no target the trigger would forecast hot with the VM added (lr, see its "
            "guard), save for VMs that must move; none: max-util only",
            "value",
            [](Settings& s, const std::string& v) { s.options.placement_guard = v == "trigger"; }),
        integer("plan", "max_arrivals", 0, 0, 100000000,
                "most migrations into one host per plan for work that can wait (consolidation, "
                "balance, relief of a host hot by forecast only); VMs that must move may exceed "
                "it (0: no limit)",
                [](Settings& s, int64_t v) { s.options.max_arrivals = static_cast<int32_t>(v); }),
        integer("plan", "improve", plan::PlanOptions{}.improve, 0, kNoLimit,
                "work units (candidate moves evaluated) of the improvement phase after a "
                "consolidation or a balance, per shard and variant (0: off)",
                [](Settings& s, int64_t v) { s.options.improve = v; }),
        integer("plan", "shard_hosts", 1024, 0, 100000000,
                "hosts per shard of the sharded planner (0: the whole fleet is one)",
                [](Settings& s, int64_t v) { s.options.shard_hosts = static_cast<int32_t>(v); }),
        integer("plan", "cooldown_s", 3600, 0, kNoLimit,
                "a VM moved by the previous plan (--previous) stays this long",
                [](Settings& s, int64_t v) { s.options.cooldown_s = v; }),
        choice("plan", "cross_site", "never", {"never", "evacuations", "allow"},
               "which moves may leave their site", "value",
               [](Settings& s, const std::string& v) {
                   s.options.cross_site = parsed(plan::parse_cross_site(v));
               }),
        real("plan", "horizon_s", 86400.0, 0.0, 1e9,
             "consolidation drains a host only if its idle energy over this horizon exceeds the "
             "energy of moving its VMs",
             [](Settings& s, double v) { s.options.horizon_s = v; }),
        real("plan", "move_wh_per_gib", 5.0, 0.0, 1e9,
             "energy price of one GiB migrated (both ends, network)",
             [](Settings& s, double v) { s.options.move_wh_per_gib = v; }),
        real("plan", "window_s", 0.0, 0.0, 1e9,
             "the schedule should end within this many seconds; optional moves past it are "
             "left out (0: no window; --window)",
             [](Settings& s, double v) { s.options.window_s = v; }),
        choice("plan", "anti_group_scope", "host", {"host", "rack"},
               "where two VMs of one anti_group may not share", "value",
               [](Settings& s, const std::string& v) {
                   s.options.anti_scope =
                       v == "rack" ? model::AntiScope::kRack : model::AntiScope::kHost;
               }),
        choice("plan", "migration_limits", "enforce", {"enforce", "flag"},
               "moves beyond [migration]'s limits are left out (enforce) or only flagged", "value",
               [](Settings& s, const std::string& v) {
                   s.options.enforce_migration_limits = v == "enforce";
               }),
        // ---- [waves] ----
        integer(
            "waves", "max_per_host", 2, 0, 1000000,
            "migrations in flight per host, as source or target (0: no limit)",
            [](Settings& s, int64_t v) { s.options.waves.max_per_host = static_cast<int32_t>(v); }),
        integer(
            "waves", "max_total", 16, 0, 100000000,
            "migrations in flight in all (0: no limit; old name max_per_wave)",
            [](Settings& s, int64_t v) { s.options.waves.max_total = static_cast<int32_t>(v); }),
        // ---- [migration] ----
        choice("migration", "model", "pre-copy", {"suspend-copy", "pre-copy", "post-copy"},
               "migration cost model", "model",
               [](Settings& s, const std::string& v) {
                   s.options.cost.model = parsed(model::parse_cost_model(v));
               }),
        real("migration", "bandwidth_mibps", 1000.0, 1e-3, 1e9, "bandwidth of one migration",
             [](Settings& s, double v) { s.options.cost.bandwidth_mibps = v; }),
        real("migration", "max_downtime_ms", 300.0, 0.0, 1e9, "pre-copy stop condition",
             [](Settings& s, double v) { s.options.cost.max_downtime_ms = v; }),
        integer("migration", "max_rounds", 30, 1, 1000, "most pre-copy rounds",
                [](Settings& s, int64_t v) { s.options.cost.max_rounds = static_cast<int>(v); }),
        real("migration", "min_shrink", 0.9, 0.0, 1.0,
             "a pre-copy round must leave less than this times the previous remainder",
             [](Settings& s, double v) { s.options.cost.min_shrink = v; }),
        choice("migration", "fallback", "post-copy", {"post-copy", "stop-copy"},
               "what pre-copy does when it does not converge", "fallback",
               [](Settings& s, const std::string& v) {
                   s.options.cost.fallback = parsed(model::parse_fallback(v));
               }),
        real("migration", "postcopy_fault_overhead", 0.15, 0.0, 100.0,
             "extra fraction of post-copy transfer time for page faults",
             [](Settings& s, double v) { s.options.cost.postcopy_fault_overhead = v; }),
        real("migration", "cpu_state_ms", 20.0, 0.0, 1e9, "downtime of a post-copy switch-over",
             [](Settings& s, double v) { s.options.cost.cpu_state_ms = v; }),
        real("migration", "host_bandwidth_mibps", 2000.0, 1e-3, 1e9,
             "migration bandwidth of one host, shared by its concurrent migrations",
             [](Settings& s, double v) { s.options.cost.host_bandwidth_mibps = v; }),
        real("migration", "gang_shared_fraction", 0.2, 0.0, 1.0,
             "share of a group member's memory sent once for the group's members moving "
             "together",
             [](Settings& s, double v) { s.options.cost.gang_shared_fraction = v; }),
        real("migration", "wan_bandwidth_mibps", 100.0, 1e-3, 1e9,
             "bandwidth of a move between sites (without a site_pairs entry)",
             [](Settings& s, double v) { s.options.cost.wan_bandwidth_mibps = v; }),
        real("migration", "wan_reconfig_s", 5.0, 0.0, 1e6,
             "network reconfiguration delay of a move between sites",
             [](Settings& s, double v) { s.options.cost.wan_reconfig_s = v; }),
        real("migration", "timeout_s", 600.0, 0.0, 86400.0 * 7,
             "a migration estimated to take longer is over the limit (0: no limit)",
             [](Settings& s, double v) { s.options.cost.timeout_s = v; }),
        // ---- [sim] ----
        {"sim",
         policy::string_param("chain", "planner",
                              "planner ([policy] and [plan]), best, or a simulator chain "
                              "(fleetplan simulate --help)"),
         [](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
             const std::string& name = std::get<std::string>(v);
             auto cloudsim = sim::cloudsim_chain_params(name, 0);
             if (name != "planner" && name != "best" && !cloudsim)
                 return cloudsim.error().msg + "; or planner";
             s.sim.chain = name;
             return std::nullopt;
         },
         ""},
        integer("sim", "interval_s", 0, 0, 86400 * 366,
                "seconds between decisions (0: the trace's sample interval)",
                [](Settings& s, int64_t v) { s.sim.interval_s = v; }),
        real("sim", "boot_s", 60.0, 0.0, 86400.0, "a switched-on host's boot delay (seconds)",
             [](Settings& s, double v) { s.sim.boot_s = v; }),
        real("sim", "boot_energy_wh", 2.0, 0.0, 1e6, "energy of one switch-on",
             [](Settings& s, double v) { s.sim.boot_energy_wh = v; }),
        real("sim", "degradation", 0.1, 0.0, 1.0, "CPU share a migrating VM loses",
             [](Settings& s, double v) { s.sim.degradation = v; }),
        real("sim", "migration_bw_share", 0.5, 1e-6, 1.0,
             "share of the target's network a migration uses",
             [](Settings& s, double v) { s.sim.migration_bw_share = v; }),
        real("sim", "idle_power_w", 100.0, 0.0, 1e6, "idle watts of hosts without power_idle_w",
             [](Settings& s, double v) { s.sim.idle_power_w = v; }),
        real("sim", "max_power_w", 250.0, 0.0, 1e6,
             "full-CPU watts of hosts without power_max_w (at least idle_power_w)",
             [](Settings& s, double v) { s.sim.max_power_w = v; }),
        choice("sim", "planner_horizon", "whole", {"whole", "first-wave"},
               "how much of each plan the planner chain makes", "value",
               [](Settings& s, const std::string& v) {
                   s.sim.planner_horizon = *sim::parse_planner_horizon(v);
               }),
        choice("sim", "planner_waves", "chained", {"chained", "first"},
               "planner chain: chained (each wave once the one before ended, until the next "
               "boundary, as dispatch) or first (the first wave only)",
               "value",
               [](Settings& s,
                  const std::string& v) { s.sim.planner_waves = *sim::parse_planner_waves(v); }),
        // The best chain's CPU settings (defaults: BestChainParams, src/sim/best_chain.hpp).
        integer("sim", "best_window", kBest.window, 1, 100000,
                "best chain: CPU forecast window (samples)",
                [](Settings& s, int64_t v) { s.sim.best.window = static_cast<int32_t>(v); }),
        real("sim", "best_quantile", kBest.quantile, 0.0, 1.0,
             "best chain: the forecast is this quantile of the window (and at least now)",
             [](Settings& s, double v) { s.sim.best.quantile = v; }),
        real("sim", "best_short_history_widen", kBest.short_history_widen, 0.0, 100.0,
             "best chain: extra share of the forecast while the window is not full",
             [](Settings& s, double v) { s.sim.best.short_history_widen = v; }),
        real("sim", "best_pack", kBest.pack, 0.01, 1.0,
             "best chain: targets stay under this share of their CPU (forecast)",
             [](Settings& s, double v) { s.sim.best.pack = v; }),
        real("sim", "best_hot_now", kBest.hot_now, 0.01, 1.0,
             "best chain: relieve a host whose current demand is above this share",
             [](Settings& s, double v) { s.sim.best.hot_now = v; }),
        real("sim", "best_hot_forecast", kBest.hot_forecast, 0.01, 10.0,
             "best chain: relieve a host whose forecast is above this share",
             [](Settings& s, double v) { s.sim.best.hot_forecast = v; }),
        real("sim", "best_cold", kBest.cold, 0.0, 1.0,
             "best chain: a host whose forecast is under this share is a drain candidate",
             [](Settings& s, double v) { s.sim.best.cold = v; }),
        real("sim", "best_drain_pack", kBest.drain_pack, 0.01, 1.0,
             "best chain: drained VMs go only where the forecast stays under this share",
             [](Settings& s, double v) { s.sim.best.drain_pack = v; }),
        integer(
            "sim", "best_drains_per_step", kBest.drains_per_step, 0, 100000,
            "best chain: hosts drained per interval",
            [](Settings& s, int64_t v) { s.sim.best.drains_per_step = static_cast<int32_t>(v); }),
        real("sim", "best_surplus_factor", kBest.surplus_factor, 1.0, 1e6,
             "best chain: with active hosts above this times those needed, drain without limit",
             [](Settings& s, double v) { s.sim.best.surplus_factor = v; }),
        integer("sim", "best_cooldown", kBest.cooldown, 0, 100000,
                "best chain: intervals before a moved VM may be moved by consolidation",
                [](Settings& s, int64_t v) { s.sim.best.cooldown = static_cast<int32_t>(v); }),
        real("sim", "best_mem_pack", 0.85, 0.01, 1.0,
             "best chain: targets stay under this share of their memory",
             [](Settings& s, double v) { s.sim.best.mem_pack = v; }),
        real("sim", "best_mem_hot", 0.95, 0.01, 1.0,
             "best chain: hosts above this share of memory shed VMs (at least best_mem_pack)",
             [](Settings& s, double v) { s.sim.best.mem_hot = v; }),
        real("sim", "best_mem_cold", 0.7, 0.0, 1.0,
             "best chain: a host is drained only under this share of memory",
             [](Settings& s, double v) { s.sim.best.mem_cold = v; }),
        integer("sim", "planner_mem_window", 1, 1, 100000,
                "planner chain: memory demand is the peak of so many samples",
                [](Settings& s, int64_t v) { s.sim.planner_mem_window = static_cast<int32_t>(v); }),
        integer("sim", "best_mem_window", 12, 1, 100000,
                "best chain: memory forecast window (samples)",
                [](Settings& s, int64_t v) { s.sim.best.mem_window = static_cast<int32_t>(v); }),
        choice("sim", "best_mem_rule", "peak", {"peak", "host-jump"},
               "best chain: peak (each VM's memory at its window peak) or host-jump (current "
               "memory plus a host's best_mem_jumps largest recent swings)",
               "value",
               [](Settings& s,
                  const std::string& v) { s.sim.best.mem_rule = *sim::parse_best_mem_rule(v); }),
        integer("sim", "best_mem_jumps", 1, 1, 100000,
                "best chain, host-jump: the swings of so many VMs a host reserves memory for",
                [](Settings& s, int64_t v) { s.sim.best.mem_jumps = static_cast<int32_t>(v); }),
        // ---- [cycle] ----
        text("cycle", "hosts", "",
             "the fleet's hosts.csv (collect, plan and dispatch --hosts; required by cycle)",
             [](Settings& s, const std::string& v) { s.cycle.hosts = v; }),
        text("cycle", "connect_uri_template", "",
             "dispatch's --connect-uri-template, and collect's (required by cycle)",
             [](Settings& s, const std::string& v) { s.cycle.connect_uri_template = v; }),
        text("cycle", "collect_uri_template", "",
             "collect's, when it differs (say, a read-only socket)",
             [](Settings& s, const std::string& v) { s.cycle.collect_uri_template = v; }),
        text("cycle", "dest_uri_template", "", "dispatch's T2 (left out when empty)",
             [](Settings& s, const std::string& v) { s.cycle.dest_uri_template = v; }),
        text("cycle", "migrate_uri_template", "", "dispatch's T3 (left out when empty)",
             [](Settings& s, const std::string& v) { s.cycle.migrate_uri_template = v; }),
        real("cycle", "sample_seconds", 1.0, 0.0, 3600.0, "collect's --sample-seconds",
             [](Settings& s, double v) { s.cycle.sample_seconds = v; }),
        real("cycle", "max_missing_frac", 0.1, 0.0, 1.0, "collect's --max-missing-frac",
             [](Settings& s, double v) { s.cycle.max_missing_frac = v; }),
        integer("cycle", "max_moves", 20, -1, 100000000,
                "the gate's limit of moves per cycle (-1: none)",
                [](Settings& s, int64_t v) { s.cycle.gate.max_moves = v; }),
        real("cycle", "max_gib", 64.0, -1.0, 1e9,
             "the gate's limit of memory moved per cycle, GiB (-1: none)",
             [](Settings& s, double v) { s.cycle.gate.max_gib = v; }),
        choice("cycle", "approval", "file", {"auto", "file"},
               "auto, or file (a plan needs an --approve file naming it)", "value",
               [](Settings& s, const std::string& v) {
                   s.cycle.gate.approval = parsed(dispatch::parse_approval(v));
               }),
        integer("cycle", "keep", 0, 0, 1000000, "completed cycle directories kept (0: all)",
                [](Settings& s, int64_t v) { s.cycle.keep = v; }),
        integer("cycle", "history_keep", 288, 0, 1000000,
                "DIR/history.csv keeps the samples of the newest so many cycles (0: all)",
                [](Settings& s, int64_t v) { s.cycle.history_keep = v; }),
        integer("cycle", "history_min_interval_s", 60, 1, 86400,
                "DIR/history.csv drops a sample closer than this to a newer one",
                [](Settings& s, int64_t v) { s.cycle.history_min_interval_s = v; }),
        integer("cycle", "dispatch_max_per_host", 0, 0, 1000,
                "dispatch's --max-per-host (0: the plan's)",
                [](Settings& s, int64_t v) { s.cycle.dispatch_max_per_host = v; }),
        integer("cycle", "dispatch_max_total", 0, 0, 100000,
                "dispatch's --max-total (0: the plan's)",
                [](Settings& s, int64_t v) { s.cycle.dispatch_max_total = v; }),
        // dispatch's --timeout takes [0.001, 604800]; 0 here leaves it out.
        {"cycle",
         policy::real_param("dispatch_timeout_s", 0.0, 0.0, 86400.0 * 7,
                            "dispatch's --timeout (0: the plan's; else at least 0.001)"),
         [](Settings& s, const ConfigValue& v) -> std::optional<std::string> {
             const double t = std::get<double>(v);
             if (t > 0 && t < 0.001) return "must be 0 (the plan's) or at least 0.001";
             s.cycle.dispatch_timeout_s = t;
             return std::nullopt;
         },
         ""},
        integer("cycle", "dispatch_bandwidth_mibps", 0, 0, 10000000,
                "dispatch's --bandwidth (0: no limit)",
                [](Settings& s, int64_t v) { s.cycle.dispatch_bandwidth_mibps = v; }),
        integer("cycle", "dispatch_retries", 2, 0, 100, "dispatch's --retries",
                [](Settings& s, int64_t v) { s.cycle.dispatch_retries = v; }),
        real("cycle", "dispatch_backoff_s", 2.0, 0.0, 3600.0, "dispatch's --backoff",
             [](Settings& s, double v) { s.cycle.dispatch_backoff_s = v; }),
        choice("cycle", "dispatch_mode", "precopy", {"precopy", "postcopy", "auto"},
               "dispatch's --mode", "value",
               [](Settings& s, const std::string& v) { s.cycle.dispatch_mode = v; }),
        flag("cycle", "dispatch_allow_skips", false, "dispatch's --allow-skips",
             [](Settings& s, bool v) { s.cycle.dispatch_allow_skips = v; }),
        flag("cycle", "dispatch_dry_run", false,
             "run dispatch --dry-run: the cycle plans and gates, moves nothing",
             [](Settings& s, bool v) { s.cycle.dispatch_dry_run = v; }),
        // ---- [roadef] (defaults: SearchOptions, src/opt/local_search.hpp) ----
        integer("roadef", "searches", kSearch.searches, 1, 1024,
                "independent searches per round (fixed: not the thread count, so the result "
                "does not depend on --threads)",
                [](Settings& s, int64_t v) { s.roadef.searches = static_cast<int>(v); }),
        integer("roadef", "round_work", kSearch.round_work, 1, kNoLimit,
                "moves evaluated per search and round; then the best of all searches is kept",
                [](Settings& s, int64_t v) { s.roadef.round_work = v; }),
        integer("roadef", "lahc_length", kSearch.lahc_length, 1, opt::kMaxLahcLength,
                "late acceptance history, its shortest length: a worse step is kept when no worse "
                "than the objective so many steps ago",
                [](Settings& s, int64_t v) { s.roadef.lahc_length = v; }),
        integer("roadef", "lahc_work_per_entry", kSearch.lahc_work_per_entry, 0, kNoLimit,
                "the history grows by one entry per so much work of each search's budget (0: "
                "always lahc_length; at most lahc_max_length entries)",
                [](Settings& s, int64_t v) { s.roadef.lahc_work_per_entry = v; }),
        integer("roadef", "lahc_max_length", kSearch.lahc_max_length, 1, opt::kMaxLahcLength,
                "the history's longest length (lahc_length wins when larger)",
                [](Settings& s, int64_t v) { s.roadef.lahc_max_length = v; }),
        integer("roadef", "lahc_work_per_second", kSearch.lahc_work_per_second, 1, kNoLimit,
                "with only --time-limit, the budget that sizes the history is the limit times "
                "this nominal rate (so the history never depends on the machine's speed)",
                [](Settings& s, int64_t v) { s.roadef.lahc_work_per_second = v; }),
        integer("roadef", "repack_percent", kSearch.repack_percent, 0, 100,
                "share of steps (percent) that re-pack 2-3 machines exactly (branch and bound)",
                [](Settings& s, int64_t v) { s.roadef.repack_percent = static_cast<int>(v); }),
        integer("roadef", "repack_nodes", kSearch.repack_nodes, 1, kNoLimit,
                "search-node limit of one re-pack (each node counts as one move evaluated)",
                [](Settings& s, int64_t v) { s.roadef.repack_nodes = v; }),
        integer("roadef", "targeted_percent", kSearch.targeted_percent, 0, 100,
                "share of moves and swaps (percent) that start on the costlier of two random "
                "machines",
                [](Settings& s, int64_t v) { s.roadef.targeted_percent = static_cast<int>(v); }),
        integer("roadef", "aimed_percent", kSearch.aimed_percent, 0, 100,
                "share of steps (percent) aimed at the load cost: off the costliest or onto the "
                "roomiest of sampled machines (with repack_percent, chain_percent, "
                "home_percent and room_repack_percent at most 100; these shares come out of the "
                "plain moves' 55% first, then the swaps' 45%)",
                [](Settings& s, int64_t v) { s.roadef.aimed_percent = static_cast<int>(v); }),
        integer("roadef", "aimed_candidates", kSearch.aimed_candidates, 1, 100000,
                "an aimed step takes the best of so many moves and as many swaps",
                [](Settings& s, int64_t v) { s.roadef.aimed_candidates = static_cast<int>(v); }),
        integer("roadef", "chain_percent", kSearch.chain_percent, 0, 100,
                "share of steps (percent) that are chain steps: a process of a costly machine "
                "moves, alone or ejecting one of the target's processes further",
                [](Settings& s, int64_t v) { s.roadef.chain_percent = static_cast<int>(v); }),
        integer("roadef", "home_percent", kSearch.home_percent, 0, 100,
                "share of steps (percent) that are home steps: a process away from its initial "
                "machine goes back, alone, swapped with or ejecting a process there",
                [](Settings& s, int64_t v) { s.roadef.home_percent = static_cast<int>(v); }),
        integer("roadef", "home_move_share", kSearch.home_move_share, 0, 100,
                "when no process needs a transient resource, home steps run only while move "
                "costs make at least this percent of the objective (else they are moves)",
                [](Settings& s, int64_t v) { s.roadef.home_move_share = static_cast<int>(v); }),
        integer("roadef", "room_repack_percent", kSearch.room_repack_percent, 0, 100,
                "share of steps (percent) that re-pack a costly machine exactly with one or two "
                "of the machines with the most room left on every transient resource (off by "
                "itself when no process needs a transient resource)",
                [](Settings& s, int64_t v) { s.roadef.room_repack_percent = static_cast<int>(v); }),
        integer("roadef", "room_candidates", kSearch.room_candidates, 1, 100000,
                "a room re-pack draws its partners among so many machines with the most room",
                [](Settings& s, int64_t v) { s.roadef.room_candidates = static_cast<int>(v); }),
        integer(
            "roadef", "pair_repack_permille", kSearch.pair_repack_permille, 0, 1000,
            "share of each search's work (per mille) spent re-packing a costly machine "
            "exactly with the machine whose room best matches its excess (0: off; off by itself "
            "where processes hold transient room)",
            [](Settings& s, int64_t v) { s.roadef.pair_repack_permille = static_cast<int>(v); }),
        integer("roadef", "pair_repack_nodes", kSearch.pair_repack_nodes, 1, kNoLimit,
                "node limit of one pair re-pack",
                [](Settings& s, int64_t v) { s.roadef.pair_repack_nodes = v; }),
        integer("roadef", "pair_candidates", kSearch.pair_candidates, 1, 100000,
                "a pair re-pack draws so many machines and keeps the best match as the partner",
                [](Settings& s, int64_t v) { s.roadef.pair_candidates = static_cast<int>(v); }),
        real("roadef", "transient_price", kSearch.transient_price, 0.0, 1000.0,
             "price of transient room in the acceptance test: a process away from its initial "
             "machine adds this times its load-weighted transient requirement (0: off)",
             [](Settings& s, double v) { s.roadef.transient_price = v; }),
        integer(
            "roadef", "transient_price_fade", kSearch.transient_price_fade, 0, 100,
            "the transient price falls linearly to 0 at this percent of the budget",
            [](Settings& s, int64_t v) { s.roadef.transient_price_fade = static_cast<int>(v); }),
        integer("roadef", "transient_price_fade_work", kSearch.transient_price_fade_work, 0,
                kNoLimit, "the transient price reaches 0 at most this much work in (0: no cap)",
                [](Settings& s, int64_t v) { s.roadef.transient_price_fade_work = v; }),
        integer("roadef", "transient_lahc_max_length", kSearch.transient_lahc_max_length, 0,
                opt::kMaxLahcLength,
                "when some process needs a transient resource, the late acceptance history is at "
                "most this long (0: no cap)",
                [](Settings& s, int64_t v) { s.roadef.transient_lahc_max_length = v; }),
        integer("roadef", "reheat_rounds", kSearch.reheat_rounds, 0, kNoLimit,
                "a search holding the best of its epoch, frozen (accepting no worse step) and not "
                "improving for so many rounds refills its history above its best (0: never)",
                [](Settings& s, int64_t v) { s.roadef.reheat_rounds = v; }),
        integer("roadef", "reheat_permille", kSearch.reheat_permille, 0, 1000,
                "how far above its best a reheated search's history starts (per mille)",
                [](Settings& s, int64_t v) { s.roadef.reheat_permille = static_cast<int>(v); }),
        integer("roadef", "restart_rounds", kSearch.restart_rounds, 0, kNoLimit,
                "a search not improving for so many rounds restarts from the best of its epoch "
                "(0: never)",
                [](Settings& s, int64_t v) { s.roadef.restart_rounds = v; }),
        integer("roadef", "epoch_rounds", kSearch.epoch_rounds, 0, kNoLimit,
                "where processes hold transient room: when the best of an epoch gains less "
                "than epoch_gain_permille over so many rounds, every search starts again from "
                "the initial assignment (0: never)",
                [](Settings& s, int64_t v) { s.roadef.epoch_rounds = v; }),
        integer("roadef", "epoch_gain_permille", kSearch.epoch_gain_permille, 0, 1000,
                "the gain (per mille of the epoch's best) below which an epoch ends",
                [](Settings& s, int64_t v) { s.roadef.epoch_gain_permille = static_cast<int>(v); }),
    };
    for (SettingParam& s : p)
        if (s.table == "waves" && s.spec.key == "max_total") s.old_key = "max_per_wave";
    return p;
}

}  // namespace

const std::vector<std::string>& setting_tables() {
    static const std::vector<std::string> tables = {"plan", "waves", "migration",
                                                    "sim",  "cycle", "roadef"};
    return tables;
}

const std::vector<SettingParam>& setting_params() {
    static const std::vector<SettingParam> params = make_params();
    return params;
}

std::vector<std::string> cross_check(const Settings& s) {
    std::vector<std::string> out;
    if (s.sim.best.mem_hot < s.sim.best.mem_pack)
        out.push_back("sim.best_mem_hot: must be at least sim.best_mem_pack");
    if (s.sim.max_power_w < s.sim.idle_power_w)
        out.push_back("sim.max_power_w: must be at least sim.idle_power_w");
    if (s.roadef.repack_percent + s.roadef.aimed_percent + s.roadef.chain_percent +
            s.roadef.home_percent + s.roadef.room_repack_percent >
        100) {
        // Named after the largest share the config changed (the sum cannot exceed the limit
        // at the defaults), so the message carries that key's line.
        const opt::SearchOptions d;
        std::pair<int, const char*> key{-1, "aimed_percent"};
        for (const auto& [v, dv, name] :
             {std::tuple{s.roadef.repack_percent, d.repack_percent, "repack_percent"},
              std::tuple{s.roadef.aimed_percent, d.aimed_percent, "aimed_percent"},
              std::tuple{s.roadef.chain_percent, d.chain_percent, "chain_percent"},
              std::tuple{s.roadef.home_percent, d.home_percent, "home_percent"},
              std::tuple{s.roadef.room_repack_percent, d.room_repack_percent,
                         "room_repack_percent"}})
            if (v != dv && v > key.first) key = {v, name};
        out.push_back("roadef." + std::string(key.second) +
                      ": repack_percent + aimed_percent + chain_percent + home_percent + "
                      "room_repack_percent must be at most 100");
    }
    return out;
}

}  // namespace fp::config
