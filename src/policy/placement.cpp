#include "src/policy/placement.hpp"

#include <tbb/blocked_range.h>
#include <tbb/parallel_reduce.h>

#include <limits>

namespace fp::policy {
namespace {

// Hosts scanned per task; below 4 tasks' worth the scan stays serial.
constexpr int32_t kScanGrain = 4096;

struct Best {
    double score = std::numeric_limits<double>::infinity();
    int32_t rank = std::numeric_limits<int32_t>::max();
    int32_t host = model::kNoHost;

    void offer(double s, int32_t r, int32_t h) {
        if (s < score || (s == score && r < rank)) {
            score = s;
            rank = r;
            host = h;
        }
    }
    // min over (score, id rank) is a total order, so the result does not depend on the split.
    void join(const Best& o) { offer(o.score, o.rank, o.host); }
};

template <typename ScoreFn>
std::optional<int32_t> scan_best(const model::PlacementState& state, int32_t vm,
                                 const std::vector<uint8_t>& allowed, ScoreFn score) {
    const int32_t n = state.host_count();
    auto body = [&](int32_t lo, int32_t hi, Best b) {
        for (int32_t h = lo; h < hi; ++h) {
            if (!allowed[static_cast<size_t>(h)] || !state.fits(vm, h)) continue;
            b.offer(score(h), state.id_rank(h), h);
        }
        return b;
    };
    Best best;
    if (n < 4 * kScanGrain) {
        best = body(0, n, best);
    } else {
        best = tbb::parallel_reduce(
            tbb::blocked_range<int32_t>(0, n, kScanGrain), Best{},
            [&](const tbb::blocked_range<int32_t>& r, Best b) {
                return body(r.begin(), r.end(), b);
            },
            [](Best a, const Best& b) {
                a.join(b);
                return a;
            });
    }
    if (best.host == model::kNoHost) return std::nullopt;
    return best.host;
}

}  // namespace

std::optional<int32_t> FirstFitDecreasing::choose(const model::PlacementState& state, int32_t vm,
                                                  const std::vector<uint8_t>& allowed,
                                                  const PolicyContext&) const {
    for (int32_t h : state.hosts_by_id())
        if (allowed[static_cast<size_t>(h)] && state.fits(vm, h)) return h;
    return std::nullopt;
}

double FirstFitDecreasing::order_score(const model::PlacementState& state, int32_t vm) const {
    return size_->score(state.demand(vm), state.reference_capacity());
}

std::optional<int32_t> BestFitDecreasing::choose(const model::PlacementState& state, int32_t vm,
                                                 const std::vector<uint8_t>& allowed,
                                                 const PolicyContext&) const {
    const model::Resources& dem = state.demand(vm);
    return scan_best(state, vm, allowed, [&](int32_t h) {
        const model::Resources residual = state.limit(h) - state.load(h) - dem;
        return size_->score(residual, state.capacity(h));
    });
}

double BestFitDecreasing::order_score(const model::PlacementState& state, int32_t vm) const {
    return size_->score(state.demand(vm), state.reference_capacity());
}

}  // namespace fp::policy
