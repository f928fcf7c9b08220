// The collectives of src/dist over the in-process back-end (P ranks as P threads) and the local
// one: bytes arrive complete and in rank order whatever the round size, one rank's failure
// reaches every rank without a hang, and a rank that leaves early cannot strand its peers.
// This binary does not link MPI.
#include <gtest/gtest.h>

#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "src/dist/collectives.hpp"
#include "src/dist/in_process.hpp"
#include "src/dist/spread.hpp"
#include "src/dist/wire.hpp"

namespace fp::dist {
namespace {

// What rank s sends rank d: (s·7 + d·3) % 11 bytes (some empty) that name both.
std::string payload(int s, int d) {
    std::string p(static_cast<size_t>((s * 7 + d * 3) % 11), '\0');
    for (size_t i = 0; i < p.size(); ++i) p[i] = static_cast<char>('a' + (s * 5 + d + i) % 26);
    return p;
}

// Runs body on P in-process ranks; every rank's outcome must be a success.
void expect_all_ok(int ranks, const std::function<Result<void>(Communicator&)>& body) {
    const auto out = run_in_process(ranks, body);
    ASSERT_EQ(out.size(), static_cast<size_t>(ranks));
    for (size_t r = 0; r < out.size(); ++r)
        EXPECT_TRUE(out[r]) << "rank " << r << ": " << (out[r] ? "" : out[r].error().msg);
}

TEST(InProcessCommunicator, AllToAllDeliversEveryPairInRankOrder) {
    for (int ranks : {1, 2, 3, 4}) {
        for (int64_t chunk : {int64_t{1}, int64_t{4}, int64_t{64}, kMaxChunkBytes}) {
            expect_all_ok(ranks, [&](Communicator& comm) -> Result<void> {
                std::vector<std::string> mine;
                for (int d = 0; d < comm.size(); ++d) mine.push_back(payload(comm.rank(), d));
                auto got = all_to_all_bytes("test", mine, comm, chunk);
                if (!got) return tl::unexpected(got.error());
                if (got->size() != static_cast<size_t>(comm.size()))
                    return fail(ErrorCode::kInternal, "parts");
                for (int s = 0; s < comm.size(); ++s)
                    if ((*got)[static_cast<size_t>(s)] != payload(s, comm.rank()))
                        return fail(ErrorCode::kInternal, "from rank " + std::to_string(s) +
                                                              ", chunk " + std::to_string(chunk));
                return {};
            });
        }
    }
}

TEST(InProcessCommunicator, RoundsUseSixtyFourBitSizes) {
    // A part above INT_MAX bytes is cut into rounds whose counts fit an int.
    const int64_t big = (int64_t{1} << 33) + 5;
    const int64_t chunk = effective_chunk(int64_t{1} << 40, 4);
    EXPECT_EQ(chunk, INT_MAX / 4);
    int64_t total = 0, rounds = 0;
    for (int64_t k = 0; round_bytes(big, k, chunk) > 0; ++k, ++rounds) {
        EXPECT_LE(round_bytes(big, k, chunk), INT_MAX / 4);
        total += round_bytes(big, k, chunk);
    }
    EXPECT_EQ(total, big);
    EXPECT_EQ(rounds, (big + chunk - 1) / chunk);
}

TEST(InProcessCommunicator, GatherAllgatherBroadcastAndReductions) {
    for (int ranks : {1, 3, 4}) {
        expect_all_ok(ranks, [&](Communicator& comm) -> Result<void> {
            const int me = comm.rank();
            auto g = gather_bytes("g", payload(me, 0), comm, 3);
            if (!g) return tl::unexpected(g.error());
            for (int r = 0; me == 0 && r < comm.size(); ++r)
                if ((*g)[static_cast<size_t>(r)] != payload(r, 0))
                    return fail(ErrorCode::kInternal, "gather");
            if (me != 0 && !g->empty()) return fail(ErrorCode::kInternal, "gather on non-root");
            auto a = allgather_bytes("a", payload(me, 1), comm, 2);
            if (!a) return tl::unexpected(a.error());
            for (int r = 0; r < comm.size(); ++r)
                if ((*a)[static_cast<size_t>(r)] != payload(r, 1))
                    return fail(ErrorCode::kInternal, "allgather");
            const int root = comm.size() - 1;
            auto b = broadcast_bytes("b", me == root ? std::string(100, 'x') : std::string(), root,
                                     comm, 7);
            if (!b || *b != std::string(100, 'x')) return fail(ErrorCode::kInternal, "broadcast");
            const int64_t n = comm.size();
            if (allreduce_max(int64_t{me}, comm) != n - 1 ||
                allreduce_sum(int64_t{me + 1}, comm) != n * (n + 1) / 2 ||
                allreduce_max(0.5 * me, comm) != 0.5 * static_cast<double>(n - 1) ||
                allreduce_sum(0.25, comm) != 0.25 * static_cast<double>(n))
                return fail(ErrorCode::kInternal, "scalar reductions");
            std::vector<int64_t> v(5, me + 1);
            if (auto r = allreduce_sum(v, comm); !r) return r;
            if (v != std::vector<int64_t>(5, n * (n + 1) / 2))
                return fail(ErrorCode::kInternal, "vector sum");
            auto items = gather_to_root("items", std::vector<int64_t>(2, me), comm, 5);
            if (!items) return tl::unexpected(items.error());
            std::vector<int64_t> want;
            for (int r = 0; me == 0 && r < comm.size(); ++r) want.insert(want.end(), 2, r);
            if (*items != want) return fail(ErrorCode::kInternal, "gather_to_root");
            return {};
        });
    }
}

TEST(InProcessCommunicator, OneRanksInputErrorReachesEveryRank) {
    const auto out = run_in_process(4, [](Communicator& comm) -> Result<void> {
        Result<void> mine;
        if (comm.rank() == 3) mine = bad_input("f.csv:9:cpu: not a number");
        if (comm.rank() == 1) mine = bad_input("f.csv:3:mem: not a number");
        return agree(mine, comm);
    });
    for (const auto& r : out) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    }
    EXPECT_EQ(out[0].error().msg, "f.csv:3:mem: not a number\nf.csv:9:cpu: not a number");
}

TEST(InProcessCommunicator, AnInjectedFaultFailsEveryRankAndTheNextCollectiveWorks) {
    for (const char* step : {"prepare", "receive"}) {
        for (int bad = 0; bad < 3; ++bad) {
            const std::string spec =
                std::string("collective:x.") + step + ":" + std::to_string(bad);
            setenv("FP_FAIL_AT", spec.c_str(), 1);
            const auto out = run_in_process(3, [](Communicator& comm) -> Result<void> {
                std::vector<std::string> mine;
                for (int d = 0; d < comm.size(); ++d) mine.push_back(payload(comm.rank(), d));
                auto got = all_to_all_bytes("x", mine, comm, 4);
                if (got) return fail(ErrorCode::kInternal, "the faulty exchange succeeded");
                if (got.error().code != ErrorCode::kEnvironment) return tl::unexpected(got.error());
                auto again = all_to_all_bytes("y", mine, comm, 4);
                if (!again) return tl::unexpected(again.error());
                return got.error().code == ErrorCode::kEnvironment
                           ? Result<void>(tl::unexpected(got.error()))
                           : Result<void>{};
            });
            unsetenv("FP_FAIL_AT");
            for (const auto& r : out) {
                ASSERT_FALSE(r) << spec;
                EXPECT_EQ(r.error().code, ErrorCode::kEnvironment) << r.error().msg;
            }
            EXPECT_NE(out[0].error().msg.find(std::string("in-process collective x: ") + step +
                                              " failed on rank " + std::to_string(bad)),
                      std::string::npos)
                << out[0].error().msg;
        }
    }
}

TEST(InProcessCommunicator, ARankThatLeavesEarlyCannotStrandItsPeers) {
    // Rank 1 returns without the collective its peers enter: they fail instead of waiting.
    const auto out = run_in_process(3, [](Communicator& comm) -> Result<void> {
        if (comm.rank() == 1) return {};
        (void)allreduce_max(int64_t{1}, comm);
        (void)allreduce_max(int64_t{2}, comm);
        return {};
    });
    EXPECT_TRUE(out[1]);
    EXPECT_FALSE(out[0] && out[2]);
}

TEST(RunSpread, ResultsReachRankZeroInItemOrderAndAFailureReachesEveryRank) {
    for (int ranks : {1, 2, 3}) {
        expect_all_ok(ranks, [](Communicator& comm) -> Result<void> {
            auto got = run_spread(
                "spread", 7,
                [&](size_t i) -> Result<std::string> {
                    if (static_cast<int>(i % static_cast<size_t>(comm.size())) != comm.rank())
                        return fail(ErrorCode::kInternal, "item on the wrong rank");
                    return std::string(i, 'a' + static_cast<char>(i));
                },
                comm);
            if (!got) return tl::unexpected(got.error());
            std::vector<std::string> want;
            for (size_t i = 0; comm.rank() == 0 && i < 7; ++i)
                want.emplace_back(i, 'a' + static_cast<char>(i));
            return *got == want ? Result<void>{} : fail(ErrorCode::kInternal, "results");
        });
    }
    const auto out = run_in_process(3, [](Communicator& comm) {
        return run_spread(
                   "spread", 5,
                   [](size_t i) -> Result<std::string> {
                       if (i == 4) return bad_input("item 4 is bad");
                       return std::string("ok");
                   },
                   comm)
            .map([](auto&&) {});
    });
    for (const auto& r : out) {
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    }
    EXPECT_EQ(out[0].error().msg, "item 4 is bad");
}

TEST(LocalCommunicator, EveryCollectiveReturnsTheRanksOwnData) {
    LocalCommunicator comm;
    auto a = all_to_all_bytes("l", std::vector<std::string>{"abc"}, comm, 2);
    ASSERT_TRUE(a);
    EXPECT_EQ(*a, std::vector<std::string>{"abc"});
    auto g = gather_bytes("l", std::string("xy"), comm);
    ASSERT_TRUE(g);
    EXPECT_EQ(*g, std::vector<std::string>{"xy"});
    EXPECT_EQ(allreduce_sum(int64_t{5}, comm), 5);
    auto bad = all_to_all_bytes("l", std::vector<std::string>{"a", "b"}, comm);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, ErrorCode::kInternal);
}

}  // namespace
}  // namespace fp::dist
