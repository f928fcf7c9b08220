// A parsed config table as the core sees it: named scalar values plus a record of which keys
// were read, so unread (misspelt) keys can be reported. Built by io/config from TOML; the core
// never links a TOML parser. Thread-safety: not thread-safe (records reads); used at set-up.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "src/util/result.hpp"

namespace fp::policy {

using ConfigValue = std::variant<bool, int64_t, double, std::string>;

class ConfigNode {
  public:
    ConfigNode() = default;
    explicit ConfigNode(std::string path) : path_(std::move(path)) {}

    void set(const std::string& key, ConfigValue value) { values_[key] = std::move(value); }
    const std::string& path() const { return path_; }
    bool has(const std::string& key) const { return values_.count(key) != 0; }

    Result<double> get_double(const std::string& key, double fallback, double min,
                              double max) const;
    Result<int64_t> get_int(const std::string& key, int64_t fallback, int64_t min,
                            int64_t max) const;
    Result<std::string> get_string(const std::string& key, const std::string& fallback) const;
    Result<bool> get_bool(const std::string& key, bool fallback) const;

    // Keys present but never read: each is a config error naming "path.key".
    std::vector<std::string> unread_keys() const;
    // The values actually in force (read keys with their defaults), for the checkpoint.
    const std::map<std::string, ConfigValue>& effective() const { return effective_; }
    const std::map<std::string, ConfigValue>& values() const { return values_; }

  private:
    std::string where(const std::string& key) const;

    std::string path_;
    std::map<std::string, ConfigValue> values_;
    mutable std::set<std::string> read_;
    mutable std::map<std::string, ConfigValue> effective_;
};

std::string to_string(const ConfigValue& v);

}  // namespace fp::policy
