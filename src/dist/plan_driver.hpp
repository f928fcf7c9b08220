// The distributed pipeline of `fleetplan plan`, over any Communicator (MPI, in-process threads,
// one local rank): every rank stages the inputs it needs and keeps the VM rows of the shards it
// owns, plans those shards, and the outcomes go to rank 0, which resolves the global step and
// writes the outputs; under P>1 every rank writes its own VM rows to a checkpoint part, which
// rank 0's checkpoint.h5 joins (io/checkpoint.hpp, VmPartWriter). Every fallible step is agreed
// (src/dist/collectives.hpp), so all ranks return the same error code.
// Thread-safety: one call per rank, each on its own thread with its own communicator; the
// caller limits oneTBB's threads. Determinism: plan.csv and summary.json (but for its timings)
// are the same bytes for every rank count and thread count; checkpoint.h5 holds the same data
// (self-contained at P=1, joined parts under P>1: its layout and dictionary codes differ).
#pragma once

#include <chrono>
#include <string>

#include "src/dist/cli.hpp"
#include "src/dist/communicator.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// Every flag of `plan` (src/dist/cli.hpp): the command parses with it and --help lists it.
FlagSpec plan_flags();

struct PlanRequest {
    Args args;                    // the flags of `plan`, parsed with plan_flags()
    std::string out_dir;          // --out, already checked
    int threads = 1;              // worker threads per rank, as summary.json records them
    std::string program_version;  // recorded in the checkpoint
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

// Plans and, on rank 0, writes out_dir/{plan.csv,summary.json,checkpoint.h5} and prints the
// summary (with --json: summary.json's object, nothing else on stdout); warnings go to stderr
// from rank 0.
[[nodiscard]] Result<void> run_plan(const PlanRequest& request, Communicator& comm);

}  // namespace fp::dist
