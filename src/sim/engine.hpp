// The trace-driven simulator: replays a Scenario interval by interval. At every interval boundary
// it updates each VM's demand from its trace, lets the policy chain decide migrations, and runs
// them with their modelled duration: during a move the VM runs on its source with its CPU
// degraded (Scenario::degradation) and also loads the target (10% of its demand, as CloudSim).
// Between boundaries the fleet changes only when a migration ends or a chain's later wave starts
// (Move::wave: a plan's waves carried out in order, as `dispatch` does, each once every migration
// of the wave before it has ended; waves not started by the next boundary are dropped, the chain
// decides again there). Every change of allocation
// is a "frame"; metrics integrate over frames (piecewise constant, energy trapezoidal), with the
// definitions of Beloglazov & Buyya (2012) as CloudSim 3.0.3 computes them.
//
// Determinism: no wall clock in any decision (only in the reported decision times), randomness
// keyed by (seed, tick). The whole state, the chain's included, round-trips through
// save_state/load_state, so k intervals + resume + N−k intervals equal N intervals exactly.
// Thread-safety: one Engine per thread.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "src/sim/scenario.hpp"
#include "src/util/result.hpp"

namespace fp::sim {

class ByteWriter;
class ByteReader;

inline constexpr int32_t kFinished = -2;

struct Inflight {
    int32_t vm = 0, src = 0, dst = 0;
    double start = 0, end = 0;
    int64_t seq = 0;
    uint8_t gate = 0;  // of the wave the next queued wave waits for (SimState::queued)
};

// Figures of one interval (t_{k-1}, t_k], or of the whole run (Totals).
struct Figures {
    double energy_j = 0;
    // The energy floor: the VMs' CPU demand (requested MIPS of every VM not finished, placed or
    // not) served at full load by the fleet's most power-efficient type, with no idle host:
    // Scenario::floor_watts_per_mips() × ∫ demand dt, the demand integrated trapezoidally
    // between frames as energy is. Frames that count no energy under PowerState::kUtilisation
    // before the first update (the preset's first interval) count no floor either.
    double floor_energy_j = 0;
    double active_host_s = 0;          // SLATAH denominator: time hosts were active
    double overload_host_s = 0;        // SLATAH numerator: active time with allocated < requested
    double requested_mips_s = 0;       // VM CPU requested
    double allocated_mips_s = 0;       // VM CPU served
    double migration_loss_mips_s = 0;  // PDM numerator: shortfall of VMs while migrating
    double mem_moved_mb = 0;
    int64_t migrations = 0;
    int64_t hotspot_host_intervals = 0;  // hosts whose demand exceeded a core or the host at t_k
    int64_t switched_on = 0;
    int64_t switched_off = 0;
    // Memory (MemoryModel::kReserved only): the resident demand of every host (VMs it runs or
    // receives) × time, the part of it beyond the host's memory × time, and the hosts whose
    // resident demand exceeded their memory at some time in the interval.
    double requested_mem_mb_s = 0;
    double unserved_mem_mb_s = 0;
    int64_t mem_overcommit_host_intervals = 0;

    void add(const Figures& o);
};

struct IntervalRow {
    int32_t k = 0;             // 1-based interval index; the row covers (t_{k-1}, t_k]
    double t = 0;              // t_k
    int32_t active_hosts = 0;  // at t_k after the decision's migrations started
    Figures fig;
    double decision_s = 0;         // wall time of the chain at t_k (not deterministic)
    std::vector<float> host_util;  // CPU utilisation per host at t_k (before the decision)
};

struct Move {
    int32_t vm = 0;
    int32_t host = 0;
    // 0 or 1: starts at the decision. w ≥ 2: starts once every migration of the previous wave
    // (the largest wave below w that started anything) has ended, if that is before the next
    // boundary; else it is dropped.
    int32_t wave = 0;
};

struct SimState {
    int32_t tick = -1;  // last processed boundary (-1: nothing yet; 0: initial placement done)
    double frame_t = 0;
    std::vector<std::vector<int32_t>> host_vms;  // running VMs, in arrival order
    std::vector<std::vector<int32_t>> host_in;   // VMs migrating in, in start order
    std::vector<int32_t> vm_host;                // -1: not placed; kFinished: left the fleet
    std::vector<int32_t> vm_moving;              // in-flight migrations of the VM
    std::vector<Inflight> inflight;              // sorted by (end, seq)
    int64_t next_seq = 0;
    // The last decision's later waves, in wave order, waiting for the `gates` migrations in
    // flight (Inflight::gate) to end; dropped at the next boundary.
    std::vector<Move> queued;
    int32_t gates = 0;
    std::vector<std::vector<double>> vm_hist;  // non-zero utilisation samples, newest first
    // The last frame's values.
    std::vector<double> host_util_mips;   // CPU in use (CloudSim's utilisation MIPS)
    std::vector<double> host_req_mips;    // CPU requested by the VMs it runs or receives
    std::vector<double> host_alloc_mips;  // CPU allocated to them
    std::vector<double> host_mem_mb;      // memory demanded by them (kReserved; else 0)
    std::vector<uint8_t> host_mem_over;   // memory over-committed in the interval in progress
    std::vector<uint8_t> host_on;         // drawing power
    std::vector<double> host_ready_at;    // when a switched-on host finishes booting
    std::vector<uint8_t> host_on_at_tick;
    std::vector<double> vm_req_mips, vm_alloc_mips;
    Figures totals;
    Figures pending;  // of the interval in progress
    double decision_s_sum = 0, decision_s_max = 0;
    int64_t decisions = 0;
    int32_t unplaced_vms = 0;
    int32_t finished_vms = 0;        // Scenario::finish_idle_vms
    std::vector<std::string> notes;  // what could not be done and why
};

class Engine;

// What a chain sees when it decides (all const).
struct SimView {
    const Scenario& sc;
    const SimState& st;
    int32_t tick;
    double t;
    const std::vector<double>& vm_req_now;  // requested MIPS of each VM at t (full VM at tick 0)
    const std::vector<double>& vm_mem_now;  // memory demand of each VM at t (MiB)
    bool instantiation;                     // tick 0: VMs are being created
};

// A policy chain: where VMs start, and which migrations to start at each boundary.
class Chain {
  public:
    virtual ~Chain() = default;
    virtual std::string name() const = 0;
    // Hosts for the VMs without one at time 0 (the result's order is the creation order).
    virtual std::vector<Move> place_initial(const SimView& view) = 0;
    virtual std::vector<Move> decide(const SimView& view) = 0;
    // A migration the chain asked for has started at t (a placement is no migration).
    virtual void started(int32_t /*vm*/, int32_t /*host*/, double /*t*/) {}
    virtual void save(ByteWriter& w) const;
    virtual void load(ByteReader& r);
};

class Engine {
  public:
    Engine(const Scenario& sc, std::unique_ptr<Chain> chain);
    // Runs boundaries until `last_tick` (≤ scenario.intervals), calling on_interval after each.
    // Returns false when on_interval asks to stop.
    Result<void> run(int32_t last_tick, const std::function<bool(const IntervalRow&)>& on_interval);
    const SimState& state() const { return st_; }
    const Chain& chain() const { return *chain_; }
    std::string save_state() const;
    Result<void> load_state(const std::string& blob);

  private:
    void start();
    void frame(double t);
    void allocate_host(int32_t h, double t);
    void tick(int32_t k, IntervalRow& row);
    void finish_migration(const Inflight& m);
    // Returns whether a migration started (not for a finished VM, nor a placement).
    bool start_migration(int32_t vm, int32_t dst, double t);
    // Starts the next queued wave at `now` (and the ones after it while a wave starts nothing),
    // or drops the queue when `now` is not before `boundary`. The new migrations are merged into
    // inflight[from, end) in (end, seq) order.
    void start_queued(double now, double boundary, size_t from);
    bool holds_vm(int32_t h) const;
    // Scenario::utilisation(v, t) and mem_demand_mb(v, t), from the same Scenario::Segment
    // kept per VM for the trace segment t falls in, refilled when t enters another: a frame
    // reads two contiguous arrays instead of every VM's own series (at 100,000 VMs, a frame per
    // migration end spent half the run there).
    double util_at(int32_t v, double t);
    double mem_at(int32_t v, double t);
    void seek(double t);
    void mark_dirty(int32_t h);
    void finish_idle_vms(int32_t h);

    const Scenario& sc_;
    std::unique_ptr<Chain> chain_;
    SimState st_;
    double floor_w_per_mips_ = 0;  // Scenario::floor_watts_per_mips()
    std::vector<double> req_now_;
    std::vector<double> mem_now_;         // Scenario::mem_demand_mb at the decision's time
    std::vector<uint8_t> migrating_out_;  // scratch
    // Hosts whose VMs changed since the last frame (a migration started or ended there): a
    // frame at the same time recomputes only them. all_dirty_: recompute every host.
    std::vector<uint8_t> dirty_;
    std::vector<int32_t> dirty_list_;
    bool all_dirty_ = true;
    // Scratch of frame() and allocate_host().
    std::vector<double> util_prev_, req_prev_, alloc_req_, alloc_capped_;
    std::vector<uint8_t> on_prev_;
    int64_t seg_ = std::numeric_limits<int64_t>::min();  // seek(): the segment loaded
    double seg_t_ = std::numeric_limits<double>::quiet_NaN(), seg_frac_ = 0;
    std::vector<Scenario::Segment> cpu_seg_, mem_seg_;
    std::vector<uint8_t> mem_traced_;
};

// Summary metrics of a run (fractions, not percent).
struct Metrics {
    double energy_kwh = 0;
    double energy_floor_kwh = 0;   // Figures::floor_energy_j over the run
    double energy_over_floor = 0;  // energy_kwh / energy_floor_kwh (0 when the floor is 0)
    int64_t migrations = 0;
    double slatah = 0, pdm = 0, slav = 0, esv = 0;
    double unserved_mips_s = 0, unserved_frac = 0;
    int64_t mem_overcommit_host_intervals = 0;
    double unserved_mem_mb_s = 0, unserved_mem_frac = 0;
    int64_t hotspot_host_intervals = 0;
    double mem_moved_mb = 0;
    int64_t switched_on = 0, switched_off = 0;
    double mean_step_seconds = 0, max_step_seconds = 0;
    int32_t hosts = 0, vms = 0, intervals = 0, unplaced_vms = 0, finished_vms = 0;
};
Metrics metrics_of(const Scenario& sc, const SimState& st);

}  // namespace fp::sim
