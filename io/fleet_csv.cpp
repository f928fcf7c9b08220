#include "io/fleet_csv.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <optional>
#include <unordered_map>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"

namespace fp::io {
namespace {

constexpr double kMaxQuantity = 1e9;
constexpr size_t kMaxIdBytes = 256;

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
            if (index_.count(name)) {
                errors.add(t.file, 1, name, "duplicate column '" + name + "'");
                continue;
            }
            index_[name] = i;
            bool known = false;
            for (const auto& r : required) known |= r == name;
            for (const auto& o : optional) known |= o == name;
            if (!known) unknown.push_back(name);
        }
        for (const auto& r : required)
            if (!index_.count(r)) errors.add(t.file, 1, r, "missing required column '" + r + "'");
        if (!unknown.empty()) {
            std::string list;
            for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
            warnings.push_back(t.file + ":1: ignoring unknown column(s): " + list);
        }
    }
    // The field, or nullopt when the column is absent.
    std::optional<std::string_view> get(const CsvRow& row, const std::string& col) const {
        auto it = index_.find(col);
        if (it == index_.end()) return std::nullopt;
        return std::string_view(row.fields[it->second]);
    }

  private:
    const CsvTable& table_;
    std::map<std::string, size_t> index_;
};

struct FieldCtx {
    const std::string& file;
    int64_t line;
    ErrorList& errors;
};

// A required or optional non-negative quantity; `positive` rejects 0.
std::optional<Decimal> quantity(const FieldCtx& c, const std::string& col,
                                std::optional<std::string_view> text, bool required,
                                bool positive) {
    if (!text) return std::nullopt;
    Decimal d;
    const DecimalStatus st = parse_decimal(*text, kMaxQuantity, d);
    if (st == DecimalStatus::kEmpty) {
        if (required) c.errors.add(c.file, c.line, col, "missing value");
        return std::nullopt;
    }
    if (st != DecimalStatus::kOk) {
        std::string what = describe(st);
        if (st == DecimalStatus::kOutOfRange) what += " (at most 1e9)";
        c.errors.add(c.file, c.line, col, what + ": '" + std::string(*text) + "'");
        return std::nullopt;
    }
    if (positive && d.digits == 0 && !d.tail_nonzero) {
        c.errors.add(c.file, c.line, col, "must be greater than 0");
        return std::nullopt;
    }
    return d;
}

bool check_id(const FieldCtx& c, const std::string& col, std::string_view id) {
    if (id.empty()) {
        c.errors.add(c.file, c.line, col, "missing value");
        return false;
    }
    if (id.size() > kMaxIdBytes) {
        c.errors.add(c.file, c.line, col, "id longer than 256 bytes");
        return false;
    }
    return true;
}

std::string trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return std::string(s);
}

}  // namespace

Result<FleetLoad> parse_fleet(std::string_view hosts_text, const std::string& hosts_name,
                              std::string_view vms_text, const std::string& vms_name) {
    FleetLoad out;
    model::Fleet& fleet = out.fleet;
    auto hosts_table = parse_csv(hosts_text, hosts_name);
    if (!hosts_table) return tl::unexpected(hosts_table.error());
    ErrorList errors;
    std::unordered_map<std::string, int64_t> host_line;
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
                               "duplicate id '" + h.id + "' (first on line " +
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
                if (h.capacity[d] <= 0) {
                    errors.add(hosts_name, row.line, col, "capacity rounds down to 0");
                    ok = false;
                }
            }
            if (auto s = cols.get(row, "state")) {
                auto st = model::parse_host_state(trimmed(*s));
                if (!st) {
                    errors.add(hosts_name, row.line, "state",
                               "unknown state '" + std::string(*s) +
                                   "' (valid: active, maintenance, off)");
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
            if (auto s = cols.get(row, "address")) h.address = std::string(*s);
            if (ok) fleet.hosts.push_back(std::move(h));
        }
        if (!errors.empty()) return tl::unexpected(errors.to_error());
    }
    fleet.index();

    auto vms_table = parse_csv(vms_text, vms_name);
    if (!vms_table) return tl::unexpected(vms_table.error());
    std::unordered_map<std::string, int64_t> vm_line;
    {
        Columns cols(
            *vms_table, {"id", "host", "cpu", "mem", "net"},
            {"mem_size", "disk", "dirty_rate", "group", "anti_group", "cpu_alloc", "mem_alloc"},
            errors, out.warnings);
        if (!errors.empty()) return tl::unexpected(errors.to_error());
        for (const CsvRow& row : vms_table->rows) {
            if (errors.full()) {
                errors.mark_truncated();
                break;
            }
            FieldCtx c{vms_name, row.line, errors};
            model::Vm vm;
            vm.id = std::string(*cols.get(row, "id"));
            bool ok = check_id(c, "id", vm.id);
            if (ok) {
                auto [it, inserted] = vm_line.emplace(vm.id, row.line);
                if (!inserted) {
                    errors.add(vms_name, row.line, "id",
                               "duplicate id '" + vm.id + "' (first on line " +
                                   std::to_string(it->second) + ")");
                    ok = false;
                }
            }
            const std::string host = std::string(*cols.get(row, "host"));
            if (!host.empty()) {
                auto h = fleet.host_index(host);
                if (!h) {
                    errors.add(vms_name, row.line, "host", "unknown host '" + host + "'");
                    ok = false;
                } else if (fleet.hosts[static_cast<size_t>(*h)].state == model::HostState::kOff) {
                    errors.add(vms_name, row.line, "host",
                               "host '" + host + "' is off but the VM is placed on it");
                    ok = false;
                } else {
                    vm.host = *h;
                }
            }
            for (int d = 0; d < model::kDims; ++d) {
                const std::string col = model::kDimNames[static_cast<size_t>(d)];
                auto q = quantity(c, col, cols.get(row, col), true, false);
                if (!q) {
                    ok = false;
                    continue;
                }
                vm.demand[d] =
                    scale_decimal(*q, model::kUnitFactor[static_cast<size_t>(d)], Rounding::kUp);
            }
            auto kib = [&](const char* col, int64_t fallback) -> int64_t {
                auto q = quantity(c, col, cols.get(row, col), false, false);
                if (!q) return fallback;
                return scale_decimal(*q, 1024, Rounding::kUp);
            };
            vm.mem_size_kib = kib("mem_size", vm.demand[model::kMem]);
            vm.disk_kib = kib("disk", 0);
            if (auto q = quantity(c, "dirty_rate", cols.get(row, "dirty_rate"), false, false))
                vm.dirty_rate_mibps = q->value;
            if (auto q = quantity(c, "cpu_alloc", cols.get(row, "cpu_alloc"), false, false))
                vm.cpu_alloc_millicores = scale_decimal(*q, 1000, Rounding::kUp);
            if (auto q = quantity(c, "mem_alloc", cols.get(row, "mem_alloc"), false, false))
                vm.mem_alloc_kib = scale_decimal(*q, 1024, Rounding::kUp);
            if (auto s = cols.get(row, "group")) vm.group = std::string(*s);
            if (auto s = cols.get(row, "anti_group")) vm.anti_group = std::string(*s);
            if (ok) fleet.vms.push_back(std::move(vm));
        }
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    fleet.index();
    return out;
}

Result<FleetLoad> load_fleet(const std::string& hosts_path, const std::string& vms_path) {
    auto hosts = read_file(hosts_path);
    if (!hosts) return tl::unexpected(hosts.error());
    auto vms = read_file(vms_path);
    if (!vms) return tl::unexpected(vms.error());
    return parse_fleet(*hosts, hosts_path, *vms, vms_path);
}

namespace {
std::string num(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
}
}  // namespace

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
