// `fleetplan cycle`: one planning cycle, collect → plan → gate → dispatch → record, for a timer
// (systemd, Slurm scrontab) to run every few minutes. Each step is the same program run as a
// child process (`fleetplan collect`, `plan`, `dispatch`) with its own exit code and log, so a
// cycle does exactly what an operator typing the commands would, and a failed step names itself.
// Rank 0 only; other ranks wait for the agreed exit code.
//
// State directory DIR:
//   DIR/.lock               flock: one cycle at a time
//   DIR/history.csv         collect's utilisation history, appended by every cycle and bounded
//                           to the newest [cycle] history_keep cycles; plan reads it (--history)
//   DIR/latest              symbolic link to the newest cycle that passes the chain on
//   DIR/<UTC time>/         one cycle: cycle.json (status, steps, command lines), collect/ and
//                           collect.log, plan/ and plan.log, gate.json, dispatch.log (the
//                           journal is plan/dispatch.journal, where dispatch keeps it)
// A cycle's cycle.json names `next_previous`: its own plan checkpoint when its dispatch moved a
// VM (also when other migrations of it failed: "partly dispatched"; the checkpoint holds
// dispatch's journal, so plan --previous cools down only the VMs that moved), else the one it
// was given (held, empty and dry-run cycles pass the chain on). Every exit records a final
// status; a failed cycle is never `latest`, so the next cycle chains past it. A cycle found
// `running` by the next one (which holds the lock, so it is not) was killed: it is marked
// "interrupted", and chained when its dispatch moved a VM.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/dispatch_io.hpp"
#include "io/output_commit.hpp"
#include "mpi/child_process.hpp"
#include "mpi/cli.hpp"
#include "mpi/collective.hpp"
#include "mpi/commands.hpp"
#include "src/dispatch/cycle_gate.hpp"
#include "src/policy/registry.hpp"
#include "src/util/iso8601.hpp"
#include "src/util/text.hpp"

extern char** environ;

namespace fp::mpi {
namespace {

namespace fs = std::filesystem;

const char* kCycleUsage =
    "usage: fleetplan cycle --config C.toml --state DIR [--now ISO8601]\n"
    "                       [--approve FILE | --auto-approve]\n";
const char* kCycleNotes =
    "Runs one planning cycle into DIR/<UTC time>/: collect (the hosts of C.toml's [cycle]\n"
    "table; its history goes to DIR/history.csv, bounded to [cycle] history_keep cycles), plan\n"
    "(C.toml, --history DIR/history.csv, --previous: the checkpoint the last cycle that moved VMs\n"
    "passes on, --now: the clock unless given), a gate (gate.json: approved or held, and why) "
    "and,\n"
    "when approved, dispatch (options from [cycle] dispatch_*). Each step runs as `fleetplan\n"
    "STEP` with its log in STEP.log; cycle.json records every command line and exit code, and\n"
    "what dispatch did with each move; DIR/latest points at the newest cycle that chains.\n"
    "The gate holds a plan above [cycle] max_moves or max_gib, or, with approval = \"file\",\n"
    "one that no --approve FILE names (a line with the plan's digest, as gate.json shows it);\n"
    "--auto-approve lets plans within the limits pass; an --approve FILE naming the plan passes\n"
    "it above the limits too. A held cycle dispatches nothing and exits 0.\n"
    "Exit codes: 0 done (dispatched, held, dry run or nothing to move), 2 bad input (also a\n"
    "step's), 3 a step's environment failure (e.g. a failed migration) or another cycle holds\n"
    "DIR/.lock, 1 internal error. A failed cycle is marked \"failed\" with the reason in its\n"
    "cycle.json and not chained; a dispatch that moved some VMs and failed others is \"partly\n"
    "dispatched\" (exit 3) and chained; a cycle killed mid-way is marked \"interrupted\" by the\n"
    "next one.\n";

// The UTC time t as ISO 8601 (for --now) and as a directory name.
std::string utc_text(int64_t t, const char* fmt) {
    const std::time_t tt = static_cast<std::time_t>(t);
    std::tm tm{};
    ::gmtime_r(&tt, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, fmt, &tm);
    return buf;
}

std::string absolute(const std::string& p) {
    std::error_code ec;
    const fs::path a = fs::absolute(p, ec);
    return ec ? p : a.lexically_normal().string();
}

// The environment for a step: this process's, less what MPI start-up put there for this process
// (a child that saw them would try to join this process's MPI job); the step starts on its own.
std::vector<std::string> step_environment() {
    std::vector<std::string> env;
    for (char** e = environ; *e; ++e) {
        const std::string v(*e);
        const bool mpi_internal =
            (v.rfind("OMPI_", 0) == 0 && v.rfind("OMPI_ALLOW_RUN_AS_ROOT", 0) != 0) ||
            v.rfind("PMIX_", 0) == 0 || v.rfind("PMI_", 0) == 0 || v.rfind("OPAL_", 0) == 0;
        if (!mpi_internal) env.push_back(v);
    }
    return env;
}

struct StepRun {
    std::string name;
    std::vector<std::string> argv;  // after the program's name
    std::string log;
    int exit_code = 0;  // 128 + N when killed by signal N
    double seconds = 0;
};

// Runs `fleetplan ARGV` with stdout and stderr into LOG; the exit code.
Result<int> run_step(const std::string& self, const std::vector<std::string>& argv,
                     const std::string& log) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return fail(ErrorCode::kEnvironment, log + ": cannot create: " + std::strerror(errno));
    std::vector<std::string> args{self};
    args.insert(args.end(), argv.begin(), argv.end());
    const ChildRun run = run_child(std::move(args), step_environment(), fd);
    ::close(fd);
    if (run.spawn_error != 0)
        return fail(ErrorCode::kEnvironment,
                    self + ": cannot start: " + std::strerror(run.spawn_error));
    if (run.wait_error != 0)
        return fail(ErrorCode::kEnvironment,
                    std::string("waitpid: ") + std::strerror(run.wait_error));
    return run.exit_code;
}

// The last `n` lines of a log, indented, for the message of a failed step.
std::string log_tail(const std::string& log, size_t n) {
    auto text = io::read_file(log);
    if (!text) return "";
    std::vector<std::string> lines;
    std::istringstream in(*text);
    for (std::string l; std::getline(in, l);) {
        // A progress line rewritten in place (\r): its last state.
        if (const auto cr = l.find_last_of('\r', l.size() > 1 ? l.size() - 2 : 0);
            cr != std::string::npos && cr + 1 < l.size())
            l.erase(0, cr + 1);
        lines.push_back(l);
    }
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
        out += "  " + printable(lines[i], 4096) + "\n";
    return out;
}

// The checkpoint the newest completed cycle passes on ("" for none), from DIR/latest.
std::string chained_previous(const std::string& state) {
    std::error_code ec;
    const fs::path latest = fs::path(state) / "latest";
    if (!fs::is_symlink(fs::symlink_status(latest, ec))) return "";
    auto text = io::read_file((latest / "cycle.json").string());
    if (!text) {
        std::cerr << "warning: cycle: " << latest.string()
                  << " has no readable cycle.json; planning without --previous\n";
        return "";
    }
    try {
        const auto j = nlohmann::json::parse(*text);
        const std::string p = j.value("next_previous", "");
        if (p.empty() || ::access(p.c_str(), R_OK) == 0) return p;
        std::cerr << "warning: cycle: " << p
                  << " (the last completed cycle's checkpoint) is gone; planning without "
                     "--previous\n";
    } catch (const std::exception& e) {
        std::cerr << "warning: cycle: " << latest.string() << "/cycle.json: " << e.what()
                  << "; planning without --previous\n";
    }
    return "";
}

// DIR/latest → NAME, replaced atomically.
Result<void> point_latest(const std::string& state, const std::string& name) {
    const std::string tmp = state + "/.latest.tmp." + std::to_string(::getpid());
    ::unlink(tmp.c_str());
    if (::symlink(name.c_str(), tmp.c_str()) != 0 ||
        ::rename(tmp.c_str(), (state + "/latest").c_str()) != 0) {
        const std::string why = std::strerror(errno);
        ::unlink(tmp.c_str());
        return fail(ErrorCode::kEnvironment, state + "/latest: cannot update: " + why);
    }
    io::sync_parent_dir(state + "/latest");
    return {};
}

// A cycle directory's place in time: its name is the UTC time, then -2, -3, … when taken, so
// names sort by (time, suffix as a number): "T-10" after "T-2".
std::pair<std::string, int64_t> cycle_order(const std::string& name) {
    const auto dash = name.rfind('-');
    if (dash != std::string::npos && dash + 1 < name.size() && name.size() - dash <= 10 &&
        name.find_first_not_of("0123456789", dash + 1) == std::string::npos)
        return {name.substr(0, dash), std::stoll(name.substr(dash + 1))};
    return {name, 1};
}
bool cycle_before(const std::string& a, const std::string& b) {
    return cycle_order(a) < cycle_order(b);
}

// The statuses of a cycle that ran to its end and needs no attention (prune may remove it).
bool completed_status(const std::string& status) {
    return status == "dispatched" || status == "held" || status == "nothing to move" ||
           status == "dry run";
}

// The cycle directories of DIR (names) with their cycle.json, oldest first.
std::vector<std::pair<std::string, nlohmann::json>> cycles_in(const std::string& state) {
    std::vector<std::pair<std::string, nlohmann::json>> out;
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(state, ec)) {
        if (!e.is_directory(ec) || e.is_symlink(ec)) continue;
        auto text = io::read_file((e.path() / "cycle.json").string());
        if (!text) continue;
        auto j = nlohmann::json::parse(*text, nullptr, false);
        if (j.is_discarded() || !j.is_object()) continue;
        out.emplace_back(e.path().filename().string(), std::move(j));
    }
    std::sort(out.begin(), out.end(),
              [](const auto& x, const auto& y) { return cycle_before(x.first, y.first); });
    return out;
}

// Removes completed cycles beyond the newest `keep` (0: keeps all), never the one holding the
// checkpoint the chain passes on. Failed, partly dispatched, interrupted and running cycles
// stay for the operator (and are not counted). Best effort.
void prune(const std::string& state, int64_t keep, const std::string& chained) {
    if (keep <= 0) return;
    std::vector<std::string> done;
    for (const auto& [name, j] : cycles_in(state))
        if (completed_status(j.value("status", ""))) done.push_back(name);
    if (static_cast<int64_t>(done.size()) <= keep) return;
    done.resize(done.size() - static_cast<size_t>(keep));
    std::error_code ec;
    // Compared as canonical paths: a chained path written by a run that spelled --state another
    // way (a trailing slash, a symlink) still protects its cycle.
    auto canonical = [](const std::string& p) {
        std::error_code e;
        const fs::path c = fs::weakly_canonical(p, e);
        return e ? fs::path(p).lexically_normal().string() : c.string();
    };
    const std::string kept = chained.empty() ? "" : canonical(chained);
    for (const auto& name : done) {
        const std::string dir = state + "/" + name;
        if (!kept.empty() && kept.rfind(canonical(dir) + "/", 0) == 0) continue;
        fs::remove_all(dir, ec);
        if (ec)
            std::cerr << "warning: cycle: cannot remove " << dir << ": " << ec.message() << "\n";
    }
}

// What dispatch did with each move, from its journal: the last event of each move, as lists of
// "vm source->target" by outcome. `moved`: a move finished or still in flight (a dispatch that
// was killed): its VM may be on the target, so the plan's checkpoint must be chained.
struct DispatchOutcome {
    nlohmann::json moves = nlohmann::json::object();
    int64_t moved = 0;
};
Result<DispatchOutcome> dispatch_outcome(const std::string& journal) {
    auto entries = io::read_journal(journal);
    if (!entries) return tl::unexpected(entries.error());
    std::map<int64_t, const dispatch::JournalEntry*> last;
    for (const auto& e : *entries) last[e.move] = &e;
    DispatchOutcome out;
    for (const char* k : {"finished", "in_flight", "failed", "skipped", "not_started"})
        out.moves[k] = nlohmann::json::array();
    for (const auto& [move, e] : last) {
        const char* k = "not_started";
        switch (e->event) {
            case dispatch::MoveEvent::kFinished:
                k = "finished";
                break;
            case dispatch::MoveEvent::kStarted:
                k = "in_flight";
                break;
            case dispatch::MoveEvent::kFailed:
            case dispatch::MoveEvent::kAborted:
                k = "failed";
                break;
            case dispatch::MoveEvent::kSkipped:
                k = "skipped";
                break;
            case dispatch::MoveEvent::kQueued:
                break;
        }
        out.moves[k].push_back(e->vm + " " + e->source + "->" + e->target);
        out.moved +=
            e->event == dispatch::MoveEvent::kFinished || e->event == dispatch::MoveEvent::kStarted;
    }
    return out;
}

// Cycles left "running" by a process that is gone (this one holds the lock the steps inherit,
// so none of them runs): marked "interrupted". One whose dispatch had moved a VM passes its
// checkpoint on, and becomes `latest` when newer than it. Best effort: warnings only.
void mark_interrupted(const std::string& state, const std::string& now_text) {
    std::error_code ec;
    const std::string latest = fs::read_symlink(fs::path(state) / "latest", ec).string();
    std::string newest_chain = ec ? "" : latest;
    for (auto& [name, j] : cycles_in(state)) {
        if (j.value("status", "") != "running") continue;
        const std::string dir = state + "/" + name;
        j["status"] = "interrupted";
        j["reason"] = "the cycle (pid " + std::to_string(j.value("pid", int64_t{-1})) +
                      ") ended without recording a result: killed, or its machine stopped; " +
                      "found by the cycle at " + now_text;
        const std::string ckpt = dir + "/plan/checkpoint.h5";
        if (::access((dir + "/plan/dispatch.journal").c_str(), F_OK) == 0) {
            auto got = dispatch_outcome(dir + "/plan/dispatch.journal");
            if (!got) {
                std::cerr << "warning: cycle: " << got.error().msg << "\n";
            } else {
                j["dispatch"] = got->moves;
                if (got->moved > 0 && ::access(ckpt.c_str(), R_OK) == 0) {
                    j["next_previous"] = ckpt;
                    if (newest_chain.empty() || cycle_before(newest_chain, name))
                        newest_chain = name;
                }
            }
        }
        if (auto w = io::write_file_atomic(dir + "/cycle.json", j.dump(2) + "\n"); !w)
            std::cerr << "warning: cycle: " << w.error().msg << "\n";
        else
            std::cerr << "warning: cycle: " << dir << " was interrupted (left \"running\")"
                      << (j.contains("next_previous") ? "; its dispatch moved VMs: chained" : "")
                      << "\n";
    }
    if (!newest_chain.empty() && newest_chain != latest)
        if (auto r = point_latest(state, newest_chain); !r)
            std::cerr << "warning: cycle: " << r.error().msg << "\n";
}

// The digests an --approve file names: its non-empty lines, trimmed ('#' starts a comment).
Result<std::vector<std::string>> read_approvals(const std::string& path) {
    auto text = io::read_file(path);
    if (!text) return tl::unexpected(text.error());
    std::vector<std::string> out;
    std::istringstream in(*text);
    for (std::string l; std::getline(in, l);) {
        if (const auto hash = l.find('#'); hash != std::string::npos) l.erase(hash);
        const auto b = l.find_first_not_of(" \t\r");
        if (b == std::string::npos) continue;
        out.push_back(l.substr(b, l.find_last_not_of(" \t\r") - b + 1));
    }
    return out;
}

// The relative paths of [cycle] are the config file's directory's.
std::string from_config(const std::string& config, const std::string& p) {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return absolute((fs::path(config).parent_path() / p).string());
}

FlagSpec cycle_flags() {
    FlagSpec spec("cycle");
    spec.value("config", "C.toml", "the config; its [cycle] table names the hosts and the gate")
        .value("state", "DIR", "the state directory: one DIR/<UTC time>/ per cycle, DIR/latest")
        .value("now", "ISO8601", "the planning time (default: the clock)")
        .value("approve", "FILE", "plan digests approved, one per line (gate.json shows it)")
        .flag("auto-approve", "let a plan within the limits pass without an approval file")
        .excludes({"approve"}, "give --approve FILE or --auto-approve, not both");
    return spec;
}

Result<void> run_cycle(const std::vector<std::string>& argv) {
    const FlagSpec spec = cycle_flags();
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("cycle: unexpected argument " + in_quotes(args->positional()[0]));
    const auto config_arg = args->get("config");
    const auto state_arg = args->get("state");
    if (!config_arg || !state_arg) return bad_input("cycle: --config and --state are required");
    const std::string config = absolute(*config_arg);
    policy::Registries reg;
    policy::register_builtin_policies(reg);
    auto rc = io::load_config(config, io::ConfigOverrides{}, reg);
    if (!rc) return tl::unexpected(rc.error());
    const io::CycleConfig& cy = rc->cycle;
    for (auto [key, value] :
         {std::pair{"hosts", &cy.hosts}, {"connect_uri_template", &cy.connect_uri_template}})
        if (value->empty())
            return bad_input(config + ": cycle." + key +
                             ": required by fleetplan cycle (see configs/cycle.toml)");
    int64_t now_s = static_cast<int64_t>(std::time(nullptr));
    if (auto n = args->get("now")) {
        auto t = parse_iso8601(*n);
        if (!t) return bad_input("cycle: --now " + in_quotes(*n) + ": not an ISO 8601 time");
        now_s = *t;
    }
    std::optional<std::vector<std::string>> approvals;
    if (auto a = args->get("approve")) {
        auto got = read_approvals(*a);
        if (!got) return tl::unexpected(got.error());
        approvals = std::move(*got);
    }
    if (auto r = io::check_out_dir(*state_arg); !r) return r;
    std::string state = absolute(*state_arg);
    if (auto r = io::make_dir(state); !r) return r;
    {
        // One spelling of the state directory for every path a cycle records: resolved symlinks,
        // no trailing separator (prune compares the chained checkpoint's path with its cycles).
        std::error_code ec;
        const fs::path c = fs::canonical(state, ec);
        if (!ec) state = c.string();
    }

    // One cycle at a time; the kernel drops the lock when this process dies, even by kill -9.
    // The steps inherit the descriptor (no O_CLOEXEC): a flock belongs to the open file, so a
    // step left running by a killed cycle (a dispatch mid-migration) still holds DIR/.lock and
    // the next cycle waits for it instead of planning over migrations in flight.
    const std::string lock_path = state + "/.lock";
    const int lock_fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW, 0644);
    if (lock_fd < 0)
        return fail(ErrorCode::kEnvironment, lock_path + ": cannot open: " + std::strerror(errno));
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{lock_fd};
    if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
        return fail(ErrorCode::kEnvironment, "cycle: another fleetplan cycle is running on " +
                                                 state + " (it holds " + lock_path +
                                                 "); nothing done");

    const std::string now_text = utc_text(now_s, "%Y-%m-%dT%H:%M:%SZ");
    mark_interrupted(state, now_text);
    const std::string previous = chained_previous(state);
    std::string name = utc_text(now_s, "%Y%m%dT%H%M%SZ");
    std::error_code ec;
    for (int i = 2; fs::exists(state + "/" + name, ec); ++i) {
        if (i > 999) return fail(ErrorCode::kEnvironment, state + ": too many cycles at " + name);
        name = utc_text(now_s, "%Y%m%dT%H%M%SZ") + "-" + std::to_string(i);
    }
    const std::string dir = state + "/" + name;
    if (auto r = io::make_dir(dir); !r) return r;
    const std::string hosts = from_config(config, cy.hosts);
    const std::string history = state + "/history.csv";
    const std::string self = fs::read_symlink("/proc/self/exe", ec).string();
    if (self.empty())
        return fail(ErrorCode::kEnvironment, "cycle: /proc/self/exe: " + ec.message() +
                                                 " (the steps run this program again)");

    nlohmann::json record = {{"cycle", name},
                             {"config", config},
                             {"now", now_text},
                             {"previous", previous},
                             {"pid", static_cast<int64_t>(::getpid())},
                             {"status", "running"},
                             {"steps", nlohmann::json::array()}};
    auto save = [&]() { return io::write_file_atomic(dir + "/cycle.json", record.dump(2) + "\n"); };
    if (auto r = save(); !r) return r;

    // A step: run and recorded; its exit code.
    auto run = [&](const std::string& step_name,
                   const std::vector<std::string>& step_argv) -> Result<int> {
        const auto t0 = std::chrono::steady_clock::now();
        StepRun s{step_name, step_argv, dir + "/" + step_name + ".log", 0, 0};
        auto code = run_step(self, step_argv, s.log);
        if (!code) return tl::unexpected(code.error());
        s.exit_code = *code;
        s.seconds = since(t0);
        record["steps"].push_back({{"step", s.name},
                                   {"argv", s.argv},
                                   {"exit_code", s.exit_code},
                                   {"seconds", s.seconds},
                                   {"log", s.log}});
        if (auto r = save(); !r) return tl::unexpected(r.error());
        return s.exit_code;
    };
    // A failed step's error: its exit code becomes the cycle's.
    auto step_error = [&](const std::string& step_name, int exit_code,
                          const std::string& what) -> Error {
        const ErrorCode exit_class = exit_code == 2   ? ErrorCode::kBadInput
                                     : exit_code == 1 ? ErrorCode::kInternal
                                                      : ErrorCode::kEnvironment;
        const std::string log = dir + "/" + step_name + ".log";
        Error e;
        e.code = exit_class;
        e.msg = "cycle " + dir + ": step " + step_name + " failed (exit " +
                std::to_string(exit_code) + "); " + what + ". " + log + " ends:\n" +
                log_tail(log, 8);
        return e;
    };
    auto step = [&](const std::string& step_name,
                    const std::vector<std::string>& step_argv) -> Result<void> {
        auto code = run(step_name, step_argv);
        if (!code) return tl::unexpected(code.error());
        if (*code == 0) return {};
        record["failed_step"] = step_name;
        return tl::unexpected(step_error(step_name, *code,
                                         "the cycle is marked failed and the next one will "
                                         "not chain to it"));
    };

    std::string status;
    dispatch::GatePlan gp;
    dispatch::GateDecision gate;
    std::optional<Error> partly;  // a dispatch that moved VMs and failed others
    // The steps; whatever ends them, the record gets a final status below.
    auto steps = [&]() -> Result<void> {
        std::vector<std::string> collect_argv{
            "collect",
            "--hosts",
            hosts,
            "--connect-uri-template",
            cy.collect_uri_template.empty() ? cy.connect_uri_template : cy.collect_uri_template,
            "--out",
            dir + "/collect",
            "--history",
            history,
            "--sample-seconds",
            shortest_text(cy.sample_seconds),
            "--max-missing-frac",
            shortest_text(cy.max_missing_frac)};
        if (auto r = step("collect", collect_argv); !r) return r;
        // The history stays bounded: the samples of the newest history_keep cycles, none closer
        // than history_min_interval_s to a newer one (a cycle rerun by hand).
        auto trimmed =
            io::trim_collected_history(history, cy.history_keep, cy.history_min_interval_s);
        if (!trimmed) return tl::unexpected(trimmed.error());
        record["history"] = {{"file", history},
                             {"times_kept", trimmed->kept_times},
                             {"rows_dropped", trimmed->dropped}};
        // Plan gets the rows of the VMs collect found (it refuses a VM it does not know: one
        // deleted since, or on a host collect could not read this time), as DIR/<cycle>/
        // history.csv, so the plan step can be rerun by hand as recorded.
        const std::string plan_history = dir + "/history.csv";
        const bool have_history = ::access(history.c_str(), F_OK) == 0;
        if (have_history) {
            auto mine = io::write_history_of_vms(history, dir + "/collect/vms.csv", plan_history);
            if (!mine) return tl::unexpected(mine.error());
            record["history"]["plan_history"] = plan_history;
            record["history"]["rows_of_other_vms"] = mine->dropped;
        }

        std::vector<std::string> plan_argv{"plan",
                                           "--hosts",
                                           hosts,
                                           "--vms",
                                           dir + "/collect/vms.csv",
                                           "--missing-hosts",
                                           dir + "/collect/missing_hosts.csv",
                                           "--config",
                                           config,
                                           "--now",
                                           now_text,
                                           "--out",
                                           dir + "/plan"};
        if (have_history) {
            plan_argv.push_back("--history");
            plan_argv.push_back(plan_history);
        }
        if (!previous.empty()) {
            plan_argv.push_back("--previous");
            plan_argv.push_back(previous);
        }
        if (auto r = step("plan", plan_argv); !r) return r;

        // The gate, on what the plan says it does.
        auto summary_text = io::read_file(dir + "/plan/summary.json");
        if (!summary_text) return tl::unexpected(summary_text.error());
        auto plan_csv = io::read_file(dir + "/plan/plan.csv");
        if (!plan_csv) return tl::unexpected(plan_csv.error());
        try {
            const auto sj = nlohmann::json::parse(*summary_text);
            gp.migrations = sj.at("migrations").get<int64_t>();
            gp.moved_mem_mib = sj.at("moved_mem_mib").get<double>();  // a rounded decimal
        } catch (const std::exception& e) {
            return fail(ErrorCode::kInternal, dir + "/plan/summary.json: " + e.what());
        }
        gp.digest = io::plan_digest(*plan_csv);
        const auto auto_approve =
            args->has("auto-approve") ? dispatch::AutoApprove::kYes : dispatch::AutoApprove::kNo;
        gate = dispatch::decide_gate(gp, cy.gate, auto_approve, approvals);
        const nlohmann::json gate_json = {
            {"decision", gate.approved ? "approved" : "held"},
            {"approved_by", gate.approved_by},
            {"reasons", gate.reasons},
            {"plan_digest", gp.digest},
            {"migrations", gp.migrations},
            {"moved_mem_mib", gp.moved_mem_mib},
            {"moved_gib", gp.moved_mem_mib / 1024.0},
            {"max_moves", cy.gate.max_moves},
            {"max_gib", cy.gate.max_gib},
            {"approval", dispatch::to_string(cy.gate.approval)},
            {"auto_approve", args->has("auto-approve")},
            {"approve_file", args->get("approve") ? absolute(*args->get("approve")) : ""}};
        if (auto r = io::write_file_atomic(dir + "/gate.json", gate_json.dump(2) + "\n"); !r)
            return r;

        record["next_previous"] = previous;
        if (!gate.approved) {
            status = "held";
            return {};
        }
        if (gp.migrations == 0) {
            status = "nothing to move";
            return {};
        }
        std::vector<std::string> dispatch_argv{"dispatch",
                                               "--plan",
                                               dir + "/plan",
                                               "--hosts",
                                               hosts,
                                               "--connect-uri-template",
                                               cy.connect_uri_template};
        for (auto [flag, value] : {std::pair{"--dest-uri-template", &cy.dest_uri_template},
                                   {"--migrate-uri-template", &cy.migrate_uri_template}})
            if (!value->empty()) {
                dispatch_argv.push_back(flag);
                dispatch_argv.push_back(*value);
            }
        // [cycle] dispatch_*: 0 leaves the flag out (dispatch's default: the plan's limits).
        for (auto [flag, value] : {std::pair{"--max-per-host", cy.dispatch_max_per_host},
                                   {"--max-total", cy.dispatch_max_total},
                                   {"--bandwidth", cy.dispatch_bandwidth_mibps}})
            if (value > 0) {
                dispatch_argv.push_back(flag);
                dispatch_argv.push_back(std::to_string(value));
            }
        if (cy.dispatch_timeout_s > 0) {
            dispatch_argv.push_back("--timeout");
            dispatch_argv.push_back(shortest_text(cy.dispatch_timeout_s));
        }
        dispatch_argv.insert(dispatch_argv.end(),
                             {"--retries", std::to_string(cy.dispatch_retries), "--backoff",
                              shortest_text(cy.dispatch_backoff_s), "--mode", cy.dispatch_mode});
        if (cy.dispatch_allow_skips) dispatch_argv.push_back("--allow-skips");
        if (cy.dispatch_dry_run) {
            dispatch_argv.push_back("--dry-run");
            if (auto r = step("dispatch", dispatch_argv); !r) return r;
            status = "dry run";  // nothing moved: the chain passes on
            return {};
        }
        auto code = run("dispatch", dispatch_argv);
        if (!code) return tl::unexpected(code.error());
        // What happened to each move, from the journal (also when dispatch failed).
        auto outcome = dispatch_outcome(dir + "/plan/dispatch.journal");
        if (!outcome) return tl::unexpected(outcome.error());
        record["dispatch"] = outcome->moves;
        if (*code == 0) {
            status = "dispatched";
            record["next_previous"] = dir + "/plan/checkpoint.h5";
            return {};
        }
        record["failed_step"] = "dispatch";
        if (outcome->moved == 0)
            return tl::unexpected(step_error("dispatch", *code,
                                             "no VM moved: the cycle is marked failed and the "
                                             "next one will not chain to it"));
        // Some VMs moved: the next plan must see them in cooldown, so the cycle chains; the
        // checkpoint holds dispatch's journal, and plan --previous cools down only those.
        status = "partly dispatched";
        record["next_previous"] = dir + "/plan/checkpoint.h5";
        partly = step_error("dispatch", *code,
                            std::to_string(outcome->moved) +
                                " migrations done, the others failed or were skipped (see "
                                "cycle.json's dispatch); the next cycle chains to this one");
        return {};
    };
    Result<void> ran;
    try {
        ran = steps();
    } catch (const std::exception& e) {
        record["status"] = "failed";
        record["reason"] = std::string("internal error: ") + e.what();
        (void)save();
        throw;
    }
    if (!ran) {
        record["status"] = "failed";
        record["reason"] = ran.error().msg;
        record.erase("next_previous");
        if (auto r = save(); !r)
            std::cerr << "warning: cycle: " << dir << "/cycle.json: " << r.error().msg << "\n";
        return ran;
    }
    record["status"] = status;
    if (partly) record["reason"] = partly->msg;
    const std::string next_previous = record.value("next_previous", "");
    auto finish = [&]() -> Result<void> {
        if (auto r = save(); !r) return r;
        return point_latest(state, name);
    };
    if (auto r = finish(); !r) {
        record["status"] = "failed";
        record["reason"] = r.error().msg;
        (void)save();
        return r;
    }
    prune(state, cy.keep, next_previous);
    std::cout << "cycle " << dir << ": " << status << " (" << gp.migrations << " migrations, "
              << io::format_double("%.3f", gp.moved_mem_mib / 1024.0) << " GiB; plan " << gp.digest
              << ")";
    if (!gate.approved) {
        std::cout << "; held:";
        for (const auto& why : gate.reasons) std::cout << "\n  " << why;
    }
    std::cout << "\n";
    if (partly) return tl::unexpected(*partly);
    return {};
}

}  // namespace

Result<void> cmd_cycle(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (help_asked(argv, env, kCycleUsage, cycle_flags(), kCycleNotes)) return {};
    // Rank 0 works; an exception there must not leave the others waiting in agree().
    return run_agreed(
        [&]() -> Result<void> { return env.rank == 0 ? run_cycle(argv) : Result<void>{}; }, env);
}

}  // namespace fp::mpi
