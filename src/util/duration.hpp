// Durations as people write them on a command line and read them in a summary.
// Pure; thread-safe.
#pragma once

#include <optional>
#include <string>

namespace fp {

// "90", "90s", "15m", "4h", "2d", "1h30m", "1.5h": a sum of a decimal number and a unit (s, m,
// h, d; a lone number is seconds). nullopt when malformed, negative or above 10 years.
std::optional<double> parse_duration(const std::string& text);

// "3 h 12 min", "4 min 10 s", "12.5 s".
std::string format_duration(double seconds);

}  // namespace fp
