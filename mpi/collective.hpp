// The few collectives the commands use, so that no rank ever waits in one that a failed peer
// never reaches: every fallible step ends in agree(), which every rank calls.
// Thread-safety: call from the main thread only (MPI_THREAD_FUNNELED).
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <vector>

#include "mpi/commands.hpp"
#include "src/util/result.hpp"

namespace fp::mpi {

// Every rank passes its own outcome; all get the same: success when every rank succeeded, else
// the highest error code with the messages of every failing rank merged (input errors in line
// order, duplicates once, at most 20).
Result<void> agree(const Result<void>& mine, const MpiEnv& env);
// agree() on whether a step that produced a value succeeded (its value stays with the caller).
template <typename T>
Result<void> agree_on(const Result<T>& mine, const MpiEnv& env) {
    return agree(mine ? Result<void>{} : Result<void>(tl::unexpected(mine.error())), env);
}

// The error an exception stands for: running out of memory (std::bad_alloc) or failing to
// start a thread (oneTBB's or std::thread's) is the environment failing (exit 3, saying
// which); anything else is an internal error.
Error error_from_exception(const std::exception& e);

// Runs a fallible step on every rank (an exception becomes error_from_exception's) and agrees.
template <typename Step>
Result<void> run_agreed(Step&& step, const MpiEnv& env) {
    Result<void> mine;
    try {
        mine = step();
    } catch (const std::exception& e) {
        mine = tl::unexpected(error_from_exception(e));
    }
    return agree(mine, env);
}

// Rank 0 receives every rank's bytes in rank order; other ranks get an empty vector.
std::vector<std::string> gather_bytes(const std::string& mine, const MpiEnv& env);

int64_t allreduce_max(int64_t v, const MpiEnv& env);
// Element-wise sum over the ranks, in place.
void allreduce_sum(std::vector<int64_t>& v, const MpiEnv& env);
int64_t allreduce_sum(int64_t v, const MpiEnv& env);
double allreduce_max(double v, const MpiEnv& env);

}  // namespace fp::mpi
