// Inputs of `fleetplan simulate`: a PlanetLab day directory (one file per VM, in --trace-order
// or byte order) for the CloudSim preset, and a scenario from hosts.csv + vms.csv + a trace
// (a PlanetLab directory or the CSV `time,vm,cpu[,mem,net]`) with [sim] settings. Errors name
// FILE:LINE:FIELD. Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "io/config.hpp"
#include "io/trace_formats.hpp"
#include "src/model/fleet.hpp"
#include "src/sim/preset.hpp"
#include "src/sim/scenario.hpp"
#include "src/util/result.hpp"

namespace fp::io {

// Reads DIR's trace files: the names in `order_file` (one per line, spaces kept) when given,
// else every regular file not starting with '.', in byte order. Each must hold 288 samples.
Result<sim::PlanetLabDay> read_planetlab_day(const std::string& dir,
                                             const std::optional<std::string>& order_file);

// How far a fleet trace may expand (gaps are filled at the smallest interval between samples,
// and every VM's series is padded to the longest): at most kMaxSimTraceSamples samples, hence
// intervals, per VM (366 days at 300 s), and at most kMaxSimTraceCells samples over all VMs
// (512 MB of trace: a day at 300 s for 220,000 VMs). Beyond either, fleet_scenario refuses the
// trace (FILE:LINE:time of the sample after the widest gap of the offending VM).
inline constexpr int64_t kMaxSimTraceSamples = 105408;
inline constexpr int64_t kMaxSimTraceCells = 64000000;

// A trace's CPU series, flat: VM v's (gap-filled, aligned at the end, as
// load_history_with_warnings gives it; empty: no trace) is values[begin[v], begin[v + 1]).
struct TraceCpu {
    int64_t interval_s = 300;
    int32_t length = 0;  // the longest series
    std::vector<int64_t> begin;
    std::vector<float> values;
    // The `mem` column's series in the same layout as values (NaN before a VM's first memory
    // sample and for a VM without one); empty when the trace has no `mem` column.
    std::vector<float> mem;
    std::vector<std::string> warnings;
};

// The CPU (and memory) series of `simulate`'s trace (a PlanetLab directory or the CSV
// `time,vm,cpu[,mem,net]`) for `fleet` (in its VM order): the values, warnings and messages of
// load_history_with_warnings (io/history.hpp), with a CSV read in parallel into flat arrays (a
// day of 200,000 VMs: seconds and ~1 GB, not a quarter of an hour and 15 GB). Checks that span
// rows (duplicate times, the bounds) read the file a second time for the lines they name.
Result<TraceCpu> read_trace_cpu(const std::string& path, const model::Fleet& fleet,
                                int64_t max_series_length);

// read_trace_cpu on a CSV trace's text (named `path` in messages; a check that needs the lines
// of rows reads `path` again, which a text that passes the row checks never needs).
Result<TraceCpu> read_trace_cpu_text(std::string csv, const std::string& path,
                                     const model::Fleet& fleet, int64_t max_series_length);

// `--vms auto`: the VM rows come from the trace (gwa_vms_csv, io/trace_formats.hpp).
inline constexpr const char* kVmsAuto = "auto";

struct FleetSim {
    model::Fleet fleet;  // as read; the scenario's hosts and VMs are in the same order
    sim::Scenario scenario;
    std::string hosts_text, vms_text;  // kept in the checkpoint for --resume
    std::vector<std::string> warnings;
};

// A scenario from the fleet files and a trace (--history's formats: a PlanetLab directory or the
// CSV `time,vm,cpu[,mem,net]`, fractions of each VM's size). Hosts keep their cores (1000 MIPS
// each), memory, network and linear power model (power_idle_w/power_max_w, else the config's
// defaults); hosts in maintenance receive no VMs. A VM's size is its cpu_alloc (else its demand);
// a VM without a trace keeps its current demand. The `mem` column, where given, is the VM's memory
// demand as a fraction of its mem_size (which defaults to its mem); a VM without memory samples
// demands its whole mem_size all the time. Series start together at time 0 (a shorter
// one repeats its first value before it begins). Memory is reserved wherever a VM runs or
// arrives; hosts draw power while they hold a VM.
// `format` kAuto reads a directory as PlanetLab and a file as the CSV; kGwa reads a GWA-T-12
// directory as the CSV convert-trace writes from it. `vms_csv` kVmsAuto (GWA only) builds the VM
// rows from the trace (named "TRACE (--vms auto)" in messages).
Result<FleetSim> fleet_scenario(const std::string& hosts_csv, const std::string& vms_csv,
                                const std::string& trace, TraceFormat format, const SimConfig& cfg,
                                uint64_t seed);

}  // namespace fp::io
