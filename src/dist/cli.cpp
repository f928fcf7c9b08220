#include "src/dist/cli.hpp"

#include <cmath>
#include <cstdlib>

#include "io/csv.hpp"
#include "src/util/text.hpp"

namespace fp::dist {

std::optional<std::string> Args::get(const std::string& flag) const {
    auto it = values_.find(flag);
    if (it == values_.end()) return std::nullopt;
    return it->second;
}

Result<std::optional<int64_t>> Args::get_int(const std::string& flag, int64_t min,
                                             int64_t max) const {
    auto v = get(flag);
    if (!v) return std::optional<int64_t>();
    char* end = nullptr;
    errno = 0;
    const long long x = std::strtoll(v->c_str(), &end, 10);
    if (v->empty() || *end != '\0' || errno != 0)
        return bad_input("--" + flag + ": expected an integer, got " + in_quotes(*v));
    if (x < min || x > max)
        return bad_input("--" + flag + ": " + printable(*v) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
    return std::optional<int64_t>(x);
}

Result<std::optional<double>> Args::get_double(const std::string& flag, double min,
                                               double max) const {
    auto v = get(flag);
    if (!v) return std::optional<double>();
    char* end = nullptr;
    const double x = std::strtod(v->c_str(), &end);
    if (v->empty() || *end != '\0' || !std::isfinite(x))
        return bad_input("--" + flag + ": expected a finite number, got " + in_quotes(*v));
    if (x < min || x > max)
        return bad_input("--" + flag + ": " + printable(*v) + " is out of range [" +
                         io::format_double("%g", min) + ", " + io::format_double("%g", max) + "]");
    return std::optional<double>(x);
}

Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec) {
    Args a;
    for (size_t i = 0; i < argv.size(); ++i) {
        const std::string& s = argv[i];
        if (s.rfind("--", 0) != 0 || s == "--") {
            a.positional_.push_back(s);
            continue;
        }
        std::string name = s.substr(2);
        std::optional<std::string> value;
        if (auto eq = name.find('='); eq != std::string::npos) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (a.values_.count(name)) return bad_input("--" + name + " given more than once");
        if (spec.with_value.count(name)) {
            if (!value) {
                if (i + 1 >= argv.size()) return bad_input("--" + name + " needs a value");
                value = argv[++i];
            }
            a.values_[name] = *value;
        } else if (spec.boolean.count(name)) {
            if (value) return bad_input("--" + name + " takes no value");
            a.values_[name] = "1";
        } else {
            return bad_input("unknown option --" + printable(name) + " (see --help)");
        }
    }
    return a;
}

}  // namespace fp::dist
