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

std::string trim(std::string_view s) { return std::string(trim_blanks(s)); }

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

std::string planetlab_dir(const std::string& path) {
    std::string dir = path;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
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

Result<std::vector<std::string>> planetlab_names(const std::string& path) {
    namespace fs = std::filesystem;
    const std::string dir = planetlab_dir(path);
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
    return names;
}

namespace {

enum class UnknownNames { kError, kSkip };

Result<HistoryLoad> load_planetlab_files(const std::string& dir,
                                         const std::vector<std::string>& names,
                                         const model::Fleet& fleet, UnknownNames unknown,
                                         int64_t& matched) {
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
            if (unknown == UnknownNames::kError)
                errors.add(file, 1, "cpu", "unknown VM " + in_quotes(name));
            continue;
        }
        ++matched;
        ++out.rows;
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

Result<HistoryLoad> load_planetlab_dir(const std::string& path, const model::Fleet& fleet) {
    auto names = planetlab_names(path);
    if (!names) return tl::unexpected(names.error());
    int64_t matched = 0;
    return load_planetlab_files(planetlab_dir(path), *names, fleet, UnknownNames::kError, matched);
}

// ---- CSV ----

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

HistoryColumns history_columns(const std::vector<std::string>& header, const std::string& file,
                               ErrorList& errors, std::vector<std::string>& warnings) {
    // Columns: time, vm, cpu required; mem, net optional; others ignored with a warning.
    std::map<std::string, size_t> index;
    std::vector<std::string> unknown;
    for (size_t i = 0; i < header.size(); ++i) {
        const std::string name = trim(header[i]);
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
    if (errors.empty() && !unknown.empty())
        warnings.push_back(file + ":1: ignoring unknown column(s): " + name_list(unknown));
    HistoryColumns c;
    auto at = [&](const std::string& name) {
        auto it = index.find(name);
        return it == index.end() ? -1 : static_cast<int>(it->second);
    };
    c.time = at("time");
    c.vm = at("vm");
    for (int d = 0; d < model::kDims; ++d)
        c.value[static_cast<size_t>(d)] = at(model::kDimNames[static_cast<size_t>(d)]);
    return c;
}

std::optional<HistoryRow> parse_history_row(const CsvRow& row, const HistoryColumns& columns,
                                            const std::string& file, const VmKnown* known,
                                            ErrorList& errors) {
    bool ok = true;
    HistoryRow out;
    out.sample.line = row.line;
    out.vm = row.fields[static_cast<size_t>(columns.vm)];
    if (out.vm.empty()) {
        errors.add(file, row.line, "vm", "missing value");
        ok = false;
    } else if (known && !(*known)(std::string(out.vm))) {
        errors.add(file, row.line, "vm", "unknown VM " + in_quotes(out.vm));
        ok = false;
    }
    const auto t =
        parse_time(file, row.line, row.fields[static_cast<size_t>(columns.time)], errors);
    if (!t) ok = false;
    for (int d = 0; d < model::kDims; ++d) {
        const int col = columns.value[static_cast<size_t>(d)];
        if (col < 0) continue;
        const std::string name = model::kDimNames[static_cast<size_t>(d)];
        const std::string_view text = row.fields[static_cast<size_t>(col)];
        auto v = parse_fraction(file, row.line, name, text, d == model::kCpu, errors);
        if (!v && (d == model::kCpu || !trim(text).empty())) ok = false;
        out.sample.value[static_cast<size_t>(d)] = v;
    }
    if (!ok) return std::nullopt;
    out.sample.time_s = *t;
    return out;
}

int64_t sort_history_samples(std::vector<std::vector<HistorySample>>& per_vm,
                             const model::Fleet& fleet, const std::string& file,
                             ErrorList& errors) {
    // Sort each VM's samples by time; report duplicate times (in line order).
    std::vector<std::pair<int64_t, std::string>> duplicates;
    int64_t interval = 0;
    for (size_t v = 0; v < per_vm.size(); ++v) {
        auto& samples = per_vm[v];
        std::sort(samples.begin(), samples.end(),
                  [](const HistorySample& a, const HistorySample& b) {
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
    std::sort(duplicates.begin(), duplicates.end());
    for (const auto& [line, msg] : duplicates) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        errors.add(file, line, "time", msg);
    }
    return interval;
}

std::vector<int64_t> history_lengths(const std::vector<std::vector<HistorySample>>& per_vm,
                                     const model::Fleet& fleet, int64_t interval,
                                     int64_t max_series_length, const std::string& file,
                                     ErrorList& errors, int64_t& total) {
    // Slot counts per VM (nearest slot back from its last sample), bounded.
    std::vector<int64_t> lengths(per_vm.size(), 0);
    total = 0;
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
    return lengths;
}

bool history_fill_bounded(int64_t total, int64_t given, int64_t interval, const std::string& file,
                          ErrorList& errors) {
    if (total <= kFillFactor * given + kFillSlack) return true;
    errors.add(file, 1, "time",
               "filling gaps at the " + std::to_string(interval) + " s interval would make " +
                   std::to_string(total) + " samples from the " + std::to_string(given) +
                   " given (times too far apart for the smallest interval)");
    return false;
}

model::History fill_history(const std::vector<std::vector<HistorySample>>& per_vm,
                            const std::vector<int64_t>& lengths, int64_t interval) {
    model::History h;
    h.cpu.resize(per_vm.size());
    h.mem.resize(per_vm.size());
    h.net.resize(per_vm.size());
    h.interval_s = interval;
    std::array<std::vector<std::vector<float>>*, model::kDims> dest = {&h.cpu, &h.mem, &h.net};
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
            for (const HistorySample& s : samples) {
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
    finish_length(h);
    return h;
}

Result<HistoryLoad> parse_history_csv(std::string_view text, const std::string& file,
                                      const model::Fleet& fleet, int64_t max_series_length) {
    auto table = parse_csv(text, file);
    if (!table) return tl::unexpected(table.error());
    HistoryLoad out;
    ErrorList errors;
    const HistoryColumns columns = history_columns(table->header, file, errors, out.warnings);
    if (!errors.empty()) return tl::unexpected(errors.to_error());

    const VmKnown known = [&](const std::string& id) { return fleet.vm_index(id).has_value(); };
    std::vector<std::vector<HistorySample>> per_vm(fleet.vms.size());
    int64_t given = 0;
    for (const CsvRow& row : table->rows) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        auto r = parse_history_row(row, columns, file, &known, errors);
        if (!r) continue;
        per_vm[static_cast<size_t>(*fleet.vm_index(std::string(r->vm)))].push_back(r->sample);
        ++given;
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());

    int64_t interval = sort_history_samples(per_vm, fleet, file, errors);
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    if (interval == 0) interval = kDefaultHistoryIntervalS;
    int64_t total = 0;
    const std::vector<int64_t> lengths =
        history_lengths(per_vm, fleet, interval, max_series_length, file, errors, total);
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    if (!history_fill_bounded(total, given, interval, file, errors))
        return tl::unexpected(errors.to_error());
    out.history = fill_history(per_vm, lengths, interval);
    out.rows = static_cast<int64_t>(table->rows.size());
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

Result<HistoryLoad> load_planetlab_subset(const std::string& dir,
                                          const std::vector<std::string>& names,
                                          const model::Fleet& fleet, int64_t& matched) {
    return load_planetlab_files(planetlab_dir(dir), names, fleet, UnknownNames::kSkip, matched);
}

}  // namespace fp::io
