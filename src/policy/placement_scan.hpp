// The deterministic host scan shared by the placement policies: the allowed host that fits the VM
// (PlacementState::fits: max-util, the guard, anti-affinity) with the least score, ties broken by
// host id rank. Thread-safety: reads the state only; large fleets are scanned in parallel with TBB.
// Determinism: the minimum over (score, id rank) is a total order, so the result does not depend on
// how TBB splits the range or on the number of threads. Scores must not be NaN.
#pragma once

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "src/model/placement_state.hpp"

namespace fp::policy::detail {

// Hosts scanned per task; below 4 tasks' worth the scan stays serial.
inline constexpr int32_t kScanGrain = 4096;

// The best (least) score seen so far. Score is any type ordered by `<` (a double, a std::pair or
// a std::tuple for lexicographic keys).
template <typename Score>
struct ScanBest {
    Score score{};
    int32_t rank = std::numeric_limits<int32_t>::max();
    int32_t host = model::kNoHost;

    void offer(const Score& s, int32_t r, int32_t h) {
        if (host == model::kNoHost || s < score || (!(score < s) && r < rank)) {
            score = s;
            rank = r;
            host = h;
        }
    }
    void join(const ScanBest& o) {
        if (o.host != model::kNoHost) offer(o.score, o.rank, o.host);
    }
};

// The allowed host that fits `vm` and passes `accept(h)`, with the least `score(h)`; ties by id
// rank. `accept` and `score` are called only for allowed hosts that fit, possibly from several
// threads at once. `beaten(h, best)` may skip computing score(h): it returns true only when
// score(h) > best for certain (a cheap bound with a wide margin for rounding), so the result is
// the same as without it.
template <typename AcceptFn, typename ScoreFn, typename BeatenFn>
std::optional<int32_t> scan_best_pruned(const model::PlacementState& state, int32_t vm,
                                        const std::vector<uint8_t>& allowed, AcceptFn accept,
                                        ScoreFn score, BeatenFn beaten) {
    using Score = decltype(score(int32_t{}));
    const int32_t n = state.host_count();
    if (n == 0) return std::nullopt;
    // PlacementState::fits, with the VM's demand read once and the anti-affinity lookup only
    // for a VM that has a group: the loop touches the allowed flags and the headroom array.
    static_assert(model::kDims == 3);
    const model::Resources dem = state.demand(vm);
    const bool grouped = state.anti_id(vm) >= 0;
    const bool guarded = state.guarded();
    const uint8_t* ok = allowed.data();
    const model::Resources* room = &state.headroom(0);
    auto body = [&](int32_t lo, int32_t hi, ScanBest<Score> b) {
        for (int32_t h = lo; h < hi; ++h) {
            if (!ok[h]) continue;
            const model::Resources& r = room[h];
            if (dem[0] > r[0] || dem[1] > r[1] || dem[2] > r[2]) continue;
            if (guarded && !state.guard_ok(vm, h)) continue;
            if ((grouped && state.anti_conflict(vm, h)) || !accept(h)) continue;
            if (b.host != model::kNoHost && beaten(h, b.score)) continue;
            b.offer(score(h), state.id_rank(h), h);
        }
        return b;
    };
    ScanBest<Score> best;
    if (n < 4 * kScanGrain) {
        best = body(0, n, best);
    } else {
        best = tbb::parallel_reduce(
            tbb::blocked_range<int32_t>(0, n, kScanGrain), ScanBest<Score>{},
            [&](const tbb::blocked_range<int32_t>& r, ScanBest<Score> b) {
                return body(r.begin(), r.end(), b);
            },
            [](ScanBest<Score> a, const ScanBest<Score>& b) {
                a.join(b);
                return a;
            });
    }
    if (best.host == model::kNoHost) return std::nullopt;
    return best.host;
}

template <typename AcceptFn, typename ScoreFn>
std::optional<int32_t> scan_best_if(const model::PlacementState& state, int32_t vm,
                                    const std::vector<uint8_t>& allowed, AcceptFn accept,
                                    ScoreFn score) {
    using Score = decltype(score(int32_t{}));
    return scan_best_pruned(state, vm, allowed, accept, score,
                            [](int32_t, const Score&) { return false; });
}

// A relative margin far above the rounding error of the few products and sums a bound takes:
// a host is ruled out only when its approximate score is worse by more than this.
inline constexpr double kBoundMargin = 1e-9;

// scan_best_if accepting every allowed host that fits.
template <typename ScoreFn>
std::optional<int32_t> scan_best(const model::PlacementState& state, int32_t vm,
                                 const std::vector<uint8_t>& allowed, ScoreFn score) {
    return scan_best_if(
        state, vm, allowed, [](int32_t) { return true; }, score);
}

}  // namespace fp::policy::detail
