#include "src/sim/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

#include "src/sim/byte_codec.hpp"
#include "src/util/assert.hpp"
#include "src/util/hash.hpp"

namespace fp::sim {

namespace {

constexpr size_t kHistoryLength = 30;  // samples a VM keeps (CloudSim's PowerVm)
// "FPS3". FPS2 had no queued waves (read as none); FPS1 had no energy floor, no memory figures.
constexpr uint32_t kStateMagic = 0x46505333;
constexpr uint32_t kStateMagicV2 = 0x46505332;

// a < b beyond rounding: sums of the same terms in another order must not count.
bool less_beyond_rounding(double a, double b) { return a < b - 1e-9 * std::max(1.0, std::abs(b)); }

// The order of SimState::inflight; seq is unique, so it is total.
bool by_end(const Inflight& a, const Inflight& b) {
    return a.end != b.end ? a.end < b.end : a.seq < b.seq;
}

// Sorts inflight[mid, end) and merges it into the sorted inflight[from, mid).
void merge_started(std::vector<Inflight>& inflight, size_t from, size_t mid) {
    const auto at = [&](size_t i) { return inflight.begin() + static_cast<std::ptrdiff_t>(i); };
    std::sort(at(mid), inflight.end(), by_end);
    std::inplace_merge(at(from), at(mid), inflight.end(), by_end);
}

}  // namespace

void Figures::add(const Figures& o) {
    energy_j += o.energy_j;
    floor_energy_j += o.floor_energy_j;
    active_host_s += o.active_host_s;
    overload_host_s += o.overload_host_s;
    requested_mips_s += o.requested_mips_s;
    allocated_mips_s += o.allocated_mips_s;
    migration_loss_mips_s += o.migration_loss_mips_s;
    mem_moved_mb += o.mem_moved_mb;
    migrations += o.migrations;
    hotspot_host_intervals += o.hotspot_host_intervals;
    switched_on += o.switched_on;
    switched_off += o.switched_off;
    requested_mem_mb_s += o.requested_mem_mb_s;
    unserved_mem_mb_s += o.unserved_mem_mb_s;
    mem_overcommit_host_intervals += o.mem_overcommit_host_intervals;
}

void Chain::save(ByteWriter&) const {}
void Chain::load(ByteReader&) {}

Engine::Engine(const Scenario& sc, std::unique_ptr<Chain> chain)
    : sc_(sc), chain_(std::move(chain)), floor_w_per_mips_(sc.floor_watts_per_mips()) {
    const int32_t h = sc.hosts(), v = sc.vms();
    st_.host_vms.assign(h, {});
    st_.host_in.assign(h, {});
    st_.vm_host.assign(v, -1);
    st_.vm_moving.assign(v, 0);
    st_.vm_hist.assign(v, {});
    st_.host_util_mips.assign(h, 0);
    st_.host_req_mips.assign(h, 0);
    st_.host_alloc_mips.assign(h, 0);
    st_.host_mem_mb.assign(h, 0);
    st_.host_mem_over.assign(h, 0);
    st_.host_on.assign(h, 0);
    st_.host_ready_at.assign(h, 0);
    st_.host_on_at_tick.assign(h, 0);
    st_.vm_req_mips.assign(v, 0);
    st_.vm_alloc_mips.assign(v, 0);
    req_now_.assign(v, 0);
    mem_now_.assign(v, 0);
    dirty_.assign(h, 0);
}

void Engine::seek(double t) {
    const Scenario::TracePosition p = sc_.trace_position(t);
    seg_t_ = t;
    seg_frac_ = p.frac;
    if (p.i == seg_) return;
    seg_ = p.i;
    const size_t nv = static_cast<size_t>(sc_.vms());
    cpu_seg_.resize(nv);
    mem_seg_.assign(nv, {});
    mem_traced_.assign(nv, 0);
    for (size_t v = 0; v < nv; ++v) {
        cpu_seg_[v] = Scenario::segment(sc_.trace[v], p.i);
        if (v < sc_.mem_trace.size() && !sc_.mem_trace[v].empty()) {
            mem_traced_[v] = 1;
            mem_seg_[v] = Scenario::segment(sc_.mem_trace[v], p.i);
        }
    }
}

double Engine::util_at(int32_t v, double t) {
    if (!(t == seg_t_)) seek(t);
    return Scenario::segment_value(cpu_seg_[static_cast<size_t>(v)], seg_frac_);
}

double Engine::mem_at(int32_t v, double t) {
    if (!(t == seg_t_)) seek(t);
    const size_t i = static_cast<size_t>(v);
    if (!mem_traced_[i]) return sc_.vm_ram_mb[i];
    return sc_.vm_ram_mb[i] * Scenario::segment_value(mem_seg_[i], seg_frac_);
}

bool Engine::holds_vm(int32_t h) const {
    return !st_.host_vms[h].empty() || !st_.host_in[h].empty();
}

void Engine::allocate_host(int32_t h, double t) {
    const HostType& ty = sc_.type_of(h);
    const double cap = ty.mips();
    // Each VM's request at t, and its request capped at a core per core, once per VM (the
    // utilisation is a pure function of (v, t): the same values as computing them per use).
    auto& req = alloc_req_;
    auto& capped = alloc_capped_;
    const auto& vms = st_.host_vms[h];
    const auto& in = st_.host_in[h];
    req.resize(vms.size() + in.size());
    capped.resize(req.size());
    for (size_t i = 0; i < req.size(); ++i) {
        const int32_t v = i < vms.size() ? vms[i] : in[i - vms.size()];
        req[i] = sc_.vm_mips[v] * util_at(v, t);
        capped[i] = std::min(req[i] / sc_.vm_pes[v], ty.pe_mips) * sc_.vm_pes[v];
    }
    double total = 0;
    for (size_t i = 0; i < vms.size(); ++i) total += capped[i];
    for (size_t i = vms.size(); i < req.size(); ++i) total += sc_.target_share * capped[i];
    const bool over = total > cap;
    const double scale = over ? cap / total : 1.0;
    double util = 0, req_sum = 0, alloc = 0;
    const double keep = 1.0 - sc_.degradation;
    for (size_t i = 0; i < vms.size(); ++i) {
        const int32_t v = vms[i];
        const double r = req[i];
        double a = capped[i] * scale;
        if (st_.vm_moving[v] > 0) a *= keep;
        if (over) a = std::floor(a);
        st_.vm_req_mips[v] = r;
        st_.vm_alloc_mips[v] = a;
        req_sum += r;
        alloc += a;
        // CloudSim counts a migrating VM's host load without the degradation.
        util += st_.vm_moving[v] > 0 ? a / keep : a;
    }
    for (size_t i = vms.size(); i < req.size(); ++i) {
        double a = sc_.target_share * capped[i] * scale;
        if (over) a = std::floor(a);
        const double r = req[i];
        req_sum += sc_.incoming == IncomingDemand::kFull ? r : sc_.target_share * r;
        alloc += a;
        util += a;
    }
    st_.host_util_mips[h] = util;
    st_.host_req_mips[h] = req_sum;
    st_.host_alloc_mips[h] = alloc;
    double mem = 0;
    if (sc_.memory == MemoryModel::kReserved) {
        // Resident memory: the VMs it runs (those leaving included) and those arriving.
        for (int32_t v : vms) mem += mem_at(v, t);
        for (int32_t v : in) mem += mem_at(v, t);
    }
    st_.host_mem_mb[h] = mem;
    st_.host_on[h] = holds_vm(h) ? 1 : 0;
}

void Engine::mark_dirty(int32_t h) {
    if (h < 0 || dirty_[h]) return;
    dirty_[h] = 1;
    dirty_list_.push_back(h);
}

void Engine::finish_idle_vms(int32_t h) {
    auto& l = st_.host_vms[h];
    for (size_t i = 0; i < l.size();) {
        const int32_t v = l[i];
        if (st_.vm_moving[v] == 0 && st_.vm_req_mips[v] == 0) {
            l.erase(l.begin() + static_cast<std::ptrdiff_t>(i));
            st_.vm_host[v] = kFinished;
            st_.vm_alloc_mips[v] = 0;
            ++st_.finished_vms;
        } else {
            ++i;
        }
    }
}

void Engine::frame(double t) {
    const double dt = t - st_.frame_t;
    if (dt <= 0 && !all_dirty_) {
        // A frame at the same time as the last one integrates nothing, and only the hosts a
        // migration's start or end touched since can hold other values: the rest would be
        // recomputed from the same inputs to the same values.
        for (int32_t h : dirty_list_) allocate_host(h, t);
        st_.frame_t = t;
        if (sc_.finish_idle_vms)
            for (int32_t h : dirty_list_) finish_idle_vms(h);
        for (int32_t h : dirty_list_) dirty_[h] = 0;
        dirty_list_.clear();
        return;
    }
    Figures& f = st_.pending;
    const int32_t nh = sc_.hosts(), nv = sc_.vms();
    double demand_prev = 0;  // the VMs' demand at the frame's start (MIPS)
    if (dt > 0) {
        // VMs: the previous frame's values held over the frame.
        for (int32_t v = 0; v < nv; ++v) {
            if (st_.vm_host[v] == kFinished) continue;
            if (st_.vm_host[v] < 0) {
                // Not placed: everything it asks for goes unserved.
                const double r = sc_.vm_mips[v] * sc_.utilisation(v, st_.frame_t);
                f.requested_mips_s += r * dt;
                demand_prev += r;
                continue;
            }
            const double r = st_.vm_req_mips[v], a = st_.vm_alloc_mips[v];
            demand_prev += r;
            f.requested_mips_s += r * dt;
            f.allocated_mips_s += a * dt;
            if (st_.vm_moving[v] > 0 && a < r) f.migration_loss_mips_s += (r - a) * dt;
        }
        util_prev_ = st_.host_util_mips;
        on_prev_ = st_.host_on;
        req_prev_ = st_.host_req_mips;
        // Hosts: the previous frame's resident memory held over the frame.
        for (int32_t h = 0; h < nh; ++h) {
            const double mem = st_.host_mem_mb[h];
            if (mem <= 0) continue;
            f.requested_mem_mb_s += mem * dt;
            const double ram = sc_.type_of(h).ram_mb;
            if (less_beyond_rounding(ram, mem)) {
                f.unserved_mem_mb_s += (mem - ram) * dt;
                st_.host_mem_over[h] = 1;
            }
        }
    }
    for (int32_t h = 0; h < nh; ++h) allocate_host(h, t);
    // The floor, trapezoidal like energy; nothing before the first update when power follows
    // utilisation (every host counts as off then, and every VM's demand is held at 0).
    if (dt > 0 && (sc_.power_state != PowerState::kUtilisation || st_.tick > 0)) {
        double demand_now = 0;
        for (int32_t v = 0; v < nv; ++v) {
            const int32_t h = st_.vm_host[v];
            if (h == kFinished) continue;
            demand_now += h < 0 ? sc_.vm_mips[v] * util_at(v, t) : st_.vm_req_mips[v];
        }
        f.floor_energy_j += floor_w_per_mips_ * (demand_prev + demand_now) / 2 * dt;
    }
    if (dt > 0) {
        for (int32_t h = 0; h < nh; ++h) {
            const HostType& ty = sc_.type_of(h);
            const bool active =
                sc_.power_state == PowerState::kUtilisation ? util_prev_[h] > 0 : on_prev_[h] != 0;
            if (!active) continue;
            const double u0 = std::min(1.0, util_prev_[h] / ty.mips());
            const double u1 = std::min(1.0, st_.host_util_mips[h] / ty.mips());
            f.energy_j += (ty.power.at(u0) + ty.power.at(u1)) / 2 * dt;
            f.active_host_s += dt;
            if (less_beyond_rounding(util_prev_[h], req_prev_[h])) f.overload_host_s += dt;
        }
    }
    st_.frame_t = t;
    if (sc_.finish_idle_vms)
        for (int32_t h = 0; h < nh; ++h) finish_idle_vms(h);
    for (int32_t h : dirty_list_) dirty_[h] = 0;
    dirty_list_.clear();
    all_dirty_ = false;
}

bool Engine::start_migration(int32_t vm, int32_t dst, double t) {
    if (st_.vm_host[vm] == kFinished) return false;
    if (st_.vm_host[vm] < 0) {
        // A VM that could not be placed before: it is created there, no migration.
        st_.vm_host[vm] = dst;
        st_.host_vms[dst].push_back(vm);
        --st_.unplaced_vms;
        mark_dirty(dst);
        return false;
    }
    if (sc_.power_state == PowerState::kHoldsVm && !holds_vm(dst)) {
        st_.host_ready_at[dst] = std::max(st_.host_ready_at[dst], t + sc_.boot_s);
    }
    Inflight m;
    m.vm = vm;
    m.src = st_.vm_host[vm];
    m.dst = dst;
    m.start = t;
    m.end = std::max(t, st_.host_ready_at[dst]) + sc_.migration_s(vm, dst);
    m.seq = st_.next_seq++;
    st_.inflight.push_back(m);  // tick() merges a decision's migrations into (end, seq) order
    st_.host_in[dst].push_back(vm);
    ++st_.vm_moving[vm];
    mark_dirty(m.src);
    mark_dirty(dst);
    ++st_.pending.migrations;
    st_.pending.mem_moved_mb += sc_.vm_ram_mb[vm];
    chain_->started(vm, dst, t);
    return true;
}

void Engine::start_queued(double now, double boundary, size_t from) {
    auto& q = st_.queued;
    while (st_.gates == 0 && !q.empty()) {
        if (!(now < boundary)) {
            q.clear();  // the chain decides again at the boundary
            return;
        }
        const int32_t w = q.front().wave;
        size_t n = 0;
        while (n < q.size() && q[n].wave == w) ++n;
        const size_t before = st_.inflight.size();
        for (size_t i = 0; i < n; ++i) {
            const Move m = q[i];
            // As dispatch: a move whose VM left the fleet, is moving or is already there is
            // skipped, never forced.
            const int32_t h = st_.vm_host[m.vm];
            if (h == kFinished || st_.vm_moving[m.vm] > 0 || h == m.host) continue;
            start_migration(m.vm, m.host, now);
        }
        q.erase(q.begin(), q.begin() + static_cast<std::ptrdiff_t>(n));
        for (size_t i = before; i < st_.inflight.size(); ++i) st_.inflight[i].gate = 1;
        st_.gates = static_cast<int32_t>(st_.inflight.size() - before);
        merge_started(st_.inflight, from, before);
    }
}

void Engine::finish_migration(const Inflight& m) {
    // CloudSim moves the VM from wherever it runs now (a VM sent twice in one decision moves
    // twice).
    const int32_t src = st_.vm_host[m.vm];
    auto& sv = st_.host_vms[src];
    sv.erase(std::find(sv.begin(), sv.end(), m.vm));
    auto& in = st_.host_in[m.dst];
    in.erase(std::find(in.begin(), in.end(), m.vm));
    st_.host_vms[m.dst].push_back(m.vm);
    st_.vm_host[m.vm] = m.dst;
    --st_.vm_moving[m.vm];
    mark_dirty(src);
    mark_dirty(m.dst);
}

void Engine::start() {
    // Tick 0: VMs are created (requests at their full size), then the first frame at time 0.
    const int32_t nv = sc_.vms();
    for (int32_t v = 0; v < nv; ++v) {
        const int32_t h = sc_.vm_initial_host[v];
        if (h >= 0) {
            st_.vm_host[v] = h;
            st_.host_vms[h].push_back(v);
        }
        // CloudSim creates a VM asking for its full size; elsewhere a VM asks for its demand.
        req_now_[v] = sc_.memory == MemoryModel::kInstantiation
                          ? sc_.vm_mips[v]
                          : sc_.vm_mips[v] * sc_.utilisation(v, 0);
        mem_now_[v] = sc_.mem_demand_mb(v, 0);
    }
    st_.frame_t = 0;
    for (int32_t h = 0; h < sc_.hosts(); ++h) allocate_host(h, 0);
    SimView view{sc_, st_, 0, 0.0, req_now_, mem_now_, true};
    std::vector<Move> moves = chain_->place_initial(view);
    for (const Move& m : moves) {
        if (st_.vm_host[m.vm] >= 0) continue;
        st_.vm_host[m.vm] = m.host;
        st_.host_vms[m.host].push_back(m.vm);
    }
    int32_t unplaced = 0;
    for (int32_t v = 0; v < nv; ++v) unplaced += st_.vm_host[v] < 0 ? 1 : 0;
    st_.unplaced_vms = unplaced;
    if (unplaced > 0) {
        // Named (the first few), so that an operator can find them in the inputs.
        std::string names;
        int32_t named = 0;
        for (int32_t v = 0; v < nv && named < 10; ++v)
            if (st_.vm_host[v] < 0 && static_cast<size_t>(v) < sc_.vm_ids.size()) {
                names += std::string(named ? ", " : "") + sc_.vm_ids[static_cast<size_t>(v)];
                ++named;
            }
        if (named < unplaced) names += ", and " + std::to_string(unplaced - named) + " more";
        st_.notes.push_back(std::to_string(unplaced) +
                            " VMs could not be placed at time 0 (no host has a core and the free "
                            "capacity for them); their demand counts as unserved: " +
                            names);
    }
    for (int32_t h = 0; h < sc_.hosts(); ++h) {
        allocate_host(h, 0);
        st_.host_on_at_tick[h] = sc_.power_state == PowerState::kUtilisation
                                     ? (st_.host_util_mips[h] > 0 ? 1 : 0)
                                     : (holds_vm(h) ? 1 : 0);
    }
    if (sc_.power_state == PowerState::kUtilisation) {
        // CloudSim updates no host before the first interval ends: the first frame starts from
        // zero utilisation, so it adds no energy, no active time and no VM figures.
        std::fill(st_.host_util_mips.begin(), st_.host_util_mips.end(), 0.0);
        std::fill(st_.host_req_mips.begin(), st_.host_req_mips.end(), 0.0);
        std::fill(st_.host_alloc_mips.begin(), st_.host_alloc_mips.end(), 0.0);
        std::fill(st_.vm_req_mips.begin(), st_.vm_req_mips.end(), 0.0);
        std::fill(st_.vm_alloc_mips.begin(), st_.vm_alloc_mips.end(), 0.0);
        std::fill(st_.host_on_at_tick.begin(), st_.host_on_at_tick.end(), uint8_t{0});
    }
    st_.tick = 0;
    all_dirty_ = true;
}

void Engine::tick(int32_t k, IntervalRow& row) {
    const double t = sc_.tick_time(k);
    // Migrations that end within the interval, in (end, start order); removed together (one
    // at a time from the front cost O(n) each: 70,000 CloudSim moves at fleet size).
    size_t ended = 0;
    // A migration that ends the wave the queued ones wait for starts the next (before t only:
    // at t the chain decides again); its migrations join the ones still to process.
    while (ended < st_.inflight.size() && st_.inflight[ended].end <= t) {
        const Inflight m = st_.inflight[ended++];
        frame(m.end);
        finish_migration(m);
        if (m.gate && --st_.gates == 0) start_queued(m.end, t, ended);
        frame(m.end);
    }
    st_.inflight.erase(st_.inflight.begin(),
                       st_.inflight.begin() + static_cast<std::ptrdiff_t>(ended));
    frame(t);
    const int32_t nh = sc_.hosts(), nv = sc_.vms();
    row.k = k;
    row.t = t;
    row.host_util.resize(nh);
    for (int32_t h = 0; h < nh; ++h) {
        const HostType& ty = sc_.type_of(h);
        row.host_util[h] = static_cast<float>(st_.host_util_mips[h] / ty.mips());
        // A hotspot: the demand of the VMs it runs exceeds the host, or one VM exceeds a core.
        double d = 0;
        bool core = false;
        for (int32_t v : st_.host_vms[h]) {
            const double r = st_.vm_req_mips[v];
            d += r;
            core = core || r / sc_.vm_pes[v] > ty.pe_mips;
        }
        if (core || d > ty.mips()) ++st_.pending.hotspot_host_intervals;
    }
    for (int32_t v = 0; v < nv; ++v) {
        const double u = util_at(v, t);
        req_now_[v] = st_.vm_host[v] == kFinished ? 0.0 : sc_.vm_mips[v] * u;
        mem_now_[v] = st_.vm_host[v] == kFinished ? 0.0 : mem_at(v, t);
        auto& hist = st_.vm_hist[v];
        hist.insert(hist.begin(), u);
        if (hist.size() > kHistoryLength) hist.pop_back();
    }
    SimView view{sc_, st_, k, t, req_now_, mem_now_, false};
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Move> moves = chain_->decide(view);
    const double ds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The previous decision's waves not started by now are dropped: this decision replaces them.
    st_.queued.clear();
    if (st_.gates > 0) {
        for (Inflight& m : st_.inflight) m.gate = 0;
        st_.gates = 0;
    }
    const size_t started_before = st_.inflight.size();
    const int64_t seq_before = st_.next_seq;
    std::vector<Move> later;
    for (const Move& m : moves) {
        if (m.wave >= 2) {
            if (k < sc_.intervals) later.push_back(m);  // none after the last boundary
            continue;
        }
        if (m.host == st_.vm_host[m.vm] && st_.vm_moving[m.vm] == 0) continue;
        start_migration(m.vm, m.host, t);
    }
    merge_started(st_.inflight, 0, started_before);
    if (!later.empty()) {
        std::stable_sort(later.begin(), later.end(),
                         [](const Move& a, const Move& b) { return a.wave < b.wave; });
        st_.queued = std::move(later);
        // The next wave waits for this decision's migrations (those before it run on).
        for (Inflight& m : st_.inflight) {
            if (m.seq < seq_before) continue;
            m.gate = 1;
            ++st_.gates;
        }
        start_queued(t, sc_.tick_time(k + 1), 0);  // at once if the first wave started nothing
    }
    frame(t);
    int32_t active = 0;
    for (int32_t h = 0; h < nh; ++h) {
        const uint8_t on = sc_.power_state == PowerState::kUtilisation
                               ? (st_.host_util_mips[h] > 0 ? 1 : 0)
                               : (holds_vm(h) ? 1 : 0);
        if (on && !st_.host_on_at_tick[h]) {
            ++st_.pending.switched_on;
            st_.pending.energy_j += sc_.boot_energy_wh * 3600.0;
        }
        if (!on && st_.host_on_at_tick[h]) ++st_.pending.switched_off;
        st_.pending.mem_overcommit_host_intervals += st_.host_mem_over[h];
        st_.host_mem_over[h] = 0;
        st_.host_on_at_tick[h] = on;
        active += on;
    }
    row.active_hosts = active;
    row.decision_s = ds;
    row.fig = st_.pending;
    st_.totals.add(st_.pending);
    st_.pending = Figures{};
    st_.decision_s_sum += ds;
    st_.decision_s_max = std::max(st_.decision_s_max, ds);
    ++st_.decisions;
    st_.tick = k;
}

Result<void> Engine::run(int32_t last_tick,
                         const std::function<bool(const IntervalRow&)>& on_interval) {
    if (st_.tick < 0) start();
    last_tick = std::min(last_tick, sc_.intervals);
    for (int32_t k = st_.tick + 1; k <= last_tick; ++k) {
        IntervalRow row;
        tick(k, row);
        if (on_interval && !on_interval(row)) break;
    }
    return {};
}

namespace {

void put_figures(ByteWriter& w, const Figures& f) {
    w.put(f.energy_j);
    w.put(f.floor_energy_j);
    w.put(f.active_host_s);
    w.put(f.overload_host_s);
    w.put(f.requested_mips_s);
    w.put(f.allocated_mips_s);
    w.put(f.migration_loss_mips_s);
    w.put(f.mem_moved_mb);
    w.put(f.migrations);
    w.put(f.hotspot_host_intervals);
    w.put(f.switched_on);
    w.put(f.switched_off);
    w.put(f.requested_mem_mb_s);
    w.put(f.unserved_mem_mb_s);
    w.put(f.mem_overcommit_host_intervals);
}

Figures get_figures(ByteReader& r) {
    Figures f;
    f.energy_j = r.get<double>();
    f.floor_energy_j = r.get<double>();
    f.active_host_s = r.get<double>();
    f.overload_host_s = r.get<double>();
    f.requested_mips_s = r.get<double>();
    f.allocated_mips_s = r.get<double>();
    f.migration_loss_mips_s = r.get<double>();
    f.mem_moved_mb = r.get<double>();
    f.migrations = r.get<int64_t>();
    f.hotspot_host_intervals = r.get<int64_t>();
    f.switched_on = r.get<int64_t>();
    f.switched_off = r.get<int64_t>();
    f.requested_mem_mb_s = r.get<double>();
    f.unserved_mem_mb_s = r.get<double>();
    f.mem_overcommit_host_intervals = r.get<int64_t>();
    return f;
}

}  // namespace

std::string Engine::save_state() const {
    ByteWriter w;
    w.put<uint32_t>(kStateMagic);
    w.put<int32_t>(sc_.hosts());
    w.put<int32_t>(sc_.vms());
    w.put<int32_t>(st_.tick);
    w.put<double>(st_.frame_t);
    w.put_vecvec(st_.host_vms);
    w.put_vecvec(st_.host_in);
    w.put_vec(st_.vm_host);
    w.put_vec(st_.vm_moving);
    w.put<uint64_t>(st_.inflight.size());
    for (const Inflight& m : st_.inflight) {
        w.put(m.vm);
        w.put(m.src);
        w.put(m.dst);
        w.put(m.start);
        w.put(m.end);
        w.put(m.seq);
        w.put(m.gate);
    }
    w.put<int64_t>(st_.next_seq);
    w.put<uint64_t>(st_.queued.size());
    for (const Move& m : st_.queued) {
        w.put(m.vm);
        w.put(m.host);
        w.put(m.wave);
    }
    w.put(st_.gates);
    w.put_vecvec(st_.vm_hist);
    w.put_vec(st_.host_util_mips);
    w.put_vec(st_.host_req_mips);
    w.put_vec(st_.host_alloc_mips);
    w.put_vec(st_.host_mem_mb);
    w.put_vec(st_.host_mem_over);
    w.put_vec(st_.host_on);
    w.put_vec(st_.host_ready_at);
    w.put_vec(st_.host_on_at_tick);
    w.put_vec(st_.vm_req_mips);
    w.put_vec(st_.vm_alloc_mips);
    put_figures(w, st_.totals);
    put_figures(w, st_.pending);
    w.put(st_.decision_s_sum);
    w.put(st_.decision_s_max);
    w.put(st_.decisions);
    w.put(st_.unplaced_vms);
    w.put(st_.finished_vms);
    w.put<uint64_t>(st_.notes.size());
    for (const auto& n : st_.notes) w.put_str(n);
    w.put_vec(req_now_);
    ByteWriter cw;
    chain_->save(cw);
    w.put_str(cw.bytes());
    // A checksum of everything before it: a damaged blob is refused, not half-trusted.
    const uint64_t sum = fnv1a64(w.bytes());
    w.put<uint64_t>(sum);
    return std::move(w.bytes());
}

Result<void> Engine::load_state(const std::string& blob) {
    if (blob.size() < sizeof(uint64_t)) return bad_input("simulator state: truncated");
    uint64_t sum = 0;
    std::memcpy(&sum, blob.data() + blob.size() - sizeof sum, sizeof sum);
    if (fnv1a64(std::string_view(blob).substr(0, blob.size() - sizeof sum)) != sum)
        return bad_input("simulator state: checksum mismatch (damaged)");
    const std::string body = blob.substr(0, blob.size() - sizeof sum);
    ByteReader r(body);
    SimState s;
    const uint32_t magic = r.get<uint32_t>();
    if (magic != kStateMagic && magic != kStateMagicV2)
        return bad_input("not a simulator state (bad magic)");
    const bool queues = magic == kStateMagic;  // FPS2 had none
    const int32_t nh = r.get<int32_t>(), nv = r.get<int32_t>();
    if (nh != sc_.hosts() || nv != sc_.vms()) {
        return bad_input("the saved state has " + std::to_string(nh) + " hosts and " +
                         std::to_string(nv) + " VMs; the scenario has " +
                         std::to_string(sc_.hosts()) + " and " + std::to_string(sc_.vms()));
    }
    s.tick = r.get<int32_t>();
    s.frame_t = r.get<double>();
    s.host_vms = r.get_vecvec<int32_t>();
    s.host_in = r.get_vecvec<int32_t>();
    s.vm_host = r.get_vec<int32_t>();
    s.vm_moving = r.get_vec<int32_t>();
    const uint64_t ni = r.get<uint64_t>();
    if (ni > body.size()) return bad_input("simulator state: truncated");
    for (uint64_t i = 0; i < ni && !r.failed(); ++i) {
        Inflight m;
        m.vm = r.get<int32_t>();
        m.src = r.get<int32_t>();
        m.dst = r.get<int32_t>();
        m.start = r.get<double>();
        m.end = r.get<double>();
        m.seq = r.get<int64_t>();
        if (queues) m.gate = r.get<uint8_t>();
        s.inflight.push_back(m);
    }
    s.next_seq = r.get<int64_t>();
    if (queues) {
        const uint64_t nq = r.get<uint64_t>();
        if (nq > body.size()) return bad_input("simulator state: truncated");
        for (uint64_t i = 0; i < nq && !r.failed(); ++i) {
            Move m;
            m.vm = r.get<int32_t>();
            m.host = r.get<int32_t>();
            m.wave = r.get<int32_t>();
            s.queued.push_back(m);
        }
        s.gates = r.get<int32_t>();
    }
    s.vm_hist = r.get_vecvec<double>();
    s.host_util_mips = r.get_vec<double>();
    s.host_req_mips = r.get_vec<double>();
    s.host_alloc_mips = r.get_vec<double>();
    s.host_mem_mb = r.get_vec<double>();
    s.host_mem_over = r.get_vec<uint8_t>();
    s.host_on = r.get_vec<uint8_t>();
    s.host_ready_at = r.get_vec<double>();
    s.host_on_at_tick = r.get_vec<uint8_t>();
    s.vm_req_mips = r.get_vec<double>();
    s.vm_alloc_mips = r.get_vec<double>();
    s.totals = get_figures(r);
    s.pending = get_figures(r);
    s.decision_s_sum = r.get<double>();
    s.decision_s_max = r.get<double>();
    s.decisions = r.get<int64_t>();
    s.unplaced_vms = r.get<int32_t>();
    s.finished_vms = r.get<int32_t>();
    const uint64_t nn = r.get<uint64_t>();
    for (uint64_t i = 0; i < nn && !r.failed(); ++i) s.notes.push_back(r.get_str());
    std::vector<double> req_now = r.get_vec<double>();
    const std::string chain_blob = r.get_str();
    if (r.failed() || !r.at_end()) return bad_input("simulator state: truncated or corrupt");
    auto sized = [&](size_t a, size_t want) { return a == want; };
    const size_t H = static_cast<size_t>(nh), V = static_cast<size_t>(nv);
    if (!sized(s.host_vms.size(), H) || !sized(s.host_in.size(), H) ||
        !sized(s.vm_host.size(), V) || !sized(s.vm_moving.size(), V) ||
        !sized(s.vm_hist.size(), V) || !sized(s.host_util_mips.size(), H) ||
        !sized(s.host_req_mips.size(), H) || !sized(s.host_alloc_mips.size(), H) ||
        !sized(s.host_mem_mb.size(), H) || !sized(s.host_mem_over.size(), H) ||
        !sized(s.host_on.size(), H) || !sized(s.host_ready_at.size(), H) ||
        !sized(s.host_on_at_tick.size(), H) || !sized(s.vm_req_mips.size(), V) ||
        !sized(s.vm_alloc_mips.size(), V) || !sized(req_now.size(), V)) {
        return bad_input("simulator state: sizes do not match the scenario");
    }
    for (int32_t h : s.vm_host) {
        if (h < kFinished || h >= nh) return bad_input("simulator state: a VM on an unknown host");
    }
    for (const auto& l : s.host_vms) {
        for (int32_t v : l) {
            if (v < 0 || v >= nv) return bad_input("simulator state: an unknown VM on a host");
        }
    }
    for (const auto& l : s.host_in) {
        for (int32_t v : l) {
            if (v < 0 || v >= nv) return bad_input("simulator state: an unknown VM on a host");
        }
    }
    int64_t gates = 0;
    for (const Inflight& m : s.inflight) {
        if (m.vm < 0 || m.vm >= nv || m.dst < 0 || m.dst >= nh || m.src < 0 || m.src >= nh ||
            m.gate > 1) {
            return bad_input("simulator state: an unknown migration");
        }
        gates += m.gate;
    }
    for (size_t i = 0; i < s.queued.size(); ++i) {
        const Move& m = s.queued[i];
        if (m.vm < 0 || m.vm >= nv || m.host < 0 || m.host >= nh || m.wave < 2 ||
            (i > 0 && s.queued[i - 1].wave > m.wave))
            return bad_input("simulator state: an unknown queued migration");
    }
    // A queue waits for gates (else nothing would start it) and is never left after the last
    // boundary.
    if (gates != s.gates || (!s.queued.empty() && (gates == 0 || s.tick >= sc_.intervals)))
        return bad_input("simulator state: queued waves disagree with flights");
    // The parts must agree: every VM on exactly the host vm_host names, every arrival listed
    // once per migration in flight, migrations in (end, seq) order, time within the run.
    if (s.tick < 0 || s.tick > sc_.intervals || !std::isfinite(s.frame_t) || s.frame_t < 0)
        return bad_input("simulator state: tick or time out of range");
    std::vector<int32_t> seen(V, 0), arriving(V, 0);
    for (int32_t h = 0; h < nh; ++h) {
        for (int32_t v : s.host_vms[h]) {
            if (s.vm_host[v] != h || seen[v]++ > 0)
                return bad_input("simulator state: host lists disagree with VM placements");
        }
        for (int32_t v : s.host_in[h]) ++arriving[v];
    }
    std::vector<int32_t> flying(V, 0);
    for (size_t i = 0; i < s.inflight.size(); ++i) {
        const Inflight& m = s.inflight[i];
        ++flying[m.vm];
        if (!std::isfinite(m.end) || m.end < m.start ||
            (i > 0 && (s.inflight[i - 1].end > m.end ||
                       (s.inflight[i - 1].end == m.end && s.inflight[i - 1].seq >= m.seq))))
            return bad_input("simulator state: migrations out of order");
        const auto& in = s.host_in[m.dst];
        if (std::find(in.begin(), in.end(), m.vm) == in.end())
            return bad_input("simulator state: a migration without its arrival");
    }
    int32_t unplaced = 0, finished = 0;
    for (int32_t v = 0; v < nv; ++v) {
        const int32_t h = s.vm_host[v];
        if ((h >= 0) != (seen[v] == 1) || flying[v] != s.vm_moving[v] ||
            arriving[v] != s.vm_moving[v] || (h < 0 && s.vm_moving[v] != 0))
            return bad_input("simulator state: VM " + std::to_string(v) + " is inconsistent");
        unplaced += h == -1 ? 1 : 0;
        finished += h == kFinished ? 1 : 0;
    }
    if (unplaced != s.unplaced_vms || finished != s.finished_vms)
        return bad_input("simulator state: VM counts disagree");
    // Counters keep growing after a resume: far from overflow (2^53, also exact as a double).
    auto count_ok = [](int64_t c) { return c >= 0 && c <= (int64_t{1} << 53); };
    for (const Figures* f : {&s.totals, &s.pending}) {
        if (!count_ok(f->migrations) || !count_ok(f->hotspot_host_intervals) ||
            !count_ok(f->mem_overcommit_host_intervals) || !count_ok(f->switched_on) ||
            !count_ok(f->switched_off))
            return bad_input("simulator state: counts out of range");
    }
    if (!count_ok(s.next_seq) || !count_ok(s.decisions))
        return bad_input("simulator state: counts out of range");
    ByteReader cr(chain_blob);
    chain_->load(cr);
    if (cr.failed() || !cr.at_end())
        return bad_input("simulator state: the chain's state is corrupt");
    st_ = std::move(s);
    req_now_ = std::move(req_now);
    all_dirty_ = true;
    return {};
}

Metrics metrics_of(const Scenario& sc, const SimState& st) {
    Metrics m;
    const Figures& f = st.totals;
    m.energy_kwh = f.energy_j / 3.6e6;
    m.energy_floor_kwh = f.floor_energy_j / 3.6e6;
    m.energy_over_floor = f.floor_energy_j > 0 ? f.energy_j / f.floor_energy_j : 0;
    m.migrations = f.migrations;
    m.slatah = f.active_host_s > 0 ? f.overload_host_s / f.active_host_s : 0;
    m.pdm = f.requested_mips_s > 0 ? f.migration_loss_mips_s / f.requested_mips_s : 0;
    m.slav = m.slatah * m.pdm;
    m.esv = m.energy_kwh * m.slav;
    m.unserved_mips_s = std::max(0.0, f.requested_mips_s - f.allocated_mips_s);
    m.unserved_frac = f.requested_mips_s > 0 ? m.unserved_mips_s / f.requested_mips_s : 0;
    m.hotspot_host_intervals = f.hotspot_host_intervals;
    m.mem_overcommit_host_intervals = f.mem_overcommit_host_intervals;
    m.unserved_mem_mb_s = f.unserved_mem_mb_s;
    m.unserved_mem_frac = f.requested_mem_mb_s > 0 ? f.unserved_mem_mb_s / f.requested_mem_mb_s : 0;
    m.mem_moved_mb = f.mem_moved_mb;
    m.switched_on = f.switched_on;
    m.switched_off = f.switched_off;
    m.mean_step_seconds =
        st.decisions > 0 ? st.decision_s_sum / static_cast<double>(st.decisions) : 0;
    m.max_step_seconds = st.decision_s_max;
    m.hosts = sc.hosts();
    m.vms = sc.vms();
    m.intervals = std::max(0, st.tick);
    m.unplaced_vms = st.unplaced_vms;
    m.finished_vms = st.finished_vms;
    return m;
}

}  // namespace fp::sim
