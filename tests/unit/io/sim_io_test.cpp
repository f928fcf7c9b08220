// Simulator inputs and checkpoints: PlanetLab day directories (order file, names with spaces,
// bad files with exact FILE:LINE:FIELD messages) and the HDF5 checkpoint's exact round trip.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>

#include "io/fleet_csv.hpp"
#include "io/history.hpp"
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
    auto r = fleet_scenario(hosts, vms, far, TraceFormat::kAuto, SimConfig{}, 1);
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
    auto ok = fleet_scenario(hosts, vms, at, TraceFormat::kAuto, SimConfig{}, 1);
    ASSERT_TRUE(ok.has_value()) << ok.error().msg;
    EXPECT_EQ(ok->scenario.intervals, kMaxSimTraceSamples - 1);
    // A finer decision interval than the trace's multiplies the intervals: bounded too.
    SimConfig fine;
    fine.interval_s = 1;
    auto f = fleet_scenario(hosts, vms, at, TraceFormat::kAuto, fine, 1);
    ASSERT_FALSE(f.has_value());
    EXPECT_EQ(f.error().code, ErrorCode::kBadInput);
    EXPECT_NE(f.error().msg.find("intervals"), std::string::npos) << f.error().msg;
}

TEST_F(SimIoTest, MemColumnDrivesMemoryDemandAndRoundTripsInTheCheckpoint) {
    // v1 (mem_size 2048 MiB) has memory samples from t = 300 on: 0.5 before it (its first value
    // repeated), 0.5, 0.75; v2 (no mem_size: of its mem) has none: its whole 1024 MiB.
    const auto hosts = write("hosts.csv", "id,cpu,mem,net\nh1,8,16384,1000\n");
    const auto vms =
        write("vms.csv", "id,host,cpu,mem,net,mem_size\nv1,h1,1,1024,10,2048\nv2,h1,1,1024,10,\n");
    const auto trace = write("trace.csv",
                             "time,vm,cpu,mem\n0,v1,0.5,\n300,v1,0.5,0.5\n600,v1,0.5,0.75\n"
                             "0,v2,0.5,\n300,v2,0.5,\n600,v2,0.5,\n");
    auto r = fleet_scenario(hosts, vms, trace, TraceFormat::kAuto, SimConfig{}, 1);
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    const sim::Scenario& sc = r->scenario;
    ASSERT_EQ(sc.mem_trace.size(), 2u);
    EXPECT_EQ(sc.mem_trace[0], (std::vector<double>{0.5, 0.5, 0.75}));
    EXPECT_TRUE(sc.mem_trace[1].empty());
    EXPECT_DOUBLE_EQ(sc.mem_demand_mb(0, 0), 1024);
    EXPECT_DOUBLE_EQ(sc.mem_demand_mb(0, 600), 1536);
    EXPECT_DOUBLE_EQ(sc.mem_demand_mb(1, 600), 1024);
    SimCheckpoint ck;
    ck.scenario = sc;
    sim::Engine e(sc, *sim::make_chain("best", 1));
    ASSERT_TRUE(e.run(1, nullptr).has_value());
    ck.state = e.save_state();
    const std::string path = (dir_ / "mem.h5").string();
    ASSERT_TRUE(write_sim_checkpoint(path, ck).has_value());
    auto back = read_sim_checkpoint(path);
    ASSERT_TRUE(back.has_value()) << back.error().msg;
    EXPECT_EQ(back->scenario.mem_trace, sc.mem_trace);
}

// Issue 16: simulate's trace reader (parallel, flat arrays) gives what the history reader gives:
// the same series, interval, length and warnings, or the same messages, word for word.
class TraceReaderTest : public fp::testing::ScratchDirTest {
  protected:
    void SetUp() override {
        ScratchDirTest::SetUp();
        std::string vms = "id,host,cpu,mem,net\n";
        for (int i = 0; i < 6; ++i) vms += "v" + std::to_string(i) + ",h1,1,1024,10\n";
        auto f = parse_fleet("id,cpu,mem,net\nh1,8,16384,1000\n", "hosts.csv", vms, "vms.csv");
        ASSERT_TRUE(f.has_value()) << f.error().msg;
        fleet_ = std::move(f->fleet);
        fleet_.index();
    }
    // Both readers on TEXT (written to NAME); the failure text when they differ.
    std::string differences(const std::string& name, const std::string& text,
                            int64_t max_len = kMaxHistorySeriesLength) {
        const std::string path = write(name, text);
        auto fast = read_trace_cpu(path, fleet_, max_len);
        auto ref = load_history_with_warnings(path, fleet_, max_len);
        if (fast.has_value() != ref.has_value())
            return name + ": one reader accepts, the other refuses: " +
                   (fast ? ref.error().msg : fast.error().msg);
        if (!fast) {
            if (fast.error().code != ref.error().code) return name + ": error codes differ";
            if (fast.error().msg != ref.error().msg)
                return name + ":\nfast: " + fast.error().msg + "\nhistory: " + ref.error().msg;
            last_error_ = fast.error().msg;
            return "";
        }
        const model::History& h = ref->history;
        if (fast->interval_s != h.interval_s || fast->length != h.length)
            return name + ": interval or length differ";
        if (fast->warnings != ref->warnings) return name + ": warnings differ";
        for (size_t v = 0; v < fleet_.vms.size(); ++v) {
            const std::vector<float> series(fast->values.begin() + fast->begin[v],
                                            fast->values.begin() + fast->begin[v + 1]);
            if (series != h.cpu[v]) return name + ": VM " + std::to_string(v) + "'s series differ";
            // Memory: the same series after the NaN that stands before a VM's first sample.
            std::vector<float> mem;
            if (!fast->mem.empty())
                for (auto i = fast->begin[v]; i < fast->begin[v + 1]; ++i)
                    if (!mem.empty() || !std::isnan(fast->mem[static_cast<size_t>(i)]))
                        mem.push_back(fast->mem[static_cast<size_t>(i)]);
            if (mem != h.mem[v]) return name + ": VM " + std::to_string(v) + "'s memory differs";
        }
        last_error_.clear();
        return "";
    }
    model::Fleet fleet_;
    std::string last_error_;
};

TEST_F(TraceReaderTest, AcceptsWhatTheHistoryReaderAcceptsWithTheSameSeries) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"plain", "time,vm,cpu\n0,v0,0.5\n0,v1,0.25\n300,v0,0.75\n300,v1,1\n"},
        // Out of time order, gaps carried forward, a slot taken twice (the later wins), a VM
        // with one sample, VMs without any.
        {"unsorted",
         "time,vm,cpu\n900,v0,0.9\n0,v0,0.1\n300,v2,0.3\n1500,v0,0.5\n1400,v0,0.4\n"
         "0,v2,0.2\n600,v3,0.6\n"},
        // The general number forms, quoted fields, spaces, an unknown column (a warning), a
        // byte-order mark, CRLF and blank lines, mem and net with empty fields.
        {"forms",
         "\xEF\xBB\xBFtime, vm ,cpu,mem,net,note\r\n300.0,\"v0\",5e-1,,0.1,x\r\n\r\n"
         "0,v0, 0.25 ,0.5,,\"a,b\"\r\n+600,v0,+1.0E0,0,0,\n"},
        {"lone CR in a field", "time,vm,cpu,note\n0,v0,0.5,a\rb\n300,v0,0.5,\n"},
        {"one time", "time,vm,cpu\n42,v4,0.4\n42,v5,0.5\n"},
        // Memory from its first sample on, carried over gaps and empty fields.
        {"mem",
         "time,vm,cpu,mem\n0,v0,0.5,\n300,v0,0.5,0.25\n600,v0,0.5,\n900,v0,0.5,0.75\n"
         "0,v1,0.1,0.5\n900,v1,0.2,1\n950,v1,0.3,\n1200,v1,0.1,0.125\n"},
    };
    for (const auto& [name, text] : cases) EXPECT_EQ(differences("t.csv", text), "") << name;
}

TEST_F(TraceReaderTest, RefusesWhatTheHistoryReaderRefusesWithItsMessages) {
    const std::vector<std::pair<std::string, std::string>> cases = {
        {"bad number", "time,vm,cpu\n0,v0,abc\n"},
        {"missing field", "time,vm,cpu,mem\n0,v0,,0.5\n0,,0.5,\n,v1,0.5,\n"},
        {"unknown VM", "time,vm,cpu\n0,v0,0.5\n0,nope,0.5\n"},
        {"NaN", "time,vm,cpu,net\n0,v0,nan,0.1\n300,v0,0.5,NaN\n600,v0,inf,0.1\n"},
        {"negative", "time,vm,cpu,mem\n0,v0,-0.1,0.1\n-300,v1,0.5,0.5\n0,v2,0.5,-1e-9\n"},
        {"out of range", "time,vm,cpu\n0,v0,10.5\n1e16,v1,0.5\n"},
        {"not whole seconds", "time,vm,cpu\n0.5,v0,0.5\n"},
        {"duplicate (time,vm)",
         "time,vm,cpu\n0,v0,0.5\n300,v1,0.5\n0,v0,0.6\n300,v1,0.1\n"
         "0,v0,0.7\n300,v0,0.5\n"},
        {"missing column", "time,cpu\n0,0.5\n"},
        {"duplicate column", "time,vm,cpu,cpu\n0,v0,0.5,0.5\n"},
        {"field count", "time,vm,cpu\n0,v0,0.5\n300,v0\n"},
        {"unterminated quote", "time,vm,cpu\n0,\"v0,0.5\n"},
        {"header fault and a row fault", "time,cpu\n0,\"v0,0.5\n"},
        {"empty file", ""},
        {"row fault after a quoted newline",
         "time,vm,cpu,note\n0,v0,0.5,\"two\nlines\"\n"
         "300,v0,x,\n"},
    };
    for (const auto& [name, text] : cases) {
        EXPECT_EQ(differences("t.csv", text), "") << name;
        EXPECT_FALSE(last_error_.empty()) << name << " was accepted";
    }
    // The bounds: a series longer than allowed, and gaps too wide for the samples given.
    EXPECT_EQ(differences("long.csv", "time,vm,cpu\n0,v0,0.5\n300,v0,0.5\n0,v1,1\n9000,v1,1\n", 10),
              "");
    EXPECT_NE(last_error_.find("long.csv:5:time: VM 'v1': 9000 s after"), std::string::npos)
        << last_error_;
    std::string sparse = "time,vm,cpu\n";
    for (int v = 0; v < 6; ++v)
        sparse += "0,v" + std::to_string(v) + ",0.5\n1,v" + std::to_string(v) + ",0.5\n" +
                  std::to_string(200000 + v) + ",v" + std::to_string(v) + ",0.5\n";
    EXPECT_EQ(differences("sparse.csv", sparse), "");
    EXPECT_NE(last_error_.find("filling gaps"), std::string::npos) << last_error_;
}

// Errors spread over a file of several MiB (several parallel ranges): the first 20 in line
// order, and "(further errors not shown)" exactly when a row was left unchecked.
TEST_F(TraceReaderTest, ListsTheFirstTwentyErrorsOverRangesAsTheHistoryReaderDoes) {
    const auto big = [](const std::vector<int>& bad_rows, int rows) {
        std::string t = "time,vm,cpu,mem\n";
        size_t next = 0;
        for (int r = 0; r < rows; ++r) {
            const bool bad = next < bad_rows.size() && bad_rows[next] == r;
            next += bad ? 1 : 0;
            t += std::to_string((r / 6) * 300) + ",v" + std::to_string(r % 6) + "," +
                 (bad ? (r % 2 ? "x,0.25" : "0.5,-1") : "0.5,0.25") + "\n";
        }
        return t;
    };
    std::vector<int> spread;
    for (int i = 0; i < 30; ++i) spread.push_back(i * 9001 + 7);
    EXPECT_EQ(differences("spread.csv", big(spread, 300000)), "");
    EXPECT_NE(last_error_.find("(further errors not shown)"), std::string::npos);
    // Exactly 20 messages on the last row: nothing left unchecked.
    std::vector<int> last;
    for (int i = 0; i < 19; ++i) last.push_back(299981 + i);
    std::string exact = big(last, 300000) + "1,v0,x,0.25\n";
    EXPECT_EQ(differences("exact.csv", exact), "");
    EXPECT_EQ(last_error_.find("(further errors not shown)"), std::string::npos) << last_error_;
    // 19 messages, then a row with two: one is left out.
    EXPECT_EQ(differences("over.csv", big(last, 300000) + "1,v0,x,x\n"), "");
    EXPECT_NE(last_error_.find("(further errors not shown)"), std::string::npos);
    // 20 messages, then one good row: that row was left unchecked.
    EXPECT_EQ(differences("then.csv", exact + "1,v1,0.5,0.5\n"), "");
    EXPECT_NE(last_error_.find("(further errors not shown)"), std::string::npos);
    // A duplicate far from its first sample (the lines come from a second scan).
    std::string dup = big({}, 300000) + "0,v3,0.5,0.5\n";
    EXPECT_EQ(differences("dup.csv", dup), "");
    EXPECT_NE(last_error_.find(":300002:time: duplicate sample for VM 'v3' at time 0 (first on "
                               "line 5)"),
              std::string::npos)
        << last_error_;
    // And a clean file of that size reads the same.
    EXPECT_EQ(differences("clean.csv", big({}, 300000)), "");
}

}  // namespace
}  // namespace fp::io
