// The in-process twin of the distributed planner, on the production code path: the plan driver
// (dist::run_plan, the one `fleetplan plan` runs under MPI) on P simulated ranks, P threads of
// this process meeting through the in-process communicator. Its shard outcomes and VM rows
// travel through the same Boost.Serialization archives and collectives as under MPI. The plan
// must equal the one-process plan for every P, honour every host's limit whichever rank decided
// the moves, and be the same bytes for any rank and thread count.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <tuple>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "src/dist/in_process.hpp"
#include "src/dist/plan_driver.hpp"
#include "src/model/generator.hpp"
#include "src/model/placement_state.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/sharded.hpp"
#include "src/policy/registry.hpp"

namespace fp::plan {
namespace {

namespace fs = std::filesystem;

// 240 hosts, 3,000 VMs in shards of 20 hosts, one migration per host and wave, and one whole rack
// (r02) evacuated: its VMs can only be placed by the global step.
class ShardedTwinTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fp_twin_" +
                std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()));
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        model::GeneratorOptions g;
        g.hosts = 240;
        g.vms = 3000;
        g.seed = 11;
        const model::Fleet generated = model::generate_fleet(g);
        write(dir_ / "hosts.csv", io::hosts_csv(generated));
        write(dir_ / "vms.csv", io::vms_csv(generated));
        write(dir_ / "twin.toml", "[plan]\nshard_hosts = 20\n[waves]\nmax_per_host = 1\n");
        for (const auto& h : generated.hosts)
            if (h.rack == "r02") evacuate_ += (evacuate_.empty() ? "" : ",") + h.id;
        ASSERT_FALSE(evacuate_.empty());
    }
    void TearDown() override { fs::remove_all(dir_); }

    static void write(const fs::path& p, const std::string& text) {
        std::ofstream(p, std::ios::binary) << text;
    }
    static std::string read(const fs::path& p) {
        std::ifstream in(p, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::vector<std::string> flags(const std::string& out) const {
        std::vector<std::string> f = {"--hosts",    (dir_ / "hosts.csv").string(),
                                      "--vms",      (dir_ / "vms.csv").string(),
                                      "--config",   (dir_ / "twin.toml").string(),
                                      "--evacuate", evacuate_,
                                      "--out",      out};
        f.insert(f.end(), extra_.begin(), extra_.end());
        return f;
    }

    // The driver on `ranks` in-process ranks with `threads` oneTBB threads in all; the
    // output directory's path.
    fs::path run(int ranks, int threads, const std::string& tag = "") const {
        const fs::path out =
            dir_ / ("out" + tag + "_p" + std::to_string(ranks) + "_t" + std::to_string(threads));
        auto args = dist::parse_args(flags(out.string()), dist::plan_flags());
        EXPECT_TRUE(args);
        tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                                  static_cast<size_t>(threads));
        const auto outcomes = dist::run_in_process(ranks, [&](dist::Communicator& comm) {
            const dist::PlanRequest request{*args, out.string(), threads, "twin-test",
                                            std::chrono::steady_clock::now()};
            return dist::run_plan(request, comm);
        });
        for (size_t r = 0; r < outcomes.size(); ++r)
            EXPECT_TRUE(outcomes[r]) << ranks << " ranks, rank " << r << ": "
                                     << (outcomes[r] ? "" : outcomes[r].error().msg);
        return out;
    }

    // The one-process plan of the same files and config (make_plan, no shards' exchange).
    struct OneProcess {
        io::FleetLoad load;
        io::RunConfig rc;
        Plan plan;
    };
    OneProcess one_process() const {
        policy::Registries reg;
        policy::register_builtin_policies(reg);
        auto load = io::load_fleet((dir_ / "hosts.csv").string(), (dir_ / "vms.csv").string());
        EXPECT_TRUE(load);
        io::ConfigOverrides o;
        for (size_t i = 0; i + 1 < extra_.size(); ++i)
            if (extra_[i] == "--budget-migrations") o.budget_migrations = std::stoll(extra_[i + 1]);
        auto rc = io::load_config((dir_ / "twin.toml").string(), o, reg, read(dir_ / "twin.toml"));
        EXPECT_TRUE(rc) << (rc ? "" : rc.error().msg);
        for (size_t h = 0; h < load->fleet.hosts.size(); ++h)
            if (load->fleet.hosts[h].rack == "r02")
                rc->options.evacuate.push_back(static_cast<int32_t>(h));
        PhaseTimes t;
        Plan p = make_plan(load->fleet, rc->options, rc->policies, t);
        return {std::move(*load), std::move(*rc), std::move(p)};
    }

    fs::path dir_;
    std::string evacuate_;
    std::vector<std::string> extra_;
};

// A move by ids: (step, vm, source, target, reason).
using IdMove = std::tuple<int32_t, std::string, std::string, std::string, std::string>;

std::vector<IdMove> id_moves(const model::Fleet& fleet, const Plan& p) {
    std::vector<IdMove> out;
    auto host = [&](int32_t h) { return h < 0 ? std::string() : fleet.hosts[size_t(h)].id; };
    for (const Move& m : p.moves)
        out.emplace_back(m.step, fleet.vms[static_cast<size_t>(m.vm)].id, host(m.source),
                         host(m.target), std::string(to_string(m.reason)));
    return out;
}

io::Checkpoint checkpoint_of(const fs::path& out) {
    auto ck = io::read_checkpoint((out / "checkpoint.h5").string());
    EXPECT_TRUE(ck) << (ck ? "" : ck.error().msg);
    return std::move(*ck);
}

// summary.json without what depends on the run (times, ranks, threads, rows per rank).
nlohmann::json plan_summary(const fs::path& out) {
    std::ifstream in(out / "summary.json");
    nlohmann::json j = nlohmann::json::parse(in);
    for (const char* k :
         {"plan_seconds", "phase_seconds", "ranks", "threads", "max_vm_rows_per_rank",
          "vm_rows_parsed_per_rank", "max_vm_rows_parsed_per_rank", "history_rows_parsed_per_rank",
          "traffic_rows_parsed_per_rank", "previous_vm_rows_read_per_rank"})
        j.erase(k);
    return j;
}

TEST_F(ShardedTwinTest, EveryRankCountGivesTheOneProcessPlan) {
    const OneProcess one = one_process();
    const std::vector<IdMove> want = id_moves(one.load.fleet, one.plan);
    ASSERT_GT(want.size(), 100u);
    EXPECT_GE(std::get<0>(want.back()), 3);  // waves
    std::string plan_csv;
    nlohmann::json summary;
    for (int ranks : {1, 2, 3, 4}) {
        const fs::path out = run(ranks, 2);
        const io::Checkpoint ck = checkpoint_of(out);
        EXPECT_EQ(id_moves(ck.fleet, ck.plan), want) << ranks << " ranks";
        EXPECT_EQ(ck.plan.unresolved.size(), one.plan.unresolved.size()) << ranks << " ranks";
        // The outputs are the same bytes for every rank count.
        if (ranks == 1) {
            plan_csv = read(out / "plan.csv");
            summary = plan_summary(out);
            EXPECT_EQ(ck.fleet.vms.size(), one.load.fleet.vms.size());
        } else {
            EXPECT_EQ(read(out / "plan.csv"), plan_csv) << ranks << " ranks";
            EXPECT_EQ(plan_summary(out), summary) << ranks << " ranks";
        }
    }
}

TEST_F(ShardedTwinTest, PlansAreIdenticalAtOneTwoAndFourThreadsUnderInProcessRanks) {
    for (int ranks : {2, 3}) {
        const std::string first = read(run(ranks, 1) / "plan.csv");
        ASSERT_GT(first.size(), 1000u);
        for (int threads : {2, 4})
            EXPECT_EQ(read(run(ranks, threads) / "plan.csv"), first)
                << ranks << " ranks, " << threads << " threads";
    }
}

TEST_F(ShardedTwinTest, TheGlobalStepNeverOverCommitsAHost) {
    const OneProcess one = one_process();
    const model::Fleet& fleet = one.load.fleet;
    const io::Checkpoint ck = checkpoint_of(run(3, 2));
    // After the plan every host that received a VM is within its max-util limit (the waves'
    // in-flight capacity is the checker's job in the integration tests), whichever rank or the
    // global step decided the moves; no evacuated host holds a VM.
    model::PlacementState st(fleet, one.rc.options.max_util_ppm);
    const ShardMap map = make_shards(fleet.hosts, one.rc.options.shard_hosts);
    size_t cross_shard = 0;
    std::vector<int32_t> targets;
    for (const Move& m : ck.plan.moves) {
        const auto vm = fleet.vm_index(ck.fleet.vms[static_cast<size_t>(m.vm)].id);
        const auto target = fleet.host_index(ck.fleet.hosts[static_cast<size_t>(m.target)].id);
        ASSERT_TRUE(vm && target);
        st.move(*vm, *target);
        targets.push_back(*target);
        if (m.source >= 0) {
            const auto source = fleet.host_index(ck.fleet.hosts[static_cast<size_t>(m.source)].id);
            ASSERT_TRUE(source);
            if (map.shard_of_host[static_cast<size_t>(*source)] !=
                map.shard_of_host[static_cast<size_t>(*target)])
                ++cross_shard;
        }
    }
    for (int32_t h : targets)
        EXPECT_FALSE(st.overloaded(h)) << fleet.hosts[static_cast<size_t>(h)].id;
    EXPECT_GT(cross_shard, 0u);
    for (int32_t h : one.rc.options.evacuate) EXPECT_TRUE(st.vms_on(h).empty());
}

TEST_F(ShardedTwinTest, ABudgetGoesToTheEvacuationFirstWhicheverShardNeedsIt) {
    // Rack r02 (one shard) is evacuated under a budget of 10 migrations: all ten go to its VMs,
    // not a tenth to each shard's optional moves; the same for every rank count.
    extra_ = {"--budget-migrations", "10"};
    const OneProcess one = one_process();
    int64_t migrations = 0, evacuations = 0;
    for (const Move& m : one.plan.moves)
        if (m.source >= 0) {
            ++migrations;
            evacuations += m.reason == MoveReason::kEvacuate;
        }
    EXPECT_EQ(migrations, 10);
    EXPECT_EQ(evacuations, 10);
    const std::vector<IdMove> want = id_moves(one.load.fleet, one.plan);
    for (int ranks : {2, 3}) {
        const io::Checkpoint ck = checkpoint_of(run(ranks, 2));
        EXPECT_EQ(id_moves(ck.fleet, ck.plan), want) << ranks << " ranks";
        EXPECT_EQ(ck.plan.unresolved.size(), one.plan.unresolved.size());
    }
}

TEST_F(ShardedTwinTest, APreviousPlansCooldownIsTheSameForEveryRankCount) {
    // Each rank reads its range of the previous checkpoint's VM rows (in-process: threads, one
    // HDF5 reader at a time) and the moved ids reach their VMs' owners; the VMs the previous plan
    // moved stay put, and the plan is the same bytes for every rank count, whichever rank count
    // wrote the previous checkpoint (P = 1: one file; P = 2 and 4: parts joined, format 3).
    const fs::path first = run(1, 2);
    const io::Checkpoint prev = checkpoint_of(first);
    ASSERT_GT(prev.plan.moves.size(), 100u);
    const fs::path first2 = run(2, 2), first4 = run(4, 2);
    ASSERT_EQ(checkpoint_of(first4).format_version, 3);
    const int64_t vms = static_cast<int64_t>(prev.fleet.vms.size());
    std::string plan_csv;
    nlohmann::json summary;
    for (const auto& [written, read_at] :
         {std::pair{first, 1}, std::pair{first, 3}, std::pair{first2, 4}, std::pair{first4, 2},
          std::pair{first4, 1}, std::pair{first2, 2}}) {
        extra_ = {"--previous", (written / "checkpoint.h5").string(), "--now",
                  "2026-01-01T00:00:00Z"};
        const std::string tag = "_again_" + written.filename().string();
        const fs::path out = run(read_at, 2, tag);
        const std::string where =
            written.filename().string() + " read at P=" + std::to_string(read_at);
        if (plan_csv.empty()) {
            plan_csv = read(out / "plan.csv");
            summary = plan_summary(out);
            ASSERT_GT(summary["vms_in_cooldown"].get<int64_t>(), 100) << where;
        } else {
            EXPECT_EQ(read(out / "plan.csv"), plan_csv) << where;
            EXPECT_EQ(plan_summary(out), summary) << where;
        }
        // Each rank read its own range of the previous VM rows, together each row once.
        std::ifstream in(out / "summary.json");
        const auto per_rank =
            nlohmann::json::parse(in)["previous_vm_rows_read_per_rank"].get<std::vector<int64_t>>();
        ASSERT_EQ(per_rank.size(), static_cast<size_t>(read_at)) << where;
        int64_t sum = 0;
        for (int64_t n : per_rank) {
            if (read_at > 1) {
                EXPECT_LT(n, vms) << where << ": a rank read every row";
            }
            sum += n;
        }
        EXPECT_EQ(sum, vms) << where;
    }
    const io::Checkpoint again = checkpoint_of(dir_ / "out_again_out_p4_t2_p2_t2");
    // Evacuations are mandatory and override a cooldown; every other move leaves a VM the
    // previous plan moved where it is.
    std::set<std::string> cooled;
    for (const Move& m : prev.plan.moves)
        if (m.source >= 0 && m.reason != MoveReason::kEvacuate)
            cooled.insert(prev.fleet.vms[static_cast<size_t>(m.vm)].id);
    ASSERT_FALSE(cooled.empty());
    for (const Move& m : again.plan.moves) {
        const std::string& id = again.fleet.vms[static_cast<size_t>(m.vm)].id;
        if (m.reason != MoveReason::kEvacuate) {
            EXPECT_FALSE(cooled.count(id)) << "moved again within the cooldown: " << id;
        }
    }
}

TEST_F(ShardedTwinTest, HistoryAndTrafficSplitAcrossRanksGiveTheOneProcessPlan) {
    // history.csv and traffic.csv for the fleet, read split across in-process ranks (each rank
    // parses a part, rows reach their VM's owner): the plan is the same bytes for every rank
    // count, every rank parses part of each file, and together they parse each row once.
    const auto load = io::load_fleet((dir_ / "hosts.csv").string(), (dir_ / "vms.csv").string());
    ASSERT_TRUE(load);
    const model::Fleet& fleet = load->fleet;
    std::string history = "time,vm,cpu,mem,net\n";
    int64_t history_rows = 0;
    for (size_t v = 0; v < fleet.vms.size(); v += 3)
        for (int k = 0; k < 1 + static_cast<int>(v % 5); ++k, ++history_rows)
            history += std::to_string(1000 + 300 * k) + "," + fleet.vms[v].id + "," +
                       std::to_string(0.1 * static_cast<double>((v + k) % 11)) + "," +
                       (k % 2 ? "" : "0.5") + ",0.2\n";
    std::string traffic = "vm_a,vm_b,mbps\n";
    int64_t traffic_rows = 0;
    for (size_t v = 0; v + 7 < fleet.vms.size(); v += 2, ++traffic_rows)
        traffic += fleet.vms[v].id + "," + fleet.vms[v + (v % 3 ? 1 : 7)].id + "," +
                   std::to_string(10 + v % 90) + "\n";
    write(dir_ / "history.csv", history);
    write(dir_ / "traffic.csv", traffic);
    write(dir_ / "twin.toml",
          "[plan]\nshard_hosts = 20\n[waves]\nmax_per_host = 1\n[policy]\ntrigger = { name = "
          "\"lr\", safety = 1.2, window = 4 }\nplacement = { name = \"affinity\" }\n");
    const fs::path without = run(1, 2, "_plain");
    extra_ = {"--history", (dir_ / "history.csv").string(), "--traffic",
              (dir_ / "traffic.csv").string()};
    const fs::path one = run(1, 2);
    ASSERT_NE(read(one / "plan.csv"), read(without / "plan.csv"))
        << "history and traffic change nothing: the case tests nothing";
    for (int ranks : {2, 3, 4}) {
        const fs::path out = run(ranks, 2);
        EXPECT_EQ(read(out / "plan.csv"), read(one / "plan.csv")) << ranks << " ranks";
        EXPECT_EQ(plan_summary(out), plan_summary(one)) << ranks << " ranks";
        std::ifstream in(out / "summary.json");
        const nlohmann::json s = nlohmann::json::parse(in);
        for (const auto& [key, total] : {std::pair{"history_rows_parsed_per_rank", history_rows},
                                         std::pair{"traffic_rows_parsed_per_rank", traffic_rows}}) {
            ASSERT_TRUE(s.contains(key)) << key;
            const auto per_rank = s[key].get<std::vector<int64_t>>();
            ASSERT_EQ(per_rank.size(), static_cast<size_t>(ranks)) << key;
            int64_t sum = 0;
            for (int64_t n : per_rank) {
                EXPECT_LT(n, total) << key << " at " << ranks << " ranks: a rank read them all";
                sum += n;
            }
            EXPECT_EQ(sum, total) << key << " at " << ranks << " ranks";
        }
    }
}

TEST_F(ShardedTwinTest, APlanetLabHistoryIsReadByTheOwnersOfItsVms) {
    // A PlanetLab directory (one file per VM): each in-process rank reads the files of its own
    // VMs, and the plan is the one-process plan.
    const auto load = io::load_fleet((dir_ / "hosts.csv").string(), (dir_ / "vms.csv").string());
    ASSERT_TRUE(load);
    const fs::path pl = dir_ / "planetlab";
    fs::create_directories(pl);
    int64_t files = 0;
    for (size_t v = 0; v < load->fleet.vms.size(); v += 4, ++files) {
        std::string series;
        for (size_t k = 0; k < 2 + v % 6; ++k)
            series += std::to_string((v * 7 + k * 13) % 101) + "\n";
        write(pl / load->fleet.vms[v].id, series);
    }
    write(dir_ / "twin.toml",
          "[plan]\nshard_hosts = 20\n[waves]\nmax_per_host = 1\n[policy]\ntrigger = { name = "
          "\"lr\", safety = 1.2, window = 4 }\n");
    const fs::path without = run(1, 2, "_plain");
    extra_ = {"--history", pl.string()};
    const fs::path one = run(1, 2);
    ASSERT_NE(read(one / "plan.csv"), read(without / "plan.csv"))
        << "the history changes nothing: the case tests nothing";
    const fs::path three = run(3, 2);
    EXPECT_EQ(read(three / "plan.csv"), read(one / "plan.csv"));
    EXPECT_EQ(plan_summary(three), plan_summary(one));
    std::ifstream in(three / "summary.json");
    const auto per_rank =
        nlohmann::json::parse(in)["history_rows_parsed_per_rank"].get<std::vector<int64_t>>();
    ASSERT_EQ(per_rank.size(), 3u);
    EXPECT_EQ(per_rank[0] + per_rank[1] + per_rank[2], files);
    for (int64_t n : per_rank) EXPECT_LT(n, files);
}

}  // namespace
}  // namespace fp::plan
