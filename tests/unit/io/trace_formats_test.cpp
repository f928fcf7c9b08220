// Trace formats (io/trace_formats.hpp): the Bitbrains GWA-T-12 reader on small crafted files
// with hand-computed resampled values, its refusals (FILE:LINE:FIELD), the VM rows of --vms auto,
// and `simulate --trace-format gwa` giving the scenario of the converted interchange CSV.
#include "io/trace_formats.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "io/fleet_csv.hpp"
#include "io/history.hpp"
#include "io/sim_input.hpp"
#include "tests/unit/io/scratch_dir.hpp"

namespace fp::io {
namespace {

namespace fs = std::filesystem;

const std::string kHeader =
    "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\tCPU usage [MHZ];\t"
    "CPU usage [%];\tMemory capacity provisioned [KB];\tMemory usage [KB];\t"
    "Disk read throughput [KB/s];\tDisk write throughput [KB/s];\t"
    "Network received throughput [KB/s];\tNetwork transmitted throughput [KB/s]\n";

// One GWA row: time, cores, provisioned MHz, usage MHz, provisioned KB, usage KB, rx, tx (the
// percentage and disk columns are filler).
std::string row(const std::string& t, const std::string& cores, const std::string& mhz,
                const std::string& use, const std::string& kb, const std::string& mem,
                const std::string& rx, const std::string& tx) {
    return t + ";\t" + cores + ";\t" + mhz + ";\t" + use + ";\t0.0;\t" + kb + ";\t" + mem +
           ";\t1.5;\t0.0;\t" + rx + ";\t" + tx + "\n";
}

class GwaTraceTest : public fp::testing::ScratchDirTest {
  protected:
    // Two VMs with unaligned, gappy samples (the hand computation is in Resamples...).
    void write_two_vms() {
        // VM a: 2 cores; a missing sample between 1300 and 1900; provisioned memory grows.
        write("a.csv", kHeader + row("1000", "2", "2000.0", "500.0", "1000.0", "100.0", "0", "0") +
                           // CRLF, an exponent
                           "1300;\t2;\t2.0E3;\t1000;\t50;\t1000;\t400;\t0;\t0;\t100;\t25\r\n" +
                           row("1900", "2", "2000", "0", "2000", "1000", "200", "50"));
        // VM b: off (0 cores, nothing provisioned) at its first sample, which comes late.
        write("b.csv", kHeader + row("1210", "0", "0.0", "0.0", "0.0", "0.0", "0", "0") +
                           row("1510", "4", "8000", "2000", "4096", "1024", "0", "0") +
                           row("2150", "4", "8000", "8000", "4096", "2048", "0", "0"));
        write(".hidden", "not a trace");
    }
    std::string expect_error(const std::string& name, const std::string& text) {
        const fs::path d = dir_ / ("bad-" + name);
        fs::create_directories(d);
        std::ofstream(d / (name + ".csv")) << text;
        auto r = read_gwa_trace(d.string(), kMaxSimTraceSamples, kMaxSimTraceCells);
        EXPECT_FALSE(r.has_value()) << name;
        if (r) return "";
        EXPECT_EQ(r.error().code, ErrorCode::kBadInput) << r.error().msg;
        return r.error().msg;
    }
};

// The grid starts at 900 (the earliest first sample, 1000, rounded down to a multiple of 300) and
// ends with the bucket of the latest sample (2150): buckets 900, 1200, 1500, 1800, 2100.
//
// VM a, cpu = usage / 2000 MHz: 0.25 from 1000 (and before), 0.5 from 1300, 0 from 1900.
//   [900,1200) 0.25; [1200,1500) (100·0.25 + 200·0.5)/300 = 0.416667; [1500,1800) 0.5;
//   [1800,2100) (100·0.5 + 200·0)/300 = 0.166667; [2100,2400) 0.
// mem = usage / 2000 KB (the largest provisioned): 0.05, 0.2, 0.5 at 1000, 1300, 1900:
//   0.05; (100·0.05 + 200·0.2)/300 = 0.15; 0.2; (100·0.2 + 200·0.5)/300 = 0.4; 0.5.
// net: peak 250 KB/s = 250·8192/10^6 = 2.048 Mbit/s -> reference 3 Mbit/s; samples 0, 1.024/3,
//   2.048/3: 0; (200·1.024/3)/300 = 0.227556; 0.341333; (100·1.024 + 200·2.048)/900 = 0.568889;
//   0.682667.
// VM b, cpu = usage / 8000 MHz: 0 until 1510, 0.25 until 2150, then 1: 0; 0;
//   (10·0 + 290·0.25)/300 = 0.241667; 0.25; (50·0.25 + 250·1)/300 = 0.875.
// mem / 4096 KB: 0, 0.25, 0.5 at the same times: 0; 0; 0.241667; 0.25; (50·0.25 + 250·0.5)/300 =
//   0.458333. net: never any -> reference 1 Mbit/s, all 0.
TEST_F(GwaTraceTest, ResamplesUnalignedSamplesOntoThe300sGrid) {
    write_two_vms();
    auto g = read_gwa_trace(dir_.string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    EXPECT_EQ(g->start_s, 900);
    EXPECT_EQ(g->buckets, 5);
    ASSERT_EQ(g->vms.size(), 2u);
    EXPECT_EQ(g->vms[0].id, "a");
    EXPECT_EQ(g->vms[0].cores, 2);
    EXPECT_EQ(g->vms[0].net_mbps, 3);
    EXPECT_EQ(g->vms[1].id, "b");
    EXPECT_EQ(g->vms[1].cores, 4);
    EXPECT_EQ(g->vms[1].net_mbps, 1);
    EXPECT_EQ(gwa_trace_csv(*g),
              "time,vm,cpu,mem,net\n"
              "900,a,0.250000,0.050000,0.000000\n"
              "1200,a,0.416667,0.150000,0.227556\n"
              "1500,a,0.500000,0.200000,0.341333\n"
              "1800,a,0.166667,0.400000,0.568889\n"
              "2100,a,0.000000,0.500000,0.682667\n"
              "900,b,0.000000,0.000000,0.000000\n"
              "1200,b,0.000000,0.000000,0.000000\n"
              "1500,b,0.241667,0.241667,0.000000\n"
              "1800,b,0.250000,0.250000,0.000000\n"
              "2100,b,0.875000,0.458333,0.000000\n");
}

// cpu = cores × the first bucket (a: 2 × 0.25 = 0.5; b: 4 × 0 = 0), mem = the largest provisioned
// KB in MiB (2000/1024 = 1.953125; 4096/1024 = 4), net = the reference, cpu_alloc = the cores.
TEST_F(GwaTraceTest, VmRowsForVmsAuto) {
    write_two_vms();
    auto g = read_gwa_trace(dir_.string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    EXPECT_EQ(gwa_vms_csv(*g),
              "id,host,cpu,mem,net,cpu_alloc\n"
              "a,,0.5,1.953125,3,2\n"
              "b,,0,4,1,4\n");
}

TEST_F(GwaTraceTest, RefusesMalformedFilesNamingFileLineAndField) {
    const std::string ok = row("1000", "1", "2000", "100", "1024", "512", "0", "0");
    const auto has = [](const std::string& msg, const std::string& what) {
        EXPECT_NE(msg.find(what), std::string::npos) << "expected " << what << " in:\n" << msg;
    };
    has(expect_error("nan", kHeader + ok + row("1300", "1", "2000", "nan", "1024", "0", "0", "0")),
        "nan.csv:3:CPU usage [MHZ]: ");
    has(expect_error("neg", kHeader + row("1000", "1", "2000", "1", "1024", "-5", "0", "0")),
        "neg.csv:2:Memory usage [KB]: ");
    has(expect_error("col",
                     "Timestamp [ms];\tCPU cores;\tCPU capacity provisioned [MHZ];\t"
                     "CPU usage [MHZ];\tMemory capacity provisioned [KB];\tMemory usage "
                     "[KB];\tNetwork received throughput [KB/s]\n" +
                         ok),
        "col.csv:1:Network transmitted throughput [KB/s]: missing column");
    has(expect_error("back", kHeader + ok + row("1300", "1", "2000", "1", "1024", "0", "0", "0") +
                                 row("1300", "1", "2000", "1", "1024", "0", "0", "0")),
        "back.csv:4:Timestamp [ms]: 1300 is not after the previous sample's 1300 (line 3)");
    has(expect_error("empty", ""), "empty.csv:1:Timestamp [ms]: empty file");
    has(expect_error("short", kHeader + ok + "1300;\t1;\t2000;\t5\n"),
        "short.csv:3:CPU usage [%]: 4 fields, the header has 11");
    has(expect_error("frac", kHeader + row("1000", "1.5", "2000", "1", "1024", "0", "0", "0")),
        "frac.csv:2:CPU cores: not an integer");
    has(expect_error("big", kHeader + row("1000", "1", "100", "1001", "1024", "0", "0", "0")),
        "big.csv:2:CPU usage [MHZ]: 1001 MHz is more than 10 times");
    // Not a directory; a directory without files.
    auto nd = read_gwa_trace((dir_ / "nope").string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_FALSE(nd.has_value());
    EXPECT_EQ(nd.error().code, ErrorCode::kBadInput);
    fs::create_directories(dir_ / "none");
    auto none = read_gwa_trace((dir_ / "none").string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_FALSE(none.has_value());
    has(none.error().msg, "no trace files");
}

// 72 files of the Bitbrains day have a header and no samples: VMs without a trace that day.
TEST_F(GwaTraceTest, FilesWithoutSamplesAreLeftOutWithAWarning) {
    write("a.csv", kHeader + row("1000", "1", "2000", "100", "1024", "512", "0", "0"));
    write("b.csv", kHeader);
    auto g = read_gwa_trace(dir_.string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    ASSERT_EQ(g->vms.size(), 1u);
    EXPECT_EQ(g->vms[0].id, "a");
    ASSERT_EQ(g->warnings.size(), 1u);
    EXPECT_NE(g->warnings[0].find("1 files have a header and no samples"), std::string::npos)
        << g->warnings[0];
    EXPECT_NE(g->warnings[0].find("'b.csv'"), std::string::npos) << g->warnings[0];
    const std::string msg = expect_error("header", kHeader);
    EXPECT_NE(msg.find("no samples in any trace file"), std::string::npos) << msg;
}

TEST_F(GwaTraceTest, RefusesAGridLongerThanTheBound) {
    write("a.csv", kHeader + row("0", "1", "2000", "1", "1024", "0", "0", "0") +
                       row("3000", "1", "2000", "1", "1024", "0", "0", "0"));
    auto g = read_gwa_trace(dir_.string(), 10, kMaxSimTraceCells);  // 11 buckets
    ASSERT_FALSE(g.has_value());
    EXPECT_NE(g.error().msg.find("a.csv:3:Timestamp [ms]: "), std::string::npos) << g.error().msg;
    EXPECT_NE(g.error().msg.find("11 buckets"), std::string::npos) << g.error().msg;
    ASSERT_TRUE(read_gwa_trace(dir_.string(), 11, kMaxSimTraceCells).has_value());
}

// Issue 19: one timestamp months away on one VM made every VM's series that long before the
// cells bound (kMaxSimTraceCells over all VMs) refused it, naming no file: 700 VMs x 100,001
// buckets (a year) are 70 M cells, 1.7 GB of resampled doubles before the CSV text of them. The
// bound now applies before resampling and names the file, line and field of the outlier.
TEST_F(GwaTraceTest, RefusesAnOutlierTimestampBeforeResamplingNamingIt) {
    const std::string one = row("1000200", "1", "2000", "100", "1024", "512", "0", "0") +
                            row("1000500", "1", "2000", "100", "1024", "512", "0", "0");
    constexpr int kVms = 700;
    static_assert(kVms * 100001LL > kMaxSimTraceCells && 100001 < kMaxSimTraceSamples);
    for (int v = 0; v < kVms; ++v)
        write("v" + std::to_string(1000 + v) + ".csv",
              kHeader + one +
                  (v == 7 ? row(std::to_string(1000200 + 100000 * 300), "1", "2000", "100", "1024",
                                "512", "0", "0")
                          : ""));
    fs::create_directories(dir_ / "fleet");  // a directory: not a trace file
    const std::string hosts_csv = (dir_ / "fleet" / "hosts.csv").string();
    std::ofstream(hosts_csv) << "id,cpu,mem,net\nh1,8,16384,1000\n";
    auto r = fleet_scenario(hosts_csv, kVmsAuto, dir_.string(), TraceFormat::kGwa, SimConfig{}, 1);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find("/v1007.csv:4:Timestamp [ms]: 31000200 makes the files span"),
              std::string::npos)
        << r.error().msg;
    EXPECT_NE(r.error().msg.find("with 700 VMs at most 91428"), std::string::npos) << r.error().msg;
}

// The same bound on a small scale, with the outlier at the early end: a first sample long before
// the other files' is named (not the latest sample, which is ordinary).
TEST_F(GwaTraceTest, NamesAnEarlyOutlierAndBoundsTheCells) {
    for (const char* v : {"a", "b", "c"})
        write(std::string(v) + ".csv",
              kHeader + row("30000", "1", "2000", "100", "1024", "512", "0", "0") +
                  row("30600", "1", "2000", "100", "1024", "512", "0", "0"));
    write("d.csv", kHeader + row("0", "1", "2000", "100", "1024", "512", "0", "0") +
                       row("30000", "1", "2000", "100", "1024", "512", "0", "0"));
    // 103 buckets (0 to 30600) x 4 VMs = 412 cells.
    auto g = read_gwa_trace(dir_.string(), 1000, 411);
    ASSERT_FALSE(g.has_value());
    EXPECT_NE(g.error().msg.find("/d.csv:2:Timestamp [ms]: 0 makes the files span 30600 s (to "
                                 "30600 at "),
              std::string::npos)
        << g.error().msg;
    EXPECT_NE(g.error().msg.find("103 buckets of 300 s, with 4 VMs at most 102 (411 "),
              std::string::npos)
        << g.error().msg;
    auto ok = read_gwa_trace(dir_.string(), 1000, 412);
    ASSERT_TRUE(ok.has_value()) << ok.error().msg;
    EXPECT_EQ(ok->buckets, 103);
}

// Issue 19: --vms auto derived sizes above vms.csv's 1e9 cap, and vms.csv's reader then named a
// line of the generated rows. Each derived value is checked where it is made, naming the GWA
// sample it comes from: memory (2e12 KB = 1.95e9 MiB), network (rx 2e11 KB/s = 1.6e9 Mbit/s),
// cpu (6e8 cores x a first-bucket usage of twice the provisioned MHz = 1.2e9 cores).
TEST_F(GwaTraceTest, RefusesDerivedVmSizesAboveTheCapNamingTheSample) {
    const std::string hosts = (dir_ / "hosts.csv").string();
    std::ofstream(hosts) << "id,cpu,mem,net\nh1,8,16384,1000\n";
    const auto refused = [&](const std::string& name, const std::string& rows,
                             const std::string& what) {
        const fs::path d = dir_ / name;
        fs::create_directories(d);
        std::ofstream(d / (name + ".csv")) << kHeader + rows;
        auto r = fleet_scenario(hosts, kVmsAuto, d.string(), TraceFormat::kGwa, SimConfig{}, 1);
        ASSERT_FALSE(r.has_value()) << name;
        EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
        EXPECT_NE(r.error().msg.find(d.string() + "/" + name + ".csv:" + what), std::string::npos)
            << r.error().msg;
        EXPECT_EQ(r.error().msg.find("--vms auto):"), std::string::npos) << r.error().msg;
    };
    const std::string ok = row("1000", "1", "2000", "100", "1024", "512", "0", "0");
    refused("mem", ok + row("1300", "1", "2000", "100", "2e12", "512", "0", "0"),
            "3:Memory capacity provisioned [KB]: 2000000000000 KB is 1953125000 MiB");
    refused("net", ok + row("1300", "1", "2000", "100", "1024", "512", "2e11", "5"),
            "3:Network received throughput [KB/s]: received + transmitted 200000000005 KB/s is "
            "1638400001 Mbit/s");
    refused("cpu",
            row("1000", "600000000", "1000", "2000", "1024", "512", "0", "0") +
                row("1300", "1", "1000", "100", "1024", "512", "0", "0"),
            "2:CPU usage [MHZ]: 600000000 cores x the first 300 s's usage 2 is 1200000000 cores");
    // At the caps: accepted (1e9 MiB; 1e9 Mbit/s = 122070312500 KB/s; 5e8 cores x 2).
    const fs::path at = dir_ / "at";
    fs::create_directories(at);
    std::ofstream(at / "x.csv") << kHeader + row("1000", "500000000", "1000", "2000",
                                                 "1024000000000", "512", "122070312500", "0");
    auto g = read_gwa_trace(at.string(), kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    auto f =
        parse_fleet("id,cpu,mem,net\nh1,8,16384,1000\n", "hosts.csv", gwa_vms_csv(*g), "vms.csv");
    ASSERT_TRUE(f.has_value()) << f.error().msg;
    EXPECT_EQ(gwa_vms_csv(*g),
              "id,host,cpu,mem,net,cpu_alloc\nx,,1000000000,1000000000,1000000000,"
              "500000000\n");
}

// simulate on the GWA directory with --vms auto builds the scenario it builds from the files
// convert-trace writes (the same VM rows, the same series).
TEST_F(GwaTraceTest, SimulatingTheDirectoryEqualsSimulatingTheConvertedCsv) {
    write_two_vms();
    const std::string gwa = dir_.string();
    fs::create_directories(dir_ / "out");
    const std::string hosts = (dir_ / "out" / "hosts.csv").string();
    std::ofstream(hosts) << "id,cpu,mem,net\nh1,8,16384,1000\nh2,8,16384,1000\n";
    auto g = read_gwa_trace(gwa, kMaxSimTraceSamples, kMaxSimTraceCells);
    ASSERT_TRUE(g.has_value()) << g.error().msg;
    const std::string csv = (dir_ / "out" / "trace.csv").string();
    const std::string vms = (dir_ / "out" / "vms.csv").string();
    std::ofstream(csv) << gwa_trace_csv(*g);
    std::ofstream(vms) << gwa_vms_csv(*g);
    auto a = fleet_scenario(hosts, kVmsAuto, gwa, TraceFormat::kGwa, SimConfig{}, 1);
    ASSERT_TRUE(a.has_value()) << a.error().msg;
    auto b = fleet_scenario(hosts, vms, csv, TraceFormat::kCsv, SimConfig{}, 1);
    ASSERT_TRUE(b.has_value()) << b.error().msg;
    EXPECT_EQ(a->vms_text, b->vms_text);
    EXPECT_EQ(a->scenario.trace, b->scenario.trace);
    EXPECT_EQ(a->scenario.vm_mips, b->scenario.vm_mips);
    EXPECT_EQ(a->scenario.vm_ram_mb, b->scenario.vm_ram_mb);
    EXPECT_EQ(a->scenario.intervals, 4);
    EXPECT_EQ(a->scenario.interval_s, 300);
    // VM a's CPU series (float fractions of 2 cores).
    ASSERT_EQ(a->scenario.trace[0].size(), 5u);
    EXPECT_FLOAT_EQ(a->scenario.trace[0][1], 0.416667f);
    EXPECT_DOUBLE_EQ(a->scenario.vm_mips[0], 2000.0);

    // --vms auto needs the GWA format; a directory is not a CSV; a trace VM must be a fleet VM.
    auto no_auto = fleet_scenario(hosts, kVmsAuto, csv, TraceFormat::kCsv, SimConfig{}, 1);
    ASSERT_FALSE(no_auto.has_value());
    EXPECT_NE(no_auto.error().msg.find("--trace-format gwa"), std::string::npos);
    auto dir_csv = fleet_scenario(hosts, vms, gwa, TraceFormat::kCsv, SimConfig{}, 1);
    ASSERT_FALSE(dir_csv.has_value());
    EXPECT_EQ(dir_csv.error().code, ErrorCode::kBadInput);
    const std::string only_a = (dir_ / "out" / "only_a.csv").string();
    std::ofstream(only_a) << "id,host,cpu,mem,net\na,,1,1024,1\n";
    auto unknown = fleet_scenario(hosts, only_a, gwa, TraceFormat::kGwa, SimConfig{}, 1);
    ASSERT_FALSE(unknown.has_value());
    EXPECT_NE(unknown.error().msg.find("VM 'b' (a trace file) is not in"), std::string::npos)
        << unknown.error().msg;
}

// A PlanetLab directory as the interchange CSV: series aligned at their ends; read back, the
// same series as the directory gives.
TEST_F(GwaTraceTest, PlanetLabDirectoryConvertsToTheSameSeries) {
    fs::create_directories(dir_ / "pl");
    std::ofstream(dir_ / "pl" / "v1") << "10\n20\n30\n";
    std::ofstream(dir_ / "pl" / "v2") << "7\n99\n";
    auto c = planetlab_trace_csv((dir_ / "pl").string());
    ASSERT_TRUE(c.has_value()) << c.error().msg;
    EXPECT_EQ(*c, "time,vm,cpu\n0,v1,0.1\n300,v1,0.2\n600,v1,0.3\n300,v2,0.07\n600,v2,0.99\n");
    auto f = parse_fleet("id,cpu,mem,net\nh1,8,16384,1000\n", "hosts.csv",
                         "id,host,cpu,mem,net\nv1,h1,1,1024,10\nv2,h1,1,1024,10\n", "vms.csv");
    ASSERT_TRUE(f.has_value()) << f.error().msg;
    auto from_dir = load_history((dir_ / "pl").string(), f->fleet);
    auto from_csv = parse_history_csv(*c, "trace.csv", f->fleet);
    ASSERT_TRUE(from_dir.has_value()) << from_dir.error().msg;
    ASSERT_TRUE(from_csv.has_value()) << from_csv.error().msg;
    EXPECT_EQ(from_dir->cpu, from_csv->history.cpu);
    EXPECT_EQ(from_dir->interval_s, from_csv->history.interval_s);
}

}  // namespace
}  // namespace fp::io
