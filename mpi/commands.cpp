#include "mpi/commands.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <tbb/global_control.h>
#include <tbb/info.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/output_commit.hpp"
#include "io/plan_writer.hpp"
#include "io/sim_checkpoint.hpp"
#include "io/sim_input.hpp"
#include "io/trace_formats.hpp"
#include "mpi/cli.hpp"
#include "mpi/mpi_communicator.hpp"
#include "src/dispatch/dispatch.hpp"
#include "src/dist/plan_driver.hpp"
#include "src/model/generator.hpp"
#include "src/plan/fleet_after.hpp"
#include "src/plan/planner.hpp"
#include "src/policy/registry.hpp"
#include "src/util/text.hpp"

namespace fp::mpi {
namespace {

using Clock = std::chrono::steady_clock;

bool wants_help(const std::vector<std::string>& argv) {
    return std::find(argv.begin(), argv.end(), "--help") != argv.end() ||
           std::find(argv.begin(), argv.end(), "-h") != argv.end();
}

const char* kPlanHelp =
    "usage: fleetplan plan --hosts H.csv --vms V.csv --out DIR [options]\n"
    "       fleetplan plan --resume CKPT.h5 --out DIR [--threads N]\n"
    "  --goal auto|consolidate|balance|hotspot|evacuate   (default: config, else auto)\n"
    "  --evacuate ID[,ID...] | --evacuate-file F          hosts to empty (maintenance hosts always "
    "are)\n"
    "  --config C.toml        policies and parameters (configs/*.toml)\n"
    "  --max-util F           utilisation limit after the plan, (0, 1] (default 0.9)\n"
    "  --budget-migrations N  at most N migrations\n"
    "  --budget-mem-frac F    at most this fraction of all VM memory moves\n"
    "  --now ISO8601          planning time (recorded; the wall clock is never read)\n"
    "  --window DURATION      e.g. 4h: mandatory moves, then optional ones only while the\n"
    "                         estimated schedule ends within it\n"
    "  --missing-hosts F      hosts collect could not read (its DIR/missing_hosts.csv): left out\n"
    "                         of the fleet (neither source nor target), listed in summary.json's\n"
    "                         fleet_changes.hosts_missing\n"
    "  --seed S               seed of every random choice (default: config, else 1)\n"
    "  --threads N            worker threads (default: cores / ranks on this node)\n"
    "  --fail-on-unresolved   exit 4 (outputs written) when summary.json lists unresolved items\n"
    "  --csv-safe             also write plan.spreadsheet.csv: ids beginning with = + - @ get a\n"
    "                         leading ' (no formula runs); plan.csv is unchanged\n"
    "Writes DIR/plan.csv, DIR/summary.json, DIR/checkpoint.h5 (and DIR/resize.csv when VMs grow "
    "in\n"
    "place) as one commit (DIR/commit.pending while the files are put in place; a later command\n"
    "on DIR finishes it after a crash).\n"
    "Exit codes: 0 done (also when something is unresolved), 2 bad input, 3 environment failure,\n"
    "1 internal error; 4 with --fail-on-unresolved when something is unresolved.\n";

const char* kApplyHelp =
    "usage: fleetplan apply PLAN_DIR --out DIR\n"
    "Writes DIR/hosts.csv and DIR/vms.csv: the fleet of PLAN_DIR/checkpoint.h5 once its whole\n"
    "plan is carried out. Every VM is on its move's target (new VMs placed), resizes are\n"
    "applied, hosts the plan switched on are active and, for the goals consolidate and auto,\n"
    "the hosts it emptied are off (maintenance and --evacuate hosts keep their state). The same\n"
    "checkpoint gives the same bytes. Plan them next with --previous PLAN_DIR/checkpoint.h5.\n";

}  // namespace

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int default_threads(const MpiEnv& env) {
    const int cores = tbb::info::default_concurrency();
    return std::max(1, cores / std::max(1, env.local_size));
}

std::string usage() {
    return "usage: fleetplan COMMAND [options]   (COMMAND --help for details)\n"
           "  plan       plan migrations for a fleet (hosts.csv, vms.csv)\n"
           "  generate   write a synthetic fleet\n"
           "  policies   list every policy with its parameters\n"
           "  inspect    summarise a checkpoint (.h5)\n"
           "  simulate   replay utilisation traces through a policy chain\n"
           "  convert-trace  write a GWA-T-12 or PlanetLab trace as the interchange CSV\n"
           "  dispatch   carry a plan out through libvirt (live migrations, journal, resume)\n"
           "  collect    read a fleet's VMs from libvirt into vms.csv and a history CSV\n"
           "  apply      write the fleet after a plan (hosts.csv, vms.csv) from its checkpoint\n"
           "  roadef     optimise a ROADEF/EURO 2012 machine-reassignment instance\n";
}

Result<void> cmd_plan(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0) std::cout << kPlanHelp;
        return {};
    }
    const auto t0 = Clock::now();
    FlagSpec spec;
    spec.with_value = {
        "hosts",        "vms",     "goal",     "evacuate", "evacuate-file",     "config",
        "max-util",     "history", "previous", "now",      "budget-migrations", "budget-mem-frac",
        "threads",      "seed",    "out",      "resume",   "traffic",           "window",
        "missing-hosts"};
    spec.boolean = {"fail-on-unresolved", "csv-safe"};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("plan: unexpected argument " + in_quotes(args->positional()[0]));
    auto out_dir = args->get("out");
    if (!out_dir) return bad_input("plan: --out DIR is required");
    if (auto r = io::check_out_dir(*out_dir); !r) return r;
    auto threads = args->get_int("threads", 1, 4096);
    if (!threads) return tl::unexpected(threads.error());
    const int nthreads = threads->value_or(default_threads(env));

    tbb::global_control threads_limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(nthreads));
    if (cpu_set_t set;
        env.rank == 0 && sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < nthreads)
        std::cerr << "warning: --threads " << nthreads << " but this process may run on "
                  << CPU_COUNT(&set)
                  << " core(s) only (mpirun binds ranks to cores: use --bind-to none or "
                     "--map-by slot:PE="
                  << nthreads << ")\n";
    dist::PlanRequest request{std::move(*args), *out_dir, nthreads,
                              std::string(FP_VERSION) + " (" + FP_GIT_DESCRIBE + ")", t0};
    MpiCommunicator comm(env);
    return dist::run_plan(request, comm);
}

Result<void> cmd_generate(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0)
            std::cout << "usage: fleetplan generate --hosts N --vms M --seed S --out DIR "
                         "[--new-fraction F]\nWrites DIR/hosts.csv and DIR/vms.csv; the same "
                         "arguments give the same bytes.\n";
        return {};
    }
    FlagSpec spec;
    spec.with_value = {"hosts", "vms", "seed", "out", "new-fraction"};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    auto hosts = args->get_int("hosts", 1, 10000000);
    auto vms = args->get_int("vms", 0, 100000000);
    auto seed = args->get_int("seed", 0, INT64_MAX);
    auto nf = args->get_double("new-fraction", 0.0, 1.0);
    for (const Error* e : {hosts ? nullptr : &hosts.error(), vms ? nullptr : &vms.error(),
                           seed ? nullptr : &seed.error(), nf ? nullptr : &nf.error()})
        if (e) return tl::unexpected(*e);
    auto out = args->get("out");
    if (!*hosts || !*vms || !out)
        return bad_input("generate: --hosts, --vms and --out are required");
    if (auto r = io::check_out_dir(*out); !r) return r;
    model::GeneratorOptions opt;
    opt.hosts = **hosts;
    opt.vms = **vms;
    opt.seed = static_cast<uint64_t>(seed->value_or(1));
    if (*nf) opt.new_vm_fraction = **nf;
    const model::Fleet fleet = model::generate_fleet(opt);
    if (env.rank != 0) return {};
    if (auto r = io::make_dir(*out); !r) return r;
    if (auto r = io::write_file_atomic(*out + "/hosts.csv", io::hosts_csv(fleet)); !r) return r;
    if (auto r = io::write_file_atomic(*out + "/vms.csv", io::vms_csv(fleet)); !r) return r;
    std::cout << "wrote " << *out << "/hosts.csv (" << fleet.hosts.size() << " hosts) and " << *out
              << "/vms.csv (" << fleet.vms.size() << " VMs)\n";
    return {};
}

Result<void> cmd_convert_trace(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0)
            std::cout
                << "usage: fleetplan convert-trace --trace IN --trace-format gwa|planetlab "
                   "--out DIR\n"
                   "Writes DIR/trace.csv, the interchange trace `time,vm,cpu[,mem,net]` that "
                   "simulate --trace\nreads, and for gwa DIR/vms.csv, the VM rows of simulate "
                   "--vms auto. simulate on the\nwritten files equals simulate on IN.\n";
        return {};
    }
    FlagSpec spec;
    spec.with_value = {"trace", "trace-format", "out"};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("convert-trace: unexpected argument " + in_quotes(args->positional()[0]));
    auto trace = args->get("trace");
    auto format_name = args->get("trace-format");
    auto out = args->get("out");
    if (!trace || !format_name || !out)
        return bad_input("convert-trace: --trace, --trace-format and --out are required");
    const auto format = io::parse_trace_format(*format_name);
    if (!format || *format == io::TraceFormat::kAuto || *format == io::TraceFormat::kCsv)
        return bad_input("convert-trace: --trace-format " + in_quotes(*format_name) +
                         " cannot be converted (valid: gwa, planetlab; csv is already the "
                         "interchange format)");
    if (auto r = io::check_out_dir(*out); !r) return r;
    std::string csv, vms;
    if (*format == io::TraceFormat::kGwa) {
        auto g = io::read_gwa_trace(*trace, io::kMaxSimTraceSamples);
        if (!g) return tl::unexpected(g.error());
        csv = io::gwa_trace_csv(*g);
        vms = io::gwa_vms_csv(*g);
        if (env.rank == 0)
            for (const auto& w : g->warnings) std::cerr << "warning: " << w << "\n";
    } else {
        auto c = io::planetlab_trace_csv(*trace);
        if (!c) return tl::unexpected(c.error());
        csv = std::move(*c);
    }
    if (env.rank != 0) return {};
    if (auto r = io::make_dir(*out); !r) return r;
    if (auto r = io::write_file_atomic(*out + "/trace.csv", csv); !r) return r;
    std::cout << "wrote " << *out << "/trace.csv";
    if (!vms.empty()) {
        if (auto r = io::write_file_atomic(*out + "/vms.csv", vms); !r) return r;
        std::cout << " and " << *out << "/vms.csv";
    }
    std::cout << "\n";
    return {};
}

Result<void> cmd_apply(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0) std::cout << kApplyHelp;
        return {};
    }
    FlagSpec spec;
    spec.with_value = {"out"};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (args->positional().size() != 1) return bad_input("apply: give exactly one PLAN_DIR");
    auto out = args->get("out");
    if (!out) return bad_input("apply: --out DIR is required");
    if (auto r = io::check_out_dir(*out); !r) return r;
    if (env.rank != 0) return {};  // rank 0 reads and writes; no collective follows
    const std::string plan_dir = args->positional()[0];
    if (std::error_code ec; std::filesystem::is_regular_file(plan_dir, ec))
        return bad_input("apply: " + plan_dir + " is a file; give the plan's directory");
    if (auto r = io::complete_pending_commit(plan_dir); !r) return r;
    const std::string path = plan_dir + "/checkpoint.h5";
    if (io::is_sim_checkpoint(path))
        return bad_input(path + ": not a plan checkpoint (written by fleetplan simulate)");
    auto ck = io::read_checkpoint(path);
    if (!ck) return tl::unexpected(ck.error());
    if (ck->command != "plan")
        return bad_input(path + ": not a plan checkpoint (command " + in_quotes(ck->command) + ")");
    auto goal = plan::parse_goal(ck->goal);
    if (!goal) return bad_input(path + ": goal: " + goal.error().msg);
    std::vector<int32_t> evacuate;
    for (const std::string& id : ck->evacuate) {
        auto h = ck->fleet.host_index(id);
        if (!h) return bad_input(path + ":/inputs/evacuate: unknown host " + in_quotes(id));
        evacuate.push_back(*h);
    }
    auto after = plan::fleet_after(ck->fleet, ck->plan, *goal, evacuate);
    if (!after) return bad_input(path + ":" + after.error().msg);
    if (auto r = io::make_dir(*out); !r) return r;
    if (auto r = io::write_file_atomic(*out + "/hosts.csv", io::hosts_csv(*after)); !r) return r;
    if (auto r = io::write_file_atomic(*out + "/vms.csv", io::vms_csv(*after)); !r) return r;
    std::cout << "wrote " << *out << "/hosts.csv (" << after->hosts.size() << " hosts) and " << *out
              << "/vms.csv (" << after->vms.size() << " VMs): the fleet after "
              << ck->plan.moves.size() << " moves and " << ck->plan.resizes.size() << " resizes of "
              << path << "\n";
    return {};
}

Result<void> cmd_policies(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0) std::cout << "usage: fleetplan policies\nLists every policy.\n";
        return {};
    }
    if (!argv.empty()) return bad_input("policies: unexpected argument " + in_quotes(argv[0]));
    policy::Registries r;
    policy::register_builtin_policies(r);
    if (env.rank != 0) return {};
    for (const auto& p : r.list_all()) {
        std::printf("%-22s %-10s %s\n", p.name.c_str(), p.family.c_str(), p.description.c_str());
        for (const auto& param : p.params)
            std::printf("%-33s  %s = %s: %s\n", "", param.name.c_str(), param.default_value.c_str(),
                        param.description.c_str());
    }
    return {};
}

namespace {

// `inspect` on a simulator checkpoint: what ran (chain, scenario, inputs), how far it got, and
// the key metrics of metrics_json. Rank 0 prints.
Result<void> inspect_sim(const std::string& path, bool as_json, const MpiEnv& env) {
    auto ck = io::read_sim_checkpoint(path);
    if (!ck) return tl::unexpected(ck.error());
    if (env.rank != 0) return {};
    nlohmann::ordered_json metrics = nlohmann::ordered_json::object();
    try {
        metrics = nlohmann::ordered_json::parse(ck->metrics_json);
    } catch (const nlohmann::json::exception& e) {
        return bad_input(path + ":/metrics_json: not valid JSON: " + e.what());
    }
    if (!metrics.is_object()) return bad_input(path + ":/metrics_json: not a JSON object");
    const sim::Scenario& sc = ck->scenario;
    const size_t done = ck->rows.size();
    if (as_json) {
        nlohmann::ordered_json j;
        j["file"] = path;
        j["kind"] = "simulator";
        j["format_version"] = io::kSimCheckpointFormatVersion;
        j["program_version"] = ck->program_version;
        j["chain"] = ck->chain;
        j["scenario"] = sc.name;
        j["inputs"] = ck->inputs;
        j["hosts"] = sc.hosts();
        j["vms"] = sc.vms();
        j["interval_s"] = sc.interval_s;
        j["intervals_done"] = done;
        j["target_interval"] = ck->target_tick;
        j["complete"] = ck->complete;
        j["metrics"] = metrics;
        std::cout << j.dump(2) << "\n";
        return {};
    }
    std::cout << path << ": fleetplan simulator checkpoint v" << io::kSimCheckpointFormatVersion
              << ", written by " << ck->program_version << "\n";
    std::cout << "chain: " << ck->chain << "\n";
    std::cout << "scenario: " << sc.name << ", " << sc.hosts() << " hosts, " << sc.vms() << " VMs, "
              << sc.interval_s << " s intervals\n";
    std::cout << "inputs: " << ck->inputs << "\n";
    std::cout << "intervals: " << done << " / " << ck->target_tick << " done, "
              << (ck->complete ? "complete"
                               : "incomplete (fleetplan simulate --resume " + path + " --out DIR)")
              << "\n";
    // Fractions are shown as percentages; a metric the file lacks shows as '-'.
    struct Key {
        const char* name;
        const char* label;
        double scale;
        const char* unit;
    };
    static constexpr Key kKeys[] = {
        {"energy_kwh", "energy", 1, " kWh"},
        {"migrations", "migrations", 1, ""},
        {"slatah", "SLATAH", 100, "%"},
        {"pdm", "PDM", 100, "%"},
        {"slav", "SLAV", 100, "%"},
        {"esv", "ESV", 1, ""},
        {"unserved_frac", "unserved", 100, "% of requested CPU"},
    };
    std::cout << "metrics" << (ck->complete ? "" : " (so far)") << ":\n";
    for (const auto& k : kKeys) {
        const auto it = metrics.find(k.name);
        if (it == metrics.end() || !it->is_number()) {
            std::printf("  %-12s -\n", k.label);
        } else if (it->is_number_integer()) {
            std::printf("  %-12s %lld%s\n", k.label, static_cast<long long>(it->get<int64_t>()),
                        k.unit);
        } else {
            std::printf("  %-12s %.6g%s\n", k.label, it->get<double>() * k.scale, k.unit);
        }
    }
    return {};
}

}  // namespace

Result<void> cmd_inspect(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0)
            std::cout << "usage: fleetplan inspect FILE.h5 [--json]\n"
                         "Summarises a checkpoint: a plan's or the simulator's.\n";
        return {};
    }
    FlagSpec spec;
    spec.boolean = {"json"};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (args->positional().size() != 1) return bad_input("inspect: give exactly one FILE.h5");
    const std::string path = args->positional()[0];
    if (io::is_sim_checkpoint(path)) return inspect_sim(path, args->has("json"), env);
    auto ck = io::read_checkpoint(path);
    if (!ck) return tl::unexpected(ck.error());
    if (env.rank != 0) return {};
    nlohmann::ordered_json summary = nlohmann::ordered_json::object();
    try {
        summary = nlohmann::ordered_json::parse(ck->summary_json);
    } catch (const nlohmann::json::exception& e) {
        return bad_input(path + ":/summary/json: not valid JSON: " + e.what());
    }
    // Host utilisation after the plan (the hottest hosts).
    const model::Fleet& fleet = ck->fleet;
    std::vector<model::Resources> load = fleet.host_loads();
    for (const auto& m : ck->plan.moves) {
        const auto& vm = fleet.vms[static_cast<size_t>(m.vm)];
        if (m.source >= 0) load[static_cast<size_t>(m.source)] -= vm.demand;
        load[static_cast<size_t>(m.target)] += vm.demand;
    }
    struct Hot {
        double util;
        std::string id;
        std::string dim;
    };
    std::vector<Hot> hot;
    for (size_t h = 0; h < fleet.hosts.size(); ++h) {
        Hot x{0, fleet.hosts[h].id, "cpu"};
        for (int d = 0; d < model::kDims; ++d) {
            const double u =
                static_cast<double>(load[h][d]) / static_cast<double>(fleet.hosts[h].capacity[d]);
            if (u > x.util) {
                x.util = u;
                x.dim = model::kDimNames[static_cast<size_t>(d)];
            }
        }
        hot.push_back(x);
    }
    std::sort(hot.begin(), hot.end(), [](const Hot& a, const Hot& b) {
        return a.util != b.util ? a.util > b.util : a.id < b.id;
    });
    if (hot.size() > 5) hot.resize(5);
    std::vector<std::string> policy_lines;
    {
        std::istringstream ss(ck->config_toml);
        std::string line;
        bool in_policy = false;
        while (std::getline(ss, line)) {
            if (!line.empty() && line[0] == '[')
                in_policy = line == "[policy]";
            else if (in_policy && !line.empty())
                policy_lines.push_back(line);
        }
    }
    // Dispatch progress: the last event of each move in the folded journal.
    std::map<int64_t, dispatch::MoveEvent> last_event;
    for (const auto& e : ck->dispatch_journal) last_event[e.move] = e.event;
    std::map<std::string, int64_t> by_event;
    for (const auto& [m, e] : last_event) ++by_event[std::string(dispatch::to_string(e))];
    if (args->has("json")) {
        nlohmann::ordered_json j;
        j["file"] = path;
        j["format_version"] = ck->format_version;
        j["program_version"] = ck->program_version;
        j["command"] = ck->command;
        j["seed"] = ck->seed;
        j["goal"] = ck->goal;
        j["hosts"] = fleet.hosts.size();
        j["vms"] = fleet.vms.size();
        j["moves"] = ck->plan.moves.size();
        j["policies"] = policy_lines;
        j["inputs"] = nlohmann::ordered_json::object();
        for (const auto& [role, src] : ck->inputs) j["inputs"][role] = src;
        j["summary"] = summary;
        if (!ck->dispatch_journal.empty()) {
            j["dispatch"] = {{"journal_entries", ck->dispatch_journal.size()},
                             {"moves_seen", last_event.size()}};
            for (const auto& [e, n] : by_event) j["dispatch"][e] = n;
        }
        j["hottest_hosts_after"] = nlohmann::ordered_json::array();
        for (const auto& h : hot)
            j["hottest_hosts_after"].push_back({{"host", h.id}, {"util", h.util}, {"dim", h.dim}});
        std::cout << j.dump(2) << "\n";
        return {};
    }
    std::cout << path << ": fleetplan checkpoint v" << ck->format_version << ", written by "
              << ck->program_version << " (" << ck->command << ", seed " << ck->seed << ")\n";
    std::cout << "fleet: " << fleet.hosts.size() << " hosts, " << fleet.vms.size() << " VMs\n";
    std::cout << "policies:\n";
    for (const auto& l : policy_lines) std::cout << "  " << l << "\n";
    std::cout << "inputs:\n";
    for (const auto& [role, src] : ck->inputs) std::cout << "  " << role << ": " << src << "\n";
    std::cout << io::summary_text(summary);
    std::cout << "hottest hosts after the plan:\n";
    for (const auto& h : hot)
        std::printf("  %-20s %5.1f%% %s\n", h.id.c_str(), 100 * h.util, h.dim.c_str());
    const auto& freed = summary["freed_hosts"];
    std::cout << "freed hosts (" << freed.size() << "):";
    size_t shown = 0;
    for (const auto& f : freed) {
        if (++shown > 12) {
            std::cout << " ...";
            break;
        }
        std::cout << " " << f.get<std::string>();
    }
    std::cout << "\n";
    if (!ck->dispatch_journal.empty()) {
        int64_t migrations = 0;  // the journal numbers migrations only (not new-VM placements)
        for (const auto& m : ck->plan.moves) migrations += m.source != model::kNoHost ? 1 : 0;
        std::cout << "dispatch: " << last_event.size() << " of " << migrations
                  << " migrations seen;";
        for (const auto& [e, n] : by_event) std::cout << " " << n << " " << e;
        std::cout << " (" << ck->dispatch_journal.size() << " journal entries)\n";
    }
    return {};
}

}  // namespace fp::mpi
