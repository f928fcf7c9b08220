#include <algorithm>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "src/plan/passes.hpp"
#include "src/util/assert.hpp"

namespace fp::plan::detail {

using model::kNoHost;

namespace {

// The hottest and the coldest hosts of a group that a round looks at.
constexpr size_t kHot = 8;
constexpr size_t kCold = 8;
// An exchange tries the best few new moves, each against at most so many balance moves to
// take back.
constexpr size_t kExchangeMoves = 4;
constexpr int kUndoTries = 64;
// Sweeps over the greedy's balance moves at most (each stops when nothing changes).
constexpr int kSweeps = 3;

// The improvement phase after the greedy balance. Objective: per group of hosts (a site when
// sites bound the plan, else every host of the plan), the sum of squared deviations of the
// hosts' dominant-share utilisation from the group's mean, i.e. n·variance, the spread
// quality_bench reports as the standard deviation. Unlike the greedy's max − min, it counts
// every host brought nearer to the mean, not only the extremes.
class Balancer {
  public:
    Balancer(PlannerState& s, int64_t work_limit) : s_(s), meter_(work_limit) {
        per_site_ = s_.opt_.cross_site != CrossSite::kAllow && s_.sites_ > 1;
        const size_t groups = per_site_ ? static_cast<size_t>(s_.sites_) : 1;
        s1_.assign(groups, 0);
        n_.assign(groups, 0);
        order_.resize(groups);
        const size_t hosts = s_.allowed_.size();
        u_.assign(hosts, 0);
        in_.assign(hosts, 0);
        for (int32_t h : s_.state_.hosts_by_id()) {
            if (!s_.allowed_[static_cast<size_t>(h)]) continue;
            in_[static_cast<size_t>(h)] = 1;
            const double u = s_.state_.max_util(h);
            u_[static_cast<size_t>(h)] = u;
            const size_t g = group(h);
            s1_[g] += u;
            ++n_[g];
            order_[g].insert(key(h));
        }
        if (s_.opt_.balance_mem_frac >= 0)
            cap_kib_ = s_.opt_.balance_mem_frac * static_cast<double>(s_.total_mem_kib_);
        // A step must gain something: with balance_min_gain = 0 a move of no gain would copy
        // memory for nothing, and trades could swap back and forth until the work ran out.
        min_gain_ = std::max(s_.opt_.balance_min_gain * s_.opt_.balance_min_gain, 1e-12);
    }

    void run() {
        // Balance's contract: a fleet within balance_tolerance (max − min of each group) is
        // balanced; the phase neither starts on one nor goes on once it gets there.
        if (!balanced()) {
            for (int sweep = 0; sweep < kSweeps && !balanced(); ++sweep)
                if (!retarget_sweep()) break;
        }
        while (!meter_.exhausted() && !balanced()) {
            if (add_best_move()) continue;
            if (!exchange()) break;
        }
        s_.plan_.improve.work += meter_.used();
    }

  private:
    using Key = std::tuple<double, int32_t, int32_t>;  // (utilisation, id rank, host)

    bool balanced() const {
        for (const auto& hosts : order_)
            if (!hosts.empty() && std::get<0>(*hosts.rbegin()) - std::get<0>(*hosts.begin()) >
                                      s_.opt_.balance_tolerance)
                return false;
        return true;
    }

    size_t group(int32_t h) const {
        return per_site_ ? static_cast<size_t>(s_.site_of_[static_cast<size_t>(h)]) : 0;
    }
    Key key(int32_t h) const { return {u_[static_cast<size_t>(h)], s_.state_.id_rank(h), h}; }

    // Host h's dominant share with the VM's demand added (sign +1) or removed (sign -1).
    double util_with(int32_t h, int32_t vm, int64_t sign) const {
        double m = 0;
        for (int d = 0; d < model::kDims; ++d) {
            const int64_t cap = s_.state_.capacity(h)[d];
            if (cap <= 0) continue;
            const int64_t load = s_.state_.load(h)[d] + sign * s_.state_.demand(vm)[d];
            m = std::max(m, static_cast<double>(load) / static_cast<double>(cap));
        }
        return m;
    }

    // Change of the objective if vm moves from a to b (both of one group).
    double delta(int32_t vm, int32_t a, int32_t b) const {
        const size_t g = group(a);
        const double ua = u_[static_cast<size_t>(a)], ub = u_[static_cast<size_t>(b)];
        const double ua2 = util_with(a, vm, -1), ub2 = util_with(b, vm, +1);
        const double d1 = (ua2 - ua) + (ub2 - ub);
        const double d2 = (ua2 * ua2 - ua * ua) + (ub2 * ub2 - ub * ub);
        return d2 - (2 * s1_[g] * d1 + d1 * d1) / static_cast<double>(n_[g]);
    }

    // Host h's load changed in the placement state: its utilisation, the group sums and order.
    void changed(int32_t h) {
        if (!in_[static_cast<size_t>(h)]) return;
        const size_t g = group(h);
        order_[g].erase(key(h));
        const double old = u_[static_cast<size_t>(h)];
        const double u = s_.state_.max_util(h);
        s1_[g] += u - old;
        u_[static_cast<size_t>(h)] = u;
        order_[g].insert(key(h));
    }
    void shift(int32_t vm, int32_t to) {
        const int32_t from = s_.state_.host_of(vm);
        s_.state_.move(vm, to);
        changed(from);
        changed(to);
    }

    // The live move of a VM (nullptr if it has none).
    const Move* move_of(int32_t vm) const {
        const int32_t i = s_.move_index_[static_cast<size_t>(vm)];
        return i < 0 ? nullptr : &s_.plan_.moves[static_cast<size_t>(i)];
    }
    // A balance move that may be sent elsewhere (or home) instead.
    bool retargetable(int32_t vm) const {
        const Move* m = move_of(vm);
        return m && m->reason == MoveReason::kBalance && s_.can_retarget(vm);
    }
    // Memory a move of vm to t adds to the plan: its size for a first move, nothing for a
    // balance move sent elsewhere, minus its size for one sent home.
    int64_t extra_kib(int32_t vm, int32_t t) const {
        if (!s_.moved_[static_cast<size_t>(vm)]) return s_.mem_of(vm);
        return t == s_.start_host(vm) ? -s_.mem_of(vm) : 0;
    }
    int64_t extra_moves(int32_t vm, int32_t t) const {
        if (!s_.moved_[static_cast<size_t>(vm)]) return 1;
        return t == s_.start_host(vm) ? -1 : 0;
    }
    // Within the plan's budgets and balance's memory share, after `kib` more memory and `moves`
    // more migrations?
    bool affordable(int64_t moves, int64_t kib) const {
        if (!s_.within_budget(moves, kib)) return false;
        return cap_kib_ < 0 || static_cast<double>(s_.moved_mem_kib_ + kib) <= cap_kib_;
    }
    // May vm (on a host of the plan) go to t, as optional work and with room there?
    bool may_move(int32_t vm, int32_t t) {
        if (!in_[static_cast<size_t>(t)] || t == s_.state_.host_of(vm)) return false;
        if (!s_.state_.fits(vm, t)) return false;
        return s_.may_go(vm, t);
    }
    bool may_leave(int32_t vm) {
        if (s_.moved_[static_cast<size_t>(vm)]) return retargetable(vm);
        return s_.optional_ok(vm);
    }

    // Records the move in the plan (a first move, or a balance move sent elsewhere or home).
    void commit(int32_t vm, int32_t t) {
        const int32_t from = s_.state_.host_of(vm);
        ImproveStats& st = s_.plan_.improve;
        if (!s_.moved_[static_cast<size_t>(vm)]) {
            s_.record(vm, t, MoveReason::kBalance);
            ++st.moves_added;
            st.mem_added_kib += s_.mem_of(vm);
        } else {
            FP_ASSERT(s_.can_retarget(vm));
            if (t == s_.start_host(vm)) {
                ++st.moves_undone;
                st.mem_saved_kib += s_.mem_of(vm);
            } else {
                ++st.moves_retargeted;
            }
            s_.retarget(vm, t, MoveReason::kBalance);
        }
        changed(from);
        changed(t);
    }

    // The coldest hosts of a group, coldest first (ties: id order).
    std::vector<int32_t> coldest(size_t g) const {
        std::vector<int32_t> out;
        for (auto it = order_[g].begin(); it != order_[g].end() && out.size() < kCold; ++it)
            out.push_back(std::get<2>(*it));
        return out;
    }
    std::vector<int32_t> hottest(size_t g) const {
        std::vector<int32_t> out;
        for (auto it = order_[g].rbegin(); it != order_[g].rend() && out.size() < kHot; ++it)
            out.push_back(std::get<2>(*it));
        return out;
    }

    // Every balance move of the greedy plan, in plan order, goes where it lowers the objective
    // most: home (freeing its memory), or one of its group's coldest hosts. Free of memory.
    bool retarget_sweep() {
        bool changed_any = false;
        std::vector<int32_t> vms;
        for (size_t i = 0; i < s_.plan_.moves.size(); ++i)
            if (!s_.dead_[i] && s_.plan_.moves[i].reason == MoveReason::kBalance)
                vms.push_back(s_.plan_.moves[i].vm);
        for (int32_t vm : vms) {
            if (meter_.exhausted()) break;
            if (!retargetable(vm)) continue;
            const int32_t at = s_.state_.host_of(vm);
            std::vector<int32_t> targets = coldest(group(at));
            const int32_t home = s_.start_host(vm);
            if (home != kNoHost) targets.push_back(home);
            int32_t best = kNoHost;
            double best_delta = -1e-12;
            for (int32_t t : targets) {
                if (!meter_.charge()) break;
                if (group(t) != group(at) || !may_move(vm, t)) continue;
                const double d = delta(vm, at, t);
                if (d < best_delta) {
                    best_delta = d;
                    best = t;
                }
            }
            if (best != kNoHost) {
                commit(vm, best);
                changed_any = true;
            }
        }
        return changed_any;
    }

    struct Candidate {
        int32_t vm = -1, target = kNoHost;
        double delta = 0;
        int64_t kib = 0;
        // Better: one that adds no memory first (the larger drop), then the larger drop per
        // GiB; ties by the order found (hosts by utilisation and id, VMs in host order).
        bool better_than(const Candidate& o) const {
            if (o.vm < 0) return true;
            const bool free = kib <= 0, ofree = o.kib <= 0;
            if (free != ofree) return free;
            if (free) return delta < o.delta;
            const double gib = std::max(1.0, static_cast<double>(kib) / (1024.0 * 1024.0));
            const double ogib = std::max(1.0, static_cast<double>(o.kib) / (1024.0 * 1024.0));
            return delta / gib < o.delta / ogib;
        }
    };

    // The best `k` moves (best first) off one of the hottest hosts to one of the coldest of
    // their group that lower the objective by the minimum gain (a move that copies memory) or
    // at all (one that copies none), within the plan's budgets and, unless `ignore_cap`,
    // balance's memory share. `first_only`: only VMs the plan does not move yet.
    std::vector<Candidate> best_moves(size_t k, bool ignore_cap, bool first_only) {
        std::vector<Candidate> best;
        for (size_t g = 0; g < order_.size(); ++g) {
            const std::vector<int32_t> cold = coldest(g);
            for (int32_t h : hottest(g)) {
                for (int32_t vm : s_.state_.vms_on(h)) {
                    if ((first_only && s_.moved_[static_cast<size_t>(vm)]) || !may_leave(vm))
                        continue;
                    for (int32_t t : cold) {
                        if (!meter_.charge()) return best;
                        if (u_[static_cast<size_t>(t)] >= u_[static_cast<size_t>(h)]) break;
                        if (!may_move(vm, t)) continue;
                        const int64_t kib = extra_kib(vm, t);
                        if (!s_.within_budget(extra_moves(vm, t), kib)) continue;
                        if (!ignore_cap && !affordable(0, kib)) continue;
                        const double d = delta(vm, h, t);
                        if (d > (kib > 0 ? -min_gain_ : -1e-12)) continue;
                        const Candidate c{vm, t, d, kib};
                        auto at = std::find_if(best.begin(), best.end(), [&](const Candidate& o) {
                            return c.better_than(o);
                        });
                        if (at == best.end() && best.size() >= k) continue;
                        best.insert(at, c);
                        if (best.size() > k) best.pop_back();
                    }
                }
            }
        }
        return best;
    }

    bool add_best_move() {
        const std::vector<Candidate> c = best_moves(1, false, false);
        if (c.empty()) return false;
        commit(c[0].vm, c[0].target);
        return true;
    }

    // When no move fits the memory left: one of the kExchangeMoves best first moves (per GiB,
    // as if memory were left) replaces a balance move sent home that frees the memory it
    // needs, the balance move whose drop per GiB is smallest first; kept only if together they
    // lower the objective by the minimum gain (evaluated exactly, the undo applied first).
    bool exchange() {
        const std::vector<Candidate> wanted = best_moves(kExchangeMoves, true, true);
        if (wanted.empty()) return false;
        struct Undo {
            double per_gib, drop;
            int32_t order, vm;
        };
        std::vector<Undo> undos;
        for (size_t i = 0; i < s_.plan_.moves.size(); ++i) {
            if (s_.dead_[i] || s_.plan_.moves[i].reason != MoveReason::kBalance) continue;
            const int32_t vm = s_.plan_.moves[i].vm;
            const int32_t home = s_.start_host(vm);
            if (!meter_.charge()) return false;
            if (home == kNoHost || !retargetable(vm) || !may_move(vm, home)) continue;
            const int32_t at = s_.state_.host_of(vm);
            if (group(home) != group(at)) continue;
            const double gib =
                std::max(1.0, static_cast<double>(s_.mem_of(vm)) / (1024.0 * 1024.0));
            const double d = delta(vm, at, home);
            undos.push_back({d / gib, d, static_cast<int32_t>(i), vm});
        }
        std::sort(undos.begin(), undos.end(), [](const Undo& a, const Undo& b) {
            return a.per_gib != b.per_gib ? a.per_gib < b.per_gib : a.order < b.order;
        });
        for (const Candidate& c : wanted) {
            int tries = 0;
            for (const Undo& un : undos) {
                const int32_t x = un.vm;
                if (x == c.vm || !affordable(0, c.kib - s_.mem_of(x)))
                    continue;  // one move for another
                // The two hardly interact unless they share a host: skip what cannot gain.
                if (un.drop + c.delta > -min_gain_ / 2) continue;
                if (++tries > kUndoTries || !meter_.charge()) break;
                const int32_t at = s_.state_.host_of(x), home = s_.start_host(x);
                const int32_t from = s_.state_.host_of(c.vm);
                double total = delta(x, at, home);
                shift(x, home);
                const bool ok = may_move(c.vm, c.target);
                if (ok) total += delta(c.vm, from, c.target);
                shift(x, at);
                if (!ok || total > -min_gain_) continue;
                commit(x, home);
                commit(c.vm, c.target);
                return true;
            }
        }
        return false;
    }

    PlannerState& s_;
    WorkMeter meter_;
    bool per_site_ = false;
    std::vector<double> s1_;  // per group: sum of utilisations
    std::vector<int64_t> n_;  // per group: hosts
    std::vector<std::set<Key>> order_;
    std::vector<double> u_;    // per host: dominant share now
    std::vector<uint8_t> in_;  // per host: part of the objective and a possible target
    double cap_kib_ = -1;      // balance_mem_frac of all memory (-1: no cap)
    double min_gain_ = 0;      // balance_min_gain²: a move that copies memory must drop this
};

}  // namespace

void improve_balance(PlannerState& s, int64_t work_limit) {
    if (work_limit <= 0) return;
    Balancer(s, work_limit).run();
}

}  // namespace fp::plan::detail
