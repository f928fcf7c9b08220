#include "src/dist/collectives.hpp"

#include <cstdlib>
#include <cstring>
#include <new>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace fp::dist {
namespace {

// "FILE:LINE:..." → (FILE, LINE) for ordering; other messages sort first, in rank order.
std::pair<std::string, int64_t> position(const std::string& msg) {
    const size_t a = msg.find(':');
    if (a == std::string::npos) return {"", -1};
    const size_t b = msg.find(':', a + 1);
    if (b == std::string::npos) return {"", -1};
    const std::string num = msg.substr(a + 1, b - a - 1);
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) return {"", -1};
    return {msg.substr(0, a), std::strtoll(num.c_str(), nullptr, 10)};
}

int64_t allreduce_max_code(int64_t code, Communicator& comm) {
    comm.raw_allreduce(&code, 1, ReduceOp::kMax);
    return code;
}

// How a collective agrees on its local steps: with the merged messages (agree), or, for the
// gather of those messages itself, on the code alone (rank 0 keeps its own message).
enum class StepAgreement { kMessages, kCodeOnly };

Result<void> agree_step(const Result<void>& mine, Communicator& comm, StepAgreement how) {
    if (how == StepAgreement::kMessages) return agree(mine, comm);
    const int64_t worst = allreduce_max_code(mine ? 0 : static_cast<int>(mine.error().code), comm);
    if (worst == 0) return {};
    if (!mine) return tl::unexpected(mine.error());
    return tl::unexpected(Error{static_cast<ErrorCode>(worst), "a peer rank failed", {}});
}

// The gather proper, for ranks that agreed they have their bytes. Sizes go to every rank
// (allgather of int64), so each computes the same rounds; rank 0 makes room and every rank
// agrees on that; then each round is one raw gatherv of at most `chunk` bytes per rank into a
// round buffer, copied into the parts. Between the size exchange and the last round nothing
// throws: the vectors are sized before it, and the rounds do arithmetic and memcpy only.
Result<std::vector<std::string>> gather_rounds(std::string_view collective,
                                               const std::string& bytes, Communicator& comm,
                                               int64_t chunk_bytes, StepAgreement how) {
    const auto ranks = static_cast<size_t>(comm.size());
    const int64_t chunk = effective_chunk(chunk_bytes, comm.size());
    std::vector<int64_t> sizes, counts, displs;
    const Result<void> prepared = local_step(collective, "prepare", comm, [&] {
        sizes.assign(ranks, 0);
        counts.assign(ranks, 0);
        displs.assign(ranks, 0);
    });
    if (auto r = agree_step(prepared, comm, how); !r) return tl::unexpected(r.error());
    comm.raw_allgather(static_cast<int64_t>(bytes.size()), sizes.data());
    const int64_t longest = *std::max_element(sizes.begin(), sizes.end());
    const int64_t rounds = (longest + chunk - 1) / chunk;
    int64_t first_round = 0;  // the largest round: the first
    for (int64_t s : sizes) first_round += round_bytes(s, 0, chunk);

    std::vector<std::string> parts;
    std::string round_buf;
    const Result<void> ready = local_step(collective, "receive", comm, [&] {
        if (comm.rank() != 0) return;
        parts.resize(ranks);
        for (size_t r = 0; r < ranks; ++r) parts[r].resize(static_cast<size_t>(sizes[r]));
        round_buf.resize(static_cast<size_t>(first_round));
    });
    if (auto r = agree_step(ready, comm, how); !r) return tl::unexpected(r.error());

    for (int64_t k = 0; k < rounds; ++k) {
        int64_t at = 0;
        for (size_t r = 0; r < ranks; ++r) {
            counts[r] = round_bytes(sizes[r], k, chunk);  // ≤ chunk ≤ INT_MAX / ranks
            displs[r] = at;                               // the sum of ≤ ranks of them
            at += counts[r];
        }
        const int64_t mine_n = counts[static_cast<size_t>(comm.rank())];
        const char* from = mine_n > 0 ? bytes.data() + k * chunk : bytes.data();
        comm.raw_gatherv(from, counts.data(), displs.data(), round_buf.data(), 0);
        if (comm.rank() != 0) continue;
        for (size_t r = 0; r < ranks; ++r)
            if (counts[r] > 0)
                std::memcpy(parts[r].data() + k * chunk, round_buf.data() + displs[r],
                            static_cast<size_t>(counts[r]));
    }
    return parts;
}

}  // namespace

void fault_point(std::string_view collective, std::string_view step, int rank) {
    const char* spec = std::getenv("FP_FAIL_AT");
    if (spec == nullptr) return;
    const std::string want = "collective:" + std::string(collective) + "." + std::string(step) +
                             ":" + std::to_string(rank);
    if (want == spec) throw std::runtime_error("injected failure (FP_FAIL_AT=" + want + ")");
}

Error step_error(std::string_view collective, std::string_view step, const Communicator& comm,
                 const std::exception& e) {
    return Error{ErrorCode::kEnvironment,
                 std::string(comm.kind()) + " collective " + std::string(collective) + ": " +
                     std::string(step) + " failed on rank " + std::to_string(comm.rank()) + ": " +
                     e.what(),
                 {}};
}

Result<std::vector<std::string>> gather_bytes(std::string_view collective,
                                              const Result<std::string>& mine, Communicator& comm,
                                              int64_t chunk_bytes) {
    if (comm.size() == 1) {
        if (!mine) return tl::unexpected(mine.error());
        std::vector<std::string> one;
        if (auto r = local_step(collective, "receive", comm, [&] { one.push_back(*mine); }); !r)
            return tl::unexpected(r.error());
        return one;
    }
    if (auto r = agree_on(mine, comm); !r) return tl::unexpected(r.error());
    return gather_rounds(collective, *mine, comm, chunk_bytes, StepAgreement::kMessages);
}

Result<std::string> broadcast_bytes(std::string_view collective, const Result<std::string>& mine,
                                    int root, Communicator& comm, int64_t chunk_bytes) {
    if (auto r = agree_on(mine, comm); !r) return tl::unexpected(r.error());
    const int64_t n =
        allreduce_max(comm.rank() == root ? static_cast<int64_t>(mine->size()) : int64_t{0}, comm);
    std::string out;
    const Result<void> ready = local_step(collective, "receive", comm, [&] {
        out = comm.rank() == root ? *mine : std::string(static_cast<size_t>(n), '\0');
    });
    if (auto r = agree(ready, comm); !r) return tl::unexpected(r.error());
    const int64_t chunk = effective_chunk(chunk_bytes, 1);
    for (int64_t at = 0; at < n; at += chunk)
        comm.raw_broadcast(out.data() + at, std::min(chunk, n - at), root);
    return out;
}

Result<std::vector<std::string>> allgather_bytes(std::string_view collective,
                                                 const Result<std::string>& mine,
                                                 Communicator& comm, int64_t chunk_bytes) {
    if (auto r = agree_on(mine, comm); !r) return tl::unexpected(r.error());
    const auto ranks = static_cast<size_t>(comm.size());
    std::vector<int64_t> sizes;
    std::vector<std::string> parts;
    const Result<void> prepared =
        local_step(collective, "prepare", comm, [&] { sizes.assign(ranks, 0); });
    if (auto r = agree(prepared, comm); !r) return tl::unexpected(r.error());
    comm.raw_allgather(static_cast<int64_t>(mine->size()), sizes.data());
    const Result<void> ready = local_step(collective, "receive", comm, [&] {
        parts.resize(ranks);
        for (size_t r = 0; r < ranks; ++r)
            parts[r] = static_cast<int>(r) == comm.rank()
                           ? *mine
                           : std::string(static_cast<size_t>(sizes[r]), '\0');
    });
    if (auto r = agree(ready, comm); !r) return tl::unexpected(r.error());
    const int64_t chunk = effective_chunk(chunk_bytes, 1);
    for (size_t r = 0; r < ranks; ++r)
        for (int64_t at = 0; at < sizes[r]; at += chunk)
            comm.raw_broadcast(parts[r].data() + at, std::min(chunk, sizes[r] - at),
                               static_cast<int>(r));
    return parts;
}

Result<std::vector<std::string>> all_to_all_bytes(std::string_view collective,
                                                  const Result<std::vector<std::string>>& mine,
                                                  Communicator& comm, int64_t chunk_bytes) {
    Result<void> shaped = mine ? Result<void>{} : Result<void>(tl::unexpected(mine.error()));
    if (mine && mine->size() != static_cast<size_t>(comm.size()))
        shaped = fail(ErrorCode::kInternal, "internal error: all-to-all " +
                                                std::string(collective) + " given " +
                                                std::to_string(mine->size()) + " buffers for " +
                                                std::to_string(comm.size()) + " ranks");
    if (auto r = agree(shaped, comm); !r) return tl::unexpected(r.error());
    const auto ranks = static_cast<size_t>(comm.size());
    const int64_t chunk = effective_chunk(chunk_bytes, comm.size());
    // The size exchange is itself an all-to-all of one int64 per pair.
    std::vector<int64_t> send_sizes, recv_sizes, eights, offsets;
    std::vector<int64_t> send_counts, send_displs, recv_counts, recv_displs;
    const Result<void> prepared = local_step(collective, "prepare", comm, [&] {
        send_sizes.resize(ranks);
        for (size_t d = 0; d < ranks; ++d) send_sizes[d] = static_cast<int64_t>((*mine)[d].size());
        recv_sizes.assign(ranks, 0);
        eights.assign(ranks, static_cast<int64_t>(sizeof(int64_t)));
        offsets.resize(ranks);
        for (size_t d = 0; d < ranks; ++d) offsets[d] = static_cast<int64_t>(d * sizeof(int64_t));
        for (auto* v : {&send_counts, &send_displs, &recv_counts, &recv_displs})
            v->assign(ranks, 0);
    });
    if (auto r = agree(prepared, comm); !r) return tl::unexpected(r.error());
    comm.raw_alltoallv(reinterpret_cast<const char*>(send_sizes.data()), eights.data(),
                       offsets.data(), reinterpret_cast<char*>(recv_sizes.data()), eights.data(),
                       offsets.data());
    int64_t longest = 0;
    for (size_t d = 0; d < ranks; ++d) longest = std::max({longest, send_sizes[d], recv_sizes[d]});
    const int64_t rounds = (allreduce_max(longest, comm) + chunk - 1) / chunk;

    std::vector<std::string> parts;
    std::string send_buf, recv_buf;
    const Result<void> ready = local_step(collective, "receive", comm, [&] {
        parts.resize(ranks);
        int64_t send_first = 0, recv_first = 0;  // the largest rounds: the first
        for (size_t r = 0; r < ranks; ++r) {
            parts[r].resize(static_cast<size_t>(recv_sizes[r]));
            send_first += round_bytes(send_sizes[r], 0, chunk);
            recv_first += round_bytes(recv_sizes[r], 0, chunk);
        }
        send_buf.resize(static_cast<size_t>(send_first));
        recv_buf.resize(static_cast<size_t>(recv_first));
    });
    if (auto r = agree(ready, comm); !r) return tl::unexpected(r.error());

    // Between here and the end: arithmetic, memcpy and raw calls only.
    for (int64_t k = 0; k < rounds; ++k) {
        int64_t s_at = 0, r_at = 0;
        for (size_t r = 0; r < ranks; ++r) {
            send_counts[r] = round_bytes(send_sizes[r], k, chunk);
            send_displs[r] = s_at;
            if (send_counts[r] > 0)
                std::memcpy(send_buf.data() + s_at, (*mine)[r].data() + k * chunk,
                            static_cast<size_t>(send_counts[r]));
            s_at += send_counts[r];
            recv_counts[r] = round_bytes(recv_sizes[r], k, chunk);
            recv_displs[r] = r_at;
            r_at += recv_counts[r];
        }
        comm.raw_alltoallv(send_buf.data(), send_counts.data(), send_displs.data(), recv_buf.data(),
                           recv_counts.data(), recv_displs.data());
        for (size_t r = 0; r < ranks; ++r)
            if (recv_counts[r] > 0)
                std::memcpy(parts[r].data() + k * chunk, recv_buf.data() + recv_displs[r],
                            static_cast<size_t>(recv_counts[r]));
    }
    return parts;
}

Error error_from_exception(const std::exception& e) {
    const std::string what = e.what();
    if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr)
        return Error{ErrorCode::kEnvironment,
                     "fleetplan: out of memory (" + what +
                         "): the inputs need more memory than this process may use (ulimit -v, "
                         "the machine's or the job's memory limit)",
                     {}};
    // oneTBB reports a failed pthread_create as a std::runtime_error with this text (it has no
    // type of its own); std::thread as a system_error with EAGAIN.
    const auto* sys = dynamic_cast<const std::system_error*>(&e);
    if (what.rfind("pthread_create has failed", 0) == 0 ||
        (sys != nullptr && sys->code() == std::errc::resource_unavailable_try_again))
        return Error{ErrorCode::kEnvironment,
                     "fleetplan: cannot start a thread (" + what +
                         "): too many processes or threads for this user (ulimit -u), or too "
                         "little memory for a thread's stack; try fewer --threads",
                     {}};
    return Error{ErrorCode::kInternal, "internal error: " + what, {}};
}

Result<void> agree(const Result<void>& mine, Communicator& comm) {
    if (comm.size() == 1) return mine;
    const int64_t worst = allreduce_max_code(mine ? 0 : static_cast<int>(mine.error().code), comm);
    if (worst == 0) return {};
    // What a rank reports when the messages cannot be gathered: its own, or that a peer failed.
    const Error fallback{
        static_cast<ErrorCode>(worst),
        mine ? "a peer rank failed (its message could not be gathered)" : mine.error().msg,
        {}};
    std::string msg;
    try {
        msg = mine ? "" : mine.error().msg;
        if (!mine && !mine.error().context.empty()) msg += "\n  (" + mine.error().context + ")";
    } catch (const std::exception&) {
        msg.clear();  // no memory for the text: this rank's message is lost, the code is not
    }
    // The messages gather agrees on its own steps by code alone (no recursion into agree).
    const auto all = gather_rounds("errors", msg, comm, kMaxChunkBytes, StepAgreement::kCodeOnly);
    if (!all) return tl::unexpected(fallback);
    if (comm.rank() != 0) return tl::unexpected(fallback);
    std::string merged;
    try {
        std::vector<std::string> lines;
        bool more = false;
        for (const std::string& m : *all) {
            std::istringstream in(m);
            std::string line;
            while (std::getline(in, line)) {
                if (line == "(further errors not shown)") {
                    more = true;
                    continue;
                }
                if (!line.empty()) lines.push_back(line);
            }
        }
        std::stable_sort(
            lines.begin(), lines.end(),
            [](const std::string& a, const std::string& b) { return position(a) < position(b); });
        // Every rank may report the same fault (a header, a duplicate id): keep each message once.
        std::vector<std::string> once;
        std::set<std::string> seen;
        for (auto& l : lines)
            if (seen.insert(l).second) once.push_back(std::move(l));
        lines = std::move(once);
        constexpr size_t kMax = 20;
        if (lines.size() > kMax) {
            lines.resize(kMax);
            more = true;
        }
        for (size_t i = 0; i < lines.size(); ++i) merged += (i ? "\n" : "") + lines[i];
        if (more) merged += "\n(further errors not shown)";
    } catch (const std::exception&) {
        return tl::unexpected(fallback);
    }
    return tl::unexpected(Error{static_cast<ErrorCode>(worst), merged, {}});
}

int64_t allreduce_max(int64_t v, Communicator& comm) {
    comm.raw_allreduce(&v, 1, ReduceOp::kMax);
    return v;
}

int64_t allreduce_sum(int64_t v, Communicator& comm) {
    comm.raw_allreduce(&v, 1, ReduceOp::kSum);
    return v;
}

double allreduce_max(double v, Communicator& comm) {
    comm.raw_allreduce(&v, 1, ReduceOp::kMax);
    return v;
}

double allreduce_sum(double v, Communicator& comm) {
    comm.raw_allreduce(&v, 1, ReduceOp::kSum);
    return v;
}

Result<void> allreduce_sum(std::vector<int64_t>& v, Communicator& comm) {
    if (comm.size() == 1) return {};
    // Sizes first: the same count on every rank (max of n and of -n), then the sums in place
    // (nothing allocated, nothing thrown) in slices whose counts fit an int.
    const auto n = static_cast<int64_t>(v.size());
    int64_t both[2] = {n, -n};
    comm.raw_allreduce(both, 2, ReduceOp::kMax);
    if (both[0] != -both[1])
        return fail(ErrorCode::kInternal,
                    "internal error: " + std::string(comm.kind()) + " allreduce over vectors of " +
                        std::to_string(-both[1]) + " to " + std::to_string(both[0]) +
                        " elements on different ranks");
    constexpr int64_t kSlice = INT_MAX;
    for (int64_t at = 0; at < n; at += kSlice)
        comm.raw_allreduce(v.data() + at, std::min(kSlice, n - at), ReduceOp::kSum);
    return {};
}

void LocalCommunicator::raw_gatherv(const char* send, const int64_t* counts, const int64_t* displs,
                                    char* recv, int) {
    if (counts[0] > 0) std::memcpy(recv + displs[0], send, static_cast<size_t>(counts[0]));
}

void LocalCommunicator::raw_alltoallv(const char* send, const int64_t* send_counts,
                                      const int64_t* send_displs, char* recv,
                                      const int64_t* recv_counts, const int64_t* recv_displs) {
    (void)recv_counts;  // equals send_counts[0] with one rank
    if (send_counts[0] > 0)
        std::memcpy(recv + recv_displs[0], send + send_displs[0],
                    static_cast<size_t>(send_counts[0]));
}

}  // namespace fp::dist
