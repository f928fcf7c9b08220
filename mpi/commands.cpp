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
#include <sstream>

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

const char* kPlanUsage =
    "usage: fleetplan plan --hosts H.csv --vms V.csv --out DIR [options]\n"
    "       fleetplan plan --resume CKPT.h5 --out DIR [--threads N]\n";

const char* kPlanNotes =
    "Writes DIR/plan.csv, DIR/summary.json, DIR/checkpoint.h5 (and DIR/resize.csv when VMs grow "
    "in\n"
    "place) as one commit (DIR/commit.pending while the files are put in place; a later command\n"
    "on DIR finishes it after a crash).\n"
    "Exit codes: 0 done (also when something is unresolved), 2 bad input, 3 environment failure,\n"
    "1 internal error; 4 with --fail-on-unresolved when something is unresolved.\n";

const char* kApplyNotes =
    "Writes DIR/hosts.csv and DIR/vms.csv: the fleet of PLAN_DIR/checkpoint.h5 once its whole\n"
    "plan is carried out. Every VM is on its move's target (new VMs placed), resizes are\n"
    "applied, hosts the plan switched on are active and, for the goals consolidate and auto,\n"
    "the hosts it emptied are off (maintenance and --evacuate hosts keep their state). The same\n"
    "checkpoint gives the same bytes. Plan them next with --previous PLAN_DIR/checkpoint.h5.\n";

// One declared parameter as `policies --json` lists it: key, type, default (as documented: it
// may name another setting, "plan.max_util"), doc, and min/max (numbers) or choices (enums).
nlohmann::ordered_json param_json(const policy::ParamSpec& p) {
    nlohmann::ordered_json j = {{"key", p.key},
                                {"type", policy::json_type(p.type)},
                                {"default", policy::default_text(p)},
                                {"doc", p.doc}};
    if (p.type == policy::ParamType::kDouble) {
        j["min"] = p.min;
        j["max"] = p.max;
    } else if (p.type == policy::ParamType::kInt) {
        j["min"] = p.min_int;
        j["max"] = p.max_int;
    } else if (p.type == policy::ParamType::kEnum) {
        j["choices"] = p.choices;
    }
    return j;
}

// `policies --json`: every registered policy with its kind (family), name, description and
// declared parameters, then every setting of the config's other tables.
nlohmann::ordered_json policies_json(const policy::Registries& all) {
    nlohmann::ordered_json list = nlohmann::ordered_json::array();
    for (const policy::PolicyInfo& p : all.list_all()) {
        nlohmann::ordered_json params = nlohmann::ordered_json::array();
        for (const policy::ParamSpec& d : p.params) params.push_back(param_json(d));
        list.push_back({{"kind", p.family},
                        {"name", p.name},
                        {"description", p.description},
                        {"params", params}});
    }
    nlohmann::ordered_json settings = nlohmann::ordered_json::array();
    for (const config::SettingParam& sp : config::setting_params()) {
        nlohmann::ordered_json j = {{"table", sp.table}};
        j.update(param_json(sp.spec));
        settings.push_back(j);
    }
    return {{"policies", list}, {"settings", settings}};
}

// A Markdown table cell: pipes escaped, so a doc cannot end its cell early.
std::string cell(const std::string& s) {
    std::string out;
    for (char c : s) out += c == '|' ? std::string("\\|") : std::string(1, c);
    return out;
}

// `policies --markdown`: the README's parameter tables, one per settings table and one for the
// policies' parameters (tests/integration/readme_params_test.sh keeps the README equal to it).
std::string params_markdown(const policy::Registries& all) {
    std::string md;
    for (const std::string& table : config::setting_tables()) {
        md += "`[" + table + "]`\n\n| key | default | accepts | what |\n|---|---|---|---|\n";
        for (const config::SettingParam& sp : config::setting_params())
            if (sp.table == table)
                md += "| `" + sp.spec.key + "` | `" + cell(policy::default_text(sp.spec)) + "` | " +
                      cell(policy::range_text(sp.spec)) + " | " + cell(sp.spec.doc) + " |\n";
        md += "\n";
    }
    md +=
        "Policy parameters (`[policy]`, in the policy's table)\n\n"
        "| policy | key | default | accepts | what |\n|---|---|---|---|---|\n";
    for (const policy::PolicyInfo& p : all.list_all())
        for (const policy::ParamSpec& d : p.params)
            md += "| " + p.family + " `" + p.name + "` | `" + d.key + "` | `" +
                  cell(policy::default_text(d)) + "` | " + cell(policy::range_text(d)) + " | " +
                  cell(d.doc) + " |\n";
    return md;
}

}  // namespace

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int default_threads(const MpiEnv& env) {
    const int cores = tbb::info::default_concurrency();
    return std::max(1, cores / std::max(1, env.local_size));
}

bool help_asked(const std::vector<std::string>& argv, const MpiEnv& env, const std::string& usage,
                const FlagSpec& spec, const std::string& notes) {
    if (!dist::wants_help(argv)) return false;
    if (env.rank == 0) std::cout << usage << spec.help() << notes;
    return true;
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
           "  cycle      one planning cycle: collect, plan, gate, dispatch, into a state DIR\n"
           "  apply      write the fleet after a plan (hosts.csv, vms.csv) from its checkpoint\n"
           "  roadef     optimise a ROADEF/EURO 2012 machine-reassignment instance\n"
           "  report     one self-contained HTML report from plan and simulator checkpoints\n"
           "  check-config  validate a config (C.toml) without planning; print it expanded\n";
}

Result<void> cmd_plan(const std::vector<std::string>& argv, const MpiEnv& env) {
    const FlagSpec spec = dist::plan_flags();
    if (help_asked(argv, env, kPlanUsage, spec, kPlanNotes)) return {};
    const auto t0 = Clock::now();
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("plan: unexpected argument " + in_quotes(args->positional()[0]));
    const std::string out_dir = *args->get("out");  // required
    if (auto r = io::check_out_dir(out_dir); !r) return r;
    const int nthreads = static_cast<int>(args->get_int("threads").value_or(default_threads(env)));

    tbb::global_control threads_limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(nthreads));
    if (cpu_set_t set;
        env.rank == 0 && sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) < nthreads)
        std::cerr << "warning: --threads " << nthreads << " but this process may run on "
                  << CPU_COUNT(&set)
                  << " core(s) only (mpirun binds ranks to cores: use --bind-to none or "
                     "--map-by slot:PE="
                  << nthreads << ")\n";
    dist::PlanRequest request{std::move(*args), out_dir, nthreads,
                              std::string(FP_VERSION) + " (" + FP_GIT_DESCRIBE + ")", t0};
    MpiCommunicator comm(env);
    return dist::run_plan(request, comm);
}

Result<void> cmd_generate(const std::vector<std::string>& argv, const MpiEnv& env) {
    FlagSpec spec("generate");
    spec.value("hosts", "N", "hosts in the fleet")
        .int_range(1, 10000000)
        .required()
        .value("vms", "M", "VMs in the fleet")
        .int_range(0, 100000000)
        .required()
        .value("seed", "S", "seed of the generator (default 1)")
        .int_range(0, INT64_MAX)
        .value("out", "DIR", "where hosts.csv and vms.csv go (created when missing)")
        .required()
        .value("new-fraction", "F", "fraction of the VMs that are new (no host yet)")
        .real_range(0.0, 1.0);
    if (help_asked(
            argv, env,
            "usage: fleetplan generate --hosts N --vms M --seed S --out DIR "
            "[--new-fraction F]\n",
            spec,
            "Writes DIR/hosts.csv and DIR/vms.csv; the same arguments give the same bytes.\n"))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("generate: unexpected argument " + in_quotes(args->positional()[0]));
    auto out = args->get("out");
    if (auto r = io::check_out_dir(*out); !r) return r;
    model::GeneratorOptions opt;
    opt.hosts = *args->get_int("hosts");  // required
    opt.vms = *args->get_int("vms");
    opt.seed = static_cast<uint64_t>(args->get_int("seed").value_or(1));
    if (auto nf = args->get_double("new-fraction")) opt.new_vm_fraction = *nf;
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
    FlagSpec spec("convert-trace");
    spec.value("trace", "IN", "the trace: a GWA-T-12 or PlanetLab directory")
        .required()
        .value("trace-format", "gwa|planetlab", "the format of IN")
        .required()
        .value("out", "DIR", "where trace.csv (and for gwa vms.csv) go")
        .required();
    if (help_asked(argv, env,
                   "usage: fleetplan convert-trace --trace IN --trace-format gwa|planetlab "
                   "--out DIR\n",
                   spec,
                   "Writes DIR/trace.csv, the interchange trace `time,vm,cpu[,mem,net]` that "
                   "simulate --trace\nreads, and for gwa DIR/vms.csv, the VM rows of simulate "
                   "--vms auto. simulate on the\nwritten files equals simulate on IN.\n"))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("convert-trace: unexpected argument " + in_quotes(args->positional()[0]));
    auto trace = args->get("trace");
    auto format_name = args->get("trace-format");
    auto out = args->get("out");
    const auto format = io::parse_trace_format(*format_name);
    if (!format || *format == io::TraceFormat::kAuto || *format == io::TraceFormat::kCsv)
        return bad_input("convert-trace: --trace-format " + in_quotes(*format_name) +
                         " cannot be converted (valid: gwa, planetlab; csv is already the "
                         "interchange format)");
    if (auto r = io::check_out_dir(*out); !r) return r;
    std::string csv, vms;
    if (*format == io::TraceFormat::kGwa) {
        auto g = io::read_gwa_trace(*trace, io::kMaxSimTraceSamples, io::kMaxSimTraceCells);
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
    FlagSpec spec("apply");
    spec.value("out", "DIR", "where hosts.csv and vms.csv go (created when missing)").required();
    if (help_asked(argv, env, "usage: fleetplan apply PLAN_DIR --out DIR\n", spec, kApplyNotes))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (args->positional().size() != 1) return bad_input("apply: give exactly one PLAN_DIR");
    auto out = args->get("out");
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
    FlagSpec spec("policies");
    spec.flag("json",
              "print one JSON object: {\"policies\": [{kind, name, description, params:\n"
              "[{key, type, default, doc, min, max | choices}]}], \"settings\": [{table,\n"
              "key, type, default, doc, ...}]}");
    spec.flag("markdown", "print the README's parameter tables (every setting and policy)")
        .excludes({"json"}, "one output at a time");
    if (help_asked(argv, env, "usage: fleetplan policies [--json | --markdown]\n", spec,
                   "Lists every policy: name, family, one line, parameters (key = default: "
                   "what).\n"))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("policies: unexpected argument " + in_quotes(args->positional()[0]));
    policy::Registries r;
    policy::register_builtin_policies(r);
    if (env.rank != 0) return {};
    if (args->has("json")) {
        std::cout << policies_json(r).dump(2) << "\n";
        return {};
    }
    if (args->has("markdown")) {
        std::cout << params_markdown(r);
        return {};
    }
    for (const auto& p : r.list_all()) {
        std::printf("%-22s %-10s %s\n", p.name.c_str(), p.family.c_str(), p.description.c_str());
        for (const auto& param : p.params) {
            const std::string range = policy::range_text(param);
            std::printf("%-33s  %s = %s: %s%s\n", "", param.key.c_str(),
                        policy::default_text(param).c_str(), param.doc.c_str(),
                        range.empty() ? "" : (" (" + range + ")").c_str());
        }
    }
    return {};
}

Result<void> cmd_check_config(const std::vector<std::string>& argv, const MpiEnv& env) {
    FlagSpec spec("check-config");
    spec.flag("json",
              "print one JSON object: {file, valid, config} when valid, {file, valid,\n"
              "errors} when not (the errors also go to stderr)");
    if (help_asked(argv, env, "usage: fleetplan check-config C.toml [--json]\n", spec,
                   "Loads and validates C.toml as plan and simulate do, without planning: every\n"
                   "problem at once (FILE:LINE:KEY: what, exit 2), or exit 0 and the expanded\n"
                   "config (every setting in force, defaults included) on stdout.\n"))
        return {};
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (args->positional().size() != 1) return bad_input("check-config: give exactly one C.toml");
    const std::string path = args->positional()[0];
    policy::Registries registries;
    policy::register_builtin_policies(registries);
    auto rc = io::load_config(path, {}, registries);
    if (!rc && (env.rank != 0 || !args->has("json"))) return tl::unexpected(rc.error());
    if (env.rank != 0) return {};
    if (!args->has("json")) {
        std::cout << rc->expanded_toml << "\n" << rc->sim_toml << "\n" << rc->roadef_toml;
        return {};
    }
    nlohmann::ordered_json j;
    j["file"] = path;
    j["valid"] = static_cast<bool>(rc);
    if (rc) {
        j["config"] = io::config_json(*rc);
    } else {
        j["errors"] = nlohmann::ordered_json::array();
        std::istringstream lines(rc.error().msg);
        for (std::string line; std::getline(lines, line);) j["errors"].push_back(line);
    }
    std::cout << j.dump(2) << "\n";
    if (!rc) return tl::unexpected(rc.error());
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
        {"energy_floor_kwh", "floor", 1, " kWh"},
        {"energy_over_floor", "energy/floor", 1, ""},
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
    FlagSpec spec("inspect");
    spec.flag("json", "print one JSON object instead of the text summary");
    if (help_asked(argv, env, "usage: fleetplan inspect FILE.h5 [--json]\n", spec,
                   "Summarises a checkpoint: a plan's or the simulator's.\n"))
        return {};
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
