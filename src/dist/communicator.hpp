// The communicator the distributed driver talks to, in the style of Arbor's
// `distributed_context`: who am I (rank, size) and a handful of byte-level collectives. Three
// back-ends implement the raw operations: LocalCommunicator (one rank, here),
// InProcessCommunicator (P ranks as P threads of one process, src/dist/in_process.hpp) and
// mpi::MpiCommunicator (mpi/mpi_communicator.hpp). The safe collectives the driver calls
// (agree, gather with agreement, all-to-all, ...) are written once over the raw operations, in
// src/dist/collectives.hpp.
//
// Raw operations are collective: every rank calls the same one in the same order. They never
// throw and never allocate (the caller sizes every buffer before the call), so a rank cannot
// leave between two matching calls. Counts are 64-bit but each call's counts and displacements
// must fit an `int` (MPI's): the safe layer splits larger transfers into rounds.
// Thread-safety: one thread per rank calls its communicator.
#pragma once

#include <cstdint>
#include <string_view>

namespace fp::dist {

enum class ReduceOp { kMax, kSum };

class Communicator {
  public:
    virtual ~Communicator() = default;
    virtual int rank() const = 0;
    virtual int size() const = 0;
    // Names the transport in error messages ("MPI", "in-process", "local").
    virtual std::string_view kind() const = 0;

    // Element-wise reduction of n values in place; n is the same on every rank.
    virtual void raw_allreduce(int64_t* values, int64_t n, ReduceOp op) = 0;
    virtual void raw_allreduce(double* values, int64_t n, ReduceOp op) = 0;
    // out[r] = rank r's `mine` (out holds size() values).
    virtual void raw_allgather(int64_t mine, int64_t* out) = 0;
    // Rank `root` receives counts[r] bytes of rank r at recv + displs[r] (counts and displs are
    // the same on every rank; only root's recv is written).
    virtual void raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs,
                             char* recv, int root) = 0;
    // n bytes from root's data to every rank's data.
    virtual void raw_broadcast(char* data, int64_t n, int root) = 0;
    // Rank r sends send_counts[d] bytes from send + send_displs[d] to every rank d and receives
    // recv_counts[s] bytes from every rank s at recv + recv_displs[s].
    virtual void raw_alltoallv(const char* send, const int64_t* send_counts,
                               const int64_t* send_displs, char* recv, const int64_t* recv_counts,
                               const int64_t* recv_displs) = 0;
};

// One rank: every collective is a copy.
class LocalCommunicator final : public Communicator {
  public:
    int rank() const override { return 0; }
    int size() const override { return 1; }
    std::string_view kind() const override { return "local"; }
    void raw_allreduce(int64_t*, int64_t, ReduceOp) override {}
    void raw_allreduce(double*, int64_t, ReduceOp) override {}
    void raw_allgather(int64_t mine, int64_t* out) override { out[0] = mine; }
    void raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs, char* recv,
                     int root) override;
    void raw_broadcast(char*, int64_t, int) override {}
    void raw_alltoallv(const char* send, const int64_t* send_counts, const int64_t* send_displs,
                       char* recv, const int64_t* recv_counts, const int64_t* recv_displs) override;
};

}  // namespace fp::dist
