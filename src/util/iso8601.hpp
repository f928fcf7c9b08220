// ISO 8601 timestamps for --now: "2026-11-25T10:00:00Z", "2026-11-25T10:00:00+01:00",
// "2026-11-25T10:00Z", "2026-11-25" (midnight UTC). Returns seconds since the Unix epoch (UTC).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace fp {

std::optional<int64_t> parse_iso8601(std::string_view text);

}  // namespace fp
