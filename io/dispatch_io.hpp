// Dispatch's files: the plan directory's plan.csv (what to carry out), hosts.csv's ids,
// addresses and memory (how to reach a host, how much room it has), and the write-ahead journal
// DIR/dispatch.journal: a CSV with one line per state change, each written and flushed (fsync)
// before dispatch takes its next action. A line cut short by a crash (no final newline) is
// ignored on reading; anything else malformed is an error naming FILE:LINE:FIELD.
// Thread-safety: FileJournal::append may be called from one thread at a time.
#pragma once

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "src/dispatch/collect.hpp"
#include "src/dispatch/dispatch.hpp"
#include "src/util/result.hpp"

namespace fp::io {

struct PlanToDispatch {
    std::vector<dispatch::PlannedMove> moves;  // migrations, in plan order (index = position)
    int64_t new_vms = 0;                       // placements of new VMs (not dispatched)
    std::string digest;                        // io::plan_digest of the file's bytes
};

// plan.csv: header beginning step,vm,source,target; rows sorted by step. Optional columns,
// found by name: est_seconds, est_downtime_ms and est_start_s (numbers in [0, 1e9]; empty: no
// estimate), reason (plan::to_string(MoveReason)) and flags (plan::flags_to_string).
// The planner's wave rules hold: waves are numbered 1, 2, … without a gap, each VM appears at
// most once (a migration or a new VM's placement), and no move has its source as its target.
Result<PlanToDispatch> read_plan_csv(const std::string& path);
Result<std::vector<dispatch::HostAddr>> read_dispatch_hosts(const std::string& hosts_csv);

// collect's outputs. vms.csv: id,host,cpu,mem,net,mem_size,dirty_rate,cpu_alloc in the given
// (host, vm) order. missing_hosts.csv: host,error, one row per host collect could not read
// (only the header when none). The history CSV: time,vm,cpu,mem,net fractions of each VM's
// size at `time_s`, appended (the header when the file is new), never through a link.
std::string collected_vms_csv(const std::vector<dispatch::CollectedVm>& rows);
std::string missing_hosts_csv(const std::vector<dispatch::MissingHost>& missing);
[[nodiscard]] Result<void> append_collected_history(const std::string& path,
                                                    const std::vector<dispatch::CollectedVm>& rows,
                                                    int64_t time_s);
// The history CSV bounded for `fleetplan cycle` ([cycle] history_keep, history_min_interval_s):
// the samples of its `keep_times` newest times (0: all), each time at least `min_interval_s`
// before the next one kept (a sample taken sooner after another, say by a cycle rerun by hand,
// is dropped in favour of the newer one), and each (time, vm) once (the record written last).
// plan --history, which takes the smallest interval between samples as its grid, then reads a
// series of bounded length without duplicate samples. Records are
// kept whole and in file order (a quoted field may span lines); a record whose time is not an
// integer is kept. `dropped`: the records removed (0: the text returned unchanged).
struct TrimmedHistory {
    std::string text;
    int64_t dropped = 0;
    int64_t times = 0;       // distinct times in the input
    int64_t kept_times = 0;  // of them kept
};
TrimmedHistory trim_history_text(const std::string& text, int64_t keep_times,
                                 int64_t min_interval_s);
// The file rewritten atomically when anything is dropped; a missing file is left alone.
[[nodiscard]] Result<TrimmedHistory> trim_collected_history(const std::string& path,
                                                            int64_t keep_times,
                                                            int64_t min_interval_s);
// The history's records of the VMs in `vms` (the header, and any record whose time is not an
// integer, stay): plan --history refuses a VM the fleet does not have, such as one deleted since
// a sample or one on a host collect could not read this time. `dropped`: the records left out.
TrimmedHistory history_of_vms_text(const std::string& text, const std::set<std::string>& vms);
// The same for the ids of VMS_CSV (its id column), written to OUT (atomically).
[[nodiscard]] Result<TrimmedHistory> write_history_of_vms(const std::string& history,
                                                          const std::string& vms_csv,
                                                          const std::string& out);

inline constexpr const char* kJournalHeader =
    "time_s,move,event,vm,source,target,attempt,seconds,downtime_ms,reason";

class FileJournal final : public dispatch::Journal {
  public:
    // Opens (creating with its header) PATH for appending.
    static Result<std::unique_ptr<FileJournal>> open(const std::string& path);
    ~FileJournal() override;
    FileJournal(const FileJournal&) = delete;
    FileJournal& operator=(const FileJournal&) = delete;
    Result<void> append(const dispatch::JournalEntry& e) override;

  private:
    FileJournal(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_;
    std::string path_;
};

std::string journal_line(const dispatch::JournalEntry& e);
// The journal's entries; a missing file is an empty journal.
Result<std::vector<dispatch::JournalEntry>> read_journal(const std::string& path);

}  // namespace fp::io
