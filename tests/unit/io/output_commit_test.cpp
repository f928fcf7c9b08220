#include "io/output_commit.hpp"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>

#include "io/csv.hpp"
#include "tests/unit/io/scratch_dir.hpp"

namespace fp::io {
namespace {

class OutputCommitTest : public fp::testing::ScratchDirTest {
  protected:
    std::string read(const std::string& name) {
        auto t = read_file((dir_ / name).string());
        return t ? *t : "<missing>";
    }
    // Files in the directory other than the given ones and the lock (temporaries, the list).
    int others(std::initializer_list<const char*> expected) {
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir_)) {
            const std::string f = e.path().filename().string();
            bool known = f == "commit.lock";  // the directory's lock file stays
            for (const char* x : expected) known |= f == x;
            n += known ? 0 : 1;
        }
        return n;
    }
    std::string dir() const { return dir_.string(); }
    std::string p(const std::string& name) const { return (dir_ / name).string(); }
};

TEST_F(OutputCommitTest, ReplacesAddsAndRemovesInOneCommit) {
    write("a.txt", "old a");
    write("gone.txt", "stale");
    write("last.txt", "old last");
    write("gone.txt.tmp.999999999", "a dead writer's temporary");
    auto c = OutputCommit::open(dir());
    ASSERT_TRUE(c.has_value()) << c.error().msg;
    ASSERT_TRUE(c->stage("a.txt", "new a").has_value());
    c->remove("gone.txt");
    ASSERT_TRUE(c->stage("b.txt", "b").has_value());
    ASSERT_TRUE(c->stage("last.txt", "new last").has_value());
    EXPECT_EQ(read("a.txt"), "old a");  // nothing changes before the commit
    ASSERT_TRUE(c->commit().has_value());
    EXPECT_EQ(read("a.txt"), "new a");
    EXPECT_EQ(read("gone.txt"), "<missing>");
    EXPECT_EQ(read("b.txt"), "b");
    EXPECT_EQ(read("last.txt"), "new last");
    EXPECT_EQ(others({"a.txt", "b.txt", "last.txt"}), 0);  // no temporary, no list
}

TEST_F(OutputCommitTest, AFailedStageLeavesThePreviousFilesAndNoTemporaries) {
    write("a.txt", "old a");
    write("last.txt", "old last");
    {
        auto c = OutputCommit::open(dir());
        ASSERT_TRUE(c.has_value());
        ASSERT_TRUE(c->stage("a.txt", "new a").has_value());
        // last.txt cannot be written: a file-size limit below its size (SIGXFSZ ignored, as
        // fleetplan's main() does: the write fails with EFBIG).
        const auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit old_limit{};
        ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
        rlimit small = old_limit;
        small.rlim_cur = 4096;
        ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
        auto r = c->stage("last.txt", std::string(3 * 4096, 'x'));
        ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old_limit), 0);
        std::signal(SIGXFSZ, old_handler);
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::kEnvironment);
        EXPECT_NE(r.error().msg.find("last.txt"), std::string::npos) << r.error().msg;
    }  // never committed: the staged a.txt goes
    EXPECT_EQ(read("a.txt"), "old a");
    EXPECT_EQ(read("last.txt"), "old last");
    EXPECT_EQ(others({"a.txt", "last.txt"}), 0);
}

TEST_F(OutputCommitTest, ACommitCutShortIsFinishedByTheNextCommand) {
    // What a writer killed after its list and its first rename leaves behind (PIDs above any
    // pid_max: never a live process).
    write("a.txt", "new a");  // already renamed: a.txt.tmp.999999942 is gone
    write("b.txt", "old b");
    write("b.txt.tmp.999999942", "new b");
    write("old.txt", "stale");
    write(kCommitList,
          "fleetplan commit "
          "1\nrename\ta.txt.tmp.999999942\ta.txt\nrename\tb.txt.tmp.999999942\tb.txt\n"
          "remove\told.txt\n");
    ASSERT_TRUE(complete_pending_commit(dir()).has_value());
    EXPECT_EQ(read("a.txt"), "new a");
    EXPECT_EQ(read("b.txt"), "new b");
    EXPECT_EQ(read("old.txt"), "<missing>");
    EXPECT_EQ(others({"a.txt", "b.txt"}), 0);
    // Nothing pending: nothing to do.
    EXPECT_TRUE(complete_pending_commit(dir()).has_value());
}

TEST_F(OutputCommitTest, OpeningADirectoryFinishesItsPendingCommitFirst) {
    write("p.csv", "old");
    write("p.csv.tmp.999999907", "new");
    write(kCommitList, "fleetplan commit 1\nrename\tp.csv.tmp.999999907\tp.csv\n");
    auto c = OutputCommit::open(dir());
    ASSERT_TRUE(c.has_value()) << c.error().msg;
    EXPECT_EQ(read("p.csv"), "new");
    EXPECT_EQ(read(kCommitList), "<missing>");
}

TEST_F(OutputCommitTest, AMalformedListIsBadInputNamingItsLine) {
    write(kCommitList, "fleetplan commit 1\nrename\t../../etc/passwd.tmp.1\t../../etc/passwd\n");
    auto r = complete_pending_commit(dir());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(r.error().msg.rfind(dir() + "/" + kCommitList + ":2: expected", 0), 0u)
        << r.error().msg;
    write(kCommitList, "something else\n");
    r = complete_pending_commit(dir());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().msg.find(":1: expected 'fleetplan commit 1'"), std::string::npos);
    write(kCommitList, "fleetplan commit 1\nrename\tx.tmp.1\tx");  // no final newline
    r = complete_pending_commit(dir());
    ASSERT_FALSE(r.has_value());
    EXPECT_NE(r.error().msg.find(":2: line not terminated"), std::string::npos);
}

TEST_F(OutputCommitTest, ARenameFailingAfterTheCommitPointIsFinishedLater) {
    write("a.txt", "old a");
    std::filesystem::create_directories(dir_ / "b.txt" / "in-the-way");  // rename onto it fails
    {
        auto c = OutputCommit::open(dir());
        ASSERT_TRUE(c.has_value());
        ASSERT_TRUE(c->stage("a.txt", "new a").has_value());
        ASSERT_TRUE(c->stage("b.txt", "new b").has_value());
        auto r = c->commit();
        ASSERT_FALSE(r.has_value());
        EXPECT_EQ(r.error().code, ErrorCode::kEnvironment);
        EXPECT_NE(r.error().msg.find("are committed"), std::string::npos) << r.error().msg;
    }  // the writer is gone (its lock with it); its temporaries stay for the list
    EXPECT_EQ(read("a.txt"), "new a");
    EXPECT_NE(read(kCommitList), "<missing>");
    std::filesystem::remove_all(dir_ / "b.txt");
    ASSERT_TRUE(complete_pending_commit(dir()).has_value());
    EXPECT_EQ(read("b.txt"), "new b");
    EXPECT_EQ(others({"a.txt", "b.txt"}), 0);
}

TEST_F(OutputCommitTest, ACleanupOfStaleTemporariesSparesThoseAPendingListNeeds) {
    write("b.txt", "old b");
    write("b.txt.tmp.999999942", "new b");
    write(kCommitList, "fleetplan commit 1\nrename\tb.txt.tmp.999999942\tb.txt\n");
    // Another writer of b.txt (say, a checkpoint rewrite) runs before anyone completes the list.
    ASSERT_TRUE(write_file_atomic(p("other.txt"), "x").has_value());
    remove_stale_temporaries(p("b.txt"));
    EXPECT_EQ(read("b.txt.tmp.999999942"), "new b");
    ASSERT_TRUE(complete_pending_commit(dir()).has_value());
    EXPECT_EQ(read("b.txt"), "new b");
}

TEST_F(OutputCommitTest, ASecondWriterOfTheDirectoryIsRefusedWhileTheFirstHoldsIt) {
    auto first = OutputCommit::open(dir());
    ASSERT_TRUE(first.has_value());
    auto second = OutputCommit::open(dir());
    ASSERT_FALSE(second.has_value());
    EXPECT_EQ(second.error().code, ErrorCode::kEnvironment);
    EXPECT_NE(second.error().msg.find("another fleetplan process"), std::string::npos)
        << second.error().msg;
    ASSERT_TRUE(first->stage("a.txt", "a").has_value());
    ASSERT_TRUE(first->commit().has_value());
}

// Issue 15: in a shared --out, a link planted under the name of the next temporary (the old
// NAME.tmp.PID) was followed: the file it named was overwritten and the output became the link.
TEST_F(OutputCommitTest, ALinkPlantedAsATemporaryIsNeverFollowed) {
    const std::filesystem::path victim = dir_ / "outside" / "victim";
    std::filesystem::create_directories(victim.parent_path());
    std::ofstream(victim) << "precious";
    std::filesystem::create_directory(dir_ / "out");
    const std::string out = (dir_ / "out").string();
    const std::string pid = std::to_string(::getpid());
    for (const char* n : {"a.txt", "b.txt", kCommitList})
        std::filesystem::create_symlink(victim, dir_ / "out" / (std::string(n) + ".tmp." + pid));
    std::filesystem::create_symlink(dir_ / "outside" / "b", dir_ / "out" / "b.txt");
    {
        auto c = OutputCommit::open(out);
        ASSERT_TRUE(c.has_value()) << c.error().msg;
        ASSERT_TRUE(c->stage("a.txt", "new a").has_value());
        ASSERT_TRUE(c->stage("b.txt", "new b").has_value());
        ASSERT_TRUE(c->commit().has_value());
    }
    ASSERT_TRUE(write_file_atomic(out + "/c.txt", "new c").has_value());
    EXPECT_EQ(*read_file(victim.string()), "precious");
    EXPECT_FALSE(std::filesystem::exists(dir_ / "outside" / "b"));  // nothing written through
    for (const char* n : {"a.txt", "b.txt", "c.txt"}) {
        struct stat st {};
        ASSERT_EQ(::lstat((out + "/" + n).c_str(), &st), 0) << n;
        EXPECT_TRUE(S_ISREG(st.st_mode)) << n << " is not a regular file";
    }
    EXPECT_EQ(*read_file(out + "/b.txt"), "new b");
}

TEST_F(OutputCommitTest, APendingListWhoseTemporaryIsALinkIsRefused) {
    write("victim", "precious");
    std::filesystem::create_symlink(dir_ / "victim", dir_ / "a.txt.tmp.999999942");
    write(kCommitList, "fleetplan commit 1\nrename\ta.txt.tmp.999999942\ta.txt\n");
    auto r = complete_pending_commit(dir());
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    EXPECT_NE(r.error().msg.find("a.txt.tmp.999999942: not a regular file"), std::string::npos)
        << r.error().msg;
    EXPECT_FALSE(std::filesystem::exists(dir_ / "a.txt"));
}

}  // namespace
}  // namespace fp::io
