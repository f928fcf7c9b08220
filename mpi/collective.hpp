// The collectives of src/dist/collectives.hpp over MPI_COMM_WORLD, for commands that hold an
// MpiEnv rather than a communicator (simulate, dispatch, collect). The rules (agree before
// moving data, sizes first, rounds, nothing thrown between matching MPI calls) and the fault
// points FP_FAIL_AT=collective:NAME.STEP:RANK are those of the generic layer, written once.
// Thread-safety: call from the main thread only (MPI_THREAD_FUNNELED).
#pragma once

#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "mpi/commands.hpp"
#include "mpi/mpi_communicator.hpp"
#include "src/dist/collectives.hpp"
#include "src/util/result.hpp"

namespace fp::mpi {

using dist::effective_chunk;
using dist::error_from_exception;
using dist::kMaxChunkBytes;
using dist::round_bytes;

Result<void> agree(const Result<void>& mine, const MpiEnv& env);
template <typename T>
Result<void> agree_on(const Result<T>& mine, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::agree_on(mine, comm);
}

template <typename Step>
Result<void> run_agreed(Step&& step, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::run_agreed(std::forward<Step>(step), comm);
}

void fault_point(std::string_view collective, std::string_view step, const MpiEnv& env);

template <typename Work>
Result<void> local_step(std::string_view collective, std::string_view step, const MpiEnv& env,
                        Work&& work) {
    const MpiCommunicator comm(env);
    return dist::local_step(collective, step, comm, std::forward<Work>(work));
}

Result<std::vector<std::string>> gather_bytes(std::string_view collective,
                                              const Result<std::string>& mine, const MpiEnv& env,
                                              int64_t chunk_bytes = kMaxChunkBytes);

int64_t allreduce_max(int64_t v, const MpiEnv& env);
[[nodiscard]] Result<void> allreduce_sum(std::vector<int64_t>& v, const MpiEnv& env);
int64_t allreduce_sum(int64_t v, const MpiEnv& env);
double allreduce_max(double v, const MpiEnv& env);

}  // namespace fp::mpi
