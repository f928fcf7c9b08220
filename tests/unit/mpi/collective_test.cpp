// The collectives under mpirun, with their own main (MPI_Init): `fp_collective_test small`
// gathers in rounds of a few bytes (so the chunking runs cheaply), checks the bytes and their
// rank order, injects a failure at each local step of a gather on each rank and checks that
// every rank returns the same error and that the next gather still works (no rank left behind).
// `fp_collective_test big` (2 ranks, label slow) gathers more than 2 GiB, one rank's part alone
// above INT_MAX bytes, and checks every byte. Every rank checks; exit code 1 if any rank failed.
#include "mpi/collective.hpp"

#include <mpi.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mpi/wire.hpp"

namespace {

using fp::mpi::MpiEnv;

int failures = 0;

void check(bool ok, const MpiEnv& env, const std::string& what) {
    if (ok) return;
    ++failures;
    std::fprintf(stderr, "rank %d: FAIL: %s\n", env.rank, what.c_str());
}

char byte_at(int rank, int64_t i) {
    return static_cast<char>((rank * 31 + i * 7 + (i >> 9)) & 0xff);
}

std::string part_of(int rank, int64_t size) {
    std::string s(static_cast<size_t>(size), '\0');
    for (int64_t i = 0; i < size; ++i) s[static_cast<size_t>(i)] = byte_at(rank, i);
    return s;
}

// Rank r's test items: r + 2 numbers (rank 1 none, to send an empty part).
std::vector<int64_t> items_of(int rank) {
    std::vector<int64_t> v;
    if (rank != 1)
        for (int i = 0; i < rank + 2; ++i) v.push_back(rank * 1000 + i);
    return v;
}

void check_items(const fp::Result<std::vector<int64_t>>& got, const MpiEnv& env,
                 const std::string& what) {
    if (!got) {
        check(false, env, what + ": " + got.error().msg);
        return;
    }
    std::vector<int64_t> want;
    if (env.rank == 0)
        for (int r = 0; r < env.size; ++r)
            for (int64_t x : items_of(r)) want.push_back(x);
    check(*got == want, env, what + ": items not in rank order");
}

void small(const MpiEnv& env) {
    using fp::mpi::effective_chunk;
    using fp::mpi::round_bytes;
    check(round_bytes(20, 0, 7) == 7 && round_bytes(20, 2, 7) == 6 && round_bytes(20, 3, 7) == 0 &&
              round_bytes(0, 0, 7) == 0 && round_bytes(21, 2, 7) == 7,
          env, "round_bytes");
    check(effective_chunk(int64_t{1} << 40, 2) == INT_MAX / 2 &&
              effective_chunk(int64_t{1} << 40, 1) == INT_MAX &&
              effective_chunk(fp::mpi::kMaxChunkBytes, 3) == fp::mpi::kMaxChunkBytes &&
              effective_chunk(7, 3) == 7 && effective_chunk(0, 3) == 1,
          env, "effective_chunk");

    // Parts of 5 + 13·r bytes (rank 1: none) in rounds of 1, 7, 64 bytes and one round.
    for (int64_t chunk : {int64_t{1}, int64_t{7}, int64_t{64}, fp::mpi::kMaxChunkBytes}) {
        const auto len = [](int r) { return r == 1 ? int64_t{0} : 5 + 13 * int64_t{r}; };
        auto got = fp::mpi::gather_bytes("test", part_of(env.rank, len(env.rank)), env, chunk);
        const std::string what = "gather_bytes, chunk " + std::to_string(chunk);
        if (!got) {
            check(false, env, what + ": " + got.error().msg);
            continue;
        }
        if (env.rank != 0) {
            check(got->empty(), env, what + ": a non-root rank received parts");
            continue;
        }
        check(got->size() == static_cast<size_t>(env.size), env, what + ": parts");
        for (int r = 0; r < env.size && r < static_cast<int>(got->size()); ++r)
            check((*got)[static_cast<size_t>(r)] == part_of(r, len(r)), env,
                  what + ": rank " + std::to_string(r) + "'s bytes");
    }
    check_items(fp::mpi::gather_to_root("test-items", items_of(env.rank), env, 7), env,
                "gather_to_root, chunk 7");

    // A failure at each step on each rank: the same error everywhere, and the ranks stay in step.
    if (env.size > 1) {
        for (const char* step : {"pack", "prepare", "receive", "unpack"}) {
            for (int r = 0; r < env.size; ++r) {
                const std::string spec =
                    std::string("collective:faulty.") + step + ":" + std::to_string(r);
                setenv("FP_FAIL_AT", spec.c_str(), 1);
                auto got = fp::mpi::gather_to_root("faulty", items_of(env.rank), env, 7);
                unsetenv("FP_FAIL_AT");
                check(!got && got.error().code == fp::ErrorCode::kEnvironment, env,
                      spec + ": want an environment error on every rank");
                const std::string want = std::string("MPI collective faulty: ") + step +
                                         " failed on rank " + std::to_string(r) +
                                         ": injected failure";
                if (env.rank == 0 && !got)
                    check(got.error().msg.find(want) != std::string::npos, env,
                          spec + ": message '" + got.error().msg + "'");
                check_items(fp::mpi::gather_to_root("test-items", items_of(env.rank), env, 7), env,
                            "the gather after " + spec);
            }
        }
    }

    // Sizes first: a rank holding a different number of elements fails every rank.
    std::vector<int64_t> v(3, env.rank + 1);
    check(static_cast<bool>(fp::mpi::allreduce_sum(v, env)) &&
              v == std::vector<int64_t>(3, int64_t{env.size} * (env.size + 1) / 2),
          env, "allreduce_sum");
    if (env.size > 1) {
        std::vector<int64_t> odd(env.rank == 1 ? 2 : 3, 1);
        auto r = fp::mpi::allreduce_sum(odd, env);
        check(!r && r.error().code == fp::ErrorCode::kInternal, env,
              "allreduce_sum over different lengths must fail on every rank");
    }
    // agree(): one rank's input error reaches every rank, its message rank 0.
    fp::Result<void> mine;
    if (env.rank == env.size - 1) mine = fp::bad_input("f.csv:3:cpu: not a number");
    auto a = fp::mpi::agree(mine, env);
    check(!a && a.error().code == fp::ErrorCode::kBadInput, env, "agree: code");
    if (env.rank == 0 && !a)
        check(a.error().msg == "f.csv:3:cpu: not a number", env, "agree: message " + a.error().msg);
}

void big(const MpiEnv& env, int64_t chunk) {
    if (env.size != 2) {
        check(false, env, "big: run with 2 ranks");
        return;
    }
    // Rank 1's part alone exceeds INT_MAX bytes; with rank 0's the gather exceeds 2 GiB.
    const int64_t len[2] = {int64_t{64} << 20, (int64_t{1} << 31) + 5};
    const fp::Result<std::string> mine = part_of(env.rank, len[env.rank]);  // no copy
    MPI_Barrier(MPI_COMM_WORLD);
    const auto t0 = std::chrono::steady_clock::now();
    auto got = fp::mpi::gather_bytes("big", mine, env, chunk);
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    if (!got) {
        check(false, env, "big: " + got.error().msg);
        return;
    }
    if (env.rank == 0) {
        check(got->size() == 2, env, "big: parts");
        for (int r = 0; r < 2 && r < static_cast<int>(got->size()); ++r) {
            const std::string& p = (*got)[static_cast<size_t>(r)];
            bool same = static_cast<int64_t>(p.size()) == len[r];
            for (int64_t i = 0; same && i < len[r]; ++i)
                same = p[static_cast<size_t>(i)] == byte_at(r, i);
            check(same, env, "big: rank " + std::to_string(r) + "'s bytes");
        }
    }
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    std::printf(
        "rank %d: gathered %lld bytes in total in rounds of %lld bytes (the gather: %.2f s); peak "
        "RSS %.2f GiB\n",
        env.rank, static_cast<long long>(len[0] + len[1]), static_cast<long long>(chunk), secs,
        static_cast<double>(ru.ru_maxrss) / (1024.0 * 1024.0));
}

}  // namespace

int main(int argc, char** argv) {
    MPI_Init(&argc, &argv);
    MpiEnv env;
    MPI_Comm_rank(MPI_COMM_WORLD, &env.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &env.size);
    const std::string mode = argc > 1 ? argv[1] : "small";
    if (mode == "big")
        big(env, argc > 2 ? std::atoll(argv[2]) : fp::mpi::kMaxChunkBytes);
    else
        small(env);
    int worst = 0;
    MPI_Allreduce(&failures, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (env.rank == 0)
        std::printf("%s: %s on %d ranks\n", mode.c_str(), worst ? "FAILED" : "ok", env.size);
    MPI_Finalize();
    return worst ? 1 : 0;
}
