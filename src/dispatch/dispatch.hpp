// Carrying a plan out: waves in order, at most `max_per_host` migrations touching a host and
// `max_total` in all at once; before each migration the VM must run on its planned source and
// the target must have memory for it, after it the VM must run on the target. Failures are
// retried with back-off (timeouts abort the job and leave the VM on its source); a move whose
// preconditions no longer hold (a dependent move after a failure) is skipped with its reason,
// never forced. Every state change is appended to a write-ahead journal, durably, before the
// next action; a resumed dispatch first settles the moves that were in flight by asking where
// their VM runs, so nothing finished is repeated and nothing is lost.
// Pure logic over the dispatcher.hpp interfaces (no libvirt). Thread-safety: run_dispatch uses
// threads internally; the Connector must be callable from several threads.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/dispatch/dispatcher.hpp"
#include "src/plan/plan.hpp"

namespace fp::dispatch {

enum class MoveEvent { kQueued, kStarted, kFinished, kFailed, kAborted, kSkipped };
std::string_view to_string(MoveEvent e);
std::optional<MoveEvent> parse_move_event(std::string_view s);

struct PlannedMove {
    int64_t index = 0;  // row of plan.csv (0-based)
    int32_t step = 0;   // wave
    std::string vm, source, target;
    // plan.csv's optional columns, for people and the dry run's estimate; the dispatcher does
    // not act on them. nullopt: the column is absent or the field empty.
    std::optional<double> est_seconds{};
    std::optional<double> est_downtime_ms{};
    std::optional<double> est_start_s{};
    std::optional<plan::MoveReason> reason{};
    // plan::MoveFlag bits: the [migration] limits the plan says the move breaks (0: none).
    std::optional<uint8_t> flags{};
};

struct HostAddr {
    std::string id;
    std::string address;  // empty: the id
    int64_t mem_mib = 0;  // capacity, for the room check (0: not checked)
    std::string site{};   // empty: none given
};

struct DispatchOptions {
    std::string connect_template;  // how fleetplan reaches a host's hypervisor
    std::string dest_template;     // the target as the source reaches it (default: connect)
    std::string migrate_template;  // the data channel (default: none)
    int32_t max_per_host = 1;
    int32_t max_total = 4;
    double bandwidth_mibps = 0;
    MigrationMode mode = MigrationMode::kPrecopy;
    double timeout_s = 600;
    int32_t retries = 2;
    double backoff_s = 2;  // doubled after each failed attempt
};

struct JournalEntry {
    double time_s = 0;  // seconds since the epoch (wall clock; for people, not for decisions)
    int64_t move = 0;
    MoveEvent event = MoveEvent::kQueued;
    std::string vm, source, target;
    int32_t attempt = 0;
    double seconds = 0;
    double downtime_ms = -1;
    std::string reason;
};

class Journal {
  public:
    virtual ~Journal() = default;
    // Durable when it returns (written and flushed to disk).
    virtual Result<void> append(const JournalEntry& e) = 0;
};

struct Progress {
    int64_t done = 0, failed = 0, skipped = 0, remaining = 0, running = 0;
    int64_t done_before = 0;  // done or skipped before this run (a resumed dispatch)
    double elapsed_s = 0;     // of this run
};

struct DispatchReport {
    int64_t finished = 0, failed = 0, skipped = 0;
    std::vector<MoveEvent> final_event;  // per move
    std::vector<std::string> final_reason;
};

// A URI from a template: {id} and {address} are replaced by the host's (validated: letters,
// digits and . _ - : [ ] only, so nothing else can reach a URI) and URI-escaped otherwise.
Result<std::string> expand_uri(const std::string& tpl, const HostAddr& host);

// The libvirt calls dispatch would make, per wave (for --dry-run).
Result<std::string> dry_run_text(const std::vector<PlannedMove>& moves,
                                 const std::vector<HostAddr>& hosts, const DispatchOptions& opt);

struct DispatchHooks {
    std::function<void(const Progress&)> progress;  // after every event
                                                    // After each wave, and once more at the end
                                                    // (wave -1) when this run wrote to the journal.
    std::function<Result<void>(int32_t wave)> wave_end;
    std::function<void(double seconds)> sleep;  // back-off (tests shorten it)
    std::function<double()> now;                // wall clock for the journal
};

// `prior`: the journal of an interrupted dispatch of the same plan (empty for a new one). An
// entry of it that does not fit the plan is bad input with ErrorSource::kJournal, its message
// saying what is wrong with the entry but not naming the file (the caller read it and does).
Result<DispatchReport> run_dispatch(const std::vector<PlannedMove>& moves,
                                    const std::vector<HostAddr>& hosts, const DispatchOptions& opt,
                                    Connector& connector, Journal& journal,
                                    const std::vector<JournalEntry>& prior,
                                    const DispatchHooks& hooks);

}  // namespace fp::dispatch
