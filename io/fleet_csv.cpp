#include "io/fleet_csv.hpp"

#include <tbb/parallel_for.h>
#include <tbb/parallel_invoke.h>
#include <tbb/parallel_sort.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <unordered_map>

#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/huge_pages.hpp"
#include "io/record_split.hpp"
#include "src/util/assert.hpp"
#include "src/util/decimal.hpp"
#include "src/util/hash.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

constexpr double kMaxQuantity = 1e9;

// Column lookup for one table, with missing/duplicate/unknown column checks.
class Columns {
  public:
    Columns(const CsvTable& t, std::vector<std::string> required, std::vector<std::string> optional,
            ErrorList& errors, std::vector<std::string>& warnings)
        : table_(t) {
        std::vector<std::string> unknown;
        for (size_t i = 0; i < t.header.size(); ++i) {
            std::string name = t.header[i];
            while (!name.empty() && name.back() == ' ') name.pop_back();
            while (!name.empty() && name.front() == ' ') name.erase(name.begin());
            if (auto it = index_.find(name); it != index_.end()) {
                errors.add(t.file, 1, name.empty() ? "column " + std::to_string(i + 1) : name,
                           "duplicate column " + in_quotes(name) + " (also column " +
                               std::to_string(it->second + 1) + ")");
                continue;
            }
            index_[name] = i;
            bool known = false;
            for (const auto& r : required) known |= r == name;
            for (const auto& o : optional) known |= o == name;
            if (!known) unknown.push_back(name);
        }
        for (const auto& r : required)
            if (!index_.count(r))
                errors.add(t.file, 1, r, "missing required column " + in_quotes(r));
        if (!unknown.empty())
            warnings.push_back(t.file + ":1: ignoring unknown column(s): " + name_list(unknown));
    }
    std::optional<size_t> index_of(const std::string& col) const {
        auto it = index_.find(col);
        if (it == index_.end()) return std::nullopt;
        return it->second;
    }
    // The field, or nullopt when the column is absent.
    std::optional<std::string_view> get(const CsvRow& row, std::string_view col) const {
        auto it = index_.find(col);
        if (it == index_.end()) return std::nullopt;
        return std::string_view(row.fields[it->second]);
    }

  private:
    const CsvTable& table_;
    std::map<std::string, size_t, std::less<>> index_;  // looked up without a string per field
};

struct FieldCtx {
    const std::string& file;
    int64_t line;
    ErrorList& errors;
};

// A required or optional non-negative quantity; `positive` rejects 0.
std::optional<Decimal> quantity(const FieldCtx& c, std::string_view col,
                                std::optional<std::string_view> text, bool required,
                                bool positive) {
    if (!text) return std::nullopt;
    Decimal d;
    const DecimalStatus st = parse_decimal(*text, kMaxQuantity, d);
    if (st == DecimalStatus::kEmpty) {
        if (required) c.errors.add(c.file, c.line, std::string(col), "missing value");
        return std::nullopt;
    }
    if (st != DecimalStatus::kOk) {
        std::string what = describe(st);
        if (st == DecimalStatus::kOutOfRange) what += " (at most 1e9)";
        c.errors.add(c.file, c.line, std::string(col), what + ": " + in_quotes(std::string(*text)));
        return std::nullopt;
    }
    if (positive && d.digits == 0 && !d.tail_nonzero) {
        c.errors.add(c.file, c.line, std::string(col), "must be greater than 0");
        return std::nullopt;
    }
    return d;
}

bool check_id(const FieldCtx& c, std::string_view col, std::string_view id) {
    if (auto fault = id_fault(id)) {
        c.errors.add(c.file, c.line, std::string(col), *fault);
        return false;
    }
    return true;
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

// The VM table's columns, resolved once.
enum VmCol {
    kId,
    kHost,
    kCpu,
    kMem,
    kNet,
    kMemSize,
    kDisk,
    kDirty,
    kGroup,
    kAnti,
    kCpuAlloc,
    kMemAlloc,
    kVmCols
};
const std::array<const char*, kVmCols> kVmColNames = {
    "id",   "host",       "cpu",   "mem",        "net",       "mem_size",
    "disk", "dirty_rate", "group", "anti_group", "cpu_alloc", "mem_alloc"};

// One VM row's values (every check but duplicate ids); nullopt after reporting its errors.
// A VM quantity in internal units, rounded up: the plain form directly, anything else (and
// every fault, with its message) through quantity() and scale_decimal().
std::optional<int64_t> scaled(const FieldCtx& c, std::string_view col,
                              std::optional<std::string_view> text, bool required, int64_t factor) {
    if (!text) return std::nullopt;
    if (PlainDecimal p; parse_plain_decimal(*text, kMaxQuantity, p))
        return p.scaled(factor, Rounding::kUp);
    auto q = quantity(c, col, text, required, false);
    if (!q) return std::nullopt;
    return scale_decimal(*q, factor, Rounding::kUp);
}

// `hidx` is the row's host as filter_host found it.
template <typename Get>
std::optional<model::Vm> vm_row(const FieldCtx& c, const model::Fleet& fleet, Get get,
                                int32_t hidx) {
    model::Vm vm;
    vm.id = std::string(*get(kId));
    bool ok = check_id(c, "id", vm.id);
    const std::string_view host = *get(kHost);
    if (!host.empty()) {
        const std::optional<int32_t> h = hidx >= 0 ? std::optional<int32_t>(hidx) : std::nullopt;
        if (!h) {
            c.errors.add(c.file, c.line, "host", "unknown host " + in_quotes(std::string(host)));
            ok = false;
        } else if (fleet.hosts[static_cast<size_t>(*h)].state == model::HostState::kOff) {
            c.errors.add(
                c.file, c.line, "host",
                "host " + in_quotes(std::string(host)) + " is off but the VM is placed on it");
            ok = false;
        } else {
            vm.host = *h;
        }
    }
    for (int d = 0; d < model::kDims; ++d) {
        const std::string_view col = model::kDimNames[static_cast<size_t>(d)];
        auto q = scaled(c, col, get(kCpu + d), true, model::kUnitFactor[static_cast<size_t>(d)]);
        if (!q) {
            ok = false;
            continue;
        }
        vm.demand[d] = *q;
    }
    auto kib = [&](VmCol col, int64_t fallback) -> int64_t {
        return scaled(c, kVmColNames[col], get(col), false, 1024).value_or(fallback);
    };
    vm.mem_size_kib = kib(kMemSize, vm.demand[model::kMem]);
    vm.disk_kib = kib(kDisk, 0);
    if (const auto t = get(kDirty)) {
        if (PlainDecimal p; parse_plain_decimal(*t, kMaxQuantity, p)) {
            vm.dirty_rate_mibps = p.value;
        } else if (auto q = quantity(c, "dirty_rate", t, false, false)) {
            vm.dirty_rate_mibps = q->value;
        }
    }
    vm.cpu_alloc_millicores = scaled(c, "cpu_alloc", get(kCpuAlloc), false, 1000);
    vm.mem_alloc_kib = scaled(c, "mem_alloc", get(kMemAlloc), false, 1024);
    if (auto s = get(kGroup)) vm.group = std::string(*s);
    if (auto s = get(kAnti)) vm.anti_group = std::string(*s);
    if (!ok) return std::nullopt;
    return vm;
}

int32_t filter_host(const model::Fleet& fleet, std::string_view host) {
    if (host.empty()) return model::kNoHost;
    auto h = fleet.host_index(host);
    return h ? *h : kUnknownHost;
}

// The host column's lookup for a whole vms.csv, built once from the host table: ids of up to 16
// bytes (the common case) sit packed in their slot, so a lookup reads one slot and hashes two
// words, where Fleet::host_index hashes byte by byte and reads the slot, an offset table and the
// id pool (three cache misses on a 100k-host table, 13% of the parse). Longer ids go through
// Fleet::host_index. Gives what filter_host gives (a duplicate id keeps its first index).
// Read-only after construction: ranges share it across threads.
class HostLookup {
  public:
    explicit HostLookup(const model::Fleet& fleet) : fleet_(fleet) {
        const size_t n = fleet.hosts.size();
        size_t cap = 16;
        while (cap < 2 * n) cap <<= 1;
        mask_ = cap - 1;
        slots_.assign(cap, Slot{});
        for (size_t i = 0; i < n; ++i) {
            const std::string_view id = fleet.hosts[i].id;
            if (id.size() > kPacked) continue;
            const Slot key = pack(id);
            size_t k = slot_of(key);
            while (slots_[k].index >= 0 && !same(slots_[k], key)) k = (k + 1) & mask_;
            if (slots_[k].index < 0) {
                slots_[k] = key;
                slots_[k].index = static_cast<int32_t>(i);
            }
        }
    }
    int32_t find(std::string_view host) const {
        if (host.empty()) return model::kNoHost;
        if (host.size() > kPacked) return filter_host(fleet_, host);
        const Slot key = pack(host);
        for (size_t k = slot_of(key);; k = (k + 1) & mask_) {
            const Slot& s = slots_[k];
            if (s.index < 0) return kUnknownHost;
            if (same(s, key)) return s.index;
        }
    }

  private:
    static constexpr size_t kPacked = 16;
    struct Slot {
        uint64_t lo = 0, hi = 0;  // the id's bytes, zero-padded
        uint32_t len = 0;
        int32_t index = -1;
    };
    static Slot pack(std::string_view id) {
        char buf[kPacked] = {};
        std::memcpy(buf, id.data(), id.size());
        Slot s;
        std::memcpy(&s.lo, buf, 8);
        std::memcpy(&s.hi, buf + 8, 8);
        s.len = static_cast<uint32_t>(id.size());
        return s;
    }
    static bool same(const Slot& a, const Slot& b) {
        return a.lo == b.lo && a.hi == b.hi && a.len == b.len;
    }
    size_t slot_of(const Slot& s) const {
        uint64_t h = (s.lo ^ (s.hi * 0x9e3779b97f4a7c15ULL) ^ s.len) * 0xbf58476d1ce4e5b9ULL;
        h ^= h >> 31;
        return static_cast<size_t>(h) & mask_;
    }
    const model::Fleet& fleet_;
    std::vector<Slot> slots_;
    size_t mask_ = 0;
};

// One row's fields by VM column (nullopt: the column is absent), from views or owned strings.
template <typename Fields>
auto field_getter(const VmHeader& header, const Fields& f) {
    return [&header, &f](int col) -> std::optional<std::string_view> {
        const int i = header.column[static_cast<size_t>(col)];
        if (i < 0) return std::nullopt;
        return std::string_view(f[static_cast<size_t>(i)]);
    };
}

// The last host looked up while reading one range.
struct HostCache {
    std::string host;
    int32_t index = model::kNoHost;
    bool valid = false;
};

// Where a range's rows go: the range's own vectors (VmRange::vms and ::ids), or, when the caller
// knows a bound on the range's records, slices of the whole table's storage (no second copy).
struct RowSlots {
    model::Vm* vms = nullptr;
    VmIdSeen* ids = nullptr;
    size_t cap = 0;   // records the slices hold (a bound on the range's records)
    size_t kept = 0;  // VMs written
    size_t seen = 0;  // ids written
};

// A row's id, filter and values, appended to `r` (or to `slots`). The id points into `text` when
// it lies there, else (unescaped, or from parse_csv's rows: `text` empty) into r.id_copies.
template <typename Get>
void take_row(VmRange& r, RowSlots* slots, HostCache& cache, const HostLookup* lookup,
              std::string_view text, const VmHeader& header, const model::Fleet& hosts,
              const VmRowFilter& keep, int64_t line, Get get) {
    std::string_view id = *get(kId);
    if (id.data() < text.data() || id.data() >= text.data() + text.size())
        id = r.id_copies.emplace_back(id);
    const VmIdSeen seen{fnv1a64(id), line, id};
    if (slots) {
        FP_ASSERT(slots->seen < slots->cap);
        slots->ids[slots->seen++] = seen;
    } else {
        r.ids.push_back(seen);
    }
    const std::string_view host = *get(kHost);
    if (!cache.valid || host != cache.host) {  // rows of one host often come together
        cache.index = lookup ? lookup->find(host) : filter_host(hosts, host);
        cache.host.assign(host);
        cache.valid = true;
    }
    const int32_t hidx = cache.index;
    if (keep && !keep(hidx, id)) return;
    FieldCtx c{header.file, line, r.values};
    if (auto vm = vm_row(c, hosts, get, hidx)) {
        if (slots)
            slots->vms[slots->kept++] = std::move(*vm);
        else
            r.vms.push_back(std::move(*vm));
    }
}

// The whole file through parse_csv (a fault in its CSV syntax: its messages, all of them).
Result<void> parse_vms_sequential(std::string_view text, const VmHeader& header,
                                  const VmRowFilter& keep, FleetLoad& out,
                                  std::vector<VmRange>& parts) {
    auto table = parse_csv(text, header.file);
    if (!table) return tl::unexpected(table.error());
    parts.assign(1, VmRange{});
    VmRange& r = parts[0];
    HostCache cache;
    for (const CsvRow& row : table->rows)
        take_row(r, nullptr, cache, nullptr, {}, header, out.fleet, keep, row.line,
                 field_getter(header, row.fields));
    r.rows = static_cast<int64_t>(r.ids.size());
    return {};
}

}  // namespace

Result<VmHeader> parse_vm_header(std::string_view text, const std::string& file) {
    VmHeader h;
    h.file = file;
    ErrorList errors;
    size_t start = 0;
    if (text.size() >= 3 && text.substr(0, 3) == "\xEF\xBB\xBF") start = 3;
    CsvScanner head(text, CsvChunk{start, text.size(), 1});
    const CsvScanner::Status hs = head.next();
    CsvTable header_only;
    header_only.file = file;
    if (hs == CsvScanner::kEnd) {
        errors.add(file, 1, "header", "empty file: expected a header line");
        return tl::unexpected(errors.to_error());
    }
    if (hs == CsvScanner::kUnclean) {
        // Not plain RFC 4180: parse_csv names the fault.
        auto table = parse_csv(text, file);
        if (!table) return tl::unexpected(table.error());
        return bad_input(file + ":1:header: cannot be read");
    }
    for (auto f : head.fields()) header_only.header.emplace_back(f);
    h.body = head.position();
    h.body_line = 1;
    for (size_t i = 0; i < h.body; ++i) h.body_line += text[i] == '\n';
    Columns cols(
        header_only, {"id", "host", "cpu", "mem", "net"},
        {"mem_size", "disk", "dirty_rate", "group", "anti_group", "cpu_alloc", "mem_alloc"}, errors,
        h.warnings);
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    h.width = header_only.header.size();
    h.names = std::move(header_only.header);
    h.column.assign(kVmCols, -1);
    for (int k = 0; k < kVmCols; ++k)
        if (auto i = cols.index_of(kVmColNames[static_cast<size_t>(k)]))
            h.column[static_cast<size_t>(k)] = static_cast<int>(*i);
    return h;
}

namespace {

// parse_vm_range, its rows into `slots` when given (slots->cap at least the range's records).
VmRange parse_range(std::string_view text, const CsvChunk& range, const VmHeader& header,
                    const model::Fleet& hosts, const VmRowFilter& keep, RowSlots* slots,
                    const HostLookup* lookup) {
    VmRange r;
    if (!slots) {
        // Rows are rarely shorter than 24 bytes; reserving avoids regrowth copies.
        const size_t guess = (range.end - range.begin) / 24 + 16;
        reserve_huge(r.ids, guess);
        if (!keep) reserve_huge(r.vms, guess);
    }
    CsvScanner sc(text, range);
    HostCache cache;
    for (;;) {
        const CsvScanner::Status st = sc.next();
        if (st == CsvScanner::kEnd) break;
        if (st == CsvScanner::kUnclean || sc.fields().size() != header.width) {
            // Not plain RFC 4180 (or a short row): the range again through parse_csv's own
            // record loop, whose messages name each fault exactly.
            r = VmRange{};
            if (slots) slots->kept = slots->seen = 0;
            std::vector<std::string> names = header.names;
            std::vector<CsvRow> rows;
            parse_csv_records(text.substr(range.begin, range.end - range.begin), range.line,
                              header.file, names, true, r.syntax, rows);
            for (const CsvRow& row : rows)
                take_row(r, slots, cache, lookup, {}, header, hosts, keep, row.line,
                         field_getter(header, row.fields));
            break;
        }
        take_row(r, slots, cache, lookup, text, header, hosts, keep, sc.line(),
                 field_getter(header, sc.fields()));
    }
    r.rows = static_cast<int64_t>(slots ? slots->seen : r.ids.size());
    return r;
}

// At least as many as the records in `bytes`: every record but the last ends at a newline.
size_t record_bound(std::string_view bytes) {
    if (bytes.empty()) return 0;
    return static_cast<size_t>(count_block(bytes).newlines) + (bytes.back() != '\n' ? 1 : 0);
}

}  // namespace

VmRange parse_vm_range(std::string_view text, const CsvChunk& range, const VmHeader& header,
                       const model::Fleet& hosts, const VmRowFilter& keep) {
    return parse_range(text, range, header, hosts, keep, nullptr, nullptr);
}

ErrorList vm_duplicate_errors(std::vector<VmIdSeen>& ids, const std::string& file) {
    // Equal hashes, then equal ids; each later row names the first row with its id.
    tbb::parallel_sort(ids.begin(), ids.end(), [](const VmIdSeen& a, const VmIdSeen& b) {
        return a.hash != b.hash ? a.hash < b.hash : a.line < b.line;
    });
    ErrorList dups;
    for (size_t a = 0; a < ids.size();) {
        size_t b = a + 1;
        while (b < ids.size() && ids[b].hash == ids[a].hash) ++b;
        for (size_t x = a + 1; x < b; ++x)
            for (size_t y = a; y < x; ++y)
                // Ids that fail their own check (empty, too long, NUL, UTF-8) are not compared.
                if (ids[y].id == ids[x].id && !id_fault(ids[x].id)) {
                    dups.add(file, ids[x].line, "id",
                             "duplicate id " + in_quotes(std::string(ids[x].id)) +
                                 " (first on line " + std::to_string(ids[y].line) + ")");
                    break;
                }
        a = b;
    }
    return dups;
}

int32_t vm_id_bucket(uint64_t hash, int32_t buckets) {
    return static_cast<int32_t>(hash % static_cast<uint64_t>(buckets));
}

std::optional<LineMessage> vm_first_error(const std::vector<std::optional<LineMessage>>& syntax,
                                          const std::vector<std::optional<LineMessage>>& duplicates,
                                          const std::vector<std::optional<LineMessage>>& values) {
    if (auto s = first_in_file_order(syntax)) return s;
    // A row's duplicate id comes before its other faults.
    std::vector<std::optional<LineMessage>> rest = duplicates;
    rest.insert(rest.end(), values.begin(), values.end());
    return first_in_file_order(rest);
}

namespace {

// The ranges' rows (each range's own vectors) moved into one table in range order, in parallel
// (each range to its own offsets).
void gather_ranges(std::vector<VmRange>& parts, std::vector<model::Vm>& vms,
                   std::vector<VmIdSeen>& ids) {
    std::vector<size_t> vm_at(parts.size() + 1, 0), id_at(parts.size() + 1, 0);
    for (size_t k = 0; k < parts.size(); ++k) {
        vm_at[k + 1] = vm_at[k] + parts[k].vms.size();
        id_at[k + 1] = id_at[k] + parts[k].ids.size();
    }
    vms.clear();
    reserve_huge(vms, vm_at.back());
    vms.resize(vm_at.back());
    ids.clear();
    reserve_huge(ids, id_at.back());
    ids.resize(id_at.back());
    tbb::parallel_for(size_t{0}, parts.size(), [&](size_t k) {
        std::move(parts[k].vms.begin(), parts[k].vms.end(),
                  vms.begin() + static_cast<std::ptrdiff_t>(vm_at[k]));
        std::copy(parts[k].ids.begin(), parts[k].ids.end(),
                  ids.begin() + static_cast<std::ptrdiff_t>(id_at[k]));
        std::vector<model::Vm>().swap(parts[k].vms);
    });
}

}  // namespace

VmTable parse_vm_table(std::string_view text, const CsvChunk& range, const VmHeader& header,
                       const model::Fleet& hosts, const VmRowFilter& keep,
                       const std::function<void()>& beside) {
    VmTable t;
    if (range.end <= range.begin) {
        if (beside) beside();
        return t;
    }
    const std::vector<CsvChunk> ranges =
        split_records(text.substr(0, range.end), range.begin, range.line,
                      std::max<size_t>(1, (range.end - range.begin) >> 20));
    const size_t nr = ranges.size();
    const bool in_place = !keep;
    std::vector<size_t> at(nr + 1, 0);  // in place: range k's slots start at at[k]
    if (in_place) {
        std::vector<size_t> bound(nr);
        tbb::parallel_for(size_t{0}, nr, [&](size_t k) {
            bound[k] = record_bound(text.substr(ranges[k].begin, ranges[k].end - ranges[k].begin));
        });
        for (size_t k = 0; k < nr; ++k) at[k + 1] = at[k] + bound[k];
    }
    std::optional<HostLookup> lookup;
    tbb::parallel_invoke([&] { lookup.emplace(hosts); },
                         [&] {
                             reserve_huge(t.vms, at[nr]);
                             t.vms.resize(at[nr]);
                         },
                         [&] {
                             reserve_huge(t.ids, at[nr]);
                             t.ids.resize(at[nr]);
                         },
                         [&] {
                             if (beside) beside();
                         });
    t.parts.resize(nr);
    std::vector<RowSlots> slots(in_place ? nr : 0);
    tbb::parallel_for(size_t{0}, nr, [&](size_t k) {
        RowSlots* sl = nullptr;
        if (in_place) {
            sl = &slots[k];
            *sl = RowSlots{t.vms.data() + at[k], t.ids.data() + at[k], at[k + 1] - at[k]};
        }
        t.parts[k] = parse_range(text, ranges[k], header, hosts, keep, sl, &*lookup);
    });
    for (const VmRange& p : t.parts) {
        t.syntax_fault |= !p.syntax.empty();
        t.values.merge(p.values);
    }
    if (!in_place) {
        gather_ranges(t.parts, t.vms, t.ids);
        return t;
    }
    // Close the gaps left by ranges with fewer rows than their bound, in range order.
    size_t nv = 0, ni = 0;
    for (size_t k = 0; k < nr; ++k) {
        if (nv != at[k])
            std::move(t.vms.begin() + static_cast<std::ptrdiff_t>(at[k]),
                      t.vms.begin() + static_cast<std::ptrdiff_t>(at[k] + slots[k].kept),
                      t.vms.begin() + static_cast<std::ptrdiff_t>(nv));
        if (ni != at[k])
            std::copy(t.ids.begin() + static_cast<std::ptrdiff_t>(at[k]),
                      t.ids.begin() + static_cast<std::ptrdiff_t>(at[k] + slots[k].seen),
                      t.ids.begin() + static_cast<std::ptrdiff_t>(ni));
        nv += slots[k].kept;
        ni += slots[k].seen;
    }
    t.vms.resize(nv);
    t.ids.resize(ni);
    return t;
}

namespace {

// The whole of vms.csv through parse_vm_table, its block digest computed while the table's
// storage is allocated; a fault in the CSV syntax sends the whole file through parse_csv, whose
// messages (all of them) a one-pass reader gives.
Result<void> parse_vms(std::string_view text, const std::string& file, const VmRowFilter& keep,
                       FleetLoad& out) {
    auto header = parse_vm_header(text, file);
    if (!header) return tl::unexpected(header.error());
    out.warnings.insert(out.warnings.end(), header->warnings.begin(), header->warnings.end());
    VmTable t =
        parse_vm_table(text, CsvChunk{header->body, text.size(), header->body_line}, *header,
                       out.fleet, keep, [&] { out.vms_digest = blocked_digest(text); });
    model::Fleet& fleet = out.fleet;
    if (t.syntax_fault) {
        if (auto r = parse_vms_sequential(text, *header, keep, out, t.parts); !r) return r;
        t.values = ErrorList{};
        for (const VmRange& p : t.parts) t.values.merge(p.values);
        gather_ranges(t.parts, t.vms, t.ids);
    }
    fleet.vms = std::move(t.vms);
    std::vector<VmIdSeen>& ids = t.ids;
    out.vm_rows = static_cast<int64_t>(ids.size());
    if (out.keep_id_hashes) {
        out.id_hashes.reserve(ids.size());
        for (const VmIdSeen& i : ids) out.id_hashes.push_back(i.hash);
    }
    ErrorList dups = vm_duplicate_errors(ids, file);
    // A row's duplicate id is reported before its other faults (the order of the row checks).
    dups.merge(t.values);
    if (!dups.empty()) return tl::unexpected(dups.to_error());
    if (out.keep_id_hashes) tbb::parallel_sort(out.id_hashes.begin(), out.id_hashes.end());
    return {};
}

}  // namespace

std::optional<std::string> capacity_problem(int64_t internal, int dim) {
    if (internal <= 0) return "capacity rounds down to 0 (must be greater than 0)";
    const int64_t max =
        static_cast<int64_t>(kMaxQuantity) * model::kUnitFactor[static_cast<size_t>(dim)];
    if (internal > max) return "out of range (at most 1e9)";
    return std::nullopt;
}

std::optional<std::string> quantity_problem(int64_t internal, int64_t factor) {
    if (internal < 0) return "negative";
    if (internal > static_cast<int64_t>(kMaxQuantity) * factor) return "out of range (at most 1e9)";
    return std::nullopt;
}

std::optional<std::string> number_problem(double v) {
    if (!std::isfinite(v)) return "not a finite number";
    if (v < 0) return "negative";
    if (v > kMaxQuantity) return "out of range (at most 1e9)";
    return std::nullopt;
}

Result<void> validate_fleet(const model::Fleet& fleet, const std::string& hosts_where,
                            const std::string& vms_where) {
    std::vector<std::string> errors;
    size_t dropped = 0;
    auto add = [&](const std::string& where, const char* col, size_t row, const char* kind,
                   const std::string& id, const std::string& what) {
        if (errors.size() >= ErrorList::kMaxErrors) {
            ++dropped;
            return;
        }
        errors.push_back(where + "/" + col + "[" + std::to_string(row) + "] (" + kind + " " +
                         in_quotes(id) + "): " + what);
    };
    std::unordered_map<std::string_view, size_t> seen;  // ids of the table being checked
    auto check_id = [&](const std::string& where, size_t i, const char* kind,
                        const std::string& id) {
        if (auto p = id_fault(id)) add(where, "id", i, kind, id, *p);
        if (auto [it, fresh] = seen.emplace(id, i); !fresh)
            add(where, "id", i, kind, id,
                "duplicate id (first at row " + std::to_string(it->second) + ")");
    };
    for (size_t i = 0; i < fleet.hosts.size(); ++i) {
        const model::Host& h = fleet.hosts[i];
        check_id(hosts_where, i, "host", h.id);
        for (int d = 0; d < model::kDims; ++d)
            if (auto p = capacity_problem(h.capacity[d], d))
                add(hosts_where, model::kDimNames[static_cast<size_t>(d)], i, "host", h.id, *p);
        for (auto [col, v] :
             {std::pair{"power_idle_w", h.power_idle_w}, std::pair{"power_max_w", h.power_max_w}})
            if (v)
                if (auto p = number_problem(*v)) add(hosts_where, col, i, "host", h.id, *p);
        if (h.power_idle_w && h.power_max_w && *h.power_idle_w > *h.power_max_w)
            add(hosts_where, "power_idle_w", i, "host", h.id, "greater than power_max_w");
    }
    seen.clear();
    for (size_t i = 0; i < fleet.vms.size(); ++i) {
        const model::Vm& v = fleet.vms[i];
        check_id(vms_where, i, "VM", v.id);
        if (v.host < model::kNoHost || v.host >= static_cast<int32_t>(fleet.hosts.size()))
            add(vms_where, "host", i, "VM", v.id, "host index out of range");
        else if (v.host >= 0 &&
                 fleet.hosts[static_cast<size_t>(v.host)].state == model::HostState::kOff)
            add(vms_where, "host", i, "VM", v.id, "placed on an off host");
        for (int d = 0; d < model::kDims; ++d)
            if (auto p = quantity_problem(v.demand[d], model::kUnitFactor[static_cast<size_t>(d)]))
                add(vms_where, model::kDimNames[static_cast<size_t>(d)], i, "VM", v.id, *p);
        for (auto [col, q] : {std::pair{"mem_size", std::optional<int64_t>(v.mem_size_kib)},
                              std::pair{"disk", std::optional<int64_t>(v.disk_kib)},
                              std::pair{"mem_alloc", v.mem_alloc_kib}})
            if (q)
                if (auto p = quantity_problem(*q, 1024)) add(vms_where, col, i, "VM", v.id, *p);
        if (v.cpu_alloc_millicores)
            if (auto p = quantity_problem(*v.cpu_alloc_millicores, 1000))
                add(vms_where, "cpu_alloc", i, "VM", v.id, *p);
        if (auto p = number_problem(v.dirty_rate_mibps))
            add(vms_where, "dirty_rate", i, "VM", v.id, *p);
    }
    if (errors.empty()) return {};
    std::string msg;
    for (const auto& e : errors) msg += (msg.empty() ? "" : "\n") + e;
    if (dropped > 0) msg += "\n(" + std::to_string(dropped) + " more errors not shown)";
    return bad_input(msg);
}

Result<FleetLoad> parse_fleet(std::string_view hosts_text, const std::string& hosts_name,
                              std::string_view vms_text, const std::string& vms_name,
                              const VmRowFilter& keep) {
    auto out = parse_hosts(hosts_text, hosts_name);
    if (!out) return out;
    if (auto r = parse_vms_into(vms_text, vms_name, keep, *out); !r)
        return tl::unexpected(r.error());
    return out;
}

Result<void> parse_vms_into(std::string_view text, const std::string& name, const VmRowFilter& keep,
                            FleetLoad& out) {
    if (auto r = parse_vms(text, name, keep, out); !r) return r;
    out.fleet.index();
    return {};
}

Result<FleetLoad> parse_hosts(std::string_view hosts_text, const std::string& hosts_name) {
    FleetLoad out;
    model::Fleet& fleet = out.fleet;
    auto hosts_table = parse_csv(hosts_text, hosts_name);
    if (!hosts_table) return tl::unexpected(hosts_table.error());
    ErrorList errors;
    std::unordered_map<std::string, int64_t> host_line;
    host_line.reserve(hosts_table->rows.size());
    {
        Columns cols(*hosts_table, {"id", "cpu", "mem", "net"},
                     {"rack", "site", "state", "power_idle_w", "power_max_w", "address"}, errors,
                     out.warnings);
        if (!errors.empty()) return tl::unexpected(errors.to_error());
        for (const CsvRow& row : hosts_table->rows) {
            if (errors.full()) {
                errors.mark_truncated();
                break;
            }
            FieldCtx c{hosts_name, row.line, errors};
            model::Host h;
            h.id = std::string(*cols.get(row, "id"));
            bool ok = check_id(c, "id", h.id);
            if (ok) {
                auto [it, inserted] = host_line.emplace(h.id, row.line);
                if (!inserted) {
                    errors.add(hosts_name, row.line, "id",
                               "duplicate id " + in_quotes(h.id) + " (first on line " +
                                   std::to_string(it->second) + ")");
                    ok = false;
                }
            }
            for (int d = 0; d < model::kDims; ++d) {
                const std::string col = model::kDimNames[static_cast<size_t>(d)];
                auto q = quantity(c, col, cols.get(row, col), true, true);
                if (!q) {
                    ok = false;
                    continue;
                }
                h.capacity[d] =
                    scale_decimal(*q, model::kUnitFactor[static_cast<size_t>(d)], Rounding::kDown);
                if (auto p = capacity_problem(h.capacity[d], d)) {
                    errors.add(hosts_name, row.line, col, *p);
                    ok = false;
                }
            }
            if (auto s = cols.get(row, "state")) {
                auto st = model::parse_host_state(trimmed(*s));
                if (!st) {
                    errors.add(hosts_name, row.line, "state",
                               "unknown state " + in_quotes(std::string(*s)) +
                                   " (valid: active, maintenance, off)");
                    ok = false;
                } else {
                    h.state = *st;
                }
            }
            for (const char* col : {"power_idle_w", "power_max_w"}) {
                auto q = quantity(c, col, cols.get(row, col), false, false);
                if (q)
                    (std::string(col) == "power_idle_w" ? h.power_idle_w : h.power_max_w) =
                        q->value;
            }
            if (h.power_idle_w && h.power_max_w && *h.power_idle_w > *h.power_max_w) {
                errors.add(hosts_name, row.line, "power_idle_w", "greater than power_max_w");
                ok = false;
            }
            if (auto s = cols.get(row, "rack")) h.rack = std::string(*s);
            if (auto s = cols.get(row, "site")) h.site = std::string(*s);
            if (auto s = cols.get(row, "address"); s && !s->empty()) {
                if (auto fault = address_fault(*s)) {
                    errors.add(hosts_name, row.line, "address", *fault + ": " + in_quotes(*s));
                    ok = false;
                }
                h.address = std::string(*s);
            }
            if (ok) fleet.hosts.push_back(std::move(h));
        }
        if (!errors.empty()) return tl::unexpected(errors.to_error());
    }
    fleet.index();

    out.hosts_digest = fnv1a64(hosts_text);
    return out;
}

Result<FleetLoad> load_fleet(const std::string& hosts_path, const std::string& vms_path,
                             const VmRowFilter& keep) {
    auto hosts = read_file(hosts_path);
    if (!hosts) return tl::unexpected(hosts.error());
    auto vms = read_file(vms_path);
    if (!vms) return tl::unexpected(vms.error());
    return parse_fleet(*hosts, hosts_path, *vms, vms_path, keep);
}

namespace {
std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}
}  // namespace

Result<std::vector<std::string>> read_missing_hosts(const std::string& path,
                                                    const model::Fleet& hosts) {
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    auto table = parse_csv(*text, path);
    if (!table) return tl::unexpected(table.error());
    auto col = std::find(table->header.begin(), table->header.end(), "host");
    if (col == table->header.end()) return bad_input(path + ":1:header: no column 'host'");
    const auto k = static_cast<size_t>(col - table->header.begin());
    ErrorList errors;
    std::vector<std::string> ids;
    for (const CsvRow& row : table->rows) {
        const std::string& id = row.fields[k];
        if (!hosts.host_index(id))
            errors.add(path, row.line, "host", "unknown host " + in_quotes(id));
        else
            ids.push_back(id);
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
}

void exclude_hosts(model::Fleet& fleet, const std::vector<std::string>& sorted_ids) {
    FP_ASSERT(fleet.vms.empty());  // before VM rows refer to host indices
    std::erase_if(fleet.hosts, [&](const model::Host& h) {
        return std::binary_search(sorted_ids.begin(), sorted_ids.end(), h.id);
    });
    fleet.index();
}

std::string hosts_csv(const model::Fleet& fleet) {
    std::string out = "id,cpu,mem,net,rack,site,state,power_idle_w,power_max_w,address\n";
    for (const auto& h : fleet.hosts) {
        out += csv_field(h.id) + "," + format_scaled(h.capacity[model::kCpu], 1000) + "," +
               format_scaled(h.capacity[model::kMem], 1024) + "," +
               format_scaled(h.capacity[model::kNet], 1000) + "," + csv_field(h.rack) + "," +
               csv_field(h.site) + "," + std::string(model::to_string(h.state)) + "," +
               (h.power_idle_w ? num(*h.power_idle_w) : "") + "," +
               (h.power_max_w ? num(*h.power_max_w) : "") + "," + csv_field(h.address) + "\n";
    }
    return out;
}

std::string vms_csv(const model::Fleet& fleet) {
    std::string out =
        "id,host,cpu,mem,net,mem_size,disk,dirty_rate,group,anti_group,cpu_alloc,mem_alloc\n";
    for (const auto& vm : fleet.vms) {
        out += csv_field(vm.id) + "," +
               (vm.is_new() ? "" : csv_field(fleet.hosts[static_cast<size_t>(vm.host)].id)) + "," +
               format_scaled(vm.demand[model::kCpu], 1000) + "," +
               format_scaled(vm.demand[model::kMem], 1024) + "," +
               format_scaled(vm.demand[model::kNet], 1000) + "," +
               format_scaled(vm.mem_size_kib, 1024) + "," + format_scaled(vm.disk_kib, 1024) + "," +
               num(vm.dirty_rate_mibps) + "," + csv_field(vm.group) + "," +
               csv_field(vm.anti_group) + "," +
               (vm.cpu_alloc_millicores ? format_scaled(*vm.cpu_alloc_millicores, 1000) : "") +
               "," + (vm.mem_alloc_kib ? format_scaled(*vm.mem_alloc_kib, 1024) : "") + "\n";
    }
    return out;
}

}  // namespace fp::io
