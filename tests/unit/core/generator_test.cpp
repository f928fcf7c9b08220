#include "src/model/generator.hpp"

#include <gtest/gtest.h>

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
    EXPECT_GE(racks.size(), 20u);
    EXPECT_GE(sites.size(), 1u);
    EXPECT_GT(hot, 10);
    EXPECT_GT(cold, 50);
    EXPECT_GT(empty, 10);
    EXPECT_GT(off, 0);
    int new_vms = 0;
    for (const Vm& v : f.vms) new_vms += v.is_new();
    EXPECT_EQ(new_vms, 50);
}

}  // namespace
}  // namespace fp::model
