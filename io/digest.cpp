#include "io/digest.hpp"

#include <cstdio>

#include "src/util/hash.hpp"

namespace fp::io {

std::string hex64(uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string fnv1a64_hex(std::string_view bytes) { return hex64(fnv1a64(bytes)); }

std::string plan_digest(std::string_view plan_csv_bytes) {
    return "fnv1a64:" + fnv1a64_hex(plan_csv_bytes);
}

}  // namespace fp::io
