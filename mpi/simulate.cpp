// `fleetplan simulate`: the trace-driven simulator's command. One process runs one chain; with
// --grid every chain runs (in parallel with oneTBB, and across MPI ranks when there are several)
// and rank 0 prints one table. Outputs per chain: metrics.json, intervals.csv and checkpoint.h5
// (time axis + resumable state) in DIR (DIR/<chain>/ with --grid).
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>

#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/output_commit.hpp"
#include "io/sim_checkpoint.hpp"
#include "io/sim_input.hpp"
#include "mpi/cli.hpp"
#include "mpi/collective.hpp"
#include "mpi/commands.hpp"
#include "mpi/mpi_communicator.hpp"
#include "src/dist/spread.hpp"
#include "src/policy/registry.hpp"
#include "src/sim/chains.hpp"
#include "src/sim/engine.hpp"
#include "src/sim/planner_chain.hpp"
#include "src/sim/preset.hpp"
#include "src/util/crash_point.hpp"
#include "src/util/text.hpp"

namespace fp::mpi {
namespace {

const char* kSimulateUsage =
    "usage: fleetplan simulate --preset cloudsim-planetlab --trace DAY_DIR\n"
    "                          (--policy NAME | --grid) [--config C.toml] --out DIR [options]\n"
    "       fleetplan simulate --hosts H.csv --vms V.csv|auto --trace DIR_OR_CSV\n"
    "                          [--trace-format F] [--config C.toml] [--policy NAME]\n"
    "                          [--interval 300] --out DIR [options]\n"
    "       fleetplan simulate --resume CKPT.h5 --out DIR\n";

// Every flag of `simulate`, with its help (the parser and --help both read it).
FlagSpec simulate_flags() {
    FlagSpec f("simulate");
    f.value("preset", "NAME", "a built-in scenario: cloudsim-planetlab (with --trace DAY_DIR)")
        .excludes({"hosts", "vms", "interval", "trace-format"}, "the preset fixes it")
        .value("trace", "DIR_OR_CSV",
               "utilisation traces: a PlanetLab day directory, or with --hosts a CSV\n"
               "time,vm,cpu[,mem,net] of fractions")
        .value("trace-format", "F",
               "fleet runs: csv (time,vm,cpu[,mem,net]), planetlab (a directory),\n"
               "gwa (a Bitbrains GWA-T-12 directory, resampled to 300 s);\n"
               "default: a directory is planetlab, a file csv")
        .value("hosts", "H.csv", "a fleet's hosts (with --vms and --trace)")
        .value("vms", "V.csv|auto",
               "a fleet's VMs; auto with --trace-format gwa: the VM rows from the trace")
        .value("config", "C.toml",
               "with --hosts: policies, [plan] and [sim] (configs/*.toml);\n"
               "with --preset: [sim] best_* only (the best chain's parameters)")
        .value("policy", "NAME",
               "a chain: thr-mmt iqr-mmt mad-mmt lr-mmt lrr-mmt lr-mc lr-rs lr-mu best\n"
               "(preset default lr-mmt; with --hosts default: the config's chain)")
        .flag("grid", "run every chain; DIR/<chain>/ per chain, one table on stdout")
        .value("out", "DIR", "where the outputs go (created when missing)")
        .required()
        .value("resume", "CKPT.h5", "continue a simulation from its checkpoint")
        .excludes({"preset", "trace", "trace-order", "hosts", "vms", "config", "policy", "interval",
                   "grid", "intervals", "seed", "keep-idle-vms", "trace-format"},
                  "it takes the inputs from the checkpoint")
        .value("interval", "S", "with --hosts: seconds between decisions (default: the trace's)")
        .int_range(1, 86400 * 366)
        .value("trace-order", "FILE", "trace file names in VM creation order (default: byte order)")
        .excludes({"hosts", "vms"},
                  "--trace-order applies to --preset only: a fleet's trace files are named by "
                  "VM id")
        .flag("keep-idle-vms", "preset: keep VMs that ask for no CPU (CloudSim ends them)")
        .value("intervals", "N", "simulate the first N intervals (default: the whole trace)")
        .int_range(1, 10000000)
        .value("stop-after", "K", "stop after interval K, leaving a resumable checkpoint")
        .int_range(1, 10000000)
        .value("checkpoint-every", "K",
               "write the checkpoint every K intervals (default 12) and at the end")
        .int_range(0, 10000000)
        .value("seed", "S", "seed of randomised policies (default 1)")
        .int_range(0, INT64_MAX)
        .value("threads", "N", "chains run in parallel under --grid (default: cores / ranks)")
        .int_range(1, 4096)
        .flag("progress",
              "progress (intervals/s, ETA) on stderr also when it is not a terminal\n"
              "(on a terminal it is always shown; rank 0, at most once a second)");
    return f;
}

nlohmann::ordered_json metrics_json(const sim::Scenario& sc, const sim::SimState& st,
                                    const std::string& chain,
                                    const std::vector<sim::IntervalRow>& rows, int32_t target) {
    const sim::Metrics m = sim::metrics_of(sc, st);
    nlohmann::ordered_json j;
    j["scenario"] = sc.name;
    j["policy"] = chain;
    j["hosts"] = m.hosts;
    j["vms"] = m.vms;
    j["intervals"] = m.intervals;
    j["complete"] = st.tick >= target;
    j["interval_s"] = sc.interval_s;
    j["energy_kwh"] = m.energy_kwh;
    j["energy_floor_kwh"] = m.energy_floor_kwh;
    // null when there is no floor (no demand): a ratio to 0 is no figure.
    j["energy_over_floor"] =
        m.energy_floor_kwh > 0 ? nlohmann::ordered_json(m.energy_over_floor) : nullptr;
    j["migrations"] = m.migrations;
    j["slatah"] = m.slatah;
    j["pdm"] = m.pdm;
    j["slav"] = m.slav;
    j["esv"] = m.esv;
    j["unserved_mips_s"] = m.unserved_mips_s;
    j["unserved_frac"] = m.unserved_frac;
    j["hotspot_host_intervals"] = m.hotspot_host_intervals;
    j["mem_overcommit_host_intervals"] = m.mem_overcommit_host_intervals;
    j["unserved_mem_frac"] = m.unserved_mem_frac;
    j["mem_moved_mb"] = m.mem_moved_mb;
    j["hosts_switched_on"] = m.switched_on;
    j["hosts_switched_off"] = m.switched_off;
    double active = 0;
    for (const auto& r : rows) active += r.active_hosts;
    j["mean_active_hosts"] = rows.empty() ? 0.0 : active / static_cast<double>(rows.size());
    j["unplaced_vms"] = m.unplaced_vms;
    j["finished_vms"] = m.finished_vms;
    j["notes"] = st.notes;
    j["mean_step_seconds"] = m.mean_step_seconds;
    j["max_step_seconds"] = m.max_step_seconds;
    return j;
}

std::string intervals_csv(const std::vector<sim::IntervalRow>& rows) {
    std::string out =
        "interval,t_s,active_hosts,energy_kwh,energy_floor_kwh,migrations,hotspot_hosts,slatah,pdm,"
        "unserved_mips_s,mem_overcommit_hosts,unserved_mem_frac,mem_moved_mb,switched_on,"
        "switched_off,decision_ms\n";
    for (const auto& r : rows) {
        const auto& f = r.fig;
        out += std::to_string(r.k) + "," + io::format_double("%.1f", r.t) + "," +
               std::to_string(r.active_hosts) + "," +
               io::format_double("%.9f", f.energy_j / 3.6e6) + "," +
               io::format_double("%.9f", f.floor_energy_j / 3.6e6) + "," +
               std::to_string(f.migrations) + "," + std::to_string(f.hotspot_host_intervals) + "," +
               io::format_double("%.9f",
                                 f.active_host_s > 0 ? f.overload_host_s / f.active_host_s : 0.0) +
               "," +
               io::format_double("%.9f", f.requested_mips_s > 0
                                             ? f.migration_loss_mips_s / f.requested_mips_s
                                             : 0.0) +
               "," +
               io::format_double("%.3f", std::max(0.0, f.requested_mips_s - f.allocated_mips_s)) +
               "," + std::to_string(f.mem_overcommit_host_intervals) + "," +
               io::format_double("%.9f", f.requested_mem_mb_s > 0
                                             ? f.unserved_mem_mb_s / f.requested_mem_mb_s
                                             : 0.0) +
               "," + io::format_double("%.1f", f.mem_moved_mb) + "," +
               std::to_string(f.switched_on) + "," + std::to_string(f.switched_off) + "," +
               io::format_double("%.3f", r.decision_s * 1e3) + "\n";
    }
    return out;
}

// The progress line on stderr: intervals done over all of this rank's chains, the rate since the
// start and the time left at that rate. At most one line a second; on a terminal the line is
// rewritten in place. Called from the chains' threads.
class Progress {
  public:
    Progress(int64_t total, bool tty) : total_(total), tty_(tty) {}
    void step() {
        const int64_t done = ++done_;
        const auto now = std::chrono::steady_clock::now();
        std::unique_lock lock(mu_, std::try_to_lock);
        if (!lock.owns_lock() || (now - last_ < std::chrono::seconds(1) && done < total_)) return;
        last_ = now;
        const double s = std::chrono::duration<double>(now - start_).count();
        const double rate = s > 0 ? static_cast<double>(done) / s : 0.0;
        const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
        char line[160];
        std::snprintf(line, sizeof line,
                      "simulate: %lld/%lld intervals, %.2f intervals/s, %.1f s elapsed, ETA %.0f s",
                      static_cast<long long>(done), static_cast<long long>(total_), rate, s, eta);
        if (tty_) {
            std::fprintf(stderr, "\r%s\033[K%s", line, done >= total_ ? "\n" : "");
        } else {
            std::fprintf(stderr, "%s\n", line);
        }
        std::fflush(stderr);
    }

  private:
    const int64_t total_;
    const bool tty_;
    std::atomic<int64_t> done_{0};
    std::mutex mu_;
    const std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
    std::chrono::steady_clock::time_point last_ = start_;
};

using ChainFactory = std::function<Result<std::unique_ptr<sim::Chain>>(const std::string&)>;

struct RunSpec {
    std::string chain;
    ChainFactory factory;
    std::string hosts_csv, vms_csv, config_toml;  // fleet runs: kept for --resume
    std::string out_dir;
    int32_t target = 0;       // last interval
    int32_t stop_after = -1;  // stop after this interval (a planned interruption)
    int32_t every = 12;       // checkpoint period in intervals
    uint64_t seed = 1;
    std::string inputs;
    const io::SimCheckpoint* resume = nullptr;
    Progress* progress = nullptr;
};

// Runs one chain over the scenario, writing its outputs; returns metrics.json's text.
Result<std::string> run_chain(const sim::Scenario& sc, const RunSpec& spec) {
    auto chain = spec.factory(spec.chain);
    if (!chain) return tl::unexpected(chain.error());
    if (auto r = io::make_dir(spec.out_dir); !r) return tl::unexpected(r.error());
    sim::Engine engine(sc, std::move(*chain));
    std::vector<sim::IntervalRow> rows;
    if (spec.resume) {
        if (auto r = engine.load_state(spec.resume->state); !r) {
            return bad_input("--resume: " + r.error().msg);
        }
        rows = spec.resume->rows;
    }
    io::SimCheckpoint ck;
    ck.program_version = FP_GIT_DESCRIBE;
    ck.chain = spec.chain;
    ck.inputs = spec.inputs;
    ck.target_tick = spec.target;
    ck.scenario = sc;
    ck.hosts_csv = spec.hosts_csv;
    ck.vms_csv = spec.vms_csv;
    ck.config_toml = spec.config_toml;
    const std::string ckpt_path = spec.out_dir + "/checkpoint.h5";
    auto save = [&](bool complete) -> Result<void> {
        ck.complete = complete;
        ck.rows = rows;
        ck.state = engine.save_state();
        ck.metrics_json = metrics_json(sc, engine.state(), spec.chain, rows, spec.target).dump(2);
        return io::write_sim_checkpoint(ckpt_path, ck);
    };
    Result<void> failed;
    bool stopped = false;
    auto r = engine.run(spec.target, [&](const sim::IntervalRow& row) {
        rows.push_back(row);
        if (spec.progress) spec.progress->step();
        crash_point("sim-interval");
        const bool last = row.k >= spec.target;
        if (spec.stop_after >= 0 && row.k >= spec.stop_after && !last) {
            stopped = true;
            failed = save(false);
            return false;
        }
        if (!last && spec.every > 0 && row.k % spec.every == 0) {
            failed = save(false);
            if (!failed) return false;
        }
        return true;
    });
    if (!r) return tl::unexpected(r.error());
    if (!failed) return tl::unexpected(failed.error());
    const std::string mj =
        metrics_json(sc, engine.state(), spec.chain, rows, spec.target).dump(2) + "\n";
    if (stopped) return mj;
    if (auto w = save(engine.state().tick >= spec.target); !w) return tl::unexpected(w.error());
    if (auto w = io::write_file_atomic(spec.out_dir + "/intervals.csv", intervals_csv(rows)); !w)
        return tl::unexpected(w.error());
    if (auto w = io::write_file_atomic(spec.out_dir + "/metrics.json", mj); !w)
        return tl::unexpected(w.error());
    return mj;
}

std::string grid_table(const std::vector<std::string>& chains,
                       const std::vector<std::string>& metrics) {
    std::string out =
        "| policy | energy kWh | floor kWh | energy / floor | migrations | SLATAH % | PDM % | "
        "SLAV % | ESV | unserved % | hotspot host-intervals | mean active hosts | mean step ms |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n";
    for (size_t i = 0; i < chains.size(); ++i) {
        const auto j = nlohmann::json::parse(metrics[i]);
        const auto& ratio = j["energy_over_floor"];
        out += "| " + chains[i] + " | " + io::format_double("%.2f", j["energy_kwh"].get<double>()) +
               " | " + io::format_double("%.2f", j["energy_floor_kwh"].get<double>()) + " | " +
               (ratio.is_number() ? io::format_double("%.3f", ratio.get<double>()) : "-") + " | " +
               std::to_string(j["migrations"].get<int64_t>()) + " | " +
               io::format_double("%.2f", 100 * j["slatah"].get<double>()) + " | " +
               io::format_double("%.3f", 100 * j["pdm"].get<double>()) + " | " +
               io::format_double("%.5f", 100 * j["slav"].get<double>()) + " | " +
               io::format_double("%.5f", j["esv"].get<double>()) + " | " +
               io::format_double("%.4f", 100 * j["unserved_frac"].get<double>()) + " | " +
               std::to_string(j["hotspot_host_intervals"].get<int64_t>()) + " | " +
               io::format_double("%.1f", j["mean_active_hosts"].get<double>()) + " | " +
               io::format_double("%.3f", 1e3 * j["mean_step_seconds"].get<double>()) + " |\n";
    }
    return out;
}

}  // namespace

Result<void> cmd_simulate(const std::vector<std::string>& argv, const MpiEnv& env) {
    const FlagSpec spec = simulate_flags();
    if (help_asked(argv, env, kSimulateUsage, spec,
                   "Writes DIR/metrics.json, DIR/intervals.csv and DIR/checkpoint.h5.\n"))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    auto out = args->get("out");  // required
    if (auto r = io::check_out_dir(*out); !r) return r;
    const auto intervals = args->get_int("intervals");
    const auto stop_after = args->get_int("stop-after");
    const auto every = args->get_int("checkpoint-every");
    const auto seed = args->get_int("seed");
    const bool grid = args->has("grid");
    const int nthreads = static_cast<int>(args->get_int("threads").value_or(default_threads(env)));
    tbb::global_control threads_limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(nthreads));
    const auto t0 = std::chrono::steady_clock::now();

    sim::Scenario sc;
    std::optional<io::SimCheckpoint> resumed;
    std::vector<std::string> chains;
    std::string inputs;
    // Fleet runs: the fleet, config and their text (the planner chain plans on the fleet).
    std::optional<model::Fleet> fleet;
    std::optional<io::RunConfig> rc;
    std::string hosts_text, vms_text, config_text;
    std::string default_chain = "lr-mmt";
    auto load_cfg = [&](const std::string& path, const std::optional<std::string>& text,
                        bool preset = false) -> Result<void> {
        policy::Registries reg;
        policy::register_builtin_policies(reg);
        io::ConfigOverrides ov;
        if (seed) ov.seed = *seed;
        // A preset run's best_* keys override the preset's settings, not BestChainParams{}.
        if (preset) ov.best_base = sim::cloudsim_planetlab_best_params();
        auto c = io::load_config(path, ov, reg, text);
        if (!c) return tl::unexpected(c.error());
        rc = std::move(*c);
        return {};
    };
    if (auto rp = args->get("resume")) {
        auto ck = io::read_sim_checkpoint(*rp);
        auto ok = agree_on(ck, env);
        if (!ok) return ok;
        resumed = std::move(*ck);
        sc = resumed->scenario;
        chains = {resumed->chain};
        inputs = resumed->inputs;
        if (!resumed->hosts_csv.empty()) {
            auto load = io::parse_fleet(resumed->hosts_csv, *rp + ":/inputs/hosts_csv",
                                        resumed->vms_csv, *rp + ":/inputs/vms_csv");
            if (!load) return tl::unexpected(load.error());
            fleet = std::move(load->fleet);
            hosts_text = resumed->hosts_csv;
            vms_text = resumed->vms_csv;
        }
        // A fleet run's config, or a preset run's (its best_* keys).
        if (!resumed->hosts_csv.empty() || !resumed->config_toml.empty()) {
            if (auto r = load_cfg(*rp + ":/inputs/config_toml", resumed->config_toml,
                                  resumed->hosts_csv.empty());
                !r)
                return r;
            config_text = resumed->config_toml;
        }
    } else if (auto preset = args->get("preset")) {
        if (*preset != "cloudsim-planetlab")
            return bad_input("simulate: unknown --preset " + in_quotes(*preset) +
                             " (valid: cloudsim-planetlab)");
        auto trace = args->get("trace");
        if (!trace) return bad_input("simulate: --preset needs --trace DAY_DIR");
        auto day = io::read_planetlab_day(*trace, args->get("trace-order"));
        auto ok = agree_on(day, env);
        if (!ok) return ok;
        sc = sim::cloudsim_planetlab(*day, static_cast<uint64_t>(seed.value_or(1)));
        // CloudSim ends a VM for good the first time it asks for no CPU; --keep-idle-vms keeps
        // it (a sensitivity check: the experiment's figures depend on that rule).
        if (args->has("keep-idle-vms")) sc.finish_idle_vms = false;
        // A config sets the best chain's parameters ([sim] best_*); the preset fixes the rest.
        const std::string cfg_path = args->get("config").value_or("");
        if (!cfg_path.empty()) {
            auto t = io::read_file(cfg_path);
            if (auto ok = agree_on(t, env); !ok) return ok;
            config_text = *t;
            if (auto r = load_cfg(cfg_path, config_text, true); !r) return r;
            for (const auto& [key, line] : rc->keys_given)
                if (key.rfind("sim.best_", 0) != 0)
                    return bad_input(cfg_path + ":" + std::to_string(line) + ":" + key +
                                     ": the preset fixes it; with --preset a config sets only "
                                     "[sim] best_* (the best chain's parameters)");
        }
        inputs = "preset cloudsim-planetlab, trace " + *trace +
                 (args->get("trace-order") ? ", order " + *args->get("trace-order") : "") +
                 (cfg_path.empty() ? "" : ", config " + cfg_path);
    } else if (args->has("hosts") || args->has("vms")) {
        auto hosts = args->get("hosts");
        auto vms = args->get("vms");
        auto trace = args->get("trace");
        if (!hosts || !vms || !trace)
            return bad_input("simulate: a fleet run needs --hosts, --vms and --trace");
        const std::string format_name = args->get("trace-format").value_or("auto");
        const auto format = io::parse_trace_format(format_name);
        if (!format)
            return bad_input("simulate: unknown --trace-format " + in_quotes(format_name) +
                             " (valid: " + io::kTraceFormatNames + ")");
        const std::string cfg_path = args->get("config").value_or("");
        if (!cfg_path.empty()) {
            auto t = io::read_file(cfg_path);
            // Read by every rank: one that fails alone must not leave the others in agree().
            if (auto ok = agree_on(t, env); !ok) return ok;
            config_text = *t;
        }
        // From the text read above: a second read could fail on one rank alone.
        if (auto r = load_cfg(cfg_path, cfg_path.empty() ? std::nullopt
                                                         : std::optional<std::string>(config_text));
            !r)
            return r;
        if (auto interval = args->get_int("interval")) rc->sim.interval_s = *interval;
        auto fs = io::fleet_scenario(*hosts, *vms, *trace, *format, rc->sim,
                                     static_cast<uint64_t>(rc->options.seed));
        auto ok = agree_on(fs, env);
        if (!ok) return ok;
        if (env.rank == 0)
            for (const auto& w : fs->warnings) std::cerr << "warning: " << w << "\n";
        sc = std::move(fs->scenario);
        fleet = std::move(fs->fleet);
        hosts_text = std::move(fs->hosts_text);
        vms_text = std::move(fs->vms_text);
        default_chain = rc->sim.chain;
        inputs = "fleet " + *hosts + " + " + *vms + ", trace " + *trace + " (" + format_name + ")" +
                 (cfg_path.empty() ? "" : ", config " + cfg_path);
    } else {
        return bad_input(
            "simulate: give --preset cloudsim-planetlab --trace DIR, or --hosts, "
            "--vms and --trace, or --resume CKPT.h5");
    }
    ChainFactory factory = [&](const std::string& name) -> Result<std::unique_ptr<sim::Chain>> {
        if (name == "planner") {
            if (!fleet || !rc)
                return bad_input("simulate: the 'planner' chain needs a fleet (--hosts, --vms)");
            return sim::make_planner_chain(*fleet, rc->options, rc->policies,
                                           rc->sim.planner_horizon, rc->sim.planner_mem_window,
                                           rc->sim.planner_waves);
        }
        // A preset run (no fleet) starts best from the preset's settings, which a config's
        // [sim] best_* keys override (load_cfg's base); a fleet run from BestChainParams{}.
        return sim::make_chain(
            name, static_cast<uint64_t>(seed.value_or(static_cast<int64_t>(sc.seed))),
            rc ? rc->sim.best
               : (fleet ? sim::BestChainParams{} : sim::cloudsim_planetlab_best_params()));
    };
    if (!resumed) {
        if (grid) {
            if (args->has("policy"))
                return bad_input("simulate: --grid runs every chain; drop --policy");
            chains = sim::grid_chain_names();
            if (fleet) chains.push_back("planner");
        } else {
            chains = {args->get("policy").value_or(default_chain)};
        }
        for (const auto& c : chains) {
            if (auto ch = factory(c); !ch) return tl::unexpected(ch.error());
        }
    }
    const int32_t target = resumed ? resumed->target_tick
                                   : static_cast<int32_t>(std::min<int64_t>(
                                         intervals.value_or(sc.intervals), sc.intervals));

    // Chains are independent: rank r runs chains r, r+P, ...; threads run a rank's chains;
    // rank 0 gets every chain's metrics.
    MpiCommunicator comm(env);
    // Rank 0's chains only (other ranks stay quiet): on a terminal, or when asked for.
    std::optional<Progress> progress;
    const bool tty = isatty(STDERR_FILENO) != 0;
    if (env.rank == 0 && (tty || args->has("progress"))) {
        int64_t mine = 0;
        for (size_t i = 0; i < chains.size(); ++i)
            mine += static_cast<int>(i % static_cast<size_t>(env.size)) == env.rank;
        const int64_t from =
            resumed ? std::max(0, resumed->rows.empty() ? 0 : resumed->rows.back().k) : 0;
        progress.emplace(mine * std::max<int64_t>(0, target - from), tty);
        // What the intervals' rate leaves out: reading the inputs (a fleet's trace can be GBs).
        std::fprintf(stderr, "simulate: inputs read in %.1f s\n", since(t0));
    }
    const auto gathered = dist::run_spread(
        "sim-metrics", chains.size(),
        [&](size_t i) {
            RunSpec rs;
            rs.chain = chains[i];
            rs.out_dir = grid ? *out + "/" + chains[i] : *out;
            rs.target = target;
            rs.stop_after = stop_after.value_or(-1);
            rs.every = static_cast<int32_t>(every.value_or(12));
            rs.seed = static_cast<uint64_t>(seed.value_or(static_cast<int64_t>(sc.seed)));
            rs.inputs = inputs;
            rs.factory = factory;
            rs.hosts_csv = hosts_text;
            rs.vms_csv = vms_text;
            rs.config_toml = config_text;
            rs.resume = resumed ? &*resumed : nullptr;
            rs.progress = progress ? &*progress : nullptr;
            return run_chain(sc, rs);
        },
        comm);
    if (!gathered) return tl::unexpected(gathered.error());
    const std::vector<std::string>& metrics = *gathered;
    if (env.rank != 0) return {};
    if (grid) {
        const std::string table = grid_table(chains, metrics);
        std::cout << table;
        if (auto w = io::write_file_atomic(*out + "/grid.md", table); !w) return w;
        std::cout << "grid: " << chains.size() << " chains in "
                  << io::format_double("%.1f", since(t0)) << " s; outputs in " << *out
                  << "/<policy>/\n";
    } else {
        const auto j = nlohmann::json::parse(metrics[0]);
        if (!j["complete"].get<bool>()) {
            std::cout << "simulate " << chains[0] << ": stopped after " << j["intervals"].get<int>()
                      << " of " << target
                      << " intervals; continue with: fleetplan simulate --resume " << *out
                      << "/checkpoint.h5 --out " << *out << "\n";
            return {};
        }
        std::cout << "simulate " << chains[0] << ": " << j["intervals"].get<int>() << " intervals, "
                  << io::format_double("%.2f", j["energy_kwh"].get<double>()) << " kWh, "
                  << j["migrations"].get<int64_t>() << " migrations, SLATAH "
                  << io::format_double("%.2f", 100 * j["slatah"].get<double>()) << "%, SLAV "
                  << io::format_double("%.5f", 100 * j["slav"].get<double>()) << "%; wrote " << *out
                  << "/metrics.json (" << io::format_double("%.1f", since(t0)) << " s)\n";
    }
    return {};
}

}  // namespace fp::mpi
