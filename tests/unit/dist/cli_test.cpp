// The flag parser (src/dist/cli.hpp, CLI11 underneath): what a declaration accepts, and the
// usage errors in the contract's style (`COMMAND: what`, exit code 2 = ErrorCode::kBadInput)
// for what it does not.
#include "src/dist/cli.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "src/dist/plan_driver.hpp"

namespace fp::dist {
namespace {

FlagSpec demo() {
    FlagSpec f("demo");
    f.value("out", "DIR", "where it goes")
        .required()
        .value("threads", "N", "worker threads")
        .int_range(1, 64)
        .value("frac", "F", "a fraction")
        .real_range(0.0, 1.0)
        .value("name", "TEXT", "any text")
        .flag("json", "print JSON")
        .value("resume", "CKPT", "start from a checkpoint")
        .excludes({"name", "json"}, "it takes them from the checkpoint");
    return f;
}

// The usage error of argv under demo(); fails the test when it parses.
std::string error_of(const std::vector<std::string>& argv) {
    auto a = parse_args(argv, demo());
    EXPECT_FALSE(a) << "parsed: " << testing::PrintToString(argv);
    if (a) return "";
    EXPECT_EQ(a.error().code, ErrorCode::kBadInput);
    return a.error().msg;
}

TEST(ParseArgs, TakesSpaceAndEqualsFormsAndPositionals) {
    auto a = parse_args(
        {"first", "--out", "d", "--threads=8", "--frac", "0.25", "--name=a=b", "--json", "second"},
        demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_EQ(a->get("out"), "d");
    EXPECT_EQ(a->get_int("threads"), 8);
    EXPECT_EQ(a->get_double("frac"), 0.25);
    EXPECT_EQ(a->get("name"), "a=b");  // only the first '=' splits
    EXPECT_TRUE(a->has("json"));
    EXPECT_FALSE(a->has("resume"));
    EXPECT_EQ(a->get_int("threads").value_or(-1), 8);
    EXPECT_EQ(a->positional(), (std::vector<std::string>{"first", "second"}));
}

TEST(ParseArgs, AbsentFlagsHaveNoValue) {
    auto a = parse_args({"--out", "d"}, demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_EQ(a->get_int("threads"), std::nullopt);
    EXPECT_EQ(a->get_double("frac"), std::nullopt);
    EXPECT_EQ(a->get("name"), std::nullopt);
    EXPECT_FALSE(a->has("json"));
    EXPECT_TRUE(a->positional().empty());
}

TEST(ParseArgs, DoubleDashEndsTheFlags) {
    auto a = parse_args({"--out", "d", "--", "--json", "-x"}, demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_FALSE(a->has("json"));
    EXPECT_EQ(a->positional(), (std::vector<std::string>{"--json", "-x"}));
}

TEST(ParseArgs, AValueMayBeginWithDashes) {
    // A flag that takes a value takes the next word, whatever it looks like.
    auto a = parse_args({"--out", "--json", "--name", "-1"}, demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_EQ(a->get("out"), "--json");
    EXPECT_EQ(a->get("name"), "-1");
    EXPECT_FALSE(a->has("json"));
}

TEST(ParseArgs, UnknownFlagNamesItAndListsTheValidOnes) {
    EXPECT_EQ(error_of({"--out", "d", "--frobnicate", "3"}),
              "demo: unknown option --frobnicate (valid: --frac, --json, --name, --out, "
              "--resume, --threads; see --help)");
    EXPECT_EQ(error_of({"--out", "d", "--frob=3"}).substr(0, 30), "demo: unknown option --frob (v");
    EXPECT_EQ(error_of({"--out", "d", "-x"}).substr(0, 26), "demo: unknown option -x (v");
}

TEST(ParseArgs, AnUnknownOrRepeatedFlagComesBeforeOtherErrors) {
    // No --out (required), a bad range, an exclusion: the unknown flag is what is reported.
    EXPECT_EQ(error_of({"--threads", "0", "--resume", "c", "--json", "--nope"}).substr(0, 27),
              "demo: unknown option --nope");
    EXPECT_EQ(error_of({"--threads", "0", "--threads", "1"}),
              "demo: --threads given more than once");
}

TEST(ParseArgs, UnknownFlagIsEchoedEscaped) {
    const std::string msg = error_of({"--out", "d", "--x\nFORGED: all is well"});
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
    EXPECT_NE(msg.find("unknown option --x\\nFORGED"), std::string::npos) << msg;
}

TEST(ParseArgs, NoDeclaredFlagsSaysNone) {
    auto a = parse_args({"--x"}, FlagSpec("bare"));
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().msg, "bare: unknown option --x (valid: none; see --help)");
}

TEST(ParseArgs, MissingValue) {
    EXPECT_EQ(error_of({"--out"}), "demo: --out needs a value");
    EXPECT_EQ(error_of({"--out", "d", "--threads"}), "demo: --threads needs a value");
    EXPECT_EQ(error_of({"--out", "d", "--name="}), "demo: --name needs a value");
}

TEST(ParseArgs, RepeatedFlag) {
    EXPECT_EQ(error_of({"--out", "d", "--out", "e"}), "demo: --out given more than once");
    EXPECT_EQ(error_of({"--out", "d", "--json", "--json"}), "demo: --json given more than once");
    EXPECT_EQ(error_of({"--out", "d", "--threads=2", "--threads", "2"}),
              "demo: --threads given more than once");
}

TEST(ParseArgs, BooleanFlagTakesNoValue) {
    EXPECT_EQ(error_of({"--out", "d", "--json=0"}), "demo: --json takes no value");
    EXPECT_EQ(error_of({"--out", "d", "--json=yes"}), "demo: --json takes no value");
}

TEST(ParseArgs, IntegerRange) {
    EXPECT_EQ(error_of({"--out", "d", "--threads", "0"}),
              "demo: --threads: 0 is out of range [1, 64]");
    EXPECT_EQ(error_of({"--out", "d", "--threads=65"}),
              "demo: --threads: 65 is out of range [1, 64]");
    EXPECT_EQ(error_of({"--out", "d", "--threads", "-1"}),
              "demo: --threads: -1 is out of range [1, 64]");
    EXPECT_EQ(error_of({"--out", "d", "--threads", "2.5"}),
              "demo: --threads: expected an integer, got '2.5'");
    EXPECT_EQ(error_of({"--out", "d", "--threads", "99999999999999999999"}),
              "demo: --threads: expected an integer, got '99999999999999999999'");
    for (const char* edge : {"1", "64"}) {
        auto a = parse_args({"--out", "d", "--threads", edge}, demo());
        ASSERT_TRUE(a) << edge << ": " << a.error().msg;
        EXPECT_EQ(a->get_int("threads"), std::stoll(edge));
    }
}

TEST(ParseArgs, RealRange) {
    EXPECT_EQ(error_of({"--out", "d", "--frac", "1.5"}),
              "demo: --frac: 1.5 is out of range [0, 1]");
    EXPECT_EQ(error_of({"--out", "d", "--frac", "nan"}),
              "demo: --frac: expected a finite number, got 'nan'");
    EXPECT_EQ(error_of({"--out", "d", "--frac=inf"}),
              "demo: --frac: expected a finite number, got 'inf'");
    EXPECT_EQ(error_of({"--out", "d", "--frac", "0.5x"}),
              "demo: --frac: expected a finite number, got '0.5x'");
    auto a = parse_args({"--out", "d", "--frac", "1e0"}, demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_EQ(a->get_double("frac"), 1.0);
}

TEST(ParseArgs, RequiredFlag) {
    EXPECT_EQ(error_of({"--json"}), "demo: --out DIR is required");
    EXPECT_EQ(error_of({}), "demo: --out DIR is required");
}

TEST(ParseArgs, ExclusionsInEitherOrder) {
    const std::string why = " cannot be combined with --resume (it takes them from the checkpoint)";
    EXPECT_EQ(error_of({"--out", "d", "--resume", "c", "--name", "n"}), "demo: --name" + why);
    EXPECT_EQ(error_of({"--out", "d", "--json", "--resume", "c"}), "demo: --json" + why);
    // Flags the declaration does not exclude combine.
    auto a = parse_args({"--out", "d", "--resume", "c", "--threads", "3"}, demo());
    ASSERT_TRUE(a) << a.error().msg;
    EXPECT_EQ(a->get("resume"), "c");
}

TEST(ParseArgs, AFlagWithoutPrefixCommand) {
    FlagSpec f;
    f.value("a", "X", "a");
    auto r = parse_args({"--a"}, f);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().msg, "--a needs a value");
}

TEST(FlagSpecHelp, ListsEveryFlagWithItsRangeAndRequirement) {
    EXPECT_EQ(demo().help(),
              "  --out DIR      where it goes (required)\n"
              "  --threads N    worker threads [1, 64]\n"
              "  --frac F       a fraction [0, 1]\n"
              "  --name TEXT    any text\n"
              "  --json         print JSON\n"
              "  --resume CKPT  start from a checkpoint\n");
}

TEST(FlagSpecHelp, ARangeThatDoesNotFitGoesOnALineOfItsOwn) {
    FlagSpec f;
    f.value("n", "N", std::string(90, 'x')).int_range(-5, 5);
    EXPECT_EQ(f.help(), "  --n N  " + std::string(90, 'x') + "\n         [-5, 5]\n");
}

TEST(WantsHelp, AnywhereOnTheLine) {
    EXPECT_TRUE(wants_help({"--out", "d", "-h"}));
    EXPECT_TRUE(wants_help({"--help"}));
    EXPECT_FALSE(wants_help({"--helpful", "-hx"}));
}

// plan's declaration: --resume excludes every input flag, and the ranges are the documented ones.
TEST(PlanFlags, ResumeExcludesTheInputs) {
    for (const char* f :
         {"--hosts", "--vms", "--config", "--window", "--seed", "--missing-hosts"}) {
        auto a = parse_args({"--resume", "c.h5", "--out", "o", f, "1"}, plan_flags());
        ASSERT_FALSE(a) << f;
        EXPECT_EQ(a.error().msg, std::string("plan: ") + f +
                                     " cannot be combined with --resume (it takes the inputs and "
                                     "config from the checkpoint)");
    }
    auto a =
        parse_args({"--resume", "c.h5", "--out", "o", "--threads", "2", "--json"}, plan_flags());
    EXPECT_TRUE(a) << a.error().msg;
}

TEST(PlanFlags, RangesAndTheEvacuateChoice) {
    auto mu = parse_args({"--out", "o", "--max-util", "0"}, plan_flags());
    ASSERT_FALSE(mu);
    EXPECT_EQ(mu.error().msg, "plan: --max-util: 0 is out of range [0.01, 1]");
    auto th = parse_args({"--out", "o", "--threads", "4097"}, plan_flags());
    ASSERT_FALSE(th);
    EXPECT_EQ(th.error().msg, "plan: --threads: 4097 is out of range [1, 4096]");
    auto ev = parse_args({"--out", "o", "--evacuate", "h1", "--evacuate-file", "f"}, plan_flags());
    ASSERT_FALSE(ev);
    EXPECT_EQ(ev.error().msg,
              "plan: --evacuate cannot be combined with --evacuate-file (give one of them, not "
              "both)");
    auto seed = parse_args({"--out", "o", "--seed", "9223372036854775807"}, plan_flags());
    ASSERT_TRUE(seed) << seed.error().msg;
    EXPECT_EQ(seed->get_int("seed"), INT64_MAX);
}

}  // namespace
}  // namespace fp::dist
