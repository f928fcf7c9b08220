#include "src/sim/cloudsim_chain.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <numeric>

#include "src/util/rng.hpp"
#include "src/util/statistics.hpp"
#include "src/util/text.hpp"

namespace fp::sim {

namespace {

// LRR: the robust local line (tricube weights towards the newest sample, one bisquare
// re-weighting) through (1, y_0), (2, y_1), ... CloudSim 3.0.3 computes the weights but, as no
// weight is ever <= 0, fits an unweighted line: its LRR equals its LR. This is the robust fit.
stats::Line robust_trend(const std::vector<double>& y) {
    std::vector<double> x(y.size());
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<double>(i + 1);
    const auto fit =
        stats::robust_line(x, y, stats::tricube_to_last(y.size()), 1, stats::ZeroScale::kKeepLine);
    return fit ? *fit : stats::least_squares(y);
}

}  // namespace

namespace {

constexpr size_t kHist = 30;
constexpr double kInShare = 0.1;  // CloudSim's share of a migrating VM's MIPS on its target

struct PHost {
    std::vector<int32_t> vms;
    std::vector<uint8_t> incoming;
    std::vector<double> alloc;
    double available = 0;
    double req_total = 0;  // Σ requested MIPS of the entries (for the detectors)
    double util = 0;       // CloudSim's getUtilizationOfCpuMips
    double max_ram = 0;    // largest VM memory on the host (LR's migration time)
    std::array<double, kHist> hist{};
    double ram_free = 0, bw_free = 0;
};

class CloudSimChain final : public Chain {
  public:
    CloudSimChain(std::string name, CloudSimChainParams p) : name_(std::move(name)), p_(p) {}
    std::string name() const override { return name_; }

    std::vector<Move> place_initial(const SimView& view) override {
        begin(view);
        std::vector<Move> out;
        const std::vector<uint8_t> none(hosts_.size(), 0);
        for (int32_t v = 0; v < view.sc.vms(); ++v) {
            if (view.st.vm_host[v] >= 0) continue;
            const int32_t h = find_host(v, none);
            if (h < 0) continue;
            create(h, v);
            out.push_back({v, h});
        }
        return out;
    }

    std::vector<Move> decide(const SimView& view) override {
        begin(view);
        const int32_t nh = view.sc.hosts();
        std::vector<uint8_t> over(nh, 0);
        std::vector<int32_t> over_list;
        for (int32_t h = 0; h < nh; ++h) {
            if (overloaded(h)) {
                over[h] = 1;
                over_list.push_back(h);
            }
        }
        // VMs leaving overloaded hosts, until each is no longer overloaded.
        std::vector<int32_t> leaving;
        for (int32_t h : over_list) {
            for (;;) {
                const int32_t v = select_vm(h);
                if (v < 0) break;
                leaving.push_back(v);
                destroy(h, v);
                if (!overloaded(h)) break;
            }
        }
        std::vector<Move> out;
        sort_by_utilisation(leaving);
        for (int32_t v : leaving) {
            const int32_t h = find_host(v, over);
            if (h < 0) continue;
            create(h, v);
            out.push_back({v, h});
        }
        consolidate(over, out);
        return out;
    }

  private:
    // ---- the tentative allocation ----
    void begin(const SimView& view) {
        view_ = &view;
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts();
        hosts_.assign(nh, PHost{});
        draws_ = 0;
        for (int32_t h = 0; h < nh; ++h) {
            PHost& ph = hosts_[h];
            const HostType& ty = sc.type_of(h);
            ph.ram_free = ty.ram_mb;
            ph.bw_free = ty.bw_mbps;
            for (int32_t v : view.st.host_vms[h]) {
                ph.vms.push_back(v);
                ph.incoming.push_back(0);
                ph.ram_free -= view.vm_mem_now[v];
                ph.bw_free -= sc.vm_bw_mbps[v];
            }
            for (int32_t v : view.st.host_in[h]) {
                ph.vms.push_back(v);
                ph.incoming.push_back(1);
                if (sc.memory == MemoryModel::kReserved) {
                    ph.ram_free -= view.vm_mem_now[v];
                    ph.bw_free -= sc.vm_bw_mbps[v];
                }
            }
            recompute(h);
        }
        // Hosts worth scanning: those holding a VM or in use. The others are empty and, per
        // type, interchangeable: only the lowest-index one of each type is a candidate.
        interesting_.clear();
        in_interesting_.assign(nh, 0);
        for (int32_t h = 0; h < nh; ++h) {
            if (!hosts_[h].vms.empty() || stale_util(h) != 0) {
                interesting_.push_back(h);
                in_interesting_[h] = 1;
            }
        }
        next_empty_.assign(sc.types.size(), 0);
        for (size_t t = 0; t < sc.types.size(); ++t) advance_empty(static_cast<int32_t>(t));
        // Under-utilised source candidates by (stale utilisation, index): CloudSim's scan for
        // the least-utilised host, without rescanning every host.
        by_util_.clear();
        for (int32_t h = 0; h < nh; ++h) {
            const double u = stale_util(h);
            if (u > 0 && u < 1) by_util_.push_back({u, h});
        }
        std::sort(by_util_.begin(), by_util_.end());
    }

    void advance_empty(int32_t type) {
        const Scenario& sc = view_->sc;
        int32_t& h = next_empty_[type];
        while (h < sc.hosts() && (sc.host_type[h] != type || in_interesting_[h])) ++h;
    }

    void touch(int32_t h) {
        if (in_interesting_[h]) return;
        in_interesting_[h] = 1;
        interesting_.insert(std::lower_bound(interesting_.begin(), interesting_.end(), h), h);
        advance_empty(view_->sc.host_type[h]);
    }

    double req(int32_t v) const { return view_->vm_req_now[v]; }

    // Memory and bandwidth are checked while VMs are created (CloudSim), or always (kReserved).
    bool counts_memory() const {
        return view_->instantiation || view_->sc.memory == MemoryModel::kReserved;
    }

    double capped(int32_t h, int32_t v) const {
        const Scenario& sc = view_->sc;
        return std::min(req(v) / sc.vm_pes[v], sc.type_of(h).pe_mips) * sc.vm_pes[v];
    }

    void recompute(int32_t h) {
        PHost& ph = hosts_[h];
        const double cap = view_->sc.type_of(h).mips();
        ph.alloc.assign(ph.vms.size(), 0);
        double available = cap, total = 0;
        bool over = false;
        ph.req_total = 0;
        for (size_t i = 0; i < ph.vms.size(); ++i) {
            const double c = capped(h, ph.vms[i]);
            const double w = ph.incoming[i] ? kInShare * c : c;
            total += w;
            if (!view_->instantiation) ph.req_total += req(ph.vms[i]);
            if (!over && available >= w) {
                ph.alloc[i] = w;
                available -= w;
            } else {
                over = true;
            }
        }
        if (over) {
            const double s = cap / total;
            for (size_t i = 0; i < ph.vms.size(); ++i) {
                const double c = capped(h, ph.vms[i]);
                ph.alloc[i] = std::floor((ph.incoming[i] ? kInShare * c : c) * s);
            }
            available = 0;
        }
        ph.available = available;
        ph.util = 0;
        ph.max_ram = 0;
        for (size_t i = 0; i < ph.vms.size(); ++i) {
            if (ph.incoming[i]) ph.util += ph.alloc[i] * (1 - kInShare) / kInShare;
            ph.util += ph.alloc[i];
            ph.max_ram = std::max(ph.max_ram, view_->sc.vm_ram_mb[ph.vms[i]]);
        }
        recompute_history(h);
    }

    void recompute_history(int32_t h) {
        PHost& ph = hosts_[h];
        ph.hist.fill(0);
        const double host_mips = view_->sc.type_of(h).mips();
        for (int32_t v : ph.vms) add_history(ph.hist, v, host_mips);
    }

    void add_history(std::array<double, kHist>& hist, int32_t v, double host_mips) const {
        const auto& vh = view_->st.vm_hist[v];
        const double mips = view_->sc.vm_mips[v];
        for (size_t i = 0; i < vh.size() && i < kHist; ++i) hist[i] += vh[i] * mips / host_mips;
    }

    // Adding a VM the way CloudSim's vmCreate does: allocate if it fits, else scale everyone.
    void create(int32_t h, int32_t v) {
        touch(h);
        PHost& ph = hosts_[h];
        const Scenario& sc = view_->sc;
        ph.vms.push_back(v);
        ph.incoming.push_back(0);
        const double c = capped(h, v);
        // While VMs are being created, the ones already created request nothing yet.
        if (!view_->instantiation) ph.req_total += req(v);
        if (counts_memory()) {
            ph.ram_free -= view_->vm_mem_now[v];
            ph.bw_free -= sc.vm_bw_mbps[v];
        }
        if (ph.available >= c) {
            ph.alloc.push_back(c);
            ph.available -= c;
            ph.util += c;
            ph.max_ram = std::max(ph.max_ram, sc.vm_ram_mb[v]);
            add_history(ph.hist, v, sc.type_of(h).mips());
        } else {
            recompute(h);
        }
    }

    void destroy(int32_t h, int32_t v) {
        PHost& ph = hosts_[h];
        const Scenario& sc = view_->sc;
        for (size_t i = 0; i < ph.vms.size(); ++i) {
            if (ph.vms[i] == v && !ph.incoming[i]) {
                ph.vms.erase(ph.vms.begin() + static_cast<std::ptrdiff_t>(i));
                ph.incoming.erase(ph.incoming.begin() + static_cast<std::ptrdiff_t>(i));
                break;
            }
        }
        if (counts_memory()) {
            ph.ram_free += view_->vm_mem_now[v];
            ph.bw_free += sc.vm_bw_mbps[v];
        }
        recompute(h);
    }

    // CloudSim's getUtilizationOfCpuMips: allocated MIPS, a migrating-in VM at its full share.
    double util_mips(int32_t h) const { return hosts_[h].util; }

    bool suitable(int32_t h, int32_t v) const {
        const Scenario& sc = view_->sc;
        const HostType& ty = sc.type_of(h);
        const PHost& ph = hosts_[h];
        const double r = req(v);
        if (!sc.accepts(h)) return false;
        if (ty.pe_mips < r / sc.vm_pes[v]) return false;
        if (ph.available < r) return false;
        if (counts_memory()) {
            if (ph.ram_free < view_->vm_mem_now[v] || ph.bw_free < sc.vm_bw_mbps[v]) return false;
        }
        return true;
    }

    // ---- overload detection ----
    static size_t trimmed_length(const std::array<double, kHist>& hist) {
        size_t n = kHist;
        while (n > 0 && hist[n - 1] == 0) --n;
        return n;
    }

    bool threshold_over(double req_total, double cap, double thr) const {
        return req_total / cap > thr;
    }

    // max_ram_mb: the largest VM memory on the host (LR forecasts one migration time ahead).
    bool overloaded_with(const std::array<double, kHist>& hist, double req_total, int32_t h,
                         double max_ram_mb) const {
        const Scenario& sc = view_->sc;
        const double cap = sc.type_of(h).mips();
        const size_t n = trimmed_length(hist);
        switch (p_.detector) {
            case Detector::kThr:
                return threshold_over(req_total, cap, p_.parameter);
            case Detector::kMad:
            case Detector::kIqr: {
                if (n < 12) return threshold_over(req_total, cap, p_.fallback_threshold);
                std::array<double, kHist> data = hist;
                double spread;
                if (p_.detector == Detector::kMad) {
                    spread = stats::median_absolute_deviation_in_place(data.data(), n);
                } else {
                    std::sort(data.begin(), data.begin() + static_cast<std::ptrdiff_t>(n));
                    spread = stats::rounded_rank_iqr_sorted(data.data(), n);
                }
                return threshold_over(req_total, cap, 1 - p_.parameter * spread);
            }
            case Detector::kLr:
            case Detector::kLrr: {
                constexpr size_t kLen = 10;
                if (n < kLen) return threshold_over(req_total, cap, p_.fallback_threshold);
                std::vector<double> y(kLen);
                for (size_t i = 0; i < kLen; ++i) y[i] = hist[kLen - i - 1];
                const stats::Line est =
                    p_.detector == Detector::kLr ? stats::least_squares(y) : robust_trend(y);
                const HostType& ty = sc.type_of(h);
                const double max_mig = max_ram_mb / (ty.bw_mbps * sc.migration_bw_share / 8.0);
                const double steps = std::ceil(max_mig / static_cast<double>(sc.interval_s));
                const double predicted = est.at(static_cast<double>(kLen) + steps) * p_.parameter;
                return predicted >= 1;
            }
        }
        return false;
    }

    bool overloaded(int32_t h) const {
        const PHost& ph = hosts_[h];
        return overloaded_with(ph.hist, ph.req_total, h, ph.max_ram);
    }

    // isHostOverUtilizedAfterAllocation, without touching the host.
    bool overloaded_after(int32_t h, int32_t v) {
        const PHost& ph = hosts_[h];
        std::array<double, kHist> hist = ph.hist;
        add_history(hist, v, view_->sc.type_of(h).mips());
        return overloaded_with(hist, ph.req_total + req(v), h,
                               std::max(ph.max_ram, view_->sc.vm_ram_mb[v]));
    }

    // ---- placement (PABFD) ----
    double stale_util(int32_t h) const {
        double u = view_->st.host_util_mips[h] / view_->sc.type_of(h).mips();
        if (u > 1 && u < 1.01) u = 1;
        return u;
    }

    int32_t find_host(int32_t v, const std::vector<uint8_t>& excluded) {
        const Scenario& sc = view_->sc;
        const int32_t nh = sc.hosts();
        double min_power = std::numeric_limits<double>::max();
        int32_t best = -1;
        std::vector<uint8_t> empty_type_seen(sc.types.size(), 0);
        candidates_.assign(interesting_.begin(), interesting_.end());
        for (int32_t h : next_empty_) {
            if (h < nh)
                candidates_.insert(std::lower_bound(candidates_.begin(), candidates_.end(), h), h);
        }
        for (int32_t h : candidates_) {
            if (excluded[h]) continue;
            const PHost& ph = hosts_[h];
            const bool empty = ph.vms.empty() && stale_util(h) == 0;
            if (empty) {
                // Empty hosts of one type are identical candidates: the first one decides.
                if (empty_type_seen[sc.host_type[h]]) continue;
                empty_type_seen[sc.host_type[h]] = 1;
            }
            if (!suitable(h, v)) continue;
            const double um = util_mips(h);
            const HostType& ty = sc.type_of(h);
            const double after = (um + req(v)) / ty.mips();
            if (after > 1) continue;  // CloudSim's power model refuses it
            const double now = stale_util(h);
            if (now > 1) continue;
            const double diff = ty.power.at(after) - ty.power.at(now);
            // CloudSim tests the overload first; testing it only for a host that would win
            // chooses the same host at a fraction of the cost.
            if (diff >= min_power) continue;
            if (um != 0 && overloaded_after(h, v)) continue;
            min_power = diff;
            best = h;
        }
        return best;
    }

    void sort_by_utilisation(std::vector<int32_t>& vms) const {
        std::stable_sort(vms.begin(), vms.end(),
                         [&](int32_t a, int32_t b) { return req(a) > req(b); });
    }

    // ---- VM selection ----
    bool migratable(int32_t h, size_t i) const {
        return !hosts_[h].incoming[i] && view_->st.vm_moving[hosts_[h].vms[i]] == 0;
    }

    int32_t select_vm(int32_t h) {
        const PHost& ph = hosts_[h];
        std::vector<int32_t> cand;
        for (size_t i = 0; i < ph.vms.size(); ++i) {
            if (migratable(h, i)) cand.push_back(ph.vms[i]);
        }
        if (cand.empty()) return -1;
        switch (p_.selection) {
            case VmChoice::kMmt:
                return min_ram(cand);
            case VmChoice::kMu: {
                int32_t best = -1;
                double m = std::numeric_limits<double>::max();
                for (int32_t v : cand) {
                    const double u = req(v) / view_->sc.vm_mips[v];
                    if (u < m) {
                        m = u;
                        best = v;
                    }
                }
                return best;
            }
            case VmChoice::kRs: {
                CounterRng rng(p_.seed, 0x5253 /* "RS" */,
                               static_cast<uint64_t>(view_->tick) * 1000003ULL + draws_++);
                return cand[rng.below(cand.size())];
            }
            case VmChoice::kMc:
                return max_correlation(cand);
        }
        return -1;
    }

    int32_t min_ram(const std::vector<int32_t>& cand) const {
        int32_t best = -1;
        double m = std::numeric_limits<double>::max();
        for (int32_t v : cand) {
            if (view_->sc.vm_ram_mb[v] < m) {
                m = view_->sc.vm_ram_mb[v];
                best = v;
            }
        }
        return best;
    }

    // MC: the VM whose history is best explained by the others' (largest R² of a multiple linear
    // regression); MMT when the histories are too short for the regression.
    int32_t max_correlation(const std::vector<int32_t>& cand) const {
        const size_t m = cand.size();
        size_t n = kHist;
        for (int32_t v : cand) n = std::min(n, view_->st.vm_hist[v].size());
        const size_t p = m;  // m-1 regressors + intercept
        if (m < 2 || n <= p) return min_ram(cand);
        // The Gram matrix of [1, x_1 .. x_m] once; each VM's regression on the others is then a
        // sub-system of it.
        const size_t g = m + 1;
        std::vector<double> gram(g * g, 0), z(g);
        for (size_t s = 0; s < n; ++s) {
            z[0] = 1;
            for (size_t j = 0; j < m; ++j) z[j + 1] = view_->st.vm_hist[cand[j]][s];
            for (size_t r = 0; r < g; ++r) {
                for (size_t q = r; q < g; ++q) gram[r * g + q] += z[r] * z[q];
            }
        }
        for (size_t r = 0; r < g; ++r) {
            for (size_t q = 0; q < r; ++q) gram[r * g + q] = gram[q * g + r];
        }
        // CloudSim starts from Double.MIN_VALUE with a strict >: the first VM wins when no R² is
        // positive.
        int32_t best = cand[0];
        double best_r2 = std::numeric_limits<double>::denorm_min();
        std::vector<size_t> cols(p);
        std::vector<double> a(p * p), rhs(p), b;
        for (size_t i = 0; i < m; ++i) {
            const size_t yi = i + 1;
            size_t c = 0;
            for (size_t k = 0; k < g; ++k) {
                if (k != yi) cols[c++] = k;
            }
            for (size_t r = 0; r < p; ++r) {
                rhs[r] = gram[cols[r] * g + yi];
                for (size_t q = 0; q < p; ++q) a[r * p + q] = gram[cols[r] * g + cols[q]];
            }
            if (!solve(a, rhs, p, b)) return min_ram(cand);
            const double yy = gram[yi * g + yi], sy = gram[yi];
            double fit = 0;
            for (size_t r = 0; r < p; ++r) fit += b[r] * rhs[r];
            const double ss_tot = yy - sy * sy / static_cast<double>(n);
            const double ss_res = yy - fit;
            const double r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : 0;
            if (r2 > best_r2) {
                best_r2 = r2;
                best = cand[i];
            }
        }
        return best;
    }

    static bool solve(std::vector<double> a, std::vector<double> b, size_t p,
                      std::vector<double>& x) {
        for (size_t c = 0; c < p; ++c) {
            size_t piv = c;
            for (size_t r = c + 1; r < p; ++r) {
                if (std::abs(a[r * p + c]) > std::abs(a[piv * p + c])) piv = r;
            }
            if (std::abs(a[piv * p + c]) < 1e-12) return false;
            if (piv != c) {
                for (size_t q = 0; q < p; ++q) std::swap(a[c * p + q], a[piv * p + q]);
                std::swap(b[c], b[piv]);
            }
            for (size_t r = c + 1; r < p; ++r) {
                const double f = a[r * p + c] / a[c * p + c];
                for (size_t q = c; q < p; ++q) a[r * p + q] -= f * a[c * p + q];
                b[r] -= f * b[c];
            }
        }
        x.assign(p, 0);
        for (size_t c = p; c-- > 0;) {
            double s = b[c];
            for (size_t q = c + 1; q < p; ++q) s -= a[c * p + q] * x[q];
            x[c] = s / a[c * p + c];
        }
        return true;
    }

    // ---- consolidation of under-utilised hosts ----
    bool all_migrating_out_or_any_in(int32_t h) const {
        const PHost& ph = hosts_[h];
        for (size_t i = 0; i < ph.vms.size(); ++i) {
            const bool in_migration = ph.incoming[i] || view_->st.vm_moving[ph.vms[i]] > 0;
            if (!in_migration) return false;
            if (ph.incoming[i]) return true;
        }
        return true;
    }

    void consolidate(const std::vector<uint8_t>& over, std::vector<Move>& out) {
        const int32_t nh = view_->sc.hosts();
        std::vector<uint8_t> no_source(over), no_target(over);
        int32_t excluded = 0;
        for (int32_t h = 0; h < nh; ++h) {
            if (stale_util(h) == 0) {  // CloudSim's "switched off" hosts
                no_source[h] = 1;
                no_target[h] = 1;
            }
            excluded += no_source[h];
        }
        std::vector<Move> placed;
        while (excluded < nh) {
            int32_t src = -1;
            for (const auto& [u, h] : by_util_) {
                if (!no_source[h] && !all_migrating_out_or_any_in(h)) {
                    src = h;
                    break;
                }
            }
            if (src < 0) break;
            no_source[src] = 1;
            ++excluded;
            no_target[src] = 1;
            std::vector<int32_t> vms;
            const PHost& ps = hosts_[src];
            for (size_t i = 0; i < ps.vms.size(); ++i) {
                if (!(ps.incoming[i] || view_->st.vm_moving[ps.vms[i]] > 0))
                    vms.push_back(ps.vms[i]);
            }
            if (vms.empty()) continue;
            sort_by_utilisation(vms);
            placed.clear();
            bool all = true;
            for (int32_t v : vms) {
                const int32_t h = find_host(v, no_target);
                if (h < 0) {
                    all = false;
                    break;
                }
                create(h, v);
                placed.push_back({v, h});
            }
            if (!all) {
                for (const Move& m : placed) destroy(m.host, m.vm);
                continue;
            }
            for (const Move& m : placed) {
                if (!no_source[m.host]) {
                    no_source[m.host] = 1;
                    ++excluded;
                }
                out.push_back(m);
            }
        }
    }

    std::string name_;
    CloudSimChainParams p_;
    const SimView* view_ = nullptr;
    std::vector<PHost> hosts_;
    uint64_t draws_ = 0;
    std::vector<int32_t> interesting_, candidates_, next_empty_;
    std::vector<uint8_t> in_interesting_;
    std::vector<std::pair<double, int32_t>> by_util_;
};

}  // namespace

std::unique_ptr<Chain> make_cloudsim_chain(const std::string& name, const CloudSimChainParams& p) {
    return std::make_unique<CloudSimChain>(name, p);
}

const std::vector<std::string>& cloudsim_chain_names() {
    static const std::vector<std::string> names{"thr-mmt", "iqr-mmt", "mad-mmt", "lr-mmt",
                                                "lrr-mmt", "lr-mc",   "lr-rs",   "lr-mu"};
    return names;
}

Result<CloudSimChainParams> cloudsim_chain_params(const std::string& name, uint64_t seed) {
    CloudSimChainParams p;
    p.seed = seed;
    const auto dash = name.find('-');
    const std::string det = name.substr(0, dash);
    const std::string sel = dash == std::string::npos ? "" : name.substr(dash + 1);
    if (det == "thr") {
        p.detector = Detector::kThr;
        p.parameter = 0.8;
    } else if (det == "iqr") {
        p.detector = Detector::kIqr;
        p.parameter = 1.5;
    } else if (det == "mad") {
        p.detector = Detector::kMad;
        p.parameter = 2.5;
    } else if (det == "lr") {
        p.detector = Detector::kLr;
        p.parameter = 1.2;
    } else if (det == "lrr") {
        p.detector = Detector::kLrr;
        p.parameter = 1.2;
    }
    const bool det_ok = det == "thr" || det == "iqr" || det == "mad" || det == "lr" || det == "lrr";
    const bool sel_ok = sel == "mmt" || sel == "mc" || sel == "rs" || sel == "mu";
    if (!det_ok || !sel_ok) {
        std::string list;
        for (const auto& n : cloudsim_chain_names()) list += (list.empty() ? "" : ", ") + n;
        return bad_input("unknown policy chain " + in_quotes(name) + " (valid: " + list +
                         ", best; or DETECTOR-SELECTION with detector thr, iqr, mad, lr, lrr and "
                         "selection mmt, mc, rs, mu)");
    }
    p.selection = sel == "mmt"  ? VmChoice::kMmt
                  : sel == "mc" ? VmChoice::kMc
                  : sel == "rs" ? VmChoice::kRs
                                : VmChoice::kMu;
    return p;
}

}  // namespace fp::sim
