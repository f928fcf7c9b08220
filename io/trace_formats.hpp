// Trace formats besides the interchange CSV `time,vm,cpu,mem,net` (CONTRACT.md "Fleet input"):
// the Bitbrains GWA-T-12 format (one `;`-separated file per VM with absolute CPU, memory and
// network figures at unaligned timestamps), resampled onto a 300 s grid, and the conversion of a
// GWA or PlanetLab directory into the interchange CSV (`fleetplan convert-trace`, and `simulate
// --trace-format gwa`, which reads the CSV text this gives). Errors name FILE:LINE:FIELD.
// Thread-safety: pure functions. Determinism: files in byte order of their names; the output
// depends on the files' bytes only.
//
// The GWA rules (README "Trace formats"):
// - Files: every regular file of DIR not starting with '.', in byte order; the VM id is the name
//   less its last extension (`17.csv` -> `17`). Header line: `;`-separated names (spaces and
//   tabs around a field are ignored); the columns used are found by name, others are ignored.
// - Values: decimals (exponent allowed), finite and >= 0; `CPU cores` an integer; timestamps
//   (Unix seconds, whatever the header says) integers, strictly increasing. A file with a header
//   and no samples is a VM without a trace: left out, with a warning.
// - The VM's size: its largest `CPU cores`, `CPU capacity provisioned [MHZ]` and
//   `Memory capacity provisioned [KB]` over the file (a VM off for a while reports 0 there).
// - A sample's fractions: cpu = CPU usage MHz / the largest provisioned MHz; mem = memory usage
//   KB / the largest provisioned KB (0 when the file never provisions any); net = (received +
//   transmitted KB/s) x 8 x 1024 / 10^6 Mbit/s over the VM's reference bandwidth: its peak
//   over the file, rounded up to whole Mbit/s, at least 1. A usage above 10 times the size is
//   an error (the CSV's fractions stop at 10).
// - The grid: buckets of 300 s starting at the earliest first timestamp of all files, rounded
//   down to a multiple of 300 (5-minute clock time), up to the bucket holding the latest
//   timestamp. Each sample's value holds from its timestamp to the next sample's (the first also
//   before it, the last after it); a bucket's value is that step function's time-weighted mean
//   over the bucket. So a missing sample is bridged by its predecessor, and a VM that starts late
//   or ends early is extended with its first or last value.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/util/result.hpp"

namespace fp::io {

inline constexpr int64_t kGwaStepS = 300;
// The fractions are written with this many decimals in the interchange CSV.
inline constexpr int kTraceCsvDecimals = 6;

// `--trace-format`: auto (a directory is PlanetLab, a file the CSV), or one named.
enum class TraceFormat { kAuto, kCsv, kPlanetLab, kGwa };
std::optional<TraceFormat> parse_trace_format(std::string_view name);
inline constexpr const char* kTraceFormatNames = "csv, planetlab, gwa";

struct GwaVm {
    std::string id;
    int64_t cores = 0;     // largest `CPU cores`
    double cpu_mhz = 0;    // largest provisioned MHz
    double mem_kb = 0;     // largest provisioned KB
    int64_t net_mbps = 1;  // reference bandwidth: peak received + transmitted, rounded up
    std::vector<double> cpu, mem, net;  // per bucket: fractions as above
};

struct GwaTrace {
    int64_t start_s = 0;  // the first bucket's start (Unix seconds)
    int32_t buckets = 0;
    std::vector<GwaVm> vms;             // in file-name byte order
    std::vector<std::string> warnings;  // files with a header and no samples (left out)
};

// Reads and resamples every file of `dir`. Before resampling, refuses a grid longer than
// max_buckets, or than max_cells over all VMs with samples (buckets x VMs), naming the file and
// line of the timestamp that stretches it (the span's end farther from the median file's). Refuses
// VM rows (gwa_vms_csv) beyond vms.csv's range (cpu, mem, net at most 1e9 in their units), naming
// the sample they come from.
[[nodiscard]] Result<GwaTrace> read_gwa_trace(const std::string& dir, int64_t max_buckets,
                                              int64_t max_cells);

// The interchange CSV: `time,vm,cpu,mem,net`, per VM (trace order) one row per bucket, time = the
// bucket's start, fractions with kTraceCsvDecimals decimals.
std::string gwa_trace_csv(const GwaTrace& trace);

// The VM rows for `--vms auto` (vms.csv columns `id,host,cpu,mem,net,cpu_alloc`): no host (the
// simulation places every VM at time 0), cpu_alloc = cores (the size CPU fractions refer to),
// cpu = cores x the first bucket's fraction, mem = the provisioned KB in MiB (rounded up to
// whole KiB; memory fractions refer to it), net = the reference bandwidth in Mbit/s.
std::string gwa_vms_csv(const GwaTrace& trace);

// A PlanetLab directory as the interchange CSV `time,vm,cpu` (percent / 100), series aligned at
// their ends on a 300 s grid from time 0 as the PlanetLab reader aligns them.
[[nodiscard]] Result<std::string> planetlab_trace_csv(const std::string& dir);

}  // namespace fp::io
