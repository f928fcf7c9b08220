#include "src/policy/config_node.hpp"

#include <cmath>
#include <cstdio>

namespace fp::policy {

std::string to_string(const ConfigValue& v) {
    if (const bool* b = std::get_if<bool>(&v)) return *b ? "true" : "false";
    if (const int64_t* i = std::get_if<int64_t>(&v)) return std::to_string(*i);
    if (const double* d = std::get_if<double>(&v)) {
        char buf[64];
        std::snprintf(buf, sizeof buf, "%.17g", *d);
        return buf;
    }
    return "\"" + std::get<std::string>(v) + "\"";
}

std::string ConfigNode::where(const std::string& key) const {
    return path_.empty() ? key : path_ + "." + key;
}

Result<double> ConfigNode::get_double(const std::string& key, double fallback, double min,
                                      double max) const {
    read_.insert(key);
    double v = fallback;
    auto it = values_.find(key);
    if (it != values_.end()) {
        if (const double* d = std::get_if<double>(&it->second)) {
            v = *d;
        } else if (const int64_t* i = std::get_if<int64_t>(&it->second)) {
            v = static_cast<double>(*i);
        } else {
            return bad_input(where(key) + ": expected a number");
        }
    }
    if (!std::isfinite(v) || v < min || v > max) {
        char buf[160];
        std::snprintf(buf, sizeof buf, ": %g is out of range [%g, %g]", v, min, max);
        return bad_input(where(key) + buf);
    }
    effective_[key] = v;
    return v;
}

Result<int64_t> ConfigNode::get_int(const std::string& key, int64_t fallback, int64_t min,
                                    int64_t max) const {
    read_.insert(key);
    int64_t v = fallback;
    auto it = values_.find(key);
    if (it != values_.end()) {
        if (const int64_t* i = std::get_if<int64_t>(&it->second)) {
            v = *i;
        } else {
            return bad_input(where(key) + ": expected an integer");
        }
    }
    if (v < min || v > max) {
        return bad_input(where(key) + ": " + std::to_string(v) + " is out of range [" +
                         std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    effective_[key] = v;
    return v;
}

Result<std::string> ConfigNode::get_string(const std::string& key,
                                           const std::string& fallback) const {
    read_.insert(key);
    std::string v = fallback;
    auto it = values_.find(key);
    if (it != values_.end()) {
        const std::string* s = std::get_if<std::string>(&it->second);
        if (s == nullptr) return bad_input(where(key) + ": expected a string");
        v = *s;
    }
    effective_[key] = v;
    return v;
}

Result<bool> ConfigNode::get_bool(const std::string& key, bool fallback) const {
    read_.insert(key);
    bool v = fallback;
    auto it = values_.find(key);
    if (it != values_.end()) {
        const bool* b = std::get_if<bool>(&it->second);
        if (b == nullptr) return bad_input(where(key) + ": expected true or false");
        v = *b;
    }
    effective_[key] = v;
    return v;
}

std::vector<std::string> ConfigNode::unread_keys() const {
    std::vector<std::string> out;
    for (const auto& [k, v] : values_)
        if (read_.count(k) == 0) out.push_back(where(k));
    return out;
}

}  // namespace fp::policy
