#include "io/history.hpp"

#include <algorithm>
#include <array>
#include <filesystem>
#include <map>
#include <optional>
#include <system_error>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

constexpr int64_t kPlanetLabIntervalS = 300;
constexpr double kMaxFraction = 10.0;  // a sane upper bound for a value relative to the VM's size
constexpr double kMaxTimeS = 1e15;
// Gap filling may not blow a small file up without bound: at most max_series_length samples per
// series (kMaxHistorySeriesLength by default), and in all at most kFillFactor × the samples
// given (+ kFillSlack).
constexpr int64_t kFillFactor = 16;
constexpr int64_t kFillSlack = 1000000;

std::string trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
        s.remove_suffix(1);
    return std::string(s);
}

model::History empty_history(const model::Fleet& fleet) {
    model::History h;
    h.cpu.resize(fleet.vms.size());
    h.mem.resize(fleet.vms.size());
    h.net.resize(fleet.vms.size());
    return h;
}

void finish_length(model::History& h) {
    size_t longest = 0;
    for (const auto* series : {&h.cpu, &h.mem, &h.net})
        for (const auto& s : *series) longest = std::max(longest, s.size());
    h.length = static_cast<int32_t>(longest);
}

// ---- PlanetLab directory ----

// An integer percentage 0-100 (leading zeros allowed), or nullopt.
std::optional<int> percentage(std::string_view s) {
    if (s.empty()) return std::nullopt;
    int v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
        if (v > 100) return std::nullopt;
    }
    return v;
}

}  // namespace

Result<std::optional<std::vector<int>>> read_planetlab_file(const std::string& file,
                                                            ErrorList& errors) {
    auto text = read_file(file);
    if (!text) {
        if (text.error().code == ErrorCode::kEnvironment) return tl::unexpected(text.error());
        std::string why = text.error().msg;  // "FILE: cannot open: reason"
        if (why.rfind(file + ": ", 0) == 0) why.erase(0, file.size() + 2);
        errors.add(file, 1, "cpu", why);
        return std::optional<std::vector<int>>{};
    }
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text->size()) {
        size_t end = text->find('\n', start);
        if (end == std::string::npos) end = text->size();
        lines.push_back(trim(std::string_view(*text).substr(start, end - start)));
        start = end + 1;
    }
    while (!lines.empty() && lines.back().empty()) lines.pop_back();  // trailing blank lines
    if (lines.empty()) {
        errors.add(file, 1, "cpu", "empty file: expected one CPU percentage per line");
        return std::optional<std::vector<int>>{};
    }
    std::vector<int> out;
    out.reserve(lines.size());
    bool bad = false;
    for (size_t i = 0; i < lines.size(); ++i) {
        const auto pct = percentage(lines[i]);
        if (!pct) {
            bad = true;
            if (errors.full()) {
                errors.mark_truncated();
                break;
            }
            errors.add(file, static_cast<int64_t>(i + 1), "cpu",
                       "not an integer percentage 0-100: " + in_quotes(lines[i]));
            continue;
        }
        out.push_back(*pct);
    }
    if (bad) return std::optional<std::vector<int>>{};
    return std::optional<std::vector<int>>(std::move(out));
}

namespace {

Result<HistoryLoad> load_planetlab_dir(const std::string& path, const model::Fleet& fleet) {
    namespace fs = std::filesystem;
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
    std::vector<std::string> names;
    for (; it != fs::directory_iterator(); it.increment(ec)) {
        if (ec) break;
        const std::string name = it->path().filename().string();
        if (name.empty() || name[0] == '.') continue;  // hidden files
        std::error_code sec;
        if (!fs::is_regular_file(it->status(sec)) || sec) continue;  // subdirectories etc.
        names.push_back(name);
    }
    if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
    std::sort(names.begin(), names.end());  // byte order: errors come in a stable order

    HistoryLoad out;
    out.history = empty_history(fleet);
    out.history.interval_s = kPlanetLabIntervalS;
    ErrorList errors;
    for (const std::string& name : names) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        const std::string file = (dir == "/" ? "" : dir) + "/" + name;
        const auto vm = fleet.vm_index(name);
        if (!vm) {
            errors.add(file, 1, "cpu", "unknown VM " + in_quotes(name));
            continue;
        }
        auto pcts = read_planetlab_file(file, errors);
        if (!pcts) return tl::unexpected(pcts.error());
        if (!*pcts) continue;
        std::vector<float> series;
        series.reserve((*pcts)->size());
        for (int pct : **pcts) series.push_back(static_cast<float>(pct) / 100.0f);
        out.history.cpu[static_cast<size_t>(*vm)] = std::move(series);
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    finish_length(out.history);
    return out;
}

// ---- CSV ----

struct Sample {
    int64_t time_s = 0;
    int64_t line = 0;
    std::array<std::optional<float>, model::kDims> value;
};

// A time in whole seconds >= 0, or nullopt after recording the error.
std::optional<int64_t> parse_time(const std::string& file, int64_t line, std::string_view text,
                                  ErrorList& errors) {
    Decimal d;
    const DecimalStatus st = parse_decimal(text, kMaxTimeS, d);
    if (st == DecimalStatus::kEmpty) {
        errors.add(file, line, "time", "missing value");
        return std::nullopt;
    }
    if (st != DecimalStatus::kOk) {
        std::string what = describe(st);
        if (st == DecimalStatus::kOutOfRange) what += " (at most 1e15)";
        errors.add(file, line, "time", what + ": " + in_quotes(std::string(text)));
        return std::nullopt;
    }
    const int64_t down = scale_decimal(d, 1, Rounding::kDown);
    if (down != scale_decimal(d, 1, Rounding::kUp)) {
        errors.add(file, line, "time",
                   "not a whole number of seconds: " + in_quotes(std::string(text)));
        return std::nullopt;
    }
    return down;
}

// A fraction in [0, 10]; nullopt for an empty field (with `required` an error) or a bad value.
std::optional<float> parse_fraction(const std::string& file, int64_t line, const std::string& col,
                                    std::string_view text, bool required, ErrorList& errors) {
    Decimal d;
    const DecimalStatus st = parse_decimal(text, kMaxFraction, d);
    if (st == DecimalStatus::kEmpty) {
        if (required) errors.add(file, line, col, "missing value");
        return std::nullopt;
    }
    if (st != DecimalStatus::kOk) {
        std::string what = describe(st);
        if (st == DecimalStatus::kOutOfRange) what += " (at most 10)";
        errors.add(file, line, col, what + ": " + in_quotes(std::string(text)));
        return std::nullopt;
    }
    return static_cast<float>(d.value);
}

}  // namespace

Result<HistoryLoad> parse_history_csv(std::string_view text, const std::string& file,
                                      const model::Fleet& fleet, int64_t max_series_length) {
    auto table = parse_csv(text, file);
    if (!table) return tl::unexpected(table.error());
    HistoryLoad out;
    ErrorList errors;

    // Columns: time, vm, cpu required; mem, net optional; others ignored with a warning.
    std::map<std::string, size_t> index;
    std::vector<std::string> unknown;
    for (size_t i = 0; i < table->header.size(); ++i) {
        const std::string name = trim(table->header[i]);
        if (auto it = index.find(name); it != index.end()) {
            errors.add(file, 1, name.empty() ? "column " + std::to_string(i + 1) : name,
                       "duplicate column " + in_quotes(name) + " (also column " +
                           std::to_string(it->second + 1) + ")");
            continue;
        }
        index[name] = i;
        if (name != "time" && name != "vm" && name != "cpu" && name != "mem" && name != "net")
            unknown.push_back(name);
    }
    for (const char* req : {"time", "vm", "cpu"})
        if (!index.count(req))
            errors.add(file, 1, req, "missing required column " + in_quotes(std::string(req)));
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    if (!unknown.empty())
        out.warnings.push_back(file + ":1: ignoring unknown column(s): " + name_list(unknown));

    std::vector<std::vector<Sample>> per_vm(fleet.vms.size());
    int64_t given = 0;
    for (const CsvRow& row : table->rows) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        const auto field = [&](const char* col) -> std::optional<std::string_view> {
            auto it = index.find(col);
            if (it == index.end()) return std::nullopt;
            return std::string_view(row.fields[it->second]);
        };
        bool ok = true;
        Sample s;
        s.line = row.line;
        const std::string vm_id(*field("vm"));
        std::optional<int32_t> vm;
        if (vm_id.empty()) {
            errors.add(file, row.line, "vm", "missing value");
            ok = false;
        } else if (!(vm = fleet.vm_index(vm_id))) {
            errors.add(file, row.line, "vm", "unknown VM " + in_quotes(vm_id));
            ok = false;
        }
        const auto t = parse_time(file, row.line, *field("time"), errors);
        if (!t) ok = false;
        for (int d = 0; d < model::kDims; ++d) {
            const std::string col = model::kDimNames[static_cast<size_t>(d)];
            const auto text = field(col.c_str());
            if (!text) continue;
            auto v = parse_fraction(file, row.line, col, *text, d == model::kCpu, errors);
            if (!v && (d == model::kCpu || !trim(*text).empty())) ok = false;
            s.value[static_cast<size_t>(d)] = v;
        }
        if (!ok) continue;
        s.time_s = *t;
        per_vm[static_cast<size_t>(*vm)].push_back(s);
        ++given;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());

    // Sort each VM's samples by time; report duplicate times (in line order).
    std::vector<std::pair<int64_t, std::string>> duplicates;
    int64_t interval = 0;
    for (size_t v = 0; v < per_vm.size(); ++v) {
        auto& samples = per_vm[v];
        std::sort(samples.begin(), samples.end(), [](const Sample& a, const Sample& b) {
            return a.time_s != b.time_s ? a.time_s < b.time_s : a.line < b.line;
        });
        for (size_t i = 1; i < samples.size(); ++i) {
            const int64_t diff = samples[i].time_s - samples[i - 1].time_s;
            if (diff == 0) {
                duplicates.emplace_back(
                    samples[i].line, "duplicate sample for VM " + in_quotes(fleet.vms[v].id) +
                                         " at time " + std::to_string(samples[i].time_s) +
                                         " (first on line " + std::to_string(samples[i - 1].line) +
                                         ")");
            } else if (interval == 0 || diff < interval) {
                interval = diff;
            }
        }
    }
    if (!duplicates.empty()) {
        std::sort(duplicates.begin(), duplicates.end());
        for (const auto& [line, msg] : duplicates) {
            if (errors.full()) {
                errors.mark_truncated();
                break;
            }
            errors.add(file, line, "time", msg);
        }
        return tl::unexpected(errors.to_error());
    }
    if (interval == 0) interval = kPlanetLabIntervalS;

    // Slot counts per VM (nearest slot back from its last sample), bounded.
    std::vector<int64_t> lengths(per_vm.size(), 0);
    int64_t total = 0;
    for (size_t v = 0; v < per_vm.size(); ++v) {
        const auto& samples = per_vm[v];
        if (samples.empty()) continue;
        const int64_t span = samples.back().time_s - samples.front().time_s;
        const int64_t len = (span + interval / 2) / interval + 1;
        if (len > max_series_length) {
            size_t widest = samples.size() > 1 ? 1 : 0;  // the sample after the widest gap
            for (size_t i = 2; i < samples.size(); ++i)
                if (samples[i].time_s - samples[i - 1].time_s >
                    samples[widest].time_s - samples[widest - 1].time_s)
                    widest = i;
            const int64_t gap =
                widest > 0 ? samples[widest].time_s - samples[widest - 1].time_s : 0;
            errors.add(file, samples[widest].line, "time",
                       "VM " + in_quotes(fleet.vms[v].id) + ": " + std::to_string(gap) +
                           " s after its previous sample (line " +
                           std::to_string(samples[widest > 0 ? widest - 1 : 0].line) +
                           "); its series spans " + std::to_string(span) + " s, " +
                           std::to_string(len) + " samples at the " + std::to_string(interval) +
                           " s interval (at most " + std::to_string(max_series_length) + ")");
            if (errors.full()) break;
            continue;
        }
        lengths[v] = len;
        total += len;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    if (total > kFillFactor * given + kFillSlack) {
        errors.add(file, 1, "time",
                   "filling gaps at the " + std::to_string(interval) + " s interval would make " +
                       std::to_string(total) + " samples from the " + std::to_string(given) +
                       " given (times too far apart for the smallest interval)");
        return tl::unexpected(errors.to_error());
    }

    out.history = empty_history(fleet);
    out.history.interval_s = interval;
    std::array<std::vector<std::vector<float>>*, model::kDims> dest = {
        &out.history.cpu, &out.history.mem, &out.history.net};
    for (size_t v = 0; v < per_vm.size(); ++v) {
        const auto& samples = per_vm[v];
        if (samples.empty()) continue;
        const int64_t len = lengths[v];
        const int64_t last = samples.back().time_s;
        for (int d = 0; d < model::kDims; ++d) {
            const size_t di = static_cast<size_t>(d);
            std::vector<float> slot(static_cast<size_t>(len), 0.0f);
            std::vector<uint8_t> have(static_cast<size_t>(len), 0);
            int64_t first = len;
            for (const Sample& s : samples) {
                if (!s.value[di]) continue;
                const int64_t back = (last - s.time_s + interval / 2) / interval;
                const int64_t idx = len - 1 - back;
                slot[static_cast<size_t>(idx)] = *s.value[di];  // a later sample wins a slot
                have[static_cast<size_t>(idx)] = 1;
                first = std::min(first, idx);
            }
            if (first == len) continue;  // this dimension never given for the VM
            std::vector<float> series;
            series.reserve(static_cast<size_t>(len - first));
            for (int64_t i = first; i < len; ++i)
                series.push_back(have[static_cast<size_t>(i)] ? slot[static_cast<size_t>(i)]
                                                              : series.back());
            (*dest[di])[v] = std::move(series);
        }
    }
    finish_length(out.history);
    return out;
}

Result<HistoryLoad> load_history_with_warnings(const std::string& path, const model::Fleet& fleet,
                                               int64_t max_series_length) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) return load_planetlab_dir(path, fleet);
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    return parse_history_csv(*text, path, fleet, max_series_length);
}

Result<model::History> load_history(const std::string& path, const model::Fleet& fleet) {
    auto r = load_history_with_warnings(path, fleet);
    if (!r) return tl::unexpected(r.error());
    return std::move(r->history);
}

}  // namespace fp::io
