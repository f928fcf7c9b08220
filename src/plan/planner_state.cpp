#include "src/plan/planner_state.hpp"

#include <algorithm>
#include <string>

#include "src/plan/plan_costs.hpp"
#include "src/util/assert.hpp"
#include "src/util/decimal.hpp"

namespace fp::plan::detail {

using model::kNoHost;
using model::Resources;

std::string describe_demand(const Resources& r) {
    return "cpu=" + format_scaled(r[model::kCpu], 1000) +
           " mem=" + format_scaled(r[model::kMem], 1024) + "MiB" +
           " net=" + format_scaled(r[model::kNet], 1000) + "Mbps";
}

PlannerState::PlannerState(const model::Fleet& fleet, const PlanOptions& opt,
                           const policy::PolicySet& pol)
    : fleet_(fleet),
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
                usable_max_[d] = std::max(usable_max_[d], state_.limit(static_cast<int32_t>(h))[d]);
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
    if (opt.max_arrivals > 0) state_.set_arrival_cap(opt.max_arrivals);
    if (opt.placement_guard && pol.trigger != nullptr) {
        std::vector<int64_t> vm_load, host_line;
        if (pol.trigger->forecast_guard(state_, ctx_, vm_load, host_line))
            state_.set_guard(std::move(vm_load), host_line);
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

void PlannerState::append_move(const Move& m) {
    const auto idx = static_cast<int32_t>(plan_.moves.size());
    move_index_[static_cast<size_t>(m.vm)] = idx;
    arrivals_[static_cast<size_t>(m.target)].push_back(idx);
    plan_.moves.push_back(m);
    dead_.push_back(0);
}

void PlannerState::record(int32_t vm, int32_t target, MoveReason reason) {
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

std::optional<int32_t> PlannerState::choose(int32_t vm, bool power_on, bool must) {
    if (!may_fit_somewhere(vm)) return std::nullopt;  // no scan of every host for nothing
    // A shard leaves switching hosts on to the global step, which sees every active host.
    if (opt_.phase == Phase::kLocal) power_on = false;
    // Never the VM's own host (a trigger may flag a host that still has room at max-util).
    // Its own site first (with every fallback there, an off host included); then, where
    // cross_site lets this VM leave its site, anywhere.
    const int32_t src = state_.host_of(vm);
    if (src == kNoHost)
        return unguarded_if_none([&] { return choose_among(vm, power_on, /*cross=*/false); });
    const uint8_t saved = allowed_[static_cast<size_t>(src)];
    allowed_[static_cast<size_t>(src)] = 0;
    auto pick = [&] {
        auto h = choose_among(vm, power_on, false);
        if (!h && may_cross(vm)) h = choose_among(vm, power_on, true);
        return h;
    };
    // A VM leaving a host in maintenance or being evacuated, or one above max-util, or one the
    // caller says must go (anti-affinity), goes guard or not; a VM of a host that is hot only by
    // the trigger's forecast goes only where it makes no new hot spot (else it would circle
    // between hot spots).
    const bool forced = must || evac_[static_cast<size_t>(src)] || state_.overloaded(src);
    std::optional<int32_t> h;
    bool wait = false;
    if (state_.guarded() && state_.arrival_cap() > 0) {
        // The arrival cap never switches a host on nor sends a VM out of its site: hosts already
        // on in its site come first, under the cap, then beyond it for a VM that must move; a VM
        // that may wait stays when only the cap keeps it from one of them.
        h = choose_among(vm, false, false);
        if (!h) {
            model::PlacementState::ArrivalCapOff uncapped(state_);
            auto beyond = choose_among(vm, false, false);
            if (forced) h = beyond;
            wait = beyond.has_value() && !forced;
        }
    }
    if (!h && !wait) h = forced ? unguarded_if_none(pick) : pick();
    allowed_[static_cast<size_t>(src)] = saved;
    return h;
}

std::optional<int32_t> PlannerState::choose_among(int32_t vm, bool power_on, bool cross) {
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

bool PlannerState::acceptable(int32_t vm, int32_t site) {
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

bool PlannerState::optional_ok(int32_t vm) {
    if (!movable(vm)) return false;
    if (opt_.cross_site != CrossSite::kAllow || home_site(vm) < 0) return acceptable_at_home(vm);
    for (int32_t s = 0; s < sites_; ++s)
        if (acceptable(vm, s)) return true;
    return false;
}

std::optional<int32_t> PlannerState::place(int32_t vm, const std::vector<uint8_t>& base, Work work,
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

std::string PlannerState::why_unplaceable(int32_t vm) const {
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
           describe_demand(dem) + ")" +
           (state_.guarded() && state_.guard_line()
                ? " that the trigger would not forecast hot with it (placement guard)"
                : "");
}

void PlannerState::sort_decreasing(std::vector<int32_t>& vms) const {
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

bool PlannerState::can_retarget(int32_t vm) const {
    const int32_t i = move_index_[static_cast<size_t>(vm)];
    if (i < 0 || frozen_[static_cast<size_t>(vm)]) return false;
    const Move& m = plan_.moves[static_cast<size_t>(i)];
    if (m.reason == MoveReason::kEvacuate) return false;
    const std::vector<int32_t>& into_source = arrivals_[static_cast<size_t>(m.source)];
    return m.source == kNoHost || into_source.empty() || into_source.back() < i;
}

void PlannerState::retarget(int32_t vm, int32_t target, MoveReason reason) {
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

void PlannerState::drop_retargeted() {
    size_t live = 0;
    for (size_t k = 0; k < plan_.moves.size(); ++k)
        if (!dead_[k]) plan_.moves[live++] = plan_.moves[k];
    plan_.moves.resize(live);
}

}  // namespace fp::plan::detail
