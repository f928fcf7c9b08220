#include "io/sim_input.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/history.hpp"

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
        std::vector<std::string> seen;
        while (start < text->size()) {
            size_t end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            ++line;
            std::string name = text->substr(start, end - start);
            start = end + 1;
            if (!name.empty() && name.back() == '\r') name.pop_back();
            if (name.empty()) continue;
            if (name.find('/') != std::string::npos || name == "." || name == "..") {
                errors.add(*order_file, line, "name", "not a file name: '" + name + "'");
                continue;
            }
            day.names.push_back(name);
        }
        std::vector<std::string> sorted = day.names;
        std::sort(sorted.begin(), sorted.end());
        const auto dup = std::adjacent_find(sorted.begin(), sorted.end());
        if (dup != sorted.end())
            errors.add(*order_file, 1, "name", "'" + *dup + "' is listed twice");
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

}  // namespace fp::io
