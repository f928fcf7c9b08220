// Simulator inputs and checkpoints: PlanetLab day directories (order file, names with spaces,
// bad files with exact FILE:LINE:FIELD messages) and the HDF5 checkpoint's exact round trip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/sim_checkpoint.hpp"
#include "io/sim_input.hpp"
#include "src/sim/chains.hpp"
#include "src/sim/engine.hpp"
#include "tests/unit/io/scratch_dir.hpp"

namespace fp::io {
namespace {

namespace fs = std::filesystem;

const std::string kSubset = FP_SOURCE_DIR "/tests/data/planetlab/20110306-subset";
const std::string kOrder = FP_SOURCE_DIR "/tests/data/planetlab/order-20110306-subset.txt";

class SimIoTest : public fp::testing::ScratchDirTest {
  protected:
    static std::string samples(int n, int value) {
        std::string s;
        for (int i = 0; i < n; ++i) s += std::to_string(value) + "\n";
        return s;
    }
};

TEST_F(SimIoTest, ReadsADayInTheGivenOrder) {
    auto day = read_planetlab_day(kSubset, kOrder);
    ASSERT_TRUE(day.has_value()) << day.error().msg;
    ASSERT_EQ(day->names.size(), 64u);
    std::ifstream in(kOrder);
    std::string first;
    std::getline(in, first);
    EXPECT_EQ(day->names[0], first);
    size_t spaced = 0;
    for (const auto& n : day->names) spaced += n.find(' ') != std::string::npos ? 1 : 0;
    EXPECT_EQ(spaced, 2u);
    for (const auto& p : day->pct) EXPECT_EQ(p.size(), 288u);
}

TEST_F(SimIoTest, WithoutAnOrderFileNamesAreInByteOrder) {
    auto day = read_planetlab_day(kSubset, std::nullopt);
    ASSERT_TRUE(day.has_value()) << day.error().msg;
    EXPECT_TRUE(std::is_sorted(day->names.begin(), day->names.end()));
    EXPECT_EQ(day->names.size(), 64u);
}

TEST_F(SimIoTest, BadLinesAndShortFilesNameFileAndLine) {
    write("a", "12\nabc\n" + samples(286, 3));
    write("b", samples(10, 5));
    write(".hidden", "junk");
    auto day = read_planetlab_day(dir_.string(), std::nullopt);
    ASSERT_FALSE(day.has_value());
    EXPECT_EQ(day.error().code, ErrorCode::kBadInput);
    const std::string& m = day.error().msg;
    EXPECT_NE(m.find((dir_ / "a").string() + ":2:cpu: not an integer percentage 0-100: 'abc'"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find((dir_ / "b").string() + ":11:cpu: expected 288 samples, found 10"),
              std::string::npos)
        << m;
}

TEST_F(SimIoTest, OrderFileProblemsAreReported) {
    write("x", samples(288, 1));
    const std::string dup = write("dup.txt", "x\nx\n");
    auto d1 = read_planetlab_day(dir_.string(), dup);
    ASSERT_FALSE(d1.has_value());
    EXPECT_NE(d1.error().msg.find("'x' is listed twice"), std::string::npos) << d1.error().msg;
    // The duplicate's own line, and the first's.
    const std::string dup3 = write("dup3.txt", "x\n\n# not a comment: a name\nx\n");
    auto d4 = read_planetlab_day(dir_.string(), dup3);
    ASSERT_FALSE(d4.has_value());
    EXPECT_NE(d4.error().msg.find("dup3.txt:4:name: 'x' is listed twice (first on line 1)"),
              std::string::npos)
        << d4.error().msg;
    const std::string missing = write("missing.txt", "x\nnot-there\n");
    auto d2 = read_planetlab_day(dir_.string(), missing);
    ASSERT_FALSE(d2.has_value());
    EXPECT_NE(d2.error().msg.find("not-there:1:cpu:"), std::string::npos) << d2.error().msg;
    const std::string slash = write("slash.txt", "../x\n");
    auto d3 = read_planetlab_day(dir_.string(), slash);
    ASSERT_FALSE(d3.has_value());
    EXPECT_NE(d3.error().msg.find("slash.txt:1:name: not a file name"), std::string::npos)
        << d3.error().msg;
    EXPECT_FALSE(read_planetlab_day((dir_ / "nope").string(), std::nullopt).has_value());
}

TEST_F(SimIoTest, CheckpointRoundTripsExactlyAndResumes) {
    auto day = read_planetlab_day(kSubset, kOrder);
    ASSERT_TRUE(day.has_value());
    sim::Scenario sc = sim::cloudsim_planetlab(*day, 5);
    sc.intervals = 20;
    sim::Engine e(sc, *sim::make_chain("lr-mmt", 5));
    SimCheckpoint ck;
    ck.program_version = "test";
    ck.chain = "lr-mmt";
    ck.inputs = "subset";
    ck.target_tick = 20;
    ASSERT_TRUE(e.run(8, [&](const sim::IntervalRow& r) {
                     ck.rows.push_back(r);
                     return true;
                 }).has_value());
    ck.scenario = sc;
    ck.state = e.save_state();
    ck.metrics_json = "{}";
    const std::string path = (dir_ / "ck.h5").string();
    ASSERT_TRUE(write_sim_checkpoint(path, ck).has_value());
    EXPECT_TRUE(is_sim_checkpoint(path));
    auto back = read_sim_checkpoint(path);
    ASSERT_TRUE(back.has_value()) << back.error().msg;
    EXPECT_EQ(back->chain, "lr-mmt");
    EXPECT_EQ(back->target_tick, 20);
    EXPECT_EQ(back->scenario.trace, sc.trace);
    EXPECT_EQ(back->scenario.vm_ids, sc.vm_ids);
    EXPECT_EQ(back->scenario.vm_mips, sc.vm_mips);
    EXPECT_EQ(back->scenario.host_type, sc.host_type);
    EXPECT_EQ(back->scenario.tick_offset_s, sc.tick_offset_s);
    EXPECT_EQ(back->scenario.finish_idle_vms, sc.finish_idle_vms);
    EXPECT_EQ(back->scenario.types[1].power.watts, sc.types[1].power.watts);
    ASSERT_EQ(back->rows.size(), 8u);
    EXPECT_EQ(back->rows[7].fig.energy_j, ck.rows[7].fig.energy_j);
    EXPECT_EQ(back->rows[7].host_util, ck.rows[7].host_util);
    EXPECT_TRUE(back->state == ck.state);

    // Resuming from what was read equals running on.
    sim::Engine resumed(back->scenario, *sim::make_chain("lr-mmt", 5));
    ASSERT_TRUE(resumed.load_state(back->state).has_value());
    ASSERT_TRUE(resumed.run(20, nullptr).has_value());
    ASSERT_TRUE(e.run(20, nullptr).has_value());
    EXPECT_EQ(resumed.state().totals.energy_j, e.state().totals.energy_j);
    EXPECT_EQ(resumed.state().totals.migrations, e.state().totals.migrations);
    EXPECT_EQ(resumed.state().vm_host, e.state().vm_host);
}

TEST_F(SimIoTest, TruncatedCheckpointIsBadInputNamingTheFile) {
    auto day = read_planetlab_day(kSubset, kOrder);
    ASSERT_TRUE(day.has_value());
    SimCheckpoint ck;
    ck.chain = "best";
    ck.scenario = sim::cloudsim_planetlab(*day, 1);
    const std::string path = (dir_ / "ck.h5").string();
    ASSERT_TRUE(write_sim_checkpoint(path, ck).has_value());
    const auto size = fs::file_size(path);
    fs::resize_file(path, size / 2);
    auto r = read_sim_checkpoint(path);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find(path), std::string::npos) << r.error().msg;
}

// Issue 15: two samples 999,999 intervals apart expanded to a million intervals (1.2 GB and
// days of simulation). The expansion is bounded (kMaxSimTraceSamples per VM, and
// kMaxSimTraceCells over all VMs) and refused naming the sample after the gap.
TEST_F(SimIoTest, TraceExpansionIsBoundedAndNamesTheSample) {
    const auto hosts = write("hosts.csv", "id,cpu,mem,net\nh1,8,16384,1000\n");
    const auto vms = write("vms.csv", "id,host,cpu,mem,net\nv1,h1,1,1024,10\nv2,h1,1,1024,10\n");
    const auto far =
        write("trace.csv", "time,vm,cpu\n0,v2,0.5\n300,v2,0.5\n0,v1,0.5\n299999700,v1,0.5\n");
    auto r = fleet_scenario(hosts, vms, far, SimConfig{}, 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find("trace.csv:5:time: VM 'v1'"), std::string::npos) << r.error().msg;
    EXPECT_NE(r.error().msg.find("at most " + std::to_string(kMaxSimTraceSamples)),
              std::string::npos)
        << r.error().msg;
    // Exactly at the limit: accepted.
    const auto at =
        write("at.csv", "time,vm,cpu\n0,v1,0.5\n300,v1,0.5\n" +
                            std::to_string((kMaxSimTraceSamples - 1) * 300) + ",v1,0.5\n");
    auto ok = fleet_scenario(hosts, vms, at, SimConfig{}, 1);
    ASSERT_TRUE(ok.has_value()) << ok.error().msg;
    EXPECT_EQ(ok->scenario.intervals, kMaxSimTraceSamples - 1);
    // A finer decision interval than the trace's multiplies the intervals: bounded too.
    SimConfig fine;
    fine.interval_s = 1;
    auto f = fleet_scenario(hosts, vms, at, fine, 1);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().code, ErrorCode::kBadInput);
    EXPECT_NE(f.error().msg.find("intervals"), std::string::npos) << f.error().msg;
}

}  // namespace
}  // namespace fp::io
