#include "src/util/iso8601.hpp"

namespace fp {

std::optional<int64_t> parse_iso8601(std::string_view) { return std::nullopt; }

}  // namespace fp
