// One declaration per config parameter: its key, type, default, range (or allowed values) and a
// one-line doc. The TOML reader (io/config), the policy factories, `fleetplan policies` (text,
// JSON, Markdown) and the expanded config all read these declarations, so a parameter is written
// down once. Thread-safety: declarations are immutable values; read_params only reads a node
// (which records the reads, see ConfigNode).
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "src/policy/config_node.hpp"
#include "src/util/result.hpp"

namespace fp::policy {

enum class ParamType { kInt, kDouble, kBool, kString, kEnum };

struct ParamSpec {
    std::string key;
    ParamType type = ParamType::kDouble;
    ConfigValue default_value;         // int64_t, double, bool or std::string, as `type` reads it
    double min = 0, max = 0;           // kDouble: inclusive range
    int64_t min_int = 0, max_int = 0;  // kInt: inclusive range
    std::vector<std::string> choices;  // kEnum: the allowed values, in the order errors list them
    std::string noun = "value";        // kEnum: "unknown NOUN 'x' (valid: ...)"
    std::string doc;
    // Shown instead of the default when the default stands for another setting
    // ("plan.max_util" for a threshold stored as -1).
    std::string default_text;
    // Read by another declaration's reader (a placement's size function reads its own weights):
    // documented here, skipped by read_params.
    bool delegated = false;

    ParamSpec shown_as(std::string text) const;
    ParamSpec read_elsewhere() const;
};

ParamSpec real_param(std::string key, double def, double min, double max, std::string doc);
ParamSpec int_param(std::string key, int64_t def, int64_t min, int64_t max, std::string doc);
ParamSpec bool_param(std::string key, bool def, std::string doc);
ParamSpec string_param(std::string key, std::string def, std::string doc);
ParamSpec enum_param(std::string key, std::string def, std::vector<std::string> choices,
                     std::string doc, std::string noun = "value");
// cpu_SUFFIX, mem_SUFFIX, net_SUFFIX with one range and doc.
std::vector<ParamSpec> dim_params(const std::string& suffix, double def, double min, double max,
                                  const std::string& doc);
// a, then b's entries.
std::vector<ParamSpec> concat(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b);

// The values read (defaults where the node gives none), by key.
class ParamValues {
  public:
    double real(const std::string& key) const;
    int64_t integer(const std::string& key) const;
    bool flag(const std::string& key) const;
    const std::string& text(const std::string& key) const;  // kString and kEnum
    const ConfigValue& value(const std::string& key) const;
    void set(const std::string& key, ConfigValue v) { values_[key] = std::move(v); }

  private:
    std::map<std::string, ConfigValue> values_;
};

// One parameter from `node`: type, range and allowed values checked; errors name
// "path.key: what". The value is recorded in node.effective().
Result<ConfigValue> read_param(const ConfigNode& node, const ParamSpec& spec);
// Every parameter not delegated, in declaration order; the first error stops the reading.
Result<ParamValues> read_params(const ConfigNode& node, std::span<const ParamSpec> specs);

// The default as documented: default_text, else the value as TOML writes it ("volume" quoted).
std::string default_text(const ParamSpec& spec);
// "integer", "number", "boolean" or "string" (an enum is a string with choices).
const char* json_type(ParamType type);
// The accepted values in words: "[0.01, 1]", "true or false", "host, rack", "" (any string).
std::string range_text(const ParamSpec& spec);

}  // namespace fp::policy
