#include "src/policy/param.hpp"

#include <cstdio>

#include "src/model/fleet.hpp"
#include "src/util/assert.hpp"
#include "src/util/text.hpp"

namespace fp::policy {

ParamSpec ParamSpec::shown_as(std::string text) const {
    ParamSpec s = *this;
    s.default_text = std::move(text);
    return s;
}

ParamSpec ParamSpec::read_elsewhere() const {
    ParamSpec s = *this;
    s.delegated = true;
    return s;
}

ParamSpec real_param(std::string key, double def, double min, double max, std::string doc) {
    ParamSpec s;
    s.key = std::move(key);
    s.type = ParamType::kDouble;
    s.default_value = def;
    s.min = min;
    s.max = max;
    s.doc = std::move(doc);
    return s;
}

ParamSpec int_param(std::string key, int64_t def, int64_t min, int64_t max, std::string doc) {
    ParamSpec s;
    s.key = std::move(key);
    s.type = ParamType::kInt;
    s.default_value = def;
    s.min_int = min;
    s.max_int = max;
    s.doc = std::move(doc);
    return s;
}

ParamSpec bool_param(std::string key, bool def, std::string doc) {
    ParamSpec s;
    s.key = std::move(key);
    s.type = ParamType::kBool;
    s.default_value = def;
    s.doc = std::move(doc);
    return s;
}

ParamSpec string_param(std::string key, std::string def, std::string doc) {
    ParamSpec s;
    s.key = std::move(key);
    s.type = ParamType::kString;
    s.default_value = std::move(def);
    s.doc = std::move(doc);
    return s;
}

ParamSpec enum_param(std::string key, std::string def, std::vector<std::string> choices,
                     std::string doc, std::string noun) {
    ParamSpec s = string_param(std::move(key), std::move(def), std::move(doc));
    s.type = ParamType::kEnum;
    s.choices = std::move(choices);
    s.noun = std::move(noun);
    return s;
}

std::vector<ParamSpec> dim_params(const std::string& suffix, double def, double min, double max,
                                  const std::string& doc) {
    std::vector<ParamSpec> out;
    for (const char* dim : model::kDimNames)
        out.push_back(real_param(std::string(dim) + suffix, def, min, max, doc));
    return out;
}

std::vector<ParamSpec> concat(std::vector<ParamSpec> a, const std::vector<ParamSpec>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

const ConfigValue& ParamValues::value(const std::string& key) const {
    auto it = values_.find(key);
    FP_ASSERT(it != values_.end());  // a factory asked for a key its declaration lacks
    return it->second;
}

double ParamValues::real(const std::string& key) const { return std::get<double>(value(key)); }
int64_t ParamValues::integer(const std::string& key) const { return std::get<int64_t>(value(key)); }
bool ParamValues::flag(const std::string& key) const { return std::get<bool>(value(key)); }
const std::string& ParamValues::text(const std::string& key) const {
    return std::get<std::string>(value(key));
}

Result<ConfigValue> read_param(const ConfigNode& node, const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::kDouble: {
            auto v =
                node.get_double(spec.key, std::get<double>(spec.default_value), spec.min, spec.max);
            if (!v) return tl::unexpected(v.error());
            return ConfigValue(*v);
        }
        case ParamType::kInt: {
            auto v = node.get_int(spec.key, std::get<int64_t>(spec.default_value), spec.min_int,
                                  spec.max_int);
            if (!v) return tl::unexpected(v.error());
            return ConfigValue(*v);
        }
        case ParamType::kBool: {
            auto v = node.get_bool(spec.key, std::get<bool>(spec.default_value));
            if (!v) return tl::unexpected(v.error());
            return ConfigValue(*v);
        }
        case ParamType::kString:
        case ParamType::kEnum: {
            auto v = node.get_string(spec.key, std::get<std::string>(spec.default_value));
            if (!v) return tl::unexpected(v.error());
            if (spec.type == ParamType::kEnum) {
                bool known = false;
                std::string valid;
                for (const std::string& c : spec.choices) {
                    known = known || c == *v;
                    valid += (valid.empty() ? "" : ", ") + c;
                }
                if (!known) {
                    const std::string path =
                        node.path().empty() ? spec.key : node.path() + "." + spec.key;
                    return bad_input(path + ": unknown " + spec.noun + " " + in_quotes(*v) +
                                     " (valid: " + valid + ")");
                }
            }
            return ConfigValue(*v);
        }
    }
    FP_ASSERT(false);
    return bad_input("unreachable");
}

Result<ParamValues> read_params(const ConfigNode& node, std::span<const ParamSpec> specs) {
    ParamValues out;
    for (const ParamSpec& s : specs) {
        if (s.delegated) continue;
        auto v = read_param(node, s);
        if (!v) return tl::unexpected(v.error());
        out.set(s.key, std::move(*v));
    }
    return out;
}

std::string default_text(const ParamSpec& spec) {
    if (!spec.default_text.empty()) return spec.default_text;
    if (const double* d = std::get_if<double>(&spec.default_value)) return shortest_text(*d);
    return to_string(spec.default_value);
}

const char* json_type(ParamType type) {
    switch (type) {
        case ParamType::kInt:
            return "integer";
        case ParamType::kDouble:
            return "number";
        case ParamType::kBool:
            return "boolean";
        case ParamType::kString:
        case ParamType::kEnum:
            return "string";
    }
    return "string";
}

std::string range_text(const ParamSpec& spec) {
    switch (spec.type) {
        case ParamType::kDouble: {
            char buf[96];
            std::snprintf(buf, sizeof buf, "[%g, %g]", spec.min, spec.max);
            return buf;
        }
        case ParamType::kInt:
            // Limits this large only say "no limit"; INT64_MAX / 4 guards sums against overflow.
            if (spec.max_int >= INT64_MAX / 4) return ">= " + std::to_string(spec.min_int);
            return "[" + std::to_string(spec.min_int) + ", " + std::to_string(spec.max_int) + "]";
        case ParamType::kBool:
            return "true or false";
        case ParamType::kString:
            return "";
        case ParamType::kEnum: {
            std::string s;
            for (const std::string& c : spec.choices) s += (s.empty() ? "" : ", ") + c;
            return s;
        }
    }
    return "";
}

}  // namespace fp::policy
