#include "src/util/duration.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace fp {

std::optional<double> parse_duration(const std::string& text) {
    if (text.empty() || text.size() > 64) return std::nullopt;
    double total = 0;
    size_t i = 0;
    while (i < text.size()) {
        const size_t start = i;
        while (i < text.size() && ((text[i] >= '0' && text[i] <= '9') || text[i] == '.')) ++i;
        if (i == start) return std::nullopt;
        const std::string number = text.substr(start, i - start);
        char* end = nullptr;
        const double v = std::strtod(number.c_str(), &end);
        if (end != number.c_str() + number.size() || !std::isfinite(v)) return std::nullopt;
        double unit = 1;
        if (i < text.size()) {
            switch (text[i]) {
                case 's':
                    unit = 1;
                    break;
                case 'm':
                    unit = 60;
                    break;
                case 'h':
                    unit = 3600;
                    break;
                case 'd':
                    unit = 86400;
                    break;
                default:
                    return std::nullopt;
            }
            ++i;
        } else if (start != 0) {
            return std::nullopt;  // "1h30": a trailing number needs its unit
        }
        total += v * unit;
    }
    if (!(total >= 0) || total > 10.0 * 365 * 86400) return std::nullopt;
    return total;
}

std::string format_duration(double s) {
    if (s >= 3600) {
        const auto m = static_cast<long long>(s / 60 + 0.5);
        return std::to_string(m / 60) + " h " + std::to_string(m % 60) + " min";
    }
    if (s >= 60) {
        const auto r = static_cast<long long>(s + 0.5);
        return std::to_string(r / 60) + " min " + std::to_string(r % 60) + " s";
    }
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", s);
    return buf;
}

}  // namespace fp
