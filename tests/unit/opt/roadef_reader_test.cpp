// The ROADEF reader: FILE:LINE:field messages, and the initial cost of every set-A instance
// exactly as the data's README gives it.
#include <gtest/gtest.h>

#include <filesystem>

#include "io/roadef.hpp"
#include "src/opt/roadef_state.hpp"

namespace fp::io {
namespace {

// R=1 (transient, weight 10); M=2; S=2 (service 1 depends on 0); P=2; B=1; weights.
const char* kModel =
    "1\n"
    "1 10\n"
    "2\n"
    "0 0 10 8 0 1\n"
    "1 1 10 8 2 0\n"
    "2\n"
    "1 0\n"
    "1 1 0\n"
    "2\n"
    "0 9 3\n"
    "1 2 4\n"
    "1\n"
    "0 0 1\n"
    "5\n"
    "1 10 100\n";

std::string model_error(const std::string& text) {
    auto r = parse_roadef_model(text, "m.txt");
    return r ? "(no error)" : r.error().msg;
}

TEST(RoadefReader, ReadsEveryField) {
    auto md = parse_roadef_model(kModel, "m.txt");
    ASSERT_TRUE(md) << md.error().msg;
    EXPECT_EQ(md->resources, 1);
    EXPECT_EQ(md->transient[0], 1);
    EXPECT_EQ(md->machines, 2);
    EXPECT_EQ(md->cap(1, 0), 10);
    EXPECT_EQ(md->safety(1, 0), 8);
    EXPECT_EQ(md->mmc(1, 0), 2);
    EXPECT_EQ(md->depends_on[1], std::vector<int32_t>{0});
    EXPECT_EQ(md->req(0, 0), 9);
    EXPECT_EQ(md->process_move_cost[1], 4);
    ASSERT_EQ(md->balances.size(), 1u);
    EXPECT_EQ(md->balances[0].weight, 5);
    EXPECT_EQ(md->weight_machine_move, 100);
    auto a = parse_roadef_assignment("0 1\n", "a.txt", *md);
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, (std::vector<int32_t>{0, 1}));
}

TEST(RoadefReader, NamesFileLineAndField) {
    std::string t = kModel;
    EXPECT_EQ(model_error(std::string(t).replace(t.find("0 9 3"), 5, "0 x 3")),
              "m.txt:10:process 0 requirement[0]: not an integer: 'x'");
    EXPECT_EQ(model_error(std::string(t).replace(t.find("1 1 0\n"), 6, "1 1 7\n")),
              "m.txt:8:service 1 dependency[0]: out of range: '7' (expected 0 to 1)");
    EXPECT_EQ(model_error(std::string(t).replace(t.find("1 1 0\n"), 6, "1 1 1\n")),
              "m.txt:8:service 1 dependency[0]: a service cannot depend on itself");
    EXPECT_EQ(model_error(std::string(t).substr(0, t.find("1 10 100"))),
              "m.txt:15:weight_process_move: missing value: the file ends early");
    EXPECT_EQ(model_error(t + "7\n"), "m.txt:16:end: unexpected value after the last one");
    EXPECT_EQ(model_error(std::string(t).replace(t.find("0 0 10 8 0 1"), 12, "0 0 10 8 3 1")),
              "m.txt:4:machine 0 move_cost[0]: moving to the same machine must cost 0");
    EXPECT_EQ(model_error(std::string(t).replace(t.find("1 10\n2"), 4, "2 10")),
              "m.txt:2:resource 0 transient: out of range: '2' (expected 0 to 1)");
    EXPECT_EQ(model_error(std::string(t).replace(t.find("0 9 3"), 5, "0 -1 3")),
              "m.txt:10:process 0 requirement[0]: out of range: '-1' (expected 0 to 1000000000)");
    auto md = parse_roadef_model(kModel, "m.txt");
    ASSERT_TRUE(md);
    auto a = parse_roadef_assignment("0 2\n", "a.txt", *md);
    ASSERT_FALSE(a);
    EXPECT_EQ(a.error().msg, "a.txt:1:process 1 machine: out of range: '2' (expected 0 to 1)");
    auto b = parse_roadef_assignment("0\n", "a.txt", *md);
    ASSERT_FALSE(b);
    EXPECT_EQ(b.error().msg, "a.txt:2:process 1 machine: missing value: the file ends early");
}

// shared/data/roadef2012/README.md's initial costs, reproduced exactly.
TEST(RoadefReader, InitialCostsOfSetAMatchTheReadme) {
    const std::string dir = FP_ROADEF_DATA;
    if (!std::filesystem::exists(dir + "/model_a1_1.txt")) GTEST_SKIP() << "no data in " << dir;
    const std::pair<const char*, int64_t> want[] = {
        {"a1_1", 49528750},   {"a1_2", 1061649570}, {"a1_3", 583662270},  {"a1_4", 632499600},
        {"a1_5", 782189690},  {"a2_1", 391189190},  {"a2_2", 1876768120}, {"a2_3", 2272487840},
        {"a2_4", 3223516130}, {"a2_5", 787355300}};
    for (const auto& [name, cost] : want) {
        const std::string n = name;
        auto md = read_roadef(dir + "/model_" + n + ".txt", dir + "/assignment_" + n + ".txt");
        ASSERT_TRUE(md) << md.error().msg;
        EXPECT_EQ(opt::evaluate_from_scratch(*md, md->initial).total(), cost) << n;
        EXPECT_EQ(opt::RoadefState(*md).objective(), cost) << n;
        EXPECT_FALSE(opt::first_violation(*md, md->initial).has_value()) << n;
    }
}

}  // namespace
}  // namespace fp::io
