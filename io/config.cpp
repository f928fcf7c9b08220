#include "io/config.hpp"

#include <toml++/toml.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "io/csv.hpp"
#include "src/sim/cloudsim_chain.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

using policy::ConfigNode;
using policy::ConfigValue;

std::string join(const std::vector<std::string>& v, const char* sep = "\n") {
    std::string s;
    for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
    return s;
}

// Copies a TOML table's scalar entries into a ConfigNode; nested tables are errors.
// `lines` gets each key's line (by its full path, e.g. "plan.max_util"), for with_line().
void to_node(const toml::table& t, ConfigNode& node, const std::string& file,
             std::vector<std::string>& errors, std::map<std::string, int64_t>& lines) {
    for (const auto& [k, v] : t) {
        const std::string key(k.str());
        const auto line = v.source().begin.line;
        const std::string path = node.path().empty() ? key : node.path() + "." + key;
        lines.emplace(path, line);
        const std::string where = file + ":" + std::to_string(line) + ":" + path;
        if (auto b = v.as_boolean()) {
            node.set(key, b->get());
        } else if (auto i = v.as_integer()) {
            node.set(key, static_cast<int64_t>(i->get()));
        } else if (auto d = v.as_floating_point()) {
            node.set(key, d->get());
        } else if (auto s = v.as_string()) {
            node.set(key, s->get());
        } else {
            errors.push_back(where + ": expected a number, string or boolean");
        }
    }
}

// "FILE: KEY: what" (a value's fault, found after parsing) as "FILE:LINE:KEY: what" when the
// key's line is known, like the parser's own errors.
std::string with_line(const std::string& error, const std::string& file,
                      const std::map<std::string, int64_t>& lines) {
    const std::string prefix = file + ": ";
    if (error.compare(0, prefix.size(), prefix) != 0) return error;
    const std::string rest = error.substr(prefix.size());
    const auto it = lines.find(rest.substr(0, rest.find(':')));
    if (it == lines.end()) return error;
    return file + ":" + std::to_string(it->second) + ":" + rest;
}

// Whether `key` (the last part of an unread key's path) is a documented parameter of `info`
// (a ParamDoc may name several, "cpu_high, mem_high, net_high").
bool documented(const std::optional<policy::PolicyInfo>& info, const std::string& key) {
    if (!info) return false;
    for (const auto& p : info->params)
        for (const std::string& name : policy::param_keys(p.name))
            if (name == key) return true;
    return false;
}

// A TOML basic string (also a quoted key): quotes, backslashes and control characters escaped,
// as TOML allows none of them raw, so that the expanded config always loads again.
std::string toml_string(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (u < 0x20 || u == 0x7f) {
            char esc[8];
            std::snprintf(esc, sizeof esc, "\\u%04X", static_cast<unsigned>(u));
            out += esc;
        } else {
            out += c;
        }
    }
    return out + "\"";
}

std::string toml_value(const ConfigValue& v) {
    if (const double* d = std::get_if<double>(&v)) {
        std::ostringstream ss;
        ss.precision(17);
        ss << *d;
        std::string s = ss.str();
        if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
        return s;
    }
    if (const std::string* s = std::get_if<std::string>(&v)) return toml_string(*s);
    return policy::to_string(v);
}

// [migration.site_pairs] entries: "A/B" = { bandwidth_mibps = X, reconfig_s = Y }.
void site_pairs_from(
    const toml::node& n, const std::string& file,
    std::map<std::pair<std::string, std::string>, model::MigrationCostConfig::SitePair>& out,
    std::vector<std::string>& errors) {
    const toml::table* t = n.as_table();
    const std::string at =
        file + ":" + std::to_string(n.source().begin.line) + ":migration.site_pairs";
    if (!t) {
        errors.push_back(
            at + ": expected a table of \"SITE_A/SITE_B\" = { bandwidth_mibps, reconfig_s }");
        return;
    }
    for (const auto& [k, v] : *t) {
        const std::string key(k.str());
        const std::string where =
            file + ":" + std::to_string(v.source().begin.line) + ":migration.site_pairs." + key;
        const size_t slash = key.find('/');
        const toml::table* e = v.as_table();
        // Exactly one '/': with more, the pair would be ambiguous (and would not read back the
        // same from the expanded config).
        if (slash == std::string::npos || slash == 0 || slash + 1 == key.size() ||
            key.find('/', slash + 1) != std::string::npos || !e) {
            errors.push_back(where +
                             ": expected \"SITE_A/SITE_B\" (two sites, one '/') = { "
                             "bandwidth_mibps = ..., reconfig_s = ... }");
            continue;
        }
        std::string a = key.substr(0, slash), b = key.substr(slash + 1);
        if (b < a) std::swap(a, b);
        model::MigrationCostConfig::SitePair sp{100.0, 5.0};
        for (const auto& [pk, pv] : *e) {
            const std::string p(pk.str());
            const auto num = pv.value<double>();
            if (!num || !(*num >= 0) || (p == "bandwidth_mibps" && *num <= 0)) {
                errors.push_back(where + "." + p + ": expected a positive number");
            } else if (p == "bandwidth_mibps") {
                sp.bandwidth_mibps = *num;
            } else if (p == "reconfig_s") {
                sp.reconfig_s = *num;
            } else {
                errors.push_back(where + "." + p +
                                 ": unknown key (valid: bandwidth_mibps, reconfig_s)");
            }
        }
        out[{a, b}] = sp;
    }
}

nlohmann::ordered_json json_of(const toml::node& n) {
    if (const toml::table* t = n.as_table()) {
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        for (const auto& [k, v] : *t) j[std::string(k.str())] = json_of(v);
        return j;
    }
    if (const toml::array* a = n.as_array()) {
        nlohmann::ordered_json j = nlohmann::ordered_json::array();
        for (const auto& v : *a) j.push_back(json_of(v));
        return j;
    }
    if (auto b = n.as_boolean()) return b->get();
    if (auto i = n.as_integer()) return static_cast<int64_t>(i->get());
    if (auto d = n.as_floating_point()) return d->get();
    if (auto s = n.as_string()) return s->get();
    return nullptr;  // dates and times: the expanded config has none
}

std::string table_lines(const ConfigNode& node) {
    std::string s;
    for (const auto& [k, v] : node.effective()) s += k + " = " + toml_value(v) + "\n";
    return s;
}

}  // namespace

Result<RunConfig> load_config(const std::string& path, const ConfigOverrides& ov,
                              const policy::Registries& registries,
                              const std::optional<std::string>& text) {
    const std::string file = path.empty() ? "<defaults>" : path;
    toml::table root;
    if (text || !path.empty()) {
        std::string content;
        if (text) {
            content = *text;
        } else {
            auto r = read_file(path);
            if (!r) return tl::unexpected(r.error());
            content = std::move(*r);
        }
        try {
            root = toml::parse(content, path);
        } catch (const toml::parse_error& e) {
            return bad_input(file + ":" + std::to_string(e.source().begin.line) + ":" +
                             std::to_string(e.source().begin.column) + ": " +
                             std::string(e.description()));
        }
    }
    std::vector<std::string> errors;
    std::map<std::string, int64_t> key_lines;
    ConfigNode plan_node("plan"), waves_node("waves"), mig_node("migration"), sim_node("sim"),
        cycle_node("cycle");
    std::map<std::pair<std::string, std::string>, model::MigrationCostConfig::SitePair> site_pairs;
    std::map<std::string, ConfigNode> policy_nodes = {
        {"trigger", ConfigNode("policy.trigger")},
        {"selection", ConfigNode("policy.selection")},
        {"placement", ConfigNode("policy.placement")}};
    for (const auto& [k, v] : root) {
        const std::string key(k.str());
        const std::string where = file + ":" + std::to_string(v.source().begin.line) + ":" + key;
        const toml::table* t = v.as_table();
        if (key == "plan" || key == "waves" || key == "migration" || key == "sim" ||
            key == "cycle") {
            if (!t) {
                errors.push_back(where + ": expected a table");
                continue;
            }
            if (key == "migration") {
                // [migration.site_pairs]: "A/B" = { bandwidth_mibps = X, reconfig_s = Y }
                toml::table rest = *t;
                if (const toml::node* sp = t->get("site_pairs")) {
                    rest.erase("site_pairs");
                    site_pairs_from(*sp, file, site_pairs, errors);
                }
                to_node(rest, mig_node, file, errors, key_lines);
                continue;
            }
            to_node(*t,
                    key == "plan"    ? plan_node
                    : key == "waves" ? waves_node
                    : key == "sim"   ? sim_node
                    : key == "cycle" ? cycle_node
                                     : mig_node,
                    file, errors, key_lines);
        } else if (key == "policy") {
            if (!t) {
                errors.push_back(where + ": expected a table");
                continue;
            }
            for (const auto& [pk, pv] : *t) {
                const std::string role(pk.str());
                const std::string pwhere =
                    file + ":" + std::to_string(pv.source().begin.line) + ":policy." + role;
                auto it = policy_nodes.find(role);
                if (it == policy_nodes.end()) {
                    errors.push_back(
                        pwhere + ": unknown policy role (valid: placement, selection, trigger)");
                    continue;
                }
                if (const toml::table* pt = pv.as_table()) {
                    to_node(*pt, it->second, file, errors, key_lines);
                } else if (auto s = pv.as_string()) {
                    it->second.set("name", s->get());
                    key_lines.emplace("policy." + role + ".name", pv.source().begin.line);
                } else {
                    errors.push_back(pwhere +
                                     ": expected a table like { name = \"...\" } or a name");
                }
            }
        } else {
            errors.push_back(where +
                             ": unknown table (valid: plan, policy, waves, migration, sim, cycle)");
        }
    }
    if (ov.goal) plan_node.set("goal", *ov.goal);
    if (ov.max_util) plan_node.set("max_util", *ov.max_util);
    if (ov.seed) plan_node.set("seed", *ov.seed);
    if (ov.budget_migrations) plan_node.set("budget_migrations", *ov.budget_migrations);
    if (ov.budget_mem_frac) plan_node.set("budget_mem_frac", *ov.budget_mem_frac);
    if (ov.window_s) plan_node.set("window_s", *ov.window_s);

    RunConfig rc;
    plan::PlanOptions& o = rc.options;
    auto collect = [&](const auto& r) {
        if (!r) errors.push_back(file + ": " + r.error().msg);
        return static_cast<bool>(r);
    };
    if (auto g = plan_node.get_string("goal", "auto"); collect(g)) {
        auto goal = plan::parse_goal(*g);
        if (goal) {
            o.goal = *goal;
        } else {
            errors.push_back(file + ": plan.goal: " + goal.error().msg);
        }
    }
    if (auto m = plan_node.get_double("max_util", 0.9, 0.01, 1.0); collect(m))
        o.max_util_ppm = model::to_ppm(*m);
    if (auto s = plan_node.get_int("seed", 1, 0, INT64_MAX); collect(s))
        o.seed = static_cast<uint64_t>(*s);
    if (auto b = plan_node.get_int("budget_migrations", -1, -1, INT64_MAX); collect(b))
        o.budget_migrations = *b;
    if (auto b = plan_node.get_double("budget_mem_frac", -1.0, -1.0, 1.0); collect(b))
        o.budget_mem_frac = *b;
    if (auto b = plan_node.get_double("balance_tolerance", 0.05, 0.0, 1.0); collect(b))
        o.balance_tolerance = *b;
    if (auto b = plan_node.get_double("balance_min_gain", 0.01, 0.0, 1.0); collect(b))
        o.balance_min_gain = *b;
    if (auto b = plan_node.get_double("balance_mem_frac", 0.2, -1.0, 1.0); collect(b))
        o.balance_mem_frac = *b;
    if (auto b = plan_node.get_bool("consolidate_alternatives", true); collect(b))
        o.consolidate_alternatives = *b;
    if (auto w = plan_node.get_int("improve", plan::PlanOptions{}.improve, 0, INT64_MAX / 4);
        collect(w))
        o.improve = *w;
    if (auto c = plan_node.get_int("shard_hosts", 1024, 0, 100000000); collect(c))
        o.shard_hosts = static_cast<int32_t>(*c);
    if (auto c = plan_node.get_int("cooldown_s", 3600, 0, INT64_MAX / 4); collect(c))
        o.cooldown_s = *c;
    if (auto c = plan_node.get_string("cross_site", "never"); collect(c)) {
        if (auto cs = plan::parse_cross_site(*c)) {
            o.cross_site = *cs;
        } else {
            errors.push_back(file + ": plan.cross_site: " + cs.error().msg);
        }
    }
    if (auto v = plan_node.get_double("horizon_s", 86400.0, 0.0, 1e9); collect(v)) o.horizon_s = *v;
    if (auto v = plan_node.get_double("move_wh_per_gib", 5.0, 0.0, 1e9); collect(v))
        o.move_wh_per_gib = *v;
    if (auto v = plan_node.get_double("window_s", 0.0, 0.0, 1e9); collect(v)) o.window_s = *v;
    if (auto v = plan_node.get_string("anti_group_scope", "host"); collect(v)) {
        if (*v == "host" || *v == "rack") {
            o.anti_scope = *v == "rack" ? model::AntiScope::kRack : model::AntiScope::kHost;
        } else {
            errors.push_back(file + ": plan.anti_group_scope: unknown value " + in_quotes(*v) +
                             " (valid: host, rack)");
        }
    }
    if (auto v = plan_node.get_string("migration_limits", "enforce"); collect(v)) {
        if (*v == "enforce" || *v == "flag") {
            o.enforce_migration_limits = *v == "enforce";
        } else {
            errors.push_back(file + ": plan.migration_limits: unknown value " + in_quotes(*v) +
                             " (valid: enforce, flag)");
        }
    }
    if (auto w = waves_node.get_int("max_per_host", 2, 0, 1000000); collect(w))
        o.waves.max_per_host = static_cast<int32_t>(*w);
    // max_per_wave: the key's name before it was shared with dispatch (older checkpoints).
    const char* total_key = waves_node.has("max_per_wave") ? "max_per_wave" : "max_total";
    if (waves_node.has("max_per_wave") && waves_node.has("max_total"))
        errors.push_back(file + ": waves.max_per_wave: an old name of waves.max_total; give one");
    if (auto w = waves_node.get_int(total_key, 16, 0, 100000000); collect(w))
        o.waves.max_total = static_cast<int32_t>(*w);
    if (auto m = mig_node.get_string("model", "pre-copy"); collect(m)) {
        auto cm = model::parse_cost_model(*m);
        if (cm) {
            o.cost.model = *cm;
        } else {
            errors.push_back(file + ": " + cm.error().msg);
        }
    }
    if (auto v = mig_node.get_double("bandwidth_mibps", 1000.0, 1e-3, 1e9); collect(v))
        o.cost.bandwidth_mibps = *v;
    if (auto v = mig_node.get_double("max_downtime_ms", 300.0, 0.0, 1e9); collect(v))
        o.cost.max_downtime_ms = *v;
    if (auto v = mig_node.get_int("max_rounds", 30, 1, 1000); collect(v))
        o.cost.max_rounds = static_cast<int>(*v);
    if (auto v = mig_node.get_double("min_shrink", 0.9, 0.0, 1.0); collect(v))
        o.cost.min_shrink = *v;
    if (auto m = mig_node.get_string("fallback", "post-copy"); collect(m)) {
        auto f = model::parse_fallback(*m);
        if (f) {
            o.cost.fallback = *f;
        } else {
            errors.push_back(file + ": " + f.error().msg);
        }
    }
    if (auto v = mig_node.get_double("postcopy_fault_overhead", 0.15, 0.0, 100.0); collect(v))
        o.cost.postcopy_fault_overhead = *v;
    if (auto v = mig_node.get_double("cpu_state_ms", 20.0, 0.0, 1e9); collect(v))
        o.cost.cpu_state_ms = *v;
    if (auto v = mig_node.get_double("host_bandwidth_mibps", 2000.0, 1e-3, 1e9); collect(v))
        o.cost.host_bandwidth_mibps = *v;
    if (auto v = mig_node.get_double("gang_shared_fraction", 0.2, 0.0, 1.0); collect(v))
        o.cost.gang_shared_fraction = *v;
    if (auto v = mig_node.get_double("wan_bandwidth_mibps", 100.0, 1e-3, 1e9); collect(v))
        o.cost.wan_bandwidth_mibps = *v;
    if (auto v = mig_node.get_double("wan_reconfig_s", 5.0, 0.0, 1e6); collect(v))
        o.cost.wan_reconfig_s = *v;
    if (auto v = mig_node.get_double("timeout_s", 600.0, 0.0, 86400.0 * 7); collect(v))
        o.cost.timeout_s = *v;
    o.cost.site_pairs = site_pairs;
    SimConfig& sim = rc.sim;
    if (auto v = sim_node.get_string("chain", "planner"); collect(v)) {
        // As simulate makes it: the planner, best, or a CloudSim DETECTOR-SELECTION chain.
        auto cloudsim = sim::cloudsim_chain_params(*v, 0);
        if (*v == "planner" || *v == "best" || cloudsim) {
            sim.chain = *v;
        } else {
            errors.push_back(file + ": sim.chain: " + cloudsim.error().msg + "; or planner");
        }
    }
    if (auto v = sim_node.get_int("interval_s", 0, 0, 86400 * 366); collect(v)) sim.interval_s = *v;
    if (auto v = sim_node.get_double("boot_s", 60.0, 0.0, 86400.0); collect(v)) sim.boot_s = *v;
    if (auto v = sim_node.get_double("boot_energy_wh", 2.0, 0.0, 1e6); collect(v))
        sim.boot_energy_wh = *v;
    if (auto v = sim_node.get_double("degradation", 0.1, 0.0, 1.0); collect(v))
        sim.degradation = *v;
    if (auto v = sim_node.get_double("migration_bw_share", 0.5, 1e-6, 1.0); collect(v))
        sim.migration_bw_share = *v;
    if (auto v = sim_node.get_double("idle_power_w", 100.0, 0.0, 1e6); collect(v))
        sim.idle_power_w = *v;
    if (auto v = sim_node.get_double("max_power_w", 250.0, 0.0, 1e6); collect(v))
        sim.max_power_w = *v;
    if (auto v = sim_node.get_string("planner_horizon", "whole"); collect(v)) {
        if (auto h = sim::parse_planner_horizon(*v)) {
            sim.planner_horizon = *h;
        } else {
            errors.push_back(file + ": sim.planner_horizon: unknown value " + in_quotes(*v) +
                             " (valid: " + sim::kPlannerHorizonNames + ")");
        }
    }
    if (auto v = sim_node.get_double("best_mem_pack", 0.85, 0.01, 1.0); collect(v))
        sim.best.mem_pack = *v;
    if (auto v = sim_node.get_double("best_mem_hot", 0.95, 0.01, 1.0); collect(v))
        sim.best.mem_hot = *v;
    if (auto v = sim_node.get_double("best_mem_cold", 0.7, 0.0, 1.0); collect(v))
        sim.best.mem_cold = *v;
    if (auto v = sim_node.get_int("planner_mem_window", 1, 1, 100000); collect(v))
        sim.planner_mem_window = static_cast<int32_t>(*v);
    if (auto v = sim_node.get_int("best_mem_window", 12, 1, 100000); collect(v))
        sim.best.mem_window = static_cast<int32_t>(*v);
    if (auto v = sim_node.get_string("best_mem_rule", "peak"); collect(v)) {
        if (auto r = sim::parse_best_mem_rule(*v)) {
            sim.best.mem_rule = *r;
        } else {
            errors.push_back(file + ": sim.best_mem_rule: unknown value " + in_quotes(*v) +
                             " (valid: " + sim::kBestMemRuleNames + ")");
        }
    }
    if (auto v = sim_node.get_int("best_mem_jumps", 1, 1, 100000); collect(v))
        sim.best.mem_jumps = static_cast<int32_t>(*v);
    if (sim.best.mem_hot < sim.best.mem_pack)
        errors.push_back(file + ": sim.best_mem_hot: must be at least sim.best_mem_pack");
    CycleConfig& cy = rc.cycle;
    for (auto [key, field] : {std::pair{"hosts", &cy.hosts},
                              {"connect_uri_template", &cy.connect_uri_template},
                              {"collect_uri_template", &cy.collect_uri_template},
                              {"dest_uri_template", &cy.dest_uri_template},
                              {"migrate_uri_template", &cy.migrate_uri_template}})
        if (auto v = cycle_node.get_string(key, ""); collect(v)) *field = *v;
    if (auto v = cycle_node.get_double("sample_seconds", 1.0, 0.0, 3600.0); collect(v))
        cy.sample_seconds = *v;
    if (auto v = cycle_node.get_double("max_missing_frac", 0.1, 0.0, 1.0); collect(v))
        cy.max_missing_frac = *v;
    if (auto v = cycle_node.get_int("max_moves", 20, -1, 100000000); collect(v))
        cy.gate.max_moves = *v;
    if (auto v = cycle_node.get_double("max_gib", 64.0, -1.0, 1e9); collect(v))
        cy.gate.max_gib = *v;
    if (auto v = cycle_node.get_string("approval", "file"); collect(v)) {
        if (auto a = dispatch::parse_approval(*v)) {
            cy.gate.approval = *a;
        } else {
            errors.push_back(file + ": cycle.approval: " + a.error().msg);
        }
    }
    if (auto v = cycle_node.get_int("keep", 0, 0, 1000000); collect(v)) cy.keep = *v;
    if (sim.max_power_w < sim.idle_power_w)
        errors.push_back(file + ": sim.max_power_w: must be at least sim.idle_power_w");

    // Policies by name.
    const plan::GoalPreset preset = plan::goal_preset(o.goal);
    const std::map<std::string, std::string> default_names = {
        {"trigger", std::string(preset.trigger)},
        {"selection", std::string(preset.selection)},
        {"placement", std::string(preset.placement)}};
    std::map<std::string, std::string> names;
    // Roles whose policy refused a parameter: it stopped reading there, so its later documented
    // parameters are unread but not unknown.
    std::map<std::string, std::optional<policy::PolicyInfo>> failed;
    for (auto& [role, node] : policy_nodes) {
        auto n = node.get_string("name", default_names.at(role));
        if (!collect(n)) continue;
        names[role] = *n;
        if (role == "trigger") {
            auto p = registries.triggers.create(*n, node, registries);
            if (p) {
                rc.policies.trigger = std::move(*p);
            } else {
                errors.push_back(file + ": " + p.error().msg);
                failed[role] = registries.triggers.info(*n);
            }
        } else if (role == "selection") {
            auto p = registries.selections.create(*n, node, registries);
            if (p) {
                rc.policies.selection = std::move(*p);
            } else {
                errors.push_back(file + ": " + p.error().msg);
                failed[role] = registries.selections.info(*n);
            }
        } else {
            auto p = registries.placements.create(*n, node, registries);
            if (p) {
                rc.policies.placement = std::move(*p);
            } else {
                errors.push_back(file + ": " + p.error().msg);
                failed[role] = registries.placements.info(*n);
                if (failed[role])  // placements also take the size function's parameters
                    for (const auto& d : policy::size_params()) failed[role]->params.push_back(d);
            }
        }
    }
    for (const ConfigNode* n : {&plan_node, &waves_node, &mig_node, &sim_node, &cycle_node})
        for (const auto& k : n->unread_keys()) errors.push_back(file + ": " + k + ": unknown key");
    for (const auto& [role, node] : policy_nodes)
        for (const auto& k : node.unread_keys()) {
            if (auto f = failed.find(role);
                f != failed.end() && documented(f->second, k.substr(k.rfind('.') + 1)))
                continue;
            errors.push_back(file + ": " + k + ": unknown parameter for policy '" +
                             (names.count(role) ? names[role] : "?") + "'");
        }
    for (auto& e : errors) e = with_line(e, file, key_lines);
    if (!errors.empty()) return bad_input(join(errors));

    // The expanded config: every value in force, in a fixed order.
    std::string& x = rc.expanded_toml;
    x += "[plan]\n" + table_lines(plan_node);
    x += "\n[policy]\n";
    for (const char* role : {"trigger", "selection", "placement"}) {
        ConfigNode& node = policy_nodes.at(role);
        // effective() includes "name"; it goes first.
        std::string s = "{ name = " + toml_string(names[role]);
        for (const auto& [k, v] : node.effective())
            if (k != "name") s += ", " + k + " = " + toml_value(v);
        x += std::string(role) + " = " + s + " }\n";
    }
    x += "\n[waves]\n" + table_lines(waves_node);
    x += "\n[migration]\n" + table_lines(mig_node);
    if (!site_pairs.empty()) {
        x += "\n[migration.site_pairs]\n";
        for (const auto& [pair, sp] : site_pairs)
            x += toml_string(pair.first + "/" + pair.second) +
                 " = { bandwidth_mibps = " + toml_value(sp.bandwidth_mibps) +
                 ", reconfig_s = " + toml_value(sp.reconfig_s) + " }\n";
    }
    rc.sim_toml = "[sim]\n" + table_lines(sim_node);
    return rc;
}

nlohmann::ordered_json config_json(const RunConfig& config) {
    // Both texts come from load_config and always parse.
    const toml::table t = toml::parse(config.expanded_toml + "\n" + config.sim_toml);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const char* table : {"plan", "policy", "waves", "migration", "sim"})
        if (const toml::node* n = t.get(table)) j[table] = json_of(*n);
    return j;
}

}  // namespace fp::io
