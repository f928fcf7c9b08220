#include "mpi/mpi_communicator.hpp"

#include <mpi.h>

namespace fp::mpi {
namespace {

MPI_Op op_of(dist::ReduceOp op) { return op == dist::ReduceOp::kMax ? MPI_MAX : MPI_SUM; }

// The safe layer keeps every count and displacement of one call below INT_MAX.
void to_int(const int64_t* from, std::vector<int>& to) {
    for (size_t i = 0; i < to.size(); ++i) to[i] = static_cast<int>(from[i]);
}

}  // namespace

MpiCommunicator::MpiCommunicator(const MpiEnv& env)
    : rank_(env.rank),
      size_(env.size),
      counts_(static_cast<size_t>(env.size)),
      displs_(static_cast<size_t>(env.size)),
      counts2_(static_cast<size_t>(env.size)),
      displs2_(static_cast<size_t>(env.size)) {}

void MpiCommunicator::raw_allreduce(int64_t* values, int64_t n, dist::ReduceOp op) {
    MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_INT64_T, op_of(op),
                  MPI_COMM_WORLD);
}

void MpiCommunicator::raw_allreduce(double* values, int64_t n, dist::ReduceOp op) {
    MPI_Allreduce(MPI_IN_PLACE, values, static_cast<int>(n), MPI_DOUBLE, op_of(op), MPI_COMM_WORLD);
}

void MpiCommunicator::raw_allgather(int64_t mine, int64_t* out) {
    MPI_Allgather(&mine, 1, MPI_INT64_T, out, 1, MPI_INT64_T, MPI_COMM_WORLD);
}

void MpiCommunicator::raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs,
                                  char* recv, int root) {
    to_int(counts, counts_);
    to_int(displs, displs_);
    MPI_Gatherv(send, counts_[static_cast<size_t>(rank_)], MPI_BYTE, recv, counts_.data(),
                displs_.data(), MPI_BYTE, root, MPI_COMM_WORLD);
}

void MpiCommunicator::raw_broadcast(char* data, int64_t n, int root) {
    MPI_Bcast(data, static_cast<int>(n), MPI_BYTE, root, MPI_COMM_WORLD);
}

void MpiCommunicator::raw_alltoallv(const char* send, const int64_t* send_counts,
                                    const int64_t* send_displs, char* recv,
                                    const int64_t* recv_counts, const int64_t* recv_displs) {
    to_int(send_counts, counts_);
    to_int(send_displs, displs_);
    to_int(recv_counts, counts2_);
    to_int(recv_displs, displs2_);
    MPI_Alltoallv(send, counts_.data(), displs_.data(), MPI_BYTE, recv, counts2_.data(),
                  displs2_.data(), MPI_BYTE, MPI_COMM_WORLD);
}

}  // namespace fp::mpi
