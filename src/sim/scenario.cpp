#include "src/sim/scenario.hpp"

#include <algorithm>
#include <cmath>

namespace fp::sim {

PowerModel PowerModel::linear(double idle_w, double max_w) {
    PowerModel p;
    for (int i = 0; i <= 10; ++i) p.watts[i] = idle_w + (max_w - idle_w) * i / 10.0;
    return p;
}

double PowerModel::at(double u) const {
    u = std::clamp(u, 0.0, 1.0);
    const double x = u * 10.0;
    const int lo = static_cast<int>(std::floor(x));
    if (lo >= 10) return watts[10];
    const double frac = x - lo;
    if (frac == 0) return watts[lo];
    return watts[lo] + (watts[lo + 1] - watts[lo]) * frac;
}

Scenario::Segment Scenario::segment(const std::vector<double>& s, int64_t i) {
    const auto n = static_cast<int64_t>(s.size());
    if (n == 0) return {};
    if (i >= n - 1) return {s[static_cast<size_t>(n - 1)], 0};
    if (i < 0) return {s[0], 0};
    const double at = s[static_cast<size_t>(i)];
    return {at, s[static_cast<size_t>(i + 1)] - at};
}

double Scenario::utilisation(int32_t v, double t) const {
    const TracePosition p = trace_position(t);
    return segment_value(segment(trace[v], p.i), p.frac);
}

double Scenario::mem_demand_mb(int32_t v, double t) const {
    if (static_cast<size_t>(v) >= mem_trace.size() || mem_trace[v].empty()) return vm_ram_mb[v];
    const TracePosition p = trace_position(t);
    return vm_ram_mb[v] * segment_value(segment(mem_trace[v], p.i), p.frac);
}

double Scenario::mem_peak_mb(int32_t v, double t, int32_t samples) const {
    double m = mem_demand_mb(v, t);
    const double step = sample_step_s();
    for (int32_t i = 1; i < samples && t - i * step >= 0; ++i)
        m = std::max(m, mem_demand_mb(v, t - i * step));
    return m;
}

double Scenario::tick_time(int32_t k) const {
    const double end = static_cast<double>(intervals) * static_cast<double>(interval_s);
    return std::min(end, static_cast<double>(k) * static_cast<double>(interval_s) + tick_offset_s);
}

double Scenario::migration_s(int32_t v, int32_t h) const {
    const double mbps = type_of(h).bw_mbps * migration_bw_share;  // Mbit/s for migrations
    return vm_ram_mb[v] / (mbps / 8.0);
}

double Scenario::floor_watts_per_mips() const {
    double best = 0;
    for (int32_t h = 0; h < hosts(); ++h) {
        const HostType& ty = type_of(h);
        const double w = ty.power.watts[10] / ty.mips();
        if (h == 0 || w < best) best = w;
    }
    return best;
}

}  // namespace fp::sim
