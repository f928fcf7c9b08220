#include <algorithm>
#include <utility>

#include "src/plan/passes.hpp"

namespace fp::plan::detail {

using model::kNoHost;

// Moves single VMs from the most to the least utilised host while that lowers the higher of
// the two, until the spread is within the tolerance.
void balance(PlannerState& s) {
    std::vector<uint8_t> stuck(s.allowed_.size(), 0);
    const int64_t max_iterations = static_cast<int64_t>(s.fleet_.vms.size()) * 2 + 16;
    int64_t it = 0;
    // Hosts by utilisation, most used first (ties: id order). Utilisation only changes
    // with a move, and then only at its two hosts, which are put back in place: a round
    // offers hosts in this order until one has a useful move.
    std::vector<std::pair<double, int32_t>> order;  // (utilisation, host)
    auto before = [&](const std::pair<double, int32_t>& a, const std::pair<double, int32_t>& b) {
        if (a.first != b.first) return a.first > b.first;
        return s.state_.id_rank(a.second) < s.state_.id_rank(b.second);
    };
    for (int32_t h : s.state_.hosts_by_id())
        if (s.allowed_[static_cast<size_t>(h)]) order.emplace_back(s.state_.max_util(h), h);
    std::stable_sort(order.begin(), order.end(), before);
    auto reposition = [&](int32_t h) {
        auto at =
            std::find_if(order.begin(), order.end(), [&](const auto& e) { return e.second == h; });
        if (at == order.end()) return;
        order.erase(at);
        const std::pair<double, int32_t> e{s.state_.max_util(h), h};
        order.insert(std::upper_bound(order.begin(), order.end(), e, before), e);
    };
    // With site boundaries each site is balanced within itself.
    const bool per_site = s.opt_.cross_site != CrossSite::kAllow && s.sites_ > 1;
    const size_t groups = per_site ? static_cast<size_t>(s.sites_) : 1;
    std::vector<int32_t> lo_hosts(groups);
    std::vector<double> lo_us(groups);
    for (bool moved = true; moved && it < max_iterations;) {
        moved = false;
        // The least utilised host of each site (ties: id order); never one at 200% or more.
        std::fill(lo_hosts.begin(), lo_hosts.end(), kNoHost);
        std::fill(lo_us.begin(), lo_us.end(), 2.0);
        for (const auto& [u, h] : order) {
            const size_t g = per_site ? static_cast<size_t>(s.site_of_[static_cast<size_t>(h)]) : 0;
            if (u < lo_us[g] || (u == lo_us[g] && lo_hosts[g] != kNoHost &&
                                 s.state_.id_rank(h) < s.state_.id_rank(lo_hosts[g]))) {
                lo_us[g] = u;
                lo_hosts[g] = h;
            }
        }
        for (size_t k = 0; k < order.size(); ++k) {
            const double hi_u = order[k].first;
            const int32_t hi_host = order[k].second;
            const size_t g =
                per_site ? static_cast<size_t>(s.site_of_[static_cast<size_t>(hi_host)]) : 0;
            const int32_t lo_host = lo_hosts[g];
            const double lo_u = lo_us[g];
            if (lo_host == kNoHost || hi_host == lo_host) continue;
            if (hi_u - lo_u <= s.opt_.balance_tolerance) continue;
            if (stuck[static_cast<size_t>(hi_host)]) continue;
            if (it++ >= max_iterations) break;
            int32_t best_vm = -1;
            double best_score = 0;
            // A move must lower the pair's peak by at least the minimum gain (no ping-pong);
            // among those, the most gain per GiB copied wins.
            const double must_reach = hi_u - s.opt_.balance_min_gain;
            for (int32_t vm : s.state_.vms_on(hi_host)) {
                const bool again = s.moved_[static_cast<size_t>(vm)] != 0;
                if (again ? !s.can_retarget(vm) : !s.movable(vm)) continue;
                if (!s.state_.fits(vm, lo_host)) continue;
                if (s.home_site(vm) >= 0 &&
                    (!s.acceptable(vm, s.site_of_[static_cast<size_t>(lo_host)]) ||
                     (per_site && s.home_site(vm) != s.site_of_[static_cast<size_t>(lo_host)])))
                    continue;
                if (!again && !s.within_budget(1, s.mem_of(vm))) continue;
                if (!again && s.opt_.balance_mem_frac >= 0 &&
                    static_cast<double>(s.moved_mem_kib_ + s.mem_of(vm)) >
                        s.opt_.balance_mem_frac * static_cast<double>(s.total_mem_kib_))
                    continue;
                double src_after = 0, dst_after = 0;
                for (int d = 0; d < model::kDims; ++d) {
                    const double cs = static_cast<double>(s.state_.capacity(hi_host)[d]);
                    const double cd = static_cast<double>(s.state_.capacity(lo_host)[d]);
                    const double dem = static_cast<double>(s.state_.demand(vm)[d]);
                    src_after = std::max(
                        src_after, (static_cast<double>(s.state_.load(hi_host)[d]) - dem) / cs);
                    dst_after = std::max(
                        dst_after, (static_cast<double>(s.state_.load(lo_host)[d]) + dem) / cd);
                }
                const double after = std::max(src_after, dst_after);
                if (after >= must_reach - 1e-12) continue;
                const double gib =
                    std::max(1.0, static_cast<double>(s.mem_of(vm)) / (1024.0 * 1024.0));
                const double score = (hi_u - after) / gib;
                if (score > best_score + 1e-15) {
                    best_score = score;
                    best_vm = vm;
                }
            }
            if (best_vm < 0) {
                stuck[static_cast<size_t>(hi_host)] = 1;
                continue;
            }
            if (s.moved_[static_cast<size_t>(best_vm)]) {
                s.retarget(best_vm, lo_host, MoveReason::kBalance);
            } else {
                s.record(best_vm, lo_host, MoveReason::kBalance);
            }
            // The least utilised host changed: every host may have a useful move again.
            std::fill(stuck.begin(), stuck.end(), 0);
            reposition(hi_host);
            reposition(lo_host);
            moved = true;
            break;
        }
    }
}

}  // namespace fp::plan::detail
