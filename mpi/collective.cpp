#include "mpi/collective.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace fp::mpi {
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

int allreduce_max_code(int code) {
    int worst = 0;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    return worst;
}

// How a gather agrees on its local steps: with the merged messages (agree), or, for the gather
// of those messages itself, on the code alone (rank 0 keeps its own message).
enum class StepAgreement { kMessages, kCodeOnly };

Result<void> agree_step(const Result<void>& mine, const MpiEnv& env, StepAgreement how) {
    if (how == StepAgreement::kMessages) return agree(mine, env);
    const int worst = allreduce_max_code(mine ? 0 : static_cast<int>(mine.error().code));
    if (worst == 0) return {};
    if (!mine) return tl::unexpected(mine.error());
    return tl::unexpected(Error{static_cast<ErrorCode>(worst), "a peer rank failed", {}});
}

// The gather proper, for ranks that agreed they have their bytes. Sizes go to every rank
// (MPI_Allgather of int64), so each computes the same rounds; rank 0 makes room and every rank
// agrees on that; then each round is one MPI_Gatherv of at most `chunk` bytes per rank into a
// round buffer, copied into the parts. Between the size exchange and the last round nothing
// throws: the vectors are sized before it, and the rounds do arithmetic and memcpy only.
Result<std::vector<std::string>> gather_rounds(std::string_view collective,
                                               const std::string& bytes, const MpiEnv& env,
                                               int64_t chunk_bytes, StepAgreement how) {
    const auto ranks = static_cast<size_t>(env.size);
    const int64_t chunk = effective_chunk(chunk_bytes, env.size);
    std::vector<int64_t> sizes;
    std::vector<int> counts, displs;
    const Result<void> prepared = local_step(collective, "prepare", env, [&] {
        sizes.assign(ranks, 0);
        counts.assign(ranks, 0);
        displs.assign(ranks, 0);
    });
    if (auto r = agree_step(prepared, env, how); !r) return tl::unexpected(r.error());
    const auto mine = static_cast<int64_t>(bytes.size());
    MPI_Allgather(&mine, 1, MPI_INT64_T, sizes.data(), 1, MPI_INT64_T, MPI_COMM_WORLD);
    const int64_t longest = *std::max_element(sizes.begin(), sizes.end());
    const int64_t rounds = (longest + chunk - 1) / chunk;
    int64_t first_round = 0;  // the largest round: the first
    for (int64_t s : sizes) first_round += round_bytes(s, 0, chunk);

    std::vector<std::string> parts;
    std::string round_buf;
    const Result<void> ready = local_step(collective, "receive", env, [&] {
        if (env.rank != 0) return;
        parts.resize(ranks);
        for (size_t r = 0; r < ranks; ++r) parts[r].resize(static_cast<size_t>(sizes[r]));
        round_buf.resize(static_cast<size_t>(first_round));
    });
    if (auto r = agree_step(ready, env, how); !r) return tl::unexpected(r.error());

    for (int64_t k = 0; k < rounds; ++k) {
        int64_t at = 0;
        for (size_t r = 0; r < ranks; ++r) {
            const int64_t n = round_bytes(sizes[r], k, chunk);
            counts[r] = static_cast<int>(n);   // ≤ chunk ≤ INT_MAX / ranks
            displs[r] = static_cast<int>(at);  // the sum of ≤ ranks of them
            at += n;
        }
        const int mine_n = counts[static_cast<size_t>(env.rank)];
        const char* from = mine_n > 0 ? bytes.data() + k * chunk : bytes.data();
        MPI_Gatherv(from, mine_n, MPI_BYTE, round_buf.data(), counts.data(), displs.data(),
                    MPI_BYTE, 0, MPI_COMM_WORLD);
        if (env.rank != 0) continue;
        for (size_t r = 0; r < ranks; ++r)
            if (counts[r] > 0)
                std::memcpy(parts[r].data() + k * chunk, round_buf.data() + displs[r],
                            static_cast<size_t>(counts[r]));
    }
    return parts;
}

}  // namespace

void fault_point(std::string_view collective, std::string_view step, const MpiEnv& env) {
    const char* spec = std::getenv("FP_FAIL_AT");
    if (spec == nullptr) return;
    const std::string want = "collective:" + std::string(collective) + "." + std::string(step) +
                             ":" + std::to_string(env.rank);
    if (want == spec) throw std::runtime_error("injected failure (FP_FAIL_AT=" + want + ")");
}

Result<std::vector<std::string>> gather_bytes(std::string_view collective,
                                              const Result<std::string>& mine, const MpiEnv& env,
                                              int64_t chunk_bytes) {
    if (env.size == 1) {
        if (!mine) return tl::unexpected(mine.error());
        std::vector<std::string> one;
        if (auto r = local_step(collective, "receive", env, [&] { one.push_back(*mine); }); !r)
            return tl::unexpected(r.error());
        return one;
    }
    if (auto r = agree_on(mine, env); !r) return tl::unexpected(r.error());
    return gather_rounds(collective, *mine, env, chunk_bytes, StepAgreement::kMessages);
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

Result<void> agree(const Result<void>& mine, const MpiEnv& env) {
    if (env.size == 1) return mine;
    const int worst = allreduce_max_code(mine ? 0 : static_cast<int>(mine.error().code));
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
    const auto all = gather_rounds("errors", msg, env, kMaxChunkBytes, StepAgreement::kCodeOnly);
    if (!all) return tl::unexpected(fallback);
    if (env.rank != 0) return tl::unexpected(fallback);
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

int64_t allreduce_max(int64_t v, const MpiEnv& env) {
    if (env.size == 1) return v;
    int64_t out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

int64_t allreduce_sum(int64_t v, const MpiEnv& env) {
    if (env.size == 1) return v;
    int64_t out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return out;
}

Result<void> allreduce_sum(std::vector<int64_t>& v, const MpiEnv& env) {
    if (env.size == 1) return {};
    // Sizes first: the same count on every rank (max of n and of -n), then the sums in place
    // (nothing allocated, nothing thrown) in slices whose counts fit an int.
    const auto n = static_cast<int64_t>(v.size());
    const int64_t in[2] = {n, -n};
    int64_t out[2] = {0, 0};
    MPI_Allreduce(in, out, 2, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    if (out[0] != -out[1])
        return fail(ErrorCode::kInternal,
                    "internal error: MPI allreduce over vectors of " + std::to_string(-out[1]) +
                        " to " + std::to_string(out[0]) + " elements on different ranks");
    constexpr int64_t kSlice = INT_MAX;
    for (int64_t at = 0; at < n; at += kSlice)
        MPI_Allreduce(MPI_IN_PLACE, v.data() + at, static_cast<int>(std::min(kSlice, n - at)),
                      MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return {};
}

double allreduce_max(double v, const MpiEnv& env) {
    if (env.size == 1) return v;
    double out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

}  // namespace fp::mpi
