// Several output files replaced as one: the plan's checkpoint.h5, resize.csv, summary.json and
// plan.csv. Each file is first staged (written and fsynced as DIR/NAME.tmp.PID.RANDOM, created
// exclusively, never through a link; io/csv.hpp stage_file). commit() then
// writes DIR/commit.pending, the list of renames and removals to make, atomically: that is the
// commit point. It carries the list out in order and removes it. A crash before the list exists
// leaves the earlier files untouched (the next write removes the dead process's temporaries); a
// crash after it leaves the list, and complete_pending_commit(DIR) finishes the job: `plan`
// calls it for its --out, --resume and --previous directories and `dispatch` for its plan
// directory, before reading anything there. (`inspect` and other readers see the earlier files
// and the list until then.) An exclusive lock on DIR/commit.lock, held while a plan stages and
// commits, while a list is completed and for the whole of a dispatch, keeps two fleetplan
// processes from writing one directory at once. Thread-safety: one OutputCommit per directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/util/result.hpp"

namespace fp::io {

inline constexpr const char* kCommitList = "commit.pending";

// An exclusive flock on DIR/commit.lock, released on destruction (and by the kernel when the
// process dies, even by kill -9).
class DirLock {
  public:
    // wait: block until the lock is free; else a held lock is an environment error.
    static Result<DirLock> take(const std::string& dir, bool wait);
    DirLock(DirLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    DirLock& operator=(DirLock&&) = delete;
    DirLock(const DirLock&) = delete;
    DirLock& operator=(const DirLock&) = delete;
    ~DirLock();

  private:
    explicit DirLock(int fd) : fd_(fd) {}
    int fd_ = -1;
};

class OutputCommit {
  public:
    // Takes DIR's lock (a held lock is an environment error: another fleetplan process is
    // writing or dispatching DIR), finishes what a crashed writer left there, and starts a new
    // commit. crash_point(CRASH_POINT_NAME), when given, fires after staging, after the
    // list is written and after each file is put in place (tests).
    static Result<OutputCommit> open(std::string dir, const char* crash_point_name = nullptr);
    OutputCommit(OutputCommit&& other) noexcept;
    OutputCommit& operator=(OutputCommit&&) = delete;
    OutputCommit(const OutputCommit&) = delete;
    OutputCommit& operator=(const OutputCommit&) = delete;
    ~OutputCommit();  // removes the staged temporaries of a commit that never happened

    // DIR/NAME gets `content` (NAME: a plain file name). Environment failures are kEnvironment.
    Result<void> stage(const std::string& name, std::string_view content);
    // DIR/NAME goes (if it is there).
    void remove(const std::string& name);
    // Puts everything staged in place, in the order staged. A failure before the list is
    // written leaves the earlier files untouched; after it (a rename failing), the new files
    // are committed and the next complete_pending_commit(DIR) finishes putting them in place.
    Result<void> commit();
    // Whether commit() reached its commit point (the list is on disk), even if it then failed.
    bool committed() const { return committed_; }

  private:
    OutputCommit(std::string dir, const char* crash_point_name, DirLock lock);
    struct Step {
        std::string name;
        std::string tmp;  // file name of the staged temporary; empty: remove NAME
    };
    std::string dir_;
    const char* crash_ = nullptr;
    std::vector<Step> steps_;
    bool committed_ = false;
    DirLock lock_;
};

// If DIR holds commit.pending, takes DIR's lock (waiting for a live writer's commit to end),
// carries out the list's renames and removals and removes it; else does nothing. A malformed
// list is bad input naming its line; an unreadable one, an environment error.
Result<void> complete_pending_commit(const std::string& dir);
// The same for a caller that holds DIR's lock.
Result<void> complete_pending_commit_locked(const std::string& dir);
// Bad input unless DIR can be a command's --out: not empty, not the root directory, and either
// missing (it is created) or a directory. A regular file, a dangling link or a path through a
// file is refused before anything is written.
Result<void> check_out_dir(const std::string& dir);
// The directory holding PATH, symbolic links resolved ("." for a bare file name).
std::string parent_dir(const std::string& path);

}  // namespace fp::io
