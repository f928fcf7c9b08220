// `fleetplan dispatch` (carry a plan out through libvirt, with a write-ahead journal and resume)
// and `fleetplan collect` (read a fleet's state from libvirt into vms.csv and a history CSV).
// Both run on rank 0 only; other ranks wait for the agreed exit code.
#include "src/dispatch/dispatch.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/dispatch_io.hpp"
#include "io/output_commit.hpp"
#include "mpi/cli.hpp"
#include "mpi/collective.hpp"
#include "mpi/commands.hpp"
#include "src/dispatch/collect.hpp"
#include "src/dispatch/dry_run.hpp"
#include "src/dispatch/libvirt/libvirt_connection.hpp"
#include "src/policy/registry.hpp"
#include "src/util/text.hpp"

namespace fp::mpi {
namespace {

const char* kDispatchUsage =
    "usage: fleetplan dispatch --plan DIR --hosts H.csv --connect-uri-template T1\n"
    "                          [--dest-uri-template T2] [--migrate-uri-template T3]\n"
    "                          [--max-per-host N] [--max-total N] [--bandwidth MiBps]\n"
    "                          [--mode precopy|postcopy|auto] [--timeout S] [--retries N]\n"
    "                          [--backoff S] [--allow-skips] [--dry-run]\n"
    "       fleetplan dispatch --resume DIR [--allow-skips]\n";

// Every flag of `dispatch`, with its help (the parser and --help both read it).
FlagSpec dispatch_flags() {
    FlagSpec f("dispatch");
    f.value("plan", "DIR", "the plan to carry out (DIR/plan.csv, DIR/checkpoint.h5)")
        .value("hosts", "H.csv", "the hosts, with their address column")
        .value("connect-uri-template", "T1",
               "how fleetplan reaches a host, e.g. qemu+ssh://{address}/system")
        .value("dest-uri-template", "T2",
               "the target as the source reaches it for peer-to-peer migration\n(default T1)")
        .value("migrate-uri-template", "T3", "the data channel, e.g. tcp://{address}")
        .value("max-per-host", "N", "migrations per host at once (default and maximum: the plan's)")
        .int_range(1, 1000)
        .value("max-total", "N", "migrations at once in all (default and maximum: the plan's)")
        .int_range(1, 100000)
        .value("bandwidth", "MiBps", "bandwidth limit of each migration, MiB/s (default: none)")
        .int_range(1, 10000000)  // MiB/s, as libvirt takes it
        .value("mode", "precopy|postcopy|auto", "how libvirt migrates (default precopy)")
        .value("timeout", "S",
               "seconds a migration may take (default: the plan's [migration] timeout_s)")
        .real_range(0.001, 86400 * 7)
        .value("retries", "N", "attempts after a failed migration (default 2)")
        .int_range(0, 100)
        .value("backoff", "S", "seconds before a retry (default 2)")
        .real_range(0, 3600)
        .value("resume", "DIR", "continue an interrupted dispatch with its original options")
        .excludes(
            {"plan", "hosts", "connect-uri-template", "dest-uri-template", "migrate-uri-template",
             "max-per-host", "max-total", "bandwidth", "mode", "timeout", "retries", "backoff"},
            "it takes the options of the interrupted dispatch")
        .flag("allow-skips",
              "exit 0 when a move was skipped (its VM was on neither its source nor its target)")
        .flag("dry-run",
              "do nothing: print the calls per wave, the limits in force, the expected\n"
              "duration at them and at the plan's, the moves the plan flags as breaking a\n"
              "[migration] limit and the cross-site moves");
    return f;
}

const char* kDispatchNotes =
    "Carries out DIR/plan.csv through libvirt, wave by wave. Templates take {id} and {address}\n"
    "of a host (hosts.csv). --max-per-host, --max-total and --timeout default to the plan's\n"
    "limits (DIR/checkpoint.h5; the config's defaults when it has none). Every state change\n"
    "goes to DIR/dispatch.journal (fsync) before the next action; after each wave the journal is\n"
    "folded into DIR/checkpoint.h5. Exit 3 when a migration failed, when another dispatch of DIR\n"
    "is running, and when a move was skipped unless --allow-skips is given.\n";

const char* kCollectUsage =
    "usage: fleetplan collect --hosts H.csv --connect-uri-template T1 --out DIR\n"
    "                         [--history FILE] [--sample-seconds S] [--parallel N]\n"
    "                         [--strict] [--max-missing-frac F]\n";

// Every flag of `collect`, with its help (the parser and --help both read it).
FlagSpec collect_flags() {
    FlagSpec f("collect");
    f.value("hosts", "H.csv", "the hosts to read, with their address column")
        .required()
        .value("connect-uri-template", "T1",
               "how fleetplan reaches a host, e.g. qemu+ssh://{address}/system")
        .required()
        .value("out", "DIR", "where vms.csv and missing_hosts.csv go (created when missing)")
        .required()
        .value("history", "FILE", "the history CSV to append to (default DIR/history.csv)")
        .value("sample-seconds", "S", "seconds between a host's two samples (default 1)")
        .real_range(0, 3600)
        .value("parallel", "N", "hosts read at a time (default 8)")
        .int_range(1, 1024)
        .flag("strict", "exit 3, nothing written, when any host could not be read")
        .value("max-missing-frac", "F",
               "exit 3, nothing written, when more than F of the hosts could not be\n"
               "read (default 0.1)")
        .real_range(0, 1);
    return f;
}

const char* kCollectNotes =
    "Reads every running domain's placement, vCPU, memory, network and dirty rate from each\n"
    "host's libvirt (virConnectGetAllDomainStats, sampled twice S seconds apart; each host's\n"
    "rates over its own two samples' times) and writes DIR/vms.csv (rows by host, then VM) and\n"
    "DIR/missing_hosts.csv (host,error: the hosts that could not be read, each also named in a\n"
    "warning); appends time,vm,cpu,mem,net fractions to the history CSV.\n";

Result<dispatch::MigrationMode> parse_mode(const std::string& s) {
    if (s == "precopy") return dispatch::MigrationMode::kPrecopy;
    if (s == "postcopy") return dispatch::MigrationMode::kPostcopy;
    if (s == "auto") return dispatch::MigrationMode::kAuto;
    return bad_input("dispatch: --mode " + in_quotes(s) + " (valid: precopy, postcopy, auto)");
}

const char* mode_name(dispatch::MigrationMode m) {
    return m == dispatch::MigrationMode::kPrecopy    ? "precopy"
           : m == dispatch::MigrationMode::kPostcopy ? "postcopy"
                                                     : "auto";
}

// Removes the part files of the run that wrote an old checkpoint in DIR: those its columns map
// and any other part of the same run (a rank whose part holds no row is mapped by no column).
// Parts of another run writing into DIR are left alone. Best effort: a part that cannot be
// removed is a warning.
void remove_part_files(const std::string& dir, const std::vector<std::string>& mapped) {
    std::vector<std::string> runs;  // "checkpoint.part-TOKEN-": the name less "RANK.h5"
    for (const auto& p : mapped) {
        const std::string name = std::filesystem::path(p).filename().string();
        const auto dash = name.rfind('-');
        if (io::is_part_file_name(name) && dash != std::string::npos)
            runs.push_back(name.substr(0, dash + 1));
    }
    if (runs.empty()) return;
    std::error_code ec;
    std::vector<std::filesystem::path> parts;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (io::is_part_file_name(name) &&
            std::any_of(runs.begin(), runs.end(),
                        [&](const std::string& run) { return name.rfind(run, 0) == 0; }))
            parts.push_back(e.path());
    }
    for (const auto& p : parts)
        if (::unlink(p.c_str()) != 0 && errno != ENOENT)
            std::cerr << "warning: " << p.string() << ": cannot remove this part of the old "
                      << "checkpoint: " << std::strerror(errno) << "\n";
    if (!parts.empty()) io::sync_parent_dir(dir + "/checkpoint.h5");
}

// What the plan's checkpoint fixes for carrying it out, from its expanded config: the wave limits
// (upper bounds for dispatch; 0: no limit) and [migration] timeout_s (0: none). nullopt: the
// plan directory has no checkpoint (a hand-written plan).
struct PlanLimits {
    plan::WaveLimits waves;
    double timeout_s = 0;
    std::string plan_csv_digest;  // what plan.csv must hash to ("": the checkpoint predates it)
};

Result<std::optional<PlanLimits>> read_plan_limits(const std::string& dir) {
    const std::string path = dir + "/checkpoint.h5";
    if (::access(path.c_str(), F_OK) != 0) return std::optional<PlanLimits>();
    auto ck = io::read_checkpoint(path);
    if (!ck) return tl::unexpected(ck.error());
    policy::Registries reg;
    policy::register_builtin_policies(reg);
    auto rc = io::load_config(path + ":/config", io::ConfigOverrides{}, reg, ck->config_toml);
    if (!rc) return tl::unexpected(rc.error());
    return std::optional<PlanLimits>(
        PlanLimits{rc->options.waves, rc->options.cost.timeout_s, ck->plan_csv_digest});
}

// plan.csv must be the one its checkpoint was written with (read_plan_csv already held it to
// the wave rules): a plan edited by hand is refused before anything migrates. A checkpoint
// written before plans had digests gets a warning; a plan directory without a checkpoint (a
// hand-written plan) is carried out on the wave rules alone.
Result<void> check_plan_digest(const std::string& dir, const io::PlanToDispatch& plan,
                               const std::optional<PlanLimits>& from_plan) {
    if (!from_plan) return {};
    if (from_plan->plan_csv_digest.empty()) {
        std::cerr << "warning: " << dir
                  << "/checkpoint.h5 records no digest of plan.csv (written before fleetplan "
                     "kept one): plan.csv is checked against the wave rules only\n";
        return {};
    }
    if (from_plan->plan_csv_digest == plan.digest) return {};
    return bad_input(dir + "/plan.csv does not match " + dir + "/checkpoint.h5 (plan.csv is " +
                     plan.digest + ", the checkpoint records " + from_plan->plan_csv_digest +
                     "): it was changed after planning; nothing was migrated. Restore it, or "
                     "plan again (fleetplan plan --resume " +
                     dir + "/checkpoint.h5 --out DIR)");
}

// A dispatch setting and where its value came from (for the dry run); `defaulted`: why the
// config's default was used (the plan gives no value and no flag was given).
template <typename T>
struct Chosen {
    T value;
    std::string from;
    std::optional<std::string> defaulted;
};

// Why the plan gives no value for a setting (nullopt: it gives *plan_value). `plan_value`:
// nullopt when the plan has no checkpoint; 0 stands for no limit.
std::optional<std::string> no_plan_value(std::optional<double> plan_value) {
    if (!plan_value) return "the plan has no checkpoint.h5 with its limits";
    if (*plan_value <= 0) return "the plan sets no limit (0)";
    return std::nullopt;
}

// --max-per-host or --max-total: the plan's limit, which the flag may only lower; when the plan
// gives none, the flag or the config's default.
Chosen<int32_t> choose_limit(const std::string& flag, std::optional<int64_t> given,
                             std::optional<int32_t> plan_value, int32_t fallback) {
    const auto none = no_plan_value(plan_value);
    if (given && !none && *given > *plan_value) {
        std::cerr << "warning: --" << flag << " " << *given << " exceeds the plan's " << *plan_value
                  << "; using " << *plan_value << "\n";
        return {*plan_value, "the plan's; --" + flag + " may only lower it", std::nullopt};
    }
    if (given) return {static_cast<int32_t>(*given), "--" + flag, std::nullopt};
    if (!none) return {*plan_value, "the plan's", std::nullopt};
    return {fallback, "default: " + *none, none};
}

// --timeout: the flag, else the plan's [migration] timeout_s (what its over-timeout flags
// assume), else the config's default.
Chosen<double> choose_timeout(std::optional<double> given, std::optional<double> plan_value) {
    if (given) return {*given, "--timeout", std::nullopt};
    const auto none = no_plan_value(plan_value);
    if (!none) return {*plan_value, "the plan's", std::nullopt};
    return {model::MigrationCostConfig{}.timeout_s, "default: " + *none, none};
}

// One note on stderr per reason for the settings that fell back to the config's defaults.
void note_defaults(const std::vector<std::pair<std::optional<std::string>, std::string>>& set) {
    std::vector<std::pair<std::string, std::string>> notes;  // (reason, settings), first seen first
    for (const auto& [why, setting] : set) {
        if (!why) continue;
        const std::string& reason = *why;  // clang 14 cannot capture a structured binding
        auto it = std::find_if(notes.begin(), notes.end(),
                               [&](const auto& n) { return n.first == reason; });
        if (it == notes.end())
            notes.emplace_back(*why, setting);
        else
            it->second += ", " + setting;
    }
    for (const auto& [why, settings] : notes)
        std::cerr << "note: " << why << "; using the config's defaults: " << settings << "\n";
}

// An empty URI template would make libvirt connect to its local default hypervisor (or pick a
// data channel itself): a given template must say where to go.
Result<void> no_empty_templates(const Args& args) {
    for (const char* flag : {"connect-uri-template", "dest-uri-template", "migrate-uri-template"}) {
        const auto t = args.get(flag);
        if (t && t->find_first_not_of(" \t") == std::string::npos)
            return bad_input(std::string("--") + flag +
                             ": empty URI template (libvirt would use its local default; "
                             "give the URI, or leave the flag out where it is optional)");
    }
    return {};
}

Result<void> run(const std::vector<std::string>& argv) {
    const FlagSpec spec = dispatch_flags();
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    std::string dir;
    nlohmann::json saved;
    const bool dry_run = args->has("dry-run");
    std::optional<io::DirLock> dir_lock;
    std::optional<PlanLimits> from_plan;  // nullopt: the plan directory has no checkpoint
    // Where max_per_host, max_total and timeout_s came from (a resume: dispatch.json).
    std::array<std::string, 3> limits_from{"dispatch.json", "dispatch.json", "dispatch.json"};
    // Before anything in the plan directory is read. A dispatch holds two locks for as long as
    // it lives (the kernel drops them when it dies, even by kill -9, so --resume can take
    // over): DIR/dispatch.lock, one dispatcher per plan; and DIR/commit.lock, which keeps a
    // plan from committing new outputs into the directory meanwhile (and waits for one that is
    // committing). Then a commit a killed plan run left there is finished. A dry run only
    // finishes that commit.
    auto settle_dir = [&](const std::string& d) -> Result<void> {
        if (dry_run) return io::complete_pending_commit(d);
        const std::string lock_path = d + "/dispatch.lock";
        const int lock_fd =
            ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (lock_fd < 0)
            return fail(ErrorCode::kEnvironment,
                        lock_path + ": cannot open: " + std::strerror(errno));
        // Like a plan into a locked directory: the environment (another process), not the input.
        if (::flock(lock_fd, LOCK_EX | LOCK_NB) != 0)
            return fail(ErrorCode::kEnvironment,
                        d + ": another fleetplan dispatch of this plan is running");
        auto lock = io::DirLock::take(d, true);
        if (!lock) return tl::unexpected(lock.error());
        dir_lock.emplace(std::move(*lock));
        return io::complete_pending_commit_locked(d);
    };
    if (auto r = args->get("resume")) {
        dir = *r;
        if (auto c = settle_dir(dir); !c) return c;
        auto text = io::read_file(dir + "/dispatch.json");
        if (!text) return tl::unexpected(text.error());
        try {
            saved = nlohmann::json::parse(*text);
        } catch (const std::exception& e) {
            return bad_input(dir + "/dispatch.json: " + e.what());
        }
    } else {
        auto p = args->get("plan");
        auto h = args->get("hosts");
        auto t1 = args->get("connect-uri-template");
        if (!p || !h || !t1)
            return bad_input("dispatch: --plan, --hosts and --connect-uri-template are required");
        if (auto e = no_empty_templates(*args); !e) return e;
        dir = *p;
        auto mode = parse_mode(args->get("mode").value_or("precopy"));
        if (!mode) return tl::unexpected(mode.error());
        if (auto c = settle_dir(dir); !c) return c;
        auto plan_limits = read_plan_limits(dir);
        if (!plan_limits) return tl::unexpected(plan_limits.error());
        from_plan = *plan_limits;
        auto plan_value = [&](auto field) {
            return from_plan ? std::optional(field(*from_plan)) : std::nullopt;
        };
        const plan::WaveLimits fallback;  // the config's defaults
        const auto per_host =
            choose_limit("max-per-host", args->get_int("max-per-host"),
                         plan_value([](const PlanLimits& l) { return l.waves.max_per_host; }),
                         fallback.max_per_host);
        const auto total = choose_limit(
            "max-total", args->get_int("max-total"),
            plan_value([](const PlanLimits& l) { return l.waves.max_total; }), fallback.max_total);
        const auto timeout =
            choose_timeout(args->get_double("timeout"),
                           plan_value([](const PlanLimits& l) { return l.timeout_s; }));
        limits_from = {per_host.from, total.from, timeout.from};
        note_defaults(
            {{per_host.defaulted, "--max-per-host " + std::to_string(per_host.value)},
             {total.defaulted, "--max-total " + std::to_string(total.value)},
             {timeout.defaulted, "--timeout " + io::format_double("%g", timeout.value) + " s"}});
        // Absolute paths, so that --resume works from any directory.
        std::error_code ec;
        const std::string hosts_abs = std::filesystem::absolute(*h, ec).string();
        saved = {{"plan", std::filesystem::absolute(dir, ec).string()},
                 {"hosts", ec ? *h : hosts_abs},
                 {"connect_uri_template", *t1},
                 {"dest_uri_template", args->get("dest-uri-template").value_or("")},
                 {"migrate_uri_template", args->get("migrate-uri-template").value_or("")},
                 {"max_per_host", per_host.value},
                 {"max_total", total.value},
                 {"bandwidth_mibps", static_cast<double>(args->get_int("bandwidth").value_or(0))},
                 {"mode", mode_name(*mode)},
                 {"timeout_s", timeout.value},
                 {"retries", args->get_int("retries").value_or(2)},
                 {"backoff_s", args->get_double("backoff").value_or(2.0)}};
    }
    dispatch::DispatchOptions opt;
    std::string hosts_path;
    try {
        hosts_path = saved.at("hosts").get<std::string>();
        opt.connect_template = saved.at("connect_uri_template").get<std::string>();
        opt.dest_template = saved.at("dest_uri_template").get<std::string>();
        opt.migrate_template = saved.at("migrate_uri_template").get<std::string>();
        opt.max_per_host = saved.at("max_per_host").get<int32_t>();
        opt.max_total = saved.at("max_total").get<int32_t>();
        opt.bandwidth_mibps = saved.at("bandwidth_mibps").get<double>();
        auto mode = parse_mode(saved.at("mode").get<std::string>());
        if (!mode) return tl::unexpected(mode.error());
        opt.mode = *mode;
        opt.timeout_s = saved.at("timeout_s").get<double>();
        opt.retries = saved.at("retries").get<int32_t>();
        opt.backoff_s = saved.at("backoff_s").get<double>();
    } catch (const std::exception& e) {
        return bad_input(dir + "/dispatch.json: " + e.what());
    }
    auto plan = io::read_plan_csv(dir + "/plan.csv");
    if (!plan) return tl::unexpected(plan.error());
    const bool resuming = args->has("resume");
    if (resuming) {  // the checkpoint, for plan.csv's digest (and a dry run's limits)
        auto plan_limits = read_plan_limits(dir);
        if (!plan_limits) return tl::unexpected(plan_limits.error());
        from_plan = *plan_limits;
    }
    if (auto c = check_plan_digest(dir, *plan, from_plan); !c) return c;
    auto hosts = io::read_dispatch_hosts(hosts_path);
    if (!hosts) return tl::unexpected(hosts.error());
    // Validate every URI before anything happens.
    for (const auto& m : plan->moves) {
        for (const std::string* host : {&m.source, &m.target}) {
            auto it = std::find_if(hosts->begin(), hosts->end(),
                                   [&](const dispatch::HostAddr& a) { return a.id == *host; });
            if (it == hosts->end())
                return bad_input(dir + "/plan.csv: host " + in_quotes(*host) + " of VM " +
                                 in_quotes(m.vm) + " is not in " + hosts_path);
            for (const std::string* t :
                 {&opt.connect_template, &opt.dest_template, &opt.migrate_template}) {
                if (t->empty()) continue;
                if (auto u = dispatch::expand_uri(*t, *it); !u) return tl::unexpected(u.error());
            }
        }
    }
    if (dry_run) {
        auto text = dispatch::dry_run_text(plan->moves, *hosts, opt);
        if (!text) return tl::unexpected(text.error());
        std::optional<plan::WaveLimits> plan_waves;
        if (from_plan) plan_waves = from_plan->waves;
        std::cout << *text << "dispatch limits:\n"
                  << "  migrations per host  " << opt.max_per_host << "  (" << limits_from[0]
                  << ")\n"
                  << "  migrations in all    " << opt.max_total << "  (" << limits_from[1] << ")\n"
                  << "  timeout              " << io::format_double("%g", opt.timeout_s) << " s  ("
                  << limits_from[2] << ")\n";
        std::cout << dispatch::dry_run_estimate(plan->moves, *hosts, opt, plan_waves);
        std::cout << plan->moves.size() << " migrations in dry run (" << plan->new_vms
                  << " new-VM placements are not migrations); nothing done\n";
        return {};
    }
    const std::string journal_path = dir + "/dispatch.journal";
    if (!resuming && ::access(journal_path.c_str(), F_OK) == 0)
        return bad_input(journal_path +
                         ": a dispatch of this plan has already started; continue "
                         "it with: fleetplan dispatch --resume " +
                         dir);
    auto prior = io::read_journal(journal_path);
    if (!prior) return tl::unexpected(prior.error());
    if (!resuming) {
        if (auto w = io::write_file_atomic(dir + "/dispatch.json", saved.dump(2) + "\n"); !w)
            return w;
    }
    auto journal = io::FileJournal::open(journal_path);
    if (!journal) return tl::unexpected(journal.error());
    dispatch::LibvirtConnector connector;
    dispatch::DispatchHooks hooks;
    const auto t0 = std::chrono::steady_clock::now();
    hooks.progress = [&](const dispatch::Progress& p) {
        const double el = p.elapsed_s;
        const double rate =
            el > 0 ? static_cast<double>(p.done + p.skipped - p.done_before) / el * 60 : 0;
        const double eta = rate > 0 ? p.remaining / rate * 60 : 0;
        std::fprintf(stderr,
                     "\rdispatch: %lld done, %lld failed, %lld skipped, %lld remaining (%lld "
                     "running), %.1f/min, ETA %.0f s   ",
                     static_cast<long long>(p.done), static_cast<long long>(p.failed),
                     static_cast<long long>(p.skipped), static_cast<long long>(p.remaining),
                     static_cast<long long>(p.running), rate, eta);
    };
    hooks.wave_end = [&](int32_t) -> Result<void> {
        const std::string ck = dir + "/checkpoint.h5";
        if (::access(ck.c_str(), F_OK) != 0) return {};
        auto c = io::read_checkpoint(ck);
        if (!c) return tl::unexpected(c.error());
        auto j = io::read_journal(journal_path);
        if (!j) return tl::unexpected(j.error());
        c->dispatch_journal = std::move(*j);
        // A checkpoint joined from part files (format 3) is rewritten self-contained: its parts
        // are then orphans, removed once the new file is in place (after a crash in between, the
        // next plan into DIR removes them).
        const std::vector<std::string> parts = c->part_files;
        if (auto w = io::write_checkpoint(ck, *c); !w) return w;
        remove_part_files(dir, parts);
        return {};
    };
    auto rep =
        dispatch::run_dispatch(plan->moves, *hosts, opt, connector, **journal, *prior, hooks);
    if (!rep && rep.error().source == ErrorSource::kJournal) {
        Error e = rep.error();
        e.msg = journal_path + ": " + e.msg;
        return tl::unexpected(std::move(e));
    }
    std::fprintf(stderr, "\n");
    if (!rep) return tl::unexpected(rep.error());
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    std::cout << "dispatch: " << rep->finished << " finished, " << rep->failed << " failed, "
              << rep->skipped << " skipped of " << plan->moves.size() << " migrations in "
              << io::format_double("%.1f", secs) << " s; journal " << journal_path << "\n";
    for (size_t i = 0; i < rep->final_event.size(); ++i) {
        const auto e = rep->final_event[i];
        if (e == dispatch::MoveEvent::kFinished) continue;
        const auto& m = plan->moves[i];
        std::cout << "  " << dispatch::to_string(e) << ": " << printable(m.vm, kMaxIdBytes) << " "
                  << printable(m.source, kMaxIdBytes) << " -> " << printable(m.target, kMaxIdBytes)
                  << ": " << printable(rep->final_reason[i], 4096) << "\n";
    }
    if (rep->failed > 0)
        return fail(ErrorCode::kEnvironment,
                    "dispatch: " + std::to_string(rep->failed) +
                        " migrations failed; their VMs stay on their sources (see " + journal_path +
                        ")");
    if (rep->skipped > 0 && !args->has("allow-skips"))
        return fail(ErrorCode::kEnvironment,
                    "dispatch: " + std::to_string(rep->skipped) + " of " +
                        std::to_string(plan->moves.size()) +
                        " migrations skipped: their VMs ran on neither their planned source nor "
                        "their target, so the fleet is not as planned (see " +
                        journal_path + "); --allow-skips accepts this with exit 0");
    return {};
}

Result<void> run_collect(const std::vector<std::string>& argv) {
    const FlagSpec spec = collect_flags();
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    auto h = args->get("hosts");  // required, as are --connect-uri-template and --out
    auto t1 = args->get("connect-uri-template");
    auto out = args->get("out");
    if (auto r = io::check_out_dir(*out); !r) return r;
    if (auto e = no_empty_templates(*args); !e) return e;
    dispatch::CollectOptions opt;
    opt.gap_s = args->get_double("sample-seconds").value_or(1.0);
    opt.parallel = static_cast<int32_t>(args->get_int("parallel").value_or(8));
    const double max_missing_frac = args->get_double("max-missing-frac").value_or(0.1);
    const auto strict =
        args->has("strict") ? dispatch::Strictness::kStrict : dispatch::Strictness::kTolerant;
    auto hosts = io::read_dispatch_hosts(*h);
    if (!hosts) return tl::unexpected(hosts.error());
    std::vector<std::string> uris, ids;
    for (const auto& host : *hosts) {
        auto u = dispatch::expand_uri(*t1, host);
        if (!u) return tl::unexpected(u.error());
        uris.push_back(*u);
        ids.push_back(host.id);
    }
    dispatch::LibvirtConnector connector;
    const auto outcomes =
        dispatch::sample_hosts(connector, uris, opt, dispatch::steady_collect_clock());
    const dispatch::Collected got = dispatch::merge_outcomes(ids, outcomes);
    for (const auto& m : got.missing)
        std::cerr << "warning: collect: host " << printable(m.host)
                  << " skipped: " << printable(m.error, 4096) << "\n";
    for (const auto& w : got.warnings) std::cerr << "warning: " << w << "\n";
    if (dispatch::too_many_missing(got, strict, max_missing_frac))
        return fail(ErrorCode::kEnvironment,
                    "collect: " + std::to_string(got.missing.size()) + " of " +
                        std::to_string(got.hosts) + " hosts could not be read (" +
                        (strict == dispatch::Strictness::kStrict
                             ? std::string("--strict")
                             : "more than --max-missing-frac " +
                                   io::format_double("%g", max_missing_frac)) +
                        "); nothing written");
    // vms.csv and missing_hosts.csv go in place together (one commit): a plan never reads a new
    // vms.csv beside a stale list of missing hosts.
    if (auto r = io::make_dir(*out); !r) return r;
    auto commit = io::OutputCommit::open(*out);
    if (!commit) return tl::unexpected(commit.error());
    if (auto w = commit->stage("vms.csv", io::collected_vms_csv(got.rows)); !w) return w;
    if (auto w = commit->stage("missing_hosts.csv", io::missing_hosts_csv(got.missing)); !w)
        return w;
    if (auto w = commit->commit(); !w) return w;
    const std::string hist = args->get("history").value_or(*out + "/history.csv");
    const auto now = static_cast<int64_t>(std::time(nullptr));
    if (auto w = io::append_collected_history(hist, got.rows, now); !w) return w;
    std::cout << "collect: " << got.rows.size() << " running VMs on "
              << got.hosts - static_cast<int64_t>(got.missing.size()) << " of " << got.hosts
              << " hosts (" << got.missing.size() << " missing, listed in " << *out
              << "/missing_hosts.csv); wrote " << *out << "/vms.csv and appended to " << hist
              << "\n";
    return {};
}

}  // namespace

Result<void> cmd_dispatch(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (help_asked(argv, env, kDispatchUsage, dispatch_flags(), kDispatchNotes)) return {};
    // Rank 0 works; an exception there must not leave the others waiting in agree().
    return run_agreed([&]() -> Result<void> { return env.rank == 0 ? run(argv) : Result<void>{}; },
                      env);
}

Result<void> cmd_collect(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (help_asked(argv, env, kCollectUsage, collect_flags(), kCollectNotes)) return {};
    // Rank 0 works; an exception there must not leave the others waiting in agree().
    return run_agreed(
        [&]() -> Result<void> { return env.rank == 0 ? run_collect(argv) : Result<void>{}; }, env);
}

}  // namespace fp::mpi
