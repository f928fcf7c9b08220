// --history input: real PlanetLab traces, the CSV form with mem/net, alignment and gap filling,
// and one test per bad-input class with its exact FILE:LINE:COLUMN message.
#include "io/history.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "tests/unit/core/fleet_builder.hpp"

namespace fp::io {
namespace {

namespace fs = std::filesystem;

// Day 20110303 of the PlanetLab traces (CloudSim's distribution); FP_PLANETLAB_DIR overrides.
std::string planetlab_day() {
    const char* env = std::getenv("FP_PLANETLAB_DIR");
    // Three files of that day are kept in tests/data/ so the test never depends on ../shared/.
    return env != nullptr ? env : FP_SOURCE_DIR "/tests/data/planetlab/20110303";
}

class HistoryTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fp_history_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    std::string write(const std::string& name, const std::string& text) {
        const fs::path p = dir_ / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
    std::string dir() const { return dir_.string(); }

    fs::path dir_;
};

// One host; VMs named as given (placed on it).
model::Fleet fleet_of(const std::vector<std::string>& vms) {
    testing::FleetBuilder b;
    b.host("h", 64, 65536, 10000);
    for (const auto& id : vms) b.vm(id, "h", 1, 1024, 1);
    return b.build();
}

std::string error_of(const std::string& csv, const model::Fleet& fleet) {
    auto r = parse_history_csv(csv, "h.csv", fleet);
    return r.has_value() ? "(no error)" : r.error().msg;
}

std::vector<float> fractions(const std::vector<int>& pct) {
    std::vector<float> out;
    for (int p : pct) out.push_back(static_cast<float>(p) / 100.0f);
    return out;
}

TEST_F(HistoryTest, ReadsRealPlanetLabTraces) {
    const std::vector<std::string> names = {
        "146-179_surfsnel_dsl_internl_net_colostate_557",
        "aladdin_planetlab_extranet_uni-passau_de_ rnp_dcc_ufjf",  // a space in the name
        "planetlab-2_cs_uic_edu_uw_oneswarm"};
    const fs::path day = planetlab_day();
    ASSERT_TRUE(fs::is_directory(day)) << "PlanetLab traces not found at " << day;
    for (const auto& n : names) fs::copy_file(day / n, dir_ / n);
    write(".hidden", "not a trace\n");      // hidden files are skipped
    fs::create_directory(dir_ / "subdir");  // so are directories
    auto fleet = fleet_of({names[0], "no-trace", names[1], names[2]});

    auto r = load_history(dir(), fleet);
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->interval_s, 300);
    EXPECT_EQ(r->length, 288);
    ASSERT_EQ(r->cpu.size(), 4u);
    EXPECT_EQ(r->mem.size(), 4u);
    EXPECT_EQ(r->net.size(), 4u);
    EXPECT_TRUE(r->cpu[1].empty());  // no-trace
    for (size_t v : {0u, 2u, 3u}) {
        ASSERT_EQ(r->cpu[v].size(), 288u) << v;
        EXPECT_TRUE(r->mem[v].empty());
        EXPECT_TRUE(r->net[v].empty());
    }
    EXPECT_EQ(std::vector<float>(r->cpu[0].begin(), r->cpu[0].begin() + 3),
              fractions({24, 34, 29}));
    EXPECT_EQ(r->cpu[0].back(), 0.51f);
    EXPECT_EQ(std::vector<float>(r->cpu[2].begin(), r->cpu[2].begin() + 3),
              fractions({62, 76, 76}));
    EXPECT_EQ(std::vector<float>(r->cpu[3].begin(), r->cpu[3].begin() + 3), fractions({10, 12, 6}));
    // Totals of the files' percentages (awk): 7484, 21433, 3311.
    const int sums[] = {7484, 21433, 3311};
    const size_t vm_of[] = {0, 2, 3};
    for (int i = 0; i < 3; ++i) {
        int total = 0;
        for (float f : r->cpu[vm_of[i]]) total += static_cast<int>(std::lround(f * 100.0f));
        EXPECT_EQ(total, sums[i]) << names[static_cast<size_t>(i)];
    }
}

TEST_F(HistoryTest, PlanetLabToleratesCrlfSpacesAndTrailingNewlines) {
    write("a", " 5 \r\n100\r\n007\r\n\r\n\n");
    write("b b", "7");  // no final newline
    auto r = load_history(dir() + "/", fleet_of({"a", "b b"}));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->cpu[0], fractions({5, 100, 7}));
    EXPECT_EQ(r->cpu[1], fractions({7}));
    EXPECT_EQ(r->length, 3);  // the longest; series are aligned at the end
}

TEST_F(HistoryTest, PlanetLabUnknownVm) {
    write("a", "1\n");
    write("ghost vm", "1\n");
    EXPECT_EQ(load_history(dir(), fleet_of({"a"})).error().msg,
              dir() + "/ghost vm:1:cpu: unknown VM 'ghost vm'");
}

TEST_F(HistoryTest, PlanetLabBadLines) {
    write("a", "50\n101\nabc\n\n5.5\n-1\n 3 \n");
    EXPECT_EQ(load_history(dir(), fleet_of({"a"})).error().msg,
              dir() + "/a:2:cpu: not an integer percentage 0-100: '101'\n" + dir() +
                  "/a:3:cpu: not an integer percentage 0-100: 'abc'\n" + dir() +
                  "/a:4:cpu: not an integer percentage 0-100: ''\n" + dir() +
                  "/a:5:cpu: not an integer percentage 0-100: '5.5'\n" + dir() +
                  "/a:6:cpu: not an integer percentage 0-100: '-1'");
}

TEST_F(HistoryTest, PlanetLabEmptyFile) {
    write("a", "1\n");
    write("e", "\n \r\n");
    EXPECT_EQ(load_history(dir(), fleet_of({"a", "e"})).error().msg,
              dir() + "/e:1:cpu: empty file: expected one CPU percentage per line");
}

TEST_F(HistoryTest, PlanetLabReportsAtMostTwentyErrors) {
    std::string bad;
    for (int i = 0; i < 30; ++i) bad += "x\n";
    write("a", bad);
    const std::string msg = load_history(dir(), fleet_of({"a"})).error().msg;
    EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 20) << msg;
    EXPECT_NE(msg.find("/a:20:cpu:"), std::string::npos);
    EXPECT_EQ(msg.find("/a:21:cpu:"), std::string::npos);
    EXPECT_NE(msg.find("(further errors not shown)"), std::string::npos);
}

TEST(HistoryCsv, AlignsAtTheEndAndCarriesValuesForward) {
    // "a" every 600 s (0..1200), "b" every 300 s (300, 600): the interval is 300 s. a's gaps at
    // 300 and 900 repeat the previous sample; its memory starts at 600 (empty before), b's network
    // only at its last sample. Rows come in any order.
    const std::string csv =
        "time,vm,cpu,mem,net\n"
        "600,a,0.5,0.25,0.1\n"
        "0,a,0.3,,0.1\n"
        "300,b,0.9,0.5,\n"
        "1200,a,0.7,0.4,0.2\n"
        "6e2,b,1.0,0.6,0.3\n";
    auto r = parse_history_csv(csv, "h.csv", fleet_of({"a", "b", "c"}));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    const auto& h = r->history;
    EXPECT_EQ(h.interval_s, 300);
    EXPECT_EQ(h.length, 5);
    EXPECT_EQ(h.cpu[0], (std::vector<float>{0.3f, 0.3f, 0.5f, 0.5f, 0.7f}));
    EXPECT_EQ(h.mem[0], (std::vector<float>{0.25f, 0.25f, 0.4f}));
    EXPECT_EQ(h.net[0], (std::vector<float>{0.1f, 0.1f, 0.1f, 0.1f, 0.2f}));
    EXPECT_EQ(h.cpu[1], (std::vector<float>{0.9f, 1.0f}));
    EXPECT_EQ(h.mem[1], (std::vector<float>{0.5f, 0.6f}));
    EXPECT_EQ(h.net[1], (std::vector<float>{0.3f}));
    EXPECT_TRUE(h.cpu[2].empty());
    EXPECT_TRUE(h.mem[2].empty());
    EXPECT_TRUE(r->warnings.empty());
}

TEST(HistoryCsv, CpuOnlyAndOneTimeGiveTheDefaultInterval) {
    auto r = parse_history_csv("vm,time,cpu,extra\na,100,0.5,x\nb,100,2.5,y\n", "h.csv",
                               fleet_of({"a", "b"}));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->history.interval_s, 300);
    EXPECT_EQ(r->history.length, 1);
    EXPECT_EQ(r->history.cpu[1], (std::vector<float>{2.5f}));
    EXPECT_TRUE(r->history.mem[0].empty());
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_EQ(r->warnings[0], "h.csv:1: ignoring unknown column(s): extra");
}

TEST(HistoryCsv, MissingColumn) {
    EXPECT_EQ(error_of("time,vm,mem\n0,a,1\n", fleet_of({"a"})),
              "h.csv:1:cpu: missing required column 'cpu'");
    EXPECT_EQ(error_of("time,vm,cpu,cpu\n0,a,1,1\n", fleet_of({"a"})),
              "h.csv:1:cpu: duplicate column 'cpu' (also column 3)");
}

TEST(HistoryCsv, UnknownVm) {
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,0.5\n0,ghost,0.5\n", fleet_of({"a"})),
              "h.csv:3:vm: unknown VM 'ghost'");
    EXPECT_EQ(error_of("time,vm,cpu\n0,,0.5\n", fleet_of({"a"})), "h.csv:2:vm: missing value");
}

TEST(HistoryCsv, DuplicateSample) {
    EXPECT_EQ(
        error_of("time,vm,cpu\n0,a,0.5\n300,a,0.5\n300,b,0.5\n3e2,a,0.6\n", fleet_of({"a", "b"})),
        "h.csv:5:time: duplicate sample for VM 'a' at time 300 (first on line 3)");
}

TEST(HistoryCsv, BadTimes) {
    const auto f = fleet_of({"a"});
    EXPECT_EQ(error_of("time,vm,cpu\nnoon,a,0.5\n", f), "h.csv:2:time: not a number: 'noon'");
    EXPECT_EQ(error_of("time,vm,cpu\n-300,a,0.5\n", f),
              "h.csv:2:time: must not be negative: '-300'");
    EXPECT_EQ(error_of("time,vm,cpu\n1.5,a,0.5\n", f),
              "h.csv:2:time: not a whole number of seconds: '1.5'");
    EXPECT_EQ(error_of("time,vm,cpu\n,a,0.5\n", f), "h.csv:2:time: missing value");
    EXPECT_EQ(error_of("time,vm,cpu\n1e16,a,0.5\n", f),
              "h.csv:2:time: out of range (at most 1e15): '1e16'");
}

TEST(HistoryCsv, BadValues) {
    const auto f = fleet_of({"a"});
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,\n", f), "h.csv:2:cpu: missing value");
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,11\n", f), "h.csv:2:cpu: out of range (at most 10): '11'");
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,half\n", f), "h.csv:2:cpu: not a number: 'half'");
    EXPECT_EQ(error_of("time,vm,cpu,mem,net\n0,a,0.5,nan,0\n", f),
              "h.csv:2:mem: must be a finite number: 'nan'");
    EXPECT_EQ(error_of("time,vm,cpu,mem,net\n0,a,0.5,0,-0.1\n", f),
              "h.csv:2:net: must not be negative: '-0.1'");
}

TEST(HistoryCsv, ListsEveryErrorInLineOrder) {
    EXPECT_EQ(error_of("time,vm,cpu\nx,a,0.5\n0,b,0.5\n0,a,inf\n", fleet_of({"a"})),
              "h.csv:2:time: not a number: 'x'\n"
              "h.csv:3:vm: unknown VM 'b'\n"
              "h.csv:4:cpu: must be a finite number: 'inf'");
}

TEST(HistoryCsv, RefusesTimesTooFarApartForTheInterval) {
    // b would need 1,000,001 samples at a's 300 s interval.
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,0.5\n300,a,0.5\n0,b,0.5\n300000000,b,0.5\n",
                       fleet_of({"a", "b"})),
              "h.csv:5:time: VM 'b': 300000000 s after its previous sample (line 4); its series "
              "spans 300000000 s, 1000001 samples at the 300 s interval (at most 1000000)");
    // Within that bound each, but far more than the four samples given.
    EXPECT_EQ(error_of("time,vm,cpu\n0,a,0.5\n1,a,0.5\n0,b,0.5\n900000,b,0.5\n0,c,0.5\n"
                       "900000,c,0.5\n",
                       fleet_of({"a", "b", "c"})),
              "h.csv:1:time: filling gaps at the 1 s interval would make 1800004 samples from the "
              "6 given (times too far apart for the smallest interval)");
}

TEST_F(HistoryTest, LoadsACsvFileByPath) {
    const std::string path = write("h.csv", "time,vm,cpu\r\n0,a,0.5\r\n300,a,0.75\r\n");
    auto r = load_history(path, fleet_of({"a"}));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->cpu[0], (std::vector<float>{0.5f, 0.75f}));
    EXPECT_EQ(r->length, 2);
    const auto missing = load_history(dir() + "/nope.csv", fleet_of({"a"}));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(missing.error().msg.rfind(dir() + "/nope.csv: cannot open", 0), 0u)
        << missing.error().msg;
}

}  // namespace
}  // namespace fp::io
