#include "src/sim/best_chain.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <tuple>

#include "src/sim/byte_codec.hpp"

namespace fp::sim {
namespace {

class BestChain final : public Chain {
  public:
    explicit BestChain(BestChainParams p) : p_(p) {}
    std::string name() const override { return "best"; }

    void save(ByteWriter& w) const override { w.put_vec(last_moved_); }
    void load(ByteReader& r) override {
        last_moved_ = r.get_vec<int32_t>();
        // A tick, or "never" (found by the fuzzer: a forged value overflowed tick - last).
        for (int32_t t : last_moved_)
            if (t != kNever && t < 0) r.fail();
    }

    std::vector<Move> place_initial(const SimView& view) override {
        setup(view);
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts();
        // Creation reserves each VM's full MIPS, RAM and bandwidth (the preset's instantiation
        // rule, the same for every chain). First fit over the hosts in power-efficiency order:
        // decreasing memory keeps the VMs on few, efficient hosts; increasing memory
        // (BestStart::kMostVms) puts the most VMs on the first hosts, which the first
        // consolidation then keeps, so fewer VMs move.
        std::vector<double> mips_free(nh), ram_free(nh), bw_free(nh);
        for (int32_t h = 0; h < nh; ++h) {
            const HostType& ty = sc.type_of(h);
            mips_free[h] = ty.mips();
            ram_free[h] = ty.ram_mb;
            bw_free[h] = ty.bw_mbps;
            for (int32_t v : view.st.host_vms[h]) {
                mips_free[h] -= sc.vm_mips[v];
                ram_free[h] -= view.vm_mem_now[v];
                bw_free[h] -= sc.vm_bw_mbps[v];
            }
        }
        std::vector<int32_t> vms;
        for (int32_t v = 0; v < sc.vms(); ++v) {
            if (view.st.vm_host[v] < 0) vms.push_back(v);
        }
        const bool most_vms = p_.start == BestStart::kMostVms;
        std::stable_sort(vms.begin(), vms.end(), [&](int32_t a, int32_t b) {
            if (view.vm_mem_now[a] != view.vm_mem_now[b])
                return most_vms ? view.vm_mem_now[a] < view.vm_mem_now[b]
                                : view.vm_mem_now[a] > view.vm_mem_now[b];
            return sc.vm_mips[a] > sc.vm_mips[b];
        });
        std::vector<Move> out;
        for (int32_t v : vms) {
            for (int32_t h : efficient_order_) {
                const HostType& ty = sc.type_of(h);
                if (!sc.accepts(h)) continue;
                if (sc.vm_mips[v] / sc.vm_pes[v] > ty.pe_mips) continue;
                if (mips_free[h] < sc.vm_mips[v] || ram_free[h] < view.vm_mem_now[v] ||
                    bw_free[h] < sc.vm_bw_mbps[v])
                    continue;
                mips_free[h] -= sc.vm_mips[v];
                ram_free[h] -= view.vm_mem_now[v];
                bw_free[h] -= sc.vm_bw_mbps[v];
                out.push_back({v, h});
                break;
            }
        }
        return out;
    }

    std::vector<Move> decide(const SimView& view) override {
        setup(view);
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts(), nv = sc.vms();
        // Forecasts and the load they put on each host (VMs arriving count on their target).
        fc_.assign(nv, 0);
        for (int32_t v = 0; v < nv; ++v) fc_[v] = forecast(view, v);
        mem_.assign(nv, 0);
        for (int32_t v = 0; v < nv; ++v) mem_[v] = mem_forecast(view, v);
        jump_.assign(nv, 0);
        if (host_jump(sc))
            for (int32_t v = 0; v < nv; ++v) jump_[v] = mem_jump(view, v);
        mem_vms_.assign(nh, {});
        load_.assign(nh, 0);
        now_.assign(nh, 0);
        ram_used_.assign(nh, 0);
        vms_.assign(nh, {});
        core_hot_.assign(nh, 0);
        for (int32_t h = 0; h < nh; ++h) {
            const HostType& ty = sc.type_of(h);
            for (int32_t v : view.st.host_vms[h]) {
                if (view.st.vm_moving[v] > 0) {
                    // Leaving: its load counts on the target, its memory on both until it is done.
                    ram_used_[h] += mem_[v];
                    mem_vms_[h].push_back(v);
                    continue;
                }
                vms_[h].push_back(v);
                load_[h] += fc_[v];
                now_[h] += view.vm_req_now[v];
                ram_used_[h] += mem_[v];
                mem_vms_[h].push_back(v);
                if (core_relievable(view, v, ty)) core_hot_[h] = 1;
            }
            for (int32_t v : view.st.host_in[h]) {
                load_[h] += fc_[v];
                now_[h] += view.vm_req_now[v];
                ram_used_[h] += mem_[v];
                mem_vms_[h].push_back(v);
            }
        }
        std::vector<Move> out;
        received_.assign(nh, 0);
        relieve_hotspots(view, out);
        consolidate(view, out);
        for (const Move& m : out) last_moved_[m.vm] = view.tick;
        return out;
    }

  private:
    void setup(const SimView& view) {
        const Scenario& sc = view.sc;
        if (static_cast<int32_t>(last_moved_.size()) != sc.vms())
            last_moved_.assign(sc.vms(), kNever);
        if (static_cast<int32_t>(efficient_order_.size()) != sc.hosts()) {
            max_pe_mips_ = 0;
            for (int32_t h = 0; h < sc.hosts(); ++h)
                max_pe_mips_ = std::max(max_pe_mips_, sc.type_of(h).pe_mips);
            efficient_order_.resize(sc.hosts());
            std::iota(efficient_order_.begin(), efficient_order_.end(), 0);
            std::stable_sort(efficient_order_.begin(), efficient_order_.end(),
                             [&](int32_t a, int32_t b) {
                                 return watts_per_mips(sc, a) < watts_per_mips(sc, b);
                             });
        }
    }

    // A VM asking more than a core of its host, where a host with faster cores exists: moving it
    // there serves more of it. With no faster core anywhere (identical hosts, as on fleets built
    // from one host type) a move serves nothing more, so such a VM is not a reason to move.
    bool core_relievable(const SimView& view, int32_t v, const HostType& ty) const {
        return view.vm_req_now[v] / view.sc.vm_pes[v] > ty.pe_mips && ty.pe_mips < max_pe_mips_;
    }

    static double watts_per_mips(const Scenario& sc, int32_t h) {
        const HostType& ty = sc.type_of(h);
        return ty.power.watts[10] / ty.mips();
    }

    // The VM's demand to plan for (MIPS).
    double forecast(const SimView& view, int32_t v) const {
        const auto& hist = view.st.vm_hist[v];  // newest first, hist[0] is now
        const double now = view.vm_req_now[v] / view.sc.vm_mips[v];
        const size_t n = std::min<size_t>(hist.size(), static_cast<size_t>(p_.window));
        double q = now;
        if (n > 0) {
            std::vector<double> w(hist.begin(), hist.begin() + static_cast<std::ptrdiff_t>(n));
            std::sort(w.begin(), w.end());
            const double pos = p_.quantile * static_cast<double>(n - 1);
            const auto lo = static_cast<size_t>(std::floor(pos));
            const size_t hi = std::min(n - 1, lo + 1);
            q = std::max(q, w[lo] + (w[hi] - w[lo]) * (pos - static_cast<double>(lo)));
        }
        if (n < static_cast<size_t>(p_.window)) {
            const double missing =
                static_cast<double>(static_cast<size_t>(p_.window) - n) / p_.window;
            q *= 1 + p_.short_history_widen * missing;
        }
        return std::min(1.0, q) * view.sc.vm_mips[v];
    }

    // The VM's memory to plan for (MiB): under kPeak the largest demand at its last `window`
    // samples, now included; under kHostJump its current demand (the host adds the headroom).
    // 0 under CloudSim's memory model, where running VMs reserve none.
    double mem_forecast(const SimView& view, int32_t v) const {
        const Scenario& sc = view.sc;
        if (sc.memory != MemoryModel::kReserved) return 0;
        if (p_.mem_rule == BestMemRule::kHostJump) return sc.mem_demand_mb(v, view.t);
        return sc.mem_peak_mb(v, view.t, p_.mem_window);
    }

    // How far (MiB) the VM may rise soon, from its last `mem_window` samples (now included, as
    // in mem_peak_mb): the larger of its largest rise from one sample to the next and how far
    // it stands below its peak (a VM that fell may come back at once); 0 if flat.
    double mem_jump(const SimView& view, int32_t v) const {
        const Scenario& sc = view.sc;
        const double step = sc.sample_step_s();
        const double now = sc.mem_demand_mb(v, view.t);
        double jump = 0, later = now;
        for (int32_t i = 1; i < p_.mem_window && view.t - i * step >= 0; ++i) {
            const double earlier = sc.mem_demand_mb(v, view.t - i * step);
            jump = std::max({jump, later - earlier, earlier - now});
            later = earlier;
        }
        return jump;
    }

    bool memory_counts(const Scenario& sc) const { return sc.memory == MemoryModel::kReserved; }
    bool host_jump(const Scenario& sc) const {
        return memory_counts(sc) && p_.mem_rule == BestMemRule::kHostJump;
    }

    // kHostJump: the sum of the mem_jumps largest rises among the VMs whose memory counts on h,
    // and `extra` (a VM that would arrive; -1: none). 0 under kPeak.
    double headroom(const Scenario& sc, int32_t h, int32_t extra = -1) const {
        if (!host_jump(sc)) return 0;
        top_.clear();
        for (int32_t v : mem_vms_[h]) top_.push_back(jump_[v]);
        if (extra >= 0) top_.push_back(jump_[extra]);
        const size_t k = std::min(top_.size(), static_cast<size_t>(p_.mem_jumps));
        std::partial_sort(top_.begin(), top_.begin() + static_cast<std::ptrdiff_t>(k), top_.end(),
                          std::greater<>());
        double sum = 0;
        for (size_t i = 0; i < k; ++i) sum += top_[i];
        return sum;
    }

    bool fits(const SimView& view, int32_t h, int32_t v, double line) const {
        const Scenario& sc = view.sc;
        const HostType& ty = sc.type_of(h);
        if (!sc.accepts(h)) return false;
        if (fc_[v] / sc.vm_pes[v] > ty.pe_mips) return false;
        if (load_[h] + fc_[v] > line * ty.mips()) return false;
        if (now_[h] + view.vm_req_now[v] > line * ty.mips()) return false;
        if (memory_counts(sc) &&
            ram_used_[h] + mem_[v] + headroom(sc, h, v) > p_.mem_pack * ty.ram_mb)
            return false;
        return true;
    }

    // The best-fitting active host (fullest after the move), else the most efficient empty one.
    int32_t target(const SimView& view, int32_t v, double line, const std::vector<uint8_t>& banned,
                   bool may_open) const {
        const Scenario& sc = view.sc;
        int32_t best = -1;
        double best_fill = -1;
        for (int32_t h : efficient_order_) {
            if (banned[h] || !occupied(view, h)) continue;
            if (!fits(view, h, v, line)) continue;
            const double fill = (load_[h] + fc_[v]) / sc.type_of(h).mips();
            if (fill > best_fill) {
                best_fill = fill;
                best = h;
            }
        }
        if (best >= 0 || !may_open) return best;
        for (int32_t h : efficient_order_) {
            if (banned[h] || occupied(view, h)) continue;
            if (fits(view, h, v, line)) return h;
        }
        return -1;
    }

    // A host that runs, receives or is about to receive a VM (it is on).
    // Of the VMs that pass `ok`, the one with the smallest key (the first of equal ones); -1: none.
    template <typename Ok, typename Key>
    static int32_t least(const std::vector<int32_t>& vms, Ok ok, Key key) {
        int32_t pick = -1;
        double best = 0;
        for (int32_t v : vms) {
            if (!ok(v)) continue;
            const double k = key(v);
            if (pick < 0 || k < best) {
                best = k;
                pick = v;
            }
        }
        return pick;
    }

    // How far the host's memory forecast is above line × its memory, as a share of its memory
    // (<= 0: not above; always 0 when memory does not count).
    double mem_over(const Scenario& sc, int32_t h, double line) const {
        if (!memory_counts(sc)) return 0;
        const double ram = sc.type_of(h).ram_mb;
        return ram > 0 ? (ram_used_[h] + headroom(sc, h) - line * ram) / ram : 0;
    }

    bool occupied(const SimView& view, int32_t h) const {
        return !view.st.host_vms[h].empty() || !view.st.host_in[h].empty() || received_[h];
    }

    void move(const SimView& view, int32_t v, int32_t from, int32_t to, std::vector<Move>& out) {
        out.push_back({v, to});
        shift(view, v, from, to);
        received_[to] = 1;
    }

    // Moves v's planned load from one host to another.
    void shift(const SimView& view, int32_t v, int32_t from, int32_t to) {
        auto& l = vms_[from];
        l.erase(std::find(l.begin(), l.end(), v));
        load_[from] -= fc_[v];
        now_[from] -= view.vm_req_now[v];
        ram_used_[from] -= mem_[v];
        auto& m = mem_vms_[from];
        m.erase(std::find(m.begin(), m.end(), v));
        vms_[to].push_back(v);
        load_[to] += fc_[v];
        now_[to] += view.vm_req_now[v];
        ram_used_[to] += mem_[v];
        mem_vms_[to].push_back(v);
    }

    void relieve_hotspots(const SimView& view, std::vector<Move>& out) {
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts();
        std::vector<std::pair<double, int32_t>> hot;
        for (int32_t h = 0; h < nh; ++h) {
            const double cap = sc.type_of(h).mips();
            const double excess =
                std::max(now_[h] - p_.hot_now * cap, load_[h] - p_.hot_forecast * cap) / cap;
            const double mem_excess = mem_over(sc, h, p_.mem_hot);
            if (excess > 0 || mem_excess > 0 || core_hot_[h])
                hot.push_back({-std::max({excess, mem_excess, 0.0}), h});
        }
        std::sort(hot.begin(), hot.end());
        std::vector<uint8_t> banned(nh, 0);
        for (const auto& e : hot) banned[e.second] = 1;
        for (const auto& e : hot) {
            const int32_t h = e.second;
            const HostType& ty = sc.type_of(h);
            const double cap = ty.mips();
            for (int guard = 0; guard < 64; ++guard) {
                const double need = std::max(load_[h] - p_.pack * cap, now_[h] - p_.pack * cap);
                int32_t core_vm = -1;
                for (int32_t v : vms_[h]) {
                    if (core_relievable(view, v, ty)) core_vm = v;
                }
                // Memory first: over mem_hot, shed back under mem_pack.
                const double mem_need =
                    mem_over(sc, h, p_.mem_hot) > 0 ? mem_over(sc, h, p_.mem_pack) * ty.ram_mb : 0;
                if (need <= 0 && core_vm < 0 && mem_need <= 0) break;
                const auto any = [](int32_t) { return true; };
                int32_t pick = core_vm;
                if (pick < 0 && need <= 0 && mem_need > 0) {
                    // The least memory that covers the memory need alone, else the most memory.
                    pick = least(
                        vms_[h], [&](int32_t v) { return mem_[v] >= mem_need; },
                        [&](int32_t v) { return mem_[v]; });
                    if (pick < 0) pick = least(vms_[h], any, [&](int32_t v) { return -mem_[v]; });
                }
                // The cheapest VM (least memory) that covers the need alone, else the largest.
                if (pick < 0)
                    pick = least(
                        vms_[h], [&](int32_t v) { return fc_[v] >= need; },
                        [&](int32_t v) { return sc.vm_ram_mb[v]; });
                if (pick < 0) pick = least(vms_[h], any, [&](int32_t v) { return -fc_[v]; });
                if (pick < 0) break;
                const int32_t to = target(view, pick, p_.pack, banned, true);
                if (to < 0) break;  // nowhere to go: it stays (counted as unserved if it must)
                move(view, pick, h, to, out);
            }
        }
    }

    void consolidate(const SimView& view, std::vector<Move>& out) {
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts();
        // How many hosts the forecast needs, on the most efficient type.
        double total = 0, mem_total = 0;
        int32_t active = 0;
        for (int32_t h = 0; h < nh; ++h) {
            total += load_[h];
            mem_total += ram_used_[h] + headroom(sc, h);
            active += (!vms_[h].empty() || !view.st.host_in[h].empty()) ? 1 : 0;
        }
        const HostType& best_type = sc.type_of(efficient_order_.front());
        const double best_cap = best_type.mips();
        double needed = std::ceil(total / (p_.drain_pack * best_cap));
        if (memory_counts(sc) && best_type.ram_mb > 0)
            needed = std::max(needed, std::ceil(mem_total / (p_.mem_pack * best_type.ram_mb)));
        const bool surplus = active > p_.surplus_factor * std::max(1.0, needed);
        int32_t budget = surplus ? nh : p_.drains_per_step;
        std::vector<std::pair<double, int32_t>> cand;
        for (int32_t h = 0; h < nh; ++h) {
            if (vms_[h].empty() || !view.st.host_in[h].empty() || received_[h]) continue;
            const double cap = sc.type_of(h).mips();
            if (!surplus && load_[h] > p_.cold * cap) continue;
            if (!surplus && mem_over(sc, h, p_.mem_cold) > 0) continue;
            // Least loaded first (CPU or memory, whichever is fuller).
            const double fill = std::max(load_[h] / cap, mem_over(sc, h, 0));
            // A surplus drain under kMostVms empties the hosts with the fewest VMs first.
            const double few = surplus && p_.start == BestStart::kMostVms
                                   ? 10.0 * static_cast<double>(vms_[h].size())
                                   : 0.0;
            cand.push_back({few + fill + watts_per_mips(sc, h) * 1e-6, h});
        }
        std::sort(cand.begin(), cand.end());
        std::vector<uint8_t> banned(nh, 0);
        if (surplus && p_.start == BestStart::kMostVms) keep_most_vms(view, total, cand, banned);
        for (const auto& c : cand) {
            if (budget <= 0) break;
            const int32_t h = c.second;
            if (received_[h] || vms_[h].empty()) continue;
            bool cooled = true;
            for (int32_t v : vms_[h]) {
                if (view.tick - last_moved_[v] < p_.cooldown) cooled = false;
            }
            if (!cooled && !surplus) continue;
            // Tentatively place every VM (largest forecast first); undo if one does not fit.
            std::vector<int32_t> vms = vms_[h];
            std::stable_sort(vms.begin(), vms.end(),
                             [&](int32_t a, int32_t b) { return fc_[a] > fc_[b]; });
            banned[h] = 1;
            const size_t mark = out.size();
            const std::vector<uint8_t> received_before = received_;
            bool ok = true;
            for (int32_t v : vms) {
                const int32_t to = target(view, v, p_.drain_pack, banned, false);
                if (to < 0) {
                    ok = false;
                    break;
                }
                move(view, v, h, to, out);
            }
            if (!ok) {
                for (size_t i = out.size(); i-- > mark;) {
                    const Move m = out[i];
                    shift(view, m.vm, m.host, h);
                }
                out.resize(mark);
                received_ = received_before;
                banned[h] = 0;
                continue;
            }
            --budget;
        }
    }

    // A surplus drain under BestStart::kMostVms: keeps the occupied hosts with the most VMs
    // (then the fullest, then by index) until drain_pack × their capacity covers the forecast
    // `total`, and drains only the others, into the kept hosts (the rest are banned as
    // targets). Each drained host moves all its VMs, so keeping the hosts that hold the most
    // moves the fewest.
    void keep_most_vms(const SimView& view, double total,
                       std::vector<std::pair<double, int32_t>>& cand,
                       std::vector<uint8_t>& banned) const {
        const Scenario& sc = view.sc;
        const int32_t nh = sc.hosts();
        std::vector<std::tuple<size_t, double, int32_t>> order;
        for (int32_t h = 0; h < nh; ++h) {
            if (!occupied(view, h)) continue;
            order.emplace_back(vms_[h].size(), load_[h] / sc.type_of(h).mips(), h);
        }
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) {
            if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) > std::get<0>(b);
            if (std::get<1>(a) != std::get<1>(b)) return std::get<1>(a) > std::get<1>(b);
            return std::get<2>(a) < std::get<2>(b);
        });
        std::fill(banned.begin(), banned.end(), 1);
        double room = 0;
        for (const auto& [n, fill, h] : order) {
            if (room >= total) break;
            banned[h] = 0;
            room += p_.drain_pack * sc.type_of(h).mips();
        }
        std::erase_if(cand, [&](const auto& c) { return !banned[c.second]; });
    }

    BestChainParams p_;
    static constexpr int32_t kNever = std::numeric_limits<int32_t>::min() / 2;
    std::vector<int32_t> last_moved_;  // tick of each VM's last move, kNever before its first
    std::vector<int32_t> efficient_order_;
    double max_pe_mips_ = 0;                                // the fastest core of any host (MIPS)
    std::vector<double> fc_, mem_, load_, now_, ram_used_;  // mem_: memory forecast per VM
    std::vector<double> jump_;  // kHostJump: each VM's largest recent rise (MiB)
    std::vector<std::vector<int32_t>> vms_;
    std::vector<std::vector<int32_t>> mem_vms_;  // the VMs whose memory counts on each host
    mutable std::vector<double> top_;            // headroom's scratch
    std::vector<uint8_t> core_hot_, received_;
};

}  // namespace

std::optional<BestMemRule> parse_best_mem_rule(std::string_view name) {
    if (name == "peak") return BestMemRule::kPeak;
    if (name == "host-jump") return BestMemRule::kHostJump;
    return std::nullopt;
}

std::unique_ptr<Chain> make_best_chain(const BestChainParams& p) {
    return std::make_unique<BestChain>(p);
}

}  // namespace fp::sim
