#include "src/policy/placement_extra.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <string>
#include <tuple>
#include <utility>

#include "src/policy/placement_scan.hpp"
#include "src/policy/registry.hpp"
#include "src/policy/resource_function.hpp"

namespace fp::policy {
namespace {

template <typename T>
Result<std::unique_ptr<PlacementPolicy>> ok(std::unique_ptr<T> p) {
    return Result<std::unique_ptr<PlacementPolicy>>(std::move(p));
}

// For policies whose host score does not use the size function.
std::vector<ParamSpec> order_size_params() {
    std::vector<ParamSpec> p = size_params();
    p[0].doc = "size function ordering VMs, largest first";
    return p;
}

// What the host has left below its limit after taking the VM.
model::Resources residual_after(const model::PlacementState& state, int32_t vm, int32_t h) {
    return state.headroom(h) - state.demand(vm);
}

}  // namespace

// ---- dot-product ----

std::optional<int32_t> DotProductPlacement::choose(const model::PlacementState& state, int32_t vm,
                                                   const std::vector<uint8_t>& allowed,
                                                   const PolicyContext&) const {
    const model::Resources& dem = state.demand(vm);
    // A host loses for certain when its cosine, from multiplications by 1/capacity, falls short
    // of the best one's by more than the margin (every term is >= 0: no cancellation).
    auto beaten = [&](int32_t h, double best) {
        if (best >= 0) return false;
        const model::Resources& room = state.headroom(h);
        const auto& inv = state.inverse_capacity(h);
        double dot = 0, rr = 0, dd = 0;
        for (int d = 0; d < model::kDims; ++d) {
            const double r = static_cast<double>(room[d]) * inv[static_cast<size_t>(d)];
            const double q = static_cast<double>(dem[d]) * inv[static_cast<size_t>(d)];
            dot += r * q;
            rr += r * r;
            dd += q * q;
        }
        if (rr <= 0 || dd <= 0) return false;
        return dot * dot < best * best * (rr * dd) * (1.0 - detail::kBoundMargin);
    };
    return detail::scan_best_pruned(
        state, vm, allowed, [](int32_t) { return true; },
        [&](int32_t h) {
            const auto r = fractions(state.headroom(h), state.capacity(h));
            const auto d = fractions(dem, state.capacity(h));
            double dot = 0, rr = 0, dd = 0;
            for (size_t i = 0; i < r.size(); ++i) {
                dot += r[i] * d[i];
                rr += r[i] * r[i];
                dd += d[i] * d[i];
            }
            // Least score wins: the negated cosine; a zero vector aligns with nothing.
            return rr > 0 && dd > 0 ? -dot / std::sqrt(rr * dd) : 0.0;
        },
        beaten);
}

// ---- vector-imbalance ----

std::optional<int32_t> VectorImbalancePlacement::choose(const model::PlacementState& state,
                                                        int32_t vm,
                                                        const std::vector<uint8_t>& allowed,
                                                        const PolicyContext&) const {
    return detail::scan_best(state, vm, allowed, [&](int32_t h) {
        const auto f = fractions(residual_after(state, vm, h), state.capacity(h));
        double total = 0;
        for (double x : f) total += x;
        const double mean = total / static_cast<double>(f.size());
        double var = 0;
        for (double x : f) var += (x - mean) * (x - mean);
        var /= static_cast<double>(f.size());
        return std::pair<double, double>(var, total);
    });
}

// ---- pabfd ----

double PowerAwareBestFitDecreasing::power_increase_w(const model::PlacementState& state, int32_t vm,
                                                     int32_t host) const {
    const model::Host& h = state.fleet().hosts[static_cast<size_t>(host)];
    const double idle = h.power_idle_w.value_or(power_.idle_w);
    const double max = h.power_max_w.value_or(power_.max_w);
    const int64_t cap = h.capacity[model::kCpu];
    const double du =
        cap > 0 ? static_cast<double>(state.demand(vm)[model::kCpu]) / static_cast<double>(cap)
                : 0.0;
    const double slope = std::max(0.0, max - idle);
    return slope * du + (state.vms_on(host).empty() ? idle : 0.0);
}

std::optional<int32_t> PowerAwareBestFitDecreasing::choose(const model::PlacementState& state,
                                                           int32_t vm,
                                                           const std::vector<uint8_t>& allowed,
                                                           const PolicyContext&) const {
    return detail::scan_best(state, vm, allowed, [&](int32_t h) {
        return std::pair<double, int64_t>(power_increase_w(state, vm, h),
                                          residual_after(state, vm, h)[model::kCpu]);
    });
}

// ---- affinity ----

std::optional<int32_t> AffinityPlacement::choose(const model::PlacementState& state, int32_t vm,
                                                 const std::vector<uint8_t>& allowed,
                                                 const PolicyContext& ctx) const {
    const model::Fleet& fleet = state.fleet();
    const model::Vm& me = fleet.vms[static_cast<size_t>(vm)];
    const bool has_traffic = ctx.traffic != nullptr &&
                             static_cast<size_t>(vm) < ctx.traffic->neighbours.size() &&
                             !ctx.traffic->neighbours[static_cast<size_t>(vm)].empty();
    const bool scan_groups = !me.group.empty() || !me.anti_group.empty();

    // Partner weight per host (Mbps), anti-affinity blocks, and partner weight per rack.
    std::vector<double> host_w;
    std::vector<uint8_t> blocked;
    std::vector<int32_t> touched;  // hosts with partner weight
    auto add = [&](int32_t other, double w) {
        const int32_t h = state.host_of(other);
        if (other == vm || h == model::kNoHost || w <= 0) return;
        if (host_w[static_cast<size_t>(h)] == 0) touched.push_back(h);
        host_w[static_cast<size_t>(h)] += w;
    };
    if (has_traffic || scan_groups) host_w.assign(static_cast<size_t>(state.host_count()), 0.0);
    if (has_traffic)
        for (const model::TrafficEdge& e : ctx.traffic->neighbours[static_cast<size_t>(vm)])
            add(e.vm, e.mbps);
    if (scan_groups) {
        if (!me.anti_group.empty()) blocked.assign(static_cast<size_t>(state.host_count()), 0);
        for (int32_t i = 0; i < state.vm_count(); ++i) {
            if (i == vm) continue;
            const model::Vm& other = fleet.vms[static_cast<size_t>(i)];
            if (!me.group.empty() && other.group == me.group) add(i, weights_.group_mbps);
            if (!me.anti_group.empty() && other.anti_group == me.anti_group &&
                state.host_of(i) != model::kNoHost)
                blocked[static_cast<size_t>(state.host_of(i))] = 1;
        }
    }
    std::sort(touched.begin(), touched.end());
    std::map<std::string, double> rack_w;
    for (int32_t h : touched) {
        const std::string& rack = fleet.hosts[static_cast<size_t>(h)].rack;
        if (!rack.empty()) rack_w[rack] += host_w[static_cast<size_t>(h)];
    }

    const model::Resources& dem = state.demand(vm);
    auto affinity = [&](int32_t h) {
        if (host_w.empty()) return 0.0;
        const double same_host = host_w[static_cast<size_t>(h)];
        const std::string& rack = fleet.hosts[static_cast<size_t>(h)].rack;
        if (rack.empty()) return same_host;
        auto it = rack_w.find(rack);
        const double same_rack = it == rack_w.end() ? 0.0 : it->second - same_host;
        return same_host + weights_.rack_weight * same_rack;
    };
    return detail::scan_best_if(
        state, vm, allowed,
        [&](int32_t h) { return blocked.empty() || !blocked[static_cast<size_t>(h)]; },
        [&](int32_t h) {
            const double residual = size_->score(state.headroom(h) - dem, state.capacity(h));
            return std::pair<double, double>(-affinity(h), residual);
        });
}

void register_extra_placements(Registries& r) {
    r.placements.add(
        {"dot-product", "",
         "the host whose residual capacity best aligns with the VM's demand (VectorDot cosine)",
         order_size_params()},
        [](const ParamValues&, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok(std::make_unique<DotProductPlacement>(*size));
        });
    r.placements.add(
        {"vector-imbalance", "",
         "the host left most balanced across dimensions (least variance of residual fractions), "
         "then best fit",
         order_size_params()},
        [](const ParamValues&, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok(std::make_unique<VectorImbalancePlacement>(*size));
        });
    r.placements.add(
        {"pabfd", "",
         "power-aware best fit decreasing: the least power increase (linear CPU power model)",
         concat(order_size_params(),
                {real_param("power_idle_w", 100.0, 0.0, 1e6,
                            "idle watts of a host without power_idle_w in hosts.csv"),
                 real_param("power_max_w", 250.0, 0.0, 1e6,
                            "full-CPU watts of a host without power_max_w in hosts.csv")})},
        [](const ParamValues& p, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            const double idle = p.real("power_idle_w"), max = p.real("power_max_w");
            if (max < idle)
                return bad_input(n.path() + ".power_max_w: " + to_string(ConfigValue(max)) +
                                 " is below power_idle_w " + to_string(ConfigValue(idle)));
            return ok(
                std::make_unique<PowerAwareBestFitDecreasing>(*size, PowerDefaults{idle, max}));
        });
    r.placements.add(
        {"affinity", "",
         "the host with the most traffic and group partners (rack partners count rack_weight), "
         "never one with the VM's anti_group; then best fit",
         concat(size_params(),
                {real_param("rack_weight", 0.5, 0.0, 1.0,
                            "weight of a partner in the same rack, relative to one on the same "
                            "host (0-1)"),
                 real_param("group_mbps", 1000.0, 0.0, 1e9,
                            "traffic (Mbps) that one VM of the same group counts as")})},
        [](const ParamValues& p, const ConfigNode& n,
           const Registries& all) -> Result<std::unique_ptr<PlacementPolicy>> {
            auto size = size_function_from(n, all);
            if (!size) return tl::unexpected(size.error());
            return ok(std::make_unique<AffinityPlacement>(
                *size, AffinityWeights{p.real("rack_weight"), p.real("group_mbps")}));
        });
}

}  // namespace fp::policy
