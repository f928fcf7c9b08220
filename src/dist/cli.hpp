// Command-line parsing: `--flag VALUE`, `--flag=VALUE` and boolean `--flag`. Unknown flags,
// missing values and repeated flags are usage errors (exit code 2).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "src/util/result.hpp"

namespace fp::dist {

struct FlagSpec {
    std::set<std::string> with_value;
    std::set<std::string> boolean;
};

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
