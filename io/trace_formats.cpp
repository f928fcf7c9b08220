#include "io/trace_formats.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <tuple>

#include "io/csv.hpp"
#include "io/history.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {

std::optional<TraceFormat> parse_trace_format(std::string_view name) {
    if (name == "auto") return TraceFormat::kAuto;
    if (name == "csv") return TraceFormat::kCsv;
    if (name == "planetlab") return TraceFormat::kPlanetLab;
    if (name == "gwa") return TraceFormat::kGwa;
    return std::nullopt;
}

namespace {

// The GWA columns read, by their header names.
enum GwaColumn { kTime, kCores, kCpuProv, kCpuUse, kMemProv, kMemUse, kNetRx, kNetTx, kColumns };
constexpr std::array<const char*, kColumns> kGwaNames = {"Timestamp [ms]",
                                                         "CPU cores",
                                                         "CPU capacity provisioned [MHZ]",
                                                         "CPU usage [MHZ]",
                                                         "Memory capacity provisioned [KB]",
                                                         "Memory usage [KB]",
                                                         "Network received throughput [KB/s]",
                                                         "Network transmitted throughput [KB/s]"};
constexpr double kMaxGwaValue = 1e15;
constexpr double kMaxQuantity = 1e9;  // vms.csv's bound on a quantity (CONTRACT.md)
constexpr double kMaxCores = kMaxQuantity;
// The CSV's fractions stop at 10 (io/sim_input.cpp, io/history.cpp).
constexpr double kMaxFraction = 10.0;

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    size_t start = 0;
    for (;;) {
        const size_t end = line.find(';', start);
        out.push_back(trim_blanks(line.substr(
            start, end == std::string_view::npos ? std::string_view::npos : end - start)));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return out;
}

struct GwaSample {
    int64_t t = 0;
    int64_t line = 0;
    std::array<double, kColumns> v{};
};

// One file: its samples, or its errors in `errors`.
struct GwaFile {
    std::vector<GwaSample> samples;
    ErrorList errors;
    std::optional<Error> environment;
};

GwaFile read_gwa_file(const std::string& file) {
    GwaFile out;
    ErrorList& errors = out.errors;
    auto text = read_file(file);
    if (!text) {
        if (text.error().code == ErrorCode::kEnvironment) {
            out.environment = text.error();
        } else {
            std::string why = text.error().msg;  // "FILE: cannot open: reason"
            if (why.rfind(file + ": ", 0) == 0) why.erase(0, file.size() + 2);
            errors.add(file, 1, kGwaNames[kTime], why);
        }
        return out;
    }
    std::string_view rest(*text);
    if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
    int64_t line = 0;
    std::array<int, kColumns> at{};
    at.fill(-1);
    std::vector<std::string> names;  // the header's
    bool header = true;
    while (!rest.empty()) {
        const size_t nl = rest.find('\n');
        const std::string_view raw = rest.substr(0, nl);
        rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
        ++line;
        if (trim_blanks(raw).empty()) continue;  // blank lines
        const std::vector<std::string_view> f = split_fields(raw);
        if (header) {
            header = false;
            names.assign(f.begin(), f.end());
            for (size_t i = 0; i < f.size(); ++i)
                for (int c = 0; c < kColumns; ++c)
                    if (f[i] == kGwaNames[static_cast<size_t>(c)] && at[static_cast<size_t>(c)] < 0)
                        at[static_cast<size_t>(c)] = static_cast<int>(i);
            for (int c = 0; c < kColumns; ++c)
                if (at[static_cast<size_t>(c)] < 0)
                    errors.add(file, line, kGwaNames[static_cast<size_t>(c)],
                               "missing column (the header names the GWA-T-12 columns, "
                               "separated by ';')");
            if (!errors.empty()) return out;
            continue;
        }
        if (f.size() != names.size()) {
            // The first column without a field, or (too many fields) the last one.
            const std::string& col = names[std::min(f.size(), names.size() - 1)];
            errors.add(file, line, col,
                       std::to_string(f.size()) + " fields, the header has " +
                           std::to_string(names.size()));
        } else {
            GwaSample s;
            s.line = line;
            bool ok = true;
            for (int c = 0; c < kColumns; ++c) {
                const auto field = f[static_cast<size_t>(at[static_cast<size_t>(c)])];
                Decimal d;
                const DecimalStatus st =
                    parse_decimal(field, c == kCores ? kMaxCores : kMaxGwaValue, d);
                std::string why;
                if (st != DecimalStatus::kOk) {
                    why = describe(st) + ": " + in_quotes(field);
                } else if ((c == kTime || c == kCores) && scale_decimal(d, 1, Rounding::kDown) !=
                                                              scale_decimal(d, 1, Rounding::kUp)) {
                    why = "not an integer: " + in_quotes(field);
                }
                if (!why.empty()) {
                    if (errors.full()) {
                        errors.mark_truncated();
                        return out;
                    }
                    errors.add(file, line, kGwaNames[static_cast<size_t>(c)], why);
                    ok = false;
                    continue;
                }
                s.v[static_cast<size_t>(c)] = d.value;
                if (c == kTime) s.t = scale_decimal(d, 1, Rounding::kDown);
            }
            if (ok && !out.samples.empty() && s.t <= out.samples.back().t) {
                errors.add(file, line, kGwaNames[kTime],
                           std::to_string(s.t) + " is not after the previous sample's " +
                               std::to_string(out.samples.back().t) + " (line " +
                               std::to_string(out.samples.back().line) + ")");
                ok = false;
            }
            if (ok) out.samples.push_back(s);
        }
        if (errors.full()) {
            if (!rest.empty()) errors.mark_truncated();
            return out;
        }
    }
    if (header) {
        errors.add(file, 1, kGwaNames[kTime], "empty file: expected a GWA-T-12 header and samples");
    }  // a header without samples: a VM without a trace (read_gwa_trace leaves it out)
    return out;
}

// The time-weighted mean of the step function (value[i] from t[i] to t[i+1], the first also
// before, the last also after) over each bucket [start + k·step, start + (k+1)·step).
std::vector<double> resample(const std::vector<GwaSample>& s, const std::vector<double>& value,
                             int64_t start, int32_t buckets) {
    std::vector<double> out(static_cast<size_t>(buckets), 0.0);
    size_t i = 0;  // the sample holding at the bucket's start
    for (int32_t k = 0; k < buckets; ++k) {
        const int64_t a = start + k * kGwaStepS, b = a + kGwaStepS;
        while (i + 1 < s.size() && s[i + 1].t <= a) ++i;
        double sum = 0;
        int64_t from = a;
        for (size_t j = i; from < b; ++j) {
            const int64_t to = j + 1 < s.size() ? std::min(b, s[j + 1].t) : b;
            sum += value[j] * static_cast<double>(to - from);
            from = to;
        }
        out[static_cast<size_t>(k)] = sum / static_cast<double>(kGwaStepS);
    }
    return out;
}

// The VM row's cpu in millicores: cores × the first bucket's fraction, rounded up as demands
// are (never below 0).
int64_t first_cpu_millicores(const GwaVm& vm) {
    const double first = vm.cpu.empty() ? 0.0 : vm.cpu[0];
    return std::max<int64_t>(
        0, static_cast<int64_t>(std::ceil(static_cast<double>(vm.cores) * 1000.0 * first)));
}

std::string fraction_text(double v) {
    static const std::string format = "%." + std::to_string(kTraceCsvDecimals) + "f";
    return format_double(format.c_str(), v);
}

}  // namespace

Result<GwaTrace> read_gwa_trace(const std::string& dir_in, int64_t max_buckets, int64_t max_cells) {
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return bad_input(dir + ": not a directory of GWA-T-12 trace files (--trace-format gwa)");
    auto names = planetlab_names(dir);  // regular files not starting with '.', in byte order
    if (!names) return tl::unexpected(names.error());
    if (names->empty()) return bad_input(dir + ": no trace files");
    GwaTrace out;
    out.vms.resize(names->size());
    ErrorList errors;
    for (size_t i = 0; i < names->size(); ++i) {
        const std::string& name = (*names)[i];
        const size_t dot = name.rfind('.');
        out.vms[i].id = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
        if (auto fault = id_fault(out.vms[i].id))
            errors.add(dir + "/" + printable(name), 1, "name", "the VM id: " + *fault);
    }
    {  // two names with one stem ("a.csv", "a.txt") would be one VM
        std::vector<std::pair<std::string, size_t>> ids;
        for (size_t i = 0; i < out.vms.size(); ++i) ids.emplace_back(out.vms[i].id, i);
        std::sort(ids.begin(), ids.end());
        for (size_t i = 1; i < ids.size(); ++i)
            if (ids[i].first == ids[i - 1].first)
                errors.add(dir + "/" + printable((*names)[ids[i].second]), 1, "name",
                           "VM id " + in_quotes(ids[i].first) + " also names " +
                               in_quotes((*names)[ids[i - 1].second]));
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());

    std::vector<GwaFile> files(names->size());
    tbb::parallel_for(size_t{0}, names->size(),
                      [&](size_t i) { files[i] = read_gwa_file(dir + "/" + (*names)[i]); });
    for (GwaFile& f : files) {
        if (f.environment) return tl::unexpected(*f.environment);
        errors.merge(f.errors);
        if (errors.full()) break;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    // Files with a header and no sample (72 of the Bitbrains day's 500) are VMs without a trace
    // that day: left out, with one warning.
    std::vector<std::string> empty;
    size_t kept = 0;
    for (size_t i = 0; i < files.size(); ++i) {
        if (files[i].samples.empty()) {
            empty.push_back((*names)[i]);
            continue;
        }
        if (kept != i) {
            files[kept] = std::move(files[i]);
            (*names)[kept] = std::move((*names)[i]);
            out.vms[kept] = std::move(out.vms[i]);
        }
        ++kept;
    }
    files.resize(kept);
    names->resize(kept);
    out.vms.resize(kept);
    if (files.empty())
        return bad_input(dir + ": no samples in any trace file (" + in_quotes(empty.front()) +
                         ", ...)");
    if (!empty.empty()) {
        std::string list;
        for (size_t i = 0; i < empty.size() && i < 5; ++i)
            list += (i ? ", " : "") + in_quotes(empty[i]);
        out.warnings.push_back(dir + ": " + std::to_string(empty.size()) +
                               " files have a header and no samples; their VMs are left out (" +
                               list + (empty.size() > 5 ? ", ...)" : ")"));
    }

    // Sizes, and usage within 10 times them.
    for (size_t i = 0; i < files.size(); ++i) {
        GwaVm& vm = out.vms[i];
        const std::string file = dir + "/" + (*names)[i];
        double peak_kbps = 0;
        const GwaSample* mem_at = &files[i].samples.front();  // the largest provisioned KB
        const GwaSample* net_at = mem_at;                     // the network peak
        for (const GwaSample& s : files[i].samples) {
            vm.cores = std::max(vm.cores, static_cast<int64_t>(s.v[kCores]));
            vm.cpu_mhz = std::max(vm.cpu_mhz, s.v[kCpuProv]);
            if (s.v[kMemProv] > vm.mem_kb) mem_at = &s;
            vm.mem_kb = std::max(vm.mem_kb, s.v[kMemProv]);
            if (s.v[kNetRx] + s.v[kNetTx] > peak_kbps) net_at = &s;
            peak_kbps = std::max(peak_kbps, s.v[kNetRx] + s.v[kNetTx]);
        }
        vm.net_mbps =
            std::max<int64_t>(1, static_cast<int64_t>(std::ceil(peak_kbps * 8.0 * 1024.0 / 1e6)));
        // The VM row's sizes (gwa_vms_csv) within vms.csv's range, refused here naming the
        // sample they come from: vms.csv's reader would name a line of generated text.
        if (std::ceil(vm.mem_kb) > kMaxQuantity * 1024.0)
            errors.add(file, mem_at->line, kGwaNames[kMemProv],
                       format_double("%.17g", vm.mem_kb) + " KB is " +
                           format_double("%.17g", std::ceil(vm.mem_kb) / 1024.0) +
                           " MiB, the VM's mem (--vms auto), above vms.csv's bound (at most "
                           "1e9 MiB)");
        if (static_cast<double>(vm.net_mbps) > kMaxQuantity) {
            const GwaColumn col = net_at->v[kNetRx] >= net_at->v[kNetTx] ? kNetRx : kNetTx;
            errors.add(file, net_at->line, kGwaNames[col],
                       "received + transmitted " + format_double("%.17g", peak_kbps) + " KB/s is " +
                           std::to_string(vm.net_mbps) +
                           " Mbit/s, the VM's net (--vms auto), above vms.csv's bound (at most "
                           "1e9 Mbit/s)");
        }
        for (const GwaSample& s : files[i].samples) {
            for (auto [use, size, unit] :
                 {std::tuple{kCpuUse, vm.cpu_mhz, "MHz"}, std::tuple{kMemUse, vm.mem_kb, "KB"}}) {
                if (s.v[use] > kMaxFraction * size && !errors.full())
                    errors.add(file, s.line, kGwaNames[use],
                               format_double("%.17g", s.v[use]) + " " + unit +
                                   " is more than 10 times the largest provisioned capacity "
                                   "of the file (" +
                                   format_double("%.17g", size) + " " + unit + ")");
            }
        }
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());

    // The grid, and its bounds before anything is resampled: one timestamp months away (a
    // hostile or broken file) would otherwise make every VM's series that long first.
    size_t first = 0, last = 0;
    for (size_t i = 1; i < files.size(); ++i) {
        if (files[i].samples.front().t < files[first].samples.front().t) first = i;
        if (files[i].samples.back().t > files[last].samples.back().t) last = i;
    }
    const int64_t t0 = files[first].samples.front().t;
    const int64_t t1 = files[last].samples.back().t;
    out.start_s = t0 - t0 % kGwaStepS;
    const int64_t buckets = (t1 - out.start_s) / kGwaStepS + 1;
    const auto nvms = static_cast<int64_t>(files.size());
    if (buckets > max_buckets || buckets > max_cells / nvms) {
        // The message names the end of the span farther from the other files' (the median
        // file's first or last timestamp): the outlier, whichever end it is at.
        std::vector<int64_t> firsts, lasts;
        for (const GwaFile& f : files) {
            firsts.push_back(f.samples.front().t);
            lasts.push_back(f.samples.back().t);
        }
        const size_t mid = files.size() / 2;
        std::nth_element(firsts.begin(), firsts.begin() + static_cast<std::ptrdiff_t>(mid),
                         firsts.end());
        std::nth_element(lasts.begin(), lasts.begin() + static_cast<std::ptrdiff_t>(mid),
                         lasts.end());
        const bool early = firsts[mid] - t0 > t1 - lasts[mid];
        const size_t at = early ? first : last, other = early ? last : first;
        const auto where = [&](size_t i, bool front) {
            const GwaSample& s = front ? files[i].samples.front() : files[i].samples.back();
            return dir + "/" + printable((*names)[i]) + ":" + std::to_string(s.line);
        };
        const std::string bound = buckets > max_buckets
                                      ? "at most " + std::to_string(max_buckets) + " per VM"
                                      : "with " + std::to_string(nvms) + " VMs at most " +
                                            std::to_string(max_cells / nvms) + " (" +
                                            std::to_string(max_cells) + " VM-buckets in all)";
        return bad_input(where(at, early) + ":" + kGwaNames[kTime] + ": " +
                         std::to_string(early ? t0 : t1) + " makes the files span " +
                         std::to_string(t1 - t0) + " s (" + (early ? "to " : "from ") +
                         std::to_string(early ? t1 : t0) + " at " + where(other, !early) +
                         "): " + std::to_string(buckets) + " buckets of 300 s, " + bound);
    }
    out.buckets = static_cast<int32_t>(buckets);

    tbb::parallel_for(size_t{0}, files.size(), [&](size_t i) {
        GwaVm& vm = out.vms[i];
        const std::vector<GwaSample>& s = files[i].samples;
        std::vector<double> cpu(s.size()), mem(s.size()), net(s.size());
        for (size_t j = 0; j < s.size(); ++j) {
            cpu[j] = vm.cpu_mhz > 0 ? s[j].v[kCpuUse] / vm.cpu_mhz : 0.0;
            mem[j] = vm.mem_kb > 0 ? s[j].v[kMemUse] / vm.mem_kb : 0.0;
            net[j] = (s[j].v[kNetRx] + s[j].v[kNetTx]) * 8.0 * 1024.0 / 1e6 /
                     static_cast<double>(vm.net_mbps);
        }
        vm.cpu = resample(s, cpu, out.start_s, out.buckets);
        vm.mem = resample(s, mem, out.start_s, out.buckets);
        vm.net = resample(s, net, out.start_s, out.buckets);
    });
    // The VM row's cpu (cores × the first bucket's fraction) within vms.csv's range: named by
    // the largest CPU usage among the samples that make the first bucket.
    for (size_t i = 0; i < files.size(); ++i) {
        const int64_t milli = first_cpu_millicores(out.vms[i]);
        if (static_cast<double>(milli) <= kMaxQuantity * 1000.0) continue;
        const std::vector<GwaSample>& s = files[i].samples;
        const GwaSample* at = &s.front();
        for (size_t j = 1; j < s.size() && s[j].t < out.start_s + kGwaStepS; ++j)
            if (s[j].v[kCpuUse] > at->v[kCpuUse]) at = &s[j];
        errors.add(dir + "/" + (*names)[i], at->line, kGwaNames[kCpuUse],
                   std::to_string(out.vms[i].cores) + " cores x the first 300 s's usage " +
                       format_double("%.17g", out.vms[i].cpu[0]) + " is " +
                       format_scaled(milli, 1000) +
                       " cores, the VM's cpu (--vms auto), above vms.csv's bound (at most 1e9)");
        if (errors.full()) break;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return out;
}

std::string gwa_trace_csv(const GwaTrace& trace) {
    std::vector<std::string> parts(trace.vms.size());
    tbb::parallel_for(size_t{0}, trace.vms.size(), [&](size_t i) {
        const GwaVm& vm = trace.vms[i];
        std::string& s = parts[i];
        const std::string id = "," + csv_field(vm.id) + ",";
        for (int32_t k = 0; k < trace.buckets; ++k) {
            const auto b = static_cast<size_t>(k);
            s += std::to_string(trace.start_s + k * kGwaStepS) + id + fraction_text(vm.cpu[b]) +
                 "," + fraction_text(vm.mem[b]) + "," + fraction_text(vm.net[b]) + "\n";
        }
    });
    std::string out = "time,vm,cpu,mem,net\n";
    for (const std::string& p : parts) out += p;
    return out;
}

std::string gwa_vms_csv(const GwaTrace& trace) {
    std::string out = "id,host,cpu,mem,net,cpu_alloc\n";
    for (const GwaVm& vm : trace.vms) {
        const int64_t milli = first_cpu_millicores(vm);
        const auto kib = static_cast<int64_t>(std::ceil(vm.mem_kb));
        out += csv_field(vm.id) + ",," + format_scaled(milli, 1000) + "," +
               format_scaled(kib, 1024) + "," + std::to_string(vm.net_mbps) + "," +
               std::to_string(vm.cores) + "\n";
    }
    return out;
}

Result<std::string> planetlab_trace_csv(const std::string& dir_in) {
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    if (!std::filesystem::is_directory(dir, ec))
        return bad_input(dir + ": not a directory of PlanetLab trace files");
    auto names = planetlab_names(dir);
    if (!names) return tl::unexpected(names.error());
    if (names->empty()) return bad_input(dir + ": no trace files");
    ErrorList errors;
    std::vector<std::vector<int>> series;
    for (const std::string& name : *names) {
        const std::string file = dir + "/" + name;
        if (auto fault = id_fault(name)) {
            errors.add(file, 1, "name", "the VM id: " + *fault);
            continue;
        }
        auto pct = read_planetlab_file(file, errors);
        if (!pct) return tl::unexpected(pct.error());
        if (*pct) series.push_back(std::move(**pct));
        if (errors.full()) break;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    size_t longest = 0;
    for (const auto& s : series) longest = std::max(longest, s.size());
    std::string out = "time,vm,cpu\n";
    for (size_t v = 0; v < series.size(); ++v) {
        const std::string id = "," + csv_field((*names)[v]) + ",";
        const size_t pad = longest - series[v].size();
        for (size_t i = 0; i < series[v].size(); ++i)
            out += std::to_string(static_cast<int64_t>(pad + i) * kGwaStepS) + id +
                   format_scaled(series[v][i], 100) + "\n";
    }
    return out;
}

}  // namespace fp::io
