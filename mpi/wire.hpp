// What ranks send each other (src/dist/wire.hpp), gathered over MPI_COMM_WORLD for commands
// that hold an MpiEnv.
#pragma once

#include "mpi/collective.hpp"
#include "src/dist/wire.hpp"

namespace fp::mpi {

using dist::pack;
using dist::ShardRows;
using dist::unpack;

template <class T>
Result<std::vector<T>> gather_to_root(std::string_view collective, std::vector<T>&& mine,
                                      const MpiEnv& env, int64_t chunk_bytes = kMaxChunkBytes) {
    MpiCommunicator comm(env);
    return dist::gather_to_root(collective, std::move(mine), comm, chunk_bytes);
}

}  // namespace fp::mpi
