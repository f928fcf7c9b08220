#include "io/config.hpp"

#include <gtest/gtest.h>

#include <filesystem>

namespace fp::io {
namespace {

policy::Registries registries() {
    policy::Registries r;
    policy::register_builtin_policies(r);
    return r;
}

TEST(LoadConfig, DefaultsAreExpandedInFull) {
    auto rc = load_config("", {}, registries());
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_EQ(rc->options.max_util_ppm, 900000);
    EXPECT_EQ(rc->policies.placement->name(), "bfd");
    for (const char* key : {"max_util = 0.9", "trigger = { name = \"threshold\"",
                            "size = \"volume\"", "bandwidth_mibps = 1000", "max_per_host = 2"})
        EXPECT_NE(rc->expanded_toml.find(key), std::string::npos) << key << "\n"
                                                                  << rc->expanded_toml;
}

TEST(LoadConfig, ExpandedConfigLoadsBackToTheSameExpansion) {
    auto rc =
        load_config("c.toml", {}, registries(),
                    std::string("[policy]\nplacement = { name = \"ffd\", size = \"weighted-sum\", "
                                "mem_weight = 2.0 }\n[plan]\ngoal = \"consolidate\"\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    auto again = load_config("x.toml", {}, registries(), rc->expanded_toml);
    ASSERT_TRUE(again.has_value()) << again.error().msg;
    EXPECT_EQ(again->expanded_toml, rc->expanded_toml);
    EXPECT_EQ(again->options.goal, plan::Goal::kConsolidate);
}

TEST(LoadConfig, ExpandedConfigEscapesWhatTomlStringsCannotHoldRaw) {
    // A site-pair key holding a newline (written as \n), a tab, a quote and a backslash.
    const std::string text =
        "[migration.site_pairs]\n"
        "\"s\\n1\\t\\\"x\\\\/s2\" = { bandwidth_mibps = 40.0, reconfig_s = 8.0 }\n";
    auto rc = load_config("c.toml", {}, registries(), text);
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    const std::pair<std::string, std::string> pair{"s\n1\t\"x\\", "s2"};
    ASSERT_EQ(rc->options.cost.site_pairs.count(pair), 1u);
    auto again = load_config("x.toml", {}, registries(), rc->expanded_toml);
    ASSERT_TRUE(again.has_value()) << again.error().msg << "\n" << rc->expanded_toml;
    EXPECT_EQ(again->expanded_toml, rc->expanded_toml);
    ASSERT_EQ(again->options.cost.site_pairs.count(pair), 1u);
    EXPECT_EQ(again->options.cost.site_pairs.at(pair).bandwidth_mibps, 40.0);
}

TEST(LoadConfig, ASitePairKeyHasExactlyOneSlash) {
    for (const char* key : {"s1/s2/s3", "s1//s2", "/s1", "s1/", "s1"}) {
        auto rc = load_config(
            "c.toml", {}, registries(),
            std::string("[migration.site_pairs]\n\"") + key + "\" = { bandwidth_mibps = 40.0 }\n");
        ASSERT_FALSE(rc.has_value()) << key;
        EXPECT_NE(rc.error().msg.find(std::string("c.toml:2:migration.site_pairs.") + key +
                                      ": expected \"SITE_A/SITE_B\" (two sites, one '/')"),
                  std::string::npos)
            << rc.error().msg;
    }
}

TEST(LoadConfig, OverridesWin) {
    ConfigOverrides o;
    o.max_util = 0.75;
    o.goal = "balance";
    auto rc = load_config("c.toml", o, registries(), std::string("[plan]\nmax_util = 0.5\n"));
    ASSERT_TRUE(rc.has_value());
    EXPECT_EQ(rc->options.max_util_ppm, 750000);
    EXPECT_EQ(rc->options.goal, plan::Goal::kBalance);
}

TEST(LoadConfig, ReportsEveryProblemAtOnce) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[plan]\nmax_utl = 0.5\nmax_util = 3\n"
                                      "[policy]\nplacement = { name = \"worst-fit\" }\n"
                                      "selection = { name = \"min-migration-time\", speed = 1 }\n"
                                      "[other]\nx = 1\n"));
    ASSERT_FALSE(rc.has_value());
    const std::string& m = rc.error().msg;
    EXPECT_EQ(rc.error().code, ErrorCode::kBadInput);
    EXPECT_NE(m.find("plan.max_utl: unknown key"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.max_util: 3 is out of range"), std::string::npos) << m;
    EXPECT_NE(m.find("unknown placement policy 'worst-fit' (valid: "), std::string::npos) << m;
    EXPECT_NE(m.find("bfd, "), std::string::npos) << m;
    EXPECT_NE(m.find("policy.selection.speed: unknown parameter"), std::string::npos) << m;
    EXPECT_NE(m.find("c.toml:7:other: unknown table"), std::string::npos) << m;
}

// Value errors name the line of their key, like syntax errors; after one out-of-range policy
// parameter, the valid parameters of that policy that follow are not reported as unknown.
TEST(LoadConfig, ValueErrorsNameTheLineAndStopAtTheFault) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[plan]\nmax_utl = 0.5\nmax_util = 3\n[policy]\n"
                                      "trigger = { name = \"threshold\", cpu_low = 2.0, "
                                      "mem_low = 0.1, net_lowe = 1 }\n"));
    ASSERT_FALSE(rc.has_value());
    EXPECT_EQ(rc.error().msg,
              "c.toml:3:plan.max_util: 3 is out of range [0.01, 1]\n"
              "c.toml:5:policy.trigger.cpu_low: 2 is out of range [0, 1]\n"
              "c.toml:2:plan.max_utl: unknown key\n"
              "c.toml:5:policy.trigger.net_lowe: unknown parameter for policy 'threshold'");
}

TEST(LoadConfig, ImproveIsAWorkLimitThatMayNotBeNegative) {
    auto rc = load_config("c.toml", {}, registries(), std::string("[plan]\nimprove = 5000\n"));
    ASSERT_TRUE(rc.has_value());
    EXPECT_EQ(rc->options.improve, 5000);
    auto bad = load_config("c.toml", {}, registries(), std::string("[plan]\nimprove = -1\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
    EXPECT_NE(bad.error().msg.find("c.toml:2:plan.improve: -1 is out of range"), std::string::npos)
        << bad.error().msg;
}

TEST(LoadConfig, PlacementGuardIsReadAndChecked) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[plan]\nplacement_guard = \"trigger\"\n[policy]\n"
                                      "trigger = { name = \"lr\", guard = 0.8 }\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_TRUE(rc->options.placement_guard);
    auto bad = load_config("c.toml", {}, registries(),
                           std::string("[plan]\nplacement_guard = \"maybe\"\n[policy]\n"
                                       "trigger = { name = \"lr\", guard = 0 }\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
    EXPECT_NE(bad.error().msg.find("c.toml:2:plan.placement_guard"), std::string::npos)
        << bad.error().msg;
    EXPECT_NE(bad.error().msg.find("c.toml:4:policy.trigger.guard: 0 is out of range [0.01, 1]"),
              std::string::npos)
        << bad.error().msg;
}

TEST(LoadConfig, MaxArrivalsIsReadAndChecked) {
    auto rc = load_config("c.toml", {}, registries(), std::string("[plan]\nmax_arrivals = 32\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_EQ(rc->options.max_arrivals, 32);
    auto bad =
        load_config("c.toml", {}, registries(), std::string("\n[plan]\nmax_arrivals = -2\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
    EXPECT_NE(bad.error().msg.find("c.toml:3:plan.max_arrivals: -2 is out of range"),
              std::string::npos)
        << bad.error().msg;
}

// The simulator's memory settings (issue 19): read into the chains' parameters, in the [sim]
// table in force, and checked (best_mem_hot below best_mem_pack is an error naming both).
TEST(LoadConfig, SimMemorySettingsAreReadAndChecked) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[sim]\nplanner_mem_window = 3\nbest_mem_window = 6\n"
                                      "best_mem_pack = 0.8\nbest_mem_hot = 0.9\n"
                                      "best_mem_cold = 0.6\nbest_mem_rule = \"host-jump\"\n"
                                      "best_mem_jumps = 2\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_EQ(rc->sim.best.mem_rule, sim::BestMemRule::kHostJump);
    EXPECT_EQ(rc->sim.best.mem_jumps, 2);
    EXPECT_EQ(rc->sim.planner_mem_window, 3);
    EXPECT_EQ(rc->sim.best.mem_window, 6);
    EXPECT_DOUBLE_EQ(rc->sim.best.mem_pack, 0.8);
    EXPECT_DOUBLE_EQ(rc->sim.best.mem_hot, 0.9);
    EXPECT_DOUBLE_EQ(rc->sim.best.mem_cold, 0.6);
    EXPECT_NE(rc->sim_toml.find("planner_mem_window = 3"), std::string::npos) << rc->sim_toml;
    auto bad = load_config("c.toml", {}, registries(),
                           std::string("[sim]\nbest_mem_pack = 0.9\nbest_mem_hot = 0.8\n"
                                       "planner_mem_window = 0\nbest_mem_rule = \"jump\"\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(
        bad.error().msg.find("sim.best_mem_rule: unknown value 'jump' (valid: peak, host-jump)"),
        std::string::npos)
        << bad.error().msg;
    EXPECT_NE(bad.error().msg.find("sim.best_mem_hot: must be at least sim.best_mem_pack"),
              std::string::npos)
        << bad.error().msg;
    EXPECT_NE(bad.error().msg.find("sim.planner_mem_window: 0 is out of range"), std::string::npos)
        << bad.error().msg;
}

// The best chain's CPU settings are [sim] best_* keys too (defaults: BestChainParams), so that
// preset runs (which do not reserve memory) can set them; each key the file sets is listed with
// its line (keys_given).
TEST(LoadConfig, BestChainCpuSettingsAreReadAndChecked) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[sim]\nbest_window = 6\nbest_quantile = 0.5\n"
                                      "best_pack = 0.7\nbest_cooldown = 0\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_EQ(rc->sim.best.window, 6);
    EXPECT_DOUBLE_EQ(rc->sim.best.quantile, 0.5);
    EXPECT_DOUBLE_EQ(rc->sim.best.pack, 0.7);
    EXPECT_EQ(rc->sim.best.cooldown, 0);
    EXPECT_DOUBLE_EQ(rc->sim.best.hot_now, sim::BestChainParams{}.hot_now);
    EXPECT_NE(rc->sim_toml.find("best_drain_pack = 0.8"), std::string::npos) << rc->sim_toml;
    EXPECT_EQ(rc->keys_given, (std::map<std::string, int64_t>{{"sim.best_cooldown", 5},
                                                              {"sim.best_pack", 4},
                                                              {"sim.best_quantile", 3},
                                                              {"sim.best_window", 2}}));
    auto bad = load_config("c.toml", {}, registries(),
                           std::string("[sim]\nbest_window = 0\nbest_pack = 1.5\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().msg.find("c.toml:2:sim.best_window: 0 is out of range"),
              std::string::npos)
        << bad.error().msg;
    EXPECT_NE(bad.error().msg.find("c.toml:3:sim.best_pack:"), std::string::npos)
        << bad.error().msg;
}

// A preset's settings of best (ConfigOverrides::best_base): the [sim] best_* keys a file gives
// override them, the others keep the preset's values rather than BestChainParams{}'s.
TEST(LoadConfig, BestBaseKeepsThePresetsSettingsForKeysLeftOut) {
    ConfigOverrides ov;
    sim::BestChainParams base;
    base.pack = 0.95;
    base.cooldown = 24;
    base.quantile = 0.75;
    ov.best_base = base;
    auto rc = load_config("c.toml", ov, registries(), std::string("[sim]\nbest_pack = 0.6\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_DOUBLE_EQ(rc->sim.best.pack, 0.6);
    EXPECT_EQ(rc->sim.best.cooldown, 24);
    EXPECT_DOUBLE_EQ(rc->sim.best.quantile, 0.75);
    auto plain = load_config("c.toml", {}, registries(), std::string("[sim]\nbest_pack = 0.6\n"));
    ASSERT_TRUE(plain.has_value()) << plain.error().msg;
    EXPECT_EQ(plain->sim.best.cooldown, sim::BestChainParams{}.cooldown);
}

// cycle's dispatch_timeout_s becomes dispatch's --timeout, which takes [0.001, 604800]: a value
// dispatch would refuse is refused when the config loads, not at the dispatch step.
TEST(LoadConfig, CycleDispatchTimeoutWithinDispatchsRange) {
    for (const char* ok : {"0", "0.001", "604800"}) {
        auto rc = load_config("c.toml", {}, registries(),
                              std::string("[cycle]\ndispatch_timeout_s = ") + ok + "\n");
        EXPECT_TRUE(rc.has_value()) << ok;
    }
    auto bad =
        load_config("c.toml", {}, registries(),
                    std::string("[cycle]\nhosts = \"h.csv\"\ndispatch_timeout_s = 0.0005\n"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().msg.find("c.toml:3:cycle.dispatch_timeout_s: must be 0"),
              std::string::npos)
        << bad.error().msg;
}

TEST(LoadConfig, SyntaxErrorNamesFileAndLine) {
    auto rc = load_config("c.toml", {}, registries(), std::string("[plan]\ngoal = \n"));
    ASSERT_FALSE(rc.has_value());
    EXPECT_EQ(rc.error().msg.rfind("c.toml:2:", 0), 0u) << rc.error().msg;
}

// [cycle] is part of the expanded config (defaults included), and the expansion loads back to
// the same settings.
TEST(LoadConfig, CycleTableIsExpandedAndReloads) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[cycle]\nhosts = \"h.csv\"\nmax_moves = 5\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_NE(rc->expanded_toml.find("\n[cycle]\n"), std::string::npos) << rc->expanded_toml;
    EXPECT_NE(rc->expanded_toml.find("\nmax_moves = 5\n"), std::string::npos);
    EXPECT_NE(rc->expanded_toml.find("\napproval = \"file\"\n"), std::string::npos);
    auto again = load_config("x.toml", {}, registries(), rc->expanded_toml);
    ASSERT_TRUE(again.has_value()) << again.error().msg;
    EXPECT_EQ(again->expanded_toml, rc->expanded_toml);
    EXPECT_EQ(again->cycle.hosts, "h.csv");
    EXPECT_EQ(again->cycle.gate.max_moves, 5);
    EXPECT_EQ(config_json(*again)["cycle"]["max_moves"], 5);
}

// [roadef] sets every knob of the roadef search; left out, a knob keeps SearchOptions{}'s value.
// The table is expanded apart from expanded_toml (a plan checkpoint does not carry it), loads
// back to the same values, and check-config --json lists it.
TEST(LoadConfig, RoadefTableSetsTheSearchOptions) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[roadef]\nsearches = 3\nround_work = 1000\n"
                                      "lahc_length = 7\nrepack_percent = 5\nrepack_nodes = 99\n"
                                      "targeted_percent = 40\naimed_percent = 30\n"
                                      "aimed_candidates = 2\nrestart_rounds = 0\n"
                                      "lahc_work_per_entry = 0\nlahc_work_per_second = 5\n"
                                      "chain_percent = 10\nhome_percent = 7\n"
                                      "transient_price = 0.25\ntransient_price_fade = 30\n"
                                      "room_repack_percent = 4\nroom_candidates = 9\n"
                                      "home_move_share = 30\npair_repack_permille = 250\n"
                                      "pair_repack_nodes = 777\npair_candidates = 5\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    const opt::SearchOptions& o = rc->roadef;
    EXPECT_EQ(o.searches, 3);
    EXPECT_EQ(o.round_work, 1000);
    EXPECT_EQ(o.lahc_length, 7);
    EXPECT_EQ(o.repack_percent, 5);
    EXPECT_EQ(o.repack_nodes, 99);
    EXPECT_EQ(o.targeted_percent, 40);
    EXPECT_EQ(o.aimed_percent, 30);
    EXPECT_EQ(o.aimed_candidates, 2);
    EXPECT_EQ(o.restart_rounds, 0);
    EXPECT_EQ(o.lahc_work_per_entry, 0);
    EXPECT_EQ(o.lahc_work_per_second, 5);
    EXPECT_EQ(o.chain_percent, 10);
    EXPECT_EQ(o.home_percent, 7);
    EXPECT_DOUBLE_EQ(o.transient_price, 0.25);
    EXPECT_EQ(o.transient_price_fade, 30);
    EXPECT_EQ(o.room_repack_percent, 4);
    EXPECT_EQ(o.room_candidates, 9);
    EXPECT_EQ(o.home_move_share, 30);
    EXPECT_EQ(o.pair_repack_permille, 250);
    EXPECT_EQ(o.pair_repack_nodes, 777);
    EXPECT_EQ(o.pair_candidates, 5);
    EXPECT_EQ(rc->expanded_toml.find("[roadef]"), std::string::npos) << rc->expanded_toml;
    EXPECT_NE(rc->roadef_toml.find("\nlahc_length = 7\n"), std::string::npos) << rc->roadef_toml;
    EXPECT_EQ(config_json(*rc)["roadef"]["repack_nodes"], 99);
    auto again = load_config("x.toml", {}, registries(), rc->roadef_toml);
    ASSERT_TRUE(again.has_value()) << again.error().msg;
    EXPECT_EQ(again->roadef_toml, rc->roadef_toml);
    EXPECT_EQ(again->roadef.aimed_candidates, 2);

    auto one = load_config("c.toml", {}, registries(), std::string("[roadef]\nlahc_length = 5\n"));
    ASSERT_TRUE(one.has_value()) << one.error().msg;
    const opt::SearchOptions fresh;
    EXPECT_EQ(one->roadef.lahc_length, 5);
    EXPECT_EQ(one->roadef.searches, fresh.searches);
    EXPECT_EQ(one->roadef.round_work, fresh.round_work);
    EXPECT_EQ(one->roadef.aimed_percent, fresh.aimed_percent);
    auto none = load_config("", {}, registries());
    ASSERT_TRUE(none.has_value());
    EXPECT_EQ(none->roadef.lahc_length, fresh.lahc_length);
    EXPECT_EQ(none->roadef.repack_nodes, fresh.repack_nodes);
}

// A [roadef] value out of range, of the wrong type, or an unknown key is refused as every
// config error is (FILE:LINE:KEY: what, all at once); so is a step mix above 100%.
TEST(LoadConfig, RoadefErrorsNameFileLineAndKey) {
    auto rc = load_config("c.toml", {}, registries(),
                          std::string("[plan]\ngoal = \"auto\"\n[roadef]\nsearches = 0\n"
                                      "lahc_length = \"long\"\nrepack_percent = 101\n"
                                      "lahc = 10\n"));
    ASSERT_FALSE(rc.has_value());
    EXPECT_EQ(rc.error().code, ErrorCode::kBadInput);
    const std::string& m = rc.error().msg;
    EXPECT_NE(m.find("c.toml:4:roadef.searches: "), std::string::npos) << m;
    EXPECT_NE(m.find("c.toml:5:roadef.lahc_length: "), std::string::npos) << m;
    EXPECT_NE(m.find("c.toml:6:roadef.repack_percent: "), std::string::npos) << m;
    EXPECT_NE(m.find("c.toml:7:roadef.lahc: unknown key"), std::string::npos) << m;
    auto mix = load_config("c.toml", {}, registries(),
                           std::string("[roadef]\nrepack_percent = 50\naimed_percent = 60\n"));
    ASSERT_FALSE(mix.has_value());
    EXPECT_NE(mix.error().msg.find("c.toml:3:roadef.aimed_percent: repack_percent + aimed_percent "
                                   "+ chain_percent + home_percent + room_repack_percent must be "
                                   "at most 100"),
              std::string::npos)
        << mix.error().msg;
    auto chain = load_config(
        "c.toml", {}, registries(),
        std::string("[roadef]\nrepack_percent = 40\naimed_percent = 40\nchain_percent = 21\n"));
    ASSERT_FALSE(chain.has_value());
    // Named after the largest share the config changed (repack_percent, the first of two 40s).
    EXPECT_NE(chain.error().msg.find("c.toml:2:roadef.repack_percent: repack_percent + "),
              std::string::npos)
        << chain.error().msg;
    // Only chain_percent given (1 + 20 + 80 > 100): the message names it, with its line.
    auto only =
        load_config("c.toml", {}, registries(), std::string("[roadef]\nchain_percent = 80\n"));
    ASSERT_FALSE(only.has_value());
    EXPECT_NE(only.error().msg.find("c.toml:2:roadef.chain_percent: "), std::string::npos)
        << only.error().msg;
    // The history is capped at kMaxLahcLength entries; a longer lahc_length is refused.
    auto longest =
        load_config("c.toml", {}, registries(), std::string("[roadef]\nlahc_length = 100001\n"));
    ASSERT_FALSE(longest.has_value());
    EXPECT_NE(longest.error().msg.find("c.toml:2:roadef.lahc_length: "), std::string::npos)
        << longest.error().msg;
}

// waves.max_per_wave, the old name of waves.max_total, is still read (and expanded under that
// name); giving both is an error.
TEST(LoadConfig, OldWaveKeyIsReadButNotWithTheNewOne) {
    auto rc = load_config("c.toml", {}, registries(), std::string("[waves]\nmax_per_wave = 3\n"));
    ASSERT_TRUE(rc.has_value()) << rc.error().msg;
    EXPECT_EQ(rc->options.waves.max_total, 3);
    EXPECT_NE(rc->expanded_toml.find("\nmax_per_wave = 3\n"), std::string::npos);
    auto both = load_config("c.toml", {}, registries(),
                            std::string("[waves]\nmax_per_wave = 3\nmax_total = 4\n"));
    ASSERT_FALSE(both.has_value());
    EXPECT_NE(both.error().msg.find("waves.max_per_wave: an old name of waves.max_total"),
              std::string::npos)
        << both.error().msg;
}

TEST(LoadConfig, EveryShippedConfigLoads) {
    int n = 0;
    for (const auto& e : std::filesystem::directory_iterator(FP_SOURCE_DIR "/configs")) {
        if (e.path().extension() != ".toml") continue;
        ++n;
        auto rc = load_config(e.path().string(), {}, registries());
        EXPECT_TRUE(rc.has_value()) << e.path() << ": " << rc.error().msg;
    }
    EXPECT_GE(n, 1);
}

}  // namespace
}  // namespace fp::io
