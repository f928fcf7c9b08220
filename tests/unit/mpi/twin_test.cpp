// The in-process twin of the distributed planner: P simulated ranks each plan the shards they
// own, their outcomes travel through the same Boost.Serialization archives as under MPI, and the
// global step resolves them. The plan must equal the one-process plan for every P, and the
// reduction must honour every host's limit whichever rank decided the moves.
#include <gtest/gtest.h>

#include <algorithm>

#include "mpi/wire.hpp"
#include "src/model/generator.hpp"
#include "src/model/placement_state.hpp"
#include "tests/unit/core/fleet_builder.hpp"

namespace fp::plan {
namespace {

struct Fixture {
    model::Fleet fleet;
    PlanOptions options;
    policy::PolicySet policies = testing::policies();
};

Fixture make_fixture() {
    Fixture f;
    model::GeneratorOptions g;
    g.hosts = 240;
    g.vms = 3000;
    g.seed = 11;
    f.fleet = model::generate_fleet(g);
    f.options.shard_hosts = 20;
    f.options.waves.max_per_host = 1;
    // Evacuate one whole rack: its VMs can only be placed by the global step.
    for (size_t h = 0; h < f.fleet.hosts.size(); ++h)
        if (f.fleet.hosts[h].rack == "r02") f.options.evacuate.push_back(static_cast<int32_t>(h));
    return f;
}

// The distributed pipeline with P simulated ranks; the plan indexed by the fleet's VMs.
Plan twin(const Fixture& f, int32_t ranks, size_t* bytes_moved) {
    const ShardMap map = make_shards(f.fleet.hosts, f.options.shard_hosts);
    const std::vector<int32_t> owner = shard_owners(map, ranks);
    // The budget split's inputs, as the ranks' allreduce gives them: every shard's.
    std::vector<ShardDemand> demand;
    {
        model::Fleet copy = f.fleet;
        for (const ShardInput& in :
             split_shards(std::move(copy), model::History{}, model::Traffic{}, {}, map,
                          std::vector<uint8_t>(static_cast<size_t>(map.shards), 1)))
            demand.push_back(shard_demand(in, map, f.options));
    }
    std::vector<ShardOutcome> outcomes;
    *bytes_moved = 0;
    for (int32_t r = 0; r < ranks; ++r) {
        std::vector<uint8_t> take(static_cast<size_t>(map.shards), 0);
        for (int32_t s = 0; s < map.shards; ++s)
            take[static_cast<size_t>(s)] = owner[static_cast<size_t>(s)] == r;
        model::Fleet copy = f.fleet;
        std::vector<ShardInput> inputs =
            split_shards(std::move(copy), model::History{}, model::Traffic{}, {}, map, take);
        std::vector<ShardOutcome> mine;
        for (const ShardInput& in : inputs)
            mine.push_back(plan_shard(in, map, f.options, f.policies, demand));
        const std::string wire = mpi::pack(mine);
        *bytes_moved += wire.size();
        std::vector<ShardOutcome> got;
        mpi::unpack(wire, got);
        for (auto& o : got) outcomes.push_back(std::move(o));
    }
    std::sort(outcomes.begin(), outcomes.end(),
              [](const auto& a, const auto& b) { return a.shard < b.shard; });
    PhaseTimes t;
    GlobalPlan g = resolve_global(f.fleet.hosts, map, outcomes, f.options, f.policies, t);
    Plan p = std::move(g.plan);
    auto vm = [&](int32_t v) {
        return v < 0 ? v : static_cast<int32_t>(g.listed[static_cast<size_t>(v)]->origin);
    };
    for (Move& m : p.moves) m.vm = vm(m.vm);
    for (Unresolved& u : p.unresolved) u.vm = vm(u.vm);
    return p;
}

TEST(ShardedTwin, EveryRankCountGivesTheOneProcessPlan) {
    const Fixture f = make_fixture();
    PhaseTimes t;
    const Plan one = make_plan(f.fleet, f.options, f.policies, t);
    ASSERT_GT(one.moves.size(), 100u);
    int32_t waves = 0;
    for (const Move& m : one.moves) waves = std::max(waves, m.step);
    EXPECT_GE(waves, 3);
    for (int32_t ranks : {1, 2, 3, 4, 7}) {
        size_t bytes = 0;
        const Plan p = twin(f, ranks, &bytes);
        ASSERT_EQ(p.moves.size(), one.moves.size()) << ranks << " ranks";
        for (size_t i = 0; i < p.moves.size(); ++i) {
            EXPECT_EQ(p.moves[i].vm, one.moves[i].vm) << ranks << " ranks, move " << i;
            EXPECT_EQ(p.moves[i].source, one.moves[i].source);
            EXPECT_EQ(p.moves[i].target, one.moves[i].target);
            EXPECT_EQ(p.moves[i].step, one.moves[i].step);
        }
        EXPECT_EQ(p.unresolved.size(), one.unresolved.size());
        // What travels is summaries and decisions: far less than the VM table.
        EXPECT_LT(bytes, f.fleet.vms.size() * 64) << ranks << " ranks";
    }
}

TEST(ShardedTwin, TheGlobalStepNeverOverCommitsAHost) {
    const Fixture f = make_fixture();
    size_t bytes = 0;
    const Plan p = twin(f, 3, &bytes);
    // After the plan every host that received a VM is within its max-util limit (the waves'
    // in-flight capacity is the checker's job in the integration tests), whichever rank or the
    // global step decided the moves; no evacuated host holds a VM.
    model::PlacementState st(f.fleet, f.options.max_util_ppm);
    size_t cross_shard = 0;
    const ShardMap map = make_shards(f.fleet.hosts, f.options.shard_hosts);
    for (const Move& m : p.moves) {
        st.move(m.vm, m.target);
        if (m.source >= 0 && map.shard_of_host[static_cast<size_t>(m.source)] !=
                                 map.shard_of_host[static_cast<size_t>(m.target)])
            ++cross_shard;
    }
    for (const Move& m : p.moves)
        EXPECT_FALSE(st.overloaded(m.target)) << f.fleet.hosts[static_cast<size_t>(m.target)].id;
    EXPECT_GT(cross_shard, 0u);
    for (int32_t h : f.options.evacuate) EXPECT_TRUE(st.vms_on(h).empty());
}

TEST(ShardedTwin, ABudgetGoesToTheEvacuationFirstWhicheverShardNeedsIt) {
    // Rack r02 (one shard) is evacuated under a budget of 10 migrations: all ten go to its VMs,
    // not a tenth to each shard's optional moves; the same for every rank count.
    Fixture f = make_fixture();
    f.options.budget_migrations = 10;
    PhaseTimes t;
    const Plan one = make_plan(f.fleet, f.options, f.policies, t);
    int64_t migrations = 0, evacuations = 0;
    for (const Move& m : one.moves)
        if (m.source >= 0) {
            ++migrations;
            evacuations += m.reason == MoveReason::kEvacuate;
        }
    EXPECT_EQ(migrations, 10);
    EXPECT_EQ(evacuations, 10);
    for (int32_t ranks : {2, 3}) {
        size_t bytes = 0;
        const Plan p = twin(f, ranks, &bytes);
        ASSERT_EQ(p.moves.size(), one.moves.size()) << ranks << " ranks";
        for (size_t i = 0; i < p.moves.size(); ++i) EXPECT_EQ(p.moves[i].vm, one.moves[i].vm);
        EXPECT_EQ(p.unresolved.size(), one.unresolved.size());
    }
}

}  // namespace
}  // namespace fp::plan
