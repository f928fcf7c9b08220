#include "src/policy/selection_extra.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <string>

#include "src/policy/registry.hpp"
#include "src/util/rng.hpp"

namespace fp::policy {
namespace {

// Purpose of the random selection's stream, so that it never shares draws with another user of
// (seed, round, host).
constexpr uint64_t kRandomSelectionStream = 0x72616e646f6d5345ULL;  // "randomSE"

const std::string& vm_id(const model::PlacementState& s, int32_t vm) {
    return s.fleet().vms[static_cast<size_t>(vm)].id;
}

bool id_less(const model::PlacementState& s, int32_t a, int32_t b) {
    return vm_id(s, a) < vm_id(s, b);
}

double mem_size_mib(const model::PlacementState& s, int32_t vm) {
    return static_cast<double>(s.fleet().vms[static_cast<size_t>(vm)].mem_size_kib) / 1024.0;
}

// The VMs on the host that may leave, in ascending VM index order.
std::vector<int32_t> candidates(const model::PlacementState& state, int32_t host,
                                const std::vector<int32_t>& exclude) {
    std::vector<int32_t> pool;
    for (int32_t vm : state.vms_on(host))
        if (std::find(exclude.begin(), exclude.end(), vm) == exclude.end()) pool.push_back(vm);
    return pool;
}

// Takes VMs in the given order until the host is within its limit; empty if it never is.
std::vector<int32_t> take_until_within(const model::PlacementState& state, int32_t host,
                                       const std::vector<int32_t>& ordered) {
    std::vector<int32_t> chosen;
    model::Resources load = state.load(host);
    const model::Resources& limit = state.limit(host);
    for (int32_t vm : ordered) {
        if (load.fits_within(limit)) break;
        chosen.push_back(vm);
        load -= state.demand(vm);
    }
    if (!load.fits_within(limit)) return {};
    return chosen;
}

// Orders the pool by key (ascending, or descending with Direction::kLargestFirst), ties by VM id.
enum class Direction { kSmallestFirst, kLargestFirst };

template <typename Key>
void sort_by_key(const model::PlacementState& state, std::vector<int32_t>& pool,
                 const std::vector<Key>& key_by_pos, Direction dir) {
    std::vector<size_t> pos(pool.size());
    for (size_t i = 0; i < pos.size(); ++i) pos[i] = i;
    std::sort(pos.begin(), pos.end(), [&](size_t a, size_t b) {
        const Key& ka = key_by_pos[a];
        const Key& kb = key_by_pos[b];
        if (ka != kb) return dir == Direction::kSmallestFirst ? ka < kb : kb < ka;
        return id_less(state, pool[a], pool[b]);
    });
    std::vector<int32_t> sorted;
    sorted.reserve(pool.size());
    for (size_t p : pos) sorted.push_back(pool[p]);
    pool = std::move(sorted);
}

// ---- max-correlation helpers ----

// Pearson's correlation of two equally long series; 0 when either is (numerically) constant.
double pearson(const std::vector<double>& x, const std::vector<double>& y) {
    const size_t n = x.size();
    if (n < 2) return 0.0;
    double mx = 0, my = 0;
    for (size_t i = 0; i < n; ++i) {
        mx += x[i];
        my += y[i];
    }
    mx /= static_cast<double>(n);
    my /= static_cast<double>(n);
    double sxx = 0, syy = 0, sxy = 0;
    for (size_t i = 0; i < n; ++i) {
        const double dx = x[i] - mx;
        const double dy = y[i] - my;
        sxx += dx * dx;
        syy += dy * dy;
        sxy += dx * dy;
    }
    // Relative floor: the sum of the others is computed by subtraction, so a constant series may
    // keep rounding noise.
    constexpr double kRelEps = 1e-12;
    const double nd = static_cast<double>(n);
    if (sxx <= kRelEps * nd * (1.0 + mx * mx) || syy <= kRelEps * nd * (1.0 + my * my)) return 0.0;
    return sxy / std::sqrt(sxx * syy);
}

// A VM's absolute CPU (millicores) over the history window [0, length): its samples where it has
// them (aligned at the end), its current demand before that. `own` tells how many trailing
// samples are real history.
struct CpuSeries {
    std::vector<double> cpu;
    int32_t own = 0;
};

CpuSeries cpu_series(const model::PlacementState& state, const model::History& hist, int32_t vm) {
    const size_t len = static_cast<size_t>(hist.length);
    const model::Vm& v = state.fleet().vms[static_cast<size_t>(vm)];
    CpuSeries s;
    s.cpu.assign(len, static_cast<double>(v.demand[model::kCpu]));
    if (static_cast<size_t>(vm) >= hist.cpu.size()) return s;
    const std::vector<float>& h = hist.cpu[static_cast<size_t>(vm)];
    const size_t n = std::min(h.size(), len);
    const double size = static_cast<double>(model::history_size(v)[model::kCpu]);
    for (size_t i = 0; i < n; ++i)
        s.cpu[len - n + i] = static_cast<double>(h[h.size() - n + i]) * size;
    s.own = static_cast<int32_t>(n);
    return s;
}

// ---- holistic helpers ----

using Need = std::array<int64_t, model::kDims>;

struct Candidate {
    int32_t vm = -1;
    double cost = 0;
    model::Resources demand;
};

bool cleared(const Need& rem) {
    for (int64_t r : rem)
        if (r > 0) return false;
    return true;
}

// Branch and bound over subsets of candidates sorted by (cost, id): the cheapest subset whose
// demand covers `need` in every dimension; ties by fewer VMs, then the smaller sorted id list.
class ExactSubsetSearch {
  public:
    ExactSubsetSearch(const model::PlacementState& state, const std::vector<Candidate>& cands)
        : state_(state), cands_(cands), suffix_(cands.size() + 1) {
        for (size_t i = cands.size(); i-- > 0;)
            for (int d = 0; d < model::kDims; ++d)
                suffix_[i][static_cast<size_t>(d)] =
                    suffix_[i + 1][static_cast<size_t>(d)] + cands[i].demand[d];
    }

    // Indices into the candidates of the best subset; nullopt when none covers the need.
    std::optional<std::vector<size_t>> run(const Need& need) {
        dfs(0, need);
        if (!found_) return std::nullopt;
        return best_;
    }

  private:
    void dfs(size_t i, const Need& rem) {
        if (cleared(rem)) {
            offer();
            return;
        }
        if (i == cands_.size()) return;
        for (int d = 0; d < model::kDims; ++d)
            if (rem[static_cast<size_t>(d)] > suffix_[i][static_cast<size_t>(d)]) return;
        // Costs are sorted ascending: any completion adds at least cands_[i].cost.
        if (found_ && cur_cost_ + cands_[i].cost > best_cost_) return;
        const Candidate& c = cands_[i];
        bool helps = false;
        for (int d = 0; d < model::kDims; ++d)
            if (rem[static_cast<size_t>(d)] > 0 && c.demand[d] > 0) helps = true;
        if (helps) {
            Need next = rem;
            for (int d = 0; d < model::kDims; ++d) next[static_cast<size_t>(d)] -= c.demand[d];
            cur_.push_back(i);
            cur_cost_ += c.cost;
            dfs(i + 1, next);
            cur_cost_ -= c.cost;
            cur_.pop_back();
        }
        dfs(i + 1, rem);
    }

    std::vector<std::string> sorted_ids(const std::vector<size_t>& set) const {
        std::vector<std::string> ids;
        for (size_t i : set) ids.push_back(vm_id(state_, cands_[i].vm));
        std::sort(ids.begin(), ids.end());
        return ids;
    }

    void offer() {
        bool better = !found_ || cur_cost_ < best_cost_;
        if (found_ && cur_cost_ == best_cost_) {
            better = cur_.size() < best_.size() ||
                     (cur_.size() == best_.size() && sorted_ids(cur_) < sorted_ids(best_));
        }
        if (!better) return;
        found_ = true;
        best_cost_ = cur_cost_;
        best_ = cur_;
    }

    const model::PlacementState& state_;
    const std::vector<Candidate>& cands_;
    std::vector<Need> suffix_;  // suffix_[i]: total demand of candidates i.. per dimension
    std::vector<size_t> cur_;
    double cur_cost_ = 0;
    std::vector<size_t> best_;
    double best_cost_ = std::numeric_limits<double>::infinity();
    bool found_ = false;
};

// Greedy cover for many candidates (sorted by (cost, id)): repeatedly the least cost per unit of
// remaining excess cleared (as fractions of the host's capacity), then drops, most expensive
// first, every VM the others make unnecessary.
std::optional<std::vector<size_t>> greedy_cover(const std::vector<Candidate>& cands,
                                                const Need& need,
                                                const model::Resources& capacity) {
    Need rem = need;
    std::vector<uint8_t> taken(cands.size(), 0);
    while (!cleared(rem)) {
        int64_t best = -1;
        double best_ratio = std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < cands.size(); ++i) {
            if (taken[i]) continue;
            double gain = 0;
            for (int d = 0; d < model::kDims; ++d) {
                const int64_t r = rem[static_cast<size_t>(d)];
                if (r <= 0 || capacity[d] <= 0) continue;
                gain += static_cast<double>(std::min(r, cands[i].demand[d])) /
                        static_cast<double>(capacity[d]);
            }
            if (gain <= 0) continue;
            const double ratio = cands[i].cost / gain;
            if (ratio < best_ratio) {
                best_ratio = ratio;
                best = static_cast<int64_t>(i);
            }
        }
        if (best < 0) return std::nullopt;
        taken[static_cast<size_t>(best)] = 1;
        for (int d = 0; d < model::kDims; ++d)
            rem[static_cast<size_t>(d)] -= cands[static_cast<size_t>(best)].demand[d];
    }
    for (size_t i = cands.size(); i-- > 0;) {
        if (!taken[i]) continue;
        Need without = rem;
        for (int d = 0; d < model::kDims; ++d)
            without[static_cast<size_t>(d)] += cands[i].demand[d];
        if (cleared(without)) {
            taken[i] = 0;
            rem = without;
        }
    }
    std::vector<size_t> out;
    for (size_t i = 0; i < cands.size(); ++i)
        if (taken[i]) out.push_back(i);
    return out;
}

template <typename T>
Result<std::unique_ptr<VmSelectionPolicy>> ok(std::unique_ptr<T> p) {
    return Result<std::unique_ptr<VmSelectionPolicy>>(std::move(p));
}

}  // namespace

double sandpiper_volume(const model::Resources& demand, const model::Resources& capacity) {
    double v = 1.0;
    for (int d = 0; d < model::kDims; ++d) {
        const double f = capacity[d] > 0
                             ? static_cast<double>(demand[d]) / static_cast<double>(capacity[d])
                             : 0.0;
        v /= 1.0 - std::clamp(f, 0.0, 0.99);
    }
    return v;
}

std::vector<int32_t> MinUtilisationSelection::select(const model::PlacementState& state,
                                                     int32_t host,
                                                     const std::vector<int32_t>& exclude,
                                                     const PolicyContext&) const {
    // All candidates share the host, so CPU relative to its capacity orders like CPU demand:
    // compare the exact integers.
    std::vector<int32_t> pool = candidates(state, host, exclude);
    std::vector<int64_t> key;
    for (int32_t vm : pool) key.push_back(state.demand(vm)[model::kCpu]);
    sort_by_key(state, pool, key, Direction::kSmallestFirst);
    return take_until_within(state, host, pool);
}

std::vector<int32_t> RandomSelection::select(const model::PlacementState& state, int32_t host,
                                             const std::vector<int32_t>& exclude,
                                             const PolicyContext& ctx) const {
    // Each VM's key comes from the stream (seed, round, host) at the VM's index, so the order of
    // the VMs left does not change when some are excluded or have already left.
    const uint64_t stream =
        splitmix64(splitmix64(kRandomSelectionStream ^ static_cast<uint64_t>(ctx.round)) ^
                   static_cast<uint64_t>(host));
    std::vector<int32_t> pool = candidates(state, host, exclude);
    std::vector<uint64_t> key;
    for (int32_t vm : pool)
        key.push_back(CounterRng(ctx.seed, stream, static_cast<uint64_t>(vm)).next());
    sort_by_key(state, pool, key, Direction::kSmallestFirst);
    return take_until_within(state, host, pool);
}

std::vector<int32_t> VolumeSelection::select(const model::PlacementState& state, int32_t host,
                                             const std::vector<int32_t>& exclude,
                                             const PolicyContext&) const {
    std::vector<int32_t> pool = candidates(state, host, exclude);
    std::vector<double> key;
    for (int32_t vm : pool) {
        double k = sandpiper_volume(state.demand(vm), state.capacity(host));
        if (order_ == VolumeOrder::kVolumeToSize)
            k /= std::max(mem_size_mib(state, vm), 1.0 / 1024);
        key.push_back(k);
    }
    sort_by_key(state, pool, key, Direction::kLargestFirst);
    return take_until_within(state, host, pool);
}

std::vector<int32_t> MaxCorrelationSelection::select(const model::PlacementState& state,
                                                     int32_t host,
                                                     const std::vector<int32_t>& exclude,
                                                     const PolicyContext& ctx) const {
    const model::History* hist = ctx.history;
    if (hist == nullptr || hist->empty()) return fallback_.select(state, host, exclude, ctx);

    // Every VM on the host (excluded ones stay and still count among "the others").
    const std::vector<int32_t>& on = state.vms_on(host);
    std::vector<CpuSeries> series;
    series.reserve(on.size());
    const size_t len = static_cast<size_t>(hist->length);
    std::vector<double> total(len, 0.0);
    for (int32_t vm : on) {
        series.push_back(cpu_series(state, *hist, vm));
        for (size_t t = 0; t < len; ++t) total[t] += series.back().cpu[t];
    }
    auto series_of = [&](int32_t vm) -> const CpuSeries& {
        return series[static_cast<size_t>(std::lower_bound(on.begin(), on.end(), vm) - on.begin())];
    };

    std::vector<int32_t> pool = candidates(state, host, exclude);
    std::vector<int32_t> chosen;
    model::Resources load = state.load(host);
    const model::Resources& limit = state.limit(host);
    std::vector<double> x, y;
    while (!load.fits_within(limit) && !pool.empty()) {
        size_t best = 0;
        double best_r = -std::numeric_limits<double>::infinity();
        for (size_t i = 0; i < pool.size(); ++i) {
            const CpuSeries& s = series_of(pool[i]);
            double r = 0.0;
            if (s.own >= 2) {
                const size_t from = len - static_cast<size_t>(s.own);
                x.assign(s.cpu.begin() + static_cast<std::ptrdiff_t>(from), s.cpu.end());
                y.clear();
                for (size_t t = from; t < len; ++t) y.push_back(total[t] - s.cpu[t]);
                r = pearson(x, y);
            }
            if (r > best_r || (r == best_r && id_less(state, pool[i], pool[best]))) {
                best_r = r;
                best = i;
            }
        }
        const int32_t vm = pool[best];
        const CpuSeries& s = series_of(vm);
        for (size_t t = 0; t < len; ++t) total[t] -= s.cpu[t];
        chosen.push_back(vm);
        load -= state.demand(vm);
        pool.erase(pool.begin() + static_cast<std::ptrdiff_t>(best));
    }
    if (!load.fits_within(limit)) return {};
    return chosen;
}

std::vector<int32_t> HolisticSelection::select(const model::PlacementState& state, int32_t host,
                                               const std::vector<int32_t>& exclude,
                                               const PolicyContext& ctx) const {
    const model::Resources& load = state.load(host);
    const model::Resources& limit = state.limit(host);
    Need need{};
    for (int d = 0; d < model::kDims; ++d)
        need[static_cast<size_t>(d)] = std::max<int64_t>(0, load[d] - limit[d]);
    if (cleared(need)) return {};

    std::vector<Candidate> cands;
    for (int32_t vm : candidates(state, host, exclude)) {
        const model::Vm& v = state.fleet().vms[static_cast<size_t>(vm)];
        const double mib = mem_size_mib(state, vm);
        const double cost =
            ctx.cost != nullptr
                ? model::estimate_migration(mib, v.dirty_rate_mibps, *ctx.cost).seconds
                : mib;
        cands.push_back({vm, cost, v.demand});
    }
    std::sort(cands.begin(), cands.end(), [&](const Candidate& a, const Candidate& b) {
        if (a.cost != b.cost) return a.cost < b.cost;
        return id_less(state, a.vm, b.vm);
    });

    const std::optional<std::vector<size_t>> set =
        static_cast<int64_t>(cands.size()) <= exact_max_vms_
            ? ExactSubsetSearch(state, cands).run(need)
            : greedy_cover(cands, need, state.capacity(host));
    if (!set) return {};
    // Move order: cheapest first (the candidates' order).
    std::vector<int32_t> chosen;
    for (size_t i : *set) chosen.push_back(cands[i].vm);
    return chosen;
}

void register_extra_selections(Registries& r) {
    r.selections.add({"min-utilisation",
                      "",
                      "VMs with the least CPU demand relative to the host's capacity leave first "
                      "(CloudSim MU)",
                      {}},
                     [](const ParamValues&, const ConfigNode&, const Registries&) {
                         return ok(std::make_unique<MinUtilisationSelection>());
                     });
    r.selections.add({"random",
                      "",
                      "VMs leave in a random order drawn from (seed, round, host) until the host "
                      "fits (CloudSim RS)",
                      {}},
                     [](const ParamValues&, const ConfigNode&, const Registries&) {
                         return ok(std::make_unique<RandomSelection>());
                     });
    r.selections.add({"volume",
                      "",
                      "largest Sandpiper volume 1/(1-cpu)·1/(1-mem)·1/(1-net) of the host's "
                      "capacity first",
                      {}},
                     [](const ParamValues&, const ConfigNode&, const Registries&) {
                         return ok(std::make_unique<VolumeSelection>(VolumeOrder::kVolume));
                     });
    r.selections.add(
        {"volume-to-size", "", "largest Sandpiper volume per MiB of memory to copy first", {}},
        [](const ParamValues&, const ConfigNode&, const Registries&) {
            return ok(std::make_unique<VolumeSelection>(VolumeOrder::kVolumeToSize));
        });
    r.selections.add({"max-correlation",
                      "",
                      "the VM whose CPU history correlates most with the rest of the host first "
                      "(CloudSim MC; min-migration-time without history)",
                      {}},
                     [](const ParamValues&, const ConfigNode&, const Registries&) {
                         return ok(std::make_unique<MaxCorrelationSelection>());
                     });
    r.selections.add(
        {"holistic",
         "",
         "the cheapest set of VMs (estimated migration seconds) that clears every dimension's "
         "excess",
         {int_param("exact_max_vms", 16, 0, 20,
                    "exact search up to this many candidate VMs, greedy cost per excess above")}},
        [](const ParamValues& p, const ConfigNode&, const Registries&) {
            return ok(std::make_unique<HolisticSelection>(
                static_cast<int32_t>(p.integer("exact_max_vms"))));
        });
}

}  // namespace fp::policy
