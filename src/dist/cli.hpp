// Command-line parsing: `--flag VALUE`, `--flag=VALUE` and boolean `--flag`. Unknown flags,
// missing values and repeated flags are usage errors (exit code 2). A command declares each flag
// once, with its one-line help (FlagSpec::value, FlagSpec::flag): the parser accepts what is
// declared and the command's --help lists it from the same declaration, so they cannot drift.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/util/result.hpp"

namespace fp::dist {

// One flag as --help shows it: name (without --), value placeholder (empty: a boolean flag) and
// help text (further lines after '\n').
struct FlagDoc {
    std::string name;
    std::string value;
    std::string help;
};

struct FlagSpec {
    std::set<std::string> with_value;
    std::set<std::string> boolean;
    std::vector<FlagDoc> docs;  // in the order --help lists them

    // Declares `--name PLACEHOLDER` (a flag with a value) or boolean `--name`, with its help.
    FlagSpec& value(const std::string& name, const std::string& placeholder,
                    const std::string& help);
    FlagSpec& flag(const std::string& name, const std::string& help);
    // The lines of --help that list the flags, in declaration order, the help texts aligned.
    std::string help() const;
};

// Whether argv asks for help: `--help` or `-h` anywhere.
bool wants_help(const std::vector<std::string>& argv);

class Args {
  public:
    std::optional<std::string> get(const std::string& flag) const;
    bool has(const std::string& flag) const { return values_.count(flag) != 0; }
    const std::vector<std::string>& positional() const { return positional_; }

    Result<std::optional<int64_t>> get_int(const std::string& flag, int64_t min, int64_t max) const;
    Result<std::optional<double>> get_double(const std::string& flag, double min, double max) const;

    friend Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec);

  private:
    std::map<std::string, std::string> values_;
    std::vector<std::string> positional_;
};

Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec);

}  // namespace fp::dist
