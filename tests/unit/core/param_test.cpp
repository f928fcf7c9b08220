// The parameter declarations: one generic reader checks type, range and choices with the
// messages the config reader reports, skips delegated keys, and documents defaults.
#include "src/policy/param.hpp"

#include <gtest/gtest.h>

#include <set>

#include "src/config/settings.hpp"
#include "src/policy/registry.hpp"

namespace fp::policy {
namespace {

TEST(ReadParams, DefaultsWhenTheNodeIsEmptyAndValuesWhenGiven) {
    const std::vector<ParamSpec> specs = {
        real_param("alpha", 0.5, 0.0, 1.0, "a"), int_param("p", 2, 1, 16, "b"),
        bool_param("on", true, "c"), enum_param("model", "holt", {"ar", "holt"}, "d", "model")};
    ConfigNode empty("policy.trigger");
    auto d = read_params(empty, specs);
    ASSERT_TRUE(d.has_value()) << d.error().msg;
    EXPECT_EQ(d->real("alpha"), 0.5);
    EXPECT_EQ(d->integer("p"), 2);
    EXPECT_TRUE(d->flag("on"));
    EXPECT_EQ(d->text("model"), "holt");
    EXPECT_EQ(empty.effective().size(), 4u);  // defaults are in force, so they are expanded

    ConfigNode given("policy.trigger");
    given.set("alpha", int64_t{1});  // an integer where a number is declared is accepted
    given.set("model", std::string("ar"));
    auto g = read_params(given, specs);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    EXPECT_EQ(g->real("alpha"), 1.0);
    EXPECT_EQ(g->text("model"), "ar");
}

TEST(ReadParams, ErrorsNameThePathAndStopAtTheFirst) {
    const std::vector<ParamSpec> specs = {
        enum_param("weights", "tricube", {"tricube", "uniform"}, "w", "weights"),
        int_param("window", 10, 3, 100000, "n")};
    ConfigNode n("policy.trigger");
    n.set("weights", std::string("gauss"));
    n.set("window", int64_t{1});
    auto r = read_params(n, specs);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().msg,
              "policy.trigger.weights: unknown weights 'gauss' (valid: tricube, uniform)");
    ConfigNode m("plan");
    m.set("p", 2.5);
    auto bad_type = read_param(m, int_param("p", 2, 1, 16, "b"));
    ASSERT_FALSE(bad_type.has_value());
    EXPECT_EQ(bad_type.error().msg, "plan.p: expected an integer");
}

TEST(ReadParams, SkipsDelegatedParameters) {
    ConfigNode n("policy.placement");
    n.set("cpu_weight", -5.0);  // out of range, but read by the size function, not here
    auto r = read_params(n, size_params());
    EXPECT_TRUE(r.has_value());
    EXPECT_EQ(n.unread_keys(), std::vector<std::string>{"policy.placement.cpu_weight"});
}

TEST(ParamSpec, DocumentsDefaultsTypesAndRanges) {
    EXPECT_EQ(default_text(real_param("x", 0.9, 0.01, 1.0, "")), "0.9");
    EXPECT_EQ(default_text(string_param("x", "volume", "")), "\"volume\"");
    EXPECT_EQ(default_text(real_param("x", -1.0, -1.0, 1.0, "").shown_as("plan.max_util")),
              "plan.max_util");
    EXPECT_EQ(range_text(real_param("x", 0.9, 0.01, 1.0, "")), "[0.01, 1]");
    EXPECT_EQ(range_text(int_param("x", 0, 0, INT64_MAX, "")), ">= 0");
    EXPECT_EQ(range_text(enum_param("x", "a", {"a", "b"}, "")), "a, b");
    EXPECT_STREQ(json_type(ParamType::kEnum), "string");
}

// Every policy and setting is declared with a doc, a key of its own within its table, and a
// default its own reader accepts.
TEST(Declarations, EveryParameterIsDocumentedUniqueAndItsDefaultIsValid) {
    Registries r;
    register_builtin_policies(r);
    for (const PolicyInfo& p : r.list_all()) {
        std::set<std::string> keys;
        for (const ParamSpec& s : p.params) {
            EXPECT_FALSE(s.doc.empty()) << p.name << "." << s.key;
            EXPECT_TRUE(keys.insert(s.key).second) << p.name << "." << s.key;
            EXPECT_TRUE(read_param(ConfigNode("x"), s).has_value()) << p.name << "." << s.key;
        }
    }
    std::set<std::pair<std::string, std::string>> keys;
    for (const config::SettingParam& s : config::setting_params()) {
        EXPECT_FALSE(s.spec.doc.empty()) << s.table << "." << s.spec.key;
        EXPECT_TRUE(keys.insert({s.table, s.spec.key}).second) << s.table << "." << s.spec.key;
        auto v = read_param(ConfigNode(s.table), s.spec);
        ASSERT_TRUE(v.has_value()) << s.table << "." << s.spec.key;
        config::Settings settings;
        EXPECT_FALSE(s.apply(settings, *v).has_value()) << s.table << "." << s.spec.key;
    }
}

// Applying every default gives the structs' own defaults: the declarations and the structs
// cannot disagree about a default.
TEST(Declarations, DefaultsMatchTheStructsDefaults) {
    config::Settings applied;
    applied.options.seed = 99;  // overwritten by plan.seed's default
    applied.sim.boot_s = -1;
    applied.cycle.keep = 7;
    applied.roadef.lahc_length = 1;
    applied.roadef.searches = 9;
    applied.roadef.transient_price_fade_work = 3;
    applied.roadef.transient_lahc_max_length = 3;
    applied.roadef.lahc_max_length = 3;
    applied.roadef.reheat_rounds = 0;
    applied.roadef.reheat_permille = 3;
    applied.roadef.epoch_rounds = 7;
    applied.roadef.epoch_gain_permille = 7;
    for (const config::SettingParam& s : config::setting_params())
        ASSERT_FALSE(s.apply(applied, s.spec.default_value).has_value()) << s.spec.key;
    const config::Settings fresh;
    EXPECT_EQ(applied.options.seed, fresh.options.seed);
    EXPECT_EQ(applied.options.max_util_ppm, fresh.options.max_util_ppm);
    EXPECT_EQ(applied.options.shard_hosts, fresh.options.shard_hosts);
    EXPECT_EQ(applied.options.cooldown_s, fresh.options.cooldown_s);
    EXPECT_EQ(applied.options.balance_mem_frac, fresh.options.balance_mem_frac);
    EXPECT_EQ(applied.options.waves.max_total, fresh.options.waves.max_total);
    EXPECT_EQ(applied.options.cost.bandwidth_mibps, fresh.options.cost.bandwidth_mibps);
    EXPECT_EQ(applied.options.cost.timeout_s, fresh.options.cost.timeout_s);
    EXPECT_EQ(applied.sim.boot_s, fresh.sim.boot_s);
    EXPECT_EQ(applied.sim.best.mem_window, fresh.sim.best.mem_window);
    EXPECT_EQ(applied.sim.best.mem_cold, fresh.sim.best.mem_cold);
    EXPECT_EQ(applied.cycle.keep, fresh.cycle.keep);
    EXPECT_EQ(applied.cycle.gate.max_gib, fresh.cycle.gate.max_gib);
    const opt::SearchOptions& a = applied.roadef;
    const opt::SearchOptions& f = fresh.roadef;
    EXPECT_EQ(a.searches, f.searches);
    EXPECT_EQ(a.round_work, f.round_work);
    EXPECT_EQ(a.lahc_length, f.lahc_length);
    EXPECT_EQ(a.repack_percent, f.repack_percent);
    EXPECT_EQ(a.repack_nodes, f.repack_nodes);
    EXPECT_EQ(a.targeted_percent, f.targeted_percent);
    EXPECT_EQ(a.aimed_percent, f.aimed_percent);
    EXPECT_EQ(a.aimed_candidates, f.aimed_candidates);
    EXPECT_EQ(a.restart_rounds, f.restart_rounds);
    EXPECT_EQ(a.lahc_work_per_entry, f.lahc_work_per_entry);
    EXPECT_EQ(a.lahc_work_per_second, f.lahc_work_per_second);
    EXPECT_EQ(a.chain_percent, f.chain_percent);
    EXPECT_EQ(a.home_percent, f.home_percent);
    EXPECT_EQ(a.home_move_share, f.home_move_share);
    EXPECT_EQ(a.room_repack_percent, f.room_repack_percent);
    EXPECT_EQ(a.room_candidates, f.room_candidates);
    EXPECT_EQ(a.pair_repack_permille, f.pair_repack_permille);
    EXPECT_EQ(a.pair_repack_nodes, f.pair_repack_nodes);
    EXPECT_EQ(a.pair_candidates, f.pair_candidates);
    EXPECT_EQ(a.transient_price, f.transient_price);
    EXPECT_EQ(a.transient_price_fade, f.transient_price_fade);
    EXPECT_EQ(a.transient_price_fade_work, f.transient_price_fade_work);
    EXPECT_EQ(a.transient_lahc_max_length, f.transient_lahc_max_length);
    EXPECT_EQ(a.lahc_max_length, f.lahc_max_length);
    EXPECT_EQ(a.reheat_rounds, f.reheat_rounds);
    EXPECT_EQ(a.reheat_permille, f.reheat_permille);
    EXPECT_EQ(a.epoch_rounds, f.epoch_rounds);
    EXPECT_EQ(a.epoch_gain_permille, f.epoch_gain_permille);
}

}  // namespace
}  // namespace fp::policy
