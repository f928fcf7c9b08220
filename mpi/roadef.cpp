// `fleetplan roadef`: the local-search optimiser (src/opt/) on a ROADEF/EURO 2012 machine
// reassignment instance. Rank 0 reads, searches and writes; other ranks only agree on the exit
// code (main.cpp), as the search runs in one process on oneTBB threads.
#include "io/roadef.hpp"

#include <tbb/global_control.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>

#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/output_commit.hpp"
#include "mpi/cli.hpp"
#include "mpi/commands.hpp"
#include "src/opt/local_search.hpp"
#include "src/util/text.hpp"

namespace fp::mpi {

namespace {

const char* kRoadefUsage =
    "usage: fleetplan roadef --model M.txt --assignment A.txt --out DIR [options]\n"
    "Improves the initial assignment of a ROADEF/EURO 2012 machine-reassignment instance by\n"
    "local search (moves, swaps, exact re-packing of a few machines; late acceptance).\n";

// Every flag of `roadef`, with its help (the parser and --help both read it).
FlagSpec roadef_flags() {
    FlagSpec f("roadef");
    f.value("model", "M.txt", "the instance's model file")
        .required()
        .value("assignment", "A.txt", "its initial assignment")
        .required()
        .value("out", "DIR", "where solution.txt and score.json go (created when missing)")
        .required()
        .value("work", "N",
               "stop after N moves evaluated (deterministic: the same model, seed and\n"
               "N give the same solution for any --threads)")
        .int_range(1, INT64_MAX)
        .value("time-limit", "S",
               "stop after S seconds of wall time (default 300 without --work). The one\n"
               "non-deterministic knob: the result then depends on the machine's speed")
        .real_range(0.001, 1e7)
        .value("config", "C.toml",
               "the search's settings, its [roadef] table (configs/roadef.toml; defaults\n"
               "without); the flags here take precedence")
        .value("seed", "N", "random seed (default 1)")
        .int_range(0, INT64_MAX)
        .value("threads", "T", "worker threads (default: cores / ranks on this node)")
        .int_range(1, 4096);
    return f;
}

const char* kRoadefNotes =
    "Writes DIR/solution.txt (the machine of each process, one line) and DIR/score.json\n"
    "(valid, objective and its parts, moves, seconds, work, best_work: the work done by the\n"
    "end of the round that found the solution, rounds, restarts, reheats, epochs,\n"
    "pair_work: the work spent on pair re-packs, seed,\n"
    "threads, initial_objective, stopped_by, and settings: the [roadef] values in force)\n"
    "as one commit.\n"
    "Exit codes: 0 done, 2 bad input, 3 environment failure, 1 internal error.\n";

}  // namespace

Result<void> cmd_roadef(const std::vector<std::string>& argv, const MpiEnv& env) {
    const FlagSpec spec = roadef_flags();
    if (help_asked(argv, env, kRoadefUsage, spec, kRoadefNotes)) return {};
    const auto t0 = std::chrono::steady_clock::now();
    auto args = parse_args(argv, spec);
    if (!args) return tl::unexpected(args.error());
    if (!args->positional().empty())
        return bad_input("roadef: unexpected argument " + in_quotes(args->positional()[0]));
    const auto model_path = args->get("model");  // required, as are --assignment and --out
    const auto assignment_path = args->get("assignment");
    const auto out = args->get("out");
    const auto work = args->get_int("work");
    if (auto r = io::check_out_dir(*out); !r) return r;
    if (env.rank != 0) return {};  // rank 0 reads, searches and writes; no collective follows
    // The whole config is validated (a config is one file for every command); roadef uses its
    // [roadef] table. Without --config: the declared defaults, SearchOptions{}'s.
    policy::Registries registries;
    policy::register_builtin_policies(registries);
    auto config = io::load_config(args->get("config").value_or(""), {}, registries);
    if (!config) return tl::unexpected(config.error());

    auto model = io::read_roadef(*model_path, *assignment_path);
    if (!model) return tl::unexpected(model.error());
    const int nthreads = static_cast<int>(args->get_int("threads").value_or(default_threads(env)));
    tbb::global_control threads_limit(tbb::global_control::max_allowed_parallelism,
                                      static_cast<size_t>(nthreads));
    opt::SearchOptions opt = config->roadef;
    opt.seed = static_cast<uint64_t>(args->get_int("seed").value_or(1));
    opt.work = work.value_or(-1);
    opt.time_limit_seconds = args->get_double("time-limit").value_or(work ? 0.0 : 300.0);
    if (const auto v = opt::first_violation(*model, model->initial))
        std::cerr << "warning: " << *assignment_path << ": the initial assignment breaks a hard "
                  << "constraint (" << *v << "); the search keeps what it does not touch\n";
    const opt::SearchResult res = opt::optimise(*model, opt);
    const double seconds = since(t0);

    int64_t moves = 0;
    for (int32_t p = 0; p < model->processes; ++p)
        moves += res.assignment[p] != model->initial[p] ? 1 : 0;
    nlohmann::ordered_json j;
    j["valid"] = !opt::first_violation(*model, res.assignment).has_value();
    j["objective"] = res.parts.total();
    j["load_cost"] = res.parts.load;
    j["balance_cost"] = res.parts.balance;
    j["process_move_cost"] = res.parts.process_move;
    j["service_move_cost"] = res.parts.service_move;
    j["machine_move_cost"] = res.parts.machine_move;
    j["moves"] = moves;
    j["seconds"] = seconds;
    j["work"] = res.work;
    j["best_work"] = res.best_work;
    j["rounds"] = res.rounds;
    j["restarts"] = res.restarts;
    j["reheats"] = res.reheats;
    j["epochs"] = res.epochs;
    j["pair_work"] = res.pair_work;
    j["seed"] = opt.seed;
    j["threads"] = nthreads;
    j["initial_objective"] = res.initial_parts.total();
    j["stopped_by"] = res.stopped_by_time ? "time" : "work";
    j["settings"] = io::config_json(*config)["roadef"];

    if (auto r = io::make_dir(*out); !r) return r;
    auto commit = io::OutputCommit::open(*out);
    if (!commit) return tl::unexpected(commit.error());
    if (auto r = commit->stage("solution.txt", io::roadef_solution_text(res.assignment)); !r)
        return r;
    if (auto r = commit->stage("score.json", j.dump(2) + "\n"); !r) return r;
    if (auto r = commit->commit(); !r) return r;
    std::cout << "objective " << res.parts.total() << " (initial " << res.initial_parts.total()
              << "), " << moves << " processes moved, " << res.work << " moves evaluated in "
              << seconds << " s\n";
    return {};
}

}  // namespace fp::mpi
