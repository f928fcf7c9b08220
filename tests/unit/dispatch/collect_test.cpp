// collect's core: per-host rates over each host's own two sample times (the clock injected, as
// no real hypervisor answers at chosen times), hosts that cannot be reached recorded as missing
// (libvirt's test driver with a node file that does not exist), the pool's result independent of
// its size, and the missing-host thresholds.
#include "src/dispatch/collect.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "src/dispatch/libvirt/libvirt_connection.hpp"

namespace fp::dispatch {
namespace {

namespace fs = std::filesystem;

DomainStats stats(const std::string& name, double cpu_ns, double rx_bytes) {
    return DomainStats{name, {{"cpu.time", cpu_ns}, {"net.0.rx.bytes", rx_bytes}}};
}

TEST(CollectHostRows, RatesUseTheHostsOwnSampleTimes) {
    HostSample s;
    s.domains = {{"vm-b", true, 1048576, 4}, {"vm-a", true, 524288, 2}, {"off", false, 1024, 1}};
    s.first = {stats("vm-a", 1e9, 0), stats("vm-b", 0, 1e6)};
    s.second = {stats("vm-a", 5e9, 0), stats("vm-b", 8e9, 3e6)};
    s.first_s = 100;
    s.second_s = 104;  // 4 s apart, whatever other hosts did meanwhile
    const auto rows = host_rows("h9", s);
    ASSERT_EQ(rows.size(), 2u);  // the shut-off domain is left out
    EXPECT_EQ(rows[0].vm, "vm-a");
    EXPECT_DOUBLE_EQ(rows[0].cpu, 1.0);  // 4e9 ns of CPU in 4 s
    EXPECT_DOUBLE_EQ(rows[0].mem_size_mib, 512);
    EXPECT_EQ(rows[1].vm, "vm-b");
    EXPECT_DOUBLE_EQ(rows[1].cpu, 2.0);
    EXPECT_DOUBLE_EQ(rows[1].net_mbps, 2e6 * 8 / 4 / 1e6);
    EXPECT_EQ(rows[1].host, "h9");
    s.second_s = s.first_s;  // no time between the samples: no rates
    EXPECT_DOUBLE_EQ(host_rows("h9", s)[0].cpu, 0.0);
}

class CollectTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("fp_collect_" + std::to_string(::getpid()));
        fs::create_directories(dir_);
        node("h1", {"web-1", "web-2"});
        node("h2", {"db-1", "web-1"});  // web-1 on both: a migration in flight
        node("h4", {"cache-1"});
    }
    void TearDown() override { fs::remove_all(dir_); }
    void node(const std::string& host, const std::vector<std::string>& vms) {
        std::ofstream f(dir_ / (host + ".xml"));
        f << "<node>";
        for (const auto& v : vms)
            f << "<domain type='test'><name>" << v
              << "</name><memory>262144</memory><vcpu>2</vcpu><os><type>hvm</type></os></domain>";
        f << "</node>\n";
    }
    std::vector<std::string> uris(const std::vector<std::string>& hosts) const {
        std::vector<std::string> u;
        for (const auto& h : hosts) u.push_back("test://" + (dir_ / (h + ".xml")).string());
        return u;
    }
    fs::path dir_;
};

// A clock that advances by the wait and by 0.25 s at every reading: hosts read one at a time
// take their samples at different instants, and each host's rates must use its own two.
struct FakeClock {
    std::mutex mu;
    double t = 0;
    CollectClock clock() {
        return CollectClock{[this] {
                                std::lock_guard<std::mutex> lock(mu);
                                const double now = t;
                                t += 0.25;
                                return now;
                            },
                            [this](double s) {
                                std::lock_guard<std::mutex> lock(mu);
                                t += s;
                            }};
    }
};

TEST_F(CollectTest, UnreachableHostIsMissingAndTheOthersAreRead) {
    const std::vector<std::string> hosts = {"h1", "h2", "h3", "h4"};  // h3 has no node file
    LibvirtConnector connector;
    FakeClock fake;
    CollectOptions opt;
    opt.gap_s = 2;
    opt.parallel = 1;
    const auto out = sample_hosts(connector, uris(hosts), opt, fake.clock());
    ASSERT_EQ(out.size(), 4u);
    EXPECT_TRUE(out[0].sample && out[1].sample && out[3].sample);
    ASSERT_FALSE(out[2].sample);
    EXPECT_NE(out[2].error.find("h3.xml: cannot connect"), std::string::npos) << out[2].error;
    // Readings: h1, h2, h4 first (0, 0.25, 0.5), the 2 s wait, then 2.75, 3, 3.25: each host's
    // samples 2.75 s apart, at least the gap.
    for (size_t i : {0u, 1u, 3u}) {
        EXPECT_DOUBLE_EQ(out[i].sample->first_s, 0.25 * static_cast<double>(i == 3 ? 2 : i));
        EXPECT_DOUBLE_EQ(out[i].sample->second_s - out[i].sample->first_s, 2.75);
    }
    const Collected c = merge_outcomes(hosts, out);
    ASSERT_EQ(c.missing.size(), 1u);
    EXPECT_EQ(c.missing[0].host, "h3");
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& r : c.rows) got.emplace_back(r.host, r.vm);
    const std::vector<std::pair<std::string, std::string>> want = {
        {"h1", "web-1"}, {"h1", "web-2"}, {"h2", "db-1"}, {"h4", "cache-1"}};
    EXPECT_EQ(got, want);
    ASSERT_EQ(c.warnings.size(), 1u);
    EXPECT_NE(c.warnings[0].find("'web-1' runs on both h1 and h2"), std::string::npos);
}

TEST_F(CollectTest, PoolSizeDoesNotChangeTheResult) {
    const std::vector<std::string> hosts = {"h4", "h3", "h2", "h1"};
    LibvirtConnector connector;
    auto run = [&](int32_t parallel) {
        CollectOptions opt;
        opt.gap_s = 0;
        opt.parallel = parallel;
        return merge_outcomes(hosts,
                              sample_hosts(connector, uris(hosts), opt, steady_collect_clock()));
    };
    const Collected one = run(1);
    for (int32_t p : {2, 3, 8}) {
        const Collected many = run(p);
        ASSERT_EQ(many.rows.size(), one.rows.size()) << p;
        for (size_t i = 0; i < one.rows.size(); ++i) {
            EXPECT_EQ(many.rows[i].host, one.rows[i].host);
            EXPECT_EQ(many.rows[i].vm, one.rows[i].vm);
        }
        ASSERT_EQ(many.missing.size(), 1u);
        EXPECT_EQ(many.missing[0].host, "h3");
        EXPECT_EQ(many.warnings, one.warnings);
    }
    // The first host in the list's order keeps a VM seen twice (h2 before h1 here).
    EXPECT_NE(one.warnings.at(0).find("keeping h2"), std::string::npos) << one.warnings.at(0);
}

TEST(CollectThresholds, StrictAndShareOfMissingHosts) {
    Collected c;
    c.hosts = 10;
    EXPECT_FALSE(too_many_missing(c, Strictness::kStrict, 0.1));
    c.missing = {{"h1", "down"}};
    EXPECT_TRUE(too_many_missing(c, Strictness::kStrict, 0.5));
    EXPECT_FALSE(too_many_missing(c, Strictness::kTolerant, 0.1));  // 1 of 10 is not more
    c.missing.push_back({"h2", "down"});
    EXPECT_TRUE(too_many_missing(c, Strictness::kTolerant, 0.1));
    EXPECT_FALSE(too_many_missing(c, Strictness::kTolerant, 0.2));
    EXPECT_TRUE(too_many_missing(c, Strictness::kTolerant, 0.0));
}

}  // namespace
}  // namespace fp::dispatch
