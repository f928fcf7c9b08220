// Dispatch's files: plan.csv as dispatch reads it, and the write-ahead journal (durable appends,
// a line cut short by a crash ignored, malformed lines named by FILE:LINE:FIELD).
#include "io/dispatch_io.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "io/digest.hpp"
#include "tests/unit/io/scratch_dir.hpp"

namespace fp::io {
namespace {

namespace fs = std::filesystem;

using DispatchIoTest = fp::testing::ScratchDirTest;

TEST_F(DispatchIoTest, ReadsMigrationsAndCountsNewVms) {
    const std::string p =
        write("plan.csv",
              "step,vm,source,target,est_seconds\n1,\"vm, a\",h1,h2,1.0\n1,new,,h1,0\n"
              "2,vm-b,h2,h1,2\n");
    auto r = read_plan_csv(p);
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    ASSERT_EQ(r->moves.size(), 2u);
    EXPECT_EQ(r->moves[0].vm, "vm, a");
    EXPECT_EQ(r->moves[1].index, 1);
    EXPECT_EQ(r->moves[1].step, 2);
    EXPECT_EQ(r->new_vms, 1);
}

TEST_F(DispatchIoTest, PlanErrorsNameLineAndField) {
    auto r = read_plan_csv(
        write("plan.csv", "step,vm,source,target\n2,a,h1,h2\n1,b,h1,h2\nx,c,h1,h2\n3,d,h1,h1\n"));
    ASSERT_FALSE(r.has_value());
    const std::string& m = r.error().msg;
    EXPECT_NE(m.find("plan.csv:3:step: rows are not sorted by step"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:4:step: not a wave number"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:5:target: equals the source"), std::string::npos) << m;
    EXPECT_FALSE(read_plan_csv(write("bad.csv", "vm,step\n")).has_value());
    EXPECT_FALSE(read_plan_csv((dir_ / "none.csv").string()).has_value());
}

// The planner's wave rules: waves 1, 2, ... without a gap, each VM at most once (issue 15: a
// hand-edited plan with the same VM twice or a lone wave 5 was carried out).
TEST_F(DispatchIoTest, WaveRulesHold) {
    auto r = read_plan_csv(write("plan.csv",
                                 "step,vm,source,target\n1,a,h1,h2\n1,n,,h2\n2,a,h2,h3\n"
                                 "2,n,,h1\n5,b,h1,h2\n"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    const std::string& m = r.error().msg;
    EXPECT_NE(m.find("plan.csv:4:vm: VM 'a' is already moved on line 2"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:5:vm: VM 'n' is already moved on line 3"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:6:step: wave 5 follows wave 2"), std::string::npos) << m;
    auto first = read_plan_csv(write("p2.csv", "step,vm,source,target\n2,a,h1,h2\n"));
    ASSERT_FALSE(first.has_value());
    EXPECT_NE(first.error().msg.find("p2.csv:2:step: the first wave is 2"), std::string::npos);
    auto ok = read_plan_csv(write("p3.csv", "step,vm,source,target\n1,a,h1,h2\n2,b,h2,h1\n"));
    ASSERT_TRUE(ok.has_value()) << ok.error().msg;
    EXPECT_EQ(ok->digest,
              "fnv1a64:" + fnv1a64_hex("step,vm,source,target\n1,a,h1,h2\n2,b,h2,h1\n"));
}

TEST_F(DispatchIoTest, ReadsTheOptionalColumnsByName) {
    // Columns in another order than the planner writes them, one unknown column, a new VM row.
    auto r = read_plan_csv(
        write("plan.csv",
              "step,vm,source,target,flags,note,est_start_s,reason,est_downtime_ms,est_seconds\n"
              "1,a,h1,h2,over-timeout;over-downtime,x,0,evacuate,350.5,700\n"
              "1,new,,h1,,y,0,new,0,0\n"
              "2,b,h2,h1,,z,700.25,consolidate,12,2.5e1\n"));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    ASSERT_EQ(r->moves.size(), 2u);
    const dispatch::PlannedMove& a = r->moves[0];
    EXPECT_EQ(a.est_seconds, 700.0);
    EXPECT_EQ(a.est_downtime_ms, 350.5);
    EXPECT_EQ(a.est_start_s, 0.0);
    EXPECT_EQ(a.reason, plan::MoveReason::kEvacuate);
    EXPECT_EQ(a.flags, plan::kFlagOverTimeout | plan::kFlagOverDowntime);
    const dispatch::PlannedMove& b = r->moves[1];
    EXPECT_EQ(b.est_seconds, 25.0);
    EXPECT_EQ(b.est_start_s, 700.25);
    EXPECT_EQ(b.reason, plan::MoveReason::kConsolidate);
    EXPECT_EQ(b.flags, 0);
}

TEST_F(DispatchIoTest, AnOlderPlanWithoutEstimatesStillReads) {
    auto r = read_plan_csv(write("plan.csv", "step,vm,source,target\n1,a,h1,h2\n"));
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    ASSERT_EQ(r->moves.size(), 1u);
    EXPECT_FALSE(r->moves[0].est_seconds.has_value());
    EXPECT_FALSE(r->moves[0].est_downtime_ms.has_value());
    EXPECT_FALSE(r->moves[0].est_start_s.has_value());
    EXPECT_FALSE(r->moves[0].reason.has_value());
    EXPECT_FALSE(r->moves[0].flags.has_value());
    // An empty estimate is no estimate.
    auto e = read_plan_csv(write("e.csv", "step,vm,source,target,est_seconds\n1,a,h1,h2,\n"));
    ASSERT_TRUE(e.has_value()) << e.error().msg;
    EXPECT_FALSE(e->moves[0].est_seconds.has_value());
}

TEST_F(DispatchIoTest, BadOptionalValuesNameLineAndColumn) {
    auto r = read_plan_csv(
        write("plan.csv",
              "step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags\n"
              "1,a,h1,h2,abc,1,evacuate,0,\n"
              "1,b,h1,h2,-5,1,evacuate,0,\n"
              "1,c,h1,h2,1,nan,evacuate,2e9,\n"
              "1,d,h1,h2,1,1,moving,0,over-timeout;late\n"
              "1,e,,h2,1,1,new,0,over-timeout;\n"));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    const std::string& m = r.error().msg;
    EXPECT_NE(m.find("plan.csv:2:est_seconds: not a number: 'abc'"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:3:est_seconds: must not be negative: '-5'"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:4:est_downtime_ms:"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:4:est_start_s:"), std::string::npos) << m;
    EXPECT_NE(m.find("(at most 1e9)"), std::string::npos) << m;
    EXPECT_NE(m.find("plan.csv:5:reason: unknown reason 'moving' (valid: evacuate, new,"),
              std::string::npos)
        << m;
    EXPECT_NE(m.find("plan.csv:5:flags: unknown flag 'late'"), std::string::npos) << m;
    // A new VM's row is checked too (an empty token after ';').
    EXPECT_NE(m.find("plan.csv:6:flags: unknown flag ''"), std::string::npos) << m;
}

TEST_F(DispatchIoTest, JournalRoundTripsAndIgnoresACutLine) {
    const std::string p = (dir_ / "dispatch.journal").string();
    {
        auto j = FileJournal::open(p);
        ASSERT_TRUE(j.has_value()) << j.error().msg;
        dispatch::JournalEntry e{
            12.5, 0, dispatch::MoveEvent::kStarted, "vm \"x\", 1", "h1", "h2", 1, 0, -1, ""};
        ASSERT_TRUE((*j)->append(e).has_value());
        e.event = dispatch::MoveEvent::kFinished;
        e.seconds = 1.25;
        e.downtime_ms = 23;
        e.reason = "done, fine";
        ASSERT_TRUE((*j)->append(e).has_value());
    }
    // A crash in the middle of the next line.
    std::ofstream(p, std::ios::app) << "13.0,1,star";
    auto back = read_journal(p);
    ASSERT_TRUE(back.has_value()) << back.error().msg;
    ASSERT_EQ(back->size(), 2u);
    EXPECT_EQ((*back)[0].vm, "vm \"x\", 1");
    EXPECT_EQ((*back)[1].event, dispatch::MoveEvent::kFinished);
    EXPECT_EQ((*back)[1].reason, "done, fine");
    EXPECT_DOUBLE_EQ((*back)[1].downtime_ms, 23);
    // Reopening (a resumed dispatch) drops the cut line before appending.
    {
        auto j = FileJournal::open(p);
        ASSERT_TRUE(j.has_value());
        ASSERT_TRUE((*j)->append(dispatch::JournalEntry{14, 1, dispatch::MoveEvent::kQueued, "v",
                                                        "h1", "h2", 0, 0, -1, ""})
                        .has_value());
    }
    auto again = read_journal(p);
    ASSERT_TRUE(again.has_value()) << again.error().msg;
    ASSERT_EQ(again->size(), 3u);
    EXPECT_EQ((*again)[2].event, dispatch::MoveEvent::kQueued);
}

TEST_F(DispatchIoTest, MalformedJournalLinesAreNamed) {
    const std::string p =
        write("j", std::string(kJournalHeader) +
                       "\n1.0,0,flying,v,a,b,1,0,-1,\nx,0,queued,v,a,b,1,0,-1,\n");
    auto r = read_journal(p);
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().msg.find(":2:event: unknown event 'flying'"), std::string::npos)
        << r.error().msg;
    EXPECT_NE(r.error().msg.find(":3:time_s: not a number"), std::string::npos) << r.error().msg;
    EXPECT_TRUE(read_journal((dir_ / "missing").string())->empty());
}

// libvirt reads ids as C strings: 'test<NUL>evil' would migrate 'test'. Such ids, and ids that
// are not UTF-8, are refused in plan.csv and in the journal, named by line and column.
TEST_F(DispatchIoTest, IdsWithANulOrBadUtf8AreRefused) {
    using namespace std::string_literals;
    auto r = read_plan_csv(write("plan.csv",
                                 "step,vm,source,target\n1,test\0evil,h1,h2\n"
                                 "1,w,,h\0\n"s));
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().msg,
              (dir_ / "plan.csv").string() + ":2:vm: id holds a NUL byte (at byte 5)\n" +
                  (dir_ / "plan.csv").string() + ":3:target: id holds a NUL byte (at byte 2)");
    auto u = read_plan_csv(write("u.csv", "step,vm,source,target\n1,v,h\xED\xA0\x80,h2\n"));
    ASSERT_FALSE(u.has_value());
    EXPECT_NE(u.error().msg.find("u.csv:2:source: not valid UTF-8"), std::string::npos)
        << u.error().msg;
    auto j = read_journal(
        write("j", std::string(kJournalHeader) + "\n1.0,0,started,test\0evil,a,b,1,0,-1,\n"s));
    ASSERT_FALSE(j.has_value());
    EXPECT_NE(j.error().msg.find(":2:vm: id holds a NUL byte"), std::string::npos) << j.error().msg;
}

// fleetplan cycle bounds DIR/history.csv to its newest [cycle] history_keep sample times.
TEST(TrimHistoryText, KeepsTheNewestTimesWholeRecordsInFileOrder) {
    const std::string text =
        "time,vm,cpu,mem,net\n"
        "100,a,0.1,0.2,\n"
        "100,\"b,\nc\",0.3,0.4,\n"
        "200,a,0.5,0.6,\n"
        "300,a,0.7,0.8,\n"
        "300,\"b,\nc\",0.9,1.0,\n";
    const TrimmedHistory t = trim_history_text(text, 2, 60);
    EXPECT_EQ(t.times, 3);
    EXPECT_EQ(t.kept_times, 2);
    EXPECT_EQ(t.dropped, 2);
    EXPECT_EQ(t.text,
              "time,vm,cpu,mem,net\n200,a,0.5,0.6,\n300,a,0.7,0.8,\n300,\"b,\nc\",0.9,1.0,\n");
    // Within the bound, or 0 (no bound): unchanged.
    for (int64_t keep : {3, 10, 0}) {
        const TrimmedHistory same = trim_history_text(text, keep, 60);
        EXPECT_EQ(same.dropped, 0) << keep;
        EXPECT_EQ(same.text, text) << keep;
    }
    // Times out of order (a clock set back): the newest by value stay, order kept.
    const TrimmedHistory back =
        trim_history_text("time,vm,cpu,mem,net\n300,a,1,1,\n100,a,0,0,\n200,a,0.5,0.5,", 2, 60);
    EXPECT_EQ(back.text, "time,vm,cpu,mem,net\n300,a,1,1,\n200,a,0.5,0.5,");
}

// Two cycles in one second, or a cycle rerun by hand a few seconds after another: plan's history
// reader refuses a duplicate (time, vm) and would take the few seconds as its grid.
TEST(TrimHistoryText, DropsDuplicatesAndSamplesTooCloseToANewerOne) {
    const std::string text =
        "time,vm,cpu,mem,net\n"
        "1000,a,0.1,0,\n"
        "1300,a,0.2,0,\n"
        "1300,b,0.2,0,\n"
        "1300,a,0.3,0,\n"  // the same (time, vm) again: this record stays
        "1310,a,0.4,0,\n"  // 10 s later: it stays, 1300 goes
        "1310,b,0.4,0,\n";
    const TrimmedHistory t = trim_history_text(text, 0, 60);
    EXPECT_EQ(t.times, 3);
    EXPECT_EQ(t.kept_times, 2);
    EXPECT_EQ(t.text, "time,vm,cpu,mem,net\n1000,a,0.1,0,\n1310,a,0.4,0,\n1310,b,0.4,0,\n");
    const TrimmedHistory close = trim_history_text(text, 0, 5);
    EXPECT_EQ(close.text,
              "time,vm,cpu,mem,net\n1000,a,0.1,0,\n1300,b,0.2,0,\n1300,a,0.3,0,\n"
              "1310,a,0.4,0,\n1310,b,0.4,0,\n");
}

// plan --history refuses a VM the fleet does not have: the cycle gives it the rows of the VMs
// collect found (ids compared unquoted).
TEST(HistoryOfVmsText, KeepsTheRowsOfTheGivenVmsOnly) {
    const std::string text =
        "time,vm,cpu,mem,net\n1,a,0,0,\n1,gone,0,0,\n2,\"b,\"\"c\"\"\",0,0,\n2,a,0,0,\n";
    const TrimmedHistory t = history_of_vms_text(text, {"a", "b,\"c\""});
    EXPECT_EQ(t.dropped, 1);
    EXPECT_EQ(t.text, "time,vm,cpu,mem,net\n1,a,0,0,\n2,\"b,\"\"c\"\"\",0,0,\n2,a,0,0,\n");
    EXPECT_EQ(history_of_vms_text(text, {}).text, "time,vm,cpu,mem,net\n");
}

TEST_F(DispatchIoTest, TrimCollectedHistoryRewritesTheFileOnlyWhenItDrops) {
    const std::string p = write("history.csv", "time,vm,cpu,mem,net\n1,a,0,0,\n2,a,0,0,\n");
    auto kept = trim_collected_history(p, 2, 1);
    ASSERT_TRUE(kept.has_value()) << kept.error().msg;
    EXPECT_EQ(kept->dropped, 0);
    auto cut = trim_collected_history(p, 1, 1);
    ASSERT_TRUE(cut.has_value()) << cut.error().msg;
    EXPECT_EQ(cut->dropped, 1);
    std::ifstream in(p);
    const std::string now((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(now, "time,vm,cpu,mem,net\n2,a,0,0,\n");
    auto missing = trim_collected_history(p + ".none", 1, 1);
    ASSERT_TRUE(missing.has_value());
    EXPECT_EQ(missing->dropped, 0);
    EXPECT_FALSE(fs::exists(p + ".none"));
}

}  // namespace
}  // namespace fp::io
