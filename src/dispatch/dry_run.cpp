#include "src/dispatch/dry_run.hpp"

#include <algorithm>
#include <cstdio>
#include <map>

#include "src/plan/schedule.hpp"
#include "src/util/assert.hpp"
#include "src/util/duration.hpp"
#include "src/util/text.hpp"

namespace fp::dispatch {
namespace {

std::string fixed(const char* fmt, double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, fmt, v);
    return buf;
}

// "12 min 30 s (750 s)"; below a minute "12.5 s".
std::string duration_text(double s) {
    return s < 60 ? format_duration(s) : format_duration(s) + " (" + fixed("%.0f", s) + " s)";
}

std::string limits_text(int32_t per_host, int32_t total) {
    return (per_host > 0 ? std::to_string(per_host) : std::string("any number")) + " per host, " +
           (total > 0 ? std::to_string(total) + " in all" : std::string("no total limit"));
}

// "1 migration", "3 migrations".
std::string count(size_t n, const std::string& what) {
    return std::to_string(n) + " " + what + (n == 1 ? "" : "s");
}

// An id as the operator sees it: control characters escaped, so it cannot forge a line.
std::string shown(const std::string& id) { return printable(id, kMaxIdBytes); }
std::string route(const PlannedMove& m) { return shown(m.source) + " -> " + shown(m.target); }

std::string pad(std::string s, size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

}  // namespace

std::string dry_run_estimate(const std::vector<PlannedMove>& moves,
                             const std::vector<HostAddr>& hosts, const DispatchOptions& opt,
                             const std::optional<plan::WaveLimits>& plan_limits,
                             size_t max_listed) {
    std::map<std::string, int32_t> host_no;
    for (size_t i = 0; i < hosts.size(); ++i) host_no[hosts[i].id] = static_cast<int32_t>(i);
    std::vector<plan::ScheduledMove> scheduled;
    size_t unestimated = 0, waves = 0, over_timeout = 0, cross_site = 0;
    std::vector<const PlannedMove*> flagged;
    bool flags_known = false;
    const bool sites =
        std::any_of(hosts.begin(), hosts.end(), [](const HostAddr& h) { return !h.site.empty(); });
    for (size_t i = 0; i < moves.size(); ++i) {
        const PlannedMove& m = moves[i];
        const auto s = host_no.find(m.source), t = host_no.find(m.target);
        FP_ASSERT(s != host_no.end() && t != host_no.end());
        scheduled.push_back({m.step, s->second, t->second, m.est_seconds.value_or(0.0)});
        unestimated += !m.est_seconds;
        waves += i == 0 || m.step != moves[i - 1].step;
        over_timeout += m.est_seconds && *m.est_seconds > opt.timeout_s;
        flags_known = flags_known || m.flags.has_value();
        if (m.flags.value_or(0) != 0) flagged.push_back(&m);
        const std::string& a = hosts[static_cast<size_t>(s->second)].site;
        const std::string& b = hosts[static_cast<size_t>(t->second)].site;
        cross_site += !a.empty() && !b.empty() && a != b;
    }
    const std::string n = std::to_string(moves.size());
    std::string out;

    // How long: dispatch's own start rule over the plan's estimates, at both sets of limits.
    if (moves.empty()) {
        out += "expected duration: none (no migrations)\n";
    } else if (unestimated == moves.size()) {
        out += "expected duration: unknown (plan.csv has no est_seconds column or values)\n";
    } else {
        const auto makespan = [&](int32_t per_host, int32_t total) {
            return plan::schedule_dispatch(scheduled, per_host, total).makespan_s;
        };
        out += "expected duration: " + duration_text(makespan(opt.max_per_host, opt.max_total)) +
               " for " + count(moves.size(), "migration") + " in " + count(waves, "wave") +
               " at dispatch's limits (" + limits_text(opt.max_per_host, opt.max_total) +
               "), if the estimates hold\n";
        if (unestimated > 0)
            out += "  " + count(unestimated, "migration") +
                   " without est_seconds counted as 0 s: the figure is too low\n";
        if (plan_limits)
            out += "  the plan's estimate at its limits (" +
                   limits_text(plan_limits->max_per_host, plan_limits->max_total) + "): " +
                   duration_text(makespan(plan_limits->max_per_host, plan_limits->max_total)) +
                   "\n";
        else
            out += "  the plan's estimate: unknown (no checkpoint.h5 with the plan's limits)\n";
    }
    if (over_timeout > 0)
        out += "over the timeout: " + count(over_timeout, "migration") +
               " estimated to take longer than " + fixed("%g", opt.timeout_s) +
               " s; dispatch would abort them and leave their VMs on their sources\n";

    // Which moves the plan itself says break a [migration] limit.
    if (!flags_known) {
        if (!moves.empty()) out += "flagged moves: unknown (plan.csv has no flags column)\n";
    } else if (flagged.empty()) {
        out += "flagged moves: none (every migration within the plan's [migration] limits)\n";
    } else {
        out += "flagged moves: " + std::to_string(flagged.size()) + " of " + n +
               " break a [migration] limit of the plan:\n";
        const size_t listed = std::min(flagged.size(), max_listed);
        size_t vm_w = 2, route_w = 16;  // the headings
        for (size_t k = 0; k < listed; ++k) {
            vm_w = std::max(vm_w, shown(flagged[k]->vm).size());
            route_w = std::max(route_w, route(*flagged[k]).size());
        }
        const auto opt_num = [](const std::optional<double>& v, const char* unit) {
            return v ? fixed("%.1f", *v) + unit : std::string("?");
        };
        out += "  " + pad("vm", vm_w) + "  " + pad("source -> target", route_w) +
               "  est seconds  est downtime  flags\n";
        for (size_t k = 0; k < listed; ++k) {
            const PlannedMove& m = *flagged[k];
            out += "  " + pad(shown(m.vm), vm_w) + "  " + pad(route(m), route_w) + "  " +
                   pad(opt_num(m.est_seconds, " s"), 11) + "  " +
                   pad(opt_num(m.est_downtime_ms, " ms"), 12) + "  " +
                   plan::flags_to_string(*m.flags) + "\n";
        }
        if (flagged.size() > listed)
            out += "  ... and " + std::to_string(flagged.size() - listed) + " more\n";
    }
    if (sites)
        out += "cross-site moves: " +
               (cross_site > 0 ? std::to_string(cross_site) + " of " + n +
                                     " (memory and local disk cross the wide-area link)"
                               : std::string("none")) +
               "\n";
    return out;
}

}  // namespace fp::dispatch
