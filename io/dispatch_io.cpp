#include "io/dispatch_io.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <optional>
#include <set>
#include <unordered_map>
#include <utility>

#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "src/util/crash_point.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

constexpr double kMaxEstimate = 1e9;  // seconds or milliseconds

std::optional<int64_t> to_int(const std::string& s) {
    if (s.empty() || s.size() > 18) return std::nullopt;
    size_t i = s[0] == '-' ? 1 : 0;
    if (i == s.size()) return std::nullopt;
    int64_t v = 0;
    for (; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
        v = v * 10 + (s[i] - '0');
    }
    return s[0] == '-' ? -v : v;
}

std::optional<double> to_double(const std::string& s) {
    if (s.empty()) return std::nullopt;
    char* end = nullptr;
    errno = 0;
    const double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || errno != 0 || !std::isfinite(v)) return std::nullopt;
    return v;
}

// An optional estimate of plan.csv: nullopt for an empty field (no estimate), else a number in
// [0, 1e9], or nullopt after recording what is wrong in `errors`.
std::optional<double> estimate(const std::string& file, int64_t line, const std::string& col,
                               const std::string& text, ErrorList& errors, bool& ok) {
    Decimal d;
    const DecimalStatus st = parse_decimal(text, kMaxEstimate, d);
    if (st == DecimalStatus::kEmpty) return std::nullopt;
    if (st != DecimalStatus::kOk) {
        std::string what = describe(st);
        if (st == DecimalStatus::kOutOfRange) what += " (at most 1e9)";
        errors.add(file, line, col, what + ": " + in_quotes(text));
        ok = false;
        return std::nullopt;
    }
    return d.value;
}

// Checks the ids in fields[first..first+2] (vm, source, target; an empty source is a new VM's
// and allowed): false after recording what is wrong.
bool ids_ok(const std::string& file, int64_t line, std::initializer_list<const char*> columns,
            const std::vector<std::string>& fields, size_t first, ErrorList& errors) {
    bool ok = true;
    size_t i = first;
    for (const char* col : columns) {
        const std::string& id = fields[i++];
        if (id.empty() && std::string_view(col) == "source") continue;
        if (auto fault = id_fault(id)) {
            errors.add(file, line, col, *fault);
            ok = false;
        }
    }
    return ok;
}

}  // namespace

Result<PlanToDispatch> read_plan_csv(const std::string& path) {
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    auto t = parse_csv(*text, path);
    if (!t) return tl::unexpected(t.error());
    const std::vector<std::string> want{"step", "vm", "source", "target"};
    if (t->header.size() < 4 || !std::equal(want.begin(), want.end(), t->header.begin()))
        return bad_input(path + ":1:step: the header must begin step,vm,source,target");
    // Optional columns, found by name (older plan.csv files have none of them).
    auto column = [&](const char* name) -> std::optional<size_t> {
        auto it = std::find(t->header.begin() + 4, t->header.end(), name);
        if (it == t->header.end()) return std::nullopt;
        return static_cast<size_t>(it - t->header.begin());
    };
    const auto c_seconds = column("est_seconds"), c_downtime = column("est_downtime_ms"),
               c_start = column("est_start_s"), c_reason = column("reason"),
               c_flags = column("flags");
    PlanToDispatch out;
    out.digest = plan_digest(*text);
    ErrorList errors;
    int32_t last_step = 0;
    std::unordered_map<std::string, int64_t> vm_line;  // VM id → its row's line
    for (const CsvRow& row : t->rows) {
        if (row.fields.size() != t->header.size()) {
            errors.add(path, row.line, "step",
                       "expected " + std::to_string(t->header.size()) + " fields, found " +
                           std::to_string(row.fields.size()));
            continue;
        }
        const auto step = to_int(row.fields[0]);
        if (!step || *step < 1 || *step > 100000000) {
            errors.add(path, row.line, "step",
                       "not a wave number >= 1: " + in_quotes(row.fields[0]));
            continue;
        }
        if (*step < last_step) {
            errors.add(path, row.line, "step", "rows are not sorted by step");
            continue;
        }
        if (*step > last_step + 1) {  // reported; the row is still checked
            errors.add(path, row.line, "step",
                       (last_step == 0 ? "the first wave is " + row.fields[0]
                                       : "wave " + row.fields[0] + " follows wave " +
                                             std::to_string(last_step)) +
                           ": waves are numbered 1, 2, ... without a gap");
        }
        last_step = static_cast<int32_t>(*step);
        if (row.fields[1].empty()) {
            errors.add(path, row.line, "vm", "empty");
            continue;
        }
        if (auto [it, fresh] = vm_line.emplace(row.fields[1], row.line); !fresh) {
            errors.add(path, row.line, "vm",
                       "VM " + in_quotes(row.fields[1]) + " is already moved on line " +
                           std::to_string(it->second) + " (a plan moves a VM at most once)");
            continue;
        }
        if (row.fields[3].empty()) {
            errors.add(path, row.line, "target", "empty");
            continue;
        }
        // Ids go to libvirt as C strings: one with a NUL would name another domain or host.
        if (!ids_ok(path, row.line, {"vm", "source", "target"}, row.fields, 1, errors)) continue;
        dispatch::PlannedMove m;
        bool ok = true;
        auto number = [&](std::optional<size_t> c) -> std::optional<double> {
            if (!c) return std::nullopt;
            return estimate(path, row.line, t->header[*c], row.fields[*c], errors, ok);
        };
        m.est_seconds = number(c_seconds);
        m.est_downtime_ms = number(c_downtime);
        m.est_start_s = number(c_start);
        if (c_reason && !row.fields[*c_reason].empty()) {
            if (auto r = plan::parse_move_reason(row.fields[*c_reason])) {
                m.reason = *r;
            } else {
                errors.add(path, row.line, "reason", r.error().msg);
                ok = false;
            }
        }
        if (c_flags) {
            if (auto f = plan::parse_flags(row.fields[*c_flags])) {
                m.flags = *f;
            } else {
                errors.add(path, row.line, "flags", f.error().msg);
                ok = false;
            }
        }
        if (!ok) continue;
        if (row.fields[2].empty()) {
            ++out.new_vms;  // a new VM's placement: nothing to migrate
            continue;
        }
        if (row.fields[2] == row.fields[3]) {
            errors.add(path, row.line, "target", "equals the source");
            continue;
        }
        m.index = static_cast<int64_t>(out.moves.size());
        m.step = static_cast<int32_t>(*step);
        m.vm = row.fields[1];
        m.source = row.fields[2];
        m.target = row.fields[3];
        out.moves.push_back(std::move(m));
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return out;
}

Result<std::vector<dispatch::HostAddr>> read_dispatch_hosts(const std::string& hosts_csv) {
    auto text = read_file(hosts_csv);
    if (!text) return tl::unexpected(text.error());
    auto load = parse_hosts(*text, hosts_csv);
    if (!load) return tl::unexpected(load.error());
    std::vector<dispatch::HostAddr> out;
    for (const auto& h : load->fleet.hosts) {
        dispatch::HostAddr a;
        a.id = h.id;
        a.address = h.address;
        a.mem_mib = h.capacity[1] / 1024;
        a.site = h.site;
        out.push_back(std::move(a));
    }
    return out;
}

Result<std::unique_ptr<FileJournal>> FileJournal::open(const std::string& path) {
    // O_NOFOLLOW: a link planted as the journal is never appended through.
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return fail(ErrorCode::kEnvironment,
                    path + ": cannot open the journal: " + std::strerror(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int e = errno;
        ::close(fd);
        return fail(ErrorCode::kEnvironment, path + ": " + std::strerror(e));
    }
    std::unique_ptr<FileJournal> j(new FileJournal(fd, path));
    if (st.st_size > 0) {
        // A line cut short by a crash was never acknowledged: drop it before appending after it.
        auto text = read_file(path);
        if (!text) return tl::unexpected(text.error());
        if (text->back() != '\n') {
            const size_t nl = text->rfind('\n');
            const off_t keep = nl == std::string::npos ? 0 : static_cast<off_t>(nl + 1);
            if (::ftruncate(fd, keep) != 0 || ::fsync(fd) != 0)
                return fail(
                    ErrorCode::kEnvironment,
                    path + ": cannot repair the journal's cut last line: " + std::strerror(errno));
            st.st_size = keep;
        }
    }
    if (st.st_size == 0) {
        sync_parent_dir(path);
        const std::string h = std::string(kJournalHeader) + "\n";
        if (::write(fd, h.data(), h.size()) != static_cast<ssize_t>(h.size()) || ::fsync(fd) != 0)
            return fail(ErrorCode::kEnvironment,
                        path + ": cannot write the journal: " + std::strerror(errno));
    }
    return j;
}

FileJournal::~FileJournal() { ::close(fd_); }

std::string journal_line(const dispatch::JournalEntry& e) {
    return format_double("%.3f", e.time_s) + "," + std::to_string(e.move) + "," +
           std::string(dispatch::to_string(e.event)) + "," + csv_field(e.vm) + "," +
           csv_field(e.source) + "," + csv_field(e.target) + "," + std::to_string(e.attempt) + "," +
           format_double("%.3f", e.seconds) + "," + format_double("%.1f", e.downtime_ms) + "," +
           csv_field(e.reason) + "\n";
}

Result<void> FileJournal::append(const dispatch::JournalEntry& e) {
    const std::string line = journal_line(e);
    size_t off = 0;
    while (off < line.size()) {
        const ssize_t w = ::write(fd_, line.data() + off, line.size() - off);
        if (w < 0) {
            if (errno == EINTR) continue;
            return fail(ErrorCode::kEnvironment,
                        path_ + ": cannot append to the journal: " + std::strerror(errno));
        }
        off += static_cast<size_t>(w);
    }
    if (::fsync(fd_) != 0)
        return fail(ErrorCode::kEnvironment,
                    path_ + ": cannot flush the journal: " + std::strerror(errno));
    crash_point("journal");
    return {};
}

Result<std::vector<dispatch::JournalEntry>> read_journal(const std::string& path) {
    std::vector<dispatch::JournalEntry> out;
    if (::access(path.c_str(), F_OK) != 0) return out;
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    // A line a crash cut short has no newline: it was never acknowledged, so it never happened.
    std::string body = *text;
    const size_t nl = body.rfind('\n');
    body.resize(nl == std::string::npos ? 0 : nl + 1);
    if (body.empty()) return out;
    auto t = parse_csv(body, path);
    if (!t) return tl::unexpected(t.error());
    const std::string want = kJournalHeader;
    std::string got;
    for (size_t i = 0; i < t->header.size(); ++i) got += (i ? "," : "") + t->header[i];
    if (got != want)
        return bad_input(path + ":1:time_s: not a dispatch journal (header " + in_quotes(got) +
                         ")");
    ErrorList errors;
    for (const CsvRow& row : t->rows) {
        if (row.fields.size() != 10) {
            errors.add(path, row.line, "time_s",
                       "expected 10 fields, found " + std::to_string(row.fields.size()));
            continue;
        }
        dispatch::JournalEntry e;
        const auto time = to_double(row.fields[0]);
        const auto move = to_int(row.fields[1]);
        const auto ev = dispatch::parse_move_event(row.fields[2]);
        const auto attempt = to_int(row.fields[6]);
        const auto secs = to_double(row.fields[7]);
        const auto down = to_double(row.fields[8]);
        if (!time)
            errors.add(path, row.line, "time_s", "not a number: " + in_quotes(row.fields[0]));
        if (!move || *move < 0)
            errors.add(path, row.line, "move", "not a move number: " + in_quotes(row.fields[1]));
        if (!ev) errors.add(path, row.line, "event", "unknown event " + in_quotes(row.fields[2]));
        if (!attempt || *attempt < 0)
            errors.add(path, row.line, "attempt", "not a count: " + in_quotes(row.fields[6]));
        if (!secs || *secs < 0)
            errors.add(path, row.line, "seconds", "not a duration: " + in_quotes(row.fields[7]));
        if (!down)
            errors.add(path, row.line, "downtime_ms", "not a number: " + in_quotes(row.fields[8]));
        const bool ids = ids_ok(path, row.line, {"vm", "source", "target"}, row.fields, 3, errors);
        if (!time || !move || *move < 0 || !ev || !attempt || *attempt < 0 || !secs || *secs < 0 ||
            !down || !ids)
            continue;
        e.time_s = *time;
        e.move = *move;
        e.event = *ev;
        e.vm = row.fields[3];
        e.source = row.fields[4];
        e.target = row.fields[5];
        e.attempt = static_cast<int32_t>(*attempt);
        e.seconds = *secs;
        e.downtime_ms = *down;
        e.reason = row.fields[9];
        out.push_back(std::move(e));
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return out;
}

std::string collected_vms_csv(const std::vector<dispatch::CollectedVm>& rows) {
    std::string csv = "id,host,cpu,mem,net,mem_size,dirty_rate,cpu_alloc\n";
    for (const auto& r : rows) {
        csv += csv_field(r.vm) + "," + csv_field(r.host) + "," + format_double("%.3f", r.cpu) +
               "," + format_double("%.0f", std::ceil(r.mem_mib)) + "," +
               format_double("%.3f", r.net_mbps) + "," +
               format_double("%.0f", std::ceil(r.mem_size_mib)) + "," +
               (r.dirty_mibps >= 0 ? format_double("%.3f", r.dirty_mibps) : "") + "," +
               std::to_string(r.vcpus) + "\n";
    }
    return csv;
}

std::string missing_hosts_csv(const std::vector<dispatch::MissingHost>& missing) {
    std::string csv = "host,error\n";
    for (const auto& m : missing) csv += csv_field(m.host) + "," + csv_field(m.error) + "\n";
    return csv;
}

Result<void> append_collected_history(const std::string& path,
                                      const std::vector<dispatch::CollectedVm>& rows,
                                      int64_t time_s) {
    // Appended to, never through a link (O_NOFOLLOW): a link planted in a shared --out as
    // history.csv is refused.
    const int fd =
        ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return fail(ErrorCode::kEnvironment, path + ": cannot append: " + std::strerror(errno));
    struct stat st {};
    std::string text = ::fstat(fd, &st) == 0 && st.st_size == 0 ? "time,vm,cpu,mem,net\n" : "";
    for (const auto& r : rows) {
        text += std::to_string(time_s) + "," + csv_field(r.vm) + "," +
                format_double("%.4f", std::min(1.0, r.cpu / r.vcpus)) + "," +
                format_double(
                    "%.4f", r.mem_size_mib > 0 ? std::min(1.0, r.mem_mib / r.mem_size_mib) : 0.0) +
                ",\n";
    }
    std::string why;  // the first failure: of the write (or a short one), else of the close
    if (const ssize_t n = ::write(fd, text.data(), text.size());
        n != static_cast<ssize_t>(text.size()))
        why = n < 0 ? std::strerror(errno) : "short write";
    if (::close(fd) != 0 && why.empty()) why = std::strerror(errno);
    if (!why.empty()) return fail(ErrorCode::kEnvironment, path + ": cannot append: " + why);
    return {};
}

namespace {

// A history CSV's records (a newline outside quotes ends one; record 0 is the header), each
// with its time (when an integer) and its vm field as written (quoted or not).
struct HistoryRecords {
    std::vector<std::pair<size_t, size_t>> span;  // [begin, end) including the newline
    std::vector<std::optional<int64_t>> time;
    std::vector<std::string> vm;
};
HistoryRecords split_history(const std::string& text) {
    HistoryRecords h;
    bool quoted = false;
    size_t begin = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '"') quoted = !quoted;
        if (text[i] == '\n' && !quoted) {
            h.span.emplace_back(begin, i + 1);
            begin = i + 1;
        }
    }
    if (begin < text.size()) h.span.emplace_back(begin, text.size());
    h.time.resize(h.span.size());
    h.vm.resize(h.span.size());
    for (size_t r = 1; r < h.span.size(); ++r) {
        const auto [b, e] = h.span[r];
        const size_t comma = text.find(',', b);
        if (comma == std::string::npos || comma >= e) continue;
        h.time[r] = to_int(text.substr(b, comma - b));
        bool q = false;
        size_t end = comma + 1;
        for (; end < e && (q || (text[end] != ',' && text[end] != '\n')); ++end)
            if (text[end] == '"') q = !q;
        h.vm[r] = text.substr(comma + 1, end - comma - 1);
    }
    return h;
}

// A field as written, unquoted ("a ""b""" → a "b").
std::string unquoted(const std::string& f) {
    if (f.size() < 2 || f.front() != '"' || f.back() != '"') return f;
    std::string out;
    for (size_t i = 1; i + 1 < f.size(); ++i) {
        out += f[i];
        if (f[i] == '"' && f[i + 1] == '"') ++i;
    }
    return out;
}

// The records of `text` for which keep(r) holds (the header always).
TrimmedHistory keep_records(const std::string& text, const HistoryRecords& h,
                            const std::vector<uint8_t>& keep) {
    TrimmedHistory out;
    for (size_t r = 0; r < h.span.size(); ++r) {
        if (r > 0 && !keep[r]) {
            ++out.dropped;
            continue;
        }
        out.text.append(text, h.span[r].first, h.span[r].second - h.span[r].first);
    }
    if (out.dropped == 0) out.text = text;
    return out;
}

}  // namespace

TrimmedHistory trim_history_text(const std::string& text, int64_t keep_times,
                                 int64_t min_interval_s) {
    const HistoryRecords h = split_history(text);
    std::vector<int64_t> times;
    for (const auto& t : h.time)
        if (t) times.push_back(*t);
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    // The times kept: newest first, each at least min_interval_s before the one kept after it,
    // at most keep_times of them.
    std::vector<int64_t> kept;
    for (auto t = times.rbegin(); t != times.rend(); ++t) {
        if (keep_times > 0 && static_cast<int64_t>(kept.size()) >= keep_times) break;
        if (kept.empty() || *t <= kept.back() - std::max<int64_t>(min_interval_s, 1))
            kept.push_back(*t);
    }
    std::sort(kept.begin(), kept.end());
    // Each (time, vm) once: the record written last.
    std::vector<uint8_t> keep(h.span.size(), 1);
    std::set<std::pair<int64_t, std::string>> seen;
    for (size_t r = h.span.size(); r-- > 1;) {
        if (!h.time[r]) continue;
        keep[r] = std::binary_search(kept.begin(), kept.end(), *h.time[r]) &&
                  seen.emplace(*h.time[r], h.vm[r]).second;
    }
    TrimmedHistory out = keep_records(text, h, keep);
    out.times = static_cast<int64_t>(times.size());
    out.kept_times = static_cast<int64_t>(kept.size());
    return out;
}

TrimmedHistory history_of_vms_text(const std::string& text, const std::set<std::string>& vms) {
    const HistoryRecords h = split_history(text);
    std::vector<uint8_t> keep(h.span.size(), 1);
    for (size_t r = 1; r < h.span.size(); ++r)
        if (h.time[r]) keep[r] = vms.count(unquoted(h.vm[r])) > 0;
    return keep_records(text, h, keep);
}

Result<TrimmedHistory> write_history_of_vms(const std::string& history, const std::string& vms_csv,
                                            const std::string& out) {
    auto vms_text = read_file(vms_csv);
    if (!vms_text) return tl::unexpected(vms_text.error());
    auto table = parse_csv(*vms_text, vms_csv);
    if (!table) return tl::unexpected(table.error());
    const auto id = std::find(table->header.begin(), table->header.end(), "id");
    if (id == table->header.end()) return bad_input(vms_csv + ":1: no id column");
    const size_t col = static_cast<size_t>(id - table->header.begin());
    std::set<std::string> ids;
    for (const auto& row : table->rows)
        if (col < row.fields.size()) ids.insert(row.fields[col]);
    auto text = read_file(history);
    if (!text) return tl::unexpected(text.error());
    TrimmedHistory t = history_of_vms_text(*text, ids);
    if (auto w = write_file_atomic(out, t.text); !w) return tl::unexpected(w.error());
    return t;
}

Result<TrimmedHistory> trim_collected_history(const std::string& path, int64_t keep_times,
                                              int64_t min_interval_s) {
    if (::access(path.c_str(), F_OK) != 0) return TrimmedHistory{};
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    TrimmedHistory t = trim_history_text(*text, keep_times, min_interval_s);
    if (t.dropped > 0)
        if (auto w = write_file_atomic(path, t.text); !w) return tl::unexpected(w.error());
    return t;
}

}  // namespace fp::io
