// Command-line parsing: `--flag VALUE`, `--flag=VALUE` and boolean `--flag`, parsed by CLI11
// (Debian's libcli11-dev, header-only; only cli.cpp includes it). A command declares each flag
// once (FlagSpec::value, FlagSpec::flag) with its help and, where it has them, its range, whether
// it is required and which flags it excludes: the parser enforces what is declared and the
// command's --help lists it from the same declaration, so they cannot drift.
// Usage errors are bad input (exit code 2) in the contract's style, `COMMAND: what`: an unknown
// flag (the message lists the valid ones), a missing value, a flag given twice, a value to a
// boolean flag, a number that does not parse or lies out of its declared range, a missing
// required flag, two flags that exclude each other. `--` ends the flags (what follows is
// positional). Thread-safety: a FlagSpec is a value; parse_args has no shared state.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "src/util/result.hpp"

namespace fp::dist {

// One declared flag.
struct FlagDoc {
    enum class Kind { kText, kInteger, kReal, kBoolean };
    std::string name;   // without --
    std::string value;  // value placeholder as --help shows it (empty: a boolean flag)
    std::string help;   // further lines after '\n'
    Kind kind = Kind::kText;
    // The declared range of a kInteger or kReal flag (both ends included).
    int64_t int_min = 0, int_max = 0;
    double real_min = 0, real_max = 0;
    bool required = false;
    // Flags that cannot be given together with this one, and why (the message's parenthesis).
    std::vector<std::string> excludes;
    std::string excludes_reason;
};

class FlagSpec {
  public:
    // `command` prefixes every usage error ("plan: unknown option ..."); empty: no prefix.
    explicit FlagSpec(std::string command = "") : command_(std::move(command)) {}

    // Declares `--name PLACEHOLDER` (a flag with a value) or boolean `--name`, with its help.
    FlagSpec& value(const std::string& name, const std::string& placeholder,
                    const std::string& help);
    FlagSpec& flag(const std::string& name, const std::string& help);
    // Modifiers of the flag declared last. int_range: the value is an integer in [min, max];
    // real_range: a finite number in [min, max]. --help shows the range.
    FlagSpec& int_range(int64_t min, int64_t max);
    FlagSpec& real_range(double min, double max);
    // The flag must be given ("COMMAND: --name PLACEHOLDER is required").
    FlagSpec& required();
    // None of `others` may be given with this flag: "COMMAND: --other cannot be combined with
    // --name (reason)". The names may be declared later; each must be declared by parse time.
    FlagSpec& excludes(std::vector<std::string> others, std::string reason);

    const std::string& command() const { return command_; }
    const std::vector<FlagDoc>& docs() const { return docs_; }  // in declaration order
    const FlagDoc* find(const std::string& name) const;
    // The lines of --help that list the flags, in declaration order, the help texts aligned.
    std::string help() const;

  private:
    FlagDoc& last();
    std::string command_;
    std::vector<FlagDoc> docs_;
};

// Whether argv asks for help: `--help` or `-h` anywhere.
bool wants_help(const std::vector<std::string>& argv);

// The flags of one command line, their values checked against the declaration.
class Args {
  public:
    std::optional<std::string> get(const std::string& flag) const;
    bool has(const std::string& flag) const { return values_.count(flag) != 0; }
    const std::vector<std::string>& positional() const { return positional_; }

    // The value of a flag declared with int_range / real_range (already checked in range).
    std::optional<int64_t> get_int(const std::string& flag) const;
    std::optional<double> get_double(const std::string& flag) const;

    friend Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec);

  private:
    std::map<std::string, std::string> values_;
    std::map<std::string, FlagDoc::Kind> kinds_;
    std::vector<std::string> positional_;
};

[[nodiscard]] Result<Args> parse_args(const std::vector<std::string>& argv, const FlagSpec& spec);

}  // namespace fp::dist
