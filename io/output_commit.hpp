// Several output files replaced as one: the plan's checkpoint.h5, resize.csv, summary.json and
// plan.csv. Each file is first staged (written and fsynced as DIR/NAME.tmp.PID). commit() then
// writes DIR/commit.pending, the list of renames and removals to make, atomically: that is the
// commit point. It carries the list out in order and removes it. A crash before the list exists
// leaves the earlier files untouched (the next write removes the dead process's temporaries); a
// crash after it leaves the list, and complete_pending_commit(DIR), which every command reading
// or writing such a directory calls first, finishes the job. Once that has run, a directory
// never holds files of two runs side by side. Thread-safety: one OutputCommit per directory.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "src/util/result.hpp"

namespace fp::io {

inline constexpr const char* kCommitList = "commit.pending";

class OutputCommit {
  public:
    // Finishes what a crashed writer left in DIR (complete_pending_commit), then starts a new
    // commit there. crash_point(CRASH_POINT_NAME), when given, fires after staging, after the
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

  private:
    OutputCommit(std::string dir, const char* crash_point_name);
    struct Step {
        std::string name;
        std::string tmp;  // file name of the staged temporary; empty: remove NAME
    };
    std::string dir_;
    const char* crash_ = nullptr;
    std::vector<Step> steps_;
    bool committed_ = false;
};

// If DIR holds commit.pending, carries out its renames and removals and removes it; else does
// nothing. A malformed list is bad input naming its line.
Result<void> complete_pending_commit(const std::string& dir);
// The directory holding PATH ("." for a bare file name).
std::string parent_dir(const std::string& path);

}  // namespace fp::io
