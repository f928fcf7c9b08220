// The in-process back-end: P simulated ranks as P std::threads of one process, meeting at a
// shared rendezvous (mutex + condition variable). Tests run the production driver on it, so the
// distributed code path runs without MPI. Each raw operation is two meetings: every rank posts
// its buffers, all copy what they need, and nobody reuses a buffer before all have copied.
// A rank that leaves (returns or throws) while its peers wait in a raw operation makes them
// throw instead of waiting for ever: a mismatched collective is an error, not a hang.
// Thread-safety: each InProcessCommunicator belongs to its rank's thread.
// Determinism: reductions combine the ranks' values in rank order on every rank.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "src/dist/communicator.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// What the ranks of one in-process group share.
class Rendezvous {
  public:
    explicit Rendezvous(int ranks);
    int size() const { return size_; }
    // Waits until every rank has arrived; throws when a rank left the group instead.
    void meet();
    // This rank is done (or failed): peers waiting in meet() throw.
    void leave();

    // What each rank posts for the current raw operation.
    struct Post {
        const void* data = nullptr;
        const int64_t* counts = nullptr;
        const int64_t* displs = nullptr;
    };
    std::vector<Post> posts;

  private:
    std::mutex m_;
    std::condition_variable cv_;
    int size_;
    int arrived_ = 0;
    int left_ = 0;
    uint64_t generation_ = 0;
};

class InProcessCommunicator final : public Communicator {
  public:
    InProcessCommunicator(Rendezvous& group, int rank) : group_(group), rank_(rank) {}
    int rank() const override { return rank_; }
    int size() const override { return group_.size(); }
    std::string_view kind() const override { return "in-process"; }
    void raw_allreduce(int64_t* values, int64_t n, ReduceOp op) override;
    void raw_allreduce(double* values, int64_t n, ReduceOp op) override;
    void raw_allgather(int64_t mine, int64_t* out) override;
    void raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs, char* recv,
                     int root) override;
    void raw_broadcast(char* data, int64_t n, int root) override;
    void raw_alltoallv(const char* send, const int64_t* send_counts, const int64_t* send_displs,
                       char* recv, const int64_t* recv_counts, const int64_t* recv_displs) override;

  private:
    template <typename T>
    void allreduce(T* values, int64_t n, ReduceOp op);
    Rendezvous& group_;
    int rank_;
};

// Runs body(comm) on `ranks` threads, one communicator each, and returns every rank's outcome
// (an exception becomes error_from_exception's). Returns once all threads have ended.
std::vector<Result<void>> run_in_process(int ranks,
                                         const std::function<Result<void>(Communicator&)>& body);

}  // namespace fp::dist
