// The MPI back-end of dist::Communicator: MPI_COMM_WORLD. Counts arrive as 64-bit values that
// the safe layer (src/dist/collectives.hpp) has already cut into rounds fitting an `int`.
// MPI failures abort the job (MPI_ERRORS_ARE_FATAL): no rank is left waiting.
// Thread-safety: call from the main thread only (MPI_THREAD_FUNNELED).
#pragma once

#include <vector>

#include "mpi/commands.hpp"
#include "src/dist/communicator.hpp"

namespace fp::mpi {

class MpiCommunicator final : public dist::Communicator {
  public:
    explicit MpiCommunicator(const MpiEnv& env);
    int rank() const override { return rank_; }
    int size() const override { return size_; }
    std::string_view kind() const override { return "MPI"; }
    void raw_allreduce(int64_t* values, int64_t n, dist::ReduceOp op) override;
    void raw_allreduce(double* values, int64_t n, dist::ReduceOp op) override;
    void raw_allgather(int64_t mine, int64_t* out) override;
    void raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs, char* recv,
                     int root) override;
    void raw_broadcast(char* data, int64_t n, int root) override;
    void raw_alltoallv(const char* send, const int64_t* send_counts, const int64_t* send_displs,
                       char* recv, const int64_t* recv_counts, const int64_t* recv_displs) override;

  private:
    int rank_;
    int size_;
    // `int` copies of a call's counts and displacements, sized once (raw calls never allocate).
    std::vector<int> counts_, displs_, counts2_, displs2_;
};

}  // namespace fp::mpi
