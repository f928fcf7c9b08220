#include "src/dist/cli.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>

#include "io/csv.hpp"
#include "src/util/text.hpp"

namespace fp::dist {

FlagSpec& FlagSpec::value(const std::string& name, const std::string& placeholder,
                          const std::string& help) {
    with_value.insert(name);
    docs.push_back({name, placeholder, help});
    return *this;
}

FlagSpec& FlagSpec::flag(const std::string& name, const std::string& help) {
    boolean.insert(name);
    docs.push_back({name, "", help});
    return *this;
}

std::string FlagSpec::help() const {
    // Help texts start in one column; a flag wider than kMaxLeft puts its text on the next line.
    constexpr size_t kMaxLeft = 28;
    auto left = [](const FlagDoc& d) {
        return "--" + d.name + (d.value.empty() ? "" : " " + d.value);
    };
    size_t width = 0;
    for (const FlagDoc& d : docs)
        if (left(d).size() <= kMaxLeft) width = std::max(width, left(d).size());
    const std::string indent(2 + width + 2, ' ');
    std::string out;
    for (const FlagDoc& d : docs) {
        const std::string l = left(d);
        out += "  " + l;
        if (l.size() > width) {
            out += "\n" + indent;
        } else {
            out += std::string(width - l.size() + 2, ' ');
        }
        for (char c : d.help) {
            out += c;
            if (c == '\n') out += indent;
        }
        out += "\n";
    }
    return out;
}

bool wants_help(const std::vector<std::string>& argv) {
    return std::any_of(argv.begin(), argv.end(),
                       [](const std::string& a) { return a == "--help" || a == "-h"; });
}

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
            // The valid flags, so a script (and the help test) can see what the parser accepts.
            std::set<std::string> all = spec.with_value;
            all.insert(spec.boolean.begin(), spec.boolean.end());
            std::string valid;
            for (const std::string& f : all) valid += (valid.empty() ? "--" : ", --") + f;
            return bad_input("unknown option --" + printable(name) +
                             " (valid: " + (valid.empty() ? "none" : valid) + "; see --help)");
        }
    }
    return a;
}

}  // namespace fp::dist
