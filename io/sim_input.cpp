#include "io/sim_input.hpp"

#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <map>
#include <tuple>

#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/history.hpp"
#include "io/huge_pages.hpp"
#include "io/record_split.hpp"
#include "io/trace_formats.hpp"
#include "src/model/history.hpp"
#include "src/util/assert.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {

Result<sim::PlanetLabDay> read_planetlab_day(const std::string& dir_in,
                                             const std::optional<std::string>& order_file) {
    namespace fs = std::filesystem;
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return bad_input(dir + ": not a directory of trace files");
    sim::PlanetLabDay day;
    ErrorList errors;
    if (order_file) {
        auto text = read_file(*order_file);
        if (!text) return tl::unexpected(text.error());
        size_t start = 0;
        int64_t line = 0;
        std::map<std::string, int64_t> first_line;  // name -> the line that first lists it
        while (start < text->size()) {
            size_t end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            ++line;
            std::string name = text->substr(start, end - start);
            start = end + 1;
            if (!name.empty() && name.back() == '\r') name.pop_back();
            if (name.empty()) continue;
            if (auto fault = id_fault(name)) {  // the name becomes the VM's id
                errors.add(*order_file, line, "name", *fault);
                continue;
            }
            if (name.find('/') != std::string::npos || name == "." || name == "..") {
                errors.add(*order_file, line, "name", "not a file name: " + in_quotes(name));
                continue;
            }
            if (auto [it, added] = first_line.emplace(name, line); !added) {
                errors.add(*order_file, line, "name",
                           in_quotes(name) + " is listed twice (first on line " +
                               std::to_string(it->second) + ")");
                continue;
            }
            day.names.push_back(name);
        }
        if (day.names.empty()) errors.add(*order_file, 1, "name", "no trace file names");
    } else {
        fs::directory_iterator it(dir, ec);
        if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const std::string name = it->path().filename().string();
            if (name.empty() || name[0] == '.') continue;
            std::error_code sec;
            if (!fs::is_regular_file(it->status(sec)) || sec) continue;
            if (auto fault = id_fault(name))  // the name becomes the VM's id
                return bad_input(dir + "/" + printable(name) + ": trace file name: " + *fault);
            day.names.push_back(name);
        }
        if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
        std::sort(day.names.begin(), day.names.end());
        if (day.names.empty()) return bad_input(dir + ": no trace files");
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    for (const std::string& name : day.names) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        const std::string file = dir + "/" + name;
        auto pct = read_planetlab_file(file, errors);
        if (!pct) return tl::unexpected(pct.error());
        if (!*pct) continue;
        if (static_cast<int32_t>((*pct)->size()) < sim::kPlanetLabSamples) {
            errors.add(file, static_cast<int64_t>((*pct)->size()) + 1, "cpu",
                       "expected " + std::to_string(sim::kPlanetLabSamples) + " samples, found " +
                           std::to_string((*pct)->size()));
            continue;
        }
        (*pct)->resize(sim::kPlanetLabSamples);
        day.pct.push_back(std::move(**pct));
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return day;
}

namespace {

// ---- The trace CSV, read in parallel into flat arrays ----
// load_history_with_warnings holds every field of the file as a string and every sample in a
// vector per VM: 15 GB and a quarter of an hour for a day of 200,000 VMs. This reader scans
// record-aligned ranges in parallel (CsvScanner, plain decimals without the general parser),
// keeps a VM index, a time and a CPU fraction per row, and gathers them per VM in flat arrays.
// Its results and messages are the history reader's: a file that is not plain RFC 4180 goes
// through that reader whole (its messages name every CSV fault), the header is checked by it,
// and so is each faulty row (its messages, moved to the row's line); the checks across rows
// (duplicate times, the expansion bounds) are the same checks, written here for flat arrays.

// Gap filling's bound on the whole file, as io/history.cpp's: kFillFactor × the samples given
// + kFillSlack.
constexpr int64_t kFillFactor = 16;
constexpr int64_t kFillSlack = 1000000;
constexpr double kMaxTimeS = 1e15;     // io/history.cpp's bound on a time
constexpr double kMaxFraction = 10.0;  // and on a value

struct TraceColumns {
    size_t width = 0;
    int time = -1, vm = -1, cpu = -1, mem = -1, net = -1;
};

// A row with a fault; its messages come from the history reader.
struct BadTraceRow {
    int64_t line = 0;
    int64_t ordinal = 0;  // the row's index in its range
    std::vector<std::string> fields;
};

// The samples of one record-aligned range, in file order.
struct TraceRange {
    std::vector<int32_t> vm;
    std::vector<int64_t> time_s;
    std::vector<float> cpu;
    std::vector<float> mem;  // NaN: no memory sample (kept only when the trace has `mem`)
    int64_t rows = 0;
    std::vector<BadTraceRow> bad;  // the first ErrorList::kMaxErrors rows with a fault
    bool unclean = false;          // a record not plain RFC 4180, or of another width
};

// A time in whole seconds, as the history reader accepts it; nullopt when it refuses it.
std::optional<int64_t> trace_time(std::string_view text) {
    PlainDecimal p;
    if (parse_plain_decimal(text, kMaxTimeS, p)) {
        const int64_t down = p.scaled(1, Rounding::kDown);
        if (down != p.scaled(1, Rounding::kUp)) return std::nullopt;
        return down;
    }
    Decimal d;
    if (parse_decimal(text, kMaxTimeS, d) != DecimalStatus::kOk) return std::nullopt;
    const int64_t down = scale_decimal(d, 1, Rounding::kDown);
    if (down != scale_decimal(d, 1, Rounding::kUp)) return std::nullopt;
    return down;
}

enum class Fraction { kValue, kEmpty, kBad };
// A fraction in [0, 10] as the history reader reads it (the same float).
Fraction trace_fraction(std::string_view text, float& out) {
    PlainDecimal p;
    if (parse_plain_decimal(text, kMaxFraction, p)) {
        out = static_cast<float>(p.value);
        return Fraction::kValue;
    }
    Decimal d;
    const DecimalStatus st = parse_decimal(text, kMaxFraction, d);
    if (st == DecimalStatus::kEmpty) return Fraction::kEmpty;
    if (st != DecimalStatus::kOk) return Fraction::kBad;
    out = static_cast<float>(d.value);
    return Fraction::kValue;
}

// The fleet's VM ids side by side (a row's id is compared with the expected VM's without
// touching the VM table).
struct IdPool {
    std::string bytes;
    std::vector<size_t> start;  // VM v's id is bytes[start[v], start[v + 1])
    explicit IdPool(const model::Fleet& fleet) {
        start.reserve(fleet.vms.size() + 1);
        start.push_back(0);
        for (const model::Vm& vm : fleet.vms) {
            bytes += vm.id;
            start.push_back(bytes.size());
        }
    }
    std::string_view at(int32_t v) const {
        const auto i = static_cast<size_t>(v);
        return std::string_view(bytes).substr(start[i], start[i + 1] - start[i]);
    }
};

// Reads one range. Without columns (the header is refused) it only checks the CSV syntax.
TraceRange read_trace_range(std::string_view text, const CsvChunk& range, size_t width,
                            const TraceColumns* col, const model::Fleet& fleet, const IdPool& ids) {
    TraceRange r;
    if (col) {
        const size_t guess = (range.end - range.begin) / 16 + 16;  // rows are rarely shorter
        r.vm.reserve(guess);
        r.time_s.reserve(guess);
        r.cpu.reserve(guess);
    }
    const auto nv = static_cast<int32_t>(ids.start.size()) - 1;
    int32_t next = 0;  // the VM after the last row's
    CsvScanner sc(text, range);
    for (;;) {
        const CsvScanner::Status st = sc.next();
        if (st == CsvScanner::kEnd) break;
        const auto& f = sc.fields();
        if (st == CsvScanner::kUnclean || f.size() != width) {
            r.unclean = true;
            break;
        }
        const int64_t ordinal = r.rows++;
        if (!col || r.bad.size() > ErrorList::kMaxErrors) continue;  // syntax checks only
        const std::string_view id = f[static_cast<size_t>(col->vm)];
        // Traces list VMs in fleet order, or a VM's samples together: the row's VM is most
        // often the next one or the same as the last row's (ids are unique: an equal id is it).
        int32_t vm = -1;  // none or unknown
        if (next < nv && ids.at(next) == id)
            vm = next;
        else if (next > 0 && ids.at(next - 1) == id)
            vm = next - 1;
        else if (!id.empty())
            vm = fleet.vm_index(id).value_or(-1);
        if (vm >= 0) next = vm + 1;
        const std::optional<int64_t> t = trace_time(f[static_cast<size_t>(col->time)]);
        float cpu = 0, mem = std::numeric_limits<float>::quiet_NaN(), unused = 0;
        bool ok = vm >= 0 && t &&
                  trace_fraction(f[static_cast<size_t>(col->cpu)], cpu) == Fraction::kValue;
        if (ok && col->mem >= 0) {
            const Fraction m = trace_fraction(f[static_cast<size_t>(col->mem)], mem);
            if (m == Fraction::kBad) ok = false;
            if (m == Fraction::kEmpty) mem = std::numeric_limits<float>::quiet_NaN();
        }
        if (ok && col->net >= 0 &&
            trace_fraction(f[static_cast<size_t>(col->net)], unused) == Fraction::kBad)
            ok = false;
        if (!ok) {
            r.bad.push_back(BadTraceRow{sc.line(), ordinal, {f.begin(), f.end()}});
            continue;
        }
        if (!r.bad.empty()) continue;  // the file is refused: its samples are not needed
        r.vm.push_back(vm);
        r.time_s.push_back(*t);
        r.cpu.push_back(cpu);
        if (col->mem >= 0) r.mem.push_back(mem);
    }
    return r;
}

// The history reader's messages for one faulty row: the header and the row alone through it,
// the messages moved from the row's line there to its line in the file.
std::vector<std::string> bad_row_messages(const std::string& header_text, int64_t row_line,
                                          const BadTraceRow& row, const std::string& file,
                                          const model::Fleet& fleet) {
    std::string text = header_text;
    for (size_t i = 0; i < row.fields.size(); ++i)
        text += (i ? "," : "") + csv_field(row.fields[i]);
    text += "\n";
    auto r = parse_history_csv(text, file, fleet);
    FP_ASSERT(!r.has_value());  // the fast checks refuse only what the history reader refuses
    const std::string there = file + ":" + std::to_string(row_line) + ":";
    const std::string here = file + ":" + std::to_string(row.line) + ":";
    std::vector<std::string> out;
    size_t start = 0;
    const std::string& msg = r.error().msg;
    while (start <= msg.size()) {
        size_t end = msg.find('\n', start);
        if (end == std::string::npos) end = msg.size();
        std::string m = msg.substr(start, end - start);
        if (m.rfind(there, 0) == 0) m = here + m.substr(there.size());
        out.push_back(std::move(m));
        start = end + 1;
    }
    return out;
}

// The row faults of all ranges as the history reader lists them: rows in file order, at most
// ErrorList::kMaxErrors messages, then "(further errors not shown)" when it stopped with a row
// (with or without a fault) left unchecked or a message left out.
Error row_errors(const std::vector<TraceRange>& parts, const std::string& header_text,
                 int64_t row_line, const std::string& file, const model::Fleet& fleet) {
    std::string msg;
    size_t count = 0;
    bool dropped = false;
    for (size_t k = 0; k < parts.size(); ++k) {
        for (const BadTraceRow& row : parts[k].bad) {
            for (const std::string& m : bad_row_messages(header_text, row_line, row, file, fleet)) {
                if (count == ErrorList::kMaxErrors) {
                    dropped = true;
                    continue;
                }
                msg += (count++ ? "\n" : "") + m;
            }
            if (count < ErrorList::kMaxErrors) continue;
            bool after = row.ordinal + 1 < parts[k].rows;
            for (size_t j = k + 1; j < parts.size() && !after; ++j) after = parts[j].rows > 0;
            if (dropped || after) msg += "\n(further errors not shown)";
            return Error{ErrorCode::kBadInput, msg, {}};
        }
    }
    return Error{ErrorCode::kBadInput, msg, {}};
}

}  // namespace

namespace {

// The trace of the history reader's result, flat.
TraceCpu flat_cpu(HistoryLoad h) {
    TraceCpu out;
    out.interval_s = h.history.interval_s;
    out.length = h.history.length;
    out.warnings = std::move(h.warnings);
    out.begin.assign(h.history.cpu.size() + 1, 0);
    for (size_t v = 0; v < h.history.cpu.size(); ++v)
        out.begin[v + 1] = out.begin[v] + static_cast<int64_t>(h.history.cpu[v].size());
    out.values.reserve(static_cast<size_t>(out.begin.back()));
    for (auto& series : h.history.cpu) {
        out.values.insert(out.values.end(), series.begin(), series.end());
        std::vector<float>().swap(series);
    }
    // Memory series end where the CPU series do (both are aligned at "now").
    const bool any_mem = std::any_of(h.history.mem.begin(), h.history.mem.end(),
                                     [](const std::vector<float>& m) { return !m.empty(); });
    if (any_mem) {
        out.mem.assign(out.values.size(), std::numeric_limits<float>::quiet_NaN());
        for (size_t v = 0; v < h.history.mem.size() && v + 1 < out.begin.size(); ++v) {
            const auto& m = h.history.mem[v];
            const auto n = static_cast<size_t>(out.begin[v + 1] - out.begin[v]);
            const size_t k = std::min(n, m.size());
            std::copy(m.end() - static_cast<std::ptrdiff_t>(k), m.end(),
                      out.mem.begin() + out.begin[v + 1] - static_cast<std::ptrdiff_t>(k));
        }
    }
    return out;
}

// Per (VM, time) asked for (sorted, unique), the lines of its rows in file order: a second
// scan of the file, for the messages of the checks across rows (the first scan keeps no lines).
Result<std::vector<std::vector<int64_t>>> lines_of(
    const std::string& path, size_t body, int64_t body_line, const TraceColumns& col,
    const model::Fleet& fleet, const std::vector<std::pair<int32_t, int64_t>>& keys) {
    auto bytes = read_file(path);
    if (!bytes) return tl::unexpected(bytes.error());
    const std::string_view text(bytes->data(), bytes->size());
    std::vector<std::vector<int64_t>> lines(keys.size());
    CsvScanner sc(text, CsvChunk{body, text.size(), body_line});
    while (sc.next() == CsvScanner::kRecord) {
        const auto& f = sc.fields();
        if (f.size() != col.width) break;  // the file changed since: lines stay unknown (0)
        const auto vm = fleet.vm_index(f[static_cast<size_t>(col.vm)]);
        const auto t = trace_time(f[static_cast<size_t>(col.time)]);
        if (!vm || !t) continue;
        const auto key = std::make_pair(*vm, *t);
        const auto it = std::lower_bound(keys.begin(), keys.end(), key);
        if (it != keys.end() && *it == key)
            lines[static_cast<size_t>(it - keys.begin())].push_back(sc.line());
    }
    return lines;
}

int64_t line_at(const std::vector<std::vector<int64_t>>& lines, size_t key, size_t i) {
    return i < lines[key].size() ? lines[key][i] : 0;
}

}  // namespace

Result<TraceCpu> read_trace_cpu(const std::string& path, const model::Fleet& fleet,
                                int64_t max_series_length) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        auto h = load_history_with_warnings(path, fleet, max_series_length);
        if (!h) return tl::unexpected(h.error());
        return flat_cpu(std::move(*h));
    }
    auto bytes = read_file(path);
    if (!bytes) return tl::unexpected(bytes.error());
    return read_trace_cpu_text(std::move(*bytes), path, fleet, max_series_length);
}

Result<TraceCpu> read_trace_cpu_text(std::string csv, const std::string& path,
                                     const model::Fleet& fleet, int64_t max_series_length) {
    std::optional<std::string> bytes(std::move(csv));
    const std::string_view text(bytes->data(), bytes->size());
    // The history reader on the whole file: for a file that is not plain RFC 4180.
    const auto whole = [&]() -> Result<TraceCpu> {
        auto h = parse_history_csv(text, path, fleet, max_series_length);
        if (!h) return tl::unexpected(h.error());
        return flat_cpu(std::move(*h));
    };
    const size_t start = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    CsvScanner head(text, CsvChunk{start, text.size(), 1});
    if (head.next() != CsvScanner::kRecord) return whole();
    TraceColumns col;
    col.width = head.fields().size();
    for (size_t i = 0; i < col.width; ++i) {
        const std::string_view name = trim_blanks(head.fields()[i]);
        for (auto [n, at] :
             {std::pair{"time", &col.time}, std::pair{"vm", &col.vm}, std::pair{"cpu", &col.cpu},
              std::pair{"mem", &col.mem}, std::pair{"net", &col.net}})
            if (name == n && *at < 0) *at = static_cast<int>(i);
    }
    const size_t body = head.position();
    int64_t body_line = 1;
    for (size_t i = 0; i < body; ++i) body_line += text[i] == '\n';
    const std::string header_text(text.substr(0, body));
    // The header alone through the history reader: its column checks and warnings.
    auto header = parse_history_csv(header_text, path, fleet, max_series_length);

    (void)fleet.vm_index("");  // builds the VM map once, before the parallel lookups
    const IdPool ids(fleet);
    const std::vector<CsvChunk> ranges =
        split_records(text, body, body_line, std::max<size_t>(1, (text.size() - body) >> 20));
    std::vector<TraceRange> parts(ranges.size());
    tbb::parallel_for(size_t{0}, ranges.size(), [&](size_t k) {
        parts[k] =
            read_trace_range(text, ranges[k], col.width, header ? &col : nullptr, fleet, ids);
    });
    if (std::any_of(parts.begin(), parts.end(), [](const TraceRange& p) { return p.unclean; }))
        return whole();  // CSV faults come first, and the history reader names every one
    if (!header) return tl::unexpected(header.error());
    if (std::any_of(parts.begin(), parts.end(), [](const TraceRange& p) { return !p.bad.empty(); }))
        return tl::unexpected(row_errors(parts, header_text, body_line, path, fleet));
    std::string().swap(*bytes);

    // Samples per VM, in file order (so a stable sort by time orders them by (time, line)).
    const size_t nv = fleet.vms.size();
    std::vector<int64_t> begin(nv + 1, 0);
    for (const TraceRange& p : parts)
        for (int32_t v : p.vm) ++begin[static_cast<size_t>(v) + 1];
    for (size_t v = 0; v < nv; ++v) begin[v + 1] += begin[v];
    const int64_t given = begin[nv];
    const bool has_mem = col.mem >= 0;
    std::vector<int64_t> time_s;
    std::vector<float> cpu, mem;
    reserve_huge(time_s, static_cast<size_t>(given));
    reserve_huge(cpu, static_cast<size_t>(given));
    time_s.resize(static_cast<size_t>(given));
    cpu.resize(static_cast<size_t>(given));
    if (has_mem) mem.resize(static_cast<size_t>(given));
    {
        std::vector<int64_t> at(begin.begin(), begin.end() - 1);
        for (TraceRange& p : parts) {
            for (size_t i = 0; i < p.vm.size(); ++i) {
                const auto pos = static_cast<size_t>(at[static_cast<size_t>(p.vm[i])]++);
                time_s[pos] = p.time_s[i];
                cpu[pos] = p.cpu[i];
                if (has_mem) mem[pos] = p.mem[i];
            }
            p = TraceRange{};
        }
    }
    // Each VM's samples by time; the smallest positive step over all VMs; duplicates.
    struct Steps {
        int64_t min_step = 0;  // 0: no VM has two samples at different times
        bool duplicate = false;
    };
    const auto join = [](Steps a, const Steps& b) {
        if (b.min_step > 0 && (a.min_step == 0 || b.min_step < a.min_step)) a.min_step = b.min_step;
        a.duplicate = a.duplicate || b.duplicate;
        return a;
    };
    const Steps steps = tbb::parallel_reduce(
        tbb::blocked_range<size_t>(0, nv), Steps{},
        [&](const tbb::blocked_range<size_t>& r, Steps s) {
            std::vector<std::tuple<int64_t, float, float>> tmp;
            for (size_t v = r.begin(); v < r.end(); ++v) {
                const auto b = static_cast<size_t>(begin[v]), e = static_cast<size_t>(begin[v + 1]);
                if (!std::is_sorted(time_s.begin() + b, time_s.begin() + e)) {
                    tmp.clear();
                    for (size_t i = b; i < e; ++i)
                        tmp.emplace_back(time_s[i], cpu[i], has_mem ? mem[i] : 0.0f);
                    std::stable_sort(tmp.begin(), tmp.end(), [](const auto& x, const auto& y) {
                        return std::get<0>(x) < std::get<0>(y);
                    });
                    for (size_t i = b; i < e; ++i) {
                        float m = 0;
                        std::tie(time_s[i], cpu[i], m) = tmp[i - b];
                        if (has_mem) mem[i] = m;
                    }
                }
                for (size_t i = b + 1; i < e; ++i) {
                    const int64_t d = time_s[i] - time_s[i - 1];
                    if (d == 0)
                        s.duplicate = true;
                    else
                        s = join(s, Steps{d, false});
                }
            }
            return s;
        },
        join);
    ErrorList errors;
    if (steps.duplicate) {
        std::vector<std::pair<int32_t, int64_t>> keys;
        for (size_t v = 0; v < nv; ++v)
            for (auto i = begin[v] + 1; i < begin[v + 1]; ++i)
                if (time_s[i] == time_s[i - 1] &&
                    (keys.empty() || keys.back() != std::pair{static_cast<int32_t>(v), time_s[i]}))
                    keys.emplace_back(static_cast<int32_t>(v), time_s[i]);
        auto lines = lines_of(path, body, body_line, col, fleet, keys);
        if (!lines) return tl::unexpected(lines.error());
        std::vector<std::pair<int64_t, std::string>> duplicates;
        for (size_t k = 0; k < keys.size(); ++k)
            for (size_t i = 1; i < (*lines)[k].size(); ++i)
                duplicates.emplace_back(
                    (*lines)[k][i],
                    "duplicate sample for VM " +
                        in_quotes(fleet.vms[static_cast<size_t>(keys[k].first)].id) + " at time " +
                        std::to_string(keys[k].second) + " (first on line " +
                        std::to_string((*lines)[k][i - 1]) + ")");
        std::sort(duplicates.begin(), duplicates.end());
        for (const auto& [line, msg] : duplicates) {
            if (errors.full()) {
                errors.mark_truncated();
                break;
            }
            errors.add(path, line, "time", msg);
        }
        return tl::unexpected(errors.to_error());
    }
    const int64_t interval = steps.min_step > 0 ? steps.min_step : 300;

    // Slots per VM (the nearest back from its last sample), bounded as the history reader does.
    std::vector<int64_t> out_begin(nv + 1, 0);
    std::vector<size_t> widest_of;  // per refused VM: the sample after its widest gap
    std::vector<size_t> refused;
    for (size_t v = 0; v < nv; ++v) {
        const auto b = begin[v], e = begin[v + 1];
        int64_t len = 0;
        if (e > b) {
            const int64_t span = time_s[e - 1] - time_s[b];
            len = (span + interval / 2) / interval + 1;
            if (len > max_series_length) {
                auto widest = e - b > 1 ? b + 1 : b;
                for (auto i = b + 2; i < e; ++i)
                    if (time_s[i] - time_s[i - 1] > time_s[widest] - time_s[widest - 1]) widest = i;
                refused.push_back(v);
                widest_of.push_back(static_cast<size_t>(widest));
                if (refused.size() == ErrorList::kMaxErrors) break;
                len = 0;
            }
        }
        out_begin[v + 1] = out_begin[v] + len;
    }
    if (!refused.empty()) {
        std::vector<std::pair<int32_t, int64_t>> keys;
        for (size_t r = 0; r < refused.size(); ++r) {
            const size_t w = widest_of[r];
            keys.emplace_back(static_cast<int32_t>(refused[r]), time_s[w]);
            if (static_cast<int64_t>(w) > begin[refused[r]])
                keys.emplace_back(static_cast<int32_t>(refused[r]), time_s[w - 1]);
        }
        std::sort(keys.begin(), keys.end());
        auto lines = lines_of(path, body, body_line, col, fleet, keys);
        if (!lines) return tl::unexpected(lines.error());
        const auto line_of = [&](size_t v, size_t i) {
            const auto key = std::make_pair(static_cast<int32_t>(v), time_s[i]);
            return line_at(
                *lines,
                static_cast<size_t>(std::lower_bound(keys.begin(), keys.end(), key) - keys.begin()),
                0);
        };
        for (size_t r = 0; r < refused.size(); ++r) {
            const size_t v = refused[r], w = widest_of[r];
            const auto b = static_cast<size_t>(begin[v]), e = static_cast<size_t>(begin[v + 1]);
            const int64_t span = time_s[e - 1] - time_s[b];
            const int64_t len = (span + interval / 2) / interval + 1;
            const int64_t gap = w > b ? time_s[w] - time_s[w - 1] : 0;
            errors.add(path, line_of(v, w), "time",
                       "VM " + in_quotes(fleet.vms[v].id) + ": " + std::to_string(gap) +
                           " s after its previous sample (line " +
                           std::to_string(line_of(v, w > b ? w - 1 : b)) + "); its series spans " +
                           std::to_string(span) + " s, " + std::to_string(len) +
                           " samples at the " + std::to_string(interval) + " s interval (at most " +
                           std::to_string(max_series_length) + ")");
        }
        return tl::unexpected(errors.to_error());
    }
    const int64_t total = out_begin[nv];
    if (total > kFillFactor * given + kFillSlack) {
        errors.add(path, 1, "time",
                   "filling gaps at the " + std::to_string(interval) + " s interval would make " +
                       std::to_string(total) + " samples from the " + std::to_string(given) +
                       " given (times too far apart for the smallest interval)");
        return tl::unexpected(errors.to_error());
    }

    // Each VM's series: a sample in the nearest slot back from its last (a later one wins a
    // slot), a slot without one carries the previous value forward.
    TraceCpu out;
    out.interval_s = interval;
    out.warnings = std::move(header->warnings);
    reserve_huge(out.values, static_cast<size_t>(total));
    out.values.resize(static_cast<size_t>(total));
    if (has_mem) {
        reserve_huge(out.mem, static_cast<size_t>(total));
        out.mem.resize(static_cast<size_t>(total));
    }
    tbb::parallel_for(tbb::blocked_range<size_t>(0, nv), [&](const tbb::blocked_range<size_t>& r) {
        for (size_t v = r.begin(); v < r.end(); ++v) {
            const auto b = static_cast<size_t>(begin[v]), e = static_cast<size_t>(begin[v + 1]);
            if (b == e) continue;
            const int64_t len = out_begin[v + 1] - out_begin[v];
            const int64_t last = time_s[e - 1];
            const auto slot_of = [&](size_t i) {
                return len - 1 - (last - time_s[i] + interval / 2) / interval;
            };
            float* slot = out.values.data() + out_begin[v];
            std::fill(slot, slot + len, std::numeric_limits<float>::quiet_NaN());
            for (size_t i = b; i < e; ++i) slot[slot_of(i)] = cpu[i];
            for (int64_t i = 1; i < len; ++i)
                if (std::isnan(slot[i])) slot[i] = slot[i - 1];
            if (!has_mem) continue;
            // Memory: an empty field is no sample; NaN stays before the VM's first one.
            float* ms = out.mem.data() + out_begin[v];
            std::fill(ms, ms + len, std::numeric_limits<float>::quiet_NaN());
            for (size_t i = b; i < e; ++i)
                if (!std::isnan(mem[i])) ms[slot_of(i)] = mem[i];
            for (int64_t i = 1; i < len; ++i)
                if (std::isnan(ms[i])) ms[i] = ms[i - 1];
        }
    });
    for (size_t v = 0; v < nv; ++v)
        out.length = std::max(out.length, static_cast<int32_t>(out_begin[v + 1] - out_begin[v]));
    out.begin = std::move(out_begin);
    return out;
}

Result<FleetSim> fleet_scenario(const std::string& hosts_csv, const std::string& vms_csv,
                                const std::string& trace, TraceFormat format, const SimConfig& cfg,
                                uint64_t seed) {
    FleetSim out;
    std::error_code ec;
    const bool dir = std::filesystem::is_directory(trace, ec);
    if (format == TraceFormat::kCsv && dir)
        return bad_input(trace + ": a directory, not a trace CSV (--trace-format csv)");
    if (format == TraceFormat::kPlanetLab && !dir)
        return bad_input(trace + ": not a directory of PlanetLab files (--trace-format planetlab)");
    if (vms_csv == kVmsAuto && format != TraceFormat::kGwa)
        return bad_input(
            "--vms auto builds the VMs from a trace that gives their sizes: it needs "
            "--trace-format gwa");
    auto ht = read_file(hosts_csv);
    if (!ht) return tl::unexpected(ht.error());
    // A GWA directory becomes the interchange CSV's text (what convert-trace writes), read below
    // by the CSV reader: the same trace either way.
    std::optional<GwaTrace> gwa;
    if (format == TraceFormat::kGwa) {
        auto g = read_gwa_trace(trace, kMaxSimTraceSamples, kMaxSimTraceCells);
        if (!g) return tl::unexpected(g.error());
        gwa = std::move(*g);
    }
    const bool auto_vms = vms_csv == kVmsAuto;
    const std::string vms_name = auto_vms ? trace + " (--vms auto)" : vms_csv;
    Result<std::string> vt = auto_vms ? Result<std::string>(gwa_vms_csv(*gwa)) : read_file(vms_csv);
    if (!vt) return tl::unexpected(vt.error());
    auto load = parse_fleet(*ht, hosts_csv, *vt, vms_name);
    if (!load) return tl::unexpected(load.error());
    out.fleet = std::move(load->fleet);
    out.warnings = std::move(load->warnings);
    if (gwa) out.warnings.insert(out.warnings.begin(), gwa->warnings.begin(), gwa->warnings.end());
    out.hosts_text = std::move(*ht);
    out.vms_text = std::move(*vt);
    out.fleet.index();
    // Without a VM there is no trace and so no time axis: nothing to simulate (as for a preset's
    // empty trace directory). `plan` accepts such a fleet: an empty plan is a valid answer.
    if (out.fleet.vms.empty())
        return bad_input(vms_name + ": no VMs to simulate (the VMs' trace gives the time axis)");
    // Every VM's series is padded to the longest: the cells bound caps each series too.
    const int64_t max_len = std::min<int64_t>(
        kMaxSimTraceSamples, kMaxSimTraceCells / static_cast<int64_t>(out.fleet.vms.size()));
    Result<TraceCpu> hist;
    if (gwa) {
        // Checked here, naming the GWA files: the CSV reader would name lines of its text.
        for (const GwaVm& vm : gwa->vms)
            if (!out.fleet.vm_index(vm.id))
                return bad_input(trace + ": VM " + in_quotes(vm.id) + " (a trace file) is not in " +
                                 vms_name);
        if (gwa->buckets > max_len)
            return bad_input(
                trace + ": " + std::to_string(gwa->buckets) + " buckets of 300 s per VM; with " +
                std::to_string(out.fleet.vms.size()) + " VMs at most " + std::to_string(max_len));
        hist = read_trace_cpu_text(gwa_trace_csv(*gwa), trace, out.fleet, max_len);
    } else {
        hist = read_trace_cpu(trace, out.fleet, max_len);
    }
    if (!hist) return tl::unexpected(hist.error());
    for (auto& w : hist->warnings) out.warnings.push_back(std::move(w));
    const TraceCpu& h = *hist;
    if (h.length < 2)
        return bad_input(trace + ": the trace needs at least 2 samples per VM to simulate");
    const model::Fleet& f = out.fleet;
    sim::Scenario& sc = out.scenario;
    sc.name = "fleet";
    sc.trace_step_s = h.interval_s;
    sc.interval_s = cfg.interval_s > 0 ? cfg.interval_s : h.interval_s;
    const int64_t duration = (h.length - 1) * h.interval_s;
    if (duration / sc.interval_s > kMaxSimTraceSamples)
        return bad_input(trace + ": the trace spans " + std::to_string(duration) + " s: " +
                         std::to_string(duration / sc.interval_s) + " decision intervals of " +
                         std::to_string(sc.interval_s) + " s (at most " +
                         std::to_string(kMaxSimTraceSamples) + "; give a longer [sim] interval_s)");
    sc.intervals = static_cast<int32_t>(duration / sc.interval_s);
    if (sc.intervals < 1)
        return bad_input(trace + ": the trace spans " + std::to_string(duration) +
                         " s, less than one decision interval (" + std::to_string(sc.interval_s) +
                         " s)");
    // One host type per distinct (cores, memory, network, power).
    std::map<std::tuple<int64_t, int64_t, int64_t, double, double>, int32_t> type_of;
    for (const model::Host& host : f.hosts) {
        const int64_t milli = host.capacity[0];
        const double idle = host.power_idle_w.value_or(cfg.idle_power_w);
        const double max = host.power_max_w.value_or(std::max(idle, cfg.max_power_w));
        const auto key = std::make_tuple(milli, host.capacity[1], host.capacity[2], idle, max);
        auto [it, added] = type_of.emplace(key, static_cast<int32_t>(sc.types.size()));
        if (added) {
            sim::HostType t;
            t.pes = static_cast<int32_t>(std::max<int64_t>(1, (milli + 999) / 1000));
            t.pe_mips = static_cast<double>(milli) / t.pes;
            t.ram_mb = static_cast<double>(host.capacity[1]) / 1024.0;
            t.bw_mbps = static_cast<double>(host.capacity[2]) / 1000.0;
            t.power = sim::PowerModel::linear(idle, max);
            t.name = std::to_string(milli / 1000.0).substr(0, 6) + " cores, " +
                     std::to_string(static_cast<int64_t>(t.ram_mb)) + " MiB";
            sc.types.push_back(t);
        }
        sc.host_ids.push_back(host.id);
        sc.host_type.push_back(it->second);
        sc.host_accepts.push_back(host.state == model::HostState::kMaintenance ? 0 : 1);
    }
    const size_t len = static_cast<size_t>(h.length);
    for (size_t v = 0; v < f.vms.size(); ++v) {
        const model::Vm& vm = f.vms[v];
        const model::Resources size = model::history_size(vm);
        sc.vm_ids.push_back(vm.id);
        sc.vm_mips.push_back(static_cast<double>(size[0]));
        sc.vm_pes.push_back(static_cast<int32_t>(std::max<int64_t>(1, (size[0] + 999) / 1000)));
        sc.vm_ram_mb.push_back(static_cast<double>(vm.mem_size_kib) / 1024.0);
        sc.vm_bw_mbps.push_back(static_cast<double>(vm.demand[2]) / 1000.0);
        sc.vm_initial_host.push_back(vm.host);
    }
    // Each VM's series at full length: a shorter one repeats its first value before it begins;
    // a VM without a trace keeps its current demand.
    sc.trace.resize(f.vms.size());
    tbb::parallel_for(size_t{0}, f.vms.size(), [&](size_t v) {
        std::vector<double>& tr = sc.trace[v];
        tr.resize(len);
        const float* series = h.values.data() + h.begin[v];
        const auto n = static_cast<size_t>(h.begin[v + 1] - h.begin[v]);
        if (n == 0) {
            const model::Vm& vm = f.vms[v];
            const model::Resources size = model::history_size(vm);
            const double u = size[0] > 0 ? static_cast<double>(vm.demand[0]) / size[0] : 0.0;
            std::fill(tr.begin(), tr.end(), u);
        } else {
            const size_t pad = len - n;
            for (size_t i = 0; i < len; ++i) tr[i] = i < pad ? series[0] : series[i - pad];
        }
    });
    // Memory series likewise, from the VM's first memory sample (its value repeats before it).
    if (!h.mem.empty()) {
        sc.mem_trace.resize(f.vms.size());
        tbb::parallel_for(size_t{0}, f.vms.size(), [&](size_t v) {
            const float* series = h.mem.data() + h.begin[v];
            const auto n = static_cast<size_t>(h.begin[v + 1] - h.begin[v]);
            size_t first = 0;
            while (first < n && std::isnan(series[first])) ++first;
            if (first == n) return;  // no memory sample: the whole mem_size
            std::vector<double>& tr = sc.mem_trace[v];
            tr.resize(len);
            const size_t pad = len - n + first;
            for (size_t i = 0; i < len; ++i)
                tr[i] = i < pad ? series[first] : series[i - (len - n)];
        });
    }
    sc.memory = sim::MemoryModel::kReserved;
    sc.power_state = sim::PowerState::kHoldsVm;
    sc.incoming = sim::IncomingDemand::kShare;
    sc.boot_s = cfg.boot_s;
    sc.boot_energy_wh = cfg.boot_energy_wh;
    sc.degradation = cfg.degradation;
    sc.migration_bw_share = cfg.migration_bw_share;
    sc.seed = seed;
    return out;
}

}  // namespace fp::io
