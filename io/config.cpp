#include "io/config.hpp"

#include <toml++/toml.h>

#include <cstdio>
#include <map>
#include <sstream>

#include "io/csv.hpp"
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

// Whether `key` (the last part of an unread key's path) is a declared parameter of `info`.
bool documented(const std::optional<policy::PolicyInfo>& info, const std::string& key) {
    if (!info) return false;
    for (const auto& p : info->params)
        if (p.key == key) return true;
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
    std::map<std::string, ConfigNode> nodes;  // the settings' tables (config::setting_tables())
    std::string valid_tables;
    for (const std::string& t : config::setting_tables()) {
        nodes.emplace(t, ConfigNode(t));
        valid_tables += (valid_tables.empty() ? "" : ", ") + t;
        if (t == "plan") valid_tables += ", policy";
    }
    ConfigNode& plan_node = nodes.at("plan");
    std::map<std::pair<std::string, std::string>, model::MigrationCostConfig::SitePair> site_pairs;
    std::map<std::string, ConfigNode> policy_nodes = {
        {"trigger", ConfigNode("policy.trigger")},
        {"selection", ConfigNode("policy.selection")},
        {"placement", ConfigNode("policy.placement")}};
    for (const auto& [k, v] : root) {
        const std::string key(k.str());
        const std::string where = file + ":" + std::to_string(v.source().begin.line) + ":" + key;
        const toml::table* t = v.as_table();
        if (auto node = nodes.find(key); node != nodes.end()) {
            if (!t) {
                errors.push_back(where + ": expected a table");
                continue;
            }
            if (key == "migration") {
                // [migration.site_pairs]: "A/B" = { bandwidth_mibps = X, reconfig_s = Y }
                toml::table rest = *t;
                if (const toml::node* sp = t->get("site_pairs")) {
                    key_lines.emplace("migration.site_pairs", sp->source().begin.line);
                    rest.erase("site_pairs");
                    site_pairs_from(*sp, file, site_pairs, errors);
                }
                to_node(rest, node->second, file, errors, key_lines);
                continue;
            }
            to_node(*t, node->second, file, errors, key_lines);
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
            errors.push_back(where + ": unknown table (valid: " + valid_tables + ")");
        }
    }
    if (ov.goal) plan_node.set("goal", *ov.goal);
    if (ov.max_util) plan_node.set("max_util", *ov.max_util);
    if (ov.seed) plan_node.set("seed", *ov.seed);
    if (ov.budget_migrations) plan_node.set("budget_migrations", *ov.budget_migrations);
    if (ov.budget_mem_frac) plan_node.set("budget_mem_frac", *ov.budget_mem_frac);
    if (ov.window_s) plan_node.set("window_s", *ov.window_s);

    RunConfig rc;
    // A preset's settings of the best chain: the [sim] best_* keys the file leaves out keep them.
    if (ov.best_base) rc.sim.best = *ov.best_base;
    // Every declared setting, read and applied through its declaration.
    for (const config::SettingParam& sp : config::setting_params()) {
        const ConfigNode& node = nodes.at(sp.table);
        if (ov.best_base && sp.table == "sim" && sp.spec.key.rfind("best_", 0) == 0 &&
            !node.has(sp.spec.key))
            continue;
        policy::ParamSpec spec = sp.spec;
        if (!sp.old_key.empty() && node.has(sp.old_key)) {
            if (node.has(spec.key))
                errors.push_back(file + ": " + sp.table + "." + sp.old_key + ": an old name of " +
                                 sp.table + "." + spec.key + "; give one");
            spec.key = sp.old_key;
        }
        auto v = policy::read_param(node, spec);
        if (!v) {
            errors.push_back(file + ": " + v.error().msg);
        } else if (auto bad = sp.apply(rc, *v)) {
            errors.push_back(file + ": " + sp.table + "." + spec.key + ": " + *bad);
        }
    }
    for (const std::string& e : config::cross_check(rc)) errors.push_back(file + ": " + e);
    rc.options.cost.site_pairs = site_pairs;
    auto collect = [&](const auto& r) {
        if (!r) errors.push_back(file + ": " + r.error().msg);
        return static_cast<bool>(r);
    };

    // Policies by name.
    const plan::GoalPreset preset = plan::goal_preset(rc.options.goal);
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
    for (const std::string& table : config::setting_tables())
        for (const auto& k : nodes.at(table).unread_keys())
            errors.push_back(file + ": " + k + ": unknown key");
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
    x += "[plan]\n" + table_lines(nodes.at("plan"));
    x += "\n[policy]\n";
    for (const char* role : {"trigger", "selection", "placement"}) {
        ConfigNode& node = policy_nodes.at(role);
        // effective() includes "name"; it goes first.
        std::string s = "{ name = " + toml_string(names[role]);
        for (const auto& [k, v] : node.effective())
            if (k != "name") s += ", " + k + " = " + toml_value(v);
        x += std::string(role) + " = " + s + " }\n";
    }
    x += "\n[waves]\n" + table_lines(nodes.at("waves"));
    x += "\n[migration]\n" + table_lines(nodes.at("migration"));
    if (!site_pairs.empty()) {
        x += "\n[migration.site_pairs]\n";
        for (const auto& [pair, sp] : site_pairs)
            x += toml_string(pair.first + "/" + pair.second) +
                 " = { bandwidth_mibps = " + toml_value(sp.bandwidth_mibps) +
                 ", reconfig_s = " + toml_value(sp.reconfig_s) + " }\n";
    }
    x += "\n[cycle]\n" + table_lines(nodes.at("cycle"));
    rc.sim_toml = "[sim]\n" + table_lines(nodes.at("sim"));
    rc.roadef_toml = "[roadef]\n" + table_lines(nodes.at("roadef"));
    rc.keys_given = std::move(key_lines);
    return rc;
}

nlohmann::ordered_json config_json(const RunConfig& config) {
    // Both texts come from load_config and always parse.
    const toml::table t =
        toml::parse(config.expanded_toml + "\n" + config.sim_toml + "\n" + config.roadef_toml);
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    for (const char* table : {"plan", "policy", "waves", "migration", "cycle", "sim", "roadef"})
        if (const toml::node* n = t.get(table)) j[table] = json_of(*n);
    return j;
}

}  // namespace fp::io
