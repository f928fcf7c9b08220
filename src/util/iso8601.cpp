#include "src/util/iso8601.hpp"

// Accepted forms (and nothing else):
//   YYYY-MM-DD                                  midnight UTC
//   YYYY-MM-DDTHH:MM[:SS[.fraction]]ZONE        ZONE = "Z" or "+HH:MM" / "-HH:MM"
// Years 0000-9999 (proleptic Gregorian); months, days (leap years included), hours 00-23,
// minutes and seconds 00-59 (no leap second 60, no 24:00) and offsets up to ±23:59 are checked.
// A fraction of a second is accepted (1 or more digits) and dropped: the result is whole seconds,
// rounded toward the past.

namespace fp {
namespace {

// Reads exactly `n` ASCII digits at text[pos..]; advances pos.
std::optional<int> digits(std::string_view text, size_t& pos, size_t n) {
    if (pos + n > text.size()) return std::nullopt;
    int v = 0;
    for (size_t i = 0; i < n; ++i) {
        const char c = text[pos + i];
        if (c < '0' || c > '9') return std::nullopt;
        v = v * 10 + (c - '0');
    }
    pos += n;
    return v;
}

bool expect(std::string_view text, size_t& pos, char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
}

bool leap_year(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
    static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap_year(y) ? 29 : kDays[m - 1];
}

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
    y -= m <= 2 ? 1 : 0;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const int64_t yoe = y - era * 400;
    const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

}  // namespace

std::optional<int64_t> parse_iso8601(std::string_view text) {
    size_t pos = 0;
    const auto year = digits(text, pos, 4);
    if (!year || !expect(text, pos, '-')) return std::nullopt;
    const auto month = digits(text, pos, 2);
    if (!month || !expect(text, pos, '-')) return std::nullopt;
    const auto day = digits(text, pos, 2);
    if (!day) return std::nullopt;
    if (*month < 1 || *month > 12) return std::nullopt;
    if (*day < 1 || *day > days_in_month(*year, *month)) return std::nullopt;
    const int64_t date_s = days_from_civil(*year, *month, *day) * 86400;
    if (pos == text.size()) return date_s;  // a date alone: midnight UTC

    if (!expect(text, pos, 'T')) return std::nullopt;
    const auto hour = digits(text, pos, 2);
    if (!hour || !expect(text, pos, ':')) return std::nullopt;
    const auto minute = digits(text, pos, 2);
    if (!minute) return std::nullopt;
    int second = 0;
    if (pos < text.size() && text[pos] == ':') {
        ++pos;
        const auto s = digits(text, pos, 2);
        if (!s) return std::nullopt;
        second = *s;
        if (pos < text.size() && text[pos] == '.') {
            ++pos;
            const size_t start = pos;
            while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
            if (pos == start) return std::nullopt;  // "." needs at least one digit
        }
    }
    if (*hour > 23 || *minute > 59 || second > 59) return std::nullopt;

    int64_t offset_s = 0;
    if (pos >= text.size()) return std::nullopt;  // a time needs its zone
    if (text[pos] == 'Z') {
        ++pos;
    } else if (text[pos] == '+' || text[pos] == '-') {
        const int64_t sign = text[pos] == '-' ? -1 : 1;
        ++pos;
        const auto oh = digits(text, pos, 2);
        if (!oh || !expect(text, pos, ':')) return std::nullopt;
        const auto om = digits(text, pos, 2);
        if (!om || *oh > 23 || *om > 59) return std::nullopt;
        offset_s = sign * (*oh * 3600 + *om * 60);
    } else {
        return std::nullopt;
    }
    if (pos != text.size()) return std::nullopt;
    // Local time = UTC + offset, so UTC = local − offset.
    return date_s + *hour * 3600 + *minute * 60 + second - offset_s;
}

}  // namespace fp
