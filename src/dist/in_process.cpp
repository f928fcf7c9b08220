#include "src/dist/in_process.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>

#include "src/dist/collectives.hpp"

namespace fp::dist {

Rendezvous::Rendezvous(int ranks) : posts(static_cast<size_t>(ranks)), size_(ranks) {}

void Rendezvous::meet() {
    std::unique_lock lock(m_);
    if (left_ > 0)
        throw std::logic_error("in-process collective: a rank left while its peers still meet");
    const uint64_t gen = generation_;
    if (++arrived_ == size_) {
        arrived_ = 0;
        ++generation_;
        cv_.notify_all();
        return;
    }
    cv_.wait(lock, [&] { return generation_ != gen || left_ > 0; });
    if (generation_ == gen)
        throw std::logic_error("in-process collective: a rank left while its peers still meet");
}

void Rendezvous::leave() {
    std::lock_guard lock(m_);
    ++left_;
    cv_.notify_all();
}

template <typename T>
void InProcessCommunicator::allreduce(T* values, int64_t n, ReduceOp op) {
    group_.posts[static_cast<size_t>(rank_)].data = values;
    group_.meet();
    // Every rank combines all ranks' values in rank order, so all get the same bits.
    const T* first = static_cast<const T*>(group_.posts[0].data);
    std::vector<T> out(first, first + n);
    for (int r = 1; r < size(); ++r) {
        const T* in = static_cast<const T*>(group_.posts[static_cast<size_t>(r)].data);
        for (size_t i = 0; i < out.size(); ++i)
            out[i] = op == ReduceOp::kMax ? std::max(out[i], in[i]) : out[i] + in[i];
    }
    group_.meet();
    std::copy(out.begin(), out.end(), values);
}

void InProcessCommunicator::raw_allreduce(int64_t* values, int64_t n, ReduceOp op) {
    allreduce(values, n, op);
}

void InProcessCommunicator::raw_allreduce(double* values, int64_t n, ReduceOp op) {
    allreduce(values, n, op);
}

void InProcessCommunicator::raw_allgather(int64_t mine, int64_t* out) {
    group_.posts[static_cast<size_t>(rank_)].data = &mine;
    group_.meet();
    for (int r = 0; r < size(); ++r)
        out[r] = *static_cast<const int64_t*>(group_.posts[static_cast<size_t>(r)].data);
    group_.meet();
}

void InProcessCommunicator::raw_gatherv(const char* send, const int64_t* counts,
                                        const int64_t* displs, char* recv, int root) {
    group_.posts[static_cast<size_t>(rank_)].data = send;
    group_.meet();
    if (rank_ == root)
        for (int r = 0; r < size(); ++r)
            if (counts[r] > 0)
                std::memcpy(recv + displs[r], group_.posts[static_cast<size_t>(r)].data,
                            static_cast<size_t>(counts[r]));
    group_.meet();
}

void InProcessCommunicator::raw_broadcast(char* data, int64_t n, int root) {
    if (rank_ == root) group_.posts[static_cast<size_t>(root)].data = data;
    group_.meet();
    if (rank_ != root && n > 0)
        std::memcpy(data, group_.posts[static_cast<size_t>(root)].data, static_cast<size_t>(n));
    group_.meet();
}

void InProcessCommunicator::raw_alltoallv(const char* send, const int64_t* send_counts,
                                          const int64_t* send_displs, char* recv,
                                          const int64_t* recv_counts, const int64_t* recv_displs) {
    group_.posts[static_cast<size_t>(rank_)] = {send, send_counts, send_displs};
    group_.meet();
    for (int s = 0; s < size(); ++s) {
        const Rendezvous::Post& p = group_.posts[static_cast<size_t>(s)];
        const int64_t n = std::min(p.counts[rank_], recv_counts[s]);
        if (n > 0)
            std::memcpy(recv + recv_displs[s], static_cast<const char*>(p.data) + p.displs[rank_],
                        static_cast<size_t>(n));
    }
    group_.meet();
}

std::vector<Result<void>> run_in_process(int ranks,
                                         const std::function<Result<void>(Communicator&)>& body) {
    Rendezvous group(ranks);
    std::vector<Result<void>> outcomes(static_cast<size_t>(ranks));
    std::vector<std::thread> threads;
    threads.reserve(static_cast<size_t>(ranks));
    for (int r = 0; r < ranks; ++r)
        threads.emplace_back([&, r] {
            InProcessCommunicator comm(group, r);
            try {
                outcomes[static_cast<size_t>(r)] = body(comm);
            } catch (const std::exception& e) {
                outcomes[static_cast<size_t>(r)] = tl::unexpected(error_from_exception(e));
            }
            group.leave();
        });
    for (auto& t : threads) t.join();
    return outcomes;
}

}  // namespace fp::dist
