// The collectives the driver and the commands use, written once over any Communicator, so that
// no rank ever waits in one that a failed peer never reaches. The rules every helper follows
// (STYLE.md §3 and §9):
// - a rank's fallible work (serialising, allocating, decoding) runs as a local step whose outcome
//   every rank agrees on (agree(): an allreduce-max of the error code) before the next
//   collective, so all ranks go on or all fail together with the same code;
// - between two matching raw operations nothing can throw (arithmetic and memcpy only);
// - sizes travel first, as 64-bit counts, and payloads in rounds of at most a chunk of bytes per
//   rank, so no `int` count or displacement overflows (a gather may exceed 2 GiB);
// - data arrives in rank order, so results do not depend on how the work was split.
// Fault injection (README, "Robustness checks"): FP_FAIL_AT=collective:NAME.STEP:RANK makes the
// local step STEP (pack, prepare, receive, unpack) of the collective NAME throw on rank RANK.
// Thread-safety: each rank calls from one thread (its communicator's).
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "src/dist/communicator.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// Every rank passes its own outcome; all get the same: success when every rank succeeded, else
// the highest error code with the messages of every failing rank merged (input errors in line
// order, duplicates once, at most 20) on rank 0.
Result<void> agree(const Result<void>& mine, Communicator& comm);
// agree() on whether a step that produced a value succeeded (its value stays with the caller).
template <typename T>
Result<void> agree_on(const Result<T>& mine, Communicator& comm) {
    return agree(mine ? Result<void>{} : Result<void>(tl::unexpected(mine.error())), comm);
}

// The error an exception stands for: running out of memory (std::bad_alloc) or failing to
// start a thread (oneTBB's or std::thread's) is the environment failing (exit 3, saying
// which); anything else is an internal error.
Error error_from_exception(const std::exception& e);

// Runs a fallible step on every rank (an exception becomes error_from_exception's) and agrees.
template <typename Step>
Result<void> run_agreed(Step&& step, Communicator& comm) {
    Result<void> mine;
    try {
        mine = step();
    } catch (const std::exception& e) {
        mine = tl::unexpected(error_from_exception(e));
    }
    return agree(mine, comm);
}

// Throws when FP_FAIL_AT names this collective, step and rank. Without the variable it costs
// one getenv.
void fault_point(std::string_view collective, std::string_view step, int rank);

// The error a failed local step reports: "<kind> collective NAME: STEP failed on rank R: what".
Error step_error(std::string_view collective, std::string_view step, const Communicator& comm,
                 const std::exception& e);

// A rank's local step of a collective (no communication inside): fault_point, then `work`; an
// exception (a decoding error, std::bad_alloc) becomes an environment error naming collective,
// step and rank. The caller agrees on the outcome before any further collective.
template <typename Work>
Result<void> local_step(std::string_view collective, std::string_view step,
                        const Communicator& comm, Work&& work) {
    try {
        fault_point(collective, step, comm.rank());
        work();
        return {};
    } catch (const std::exception& e) {
        return tl::unexpected(step_error(collective, step, comm, e));
    }
}

// The most bytes one rank sends in one raw call of a gather or exchange: a round buffer holds
// at most ranks × this (and below 2 GiB). Larger rounds gained nothing in the measured 2 GiB
// gather (bench/README.md) and cost memory. Tests pass a few bytes to exercise the rounds.
inline constexpr int64_t kMaxChunkBytes = int64_t{64} << 20;

// The size of a part in round k: the bytes of [k·chunk, (k+1)·chunk) it has.
inline int64_t round_bytes(int64_t size, int64_t round, int64_t chunk) {
    const int64_t from = round * chunk;
    return size <= from ? 0 : std::min(chunk, size - from);
}
// The chunk used among `ranks`: at most `chunk_bytes`, and small enough that one round's parts
// together (int displacements) stay below 2 GiB.
inline int64_t effective_chunk(int64_t chunk_bytes, int ranks) {
    return std::max<int64_t>(1, std::min<int64_t>(chunk_bytes, INT_MAX / std::max(ranks, 1)));
}

// Rank 0 receives every rank's bytes in rank order; other ranks get an empty vector. `mine` is
// this rank's outcome of producing its bytes: the ranks agree on it first, then exchange the
// sizes (64-bit), then rank 0 makes room (step `receive`, agreed), then the payload moves in
// rounds of at most `chunk_bytes` per rank. `collective` names it in errors and FP_FAIL_AT.
Result<std::vector<std::string>> gather_bytes(std::string_view collective,
                                              const Result<std::string>& mine, Communicator& comm,
                                              int64_t chunk_bytes = kMaxChunkBytes);
// Every rank receives every rank's bytes, in rank order (steps `receive`, agreed).
Result<std::vector<std::string>> allgather_bytes(std::string_view collective,
                                                 const Result<std::string>& mine,
                                                 Communicator& comm,
                                                 int64_t chunk_bytes = kMaxChunkBytes);
// Every rank receives root's bytes (other ranks' `mine` is only their outcome).
Result<std::string> broadcast_bytes(std::string_view collective, const Result<std::string>& mine,
                                    int root, Communicator& comm,
                                    int64_t chunk_bytes = kMaxChunkBytes);
// The all-to-all exchange: mine[d] goes to rank d (mine holds size() buffers); rank r gets
// result[s] = what rank s addressed to r, for every s, in rank order. Sizes travel first as
// 64-bit counts; payloads in rounds of at most `chunk_bytes` per pair.
Result<std::vector<std::string>> all_to_all_bytes(std::string_view collective,
                                                  const Result<std::vector<std::string>>& mine,
                                                  Communicator& comm,
                                                  int64_t chunk_bytes = kMaxChunkBytes);

int64_t allreduce_max(int64_t v, Communicator& comm);
int64_t allreduce_sum(int64_t v, Communicator& comm);
double allreduce_max(double v, Communicator& comm);
double allreduce_sum(double v, Communicator& comm);
// Element-wise sum over the ranks, in place; the ranks first check that they hold the same
// number of elements (an internal error on every rank if not).
[[nodiscard]] Result<void> allreduce_sum(std::vector<int64_t>& v, Communicator& comm);

}  // namespace fp::dist
