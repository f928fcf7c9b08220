// Question: how good are the plans? Over generated fleets (1,000 and 10,000 hosts, 10 VMs per
// host, several seeds) this prints one table row per goal and policy combination, with two
// baselines: a from-scratch FFD repack (ignores where VMs run) and keep-in-place (VMs stay,
// new VMs go best-fit). Columns: active hosts vs lower bound, migrations, memory moved, hot
// spots after, unresolved, dominant-share standard deviation before/after, plan time.
// It then checks the policy catalogue's targets and prints PASS/MISS for each, and a second
// table of what carrying each goal's plan out costs: hosts freed, memory moved, the estimated
// makespan under the wave limits, the worst downtime, flagged and cross-site moves.
// --legacy plans as fleetplan did before plans had to be executable (sites crossed freely,
// no migration limits, no drain price, no fleet total), for a before/after comparison.
// --improve N plans with [plan] improve = N (the improvement phase's work units); --only TEXT
// runs only the combinations whose name contains TEXT (the baselines always run); --placement
// NAME[/SIZE] plans every combination run with that placement policy (and size function);
// --shard-hosts N plans with [plan] shard_hosts = N (0: the whole fleet as one shard).
// Run: build/bench/quality_bench [--hosts 1000,10000] [--seeds 1,2,3] [--legacy] [--improve N]
//      [--only TEXT] [--placement NAME[/SIZE]]
//      [--shard-hosts N]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "src/model/generator.hpp"
#include "src/model/placement_state.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/summary.hpp"
#include "src/policy/registry.hpp"
#include "src/util/rng.hpp"

namespace {

using fp::model::Fleet;
using fp::plan::Goal;

struct Row {
    std::string fleet;
    std::string name;
    int64_t active_before = 0, active_after = 0, lower_bound = 0, migrations = 0;
    double moved_tib = 0, moved_frac = 0;
    int64_t hot_after = 0, unresolved = 0, freed = 0;
    double sd_before = 0, sd_after = 0, seconds = 0;
    // What carrying the plan out costs (planner rows only).
    double makespan_h = 0, worst_downtime_ms = 0;
    int64_t flagged = 0, cross_site = 0;
};

// The options every row plans with: the defaults, or the legacy planner's behaviour.
fp::plan::PlanOptions base_options(bool legacy) {
    fp::plan::PlanOptions o;
    if (legacy) {
        o.cross_site = fp::plan::CrossSite::kAllow;
        o.enforce_migration_limits = false;
        o.move_wh_per_gib = 0;
        o.waves.max_total = 0;
    }
    return o;
}

std::vector<int64_t> parse_list(const char* s) {
    std::vector<int64_t> out;
    std::string cur;
    for (const char* p = s;; ++p) {
        if (*p == ',' || *p == '\0') {
            if (!cur.empty()) out.push_back(std::atoll(cur.c_str()));
            cur.clear();
            if (*p == '\0') break;
        } else {
            cur += *p;
        }
    }
    return out;
}

// Standard deviation of hosts' dominant-share utilisation (active hosts, i.e. holding VMs).
double dominant_sd(const Fleet& f, const std::vector<int32_t>& host_of) {
    std::vector<fp::model::Resources> load(f.hosts.size());
    std::vector<int> n(f.hosts.size(), 0);
    for (size_t v = 0; v < f.vms.size(); ++v)
        if (host_of[v] >= 0) {
            load[static_cast<size_t>(host_of[v])] += f.vms[v].demand;
            ++n[static_cast<size_t>(host_of[v])];
        }
    std::vector<double> u;
    for (size_t h = 0; h < f.hosts.size(); ++h) {
        if (f.hosts[h].state != fp::model::HostState::kActive) continue;
        double m = 0;
        for (int d = 0; d < fp::model::kDims; ++d)
            m = std::max(
                m, static_cast<double>(load[h][d]) / static_cast<double>(f.hosts[h].capacity[d]));
        u.push_back(m);
    }
    const double mean = std::accumulate(u.begin(), u.end(), 0.0) / static_cast<double>(u.size());
    double var = 0;
    for (double x : u) var += (x - mean) * (x - mean);
    return std::sqrt(var / static_cast<double>(u.size()));
}

Row evaluate(const Fleet& f, const std::vector<int32_t>& host_of, int64_t max_util_ppm,
             const std::vector<int32_t>& evacuate, bool legacy) {
    Row r;
    fp::model::PlacementState before(f, max_util_ppm);
    std::vector<int32_t> initial(f.vms.size());
    for (size_t v = 0; v < f.vms.size(); ++v) initial[v] = f.vms[v].host;
    r.sd_before = dominant_sd(f, initial);
    r.sd_after = dominant_sd(f, host_of);
    std::vector<int64_t> count_before(f.hosts.size(), 0), count_after(f.hosts.size(), 0);
    std::vector<fp::model::Resources> load(f.hosts.size());
    int64_t total_mem = 0, moved_mem = 0;
    for (size_t v = 0; v < f.vms.size(); ++v) {
        total_mem += f.vms[v].mem_size_kib;
        if (initial[v] >= 0) ++count_before[static_cast<size_t>(initial[v])];
        if (host_of[v] >= 0) {
            ++count_after[static_cast<size_t>(host_of[v])];
            load[static_cast<size_t>(host_of[v])] += f.vms[v].demand;
        }
        if (initial[v] >= 0 && host_of[v] != initial[v]) {
            ++r.migrations;
            moved_mem += f.vms[v].mem_size_kib;
        }
        if (host_of[v] < 0) ++r.unresolved;
    }
    for (size_t h = 0; h < f.hosts.size(); ++h) {
        r.active_before += count_before[h] > 0;
        r.active_after += count_after[h] > 0;
        r.freed += count_before[h] > 0 && count_after[h] == 0;
        r.hot_after += !load[h].fits_within(fp::model::limit_at(f.hosts[h].capacity, max_util_ppm));
    }
    fp::plan::PlanOptions o = base_options(legacy);
    o.max_util_ppm = max_util_ppm;
    o.evacuate = evacuate;
    r.lower_bound = fp::plan::summarize(f, fp::plan::Plan{}, o).lower_bound_hosts;
    r.moved_tib = static_cast<double>(moved_mem) / (1024.0 * 1024 * 1024);
    r.moved_frac = static_cast<double>(moved_mem) / static_cast<double>(total_mem);
    return r;
}

// Baseline: every VM placed from scratch, first fit decreasing (by the largest fraction of the
// largest host), onto hosts sorted by capacity (largest first), ignoring where VMs run.
std::vector<int32_t> ffd_repack(const Fleet& f, int64_t ppm, const std::vector<uint8_t>& usable) {
    std::vector<int32_t> hosts;
    for (size_t h = 0; h < f.hosts.size(); ++h)
        if (usable[h]) hosts.push_back(static_cast<int32_t>(h));
    std::stable_sort(hosts.begin(), hosts.end(), [&](int32_t a, int32_t b) {
        const auto& ca = f.hosts[static_cast<size_t>(a)].capacity;
        const auto& cb = f.hosts[static_cast<size_t>(b)].capacity;
        return ca[0] + ca[1] / 8192 > cb[0] + cb[1] / 8192;
    });
    fp::model::Resources ref;
    for (const auto& h : f.hosts)
        for (int d = 0; d < fp::model::kDims; ++d) ref[d] = std::max(ref[d], h.capacity[d]);
    std::vector<int32_t> vms(f.vms.size());
    std::iota(vms.begin(), vms.end(), 0);
    auto size = [&](int32_t v) {
        double m = 0;
        for (int d = 0; d < fp::model::kDims; ++d)
            m = std::max(m, static_cast<double>(f.vms[static_cast<size_t>(v)].demand[d]) /
                                static_cast<double>(ref[d]));
        return m;
    };
    std::stable_sort(vms.begin(), vms.end(),
                     [&](int32_t a, int32_t b) { return size(a) > size(b); });
    std::vector<fp::model::Resources> load(f.hosts.size());
    std::vector<int32_t> out(f.vms.size(), -1);
    for (int32_t v : vms) {
        for (int32_t h : hosts) {
            const auto lim = fp::model::limit_at(f.hosts[static_cast<size_t>(h)].capacity, ppm);
            if ((load[static_cast<size_t>(h)] + f.vms[static_cast<size_t>(v)].demand)
                    .fits_within(lim)) {
                load[static_cast<size_t>(h)] += f.vms[static_cast<size_t>(v)].demand;
                out[static_cast<size_t>(v)] = h;
                break;
            }
        }
    }
    return out;
}

struct Combo {
    std::string name;
    Goal goal;
    std::string selection, placement, size;
    double budget_mem_frac = -1;
    bool evacuate = false;
};

fp::policy::PolicySet make_policies(const fp::policy::Registries& r, const Combo& c) {
    fp::policy::ConfigNode t("policy.trigger"), s("policy.selection"), p("policy.placement");
    p.set("size", c.size);
    fp::policy::PolicySet set;
    set.trigger = std::move(*r.triggers.create("threshold", t, r));
    auto sel = r.selections.create(c.selection, s, r);
    auto pl = r.placements.create(c.placement, p, r);
    if (!sel || !pl) {
        std::fprintf(stderr, "policy %s/%s not available\n", c.selection.c_str(),
                     c.placement.c_str());
        std::exit(1);
    }
    set.selection = std::move(*sel);
    set.placement = std::move(*pl);
    return set;
}

void print(const Row& r) {
    const double gap = r.lower_bound > 0
                           ? 100.0 * static_cast<double>(r.active_after - r.lower_bound) /
                                 static_cast<double>(r.lower_bound)
                           : 0.0;
    std::printf(
        "| %s | %s | %lld → %lld | %lld | %.1f%% | %lld | %lld | %.2f (%.0f%%) | %lld | %lld | "
        "%.3f → %.3f | %.2f |\n",
        r.fleet.c_str(), r.name.c_str(), static_cast<long long>(r.active_before),
        static_cast<long long>(r.active_after), static_cast<long long>(r.lower_bound), gap,
        static_cast<long long>(r.freed), static_cast<long long>(r.migrations), r.moved_tib,
        100 * r.moved_frac, static_cast<long long>(r.hot_after),
        static_cast<long long>(r.unresolved), r.sd_before, r.sd_after, r.seconds);
    std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
    std::vector<int64_t> sizes = {1000, 10000};
    std::vector<int64_t> seeds = {1, 2, 3};
    bool legacy = false;
    int64_t improve = 0;
    std::string only, placement;
    int32_t shard_hosts = -1;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--legacy") {
            legacy = true;
        } else if (a == "--hosts" && i + 1 < argc) {
            sizes = parse_list(argv[++i]);
        } else if (a == "--seeds" && i + 1 < argc) {
            seeds = parse_list(argv[++i]);
        } else if (a == "--improve" && i + 1 < argc) {
            improve = std::atoll(argv[++i]);
        } else if (a == "--only" && i + 1 < argc) {
            only = argv[++i];
        } else if (a == "--placement" && i + 1 < argc) {
            placement = argv[++i];
        } else if (a == "--shard-hosts" && i + 1 < argc) {
            shard_hosts = static_cast<int32_t>(std::atoi(argv[++i]));
        }
    }
    fp::policy::Registries reg;
    fp::policy::register_builtin_policies(reg);
    const std::vector<Combo> combos = {
        {"consolidate bfd/volume", Goal::kConsolidate, "min-migration-time", "bfd", "volume"},
        {"consolidate ffd/max", Goal::kConsolidate, "min-migration-time", "ffd", "max"},
        {"consolidate bfd, mem budget 0.25", Goal::kConsolidate, "min-migration-time", "bfd",
         "volume", 0.25},
        {"auto (cold drains) bfd", Goal::kAuto, "resource-constrained", "bfd", "volume"},
        {"balance bfd", Goal::kBalance, "resource-constrained", "bfd", "volume"},
        {"hotspot holistic+bfd (preset)", Goal::kHotspot, "holistic", "bfd", "volume"},
        {"hotspot resource-constrained+bfd", Goal::kHotspot, "resource-constrained", "bfd",
         "volume"},
        {"hotspot resource-constrained+ffd", Goal::kHotspot, "resource-constrained", "ffd", "max"},
        {"hotspot min-migration-time+bfd", Goal::kHotspot, "min-migration-time", "bfd", "volume"},
        {"evacuate 5% resource-constrained+bfd", Goal::kEvacuate, "resource-constrained", "bfd",
         "volume", -1, true},
        {"evacuate 5% resource-constrained+ffd", Goal::kEvacuate, "resource-constrained", "ffd",
         "max", -1, true},
    };
    if (!placement.empty())
        std::printf(
            "Every plan row below places with %s (--placement), whatever its name says.\n\n",
            placement.c_str());
    std::printf(
        "| fleet | plan | active hosts | lower bound | gap | freed | migrations | moved TiB "
        "(share) | hot after | unresolved | dominant-share sd | seconds |\n");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    std::map<std::string, std::vector<Row>> rows;  // combo name → rows over fleets
    // Per fleet: how many hosts 25% of the memory can empty at most (cheapest hosts first,
    // ignoring where their VMs would go): an upper bound for the budgeted plan.
    std::vector<int64_t> freeable;
    for (int64_t hosts : sizes) {
        for (int64_t seed : seeds) {
            fp::model::GeneratorOptions g;
            g.hosts = hosts;
            g.vms = hosts * 10;
            g.seed = static_cast<uint64_t>(seed);
            const Fleet f = fp::model::generate_fleet(g);
            const std::string label = std::to_string(hosts) + "/s" + std::to_string(seed);
            // 5% of the active hosts, chosen by a seeded draw, for the evacuate rows.
            std::vector<int32_t> evac;
            for (size_t h = 0; h < f.hosts.size(); ++h) {
                fp::CounterRng rng(static_cast<uint64_t>(seed), 99, h);
                if (f.hosts[h].state == fp::model::HostState::kActive && rng.uniform() < 0.05)
                    evac.push_back(static_cast<int32_t>(h));
            }
            const int64_t ppm = 900000;
            {
                std::vector<int64_t> mem(f.hosts.size(), 0);
                int64_t total = 0;
                for (const auto& v : f.vms) {
                    total += v.mem_size_kib;
                    if (v.host >= 0) mem[static_cast<size_t>(v.host)] += v.mem_size_kib;
                }
                std::vector<int64_t> used;
                for (int64_t m : mem)
                    if (m > 0) used.push_back(m);
                std::sort(used.begin(), used.end());
                int64_t acc = 0, n = 0;
                for (int64_t m : used) {
                    if (static_cast<double>(acc + m) > 0.25 * static_cast<double>(total)) break;
                    acc += m;
                    ++n;
                }
                freeable.push_back(n);
            }
            std::vector<uint8_t> usable(f.hosts.size(), 1);
            for (size_t h = 0; h < f.hosts.size(); ++h)
                usable[h] = f.hosts[h].state != fp::model::HostState::kMaintenance;
            // Baselines.
            {
                auto t0 = std::chrono::steady_clock::now();
                const auto placed = ffd_repack(f, ppm, usable);
                Row r = evaluate(f, placed, ppm, {}, legacy);
                r.seconds =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                r.fleet = label;
                r.name = "baseline: from-scratch FFD repack";
                print(r);
                rows[r.name].push_back(r);
                // Keep in place: VMs stay; new VMs go best-fit (bfd/volume) at max-util.
                {
                    fp::model::PlacementState st(f, ppm);
                    const auto pol = make_policies(
                        reg, {"", Goal::kAuto, "resource-constrained", "bfd", "volume"});
                    std::vector<int32_t> host_of(f.vms.size());
                    for (size_t v = 0; v < f.vms.size(); ++v) {
                        host_of[v] = f.vms[v].host;
                        if (host_of[v] >= 0) continue;
                        auto h = pol.placement->choose(st, static_cast<int32_t>(v), usable, {});
                        if (h) {
                            st.move(static_cast<int32_t>(v), *h);
                            host_of[v] = *h;
                        }
                    }
                    Row k = evaluate(f, host_of, ppm, {}, legacy);
                    k.fleet = label;
                    k.name = "baseline: keep in place, new VMs bfd";
                    print(k);
                    rows[k.name].push_back(k);
                }
                std::vector<uint8_t> usable_evac = usable;
                for (int32_t h : evac) usable_evac[static_cast<size_t>(h)] = 0;
                Row re = evaluate(f, ffd_repack(f, ppm, usable_evac), ppm, evac, legacy);
                re.fleet = label;
                re.name = "baseline: from-scratch FFD repack, evacuate 5%";
                rows[re.name].push_back(re);
            }
            for (const Combo& c : combos) {
                if (c.name.find(only) == std::string::npos) continue;
                fp::plan::PlanOptions o = base_options(legacy);
                o.improve = improve;
                if (shard_hosts >= 0) o.shard_hosts = shard_hosts;
                o.goal = c.goal;
                o.max_util_ppm = ppm;
                o.budget_mem_frac = c.budget_mem_frac;
                if (c.evacuate) o.evacuate = evac;
                Combo chosen = c;
                if (!placement.empty()) {
                    const size_t slash = placement.find('/');
                    chosen.placement = placement.substr(0, slash);
                    if (slash != std::string::npos) chosen.size = placement.substr(slash + 1);
                }
                const auto pol = make_policies(reg, chosen);
                fp::plan::PhaseTimes t;
                auto t0 = std::chrono::steady_clock::now();
                const fp::plan::Plan p = fp::plan::make_plan(f, o, pol, t);
                const double secs =
                    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
                std::vector<int32_t> host_of(f.vms.size());
                for (size_t v = 0; v < f.vms.size(); ++v) host_of[v] = f.vms[v].host;
                for (const auto& m : p.moves) host_of[static_cast<size_t>(m.vm)] = m.target;
                Row r = evaluate(f, host_of, ppm, o.evacuate, legacy);
                r.unresolved = static_cast<int64_t>(p.unresolved.size());
                const fp::plan::PlanSummary sum = fp::plan::summarize(f, p, o);
                r.makespan_h = sum.est_makespan_seconds / 3600.0;
                r.worst_downtime_ms = sum.max_downtime_ms;
                r.flagged = sum.flagged;
                r.cross_site = static_cast<int64_t>(sum.cross_site.size());
                r.seconds = secs;
                r.fleet = label;
                r.name = c.name;
                if (improve > 0)
                    std::fprintf(
                        stderr,
                        "%s %s: improve used %lld work units, freed %lld hosts, added %lld "
                        "migrations (%.2f TiB), took back %lld (%.2f TiB), sent %lld elsewhere\n",
                        label.c_str(), c.name.c_str(), static_cast<long long>(p.improve.work),
                        static_cast<long long>(p.improve.hosts_freed),
                        static_cast<long long>(p.improve.moves_added),
                        static_cast<double>(p.improve.mem_added_kib) / (1024.0 * 1024 * 1024),
                        static_cast<long long>(p.improve.moves_undone),
                        static_cast<double>(p.improve.mem_saved_kib) / (1024.0 * 1024 * 1024),
                        static_cast<long long>(p.improve.moves_retargeted));
                print(r);
                rows[c.name].push_back(r);
            }
        }
    }
    // What carrying the plans out costs.
    std::printf(
        "\nExecution (%s): | fleet | plan | freed | moved TiB | est. makespan h | worst downtime "
        "ms | flagged | cross-site |\n|---|---|---|---|---|---|---|---|\n",
        legacy ? "legacy planner" : "defaults");
    for (const char* name :
         {"consolidate bfd/volume", "auto (cold drains) bfd", "balance bfd",
          "hotspot holistic+bfd (preset)", "evacuate 5% resource-constrained+bfd"})
        for (const Row& r : rows[name])
            std::printf("| %s | %s | %lld | %.2f | %.2f | %.0f | %lld | %lld |\n", r.fleet.c_str(),
                        r.name.c_str(), static_cast<long long>(r.freed), r.moved_tib, r.makespan_h,
                        r.worst_downtime_ms, static_cast<long long>(r.flagged),
                        static_cast<long long>(r.cross_site));
    if (!only.empty()) return 0;  // the targets need every combination
    // Targets of the policy catalogue.
    std::printf("\nTargets:\n");
    auto target = [](bool ok, const std::string& what) {
        std::printf("  %s  %s\n", ok ? "PASS" : "MISS", what.c_str());
    };
    const auto& cons = rows["consolidate bfd/volume"];
    const auto& ffd = rows["baseline: from-scratch FFD repack"];
    const auto& budget = rows["consolidate bfd, mem budget 0.25"];
    const auto& bal = rows["balance bfd"];
    for (size_t i = 0; i < cons.size(); ++i) {
        const Row& r = cons[i];
        const double gap = 100.0 * static_cast<double>(r.active_after - r.lower_bound) /
                           static_cast<double>(r.lower_bound);
        const double ffd_gap = 100.0 *
                               static_cast<double>(ffd[i].active_after - ffd[i].lower_bound) /
                               static_cast<double>(ffd[i].lower_bound);
        char buf[256];
        std::snprintf(
            buf, sizeof buf,
            "%s consolidate gap %.2f%% (target <= 3%% at 10,000 hosts; FFD repack %.2f%%)",
            r.fleet.c_str(), gap, ffd_gap);
        target(r.fleet.rfind("10000", 0) != 0 || gap <= 3.0, buf);
        std::snprintf(
            buf, sizeof buf,
            "%s budget 0.25 frees %lld of %lld hosts (%.0f%%, target >= 75%%; at most %lld "
            "hosts can be emptied with 25%% of the memory)",
            r.fleet.c_str(), static_cast<long long>(budget[i].freed),
            static_cast<long long>(r.freed),
            100.0 * static_cast<double>(budget[i].freed) /
                static_cast<double>(std::max<int64_t>(1, r.freed)),
            static_cast<long long>(freeable[i]));
        target(static_cast<double>(budget[i].freed) >= 0.75 * static_cast<double>(r.freed), buf);
        std::snprintf(buf, sizeof buf,
                      "%s balance sd %.3f → %.3f moving %.0f%% of memory (target: half, <= 20%%)",
                      bal[i].fleet.c_str(), bal[i].sd_before, bal[i].sd_after,
                      100 * bal[i].moved_frac);
        target(bal[i].sd_after <= 0.5 * bal[i].sd_before && bal[i].moved_frac <= 0.20, buf);
    }
    const auto& hs = rows["hotspot holistic+bfd (preset)"];
    const auto& hs_ffd = rows["hotspot resource-constrained+ffd"];
    const auto& ev = rows["evacuate 5% resource-constrained+bfd"];
    const auto& ev_ffd = rows["evacuate 5% resource-constrained+ffd"];
    const auto& ev_base = rows["baseline: from-scratch FFD repack, evacuate 5%"];
    for (size_t i = 0; i < hs.size(); ++i) {
        char buf[256];
        const bool room = ffd[i].unresolved == 0;
        std::snprintf(
            buf, sizeof buf,
            "%s hotspot: %lld unresolved (FFD finds room: %s), %.2f TiB vs rc+ffd %.2f TiB",
            hs[i].fleet.c_str(), static_cast<long long>(hs[i].unresolved), room ? "yes" : "no",
            hs[i].moved_tib, hs_ffd[i].moved_tib);
        target((!room || hs[i].unresolved == 0) && hs[i].moved_tib <= hs_ffd[i].moved_tib, buf);
        const bool eroom = ev_base[i].unresolved == 0;
        std::snprintf(
            buf, sizeof buf,
            "%s evacuate: %lld unresolved (FFD finds room: %s), %.2f TiB vs rc+ffd %.2f TiB",
            ev[i].fleet.c_str(), static_cast<long long>(ev[i].unresolved), eroom ? "yes" : "no",
            ev[i].moved_tib, ev_ffd[i].moved_tib);
        target((!eroom || ev[i].unresolved == 0) && ev[i].moved_tib <= ev_ffd[i].moved_tib, buf);
    }
    return 0;
}
