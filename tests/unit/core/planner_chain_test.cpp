// The simulator's planner chain (src/sim/planner_chain.hpp) on crafted fleets whose outcome is
// worked out by hand in the comments: how VMs created at time 0 are placed, and that placing
// them does not start their cooldown.
#include "src/sim/planner_chain.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"
#include "src/sim/byte_codec.hpp"
#include "src/sim/engine.hpp"

namespace fp::sim {
namespace {

// `hosts` hosts of 4 cores (1000 MIPS each), 4096 MiB, 1 Gbit/s, 100 W idle to 200 W, as both
// the scenario and the fleet the chain plans on. VMs are added with add_vm.
struct Crafted {
    Scenario sc;
    model::Fleet fleet;

    explicit Crafted(int32_t hosts, int32_t intervals) {
        sc.name = "crafted";
        sc.interval_s = 300;
        sc.intervals = intervals;
        sc.types = {HostType{"t", 4, 1000, 4096, 1000, PowerModel::linear(100, 200)}};
        sc.memory = MemoryModel::kReserved;
        sc.power_state = PowerState::kHoldsVm;
        sc.incoming = IncomingDemand::kShare;
        for (int32_t h = 0; h < hosts; ++h) {
            sc.host_ids.push_back("h" + std::to_string(h));
            sc.host_type.push_back(0);
            model::Host host;
            host.id = sc.host_ids.back();
            host.capacity = model::Resources{4000, 4096 * 1024, 1000 * 1000};
            fleet.hosts.push_back(host);
        }
    }
    // A new VM of one core and `ram_mb`, with CPU and memory series (fractions of its size).
    void add_vm(double ram_mb, std::vector<double> cpu, std::vector<double> mem) {
        sc.vm_ids.push_back("v" + std::to_string(sc.vm_ids.size()));
        sc.vm_mips.push_back(1000);
        sc.vm_pes.push_back(1);
        sc.vm_ram_mb.push_back(ram_mb);
        sc.vm_bw_mbps.push_back(10);
        sc.vm_initial_host.push_back(-1);
        const auto mem_kib = static_cast<int64_t>(ram_mb * 1024);
        model::Vm vm;
        vm.id = sc.vm_ids.back();
        vm.demand = model::Resources{static_cast<int64_t>(cpu.front() * 1000),
                                     static_cast<int64_t>(mem.front() * ram_mb * 1024), 10 * 1000};
        vm.mem_size_kib = mem_kib;
        vm.cpu_alloc_millicores = 1000;
        fleet.vms.push_back(vm);
        sc.trace.push_back(std::move(cpu));
        sc.mem_trace.push_back(std::move(mem));
    }
    std::unique_ptr<Chain> chain(PlannerWaves waves = PlannerWaves::kChained,
                                 int32_t max_per_host = 2) const {
        policy::Registries reg;
        policy::register_builtin_policies(reg);
        policy::PolicySet pol;
        policy::ConfigNode t("policy.trigger"), s("policy.selection"), p("policy.placement");
        pol.trigger = std::move(*reg.triggers.create("threshold", t, reg));
        pol.selection = std::move(*reg.selections.create("min-migration-time", s, reg));
        pol.placement = std::move(*reg.placements.create("pabfd", p, reg));
        plan::PlanOptions opt;  // goal auto, max-util 0.9, cooldown 3600 s
        opt.waves.max_per_host = max_per_host;
        return make_planner_chain(fleet, opt, pol, PlannerHorizon::kFirstWave, 1, waves);
    }
};

std::vector<IntervalRow> run(const Crafted& c, std::unique_ptr<Chain> chain = nullptr) {
    Engine e(c.sc, chain ? std::move(chain) : c.chain());
    std::vector<IntervalRow> rows;
    auto r = e.run(c.sc.intervals, [&](const IntervalRow& row) {
        rows.push_back(row);
        return true;
    });
    EXPECT_TRUE(r.has_value());
    return rows;
}

// Five VMs of one core use 10% of it when created and all of it from the first interval on. By
// their first sample (100 MIPS each) all five fit one host at max-util 0.9 (3600 MIPS), which
// then asks for 5000 MIPS of its 4000 from t = 300 on; by their size (1000 each) three fit one
// host and the other two open a second: no interval is over-committed.
TEST(PlannerChain, PlacesVmsBeingCreatedAtTheirSize) {
    Crafted c(3, 3);
    for (int i = 0; i < 5; ++i) c.add_vm(256, {0.1, 1.0, 1.0, 1.0}, {1.0, 1.0, 1.0, 1.0});
    const std::vector<IntervalRow> rows = run(c);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].active_hosts, 2);
    for (const IntervalRow& row : rows) {
        EXPECT_EQ(row.fig.hotspot_host_intervals, 0) << "interval " << row.k;
        EXPECT_DOUBLE_EQ(row.fig.requested_mips_s, row.fig.allocated_mips_s)
            << "interval " << row.k;
    }
}

// Two VMs of one core and 3000 MiB use 10% of their memory when created (300 MiB each) and all
// of it from t = 300: both fit one host at time 0 (2000 MIPS, 600 MiB), which needs 6000 MiB of
// its 4096 at t = 300. The cooldown (3600 s) is of moves: the chain moves one VM away at the
// first boundary, and only that host-interval is over-committed. (Counting the placement at time
// 0 as a move froze both VMs for 12 intervals.)
TEST(PlannerChain, RelievesAHostAtTheFirstBoundaryAfterPlacingItsVms) {
    Crafted c(3, 3);
    for (int i = 0; i < 2; ++i) c.add_vm(3000, {0.5, 0.5, 0.5, 0.5}, {0.1, 1.0, 1.0, 1.0});
    const std::vector<IntervalRow> rows = run(c);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0].fig.migrations, 1);
    EXPECT_EQ(rows[0].active_hosts, 2);
    int64_t over = 0, migrations = 0;
    for (const IntervalRow& row : rows) {
        over += row.fig.mem_overcommit_host_intervals;
        migrations += row.fig.migrations;
    }
    EXPECT_EQ(migrations, 1);
    // A frame holds the memory of its start: 600 MiB over (0, 300]; 6000 MiB on the source
    // from t = 300 until the move ends (3000 MiB at half of 1 Gbit/s: 48 s), in interval 2.
    EXPECT_EQ(over, 1);
}

// Six VMs of one core and 256 MiB, created at 10% and asking for their size (1000 MIPS): three
// per host at max-util 0.9, on two hosts. From t = 300 they use 10% (100 MIPS each): both hosts
// are cold and the plan moves the three of one host to the other, one wave each (one migration
// per host at a time). `chained` carries the waves out as dispatch would: the first at t = 300,
// each next one when the one before ends (256 MiB at half of 1 Gbit/s: 4.096 s), so the two
// later waves start in (300, 600] and one host is active at t = 600. `first` starts one wave
// per boundary: the last move starts at t = 900, and its source is empty from 904 on.
TEST(PlannerChain, ChainedWavesStartWhenTheWaveBeforeEnds) {
    Crafted c(3, 4);
    for (int i = 0; i < 6; ++i) c.add_vm(256, {0.1, 0.1, 0.1, 0.1, 0.1}, {1, 1, 1, 1, 1});
    const auto migrations = [](const std::vector<IntervalRow>& rows) {
        std::vector<int64_t> out;
        for (const IntervalRow& row : rows) out.push_back(row.fig.migrations);
        return out;
    };
    const auto active = [](const std::vector<IntervalRow>& rows) {
        std::vector<int32_t> out;
        for (const IntervalRow& row : rows) out.push_back(row.active_hosts);
        return out;
    };
    const std::vector<IntervalRow> chained = run(c, c.chain(PlannerWaves::kChained, 1));
    ASSERT_EQ(chained.size(), 4u);
    EXPECT_EQ(migrations(chained), (std::vector<int64_t>{1, 2, 0, 0}));
    EXPECT_EQ(active(chained), (std::vector<int32_t>{2, 1, 1, 1}));
    const std::vector<IntervalRow> first = run(c, c.chain(PlannerWaves::kFirst, 1));
    EXPECT_EQ(migrations(first), (std::vector<int64_t>{1, 1, 1, 0}));
    EXPECT_EQ(active(first), (std::vector<int32_t>{2, 2, 2, 1}));
    // A chain state saved before the rule existed (no rule byte) resumes under `first`, the rule
    // it was made under, whatever the config now says; with the byte, under the saved rule.
    for (const bool old : {true, false}) {
        ByteWriter w;
        c.chain(PlannerWaves::kChained, 1)->save(w);
        std::string blob = w.bytes();
        if (old) blob.pop_back();
        std::unique_ptr<Chain> resumed = c.chain(PlannerWaves::kChained, 1);
        ByteReader r(blob);
        resumed->load(r);
        ASSERT_TRUE(!r.failed() && r.at_end());
        EXPECT_EQ(migrations(run(c, std::move(resumed))),
                  old ? migrations(first) : migrations(chained));
    }
}

}  // namespace
}  // namespace fp::sim
