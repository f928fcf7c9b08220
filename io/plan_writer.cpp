#include "io/plan_writer.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"
#include "src/util/duration.hpp"

namespace fp::io {
namespace {

std::string fixed3(double v) { return format_double("%.3f", v); }

double round3(double v) { return std::strtod(fixed3(v).c_str(), nullptr); }

}  // namespace

std::string plan_csv(const model::Fleet& fleet, const plan::Plan& plan, IdCells cells) {
    const auto field = cells == IdCells::kExact ? csv_field : spreadsheet_field;
    std::string out =
        "step,vm,source,target,est_seconds,est_downtime_ms,reason,est_start_s,flags\n";
    for (const plan::Move& m : plan.moves) {
        out += std::to_string(m.step) + "," + field(fleet.vms[static_cast<size_t>(m.vm)].id) + "," +
               (m.source >= 0 ? field(fleet.hosts[static_cast<size_t>(m.source)].id) : "") + "," +
               field(fleet.hosts[static_cast<size_t>(m.target)].id) + "," +
               fixed3(m.estimate.seconds) + "," + fixed3(m.estimate.downtime_ms) + "," +
               plan::to_string(m.reason) + "," + fixed3(m.est_start_s) + "," +
               plan::flags_to_string(m.flags) + "\n";
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
    j["flagged_migrations"] = s.flagged;
    j["over_downtime_migrations"] = s.over_downtime;
    j["over_timeout_migrations"] = s.over_timeout;
    j["cross_site_migrations"] = s.cross_site.size();
    nlohmann::ordered_json cross = nlohmann::ordered_json::array();
    for (const auto& c : s.cross_site)
        cross.push_back(
            {{"vm", c.vm}, {"source_site", c.source_site}, {"target_site", c.target_site}});
    j["cross_site"] = cross;
    j["schedule"] = {{"max_per_host", run.limits.max_per_host},
                     {"max_total", run.limits.max_total}};
    if (run.window_s > 0)
        j["window"] = {{"seconds", run.window_s},
                       {"optional_moves_left_out", plan.window_dropped},
                       {"optional_mem_mib_left_out",
                        round3(static_cast<double>(plan.window_dropped_mem_kib) / 1024.0)}};
    if (run.improve > 0) {
        const plan::ImproveStats& im = plan.improve;
        j["improve"] = {{"work_limit", run.improve},
                        {"work_used", im.work},
                        {"hosts_freed", im.hosts_freed},
                        {"migrations_added", im.moves_added},
                        {"mem_mib_added", round3(static_cast<double>(im.mem_added_kib) / 1024.0)},
                        {"migrations_undone", im.moves_undone},
                        {"mem_mib_saved", round3(static_cast<double>(im.mem_saved_kib) / 1024.0)},
                        {"migrations_retargeted", im.moves_retargeted}};
    }
    j["spread_before"] = round3(s.spread_before);
    j["spread_after"] = round3(s.spread_after);
    j["evacuating_hosts"] = s.evacuating_hosts;
    j["evacuated_hosts"] = s.evacuated_hosts;
    j["resizes"] = plan.resizes.size();
    j["vms_in_cooldown"] = run.frozen;
    if (!run.fleet_changes.empty())
        j["fleet_changes"] = nlohmann::ordered_json::parse(run.fleet_changes);
    j["ranks"] = run.ranks;
    j["threads"] = run.threads;
    j["max_vm_rows_per_rank"] = run.max_vm_rows_per_rank;
    j["vm_rows_parsed_per_rank"] = run.vm_rows_parsed_per_rank;
    j["max_vm_rows_parsed_per_rank"] = run.vm_rows_parsed_per_rank.empty()
                                           ? int64_t{0}
                                           : *std::max_element(run.vm_rows_parsed_per_rank.begin(),
                                                               run.vm_rows_parsed_per_rank.end());
    for (const auto& [key, rows] :
         {std::pair{"history_rows_parsed_per_rank", &run.history_rows_parsed_per_rank},
          std::pair{"traffic_rows_parsed_per_rank", &run.traffic_rows_parsed_per_rank},
          std::pair{"previous_vm_rows_read_per_rank", &run.previous_vm_rows_read_per_rank}})
        if (!rows->empty()) j[key] = *rows;
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
                                const RunInfo& run, const std::string& plan_csv_text) {
    // resize.csv only when the plan grows allocations (a stale one from an earlier run goes);
    // plan.csv, what dispatch reads, is put in place last.
    if (plan.resizes.empty()) {
        out.remove("resize.csv");
    } else if (auto r = out.stage("resize.csv", resize_csv(fleet, plan)); !r) {
        return r;
    }
    if (auto r = out.stage("summary.json", summary_json(fleet, plan, s, run).dump(2) + "\n"); !r)
        return r;
    if (!run.spreadsheet_copy) {
        out.remove("plan.spreadsheet.csv");
    } else if (auto r =
                   out.stage("plan.spreadsheet.csv", plan_csv(fleet, plan, IdCells::kSpreadsheet));
               !r) {
        return r;
    }
    if (auto r = out.stage("plan.csv", plan_csv_text); !r) return r;
    return out.commit();
}

std::string summary_text(const nlohmann::ordered_json& j) {
    char buf[4096];
    std::string out;
    const std::string goal = j.value("goal", "");
    auto i64 = [&](const char* k) { return static_cast<long long>(j.value(k, int64_t{0})); };
    auto dbl = [&](const char* k) { return j.value(k, 0.0); };
    auto count = [&](const char* k) { return j.contains(k) ? j[k].size() : size_t{0}; };
    // The figure that matters for the goal.
    std::string headline;
    if (goal == "auto") {
        std::snprintf(buf, sizeof buf, "  active hosts   %lld -> %lld   (%zu cold hosts freed)\n",
                      i64("active_hosts_before"), i64("active_hosts_after"), count("freed_hosts"));
        headline = buf;
    } else if (goal == "consolidate") {
        std::snprintf(buf, sizeof buf,
                      "  active hosts   %lld -> %lld   (%zu freed; lower bound %lld, gap %.1f%%)\n",
                      i64("active_hosts_before"), i64("active_hosts_after"), count("freed_hosts"),
                      i64("lower_bound_hosts"), 100.0 * dbl("gap_to_lower_bound"));
        headline = buf;
    } else if (goal == "balance") {
        std::snprintf(buf, sizeof buf,
                      "  spread         %.1f%% -> %.1f%%   (most minus least used host)\n",
                      100.0 * dbl("spread_before"), 100.0 * dbl("spread_after"));
        headline = buf;
    } else if (goal == "hotspot") {
        std::snprintf(buf, sizeof buf, "  hot hosts      %lld -> %lld still above max-util\n",
                      i64("overloaded_before"), i64("overloaded_after"));
        headline = buf;
    } else if (goal == "evacuate") {
        std::snprintf(buf, sizeof buf, "  evacuated      %lld of %lld hosts emptied\n",
                      i64("evacuated_hosts"), i64("evacuating_hosts"));
        headline = buf;
    }
    std::snprintf(buf, sizeof buf, "goal %s: %lld hosts, %lld VMs\n", goal.c_str(), i64("hosts"),
                  i64("vms"));
    out = buf;
    out += headline;
    std::snprintf(
        buf, sizeof buf,
        "  migrations     %lld in %lld waves (%lld new VMs placed, %.1f GiB moved, %lld "
        "cross-site)\n"
        "  est. duration  %s at %lld per host, %lld in all; worst downtime %.0f ms\n"
        "  flagged        %lld (%lld non-convergent, %lld over timeout, %lld over downtime)\n"
        "  hotspots       %lld before, %lld after\n"
        "  unresolved     %zu\n",
        i64("migrations"), i64("waves"), i64("placements"), dbl("moved_mem_mib") / 1024.0,
        i64("cross_site_migrations"), format_duration(dbl("est_makespan_seconds")).c_str(),
        j.contains("schedule") ? static_cast<long long>(j["schedule"].value("max_per_host", 0))
                               : 0LL,
        j.contains("schedule") ? static_cast<long long>(j["schedule"].value("max_total", 0)) : 0LL,
        dbl("max_downtime_ms"), i64("flagged_migrations"), i64("nonconvergent_migrations"),
        i64("over_timeout_migrations"), i64("over_downtime_migrations"), i64("overloaded_before"),
        i64("overloaded_after"), count("unresolved"));
    out += buf;
    if (j.contains("window")) {
        std::snprintf(buf, sizeof buf,
                      "  window         %s: %lld optional moves (%.1f GiB) left out for time\n",
                      format_duration(j["window"].value("seconds", 0.0)).c_str(),
                      static_cast<long long>(j["window"].value("optional_moves_left_out", 0)),
                      j["window"].value("optional_mem_mib_left_out", 0.0) / 1024.0);
        out += buf;
    }
    std::snprintf(buf, sizeof buf, "  plan time      %.3f s\n", dbl("plan_seconds"));
    out += buf;
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
