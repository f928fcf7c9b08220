// What a simulation replays: host types with power models, hosts, VMs with their per-interval
// CPU utilisation traces, and the knobs of the fleet model (interval, boot delay and energy,
// migration degradation, and whether the CloudSim semantics apply). Built by the PlanetLab preset
// (src/sim/preset.hpp) or from hosts.csv/vms.csv plus a trace (io/sim_input.hpp).
// Thread-safety: plain values. Determinism: no state.
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

namespace fp::sim {

// Power drawn at a CPU utilisation u in [0, 1]: a table of watts at 0%, 10%, ..., 100% load
// (SPECpower), linearly interpolated between the steps. A linear idle/max model is the table of
// its 11 points.
struct PowerModel {
    std::array<double, 11> watts{};

    static PowerModel linear(double idle_w, double max_w);
    double at(double u) const;  // u is clamped to [0, 1]
};

struct HostType {
    std::string name;
    int32_t pes = 1;        // cores
    double pe_mips = 1000;  // per core
    double ram_mb = 0;
    double bw_mbps = 1000;
    PowerModel power;

    double mips() const { return pes * pe_mips; }
};

// How memory is accounted. kInstantiation is CloudSim's: a VM's RAM is reserved when it is first
// placed, but a running VM requests none (its cloudlet's RAM model is null), so migrations never
// check memory. kReserved reserves each VM's RAM wherever it runs or is arriving.
enum class MemoryModel { kInstantiation, kReserved };
// When a host draws power. kUtilisation is CloudSim's: a host at 0% CPU at the start of a frame
// is off (0 W). kHoldsVm: a host is on while it holds or receives a VM.
enum class PowerState { kUtilisation, kHoldsVm };
// What a migrating VM asks of its target. kFull is CloudSim's: the target counts the VM's whole
// demand as requested while serving it only 10%, so a migration target is over-committed (an SLA
// violation) for the move's duration. kShare: the target is asked for, and serves, the 10%.
enum class IncomingDemand { kFull, kShare };

struct Scenario {
    std::string name;
    int64_t interval_s = 300;  // between decisions
    int32_t intervals = 288;   // simulated intervals
    int64_t trace_step_s = 0;  // between trace samples (0: interval_s)
    std::vector<HostType> types;
    std::vector<std::string> host_ids;
    std::vector<int32_t> host_type;
    std::vector<uint8_t> host_accepts;  // per host: may receive VMs (empty: all may)
    std::vector<std::string> vm_ids;
    std::vector<double> vm_mips;  // total over its cores
    std::vector<int32_t> vm_pes;
    std::vector<double> vm_ram_mb;
    std::vector<double> vm_bw_mbps;
    std::vector<int32_t> vm_initial_host;    // -1: the chain places it at time 0
    std::vector<std::vector<double>> trace;  // per VM: CPU fractions of vm_mips, one per interval
    // Per VM: memory demand as fractions of vm_ram_mb, one per trace sample (the CSV trace's
    // `mem` column); empty (or no entry): the VM's demand is its whole vm_ram_mb all the time.
    std::vector<std::vector<double>> mem_trace;
    MemoryModel memory = MemoryModel::kInstantiation;
    PowerState power_state = PowerState::kUtilisation;
    IncomingDemand incoming = IncomingDemand::kFull;
    double target_share = 0.1;        // share of a migrating VM's CPU that loads its target
    double boot_s = 0;                // delay before a switched-on host can receive a VM
    double boot_energy_wh = 0;        // energy of one switch-on
    double degradation = 0.1;         // share of a migrating VM's CPU lost during the move (PDM)
    double migration_bw_share = 0.5;  // share of the target's bandwidth used by migrations
    // Decision times are k × interval + tick_offset_s (capped at the end of the trace). CloudSim
    // decides at 300.1, 600.1, ..., and last at 86400.
    double tick_offset_s = 0;
    // CloudSim treats a VM whose CPU request is exactly 0 at an update (and that is not
    // migrating) as finished and removes it for good. Off except in the CloudSim preset.
    bool finish_idle_vms = false;
    uint64_t seed = 1;

    int32_t hosts() const { return static_cast<int32_t>(host_ids.size()); }
    int32_t vms() const { return static_cast<int32_t>(vm_ids.size()); }
    const HostType& type_of(int32_t h) const { return types[host_type[h]]; }
    bool accepts(int32_t h) const { return host_accepts.empty() || host_accepts[h] != 0; }
    // Seconds between trace samples (trace_step_s, else interval_s).
    double sample_step_s() const {
        return static_cast<double>(trace_step_s > 0 ? trace_step_s : interval_s);
    }
    // Where time t falls in the traces: after sample i = ⌊t / step⌋, `frac` of the way to i + 1.
    struct TracePosition {
        int64_t i = 0;
        double frac = 0;
    };
    TracePosition trace_position(double t) const {
        const double x = t / sample_step_s();
        const auto i = static_cast<int64_t>(std::floor(x));
        return {i, x - static_cast<double>(i)};
    }
    // A series from its sample i towards the next: the value at i and the step to i + 1,
    // clamped to the first and last samples (step 0 there; 0 and 0 for no samples). The value
    // at `frac` of the way is segment_value: kept per VM, a segment serves every time in it.
    struct Segment {
        double at = 0, to_next = 0;
    };
    static Segment segment(const std::vector<double>& series, int64_t i);
    static double segment_value(const Segment& s, double frac) {
        return frac == 0 ? s.at : s.at + s.to_next * frac;
    }
    // Utilisation of VM v at time t: linear between samples, the last sample held.
    double utilisation(int32_t v, double t) const;
    // Memory demand of VM v at time t (MiB): vm_ram_mb × its mem_trace fraction (linear between
    // samples, the last held), or vm_ram_mb without a memory trace.
    double mem_demand_mb(int32_t v, double t) const;
    // The largest memory demand of VM v at t and at the `samples` - 1 trace samples before it
    // (those at t - step, t - 2 step, ... >= 0): a forecast from what has been seen.
    double mem_peak_mb(int32_t v, double t, int32_t samples) const;
    // The time of decision boundary k (k >= 1).
    double tick_time(int32_t k) const;
    // Seconds a migration of v to host h takes: RAM over the target's migration bandwidth.
    double migration_s(int32_t v, int32_t h) const;
    // The energy floor's rate: the least full-load power per MIPS over the types of the fleet's
    // hosts (W/MIPS; 0 without hosts). See Figures::floor_energy_j.
    double floor_watts_per_mips() const;
};

}  // namespace fp::sim
