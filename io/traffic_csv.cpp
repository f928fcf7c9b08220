#include "io/traffic_csv.hpp"

#include <algorithm>
#include <map>

#include "io/csv.hpp"
#include "src/util/decimal.hpp"
#include "src/util/text.hpp"

namespace fp::io {

Result<model::Traffic> parse_traffic(std::string_view text, const std::string& name,
                                     const model::Fleet& fleet) {
    auto table = parse_csv(text, name);
    if (!table) return tl::unexpected(table.error());
    ErrorList errors;
    std::map<std::string, size_t> col;
    for (size_t i = 0; i < table->header.size(); ++i) col[table->header[i]] = i;
    for (const char* c : {"vm_a", "vm_b", "mbps"})
        if (!col.count(c))
            errors.add(name, 1, c, std::string("missing required column '") + c + "'");
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    model::Traffic t;
    t.neighbours.resize(fleet.vms.size());
    std::map<std::pair<int32_t, int32_t>, int64_t> seen;  // pair → line
    for (const CsvRow& row : table->rows) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        int32_t ends[2] = {-1, -1};
        bool ok = true;
        for (int k = 0; k < 2; ++k) {
            const char* c = k == 0 ? "vm_a" : "vm_b";
            const std::string& id = row.fields[col[c]];
            auto v = fleet.vm_index(id);
            if (id.empty()) {
                errors.add(name, row.line, c, "missing value");
                ok = false;
            } else if (!v) {
                errors.add(name, row.line, c, "unknown VM " + in_quotes(id));
                ok = false;
            } else {
                ends[k] = *v;
            }
        }
        Decimal d;
        const std::string& mbps = row.fields[col["mbps"]];
        const DecimalStatus st = parse_decimal(mbps, 1e9, d);
        if (st != DecimalStatus::kOk) {
            errors.add(name, row.line, "mbps", describe(st) + ": " + in_quotes(mbps));
            ok = false;
        }
        if (!ok) continue;
        if (ends[0] == ends[1]) {
            errors.add(name, row.line, "vm_b", "a VM cannot talk to itself");
            continue;
        }
        const auto key = std::minmax(ends[0], ends[1]);
        auto [it, inserted] = seen.emplace(std::pair{key.first, key.second}, row.line);
        if (!inserted) {
            errors.add(name, row.line, "vm_b",
                       "duplicate pair (first on line " + std::to_string(it->second) + ")");
            continue;
        }
        t.neighbours[static_cast<size_t>(ends[0])].push_back({ends[1], d.value});
        t.neighbours[static_cast<size_t>(ends[1])].push_back({ends[0], d.value});
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
