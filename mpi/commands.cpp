#include "mpi/commands.hpp"

#include <sched.h>
#include <sys/stat.h>
#include <tbb/global_control.h>
#include <tbb/info.h>
#include <tbb/parallel_for.h>

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
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/history.hpp"
#include "io/output_commit.hpp"
#include "io/plan_writer.hpp"
#include "io/sim_checkpoint.hpp"
#include "io/traffic_csv.hpp"
#include "mpi/cli.hpp"
#include "mpi/collective.hpp"
#include "mpi/wire.hpp"
#include "src/dispatch/dispatch.hpp"
#include "src/model/generator.hpp"
#include "src/plan/fleet_after.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/sharded.hpp"
#include "src/plan/summary.hpp"
#include "src/policy/registry.hpp"
#include "src/util/decimal.hpp"
#include "src/util/duration.hpp"
#include "src/util/iso8601.hpp"
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

struct PlanInputs {
    model::Fleet fleet;
    std::string config_toml;  // a config file's text (or the checkpoint's expanded config)
    std::string config_name;  // for messages
    std::vector<std::string> evacuate_ids;
    std::vector<std::pair<std::string, std::string>> digests;
    io::ConfigOverrides overrides;
    std::string now;
    int64_t now_s = -1;
    model::History history;
    model::Traffic traffic;
    std::vector<uint8_t> frozen;  // from --previous (or the resumed checkpoint)
    std::optional<io::Checkpoint> previous;
    std::string fleet_changes;  // JSON object, "" when no --previous
};

// What changed since the previous checkpoint's fleet: hosts added, removed or newly in
// maintenance, and new VMs (a fleet-change trigger for the operator's log and summary.json).
std::string fleet_changes_json(const model::Fleet& prev, const model::Fleet& now) {
    nlohmann::ordered_json j;
    std::vector<std::string> added, removed, maintenance, new_vms;
    for (const auto& h : now.hosts) {
        auto p = prev.host_index(h.id);
        if (!p) {
            added.push_back(h.id);
        } else if (h.state == model::HostState::kMaintenance &&
                   prev.hosts[static_cast<size_t>(*p)].state != model::HostState::kMaintenance) {
            maintenance.push_back(h.id);
        }
    }
    for (const auto& h : prev.hosts)
        if (!now.host_index(h.id)) removed.push_back(h.id);
    for (const auto& v : now.vms)
        if (v.is_new()) new_vms.push_back(v.id);
    for (auto* v : {&added, &removed, &maintenance, &new_vms}) std::sort(v->begin(), v->end());
    j["hosts_added"] = added;
    j["hosts_removed"] = removed;
    j["hosts_entered_maintenance"] = maintenance;
    j["new_vms"] = new_vms.size();
    return j.dump();
}

// The hosts --evacuate or --evacuate-file names. The file's ids are checked against the fleet
// here, to name their line; cmd_plan checks every evacuated host (these and a resumed
// checkpoint's) against the fleet once more, which covers --evacuate's. The file has one
// id per line; blank lines and lines starting with '#' are skipped, a UTF-8 byte-order mark and
// blanks around an id are not part of it, and errors read FILE:LINE: what. Lines end at LF (a
// CRLF's CR is dropped); a file with lone CRs is one line.
Result<std::vector<std::string>> evacuate_list(const Args& args, const model::Fleet& fleet) {
    std::vector<std::string> ids;
    if (args.has("evacuate") && args.has("evacuate-file"))
        return bad_input("give --evacuate or --evacuate-file, not both");
    if (auto e = args.get("evacuate")) {
        size_t start = 0;
        while (start <= e->size()) {
            const size_t comma = e->find(',', start);
            const std::string id =
                e->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (id.empty()) return bad_input("--evacuate: empty host id in " + in_quotes(*e));
            if (auto fault = id_fault(id)) return bad_input("--evacuate: " + *fault);
            ids.push_back(id);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    if (auto f = args.get("evacuate-file")) {
        auto text = io::read_file(*f);
        if (!text) return tl::unexpected(text.error());
        io::ErrorList errors;
        std::string_view rest = *text;
        if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
        for (int64_t line_no = 1; !rest.empty(); ++line_no) {
            const size_t nl = std::min(rest.find('\n'), rest.size());
            std::string_view id = rest.substr(0, nl);
            rest.remove_prefix(std::min(nl + 1, rest.size()));
            while (!id.empty() && (id.back() == '\r' || id.back() == ' ' || id.back() == '\t'))
                id.remove_suffix(1);
            while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
            if (id.empty() || id[0] == '#') continue;
            if (auto fault = id_fault(id)) {
                errors.add(*f, line_no, "host", *fault);
            } else if (!fleet.host_index(std::string(id))) {
                errors.add(*f, line_no, "host", "unknown host " + in_quotes(id));
            } else {
                ids.emplace_back(id);
            }
        }
        if (!errors.empty()) return tl::unexpected(errors.to_error());
    }
    return ids;
}

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
           "  dispatch   carry a plan out through libvirt (live migrations, journal, resume)\n"
           "  collect    read a fleet's VMs from libvirt into vms.csv and a history CSV\n"
           "  apply      write the fleet after a plan (hosts.csv, vms.csv) from its checkpoint\n";
}

Result<void> cmd_plan(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (wants_help(argv)) {
        if (env.rank == 0) std::cout << kPlanHelp;
        return {};
    }
    const auto t0 = Clock::now();
    FlagSpec spec;
    spec.with_value = {
        "hosts",    "vms",     "goal",     "evacuate", "evacuate-file",     "config",
        "max-util", "history", "previous", "now",      "budget-migrations", "budget-mem-frac",
        "threads",  "seed",    "out",      "resume",   "traffic",           "window"};
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
    PlanInputs in;
    plan::PhaseTimes times;
    const policy::Registries registries = [] {
        policy::Registries r;
        policy::register_builtin_policies(r);
        return r;
    }();

    if (args->has("resume")) {
        for (const char* f : {"hosts", "vms", "goal", "evacuate", "evacuate-file", "config",
                              "max-util", "budget-migrations", "budget-mem-frac", "seed", "now",
                              "history", "previous", "traffic", "window"})
            if (args->has(f))
                return bad_input(std::string("--resume takes the inputs and config from the "
                                             "checkpoint; --") +
                                 f + " cannot be combined with it");
    }
    // A plan run that was killed while putting its outputs in place left DIR/commit.pending:
    // rank 0 finishes it before any rank reads a checkpoint from that directory (even when
    // this command then stops on bad input: that commit was another run's, and complete).
    auto settle = [&]() -> Result<void> {
        if (env.rank != 0) return {};
        for (const char* f : {"resume", "previous"})
            if (auto p = args->get(f))
                if (auto r = io::complete_pending_commit(io::parent_dir(*p)); !r) return r;
        return {};
    };
    if (auto r = run_agreed(settle, env); !r) return r;

    // ---- Stage 1, every rank on its own: inputs and config. Each rank keeps the VM rows of its
    // shards only (all rows when --history, --traffic or --previous need every id).
    std::optional<io::RunConfig> rc;
    plan::ShardMap map;
    std::vector<uint8_t> mine_shards;  // per shard: does this rank plan it?
    int64_t rows_held = 0;
    auto stage1 = [&]() -> Result<void> {
        std::optional<io::FleetLoad> hosts_load;
        std::string vms_path;
        if (auto resume = args->get("resume")) {
            auto ck = io::read_checkpoint(*resume);
            if (!ck) return tl::unexpected(ck.error());
            if (ck->command != "plan")
                return bad_input(*resume + ": a " + in_quotes(ck->command) +
                                 " checkpoint cannot resume a plan");
            in.fleet = std::move(ck->fleet);
            in.config_toml = ck->config_toml;
            in.config_name = *resume + ":/config/toml";
            in.evacuate_ids = ck->evacuate;
            in.digests = ck->inputs;
            in.history = std::move(ck->history);
            in.traffic = std::move(ck->traffic);
            in.frozen = std::move(ck->frozen);
            in.now_s = ck->now_s;
            in.fleet_changes = ck->fleet_changes;
            rows_held = static_cast<int64_t>(in.fleet.vms.size());
        } else {
            auto hosts = args->get("hosts");
            auto vms = args->get("vms");
            if (!hosts || !vms)
                return bad_input("plan: --hosts and --vms are required (or --resume)");
            vms_path = *vms;
            auto goal = args->get("goal");
            if (goal) {
                if (auto g = plan::parse_goal(*goal); !g)
                    return bad_input("--goal: " + g.error().msg);
                in.overrides.goal = *goal;
            }
            auto mu = args->get_double("max-util", 0.01, 1.0);
            if (!mu) return tl::unexpected(mu.error());
            in.overrides.max_util = *mu;
            auto seed = args->get_int("seed", 0, INT64_MAX);
            if (!seed) return tl::unexpected(seed.error());
            in.overrides.seed = *seed;
            auto bm = args->get_int("budget-migrations", 0, INT64_MAX);
            if (!bm) return tl::unexpected(bm.error());
            in.overrides.budget_migrations = *bm;
            auto bf = args->get_double("budget-mem-frac", 0.0, 1.0);
            if (!bf) return tl::unexpected(bf.error());
            in.overrides.budget_mem_frac = *bf;
            if (auto w = args->get("window")) {
                const auto secs = parse_duration(*w);
                if (!secs || *secs <= 0)
                    return bad_input("--window: " + in_quotes(*w) +
                                     " is not a positive duration (e.g. 4h, 90m, 1h30m, 3600)");
                in.overrides.window_s = *secs;
            }
            in.now = args->get("now").value_or("");
            if (auto c = args->get("config")) {
                auto text = io::read_file(*c);
                if (!text) return tl::unexpected(text.error());
                in.config_toml = *text;
                in.config_name = *c;
            }
            auto htext = io::read_file(*hosts);
            if (!htext) return tl::unexpected(htext.error());
            auto hl = io::parse_hosts(*htext, *hosts);
            if (!hl) return tl::unexpected(hl.error());
            hosts_load = std::move(*hl);
        }
        auto loaded = io::load_config(in.config_name, in.overrides, registries,
                                      in.config_toml.empty() && in.config_name.empty()
                                          ? std::nullopt
                                          : std::optional<std::string>(in.config_toml));
        if (!loaded) return tl::unexpected(loaded.error());
        rc = std::move(*loaded);
        if (!in.config_name.empty() && !args->has("resume"))
            in.digests.emplace_back("config",
                                    in.config_name + " fnv1a64:" + io::fnv1a64_hex(in.config_toml));
        const std::vector<model::Host>& host_table =
            hosts_load ? hosts_load->fleet.hosts : in.fleet.hosts;
        map = plan::make_shards(host_table, rc->options.shard_hosts);
        const std::vector<int32_t> owner = plan::shard_owners(map, env.size);
        mine_shards.assign(static_cast<size_t>(map.shards), 0);
        for (int32_t s = 0; s < map.shards; ++s)
            mine_shards[static_cast<size_t>(s)] = owner[static_cast<size_t>(s)] == env.rank;
        if (hosts_load) {
            // Without inputs keyed by every VM id, a rank reads only its shards' VM rows.
            const bool need_all =
                args->has("history") || args->has("traffic") || args->has("previous");
            io::VmRowFilter keep;
            if (env.size > 1 && !need_all)
                keep = [&](int32_t h, std::string_view id) {
                    const int32_t s = h >= 0 ? map.shard_of_host[static_cast<size_t>(h)]
                                             : plan::shard_of_new_vm(id, map.shards);
                    return mine_shards[static_cast<size_t>(s)] != 0;
                };
            auto vtext = io::read_file(vms_path);
            if (!vtext) return tl::unexpected(vtext.error());
            if (auto r = io::parse_vms_into(*vtext, vms_path, keep, *hosts_load); !r) return r;
            if (env.rank == 0)
                for (const auto& w : hosts_load->warnings) std::cerr << "warning: " << w << "\n";
            in.fleet = std::move(hosts_load->fleet);
            rows_held = static_cast<int64_t>(in.fleet.vms.size());
            in.digests.emplace_back(
                "hosts", *args->get("hosts") + " fnv1a64:" + io::hex64(hosts_load->hosts_digest));
            in.digests.emplace_back("vms",
                                    vms_path + " fnv1a64:" + io::hex64(hosts_load->vms_digest));
            auto ev = evacuate_list(*args, in.fleet);
            if (!ev) return tl::unexpected(ev.error());
            in.evacuate_ids = *ev;
            if (!in.now.empty()) {
                auto t = parse_iso8601(in.now);
                if (!t)
                    return bad_input("--now: " + in_quotes(in.now) +
                                     " is not an ISO 8601 time (e.g. 2026-11-25T10:00:00Z)");
                in.now_s = *t;
            }
            if (auto h = args->get("history")) {
                auto hist = io::load_history_with_warnings(*h, in.fleet);
                if (!hist) return tl::unexpected(hist.error());
                if (env.rank == 0)
                    for (const auto& w : hist->warnings) std::cerr << "warning: " << w << "\n";
                in.history = std::move(hist->history);
                in.digests.emplace_back("history", *h);
            }
            if (auto t = args->get("traffic")) {
                auto text = io::read_file(*t);
                if (!text) return tl::unexpected(text.error());
                auto tr = io::parse_traffic(*text, *t, in.fleet);
                if (!tr) return tl::unexpected(tr.error());
                in.traffic = std::move(*tr);
                in.digests.emplace_back("traffic", *t + " fnv1a64:" + io::fnv1a64_hex(*text));
            }
            if (auto p = args->get("previous")) {
                auto prev = io::read_checkpoint(*p);
                if (!prev) return tl::unexpected(prev.error());
                in.fleet_changes = fleet_changes_json(prev->fleet, in.fleet);
                in.previous = std::move(*prev);
                in.digests.emplace_back("previous", *p);
            }
        }
        for (const auto& id : in.evacuate_ids) {
            auto h = in.fleet.host_index(id);
            if (!h) return bad_input("--evacuate: unknown host " + in_quotes(id));
            if (std::find(rc->options.evacuate.begin(), rc->options.evacuate.end(), *h) ==
                rc->options.evacuate.end())
                rc->options.evacuate.push_back(*h);
        }
        std::sort(rc->options.evacuate.begin(), rc->options.evacuate.end());
        if (in.previous) {
            // Cooldown: VMs the previous plan moved stay put until cooldown_s has passed since
            // its --now (without both times, conservatively, they stay).
            const io::Checkpoint& prev = *in.previous;
            const bool cooling =
                prev.now_s < 0 || in.now_s < 0 || in.now_s - prev.now_s < rc->options.cooldown_s;
            if (env.rank == 0 && in.now_s < 0)
                std::cerr << "warning: --previous without --now: cooldowns cannot expire, so the "
                             "VMs the previous plan moved stay put for good (give --now)\n";
            else if (env.rank == 0 && prev.now_s < 0)
                std::cerr << "warning: --previous " << *args->get("previous")
                          << " was planned without --now: cooldowns cannot expire, so the VMs it "
                             "moved stay put for good (give --now to every plan)\n";
            in.frozen.assign(in.fleet.vms.size(), 0);
            if (cooling)
                for (const auto& m : prev.plan.moves) {
                    auto v = in.fleet.vm_index(prev.fleet.vms[static_cast<size_t>(m.vm)].id);
                    if (v) in.frozen[static_cast<size_t>(*v)] = 1;
                }
            in.previous.reset();
        }
        rc->options.now_s = in.now_s;
        if (rc->options.goal == plan::Goal::kEvacuate && rc->options.evacuate.empty() &&
            std::none_of(in.fleet.hosts.begin(), in.fleet.hosts.end(), [](const model::Host& h) {
                return h.state == model::HostState::kMaintenance;
            }))
            return bad_input(
                "goal evacuate: no host to evacuate (give --evacuate or --evacuate-file, "
                "or mark hosts state=maintenance)");
        if (env.rank == 0)
            if (auto r = io::make_dir(*out_dir); !r) return r;
        return {};
    };
    if (auto r = run_agreed(stage1, env); !r) return r;
    times.parse = allreduce_max(since(t0), env);

    // ---- Stage 2, every rank: its shards, in parallel.
    const auto t_plan = Clock::now();
    std::vector<plan::ShardInput> inputs;
    std::vector<plan::ShardOutcome> mine;
    std::vector<int64_t> demand_sums;
    auto split = [&]() -> Result<void> {
        inputs = plan::split_shards(std::move(in.fleet), std::move(in.history), in.traffic,
                                    in.frozen, map, mine_shards);
        in.traffic = model::Traffic{};
        // Every shard's evacuation needs, for the budget split (summed over the ranks below).
        demand_sums.assign(3 * static_cast<size_t>(map.shards), 0);
        for (const plan::ShardInput& si : inputs) {
            const plan::ShardDemand d = plan::shard_demand(si, map, rc->options);
            const auto k = 3 * static_cast<size_t>(si.shard);
            demand_sums[k] = d.must_moves;
            demand_sums[k + 1] = d.must_mem_kib;
            demand_sums[k + 2] = d.mem_kib;
        }
        return {};
    };
    if (auto r = run_agreed(split, env); !r) return r;
    if (auto r = allreduce_sum(demand_sums, env); !r) return r;
    std::vector<plan::ShardDemand> demand(static_cast<size_t>(map.shards));
    for (size_t s = 0; s < demand.size(); ++s)
        demand[s] = {demand_sums[3 * s], demand_sums[3 * s + 1], demand_sums[3 * s + 2]};
    auto stage2 = [&]() -> Result<void> {
        mine.resize(inputs.size());
        tbb::parallel_for(size_t{0}, inputs.size(), [&](size_t s) {
            mine[s] = plan::plan_shard(inputs[s], map, rc->options, rc->policies, demand);
        });
        return {};
    };
    if (auto r = run_agreed(stage2, env); !r) return r;
    const double local_wall = allreduce_max(since(t_plan), env);
    const int64_t max_rows = allreduce_max(rows_held, env);

    // ---- The reduction: shard outcomes (summaries and decisions) to rank 0, then the VM rows
    // the checkpoint keeps.
    const auto t_resolve = Clock::now();
    auto gathered = gather_to_root("shard-outcomes", std::move(mine), env);
    if (!gathered) return tl::unexpected(gathered.error());
    std::vector<plan::ShardOutcome> outcomes = std::move(*gathered);
    const double gather_s = since(t_resolve);
    // The VM rows travel only for the checkpoint: their time counts as writing.
    const auto t_rows = Clock::now();
    std::vector<ShardRows> rows;  // other ranks' rows (rank 0 keeps its own in `inputs`)
    {
        // Building them may run out of memory on one rank: agreed before the gather.
        std::vector<ShardRows> my_rows;
        auto build_rows = [&]() -> Result<void> {
            if (env.rank == 0) return {};
            for (plan::ShardInput& si : inputs) {
                ShardRows r;
                r.shard = si.shard;
                const std::vector<int32_t>& hosts_of = map.hosts[static_cast<size_t>(si.shard)];
                r.vms = std::move(si.fleet.vms);
                for (model::Vm& v : r.vms)
                    if (!v.is_new()) v.host = hosts_of[static_cast<size_t>(v.host)];
                r.history = std::move(si.history);
                r.traffic = std::move(si.traffic.neighbours);
                r.frozen = std::move(si.frozen);
                my_rows.push_back(std::move(r));
            }
            inputs.clear();
            return {};
        };
        if (auto r = run_agreed(build_rows, env); !r) return r;
        auto got = gather_to_root("shard-rows", std::move(my_rows), env);
        if (!got) return tl::unexpected(got.error());
        rows = std::move(*got);
    }
    const double rows_s = since(t_rows);
    if (env.rank != 0) return {};
    const auto t_global = Clock::now();

    // ---- Stage 3, rank 0: the global step, waves, outputs.
    // Ranks own shards in any pattern; the global step takes them in shard order.
    std::sort(outcomes.begin(), outcomes.end(),
              [](const auto& a, const auto& b) { return a.shard < b.shard; });
    plan::PhaseTimes shard_times;
    for (const auto& o : outcomes) {
        shard_times.detect += o.times.detect;
        shard_times.select += o.times.select;
        shard_times.place += o.times.place;
        shard_times.resolve += o.times.resolve;
    }
    // Wall time of the shards' planning, split by what their phases took in all.
    const double cpu =
        shard_times.detect + shard_times.select + shard_times.place + shard_times.resolve;
    const double scale = cpu > 0 ? local_wall / cpu : 0.0;
    times.detect = shard_times.detect * scale;
    times.select = shard_times.select * scale;
    times.place = (shard_times.place + shard_times.resolve) * scale;
    plan::PhaseTimes global_times;
    const plan::GlobalPlan g = plan::resolve_global(in.fleet.hosts, map, outcomes, rc->options,
                                                    rc->policies, global_times);
    plan::PlanSummary summary = plan::summarize(g.skeleton, g.plan, rc->options);
    summary.vms = g.vms;
    times.resolve = gather_s + since(t_global);

    const auto tw = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(rows_s));
    io::RunInfo run;
    run.ranks = env.size;
    run.threads = nthreads;
    run.max_vm_rows_per_rank = max_rows;
    run.goal = plan::to_string(rc->options.goal);
    run.phases = times;
    run.plan_seconds = since(t0);
    run.fleet_changes = in.fleet_changes;
    run.frozen = g.frozen;
    run.limits = rc->options.waves;
    run.window_s = rc->options.window_s;
    run.spreadsheet_copy = args->has("csv-safe");

    // The checkpoint's fleet: every VM row, shard by shard (written where it lies, not copied),
    // and the plan indexing it.
    io::Checkpoint ck;
    {
        struct RowView {
            int32_t shard;
            const std::vector<model::Vm>* vms;
            const std::vector<int32_t>* to_global;  // local host → host table; null: global
            model::History* history;
            std::vector<std::vector<model::TrafficEdge>>* traffic;
            std::vector<uint8_t>* frozen;
        };
        std::vector<RowView> views;
        for (plan::ShardInput& si : inputs)
            views.push_back({si.shard, &si.fleet.vms, &map.hosts[static_cast<size_t>(si.shard)],
                             &si.history, &si.traffic.neighbours, &si.frozen});
        for (ShardRows& r : rows)
            views.push_back({r.shard, &r.vms, nullptr, &r.history, &r.traffic, &r.frozen});
        std::sort(views.begin(), views.end(),
                  [](const RowView& a, const RowView& b) { return a.shard < b.shard; });
        std::vector<int64_t> offset(static_cast<size_t>(map.shards) + 1, 0);
        for (const RowView& v : views)
            offset[static_cast<size_t>(v.shard) + 1] = static_cast<int64_t>(v.vms->size());
        for (size_t s = 1; s < offset.size(); ++s) offset[s] += offset[s - 1];
        ck.fleet.hosts = in.fleet.hosts;
        const auto nv = static_cast<size_t>(offset.back());
        ck.vm_rows.resize(nv);
        ck.vm_row_hosts.resize(nv);
        tbb::parallel_for(size_t{0}, views.size(), [&](size_t k) {
            const RowView& v = views[k];
            const auto base = static_cast<size_t>(offset[static_cast<size_t>(v.shard)]);
            for (size_t i = 0; i < v.vms->size(); ++i) {
                const model::Vm& vm = (*v.vms)[i];
                ck.vm_rows[base + i] = &vm;
                ck.vm_row_hosts[base + i] = vm.is_new() || !v.to_global
                                                ? vm.host
                                                : (*v.to_global)[static_cast<size_t>(vm.host)];
            }
        });
        bool any_history = false, any_traffic = false, any_frozen = false;
        for (const RowView& v : views) {
            any_history |= !v.history->empty();
            any_traffic |= !v.traffic->empty();
            any_frozen |= std::find(v.frozen->begin(), v.frozen->end(), 1) != v.frozen->end();
        }
        for (const RowView& v : views) {
            const size_t n = v.vms->size();
            if (any_history) {
                ck.history.interval_s = v.history->interval_s;
                ck.history.length = std::max(ck.history.length, v.history->length);
                for (const auto& pr : {std::pair{&v.history->cpu, &ck.history.cpu},
                                       std::pair{&v.history->mem, &ck.history.mem},
                                       std::pair{&v.history->net, &ck.history.net}}) {
                    pr.first->resize(n);
                    for (auto& series : *pr.first) pr.second->push_back(std::move(series));
                }
            }
            if (any_traffic) {
                v.traffic->resize(n);
                for (auto& edges : *v.traffic) {
                    for (auto& e : edges)
                        e.vm += static_cast<int32_t>(offset[static_cast<size_t>(v.shard)]);
                    ck.traffic.neighbours.push_back(std::move(edges));
                }
            }
            if (any_frozen) {
                v.frozen->resize(n, 0);
                ck.frozen.insert(ck.frozen.end(), v.frozen->begin(), v.frozen->end());
            }
        }
        ck.fleet.index();
        ck.plan = g.plan;
        auto vm = [&](int32_t v) {
            if (v < 0) return v;
            const auto s = static_cast<size_t>(g.listed_shard[static_cast<size_t>(v)]);
            return static_cast<int32_t>(offset[s] + g.listed[static_cast<size_t>(v)]->local);
        };
        for (auto& m : ck.plan.moves) m.vm = vm(m.vm);
        for (auto& u : ck.plan.unresolved) u.vm = vm(u.vm);
        for (auto& r : ck.plan.resizes) r.vm = vm(r.vm);
    }
    ck.program_version = std::string(FP_VERSION) + " (" + FP_GIT_DESCRIBE + ")";
    ck.command = "plan";
    ck.seed = rc->options.seed;
    ck.goal = run.goal;
    ck.max_util_ppm = rc->options.max_util_ppm;
    ck.config_toml = rc->expanded_toml;
    ck.inputs = in.digests;
    if (!in.now.empty()) ck.inputs.emplace_back("now", in.now);
    for (int32_t h : rc->options.evacuate)
        ck.evacuate.push_back(in.fleet.hosts[static_cast<size_t>(h)].id);
    ck.now_s = in.now_s;
    ck.fleet_changes = in.fleet_changes;
    ck.summary_json = io::summary_json(g.skeleton, g.plan, summary, run).dump(2);
    // dispatch checks plan.csv against this digest before it migrates anything.
    const std::string plan_text = io::plan_csv(g.skeleton, g.plan);
    ck.plan_csv_digest = io::plan_digest(plan_text);
    auto out = io::OutputCommit::open(*out_dir, "plan-output");
    if (!out) return tl::unexpected(out.error());
    {
        auto image = io::checkpoint_image(*out_dir + "/checkpoint.h5", ck);
        if (!image) return tl::unexpected(image.error());
        if (auto r = out->stage("checkpoint.h5", *image); !r) return r;
    }
    // summary.json's times include the checkpoint on disk (staged, fsynced), not the commit.
    run.phases.write = since(tw);
    run.plan_seconds = since(t0);
    if (auto r = io::write_plan_outputs(*out, g.skeleton, g.plan, summary, run, plan_text); !r)
        return r;
    std::cout << io::summary_text(io::summary_json(g.skeleton, g.plan, summary, run))
              << "  outputs        " << *out_dir << "/{plan.csv,summary.json,checkpoint.h5}\n";
    if (args->has("fail-on-unresolved") && !g.plan.unresolved.empty()) {
        const std::string n = std::to_string(g.plan.unresolved.size());
        return fail(ErrorCode::kUnresolved, "plan: " + n + " unresolved item(s), listed in " +
                                                *out_dir + "/summary.json (--fail-on-unresolved)");
    }
    return {};
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
