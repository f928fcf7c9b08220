#include "io/checkpoint.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "io/config.hpp"
#include "src/model/generator.hpp"
#include "src/plan/planner.hpp"

namespace fp::io {
namespace {

class CheckpointTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = std::filesystem::temp_directory_path() /
               ("fp_ckpt_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::create_directories(dir_);
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    Checkpoint make() {
        model::GeneratorOptions g;
        g.hosts = 60;
        g.vms = 600;
        g.seed = 9;
        Checkpoint c;
        c.fleet = model::generate_fleet(g);
        c.fleet.hosts[0].rack = "rack, with \"quotes\" ünïcode";
        policy::Registries r;
        policy::register_builtin_policies(r);
        // The root attributes seed and goal must agree with the stored config's.
        ConfigOverrides ov;
        ov.seed = 42;
        ov.goal = "consolidate";
        auto rc = load_config("", ov, r);
        EXPECT_TRUE(rc.has_value());
        plan::PhaseTimes t;
        c.plan = plan::make_plan(c.fleet, rc->options, rc->policies, t);
        c.plan.unresolved.push_back({3, -1, "a reason"});
        const auto placed = std::find_if(c.fleet.vms.begin(), c.fleet.vms.end(),
                                         [](const model::Vm& v) { return !v.is_new(); });
        c.plan.resizes.push_back({static_cast<int32_t>(placed - c.fleet.vms.begin()), placed->host,
                                  2500, 3 * 1024 * 1024 + 1});
        c.program_version = "test";
        c.command = "plan";
        c.seed = 42;
        c.goal = "consolidate";
        c.max_util_ppm = 900000;
        c.config_toml = rc->expanded_toml;
        c.inputs = {{"hosts", "h.csv fnv1a64:0123"}};
        c.evacuate = {c.fleet.hosts[1].id};
        c.summary_json = "{\"a\": 1}";
        return c;
    }
    std::string path(const char* name) const { return (dir_ / name).string(); }
    std::filesystem::path dir_;
};

// The ids of the VMs a checkpoint's moves name, sorted: from read_checkpoint, and from
// read_previous over `ranges` ranges (each range's, joined), whose checksums must then agree.
std::vector<std::string> moved_ids(const Checkpoint& c) {
    std::vector<std::string> ids;
    for (const plan::Move& m : c.plan.moves) ids.push_back(c.fleet.vms[size_t(m.vm)].id);
    std::sort(ids.begin(), ids.end());
    return ids;
}
Result<std::vector<std::string>> moved_ids_by_ranges(const std::string& path, int ranges,
                                                     int64_t& most_rows) {
    std::vector<std::string> ids;
    std::vector<std::vector<ColumnSum>> sums;
    std::optional<PreviousCheckpoint> any;
    int64_t rows = 0;
    most_rows = 0;
    for (int k = 0; k < ranges; ++k) {
        auto p = read_previous(path, k, ranges);
        if (!p) return tl::unexpected(p.error());
        EXPECT_EQ(p->first_row, rows);
        rows += p->rows_read;
        most_rows = std::max(most_rows, p->rows_read);
        ids.insert(ids.end(), p->moved_ids.begin(), p->moved_ids.end());
        sums.push_back(p->sums);
        any = std::move(*p);
    }
    EXPECT_EQ(rows, any->vm_rows);
    if (auto v = verify_previous_rows(path, *any, sums); !v) return tl::unexpected(v.error());
    std::sort(ids.begin(), ids.end());
    return ids;
}

TEST_F(CheckpointTest, RoundTripKeepsEverything) {
    Checkpoint c = make();
    ASSERT_FALSE(c.plan.moves.empty());
    // The schedule's start and the limit flags travel too (the report's Gantt and flagged moves).
    c.plan.moves.back().est_start_s = 1234.25;
    c.plan.moves.back().flags = plan::kFlagOverDowntime | plan::kFlagOverTimeout;
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    auto r = read_checkpoint(path("c.h5"));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->seed, 42u);
    EXPECT_EQ(r->config_toml, c.config_toml);
    EXPECT_EQ(r->inputs, c.inputs);
    EXPECT_EQ(r->evacuate, c.evacuate);
    EXPECT_EQ(r->summary_json, c.summary_json);
    ASSERT_EQ(r->fleet.hosts.size(), c.fleet.hosts.size());
    ASSERT_EQ(r->fleet.vms.size(), c.fleet.vms.size());
    for (size_t i = 0; i < c.fleet.hosts.size(); ++i) {
        EXPECT_EQ(r->fleet.hosts[i].id, c.fleet.hosts[i].id);
        EXPECT_EQ(r->fleet.hosts[i].capacity, c.fleet.hosts[i].capacity);
        EXPECT_EQ(r->fleet.hosts[i].rack, c.fleet.hosts[i].rack);
        EXPECT_EQ(r->fleet.hosts[i].state, c.fleet.hosts[i].state);
        EXPECT_EQ(r->fleet.hosts[i].power_max_w, c.fleet.hosts[i].power_max_w);
    }
    for (size_t i = 0; i < c.fleet.vms.size(); ++i) {
        const auto &a = r->fleet.vms[i], &b = c.fleet.vms[i];
        EXPECT_EQ(a.id, b.id);
        EXPECT_EQ(a.host, b.host);
        EXPECT_EQ(a.demand, b.demand);
        EXPECT_EQ(a.mem_size_kib, b.mem_size_kib);
        EXPECT_EQ(a.group, b.group);
        EXPECT_EQ(a.anti_group, b.anti_group);
        EXPECT_EQ(a.cpu_alloc_millicores, b.cpu_alloc_millicores);
        EXPECT_EQ(a.dirty_rate_mibps, b.dirty_rate_mibps);
    }
    ASSERT_EQ(r->plan.moves.size(), c.plan.moves.size());
    for (size_t i = 0; i < c.plan.moves.size(); ++i) {
        EXPECT_EQ(r->plan.moves[i].vm, c.plan.moves[i].vm);
        EXPECT_EQ(r->plan.moves[i].target, c.plan.moves[i].target);
        EXPECT_EQ(r->plan.moves[i].step, c.plan.moves[i].step);
        EXPECT_EQ(r->plan.moves[i].reason, c.plan.moves[i].reason);
        EXPECT_EQ(r->plan.moves[i].estimate.seconds, c.plan.moves[i].estimate.seconds);
        EXPECT_EQ(r->plan.moves[i].est_start_s, c.plan.moves[i].est_start_s);
        EXPECT_EQ(r->plan.moves[i].flags, c.plan.moves[i].flags);
    }
    ASSERT_EQ(r->plan.unresolved.size(), c.plan.unresolved.size());
    EXPECT_EQ(r->plan.unresolved.back().reason, "a reason");
    ASSERT_EQ(r->plan.resizes.size(), 1u);
    EXPECT_EQ(r->plan.resizes[0].vm, c.plan.resizes[0].vm);
    EXPECT_EQ(r->plan.resizes[0].host, c.plan.resizes[0].host);
    EXPECT_EQ(r->plan.resizes[0].cpu_alloc_millicores, 2500);
    EXPECT_EQ(r->plan.resizes[0].mem_alloc_kib, 3 * 1024 * 1024 + 1);
    EXPECT_EQ(r->fleet.host_index(c.fleet.hosts[5].id), 5);
}

// Ids are stored as NUL-padded fixed-length strings: every byte but NUL reads back as it was
// (trailing spaces, 4-byte UTF-8, a 256-byte id). A trailing NUL would be lost, so a value with a
// NUL is refused on writing (input already refuses such ids), and so is one read from a file.
TEST_F(CheckpointTest, IdsRoundTripByteExact) {
    Checkpoint c = make();
    c.fleet.hosts[0].id = "h0  ";
    c.fleet.hosts[1].id = " lead\xF0\x9F\x98\x80\xC3\xBF";
    c.fleet.vms[0].id = std::string(256, 'v');
    c.fleet.vms[1].id = "v1\t ";
    c.evacuate = {c.fleet.hosts[1].id};
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    auto r = read_checkpoint(path("c.h5"));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(r->fleet.hosts[0].id, "h0  ");
    EXPECT_EQ(r->fleet.hosts[1].id, c.fleet.hosts[1].id);
    EXPECT_EQ(r->fleet.vms[0].id, c.fleet.vms[0].id);
    EXPECT_EQ(r->fleet.vms[1].id, "v1\t ");
    EXPECT_EQ(r->evacuate, c.evacuate);

    c.fleet.vms[2].id = std::string("v2\0", 3);
    auto w = write_checkpoint(path("nul.h5"), c);
    ASSERT_FALSE(w.has_value())
        << "an id with a trailing NUL was stored (and would read back as 'v2')";
    EXPECT_NE(w.error().msg.find("NUL"), std::string::npos) << w.error().msg;
}

// Two ranks' parts, joined by checkpoint.h5's virtual datasets, read back as the self-contained
// file of the same rows: three shards, rank 0 holding the first and the last (so the mappings
// interleave), dictionary values in both parts, each part's own string widths.
// plan --previous reads one range of the VM rows per rank: the ranges together name the moved
// VMs read_checkpoint names, with the hosts and time, and no range holds every row.
TEST_F(CheckpointTest, PreviousRangesTogetherGiveTheMovedIdsAndHosts) {
    Checkpoint c = make();
    c.now_s = 1767225600;
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    auto whole = read_checkpoint(path("c.h5"));
    ASSERT_TRUE(whole.has_value()) << whole.error().msg;
    const std::vector<std::string> want = moved_ids(*whole);
    ASSERT_GT(want.size(), 10u);
    for (int ranges : {1, 2, 3, 4}) {
        int64_t most = 0;
        auto ids = moved_ids_by_ranges(path("c.h5"), ranges, most);
        ASSERT_TRUE(ids.has_value()) << ids.error().msg;
        EXPECT_EQ(*ids, want) << ranges << " ranges";
        EXPECT_LE(most, (600 + ranges - 1) / ranges) << ranges << " ranges";
    }
    auto p = read_previous(path("c.h5"), 1, 3);
    ASSERT_TRUE(p.has_value());
    EXPECT_EQ(p->now_s, c.now_s);
    EXPECT_EQ(p->vm_rows, 600);
    EXPECT_TRUE(p->fleet.vms.empty());
    ASSERT_EQ(p->fleet.hosts.size(), c.fleet.hosts.size());
    EXPECT_EQ(p->fleet.hosts[0].rack, c.fleet.hosts[0].rack);
    EXPECT_EQ(p->fleet.host_index(c.fleet.hosts[7].id), 7);
    EXPECT_EQ(p->moves.size(), c.plan.moves.size());
    // One range's sums in place of another's (its rows changed): the joined check refuses it,
    // naming the column as read_checkpoint does.
    auto q = read_previous(path("c.h5"), 0, 2);
    ASSERT_TRUE(q.has_value());
    auto bad = verify_previous_rows(path("c.h5"), *q, {q->sums, q->sums});
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().code, ErrorCode::kBadInput);
    EXPECT_NE(bad.error().msg.find("/fleet/vms/id: checksum mismatch"), std::string::npos)
        << bad.error().msg;
}

// A dispatched plan's checkpoint holds dispatch's journal: plan --previous cools down only the
// VMs that moved. Of four journalled moves one finished, one failed after a retry, one was
// skipped and one was in flight when dispatch stopped (counted as moved); moves the journal does
// not name (never dispatched) still count, for every number of ranges.
TEST_F(CheckpointTest, PreviousLeavesOutTheVmsDispatchDidNotMove) {
    Checkpoint c = make();
    c.now_s = 1767225600;
    ASSERT_GE(c.plan.moves.size(), 5u);
    auto id_of = [&](size_t m) { return c.fleet.vms[size_t(c.plan.moves[m].vm)].id; };
    auto entry = [&](size_t m, dispatch::MoveEvent e) {
        dispatch::JournalEntry j;
        j.move = static_cast<int64_t>(m);
        j.event = e;
        j.vm = id_of(m);
        j.source = "s";
        j.target = "t";
        return j;
    };
    using E = dispatch::MoveEvent;
    c.dispatch_journal = {entry(0, E::kQueued),   entry(1, E::kQueued),  entry(2, E::kQueued),
                          entry(3, E::kQueued),   entry(0, E::kStarted), entry(1, E::kStarted),
                          entry(0, E::kFinished), entry(1, E::kFailed),  entry(1, E::kStarted),
                          entry(1, E::kFailed),   entry(2, E::kSkipped), entry(3, E::kStarted)};
    ASSERT_TRUE(write_checkpoint(path("d.h5"), c).has_value());
    std::vector<std::string> want = moved_ids(c);
    for (size_t m : {1, 2}) want.erase(std::find(want.begin(), want.end(), id_of(m)));
    for (int ranges : {1, 3}) {
        int64_t most = 0;
        auto ids = moved_ids_by_ranges(path("d.h5"), ranges, most);
        ASSERT_TRUE(ids.has_value()) << ids.error().msg;
        EXPECT_EQ(*ids, want) << ranges << " ranges";
    }
}

TEST_F(CheckpointTest, PartsJoinedByVirtualDatasetsReadAsTheSelfContainedFile) {
    Checkpoint c = make();
    for (size_t i = 0; i < c.fleet.vms.size(); ++i) {
        c.fleet.vms[i].group = i % 3 ? "g" + std::to_string(i % 5) : "";
        c.fleet.vms[i].anti_group = i > 300 && i % 7 == 0 ? "anti" : "";
    }
    c.fleet.vms[470].id += "-a-longer-id";  // only rank 0's part holds this width
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());

    const int64_t cut[4] = {0, 200, 450, 600};
    const int owner[3] = {0, 1, 0};
    std::vector<VmPartRows> rows(2);
    for (int s = 0; s < 3; ++s) {
        VmPartRows& pr = rows[static_cast<size_t>(owner[s])];
        pr.shards.push_back(s);
        pr.shard_rows.push_back(cut[s + 1] - cut[s]);
        for (int64_t i = cut[s]; i < cut[s + 1]; ++i) {
            pr.rows.push_back(&c.fleet.vms[static_cast<size_t>(i)]);
            pr.hosts.push_back(c.fleet.vms[static_cast<size_t>(i)].host);
        }
    }
    std::vector<VmPartWriter> w;
    for (auto& r : rows) w.emplace_back(std::move(r));
    VmParts parts;
    const size_t cols = w[0].names().size();
    parts.widths.assign(cols, 0);
    parts.names.resize(cols);
    std::vector<std::vector<int32_t>> base(2, std::vector<int32_t>(cols, 0));
    for (size_t r = 0; r < 2; ++r)
        for (size_t k = 0; k < cols; ++k) {
            parts.widths[k] = std::max(parts.widths[k], w[r].widths()[k]);
            base[r][k] = static_cast<int32_t>(parts.names[k].size());
            parts.names[k].insert(parts.names[k].end(), w[r].names()[k].begin(),
                                  w[r].names()[k].end());
        }
    std::vector<std::vector<std::vector<uint32_t>>> crc;  // rank, column, own shard
    for (size_t r = 0; r < 2; ++r) {
        parts.files.push_back(part_file_name("t0", static_cast<int>(r)));
        parts.part_rows.push_back(w[r].rows());
        auto sums = w[r].write(path(parts.files.back().c_str()), parts.widths, base[r]);
        ASSERT_TRUE(sums.has_value()) << sums.error().msg;
        crc.push_back(*sums);
    }
    parts.shards = {{0, 0, 200}, {1, 0, 250}, {0, 200, 150}};
    parts.crc.assign(cols, {});
    for (size_t k = 0; k < cols; ++k) parts.crc[k] = {crc[0][k][0], crc[1][k][0], crc[0][k][1]};
    Checkpoint joined = c;
    joined.fleet.vms.clear();
    joined.vm_parts = parts;
    ASSERT_TRUE(write_checkpoint(path("j.h5"), joined).has_value());

    auto a = read_checkpoint(path("c.h5"));
    auto b = read_checkpoint(path("j.h5"));
    ASSERT_TRUE(a.has_value()) << a.error().msg;
    ASSERT_TRUE(b.has_value()) << b.error().msg;
    EXPECT_EQ(a->format_version, kSelfContainedFormatVersion);
    EXPECT_EQ(b->format_version, 3);
    ASSERT_EQ(b->fleet.vms.size(), c.fleet.vms.size());
    for (size_t i = 0; i < c.fleet.vms.size(); ++i) {
        const model::Vm &x = a->fleet.vms[i], &y = b->fleet.vms[i];
        EXPECT_EQ(x.id, y.id);
        EXPECT_EQ(y.id, c.fleet.vms[i].id);
        EXPECT_EQ(x.host, y.host);
        EXPECT_EQ(x.demand, y.demand);
        EXPECT_EQ(x.mem_size_kib, y.mem_size_kib);
        EXPECT_EQ(x.disk_kib, y.disk_kib);
        EXPECT_EQ(x.dirty_rate_mibps, y.dirty_rate_mibps);
        EXPECT_EQ(x.group, y.group);
        EXPECT_EQ(x.anti_group, y.anti_group);
        EXPECT_EQ(x.cpu_alloc_millicores, y.cpu_alloc_millicores);
        EXPECT_EQ(x.mem_alloc_kib, y.mem_alloc_kib);
    }
    EXPECT_EQ(b->plan.moves.size(), a->plan.moves.size());
    // --previous's ranges of the joined file: the moved ids of the self-contained one.
    for (int ranges : {1, 2, 4}) {
        int64_t most = 0;
        auto ids = moved_ids_by_ranges(path("j.h5"), ranges, most);
        ASSERT_TRUE(ids.has_value()) << ids.error().msg;
        EXPECT_EQ(*ids, moved_ids(*a)) << ranges << " ranges";
    }

    // Rank 1's part swapped for rank 0's: the joined checksum refuses it.
    std::filesystem::copy_file(path(parts.files[0].c_str()), path(parts.files[1].c_str()),
                               std::filesystem::copy_options::overwrite_existing);
    auto swapped = read_checkpoint(path("j.h5"));
    ASSERT_FALSE(swapped.has_value());
    EXPECT_EQ(swapped.error().code, ErrorCode::kBadInput);
    // So do --previous's ranges, naming the parts as read_checkpoint does.
    for (int ranges : {1, 2, 4}) {
        int64_t most = 0;
        auto ids = moved_ids_by_ranges(path("j.h5"), ranges, most);
        ASSERT_FALSE(ids.has_value()) << ranges << " ranges";
        EXPECT_EQ(ids.error().code, ErrorCode::kBadInput);
        EXPECT_EQ(ids.error().msg, swapped.error().msg) << ranges << " ranges";
    }
    // Rank 1's part gone: bad input naming it (HDF5 alone would read zeros).
    std::filesystem::remove(path(parts.files[1].c_str()));
    auto gone = read_checkpoint(path("j.h5"));
    ASSERT_FALSE(gone.has_value());
    EXPECT_EQ(gone.error().code, ErrorCode::kBadInput);
    EXPECT_NE(gone.error().msg.find(parts.files[1]), std::string::npos) << gone.error().msg;
    for (int k = 0; k < 2; ++k) {
        auto p = read_previous(path("j.h5"), k, 2);
        ASSERT_FALSE(p.has_value());
        EXPECT_EQ(p.error().msg, gone.error().msg);
    }
}

TEST_F(CheckpointTest, TruncatedForeignAndNewerFilesAreBadInput) {
    ASSERT_TRUE(write_checkpoint(path("c.h5"), make()).has_value());
    const auto size = std::filesystem::file_size(path("c.h5"));
    std::filesystem::copy_file(path("c.h5"), path("t.h5"));
    std::filesystem::resize_file(path("t.h5"), size / 2);
    auto t = read_checkpoint(path("t.h5"));
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().code, ErrorCode::kBadInput);
    EXPECT_NE(t.error().msg.find(path("t.h5")), std::string::npos);

    std::ofstream(path("text.h5")) << "not hdf5 at all\n";
    auto x = read_checkpoint(path("text.h5"));
    ASSERT_FALSE(x.has_value());
    EXPECT_NE(x.error().msg.find("not an HDF5 file"), std::string::npos);

    Checkpoint newer = make();
    newer.format_version = kCheckpointFormatVersion + 1;
    ASSERT_TRUE(write_checkpoint(path("n.h5"), newer).has_value());
    auto n = read_checkpoint(path("n.h5"));
    ASSERT_FALSE(n.has_value());
    EXPECT_NE(n.error().msg.find("format version " + std::to_string(kCheckpointFormatVersion + 1) +
                                 " is not supported"),
              std::string::npos)
        << n.error().msg;

    auto missing = read_checkpoint(path("none.h5"));
    ASSERT_FALSE(missing.has_value());
    EXPECT_EQ(missing.error().code, ErrorCode::kBadInput);
}

TEST_F(CheckpointTest, FailedWriteLeavesThePreviousCheckpoint) {
    const Checkpoint c = make();
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    const auto before = std::filesystem::file_size(path("c.h5"));
    // A directory that does not exist: the write fails as an environment error.
    auto r = write_checkpoint((dir_ / "missing" / "c.h5").string(), c);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kEnvironment);
    EXPECT_EQ(std::filesystem::file_size(path("c.h5")), before);
    EXPECT_TRUE(read_checkpoint(path("c.h5")).has_value());
}

// Every dataset carries a CRC-32: one flipped bit in the stored config (which --resume plans
// with) is refused naming the dataset, not planned with.
TEST_F(CheckpointTest, FlippedBitIsRefusedNamingTheDataset) {
    ASSERT_TRUE(write_checkpoint(path("c.h5"), make()).has_value());
    std::string bytes;
    {
        std::ifstream in(path("c.h5"), std::ios::binary);
        bytes.assign(std::istreambuf_iterator<char>(in), {});
    }
    const auto at = bytes.find("max_util = 0.9");
    ASSERT_NE(at, std::string::npos);
    bytes[at + 13] ^= 0x01;  // 0.9 -> 0.8
    std::ofstream(path("f.h5"), std::ios::binary) << bytes;
    auto r = read_checkpoint(path("f.h5"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find("/config/toml: checksum mismatch"), std::string::npos)
        << r.error().msg;
}

// The root attributes repeat the stored config's seed, goal and max_util: they must agree.
TEST_F(CheckpointTest, RootAttributesMustAgreeWithTheConfig) {
    Checkpoint c = make();
    c.seed = 43;
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    auto r = read_checkpoint(path("c.h5"));
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().msg.find("root attribute seed"), std::string::npos) << r.error().msg;
}

// A damaged fleet_changes (embedded in summary.json by --resume) is bad input when read.
TEST_F(CheckpointTest, DamagedFleetChangesIsBadInput) {
    Checkpoint c = make();
    c.fleet_changes = "{\"hosts_added\": [";
    ASSERT_TRUE(write_checkpoint(path("c.h5"), c).has_value());
    auto r = read_checkpoint(path("c.h5"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find("/inputs/fleet_changes"), std::string::npos) << r.error().msg;
}

}  // namespace
}  // namespace fp::io
