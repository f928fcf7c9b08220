#include "src/dist/cli.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <set>

#include "io/csv.hpp"
#include "src/util/assert.hpp"
#include "src/util/text.hpp"

namespace fp::dist {
namespace {

std::string range_text(const FlagDoc& d) {
    if (d.kind == FlagDoc::Kind::kInteger)
        return "[" + std::to_string(d.int_min) + ", " + std::to_string(d.int_max) + "]";
    return "[" + io::format_double("%.10g", d.real_min) + ", " +
           io::format_double("%.10g", d.real_max) + "]";
}

// The range as --help shows it: "[MIN, MAX]", "(at least MIN)" when only the minimum bounds it,
// nothing for a text flag or any non-negative integer (a seed, a budget).
std::string range_help(const FlagDoc& d) {
    if (d.kind == FlagDoc::Kind::kInteger && d.int_max == INT64_MAX)
        return d.int_min == 0 ? "" : "(at least " + std::to_string(d.int_min) + ")";
    if (d.kind == FlagDoc::Kind::kInteger || d.kind == FlagDoc::Kind::kReal) return range_text(d);
    return "";
}

// The check of a ranged flag's value; empty when it is valid. CLI11 prefixes "--name: ".
std::string check_number(const FlagDoc& d, const std::string& v) {
    if (d.kind == FlagDoc::Kind::kInteger) {
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (v.empty() || *end != '\0' || errno != 0)
            return "expected an integer, got " + in_quotes(v);
        if (x < d.int_min || x > d.int_max)
            return printable(v) + " is out of range " + range_text(d);
        return "";
    }
    char* end = nullptr;
    const double x = std::strtod(v.c_str(), &end);
    if (v.empty() || *end != '\0' || !std::isfinite(x))
        return "expected a finite number, got " + in_quotes(v);
    if (x < d.real_min || x > d.real_max) return printable(v) + " is out of range " + range_text(d);
    return "";
}

// The flag a CLI11 message begins with ("--out: 1 required ...", "--out is required"), without
// its dashes; empty when there is none.
std::string leading_flag(const std::string& msg) {
    if (msg.rfind("--", 0) != 0) return "";
    const size_t end = msg.find_first_of(": ", 2);
    return msg.substr(2, end == std::string::npos ? std::string::npos : end - 2);
}

}  // namespace

FlagDoc& FlagSpec::last() {
    FP_ASSERT(!docs_.empty());
    return docs_.back();
}

const FlagDoc* FlagSpec::find(const std::string& name) const {
    for (const FlagDoc& d : docs_)
        if (d.name == name) return &d;
    return nullptr;
}

FlagSpec& FlagSpec::value(const std::string& name, const std::string& placeholder,
                          const std::string& help) {
    FP_ASSERT(!placeholder.empty() && find(name) == nullptr);
    FlagDoc d;
    d.name = name;
    d.value = placeholder;
    d.help = help;
    docs_.push_back(std::move(d));
    return *this;
}

FlagSpec& FlagSpec::flag(const std::string& name, const std::string& help) {
    FP_ASSERT(find(name) == nullptr);
    FlagDoc d;
    d.name = name;
    d.help = help;
    d.kind = FlagDoc::Kind::kBoolean;
    docs_.push_back(std::move(d));
    return *this;
}

FlagSpec& FlagSpec::int_range(int64_t min, int64_t max) {
    FlagDoc& d = last();
    FP_ASSERT(d.kind == FlagDoc::Kind::kText && min <= max);
    d.kind = FlagDoc::Kind::kInteger;
    d.int_min = min;
    d.int_max = max;
    return *this;
}

FlagSpec& FlagSpec::real_range(double min, double max) {
    FlagDoc& d = last();
    FP_ASSERT(d.kind == FlagDoc::Kind::kText && min <= max);
    d.kind = FlagDoc::Kind::kReal;
    d.real_min = min;
    d.real_max = max;
    return *this;
}

FlagSpec& FlagSpec::required() {
    last().required = true;
    return *this;
}

FlagSpec& FlagSpec::excludes(std::vector<std::string> others, std::string reason) {
    FlagDoc& d = last();
    d.excludes.insert(d.excludes.end(), others.begin(), others.end());
    d.excludes_reason = std::move(reason);
    return *this;
}

std::string FlagSpec::help() const {
    // Help texts start in one column; a flag wider than kMaxLeft puts its text on the next line.
    constexpr size_t kMaxLeft = 28;
    auto left = [](const FlagDoc& d) {
        return "--" + d.name + (d.value.empty() ? "" : " " + d.value);
    };
    size_t width = 0;
    for (const FlagDoc& d : docs_)
        if (left(d).size() <= kMaxLeft) width = std::max(width, left(d).size());
    const std::string indent(2 + width + 2, ' ');
    std::string out;
    for (const FlagDoc& d : docs_) {
        const std::string l = left(d);
        out += "  " + l;
        if (l.size() > width) {
            out += "\n" + indent;
        } else {
            out += std::string(width - l.size() + 2, ' ');
        }
        // The declared range and requirement: on the text's last line when they still fit in
        // 100 columns, else on a line of their own.
        std::string text = d.help;
        std::string extra = range_help(d);
        if (d.required) extra += std::string(extra.empty() ? "" : " ") + "(required)";
        if (!extra.empty()) {
            const size_t last_line = text.size() - (text.rfind('\n') + 1);  // npos + 1 == 0
            text += (indent.size() + last_line + 1 + extra.size() <= 100 ? " " : "\n") + extra;
        }
        for (char c : text) {
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

std::optional<int64_t> Args::get_int(const std::string& flag) const {
    const auto kind = kinds_.find(flag);
    FP_ASSERT(kind != kinds_.end() && kind->second == FlagDoc::Kind::kInteger);
    auto v = get(flag);
    if (!v) return std::nullopt;
    return static_cast<int64_t>(std::strtoll(v->c_str(), nullptr, 10));  // checked by parse_args
}

std::optional<double> Args::get_double(const std::string& flag) const {
    const auto kind = kinds_.find(flag);
    FP_ASSERT(kind != kinds_.end() && kind->second == FlagDoc::Kind::kReal);
    auto v = get(flag);
    if (!v) return std::nullopt;
    return std::strtod(v->c_str(), nullptr);  // checked by parse_args
}

Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec) {
    const std::string prefix = spec.command().empty() ? "" : spec.command() + ": ";
    auto usage_error = [&](const std::string& msg) { return bad_input(prefix + msg); };

    // CLI11 does the parsing: each declared flag takes every occurrence (a repeat is reported
    // below, by name), a ranged one checks its values, and the exclusions are CLI11's.
    CLI::App app;
    app.set_help_flag();  // --help is the command's (wants_help), before any parsing
    app.allow_extras();   // unknown flags are kept, so the message can name and list them
    Args a;
    std::map<std::string, CLI::Option*> options;
    for (const FlagDoc& d : spec.docs()) {
        CLI::Option* o = d.kind == FlagDoc::Kind::kBoolean
                             ? app.add_flag("--" + d.name)
                             : app.add_option("--" + d.name)->expected(1);
        o->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
        if (d.kind == FlagDoc::Kind::kInteger || d.kind == FlagDoc::Kind::kReal)
            o->check(CLI::Validator([&d](std::string& v) { return check_number(d, v); }, "", ""));
        if (d.required) o->required();
        options[d.name] = o;
        a.kinds_[d.name] = d.kind;
    }
    for (const FlagDoc& d : spec.docs())
        for (const std::string& other : d.excludes) {
            FP_ASSERT(options.count(other) != 0 && other != d.name);
            options[d.name]->excludes(options[other]);
        }
    app.add_option("positional", a.positional_);

    // The reason two flags exclude each other, in either order ("--a excludes --b").
    auto exclusion = [&](const std::string& msg) -> std::string {
        const std::string x = leading_flag(msg);
        const size_t at = msg.rfind(" --");
        const std::string y = at == std::string::npos ? "" : msg.substr(at + 3);
        for (const auto& [by, other] : {std::pair{x, y}, std::pair{y, x}}) {
            const FlagDoc* d = spec.find(by);
            if (d && std::find(d->excludes.begin(), d->excludes.end(), other) != d->excludes.end())
                return "--" + other + " cannot be combined with --" + by + " (" +
                       d->excludes_reason + ")";
        }
        return msg;
    };
    // CLI11 throws for the first of its errors; an unknown flag, a repeated one and a value to a
    // boolean flag are reported before it (what CLI11 holds is complete up to its error).
    std::optional<std::string> cli11_error;
    std::vector<std::string> reversed(argv.rbegin(), argv.rend());  // CLI11 pops from the back
    try {
        app.parse(reversed);
    } catch (const CLI::ExcludesError& e) {
        cli11_error = exclusion(e.what());
    } catch (const CLI::ValidationError& e) {
        cli11_error = e.what();  // "--name: " + check_number's text
    } catch (const CLI::RequiredError& e) {
        const FlagDoc* d = spec.find(leading_flag(e.what()));
        cli11_error = d ? "--" + d->name + " " + d->value + " is required" : e.what();
    } catch (const CLI::ArgumentMismatch& e) {
        // A value flag at the end of the line, or as --name= with nothing after the '='.
        const FlagDoc* d = spec.find(leading_flag(e.what()));
        cli11_error = d ? "--" + d->name + " needs a value" : e.what();
    } catch (const CLI::ParseError& e) {
        cli11_error = e.what();
    }
    for (const std::string& s : app.remaining()) {
        if (s == "--") continue;  // the end of the flags (CLI11 keeps the mark)
        // The valid flags, so a script (and the help test) can see what the parser accepts.
        std::set<std::string> all;
        for (const FlagDoc& d : spec.docs()) all.insert(d.name);
        std::string valid;
        for (const std::string& f : all) valid += (valid.empty() ? "--" : ", --") + f;
        const std::string name = s.substr(0, s.find('='));
        return usage_error("unknown option " + printable(name) +
                           " (valid: " + (valid.empty() ? "none" : valid) + "; see --help)");
    }
    for (const FlagDoc& d : spec.docs()) {
        const CLI::Option* o = options[d.name];
        if (o->count() == 0) continue;
        if (o->count() > 1) return usage_error("--" + d.name + " given more than once");
        const std::string& v = o->results().front();
        // CLI11 lets a flag take a value (--json=false); ours take none.
        if (d.kind == FlagDoc::Kind::kBoolean && v != "true")
            return usage_error("--" + d.name + " takes no value");
        a.values_[d.name] = d.kind == FlagDoc::Kind::kBoolean ? "1" : v;
    }
    if (cli11_error) return usage_error(*cli11_error);
    return a;
}

}  // namespace fp::dist
