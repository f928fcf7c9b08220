#include "src/plan/planner.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <limits>
#include <map>
#include <numeric>
#include <string>
#include <string_view>

#include "src/model/placement_state.hpp"
#include "src/plan/plan_costs.hpp"
#include "src/plan/schedule.hpp"
#include "src/util/assert.hpp"
#include "src/util/decimal.hpp"

namespace fp::plan {
namespace {

using model::kNoHost;
using model::PlacementState;
using model::Resources;

class Stopwatch {
  public:
    Stopwatch() : start_(std::chrono::steady_clock::now()) {}
    double lap() {
        const auto now = std::chrono::steady_clock::now();
        const double s = std::chrono::duration<double>(now - start_).count();
        start_ = now;
        return s;
    }

  private:
    std::chrono::steady_clock::time_point start_;
};

// A host's idle power when hosts.csv gives none (as pabfd assumes).
constexpr double kDefaultIdlePowerW = 100.0;

std::string describe_demand(const Resources& r) {
    return "cpu=" + format_scaled(r[model::kCpu], 1000) +
           " mem=" + format_scaled(r[model::kMem], 1024) + "MiB" +
           " net=" + format_scaled(r[model::kNet], 1000) + "Mbps";
}

class Planner {
  public:
    Planner(const model::Fleet& fleet, const PlanOptions& opt, const policy::PolicySet& pol,
            int keep_order = 0)
        : keep_order_(keep_order),
          fleet_(fleet),
          opt_(opt),
          pol_(pol),
          state_(fleet, opt.max_util_ppm, opt.anti_scope),
          evac_(fleet.hosts.size(), 0),
          allowed_(fleet.hosts.size(), 0),
          off_(fleet.hosts.size(), 0),
          receiver_(fleet.hosts.size(), 0),
          moved_(fleet.vms.size(), 0),
          move_index_(fleet.vms.size(), -1),
          arrivals_(fleet.hosts.size()) {
        ctx_.seed = opt.seed;
        ctx_.now_s = opt.now_s;
        ctx_.history = opt.history;
        ctx_.traffic = opt.traffic;
        ctx_.cost = &opt.cost;
        if (opt.frozen.size() == fleet.vms.size()) frozen_ = opt.frozen;
        frozen_.resize(fleet.vms.size(), 0);
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            const auto st = fleet.hosts[h].state;
            evac_[h] = st == model::HostState::kMaintenance;
            off_[h] = st == model::HostState::kOff;
        }
        for (int32_t h : opt.evacuate) evac_[static_cast<size_t>(h)] = 1;
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            allowed_[h] = !evac_[h] && !off_[h];
            // An off host being evacuated may not be switched on to take VMs either.
            if (evac_[h]) off_[h] = 0;
            if (!evac_[h]) {
                any_usable_ = true;
                for (int d = 0; d < model::kDims; ++d)
                    usable_max_[d] =
                        std::max(usable_max_[d], state_.limit(static_cast<int32_t>(h))[d]);
            }
        }
        // Compact copies of what the loops over a host's VMs read (not the 184-byte VM records).
        mem_kib_.reserve(fleet.vms.size());
        start_host_.reserve(fleet.vms.size());
        for (const auto& vm : fleet.vms) {
            total_mem_kib_ += vm.mem_size_kib;
            mem_kib_.push_back(vm.mem_size_kib);
            start_host_.push_back(vm.host);
        }
        if (opt.budget_mem_kib >= 0) {
            mem_budget_kib_ = static_cast<double>(opt.budget_mem_kib);
        } else if (opt.budget_mem_frac >= 0) {
            mem_budget_kib_ = opt.budget_mem_frac * static_cast<double>(total_mem_kib_);
        }
        for (const auto& [vm, h] : opt.preapplied) {
            state_.move(vm, h);
            frozen_[static_cast<size_t>(vm)] = 1;
        }
        // Sites, numbered in order of their names.
        std::vector<std::string> names;
        for (const auto& h : fleet.hosts) names.push_back(h.site);
        std::sort(names.begin(), names.end());
        names.erase(std::unique(names.begin(), names.end()), names.end());
        site_names_ = names;
        sites_ = static_cast<int32_t>(names.size());
        site_of_.resize(fleet.hosts.size());
        site_host_.assign(names.size(), kNoHost);
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            const auto s = static_cast<int32_t>(
                std::lower_bound(names.begin(), names.end(), fleet.hosts[h].site) - names.begin());
            site_of_[h] = s;
            if (site_host_[static_cast<size_t>(s)] == kNoHost)
                site_host_[static_cast<size_t>(s)] = static_cast<int32_t>(h);
        }
        admit_bw_ = admission_bandwidth(opt.cost, opt.waves.max_per_host);
        acceptable_.assign(fleet.vms.size(), -1);
    }

    Plan run(PhaseTimes& times) {
        Stopwatch sw;
        // detect: what needs doing
        std::vector<int32_t> evac_hosts;
        for (int32_t h : state_.hosts_by_id())
            if (evac_[static_cast<size_t>(h)] && !state_.vms_on(h).empty()) evac_hosts.push_back(h);
        std::vector<int32_t> new_vms;
        for (int32_t v = 0; v < state_.vm_count(); ++v)
            if (fleet_.vms[static_cast<size_t>(v)].is_new()) new_vms.push_back(v);
        times.detect += sw.lap();

        const bool budgeted =
            opt_.budget_migrations >= 0 || opt_.budget_mem_frac >= 0 || opt_.budget_mem_kib >= 0;
        if (opt_.phase == Phase::kGlobal) {
            // The shards' leftovers: VMs still to leave evacuated hosts, new VMs, and hosts still
            // above max-util; every host of the fleet may take them.
            evacuate(evac_hosts);
            place_new(new_vms);
            times.place += sw.lap();
            relieve_hotspots({}, times, sw);
            times.place += sw.lap();
        } else if (opt_.goal == Goal::kConsolidate && !budgeted) {
            // One global repack does evacuation, new VMs, hot hosts that are not kept, and
            // consolidation at once; then the kept hosts' hot spots; then a last drain pass.
            consolidate_all(evac_hosts, new_vms);
            separate_anti_affinity();
            times.place += sw.lap();
            const policy::TriggerResult trig = pol_.trigger->evaluate(state_, ctx_);
            times.detect += sw.lap();
            relieve_hotspots(trig.hot, times, sw);
            drain_kept();
            times.place += sw.lap();
        } else {
            // Mandatory moves first (evacuation, new VMs), then hot spots, then the goal.
            evacuate(evac_hosts);
            place_new(new_vms);
            separate_anti_affinity();
            times.place += sw.lap();
            const policy::TriggerResult trig = pol_.trigger->evaluate(state_, ctx_);
            times.detect += sw.lap();
            relieve_hotspots(trig.hot, times, sw);
            if (opt_.goal == Goal::kConsolidate) {
                // Under a budget: free the hosts that are cheapest to empty first.
                std::vector<int32_t> all;
                for (int32_t h = 0; h < state_.host_count(); ++h)
                    if (!state_.vms_on(h).empty()) all.push_back(h);
                consolidate_cheapest_first(std::move(all));
                times.place += sw.lap();
            } else if (opt_.goal == Goal::kAuto) {
                // Only the trigger's cold spots, re-evaluated after the mandatory moves.
                std::vector<int32_t> cold = pol_.trigger->evaluate(state_, ctx_).cold;
                times.detect += sw.lap();
                consolidate_cold(std::move(cold));
                times.place += sw.lap();
            } else if (opt_.goal == Goal::kBalance) {
                balance();
                times.place += sw.lap();
            }
        }

        // Drop the tombstones of retargeted moves (the order of the rest is kept).
        size_t live = 0;
        for (size_t k = 0; k < plan_.moves.size(); ++k)
            if (!dead_[k]) plan_.moves[live++] = plan_.moves[k];
        plan_.moves.resize(live);
        if (opt_.phase != Phase::kGlobal) grow_allocations();
        std::sort(plan_.powered_on.begin(), plan_.powered_on.end(),
                  [&](int32_t a, int32_t b) { return state_.id_rank(a) < state_.id_rank(b); });
        plan_.migrations = migrations_;
        plan_.moved_mem_kib = moved_mem_kib_;
        times.resolve += sw.lap();
        return std::move(plan_);
    }

  private:
    // ---- budgets ----
    bool within_budget(int64_t extra_moves, int64_t extra_mem_kib) const {
        if (opt_.budget_migrations >= 0 && migrations_ + extra_moves > opt_.budget_migrations)
            return false;
        if (mem_budget_kib_ >= 0 &&
            static_cast<double>(moved_mem_kib_ + extra_mem_kib) > mem_budget_kib_)
            return false;
        return true;
    }
    int64_t mem_of(int32_t vm) const { return mem_kib_[static_cast<size_t>(vm)]; }
    // The host a VM starts on (kNoHost: new), from the compact copy.
    int32_t start_host(int32_t vm) const { return start_host_[static_cast<size_t>(vm)]; }
    // May this VM move (again) in this plan? Not twice, not during its cooldown.
    bool movable(int32_t vm) const {
        return !moved_[static_cast<size_t>(vm)] && !frozen_[static_cast<size_t>(vm)];
    }

    // ---- moves ----
    void append_move(const Move& m) {
        const auto idx = static_cast<int32_t>(plan_.moves.size());
        move_index_[static_cast<size_t>(m.vm)] = idx;
        arrivals_[static_cast<size_t>(m.target)].push_back(idx);
        plan_.moves.push_back(m);
        dead_.push_back(0);
    }

    void record(int32_t vm, int32_t target, MoveReason reason) {
        const int32_t source = state_.host_of(vm);
        FP_ASSERT(!moved_[static_cast<size_t>(vm)]);
        FP_ASSERT(source != target);
        moved_[static_cast<size_t>(vm)] = 1;
        Move m;
        m.vm = vm;
        m.source = source;
        m.target = target;
        m.reason = reason;
        append_move(m);
        if (source != kNoHost) {
            ++migrations_;
            moved_mem_kib_ += mem_of(vm);
        }
        receiver_[static_cast<size_t>(target)] = 1;
        if (off_[static_cast<size_t>(target)]) {
            off_[static_cast<size_t>(target)] = 0;
            allowed_[static_cast<size_t>(target)] = 1;
            plan_.powered_on.push_back(target);
        }
        state_.move(vm, target);
    }

    // The placement policy's choice among allowed hosts; failing that, an off host is switched
    // on (largest first by the same policy) when `power_on` allows it.
    std::optional<int32_t> choose(int32_t vm, bool power_on) {
        if (!may_fit_somewhere(vm)) return std::nullopt;  // no scan of every host for nothing
        // A shard leaves switching hosts on to the global step, which sees every active host.
        if (opt_.phase == Phase::kLocal) power_on = false;
        // Never the VM's own host (a trigger may flag a host that still has room at max-util).
        // Its own site first (with every fallback there, an off host included); then, where
        // cross_site lets this VM leave its site, anywhere.
        const int32_t src = state_.host_of(vm);
        if (src == kNoHost) return choose_among(vm, power_on, /*cross=*/false);
        const uint8_t saved = allowed_[static_cast<size_t>(src)];
        allowed_[static_cast<size_t>(src)] = 0;
        auto h = choose_among(vm, power_on, false);
        if (!h && may_cross(vm)) h = choose_among(vm, power_on, true);
        allowed_[static_cast<size_t>(src)] = saved;
        return h;
    }

    std::optional<int32_t> choose_among(int32_t vm, bool power_on, bool cross) {
        if (!kept_.empty()) {
            // After a consolidation repack, the kept hosts come first: a later move onto a
            // freed host would undo the freeing.
            std::vector<uint8_t> kept(allowed_.size(), 0);
            for (size_t h = 0; h < kept.size(); ++h) kept[h] = allowed_[h] && kept_[h];
            if (auto k = place(vm, kept, Work::kMandatory, cross)) return k;
        }
        auto h = place(vm, allowed_, Work::kMandatory, cross);
        if (h || !power_on) return h;
        return place(vm, off_, Work::kMandatory, cross);
    }

    // ---- sites and migration limits ----
    enum class Work { kMandatory, kOptional };

    // The site a VM starts from (-1 for a new VM, which may go anywhere).
    int32_t home_site(int32_t vm) const {
        const int32_t h = start_host(vm);
        return h == kNoHost ? -1 : site_of_[static_cast<size_t>(h)];
    }
    // May this VM's mandatory move leave its site when the site has no room?
    bool may_cross(int32_t vm) const {
        const int32_t h = start_host(vm);
        if (h == kNoHost || sites_ < 2) return false;
        return opt_.cross_site == CrossSite::kAllow ||
               (opt_.cross_site == CrossSite::kEvacuations && evac_[static_cast<size_t>(h)]);
    }
    // Does a move of the VM from its site to `site` stay within [migration]'s limits (downtime,
    // convergence, timeout), estimated at the bandwidth the wave limits leave it?
    bool acceptable(int32_t vm, int32_t site) {
        const int32_t src = start_host(vm);
        if (src == kNoHost || !opt_.enforce_migration_limits) return true;
        const bool same = site == site_of_[static_cast<size_t>(src)];
        int8_t& cached = acceptable_[static_cast<size_t>(vm)];
        if (same && cached >= 0) return cached != 0;
        const double mem_mib = static_cast<double>(mem_of(vm)) / 1024.0;
        const model::MigrationEstimate e = estimate_move(
            fleet_, vm, src, site_host_[static_cast<size_t>(site)], admit_bw_, mem_mib, opt_.cost);
        const bool ok = limit_flags(e, opt_.cost) == 0;
        if (same) cached = ok ? 1 : 0;
        return ok;
    }
    bool acceptable_at_home(int32_t vm) {
        return home_site(vm) < 0 || acceptable(vm, home_site(vm));
    }
    // Optional work (consolidation, balance) moves a VM only if it may move at all, and within
    // the migration limits somewhere it may go.
    bool optional_ok(int32_t vm) {
        if (!movable(vm)) return false;
        if (opt_.cross_site != CrossSite::kAllow || home_site(vm) < 0)
            return acceptable_at_home(vm);
        for (int32_t s = 0; s < sites_; ++s)
            if (acceptable(vm, s)) return true;
        return false;
    }

    // The placement policy's choice among `base`, restricted to where the VM may go: a running
    // VM stays in its site unless `cross`; optional work goes only where the move stays within
    // the migration limits (under cross_site = "allow", possibly another site).
    std::optional<int32_t> place(int32_t vm, const std::vector<uint8_t>& base, Work work,
                                 bool cross) {
        const int32_t home = home_site(vm);
        if (home < 0 || sites_ < 2) return pol_.placement->choose(state_, vm, base, ctx_);
        if (work == Work::kOptional) cross = opt_.cross_site == CrossSite::kAllow;
        site_ok_.assign(static_cast<size_t>(sites_), 0);
        bool all = true;
        for (int32_t s = 0; s < sites_; ++s) {
            bool ok = s == home || cross;
            if (ok && work == Work::kOptional) ok = acceptable(vm, s);
            site_ok_[static_cast<size_t>(s)] = ok;
            all = all && ok;
        }
        if (all) return pol_.placement->choose(state_, vm, base, ctx_);
        scratch_.resize(base.size());
        for (size_t h = 0; h < base.size(); ++h)
            scratch_[h] = base[h] & site_ok_[static_cast<size_t>(site_of_[h])];
        return pol_.placement->choose(state_, vm, scratch_, ctx_);
    }

    // Is emptying the host worth what copying its VMs away costs? The energy its idle power
    // draws over the horizon against move_wh_per_gib per GiB of their memory.
    bool worth_draining(int32_t h) const {
        const double idle_wh =
            fleet_.hosts[static_cast<size_t>(h)].power_idle_w.value_or(kDefaultIdlePowerW) *
            opt_.horizon_s / 3600.0;
        int64_t kib = 0;
        for (int32_t vm : state_.vms_on(h)) kib += mem_of(vm);
        const double gib = static_cast<double>(kib) / (1024.0 * 1024.0);
        return idle_wh > opt_.move_wh_per_gib * gib;
    }

    // False when no usable host could take the VM even empty: no host may take VMs at all, or
    // the VM is above the largest max-util limit in some dimension. O(1), so that hostile fleets
    // (every host in maintenance, VMs larger than any host) cost no scan of the hosts per VM.
    bool may_fit_somewhere(int32_t vm) const {
        return any_usable_ && state_.demand(vm).fits_within(usable_max_);
    }

    std::string why_unplaceable(int32_t vm) const {
        const Resources& dem = state_.demand(vm);
        if (!any_usable_)
            return "no usable host for VM " + fleet_.vms[static_cast<size_t>(vm)].id +
                   ": every host is in maintenance or being evacuated";
        bool fits_some_host = false;
        for (int32_t h = 0; h < state_.host_count() && dem.fits_within(usable_max_); ++h) {
            if (evac_[static_cast<size_t>(h)]) continue;
            if (dem.fits_within(state_.limit(h))) {
                fits_some_host = true;
                break;
            }
        }
        if (!fits_some_host)
            return "VM " + fleet_.vms[static_cast<size_t>(vm)].id + " (" + describe_demand(dem) +
                   ") is larger than any usable host at max-util";
        return "no usable host has room for VM " + fleet_.vms[static_cast<size_t>(vm)].id + " (" +
               describe_demand(dem) + ")";
    }

    // A VM that must move (evacuation, a new VM) could not: a shard hands it to the global step
    // (another shard may have room or budget left); otherwise the plan says why.
    template <typename Reason>
    void must_move_failed(int32_t host, int32_t vm, Reason reason) {
        if (opt_.phase == Phase::kLocal) {
            plan_.deferred.push_back(vm);
        } else {
            plan_.unresolved.push_back({host, vm, reason()});
        }
    }

    // VMs in decreasing order of the placement policy's size, ties by VM id.
    void sort_decreasing(std::vector<int32_t>& vms) const {
        std::vector<std::pair<double, int32_t>> keyed;
        keyed.reserve(vms.size());
        for (int32_t v : vms) keyed.emplace_back(pol_.placement->order_score(state_, v), v);
        std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
            if (a.first != b.first) return a.first > b.first;
            return fleet_.vms[static_cast<size_t>(a.second)].id <
                   fleet_.vms[static_cast<size_t>(b.second)].id;
        });
        for (size_t i = 0; i < vms.size(); ++i) vms[i] = keyed[i].second;
    }

    // ---- steps ----
    void evacuate(const std::vector<int32_t>& hosts) {
        for (int32_t h : hosts) {
            std::vector<int32_t> vms = state_.vms_on(h);
            sort_decreasing(vms);
            for (int32_t vm : vms) {
                // The global step moves only the shards' leftovers, never the pinned rest.
                if (opt_.phase == Phase::kGlobal && frozen_[static_cast<size_t>(vm)]) continue;
                if (!within_budget(1, mem_of(vm))) {
                    must_move_failed(h, vm, [&] {
                        return "migration budget exhausted before VM " +
                               fleet_.vms[static_cast<size_t>(vm)].id + " could leave";
                    });
                    continue;
                }
                auto t = choose(vm, true);
                if (!t) {
                    must_move_failed(h, vm,
                                     [&] { return "cannot evacuate: " + why_unplaceable(vm); });
                    continue;
                }
                record(vm, *t, MoveReason::kEvacuate);
            }
        }
    }

    void place_new(std::vector<int32_t> vms) {
        sort_decreasing(vms);
        for (int32_t vm : vms) {
            // The global step places only the new VMs its shards deferred.
            if (opt_.phase == Phase::kGlobal && frozen_[static_cast<size_t>(vm)]) continue;
            auto t = choose(vm, true);
            if (!t) {
                must_move_failed(kNoHost, vm,
                                 [&] { return "cannot place new VM: " + why_unplaceable(vm); });
                continue;
            }
            record(vm, *t, MoveReason::kNewVm);
        }
    }

    enum class Offload { kMoved, kExcluded, kBudgetHit };

    // Moves one VM off a hot host to the placement's choice. A VM that may not move or finds no
    // room joins `exclude`, so the selection is asked again without it.
    Offload offload(int32_t vm, std::vector<int32_t>& exclude, bool power_on) {
        if (!movable(vm)) {
            exclude.push_back(vm);
            return Offload::kExcluded;
        }
        if (!within_budget(1, mem_of(vm))) return Offload::kBudgetHit;
        auto t = choose(vm, power_on);
        if (!t) {
            exclude.push_back(vm);
            return Offload::kExcluded;
        }
        record(vm, *t, MoveReason::kHotspot);
        return Offload::kMoved;
    }

    // Relieves the trigger's hot spots first, then any other host above max-util (the plan
    // guarantees max-util whatever the trigger's thresholds).
    void relieve_hotspots(std::vector<int32_t> hot, PhaseTimes& times, Stopwatch& sw) {
        std::vector<uint8_t> listed(allowed_.size(), 0);
        for (int32_t h : hot) listed[static_cast<size_t>(h)] = 1;
        for (int32_t h : state_.hosts_by_id())
            if (!listed[static_cast<size_t>(h)] && state_.overloaded(h)) hot.push_back(h);
        for (int32_t h : hot) {
            if (evac_[static_cast<size_t>(h)] || off_[static_cast<size_t>(h)]) continue;
            // The global step takes up only hosts whose shard handed it VMs to move.
            if (opt_.phase == Phase::kGlobal &&
                std::none_of(state_.vms_on(h).begin(), state_.vms_on(h).end(),
                             [&](int32_t vm) { return movable(vm); }))
                continue;
            std::vector<int32_t> exclude, over_limits;
            for (int32_t vm : state_.vms_on(h)) {
                if (frozen_[static_cast<size_t>(vm)]) {
                    exclude.push_back(vm);
                } else if (!acceptable_at_home(vm)) {
                    over_limits.push_back(vm);
                }
            }
            bool budget_hit = false;
            // The selection first chooses among the VMs whose moves stay within the migration
            // limits; only if that cannot relieve the host, among all (those moves are flagged).
            std::vector<int32_t> ex = exclude;
            ex.insert(ex.end(), over_limits.begin(), over_limits.end());
            for (int pass = 0; pass < 2 && state_.overloaded(h) && !budget_hit; ++pass) {
                if (pass == 1 && over_limits.empty()) break;
                if (pass == 1) ex = exclude;
                while (state_.overloaded(h) && !budget_hit) {
                    const std::vector<int32_t> chosen = pol_.selection->select(state_, h, ex, ctx_);
                    times.select += sw.lap();
                    if (chosen.empty()) break;
                    for (int32_t vm : chosen) {
                        if (!state_.overloaded(h)) break;
                        const Offload r = offload(vm, ex, /*power_on=*/true);
                        budget_hit = r == Offload::kBudgetHit;
                        if (r != Offload::kMoved) break;  // ask the selection again without it
                    }
                    times.place += sw.lap();
                }
            }
            exclude = std::move(ex);  // proactive relief below prefers moves within the limits too
            // Proactive relief: the trigger may flag a host below max-util (a rising trend, a
            // forecast); VMs leave one at a time, as the selection ranks them, until it no
            // longer does (CloudSim's loop). Never onto a switched-off host.
            for (int guard = 0;
                 opt_.phase != Phase::kGlobal && !budget_hit && !state_.overloaded(h) &&
                 guard < 64 && pol_.trigger->is_hot(state_, h, ctx_);
                 ++guard) {
                const Resources saved = state_.limit(h);
                Resources tight = saved;
                int dim = 0;
                for (int d = 1; d < model::kDims; ++d)
                    if (state_.util(h, d) > state_.util(h, dim)) dim = d;
                tight[dim] = std::min(saved[dim], state_.load(h)[dim] - 1);
                state_.set_limit(h, tight);
                const std::vector<int32_t> chosen =
                    pol_.selection->select(state_, h, exclude, ctx_);
                state_.set_limit(h, saved);
                times.select += sw.lap();
                if (chosen.empty()) break;
                budget_hit =
                    offload(chosen.front(), exclude, /*power_on=*/false) == Offload::kBudgetHit;
                times.place += sw.lap();
            }
            if (state_.overloaded(h) && opt_.phase == Phase::kLocal) {
                // Another shard may have room: hand every VM that may still move to the global
                // step, whose selection policy picks among them again.
                for (int32_t vm : state_.vms_on(h))
                    if (movable(vm)) plan_.deferred.push_back(vm);
                continue;
            }
            if (state_.overloaded(h)) {
                std::string dims;
                for (int d = 0; d < model::kDims; ++d)
                    if (state_.load(h)[d] > state_.limit(h)[d])
                        dims += std::string(dims.empty() ? "" : ",") +
                                model::kDimNames[static_cast<size_t>(d)];
                // Name the VMs that fit no host at all: no plan can relieve the host of them.
                std::string too_large;
                for (int32_t vm : state_.vms_on(h))
                    if (!may_fit_somewhere(vm))
                        too_large += std::string(too_large.empty() ? "" : "; ") + "VM " +
                                     fleet_.vms[static_cast<size_t>(vm)].id + " (" +
                                     describe_demand(state_.demand(vm)) +
                                     ") is larger than any usable host at max-util";
                // VMs the previous plan moved may not move again yet: say so, it may be why.
                int64_t cooling = 0;
                for (int32_t vm : state_.vms_on(h)) cooling += frozen_[static_cast<size_t>(vm)];
                const std::string cooldown =
                    cooling == 0 ? ""
                                 : "; " + std::to_string(cooling) +
                                       " of its VMs are in cooldown (moved by the previous "
                                       "plan) and may not move yet";
                plan_.unresolved.push_back(
                    {h, -1,
                     "still above max-util in " + dims +
                         (budget_hit ? ": migration budget exhausted"
                                     : ": no other host can take enough of its VMs") +
                         (too_large.empty() ? "" : " (" + too_large + ")") + cooldown});
            }
        }
    }

    // Load relative to the largest host type: what draining the host would move.
    double drain_key(int32_t h) const {
        const Resources& ref = state_.reference_capacity();
        double key = 0;
        for (int d = 0; d < model::kDims; ++d)
            if (ref[d] > 0)
                key += static_cast<double>(state_.load(h)[d]) / static_cast<double>(ref[d]);
        return key;
    }

    bool drainable(int32_t h) const {
        const size_t hi = static_cast<size_t>(h);
        return !evac_[hi] && !off_[hi] && !receiver_[hi] && !state_.vms_on(h).empty() &&
               !state_.overloaded(h);
    }

    // Sorts hosts by ascending drain key, ties by id.
    void sort_by_drain_key(std::vector<int32_t>& hosts) const {
        std::vector<std::pair<double, int32_t>> keyed;
        for (int32_t h : hosts) keyed.emplace_back(drain_key(h), h);
        std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first < b.first
                                      : state_.id_rank(a.second) < state_.id_rank(b.second);
        });
        for (size_t i = 0; i < hosts.size(); ++i) hosts[i] = keyed[i].second;
    }

    // Moves every VM of h onto `targets`, or nothing: if one VM finds no room the tentative
    // moves are undone. On success h leaves the targets.
    bool drain(int32_t h, std::vector<uint8_t>& targets) {
        const size_t hi = static_cast<size_t>(h);
        std::vector<int32_t> vms = state_.vms_on(h);
        int64_t mem = 0;
        for (int32_t vm : vms) {
            mem += mem_of(vm);
            if (!optional_ok(vm)) return false;
        }
        if (!worth_draining(h)) return false;
        if (!within_budget(static_cast<int64_t>(vms.size()), mem)) return false;
        sort_decreasing(vms);
        const uint8_t was_target = targets[hi];
        targets[hi] = 0;
        std::vector<std::pair<int32_t, int32_t>> tentative;  // (vm, target)
        bool ok = true;
        for (int32_t vm : vms) {
            auto t = place(vm, targets, Work::kOptional, false);
            if (!t) {
                ok = false;
                break;
            }
            state_.move(vm, *t);
            tentative.emplace_back(vm, *t);
        }
        // Undo, then (on success) replay as recorded moves in the same order.
        for (auto it = tentative.rbegin(); it != tentative.rend(); ++it) state_.move(it->first, h);
        if (!ok) {
            targets[hi] = was_target;
            return false;
        }
        for (const auto& [vm, t] : tentative) record(vm, t, MoveReason::kConsolidate);
        return true;
    }

    // goal auto: drain the trigger's cold spots, emptiest first, into hosts that already run VMs
    // (filling an empty host frees nothing).
    void consolidate_cold(std::vector<int32_t> cold) {
        std::vector<uint8_t> targets(allowed_.size(), 0);
        for (int32_t h = 0; h < state_.host_count(); ++h)
            targets[static_cast<size_t>(h)] =
                allowed_[static_cast<size_t>(h)] && !state_.vms_on(h).empty();
        sort_by_drain_key(cold);
        for (int32_t h : cold)
            if (drainable(h)) drain(h, targets);
    }

    // goal consolidate under a budget: drain hosts in order of the memory their VMs would copy,
    // least first, so the budget frees as many hosts as it can; targets are hosts already
    // running VMs, and a drain that does not fit the remaining budget is skipped.
    void consolidate_cheapest_first(std::vector<int32_t> hosts) {
        std::vector<uint8_t> targets(allowed_.size(), 0);
        for (int32_t h = 0; h < state_.host_count(); ++h)
            targets[static_cast<size_t>(h)] =
                allowed_[static_cast<size_t>(h)] && !state_.vms_on(h).empty();
        std::vector<std::pair<int64_t, int32_t>> keyed;
        for (int32_t h : hosts) {
            int64_t mem = 0;
            for (int32_t vm : state_.vms_on(h)) mem += mem_of(vm);
            keyed.emplace_back(mem, h);
        }
        std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first < b.first
                                      : state_.id_rank(a.second) < state_.id_rank(b.second);
        });
        // The hosts the budget can pay for are not targets: filling them would stop their drain.
        const double budget_kib = opt_.budget_mem_frac >= 0
                                      ? opt_.budget_mem_frac * static_cast<double>(total_mem_kib_) -
                                            static_cast<double>(moved_mem_kib_)
                                      : std::numeric_limits<double>::infinity();
        int64_t budget_moves = opt_.budget_migrations >= 0 ? opt_.budget_migrations - migrations_
                                                           : std::numeric_limits<int64_t>::max();
        double planned = 0;
        for (const auto& [mem, h] : keyed) {
            if (!drainable(h)) continue;
            const auto n = static_cast<int64_t>(state_.vms_on(h).size());
            if (planned + static_cast<double>(mem) > budget_kib || n > budget_moves) break;
            planned += static_cast<double>(mem);
            budget_moves -= n;
            targets[static_cast<size_t>(h)] = 0;
        }
        for (const auto& [mem, h] : keyed) {
            if (!drainable(h)) continue;
            if (!drain(h, targets)) targets[static_cast<size_t>(h)] = !state_.vms_on(h).empty();
        }
    }

    // goal consolidate: choose the hosts to keep — the largest first (ties: the most loaded, so
    // fewer VMs move), until their limits cover the fleet's demand in every dimension — and pack
    // every other VM into them, largest first: VMs of hosts being evacuated, new VMs and VMs of
    // every host not kept. When a VM fits nowhere the next largest host joins the kept ones (its
    // VMs stay); a running VM that still fits nowhere keeps its own host.
    void consolidate_all(const std::vector<int32_t>& evac_hosts,
                         const std::vector<int32_t>& new_vms) {
        const Resources& ref = state_.reference_capacity();
        // How "large" a host is: its capacity relative to the largest host, per dimension,
        // weighted by the keep order: all dimensions alike, by the fleet's demand/capacity ratio
        // (the scarce dimension counts most), or the scarcest dimension alone.
        std::array<double, model::kDims> keep_weight{1.0, 1.0, 1.0};
        if (keep_order_ > 0) {
            const Resources demand = fleet_.total_demand();
            Resources cap;
            for (int32_t h = 0; h < state_.host_count(); ++h)
                if (allowed_[static_cast<size_t>(h)] || off_[static_cast<size_t>(h)])
                    cap += state_.capacity(h);
            int scarce = 0;
            for (int d = 0; d < model::kDims; ++d) {
                keep_weight[static_cast<size_t>(d)] =
                    cap[d] > 0 ? static_cast<double>(demand[d]) / static_cast<double>(cap[d]) : 0.0;
                if (keep_weight[static_cast<size_t>(d)] > keep_weight[static_cast<size_t>(scarce)])
                    scarce = d;
            }
            if (keep_order_ == 2)
                for (int d = 0; d < model::kDims; ++d)
                    keep_weight[static_cast<size_t>(d)] = d == scarce ? 1.0 : 0.0;
        }
        std::vector<std::pair<double, int32_t>> by_size;
        for (int32_t h = 0; h < state_.host_count(); ++h) {
            // Off hosts may be switched on when that lets more, smaller hosts go.
            if (!allowed_[static_cast<size_t>(h)] && !off_[static_cast<size_t>(h)]) continue;
            double size = 0;
            for (int d = 0; d < model::kDims; ++d)
                if (ref[d] > 0)
                    size += keep_weight[static_cast<size_t>(d)] *
                            static_cast<double>(state_.capacity(h)[d]) /
                            static_cast<double>(ref[d]);
            by_size.emplace_back(size, h);
        }
        std::sort(by_size.begin(), by_size.end(), [&](const auto& a, const auto& b) {
            if (a.first != b.first) return a.first > b.first;
            const double la = drain_key(a.second), lb = drain_key(b.second);
            if (la != lb) return la > lb;
            return state_.id_rank(a.second) < state_.id_rank(b.second);
        });
        // The demand to cover: every VM that fits some host (one larger than any host at
        // max-util is unresolved, or keeps its own host, whatever is kept).
        Resources total;
        for (int32_t vm = 0; vm < state_.vm_count(); ++vm)
            if (may_fit_somewhere(vm)) total += state_.demand(vm);
        std::vector<uint8_t>& targets = kept_;
        targets.assign(allowed_.size(), 0);
        Resources covered;
        std::vector<Resources> site_covered(static_cast<size_t>(sites_));
        auto keep = [&](int32_t h) {
            targets[static_cast<size_t>(h)] = 1;
            covered += state_.limit(h);
            site_covered[static_cast<size_t>(site_of_[static_cast<size_t>(h)])] += state_.limit(h);
        };
        // Hosts that stay whatever the packing: emptying them is not worth its migrations, or
        // one of their VMs may not move (cooldown, or a move beyond the migration limits).
        for (const auto& [size, h] : by_size) {
            if (!allowed_[static_cast<size_t>(h)] || state_.vms_on(h).empty()) continue;
            bool pinned = !worth_draining(h);
            for (int32_t vm : state_.vms_on(h)) pinned = pinned || !optional_ok(vm);
            if (pinned) keep(h);
        }
        // With site boundaries, each site keeps enough of its own largest hosts for the VMs
        // bound to it; then the largest hosts anywhere until the fleet's demand is covered.
        if (opt_.cross_site != CrossSite::kAllow && sites_ > 1) {
            std::vector<Resources> site_demand(static_cast<size_t>(sites_));
            for (int32_t vm = 0; vm < state_.vm_count(); ++vm) {
                const int32_t h = fleet_.vms[static_cast<size_t>(vm)].host;
                if (h == kNoHost || !may_fit_somewhere(vm) ||
                    (opt_.cross_site == CrossSite::kEvacuations && evac_[static_cast<size_t>(h)]))
                    continue;
                site_demand[static_cast<size_t>(site_of_[static_cast<size_t>(h)])] +=
                    state_.demand(vm);
            }
            for (const auto& [size, h] : by_size) {
                const auto site = static_cast<size_t>(site_of_[static_cast<size_t>(h)]);
                if (!targets[static_cast<size_t>(h)] &&
                    !site_demand[site].fits_within(site_covered[site]))
                    keep(h);
            }
        }
        for (const auto& [size, h] : by_size) {
            if (total.fits_within(covered)) break;
            if (!targets[static_cast<size_t>(h)]) keep(h);
        }
        // The next largest host not yet kept, of one site (-1: of any), when a VM fits nowhere.
        std::vector<size_t> cursor(static_cast<size_t>(sites_) + 1, 0);
        auto open_next = [&](int32_t site) -> int32_t {
            size_t& c = cursor[site < 0 ? static_cast<size_t>(sites_) : static_cast<size_t>(site)];
            while (c < by_size.size()) {
                const int32_t h = by_size[c++].second;
                if (targets[static_cast<size_t>(h)]) continue;
                if (site >= 0 && site_of_[static_cast<size_t>(h)] != site) continue;
                return h;
            }
            return kNoHost;
        };
        std::vector<uint8_t> must_move(fleet_.vms.size(), 0);
        std::vector<int32_t> pool;
        for (int32_t h : evac_hosts)
            for (int32_t vm : state_.vms_on(h)) {
                pool.push_back(vm);
                must_move[static_cast<size_t>(vm)] = 1;
            }
        for (int32_t vm : new_vms) {
            pool.push_back(vm);
            must_move[static_cast<size_t>(vm)] = 1;
        }
        for (const auto& [size, h] : by_size)
            if (!targets[static_cast<size_t>(h)])
                for (int32_t vm : state_.vms_on(h)) pool.push_back(vm);
        // Kept hosts above max-util shed what the selection policy picks into the same packing,
        // so their excess lands on kept hosts with room rather than on freed ones.
        std::vector<uint8_t> shed(fleet_.vms.size(), 0);
        for (const auto& [size, h] : by_size) {
            if (!targets[static_cast<size_t>(h)] || !state_.overloaded(h)) continue;
            std::vector<int32_t> exclude;
            for (int32_t vm : state_.vms_on(h))
                if (frozen_[static_cast<size_t>(vm)]) exclude.push_back(vm);
            for (int32_t vm : pol_.selection->select(state_, h, exclude, ctx_)) {
                pool.push_back(vm);
                shed[static_cast<size_t>(vm)] = 1;
            }
        }
        sort_decreasing(pool);
        for (int32_t vm : pool) {
            const int32_t src = state_.host_of(vm);
            const bool forced = must_move[static_cast<size_t>(vm)];
            if (shed[static_cast<size_t>(vm)]) {
                // Leaves a hot kept host if a kept host has room; else the hot-spot pass decides.
                if (!state_.overloaded(src) || !within_budget(1, mem_of(vm))) continue;
                if (auto t = place(vm, targets, Work::kMandatory, false))
                    record(vm, *t, MoveReason::kHotspot);
                continue;
            }
            if (!forced && targets[static_cast<size_t>(src)]) continue;  // its host was kept
            if (src != kNoHost && !within_budget(1, mem_of(vm))) {
                if (forced) {
                    plan_.unresolved.push_back({src, vm,
                                                "migration budget exhausted before VM " +
                                                    fleet_.vms[static_cast<size_t>(vm)].id +
                                                    " could leave"});
                } else {
                    targets[static_cast<size_t>(src)] = 1;
                }
                continue;
            }
            // A VM that fits no host even empty opens no more hosts in vain.
            const bool may_fit = may_fit_somewhere(vm);
            const Work work = forced ? Work::kMandatory : Work::kOptional;
            auto t = may_fit ? place(vm, targets, work, false) : std::nullopt;
            while (may_fit && !t) {
                const int32_t h = open_next(home_site(vm));
                if (h == kNoHost) break;
                targets[static_cast<size_t>(h)] = 1;
                if (!forced && h == src) break;  // its own host is kept now
                t = place(vm, targets, work, false);
            }
            // An evacuated VM whose site is full may leave it where cross_site allows.
            if (may_fit && !t && forced && may_cross(vm)) {
                t = place(vm, targets, work, true);
                while (!t) {
                    const int32_t h = open_next(-1);
                    if (h == kNoHost) break;
                    targets[static_cast<size_t>(h)] = 1;
                    t = place(vm, targets, work, true);
                }
            }
            if (t) {
                record(vm, *t,
                       src == kNoHost ? MoveReason::kNewVm
                       : forced       ? MoveReason::kEvacuate
                                      : MoveReason::kConsolidate);
            } else if (forced) {
                must_move_failed(src, vm, [&] {
                    return (src == kNoHost ? "cannot place new VM: " : "cannot evacuate: ") +
                           why_unplaceable(vm);
                });
            } else {
                targets[static_cast<size_t>(src)] = 1;
            }
        }
        undo_partial_drains();
    }

    // A consolidation move from a host that still runs VMs frees nothing: it is taken back (the
    // VM stays home) wherever that keeps every move feasible in sequence.
    void undo_partial_drains() {
        std::vector<int32_t> wasted;
        for (size_t k = 0; k < plan_.moves.size(); ++k) {
            const Move& m = plan_.moves[k];
            if (!dead_[k] && m.reason == MoveReason::kConsolidate && m.source != kNoHost &&
                !state_.vms_on(m.source).empty())
                wasted.push_back(m.vm);
        }
        for (auto it = wasted.rbegin(); it != wasted.rend(); ++it) {
            const int32_t vm = *it;
            const Move& m = plan_.moves[static_cast<size_t>(move_index_[static_cast<size_t>(vm)])];
            if (can_retarget(vm) && state_.fits(vm, m.source)) retarget(vm, m.source, m.reason);
        }
    }

    // Drains kept hosts, emptiest first, into the other kept hosts.
    void drain_kept() {
        std::vector<int32_t> kept;
        for (int32_t h = 0; h < state_.host_count(); ++h)
            if (kept_[static_cast<size_t>(h)] && !state_.vms_on(h).empty()) kept.push_back(h);
        sort_by_drain_key(kept);
        for (int32_t h : kept)
            if (drainable(h)) drain(h, kept_);
    }

    // Members of one anti-affinity group that already share a host: all but the one with the
    // lowest id leave (to the placement policy's choice, which never reunites them).
    void separate_anti_affinity() {
        // Domains (hosts, or racks) in the order of their first host by id.
        std::map<int32_t, size_t> slot;
        std::vector<std::vector<int32_t>> domains;
        for (int32_t h : state_.hosts_by_id()) {
            const auto [it, fresh] = slot.emplace(state_.anti_domain(h), domains.size());
            if (fresh) domains.emplace_back();
            domains[it->second].push_back(h);
        }
        const char* where = opt_.anti_scope == model::AntiScope::kRack ? "rack" : "host";
        for (const std::vector<int32_t>& hosts : domains) {
            std::vector<int32_t> vms;
            for (int32_t h : hosts)
                for (int32_t vm : state_.vms_on(h))
                    if (state_.anti_id(vm) >= 0) vms.push_back(vm);
            std::sort(vms.begin(), vms.end(), [&](int32_t a, int32_t b) {
                return fleet_.vms[static_cast<size_t>(a)].id <
                       fleet_.vms[static_cast<size_t>(b)].id;
            });
            std::vector<int32_t> seen;
            for (int32_t vm : vms) {
                const int32_t g = state_.anti_id(vm);
                const int32_t h = state_.host_of(vm);
                if (std::find(seen.begin(), seen.end(), g) == seen.end()) {
                    seen.push_back(g);
                    continue;
                }
                const std::string shares = std::string("shares the ") + where +
                                           " with another member of anti_group '" +
                                           fleet_.vms[static_cast<size_t>(vm)].anti_group + "'";
                if (!movable(vm) || !within_budget(1, mem_of(vm))) {
                    plan_.unresolved.push_back({h, vm, shares + " and may not move now"});
                    continue;
                }
                auto t = choose(vm, true);
                if (!t) {
                    plan_.unresolved.push_back({h, vm, shares + ": " + why_unplaceable(vm)});
                    continue;
                }
                record(vm, *t, MoveReason::kAntiAffinity);
            }
        }
    }

    // Local first: a VM allotted less than it asks for, on a host with room after the plan,
    // grows its allocation in place (resize.csv) instead of moving.
    void grow_allocations() {
        for (int32_t vm = 0; vm < state_.vm_count(); ++vm) {
            const model::Vm& v = fleet_.vms[static_cast<size_t>(vm)];
            const int32_t h = state_.host_of(vm);
            if (h == kNoHost || state_.overloaded(h)) continue;
            const bool cpu_short =
                v.cpu_alloc_millicores && *v.cpu_alloc_millicores < v.demand[model::kCpu];
            const bool mem_short = v.mem_alloc_kib && *v.mem_alloc_kib < v.demand[model::kMem];
            if (!cpu_short && !mem_short) continue;
            Resize r;
            r.vm = vm;
            r.host = h;
            r.cpu_alloc_millicores =
                std::max(v.cpu_alloc_millicores.value_or(0), v.demand[model::kCpu]);
            r.mem_alloc_kib = std::max(v.mem_alloc_kib.value_or(0), v.demand[model::kMem]);
            plan_.resizes.push_back(r);
        }
        std::sort(plan_.resizes.begin(), plan_.resizes.end(),
                  [&](const Resize& a, const Resize& b) {
                      return fleet_.vms[static_cast<size_t>(a.vm)].id <
                             fleet_.vms[static_cast<size_t>(b.vm)].id;
                  });
    }

    // Moves single VMs from the most to the least utilised host while that lowers the higher of
    // the two, until the spread is within the tolerance.
    // A VM moved earlier in this plan may be sent elsewhere instead, by replacing its move with
    // one at the end of the sequence, when that keeps every move feasible in sequence: nothing
    // arrived at its source after it left (the source now keeps it longer).
    bool can_retarget(int32_t vm) const {
        const int32_t i = move_index_[static_cast<size_t>(vm)];
        if (i < 0 || frozen_[static_cast<size_t>(vm)]) return false;
        const Move& m = plan_.moves[static_cast<size_t>(i)];
        if (m.reason == MoveReason::kEvacuate) return false;
        const std::vector<int32_t>& into_source = arrivals_[static_cast<size_t>(m.source)];
        return m.source == kNoHost || into_source.empty() || into_source.back() < i;
    }

    void retarget(int32_t vm, int32_t target, MoveReason reason) {
        // The old move becomes a tombstone (dropped when the plan is returned): indices stay
        // stable, so this is O(moves into one host), not a rebuild of every index.
        const int32_t i = move_index_[static_cast<size_t>(vm)];
        const Move old = plan_.moves[static_cast<size_t>(i)];
        dead_[static_cast<size_t>(i)] = 1;
        std::vector<int32_t>& into = arrivals_[static_cast<size_t>(old.target)];
        into.erase(std::lower_bound(into.begin(), into.end(), i));
        move_index_[static_cast<size_t>(vm)] = -1;
        if (target == old.source) {  // back home: no move at all
            moved_[static_cast<size_t>(vm)] = 0;
            --migrations_;
            moved_mem_kib_ -= mem_of(vm);
            state_.move(vm, target);
            return;
        }
        Move m = old;
        m.target = target;
        // A move that was mandatory (a new VM, hot-spot relief) stays so wherever it now goes.
        m.reason = is_mandatory(old.reason) ? old.reason : reason;
        append_move(m);
        receiver_[static_cast<size_t>(target)] = 1;
        state_.move(vm, target);
    }

    void balance() {
        std::vector<uint8_t> stuck(allowed_.size(), 0);
        const int64_t max_iterations = static_cast<int64_t>(fleet_.vms.size()) * 2 + 16;
        int64_t it = 0;
        // Hosts by utilisation, most used first (ties: id order). Utilisation only changes
        // with a move, and then only at its two hosts, which are put back in place: a round
        // offers hosts in this order until one has a useful move.
        std::vector<std::pair<double, int32_t>> order;  // (utilisation, host)
        auto before = [&](const std::pair<double, int32_t>& a,
                          const std::pair<double, int32_t>& b) {
            if (a.first != b.first) return a.first > b.first;
            return state_.id_rank(a.second) < state_.id_rank(b.second);
        };
        for (int32_t h : state_.hosts_by_id())
            if (allowed_[static_cast<size_t>(h)]) order.emplace_back(state_.max_util(h), h);
        std::stable_sort(order.begin(), order.end(), before);
        auto reposition = [&](int32_t h) {
            auto at = std::find_if(order.begin(), order.end(),
                                   [&](const auto& e) { return e.second == h; });
            if (at == order.end()) return;
            order.erase(at);
            const std::pair<double, int32_t> e{state_.max_util(h), h};
            order.insert(std::upper_bound(order.begin(), order.end(), e, before), e);
        };
        // With site boundaries each site is balanced within itself.
        const bool per_site = opt_.cross_site != CrossSite::kAllow && sites_ > 1;
        const size_t groups = per_site ? static_cast<size_t>(sites_) : 1;
        std::vector<int32_t> lo_hosts(groups);
        std::vector<double> lo_us(groups);
        for (bool moved = true; moved && it < max_iterations;) {
            moved = false;
            // The least utilised host of each site (ties: id order); never one at 200% or more.
            std::fill(lo_hosts.begin(), lo_hosts.end(), kNoHost);
            std::fill(lo_us.begin(), lo_us.end(), 2.0);
            for (const auto& [u, h] : order) {
                const size_t g =
                    per_site ? static_cast<size_t>(site_of_[static_cast<size_t>(h)]) : 0;
                if (u < lo_us[g] || (u == lo_us[g] && lo_hosts[g] != kNoHost &&
                                     state_.id_rank(h) < state_.id_rank(lo_hosts[g]))) {
                    lo_us[g] = u;
                    lo_hosts[g] = h;
                }
            }
            for (size_t k = 0; k < order.size(); ++k) {
                const double hi_u = order[k].first;
                const int32_t hi_host = order[k].second;
                const size_t g =
                    per_site ? static_cast<size_t>(site_of_[static_cast<size_t>(hi_host)]) : 0;
                const int32_t lo_host = lo_hosts[g];
                const double lo_u = lo_us[g];
                if (lo_host == kNoHost || hi_host == lo_host) continue;
                if (hi_u - lo_u <= opt_.balance_tolerance) continue;
                if (stuck[static_cast<size_t>(hi_host)]) continue;
                if (it++ >= max_iterations) break;
                int32_t best_vm = -1;
                double best_score = 0;
                // A move must lower the pair's peak by at least the minimum gain (no ping-pong);
                // among those, the most gain per GiB copied wins.
                const double must_reach = hi_u - opt_.balance_min_gain;
                for (int32_t vm : state_.vms_on(hi_host)) {
                    const bool again = moved_[static_cast<size_t>(vm)] != 0;
                    if (again ? !can_retarget(vm) : !movable(vm)) continue;
                    if (!state_.fits(vm, lo_host)) continue;
                    if (home_site(vm) >= 0 &&
                        (!acceptable(vm, site_of_[static_cast<size_t>(lo_host)]) ||
                         (per_site && home_site(vm) != site_of_[static_cast<size_t>(lo_host)])))
                        continue;
                    if (!again && !within_budget(1, mem_of(vm))) continue;
                    if (!again && opt_.balance_mem_frac >= 0 &&
                        static_cast<double>(moved_mem_kib_ + mem_of(vm)) >
                            opt_.balance_mem_frac * static_cast<double>(total_mem_kib_))
                        continue;
                    double src_after = 0, dst_after = 0;
                    for (int d = 0; d < model::kDims; ++d) {
                        const double cs = static_cast<double>(state_.capacity(hi_host)[d]);
                        const double cd = static_cast<double>(state_.capacity(lo_host)[d]);
                        const double dem = static_cast<double>(state_.demand(vm)[d]);
                        src_after = std::max(
                            src_after, (static_cast<double>(state_.load(hi_host)[d]) - dem) / cs);
                        dst_after = std::max(
                            dst_after, (static_cast<double>(state_.load(lo_host)[d]) + dem) / cd);
                    }
                    const double after = std::max(src_after, dst_after);
                    if (after >= must_reach - 1e-12) continue;
                    const double gib =
                        std::max(1.0, static_cast<double>(mem_of(vm)) / (1024.0 * 1024.0));
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
                if (moved_[static_cast<size_t>(best_vm)]) {
                    retarget(best_vm, lo_host, MoveReason::kBalance);
                } else {
                    record(best_vm, lo_host, MoveReason::kBalance);
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

    int keep_order_;  // goal consolidate: how hosts to keep are ranked (see consolidate_all)
    const model::Fleet& fleet_;
    const PlanOptions& opt_;
    const policy::PolicySet& pol_;
    PlacementState state_;
    policy::PolicyContext ctx_;
    std::vector<uint8_t> evac_;
    std::vector<uint8_t> allowed_;     // usable targets
    std::vector<uint8_t> off_;         // off hosts that may still be switched on
    std::vector<uint8_t> receiver_;    // hosts that received a VM (never drained afterwards)
    std::vector<uint8_t> moved_;       // a VM moves at most once per plan
    std::vector<uint8_t> frozen_;      // in cooldown since the previous plan
    std::vector<int64_t> mem_kib_;     // per VM: mem_size_kib
    std::vector<int32_t> start_host_;  // per VM: its host in the fleet (kNoHost: new)
    std::vector<int32_t> move_index_;  // per VM: its move in plan_.moves, -1 if none
    std::vector<std::vector<int32_t>> arrivals_;  // per host: live moves into it, ascending
    std::vector<uint8_t> dead_;                   // per entry of plan_.moves: retargeted away
    std::vector<uint8_t> kept_;                   // goal consolidate: the hosts that stay on
    bool any_usable_ = false;  // some host is neither in maintenance nor being evacuated
    Resources usable_max_;     // per dimension, the largest max-util limit of such hosts
    int64_t migrations_ = 0;
    int64_t moved_mem_kib_ = 0;
    int64_t total_mem_kib_ = 0;
    double mem_budget_kib_ = -1;           // -1: no memory budget
    std::vector<std::string> site_names_;  // sorted; a host without a site is in site ""
    int32_t sites_ = 1;
    std::vector<int32_t> site_of_;    // per host
    std::vector<int32_t> site_host_;  // per site: one of its hosts (for WAN estimates)
    double admit_bw_ = 0;             // bandwidth assumed when a move is admitted
    std::vector<int8_t> acceptable_;  // per VM: a move within its site keeps the limits (-1: ?)
    std::vector<uint8_t> site_ok_, scratch_;  // place(): scratch space
    Plan plan_;
};

}  // namespace

namespace {

// Output order: by step, then VM id (a VM moves at most once, so the order is total). Sorts
// small keys holding each id's first 16 bytes (big-endian, zero-padded: a prefix that differs
// orders the ids as std::string does), comparing whole ids only when those are equal, then
// puts the moves in that order: no string compare through the VM table per comparison, no
// 80-byte moves shuffled by the sort.
void sort_for_output(const model::Fleet& fleet, std::vector<Move>& moves) {
    struct Key {
        int32_t step;
        uint32_t index;
        uint64_t head, tail;
    };
    auto pack = [](std::string_view id, size_t from) {
        uint64_t x = 0;
        for (size_t i = from; i < from + 8; ++i)
            x = (x << 8) | (i < id.size() ? static_cast<unsigned char>(id[i]) : 0u);
        return x;
    };
    auto id_of = [&](const Key& k) -> const std::string& {
        return fleet.vms[static_cast<size_t>(moves[k.index].vm)].id;
    };
    std::vector<Key> keys(moves.size());
    for (size_t i = 0; i < moves.size(); ++i) {
        const std::string_view id = fleet.vms[static_cast<size_t>(moves[i].vm)].id;
        keys[i] = {moves[i].step, static_cast<uint32_t>(i), pack(id, 0), pack(id, 8)};
    }
    std::sort(keys.begin(), keys.end(), [&](const Key& a, const Key& b) {
        if (a.step != b.step) return a.step < b.step;
        if (a.head != b.head) return a.head < b.head;
        if (a.tail != b.tail) return a.tail < b.tail;
        return id_of(a) < id_of(b);
    });
    std::vector<Move> sorted;
    sorted.reserve(moves.size());
    for (const Key& k : keys) sorted.push_back(moves[k.index]);
    moves = std::move(sorted);
}

// Waves, cost estimates, output order and start times; returns the estimated makespan.
double assemble(const model::Fleet& fleet, std::vector<Move>& moves, const PlanOptions& options) {
    assign_waves(fleet, moves, options.waves, options.anti_scope);
    estimate_plan_costs(fleet, moves, options.cost);
    sort_for_output(fleet, moves);
    return schedule_moves(moves, options.waves);
}

// Is the subsequence `keep` of `decisions` (in decision order) still feasible move by move?
// Each kept move's target must hold its arrival within max-util, or within what it held at
// that point of the whole sequence. When a kept move no longer fits because an earlier move
// that left its target was dropped, those departures are kept too (a dependency, not a choice),
// and the replay starts again. False only if that cannot make it feasible.
bool close_dependencies(const model::Fleet& fleet, const std::vector<Move>& decisions,
                        std::vector<uint8_t>& keep, int64_t max_util_ppm) {
    const size_t n = decisions.size();
    const std::vector<model::Resources> base = fleet.host_loads();
    std::vector<model::Resources> allowed(n);  // per move: what its target may hold after it
    {
        std::vector<model::Resources> load = base;
        for (size_t i = 0; i < n; ++i) {
            const Move& m = decisions[i];
            const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
            if (m.source >= 0) load[static_cast<size_t>(m.source)] -= dem;
            load[static_cast<size_t>(m.target)] += dem;
            const model::Resources lim =
                model::limit_at(fleet.hosts[static_cast<size_t>(m.target)].capacity, max_util_ppm);
            for (int d = 0; d < model::kDims; ++d)
                allowed[i][d] = std::max(lim[d], load[static_cast<size_t>(m.target)][d]);
        }
    }
    while (true) {
        std::vector<model::Resources> load = base;
        size_t bad = n;
        for (size_t i = 0; i < n && bad == n; ++i) {
            if (!keep[i]) continue;
            const Move& m = decisions[i];
            const model::Resources& dem = fleet.vms[static_cast<size_t>(m.vm)].demand;
            if (m.source >= 0) load[static_cast<size_t>(m.source)] -= dem;
            load[static_cast<size_t>(m.target)] += dem;
            if (!load[static_cast<size_t>(m.target)].fits_within(allowed[i])) bad = i;
        }
        if (bad == n) return true;
        bool added = false;
        for (size_t j = 0; j < bad; ++j)
            if (!keep[j] && decisions[j].source == decisions[bad].target) {
                keep[j] = 1;
                added = true;
            }
        if (!added) return false;
    }
}

// --window: the plan's mandatory moves, then as much optional work as keeps the estimated
// schedule within the window. Optional work comes in units: a consolidation drains hosts, so
// the moves off one host are one unit (cheapest hosts first, by estimated migration seconds);
// a balance move is a unit of its own (in decision order, the most useful first). The largest
// number of units that fits is found by bisection (the makespan grows with the units kept).
void fit_window(const model::Fleet& fleet, Plan& plan, std::vector<Move> decisions,
                const PlanOptions& options) {
    const size_t n = decisions.size();
    std::vector<double> seconds(fleet.vms.size(), 0.0);
    for (const Move& m : plan.moves) seconds[static_cast<size_t>(m.vm)] = m.estimate.seconds;
    // A consolidation also empties hosts that were above max-util. Of the moves off such a
    // host, the quickest that bring it under max-util are relief and never cut; the rest drain
    // it like any other host.
    std::vector<uint8_t> relief(n, 0);
    {
        std::vector<model::Resources> load = fleet.host_loads();
        std::vector<std::vector<size_t>> off(fleet.hosts.size());
        for (size_t i = 0; i < n; ++i) {
            const Move& m = decisions[i];
            if (!is_mandatory(m.reason) && m.source >= 0)
                off[static_cast<size_t>(m.source)].push_back(i);
        }
        for (const Move& m : decisions)  // mandatory departures relieve it first
            if (is_mandatory(m.reason) && m.source >= 0)
                load[static_cast<size_t>(m.source)] -= fleet.vms[static_cast<size_t>(m.vm)].demand;
        for (size_t h = 0; h < fleet.hosts.size(); ++h) {
            const model::Resources lim =
                model::limit_at(fleet.hosts[h].capacity, options.max_util_ppm);
            std::vector<size_t>& leaving = off[h];
            std::stable_sort(leaving.begin(), leaving.end(), [&](size_t a, size_t b) {
                return seconds[static_cast<size_t>(decisions[a].vm)] <
                       seconds[static_cast<size_t>(decisions[b].vm)];
            });
            for (size_t k = 0; k < leaving.size() && !load[h].fits_within(lim); ++k) {
                relief[leaving[k]] = 1;
                load[h] -= fleet.vms[static_cast<size_t>(decisions[leaving[k]].vm)].demand;
            }
        }
    }
    auto relieves = [&](size_t i) { return relief[i] != 0; };
    struct Unit {
        double cost = 0;
        size_t first = 0;
        std::vector<size_t> moves;
    };
    std::vector<Unit> units;
    std::vector<int64_t> unit_of_source(fleet.hosts.size(), -1);
    for (size_t i = 0; i < n; ++i) {
        const Move& m = decisions[i];
        if (is_mandatory(m.reason) || relieves(i)) continue;
        int64_t u = -1;
        if (m.reason == MoveReason::kConsolidate && m.source >= 0) {
            u = unit_of_source[static_cast<size_t>(m.source)];
            if (u < 0)
                unit_of_source[static_cast<size_t>(m.source)] = u =
                    static_cast<int64_t>(units.size());
        }
        if (u < 0) {
            u = static_cast<int64_t>(units.size());
            units.emplace_back();
            units.back().first = i;
        } else if (static_cast<size_t>(u) == units.size()) {
            units.emplace_back();
            units.back().first = i;
        }
        Unit& unit = units[static_cast<size_t>(u)];
        unit.moves.push_back(i);
        if (m.reason == MoveReason::kConsolidate) unit.cost += seconds[static_cast<size_t>(m.vm)];
    }
    std::stable_sort(units.begin(), units.end(), [](const Unit& a, const Unit& b) {
        if (a.cost != b.cost) return a.cost < b.cost;
        return a.first < b.first;
    });
    // The plan keeping the first k units (and what they depend on).
    auto build = [&](size_t k, std::vector<uint8_t>& keep) -> bool {
        keep.assign(n, 0);
        for (size_t i = 0; i < n; ++i) keep[i] = is_mandatory(decisions[i].reason) || relieves(i);
        for (size_t u = 0; u < k; ++u)
            for (size_t i : units[u].moves) keep[i] = 1;
        return close_dependencies(fleet, decisions, keep, options.max_util_ppm);
    };
    auto trial = [&](const std::vector<uint8_t>& keep, std::vector<Move>& out) {
        out.clear();
        for (size_t i = 0; i < n; ++i)
            if (keep[i]) out.push_back(decisions[i]);
        return assemble(fleet, out, options);
    };
    std::vector<uint8_t> keep;
    std::vector<Move> moves;
    size_t lo = 0, hi = units.size();
    if (!build(0, keep)) return;  // cannot happen: the whole plan then stands
    while (lo < hi) {
        const size_t mid = (lo + hi + 1) / 2;
        if (build(mid, keep) && trial(keep, moves) <= options.window_s) {
            lo = mid;
        } else {
            hi = mid - 1;
        }
    }
    build(lo, keep);
    trial(keep, moves);
    for (size_t i = 0; i < n; ++i) {
        if (keep[i]) continue;
        const Move& m = decisions[i];
        if (m.source < 0) continue;
        ++plan.window_dropped;
        plan.window_dropped_mem_kib += fleet.vms[static_cast<size_t>(m.vm)].mem_size_kib;
        --plan.migrations;
        plan.moved_mem_kib -= fleet.vms[static_cast<size_t>(m.vm)].mem_size_kib;
    }
    plan.moves = std::move(moves);
    // An off host switched on only for moves left out stays off.
    std::vector<uint8_t> target(fleet.hosts.size(), 0);
    for (const Move& m : plan.moves) target[static_cast<size_t>(m.target)] = 1;
    std::erase_if(plan.powered_on, [&](int32_t h) { return !target[static_cast<size_t>(h)]; });
}

}  // namespace

void resolve_plan(const model::Fleet& fleet, Plan& plan, const PlanOptions& options) {
    std::vector<Move> decisions;
    if (options.window_s > 0) decisions = plan.moves;
    const double makespan = assemble(fleet, plan.moves, options);
    if (options.window_s > 0 && makespan > options.window_s)
        fit_window(fleet, plan, std::move(decisions), options);
}

double schedule_moves(std::vector<Move>& moves, const WaveLimits& limits) {
    std::vector<ScheduledMove> sm;
    std::vector<size_t> index;
    for (size_t i = 0; i < moves.size(); ++i) {
        if (moves[i].source < 0) continue;
        sm.push_back({moves[i].step, moves[i].source, moves[i].target, moves[i].estimate.seconds});
        index.push_back(i);
    }
    const Schedule s = schedule_dispatch(sm, limits.max_per_host, limits.max_total);
    for (size_t k = 0; k < index.size(); ++k) moves[index[k]].est_start_s = s.start_s[k];
    // A new VM's placement is no migration: it may happen once its wave has begun, when every
    // earlier wave has ended.
    double earlier_end = 0, end_so_far = 0;
    int32_t step = 0;
    for (Move& m : moves) {
        if (m.step != step) {
            earlier_end = end_so_far;
            step = m.step;
        }
        if (m.source < 0) {
            m.est_start_s = earlier_end;
        } else {
            end_so_far = std::max(end_so_far, m.est_start_s + m.estimate.seconds);
        }
    }
    return s.makespan_s;
}

Plan decide_plan(const model::Fleet& fleet, const PlanOptions& options,
                 const policy::PolicySet& policies, PhaseTimes& times) {
    FP_ASSERT(policies.trigger && policies.selection && policies.placement);
    FP_ASSERT(options.max_util_ppm > 0 && options.max_util_ppm <= 1000000);
    const bool budgeted = options.budget_migrations >= 0 || options.budget_mem_frac >= 0 ||
                          options.budget_mem_kib >= 0;
    if (options.goal != Goal::kConsolidate || budgeted || options.phase == Phase::kGlobal) {
        Planner planner(fleet, options, policies);
        return planner.run(times);
    }
    // Consolidation tries three ways of ranking the hosts to keep, each with the configured
    // placement and (plan.consolidate_alternatives) with dot-product, whose alignment of demand
    // and residual vectors steers memory-heavy VMs to memory-rich hosts. The variants run in
    // parallel, each its own planner and result slot; the plan with the fewest active hosts, then
    // the fewest migrations, then the first variant wins: the same for any thread count.
    constexpr int kOrders = 3;
    std::vector<policy::PolicySet> sets = {policies};
    if (options.consolidate_alternatives && policies.placement->name() != "dot-product") {
        policy::Registries reg;
        policy::register_builtin_policies(reg);
        policy::ConfigNode node("policy.placement");
        auto dot = reg.placements.create("dot-product", node, reg);
        FP_ASSERT(dot.has_value());
        policy::PolicySet alt = policies;
        alt.placement = std::move(*dot);
        sets.push_back(alt);
    }
    const int variants = kOrders * static_cast<int>(sets.size());
    std::vector<Plan> plans(static_cast<size_t>(variants));
    std::vector<PhaseTimes> order_times(static_cast<size_t>(variants));
    tbb::parallel_for(0, variants, [&](int v) {
        Planner planner(fleet, options, sets[static_cast<size_t>(v / kOrders)], v % kOrders);
        plans[static_cast<size_t>(v)] = planner.run(order_times[static_cast<size_t>(v)]);
    });
    // In a shard, a variant that leaves fewer VMs to the global step comes first.
    Plan best;
    int64_t best_active = -1, best_migrations = 0;
    size_t best_deferred = 0;
    for (int order = 0; order < variants; ++order) {
        Plan& p = plans[static_cast<size_t>(order)];
        const PhaseTimes& t = order_times[static_cast<size_t>(order)];
        times.detect += t.detect;
        times.select += t.select;
        times.place += t.place;
        times.resolve += t.resolve;
        std::vector<int32_t> count(fleet.hosts.size(), 0);
        for (const auto& vm : fleet.vms)
            if (!vm.is_new()) ++count[static_cast<size_t>(vm.host)];
        int64_t migrations = 0;
        for (const Move& m : p.moves) {
            if (m.source >= 0) {
                --count[static_cast<size_t>(m.source)];
                ++migrations;
            }
            ++count[static_cast<size_t>(m.target)];
        }
        const int64_t active =
            std::count_if(count.begin(), count.end(), [](int32_t c) { return c > 0; });
        const size_t deferred = p.deferred.size();
        if (best_active < 0 || deferred < best_deferred ||
            (deferred == best_deferred &&
             (active < best_active || (active == best_active && migrations < best_migrations)))) {
            best_deferred = deferred;
            best = std::move(p);
            best_active = active;
            best_migrations = migrations;
        }
    }
    return best;
}

}  // namespace fp::plan
