#include "io/plan_writer.hpp"

#include <cstdio>
#include <cstdlib>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"

namespace fp::io {
namespace {

std::string fixed3(double v) { return format_double("%.3f", v); }

double round3(double v) { return std::strtod(fixed3(v).c_str(), nullptr); }

}  // namespace

std::string plan_csv(const model::Fleet& fleet, const plan::Plan& plan) {
    std::string out = "step,vm,source,target,est_seconds,est_downtime_ms,reason\n";
    for (const plan::Move& m : plan.moves) {
        out += std::to_string(m.step) + "," + csv_field(fleet.vms[static_cast<size_t>(m.vm)].id) +
               "," +
               (m.source >= 0 ? csv_field(fleet.hosts[static_cast<size_t>(m.source)].id) : "") +
               "," + csv_field(fleet.hosts[static_cast<size_t>(m.target)].id) + "," +
               fixed3(m.estimate.seconds) + "," + fixed3(m.estimate.downtime_ms) + "," +
               plan::to_string(m.reason) + "\n";
    }
    return out;
}

nlohmann::ordered_json summary_json(const model::Fleet& fleet, const plan::Plan& plan,
                                    const plan::PlanSummary& s, const RunInfo& run) {
    nlohmann::ordered_json j;
    j["goal"] = run.goal;
    j["hosts"] = s.hosts;
    j["vms"] = s.vms;
    j["migrations"] = s.migrations;
    j["placements"] = s.placements;
    j["waves"] = s.waves;
    j["active_hosts_before"] = s.active_hosts_before;
    j["active_hosts_after"] = s.active_hosts_after;
    j["lower_bound_hosts"] = s.lower_bound_hosts;
    j["gap_to_lower_bound"] =
        s.lower_bound_hosts > 0
            ? round3(static_cast<double>(s.active_hosts_after - s.lower_bound_hosts) /
                     static_cast<double>(s.lower_bound_hosts))
            : 0.0;
    j["overloaded_before"] = s.overloaded_before;
    j["overloaded_after"] = s.overloaded_after;
    j["freed_hosts"] = s.freed_hosts;
    j["powered_on_hosts"] = s.powered_on_hosts;
    nlohmann::ordered_json unresolved = nlohmann::ordered_json::array();
    for (const auto& u : plan.unresolved) {
        nlohmann::ordered_json e;
        e["host"] = u.host >= 0 ? fleet.hosts[static_cast<size_t>(u.host)].id : "";
        if (u.vm >= 0) e["vm"] = fleet.vms[static_cast<size_t>(u.vm)].id;
        e["reason"] = u.reason;
        unresolved.push_back(e);
    }
    j["unresolved"] = unresolved;
    j["moved_mem_mib"] = round3(s.moved_mem_mib);
    j["est_migration_seconds"] = round3(s.est_migration_seconds);
    j["est_makespan_seconds"] = round3(s.est_makespan_seconds);
    j["max_downtime_ms"] = round3(s.max_downtime_ms);
    j["nonconvergent_migrations"] = s.nonconvergent;
    j["resizes"] = plan.resizes.size();
    j["vms_in_cooldown"] = run.frozen;
    if (!run.fleet_changes.empty())
        j["fleet_changes"] = nlohmann::ordered_json::parse(run.fleet_changes);
    j["ranks"] = run.ranks;
    j["threads"] = run.threads;
    j["max_vm_rows_per_rank"] = run.max_vm_rows_per_rank;
    j["plan_seconds"] = run.plan_seconds;
    j["phase_seconds"] = {{"parse", run.phases.parse},     {"detect", run.phases.detect},
                          {"select", run.phases.select},   {"place", run.phases.place},
                          {"resolve", run.phases.resolve}, {"write", run.phases.write}};
    return j;
}

std::string resize_csv(const model::Fleet& fleet, const plan::Plan& plan) {
    std::string out = "vm,host,cpu_alloc,mem_alloc\n";
    for (const plan::Resize& r : plan.resizes) {
        out += csv_field(fleet.vms[static_cast<size_t>(r.vm)].id) + "," +
               csv_field(fleet.hosts[static_cast<size_t>(r.host)].id) + "," +
               format_scaled(r.cpu_alloc_millicores, 1000) + "," +
               format_scaled(r.mem_alloc_kib, 1024) + "\n";
    }
    return out;
}

Result<void> write_plan_outputs(OutputCommit& out, const model::Fleet& fleet,
                                const plan::Plan& plan, const plan::PlanSummary& s,
                                const RunInfo& run) {
    // resize.csv only when the plan grows allocations (a stale one from an earlier run goes);
    // plan.csv, what dispatch reads, is put in place last.
    if (plan.resizes.empty()) {
        out.remove("resize.csv");
    } else if (auto r = out.stage("resize.csv", resize_csv(fleet, plan)); !r) {
        return r;
    }
    if (auto r = out.stage("summary.json", summary_json(fleet, plan, s, run).dump(2) + "\n"); !r)
        return r;
    if (auto r = out.stage("plan.csv", plan_csv(fleet, plan)); !r) return r;
    return out.commit();
}

std::string summary_text(const nlohmann::ordered_json& j) {
    char buf[2048];
    std::string out;
    std::snprintf(buf, sizeof buf,
                  "goal %s: %lld hosts, %lld VMs\n"
                  "  active hosts   %lld -> %lld   (lower bound %lld, gap %.1f%%)\n"
                  "  freed hosts    %zu\n"
                  "  migrations     %lld in %lld waves (%lld new VMs placed, %.1f GiB moved)\n"
                  "  hotspots       %lld before, %lld after\n"
                  "  unresolved     %zu\n"
                  "  plan time      %.3f s\n",
                  j.value("goal", "").c_str(), j.value("hosts", 0LL), j.value("vms", 0LL),
                  j.value("active_hosts_before", 0LL), j.value("active_hosts_after", 0LL),
                  j.value("lower_bound_hosts", 0LL), 100.0 * j.value("gap_to_lower_bound", 0.0),
                  j["freed_hosts"].size(), j.value("migrations", 0LL), j.value("waves", 0LL),
                  j.value("placements", 0LL), j.value("moved_mem_mib", 0.0) / 1024.0,
                  j.value("overloaded_before", 0LL), j.value("overloaded_after", 0LL),
                  j["unresolved"].size(), j.value("plan_seconds", 0.0));
    out = buf;
    size_t shown = 0;
    for (const auto& u : j["unresolved"]) {
        if (++shown > 10) {
            out += "    ... and " + std::to_string(j["unresolved"].size() - 10) + " more\n";
            break;
        }
        out += "    - " + u.value("host", std::string()) +
               (u.contains("vm") ? " vm " + u.value("vm", std::string()) : "") + ": " +
               u.value("reason", std::string()) + "\n";
    }
    return out;
}

}  // namespace fp::io
