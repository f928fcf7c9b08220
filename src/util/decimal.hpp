// Exact decimal parsing for input quantities (CONTRACT.md "Numbers").
// A field like "0.813" becomes an exact integer in scaled units (e.g. millicores) without
// binary floating-point rounding, so the planner and outside checkers agree to the unit.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fp {

enum class [[nodiscard]] DecimalStatus{kOk,        kEmpty,    kUnparsable,
                                       kNonFinite, kNegative, kOutOfRange};
enum class Rounding { kUp, kDown };

struct Decimal {
    unsigned __int128 digits = 0;  // significant digits (at most ~30 kept)
    int exp10 = 0;                 // value = digits * 10^exp10 (+ a tail if tail_nonzero)
    bool tail_nonzero = false;     // digits dropped beyond precision were not all zero
    bool negative = false;
    double value = 0.0;  // the nearest double, for display and range checks
};

// Parses a decimal with optional sign, fraction and exponent. Accepts surrounding spaces.
// `max_value` bounds the magnitude (values above are kOutOfRange); negatives are kNegative.
DecimalStatus parse_decimal(std::string_view text, double max_value, Decimal& out);

// The common plain form, read without the general machinery: 1 to 15 digits with at most one
// '.' (at least one digit before or after it) and nothing else, no more than max_value. For
// such text the results equal parse_decimal's (value) and scale_decimal's (scaled).
struct PlainDecimal {
    uint64_t mantissa = 0;  // the digits as one integer
    int frac_digits = 0;    // how many of them follow the '.'
    double value = 0.0;     // the nearest double (exact arithmetic: mantissa < 2^53)
    int64_t scaled(int64_t factor, Rounding rounding) const;
};
// False when the text is not plain (then use parse_decimal, which also names every fault).
[[nodiscard]] bool parse_plain_decimal(std::string_view text, double max_value, PlainDecimal& out);

// value × factor rounded as asked, as an exact integer. Requires value × factor < 2^62.
int64_t scale_decimal(const Decimal& d, int64_t factor, Rounding rounding);

// A user-facing phrase for a status ("not a number", "must be finite", ...).
std::string describe(DecimalStatus status);

// Formats value / divisor as the shortest exact decimal ("1.5", "0.0009765625", "12").
// Requires divisor to be a product of 2s and 5s (1000, 1024, ...).
std::string format_scaled(int64_t value, int64_t divisor);

}  // namespace fp
