#include "src/model/generator.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "src/model/placement_state.hpp"

namespace fp::model {
namespace {

TEST(GenerateFleet, SameSeedSameFleetOtherSeedOtherFleet) {
    GeneratorOptions o;
    o.hosts = 300;
    o.vms = 3000;
    o.seed = 5;
    const Fleet a = generate_fleet(o), b = generate_fleet(o);
    ASSERT_EQ(a.vms.size(), b.vms.size());
    for (size_t i = 0; i < a.vms.size(); ++i) {
        EXPECT_EQ(a.vms[i].host, b.vms[i].host);
        EXPECT_EQ(a.vms[i].demand, b.vms[i].demand);
    }
    o.seed = 6;
    const Fleet c = generate_fleet(o);
    size_t differ = 0;
    for (size_t i = 0; i < a.vms.size(); ++i) differ += a.vms[i].host != c.vms[i].host;
    EXPECT_GT(differ, a.vms.size() / 2);
}

TEST(GenerateFleet, IsMessyHeterogeneousAndHasNewVms) {
    GeneratorOptions o;
    o.hosts = 500;
    o.vms = 5000;
    o.seed = 1;
    const Fleet f = generate_fleet(o);
    PlacementState s(f, 900000);
    int hot = 0, cold = 0, empty = 0, off = 0, maintenance = 0;
    std::set<int64_t> cpu_sizes;
    std::set<std::string> racks, sites;
    for (int32_t h = 0; h < s.host_count(); ++h) {
        const Host& host = f.hosts[static_cast<size_t>(h)];
        cpu_sizes.insert(host.capacity[kCpu]);
        racks.insert(host.rack);
        sites.insert(host.site);
        off += host.state == HostState::kOff;
        maintenance += host.state == HostState::kMaintenance;
        if (host.state != HostState::kActive) continue;
        if (s.vms_on(h).empty())
            ++empty;
        else if (s.overloaded(h))
            ++hot;
        else if (s.max_util(h) < 0.3)
            ++cold;
    }
    EXPECT_GE(cpu_sizes.size(), 3u);
    EXPECT_EQ(racks.size(), 25u);                   // 500 hosts in racks of 20
    EXPECT_EQ(sites, std::set<std::string>{"s1"});  // fewer than 800 hosts: one site
    EXPECT_GT(hot, 10);
    EXPECT_GT(cold, 50);
    EXPECT_GT(empty, 10);
    EXPECT_GT(off, 0);
    EXPECT_GT(maintenance, 0);
    int new_vms = 0;
    for (const Vm& v : f.vms) new_vms += v.is_new();
    EXPECT_EQ(new_vms, 50);
}

// The layout the generator promises: racks of 20 hosts in host order (the last one holds the
// rest), clamp(hosts / 400, 1, 8) sites named s1.., and racks dealt to sites in contiguous blocks
// of near-equal numbers of racks, so a rack never spans two sites. The counts below are worked
// out by hand from that rule, not from the generator's code.
TEST(GenerateFleet, DealsRacksOfTwentyHostsToSitesInContiguousBlocks) {
    struct Case {
        int64_t hosts;
        std::string first_rack, last_rack;
        std::vector<int64_t> hosts_per_site;  // s1, s2, ...
    };
    const Case cases[] = {
        {399, "r01", "r20", {399}},  // 399 / 400 = 0 sites: at least one
        {800, "r01", "r40", {400, 400}},
        // 103 racks (the last of 10 hosts) over 5 sites: 21, 21, 20, 21, 20 racks.
        {2050, "r001", "r103", {420, 420, 400, 420, 390}},
        {4000, "r001", "r200", std::vector<int64_t>(8, 500)},  // 10 sites by size: at most 8
    };
    for (const Case& c : cases) {
        SCOPED_TRACE("hosts = " + std::to_string(c.hosts));
        GeneratorOptions o;
        o.hosts = c.hosts;
        o.vms = 10;
        o.seed = 3;
        const Fleet f = generate_fleet(o);
        ASSERT_EQ(f.hosts.size(), static_cast<size_t>(c.hosts));
        std::map<std::string, int64_t> per_site;
        std::map<std::string, std::set<std::string>> sites_of_rack;
        std::map<std::string, int64_t> per_rack;
        std::vector<std::string> site_order;  // each site as it first appears in host order
        std::string prev_rack;
        for (const Host& h : f.hosts) {
            ++per_site[h.site];
            ++per_rack[h.rack];
            sites_of_rack[h.rack].insert(h.site);
            if (site_order.empty() || site_order.back() != h.site) site_order.push_back(h.site);
            if (!prev_rack.empty()) {
                EXPECT_LE(prev_rack, h.rack) << h.id;  // a rack's hosts are consecutive
            }
            prev_rack = h.rack;
        }
        std::vector<int64_t> counts;
        std::vector<std::string> names, want_names;
        for (const auto& [site, n] : per_site) {
            names.push_back(site);
            counts.push_back(n);
        }
        for (size_t s = 1; s <= c.hosts_per_site.size(); ++s)
            want_names.push_back("s" + std::to_string(s));
        EXPECT_EQ(names, want_names);
        EXPECT_EQ(counts, c.hosts_per_site);
        // Contiguous blocks: a site, once left in host order, never comes back.
        EXPECT_EQ(site_order, want_names);
        for (const auto& [rack, sites] : sites_of_rack) {
            EXPECT_EQ(sites.size(), 1u) << "rack " << rack << " spans sites";
        }
        EXPECT_EQ(per_rack.begin()->first, c.first_rack);
        EXPECT_EQ(per_rack.rbegin()->first, c.last_rack);
        EXPECT_EQ(per_rack.size(), static_cast<size_t>((c.hosts + 19) / 20));
        const int64_t last_rack_hosts = c.hosts % 20 == 0 ? 20 : c.hosts % 20;
        for (const auto& [rack, n] : per_rack) {
            EXPECT_EQ(n, rack == c.last_rack ? last_rack_hosts : 20) << rack;
        }
    }
}

}  // namespace
}  // namespace fp::model
