// The dispatcher over libvirt's test driver (a real libvirt, in process, that cannot migrate):
// state checks, skips with their reasons, retries and the journal; URI templates; dry runs;
// a journal that cannot be written stops dispatch before it acts (a fault injected in the test,
// as no real disk fails on demand).
#include "src/dispatch/dispatch.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "src/dispatch/libvirt/libvirt_connection.hpp"

namespace fp::dispatch {
namespace {

namespace fs = std::filesystem;

class MemoryJournal final : public Journal {
  public:
    std::vector<JournalEntry> entries;
    int fail_after = -1;  // appends that succeed before failing (-1: never fail)
    Result<void> append(const JournalEntry& e) override {
        if (fail_after >= 0 && static_cast<int>(entries.size()) >= fail_after)
            return fail(ErrorCode::kEnvironment, "journal: disk full");
        entries.push_back(e);
        return {};
    }
    std::vector<std::string> events_of(int64_t move) const {
        std::vector<std::string> out;
        for (const auto& e : entries)
            if (e.move == move) out.emplace_back(to_string(e.event));
        return out;
    }
};

class DispatchTest : public ::testing::Test {
  protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() /
               ("fp_dispatch_" + std::to_string(::getpid()) + "_" +
                ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::create_directories(dir_);
        // Host a runs vm1 (128 MiB) and vm2; host b runs big (3 GiB).
        node("a", {{"vm1", 131072}, {"vm2", 131072}});
        node("b", {{"big", 3145728}});
        opt_.connect_template = "test://" + dir_.string() + "/{id}.xml";
        opt_.retries = 1;
        opt_.backoff_s = 0;
        hosts_ = {{"a", "", 4096}, {"b", "", 4096}};
        hooks_.sleep = [](double) {};
    }
    void TearDown() override { fs::remove_all(dir_); }
    void node(const std::string& id, const std::vector<std::pair<std::string, int64_t>>& doms) {
        std::ofstream f(dir_ / (id + ".xml"));
        f << "<node><cpu><mhz>2000</mhz><model>x</model><nodes>1</nodes><sockets>1</sockets>"
             "<cores>4</cores><threads>1</threads><active>4</active></cpu>"
             "<memory>4194304</memory>";
        for (const auto& [name, kib] : doms)
            f << "<domain type='test'><name>" << name << "</name><memory>" << kib
              << "</memory><vcpu>1</vcpu><os><type>hvm</type></os></domain>";
        f << "</node>";
    }
    fs::path dir_;
    DispatchOptions opt_;
    std::vector<HostAddr> hosts_;
    DispatchHooks hooks_;
    LibvirtConnector connector_;
};

TEST_F(DispatchTest, ChecksStateSkipsWithReasonsAndRetriesWhatFails) {
    const std::vector<PlannedMove> moves = {
        {0, 1, "vm1", "a", "b"},    // on its source, room on b: tried, and the test driver refuses
        {1, 1, "ghost", "a", "b"},  // not on its source: skipped
        {2, 2, "big", "b", "a"},    // 3 GiB into a, which has 4 GiB and runs 256 MiB: fits, tried
    };
    MemoryJournal j;
    auto rep = run_dispatch(moves, hosts_, opt_, connector_, j, {}, hooks_);
    ASSERT_TRUE(rep.has_value()) << rep.error().msg;
    EXPECT_EQ(j.events_of(0),
              (std::vector<std::string>{"queued", "started", "failed", "started", "failed"}));
    EXPECT_EQ(j.events_of(1), (std::vector<std::string>{"queued", "skipped"}));
    EXPECT_NE(rep->final_reason[1].find("not running on its planned source a"), std::string::npos);
    EXPECT_EQ(rep->failed, 2);
    EXPECT_EQ(rep->skipped, 1);
    EXPECT_EQ(rep->finished, 0);
    // Wave 1 is journalled before wave 2 starts.
    size_t first_wave2 = 0;
    while (j.entries[first_wave2].move != 2) ++first_wave2;
    for (size_t i = first_wave2; i < j.entries.size(); ++i) EXPECT_EQ(j.entries[i].move, 2);
}

TEST_F(DispatchTest, NoRoomOnTheTargetIsASkip) {
    hosts_[1].mem_mib = 3100;  // b runs 3 GiB already
    MemoryJournal j;
    auto rep = run_dispatch({{0, 1, "vm1", "a", "b"}}, hosts_, opt_, connector_, j, {}, hooks_);
    ASSERT_TRUE(rep.has_value());
    EXPECT_EQ(rep->final_event[0], MoveEvent::kSkipped);
    EXPECT_NE(rep->final_reason[0].find("no room on b"), std::string::npos) << rep->final_reason[0];
}

// The test driver's connections, with migrations that hold for a while before failing (as a
// long real migration would): lets two moves into one target overlap on demand.
class SlowMigrations final : public Connector {
  public:
    Result<std::unique_ptr<HostConnection>> connect(const std::string& uri) override {
        auto c = open_libvirt(uri);
        if (!c) return c;
        return std::unique_ptr<HostConnection>(std::make_unique<Slow>(std::move(*c)));
    }

  private:
    struct Slow final : HostConnection {
        explicit Slow(std::unique_ptr<HostConnection> c) : c_(std::move(c)) {}
        Result<std::vector<DomainInfo>> list_domains() override { return c_->list_domains(); }
        Result<DomainState> domain_state(const std::string& n) override {
            return c_->domain_state(n);
        }
        Result<std::vector<DomainStats>> domain_stats() override { return c_->domain_stats(); }
        Result<bool> job_active(const std::string& n) override { return c_->job_active(n); }
        void start_dirty_rate(int s) override { c_->start_dirty_rate(s); }
        void abort_job(const std::string& n) override { c_->abort_job(n); }
        MigrateOutcome migrate(const MigrateRequest& r) override {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            return c_->migrate(r);
        }
        std::unique_ptr<HostConnection> c_;
    };
};

TEST_F(DispatchTest, MovesHeadingToOneTargetReserveItsMemory) {
    // Two 3000 MiB VMs into a 4096 MiB host at once: the second sees the first arriving.
    node("a", {{"x", 3072000}, {"y", 3072000}});
    node("b", {});
    hosts_ = {{"a", "", 8192}, {"b", "", 4096}};
    opt_.max_per_host = 2;
    opt_.retries = 0;
    SlowMigrations slow;
    MemoryJournal j;
    auto rep = run_dispatch({{0, 1, "x", "a", "b"}, {1, 1, "y", "a", "b"}}, hosts_, opt_, slow, j,
                            {}, hooks_);
    ASSERT_TRUE(rep.has_value()) << rep.error().msg;
    EXPECT_EQ(rep->skipped, 1);
    const size_t k = rep->final_event[0] == MoveEvent::kSkipped ? 0 : 1;
    EXPECT_NE(rep->final_reason[k].find("in use or arriving"), std::string::npos)
        << rep->final_reason[k];
}

TEST_F(DispatchTest, ResumeKeepsFinishedMovesAndSettlesOnesInFlight) {
    // The journal says move 0 finished and move 1 was in flight; vm2 still runs on a.
    std::vector<PlannedMove> moves = {{0, 1, "vm1", "a", "b"}, {1, 2, "vm2", "a", "b"}};
    std::vector<JournalEntry> prior(3);
    prior[0] = {1, 0, MoveEvent::kStarted, "vm1", "a", "b", 1, 0, -1, ""};
    prior[1] = {2, 0, MoveEvent::kFinished, "vm1", "a", "b", 1, 1, 20, ""};
    prior[2] = {3, 1, MoveEvent::kStarted, "vm2", "a", "b", 1, 0, -1, ""};
    MemoryJournal j;
    auto rep = run_dispatch(moves, hosts_, opt_, connector_, j, prior, hooks_);
    ASSERT_TRUE(rep.has_value());
    EXPECT_TRUE(j.events_of(0).empty());  // never touched again
    EXPECT_EQ(rep->final_event[0], MoveEvent::kFinished);
    // vm2 is on its source: tried again (and the test driver refuses).
    EXPECT_EQ(j.events_of(1).front(), "queued");
    EXPECT_EQ(rep->final_event[1], MoveEvent::kFailed);
    // A journal of another plan is refused.
    prior[2].vm = "other";
    EXPECT_FALSE(run_dispatch(moves, hosts_, opt_, connector_, j, prior, hooks_).has_value());
}

TEST_F(DispatchTest, AJournalThatDoesNotFitThePlanIsBadInputAboutTheJournal) {
    // The error says it is about the journal in its source field (the caller names the file),
    // whatever its message; other bad input does not.
    const std::vector<PlannedMove> moves = {{0, 1, "vm1", "a", "b"}};
    MemoryJournal j;
    std::vector<JournalEntry> prior = {
        {1, 0, MoveEvent::kStarted, "other", "a", "b", 1, 0, -1, ""}};
    auto rep = run_dispatch(moves, hosts_, opt_, connector_, j, prior, hooks_);
    ASSERT_FALSE(rep.has_value());
    EXPECT_EQ(rep.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(rep.error().source, ErrorSource::kJournal);
    EXPECT_EQ(rep.error().msg, "move 0 does not match the plan (another plan's journal?)");
    prior[0] = {1, 5, MoveEvent::kStarted, "vm1", "a", "b", 1, 0, -1, ""};
    rep = run_dispatch(moves, hosts_, opt_, connector_, j, prior, hooks_);
    ASSERT_FALSE(rep.has_value());
    EXPECT_EQ(rep.error().source, ErrorSource::kJournal);
    EXPECT_EQ(rep.error().msg, "move 5 is not in the plan");
    rep = run_dispatch({{0, 1, "vm1", "a", "nowhere"}}, hosts_, opt_, connector_, j, {}, hooks_);
    ASSERT_FALSE(rep.has_value());
    EXPECT_EQ(rep.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(rep.error().source, ErrorSource::kUnspecified) << rep.error().msg;
    EXPECT_TRUE(j.entries.empty());  // nothing was done
}

TEST_F(DispatchTest, AJournalThatCannotBeWrittenStopsBeforeAnyMigration) {
    MemoryJournal j;
    j.fail_after = 1;  // "queued" is written, "started" is not
    auto rep = run_dispatch({{0, 1, "vm1", "a", "b"}}, hosts_, opt_, connector_, j, {}, hooks_);
    ASSERT_FALSE(rep.has_value());
    EXPECT_EQ(rep.error().code, ErrorCode::kEnvironment);
    ASSERT_EQ(j.entries.size(), 1u);
    EXPECT_EQ(j.entries[0].event, MoveEvent::kQueued);
}

TEST_F(DispatchTest, UnreachableHostsAreFailuresNotCrashes) {
    opt_.connect_template = "qemu+unix:///system?socket=/nonexistent/{id}";
    MemoryJournal j;
    auto rep = run_dispatch({{0, 1, "vm1", "a", "b"}}, hosts_, opt_, connector_, j, {}, hooks_);
    ASSERT_TRUE(rep.has_value());
    EXPECT_EQ(rep->final_event[0], MoveEvent::kFailed);
    EXPECT_NE(rep->final_reason[0].find("cannot check"), std::string::npos) << rep->final_reason[0];
}

TEST(ExpandUri, SubstitutesValidatedValuesAndEscapesTheRest) {
    HostAddr h{"node-1", "10.0.0.7", 0};
    EXPECT_EQ(*expand_uri("qemu+ssh://{address}/system", h), "qemu+ssh://10.0.0.7/system");
    EXPECT_EQ(*expand_uri("qemu+unix:///system?socket=/run/{id} x/sock", h),
              "qemu+unix:///system?socket=/run/node-1%20x/sock");
    EXPECT_EQ(*expand_uri("tcp://{address}", HostAddr{"h", "", 0}), "tcp://h");
    for (const char* bad : {"a;rm -rf /", "a/b", "a b", "x?y", "$(id)", ""}) {
        auto r = expand_uri("qemu+ssh://{address}/system", HostAddr{"h", bad, 0});
        if (std::string(bad).empty()) continue;  // empty address means: the id
        EXPECT_FALSE(r.has_value()) << bad;
    }
    EXPECT_FALSE(expand_uri("qemu://{host}/system", h).has_value());
}

// Addresses are checked for syntax, not only characters; an empty template would connect to
// libvirt's local default hypervisor.
TEST(ExpandUri, RefusesMalformedAddressesAndEmptyTemplates) {
    for (const char* bad : {"[", ":::", "::1", "[::1]]", "..", "-h", "a..b"}) {
        auto r = expand_uri("qemu+ssh://{address}/system", HostAddr{"h", bad, 0});
        EXPECT_FALSE(r.has_value()) << bad;
    }
    EXPECT_EQ(*expand_uri("tcp://{address}", HostAddr{"h", "[::1]", 0}), "tcp://[::1]");
    EXPECT_FALSE(expand_uri("", HostAddr{"h", "10.0.0.1", 0}).has_value());
    EXPECT_FALSE(expand_uri("  ", HostAddr{"h", "10.0.0.1", 0}).has_value());
}

TEST(DryRun, ListsTheCallsPerWave) {
    DispatchOptions o;
    o.connect_template = "qemu+ssh://{address}/system";
    o.migrate_template = "tcp://{address}";
    o.mode = MigrationMode::kAuto;
    o.bandwidth_mibps = 100;
    auto t = dry_run_text({{0, 1, "v1", "a", "b"}, {1, 2, "v2", "b", "a"}},
                          {{"a", "10.0.0.1", 0}, {"b", "10.0.0.2", 0}}, o);
    ASSERT_TRUE(t.has_value()) << t.error().msg;
    EXPECT_NE(t->find("wave 1:\n  virConnectOpen(\"qemu+ssh://10.0.0.1/system\")"),
              std::string::npos)
        << *t;
    EXPECT_NE(t->find("dconnuri=\"qemu+ssh://10.0.0.2/system\", {migrate_uri=\"tcp://10.0.0.2\", "
                      "bandwidth=100"),
              std::string::npos)
        << *t;
    EXPECT_NE(t->find("LIVE|PEER2PEER|AUTO_CONVERGE|POSTCOPY|COMPRESSED"), std::string::npos);
    EXPECT_NE(t->find("wave 2:"), std::string::npos);
}

TEST(LibvirtConnection, StateStatsAndMigrationRefusalOnTheTestDriver) {
    auto c = open_libvirt("test:///default");
    ASSERT_TRUE(c.has_value()) << c.error().msg;
    auto st = (*c)->domain_state("test");
    ASSERT_TRUE(st.has_value());
    EXPECT_TRUE(st->exists && st->running);
    auto none = (*c)->domain_state("nope");
    ASSERT_TRUE(none.has_value());
    EXPECT_FALSE(none->exists);
    auto stats = (*c)->domain_stats();
    ASSERT_TRUE(stats.has_value()) << stats.error().msg;
    ASSERT_EQ(stats->size(), 1u);
    EXPECT_TRUE((*stats)[0].fields.count("state.state"));
    MigrateRequest r;
    r.vm = "test";
    r.dest_uri = "test:///default";
    r.timeout_s = 5;
    const MigrateOutcome out = (*c)->migrate(r);
    EXPECT_FALSE(out.ok);
    EXPECT_FALSE(out.error.empty());
}

}  // namespace
}  // namespace fp::dispatch
