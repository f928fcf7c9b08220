#include "io/traffic_csv.hpp"

#include <algorithm>
#include <map>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {

std::optional<TrafficColumns> traffic_columns(const std::vector<std::string>& header,
                                              const std::string& name, ErrorList& errors) {
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
    bool ok = true;
    for (const char* c : {"vm_a", "vm_b", "mbps"})
        if (!col.count(c)) {
            errors.add(name, 1, c, std::string("missing required column '") + c + "'");
            ok = false;
        }
    if (!ok) return std::nullopt;
    return TrafficColumns{col["vm_a"], col["vm_b"], col["mbps"]};
}

std::optional<TrafficRow> parse_traffic_row(const CsvRow& row, const TrafficColumns& columns,
                                            const std::string& name, const VmLookup* index,
                                            ErrorList& errors) {
    TrafficRow out;
    std::optional<int32_t> ends[2];
    bool ok = true;
    for (int k = 0; k < 2; ++k) {
        const char* c = k == 0 ? "vm_a" : "vm_b";
        const std::string& id = row.fields[k == 0 ? columns.vm_a : columns.vm_b];
        (k == 0 ? out.vm_a : out.vm_b) = id;
        if (id.empty()) {
            errors.add(name, row.line, c, "missing value");
            ok = false;
        } else if (index && !(ends[k] = (*index)(id))) {
            errors.add(name, row.line, c, "unknown VM " + in_quotes(id));
            ok = false;
        }
    }
    Decimal d;
    const std::string& mbps = row.fields[columns.mbps];
    const DecimalStatus st = parse_decimal(mbps, 1e9, d);
    if (st != DecimalStatus::kOk) {
        errors.add(name, row.line, "mbps", describe(st) + ": " + in_quotes(mbps));
        ok = false;
    }
    if (!ok) return std::nullopt;
    if (index ? ends[0] == ends[1] : out.vm_a == out.vm_b) {
        errors.add(name, row.line, "vm_b", "a VM cannot talk to itself");
        return std::nullopt;
    }
    out.mbps = d.value;
    return out;
}

Result<model::Traffic> parse_traffic(std::string_view text, const std::string& name,
                                     const model::Fleet& fleet) {
    auto table = parse_csv(text, name);
    if (!table) return tl::unexpected(table.error());
    ErrorList errors;
    const auto columns = traffic_columns(table->header, name, errors);
    if (!columns) return tl::unexpected(errors.to_error());
    const VmLookup index = [&](const std::string& id) { return fleet.vm_index(id); };
    model::Traffic t;
    t.neighbours.resize(fleet.vms.size());
    std::map<std::pair<int32_t, int32_t>, int64_t> seen;  // pair → line
    for (const CsvRow& row : table->rows) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        auto r = parse_traffic_row(row, *columns, name, &index, errors);
        if (!r) continue;
        const int32_t a = *fleet.vm_index(std::string(r->vm_a));
        const int32_t b = *fleet.vm_index(std::string(r->vm_b));
        const auto key = std::minmax(a, b);
        auto [it, inserted] = seen.emplace(std::pair{key.first, key.second}, row.line);
        if (!inserted) {
            errors.add(name, row.line, "vm_b",
                       "duplicate pair (first on line " + std::to_string(it->second) + ")");
            continue;
        }
        t.neighbours[static_cast<size_t>(a)].push_back({b, r->mbps});
        t.neighbours[static_cast<size_t>(b)].push_back({a, r->mbps});
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    for (auto& n : t.neighbours)
        std::sort(n.begin(), n.end(), [](const model::TrafficEdge& a, const model::TrafficEdge& b) {
            return a.vm < b.vm;
        });
    return t;
}

Result<model::Traffic> load_traffic(const std::string& path, const model::Fleet& fleet) {
    auto text = read_file(path);
    if (!text) return tl::unexpected(text.error());
    return parse_traffic(*text, path, fleet);
}

}  // namespace fp::io
