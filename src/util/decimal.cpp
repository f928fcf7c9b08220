#include "src/util/decimal.hpp"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>

#include "src/util/assert.hpp"

namespace fp {
namespace {

constexpr int kMaxDigits = 30;

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

unsigned __int128 pow10_u128(int n) {
    unsigned __int128 r = 1;
    for (int i = 0; i < n; ++i) r *= 10;
    return r;
}

// Exact powers of ten: in 64-bit integers (10^0..10^19) and in doubles (10^0..10^22).
constexpr uint64_t kPow10U64[] = {1ull,
                                  10ull,
                                  100ull,
                                  1000ull,
                                  10000ull,
                                  100000ull,
                                  1000000ull,
                                  10000000ull,
                                  100000000ull,
                                  1000000000ull,
                                  10000000000ull,
                                  100000000000ull,
                                  1000000000000ull,
                                  10000000000000ull,
                                  100000000000000ull,
                                  1000000000000000ull,
                                  10000000000000000ull,
                                  100000000000000000ull,
                                  1000000000000000000ull,
                                  10000000000000000000ull};
constexpr double kPow10Double[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

}  // namespace

DecimalStatus parse_decimal(std::string_view text, double max_value, Decimal& out) {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
    if (text.empty()) return DecimalStatus::kEmpty;
    out = Decimal{};
    std::string_view body = text;
    if (body.front() == '+' || body.front() == '-') {
        out.negative = body.front() == '-';
        body.remove_prefix(1);
    }
    if (iequals(body, "nan") || iequals(body, "inf") || iequals(body, "infinity"))
        return DecimalStatus::kNonFinite;

    size_t i = 0;
    int significant = 0;
    bool any_digit = false;
    long exp10 = 0;
    auto take_digit = [&](char c, bool after_point) {
        any_digit = true;
        const unsigned d = static_cast<unsigned>(c - '0');
        if (significant == 0 && d == 0) {
            if (after_point) --exp10;
            return;
        }
        if (significant < kMaxDigits) {
            out.digits = out.digits * 10 + d;
            ++significant;
            if (after_point) --exp10;
        } else {
            if (d != 0) out.tail_nonzero = true;
            if (!after_point) ++exp10;
        }
    };
    while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])))
        take_digit(body[i++], false);
    if (i < body.size() && body[i] == '.') {
        ++i;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i])))
            take_digit(body[i++], true);
    }
    if (!any_digit) return DecimalStatus::kUnparsable;
    if (i < body.size() && (body[i] == 'e' || body[i] == 'E')) {
        ++i;
        bool neg = false;
        if (i < body.size() && (body[i] == '+' || body[i] == '-')) neg = body[i++] == '-';
        if (i >= body.size()) return DecimalStatus::kUnparsable;
        long e = 0;
        while (i < body.size() && std::isdigit(static_cast<unsigned char>(body[i]))) {
            if (e < 100000) e = e * 10 + (body[i] - '0');
            ++i;
        }
        exp10 += neg ? -e : e;
    }
    if (i != body.size()) return DecimalStatus::kUnparsable;

    // The nearest double: exact integer digits times an exact power of ten round once, as
    // strtod would (the classic fast path); anything else goes through strtod.
    if (!out.tail_nonzero && out.digits < (static_cast<unsigned __int128>(1) << 53) &&
        exp10 >= -22 && exp10 <= 22) {
        const double m = static_cast<double>(static_cast<uint64_t>(out.digits));
        out.value = exp10 < 0 ? m / kPow10Double[-exp10] : m * kPow10Double[exp10];
        if (out.negative) out.value = -out.value;
    } else {
        const std::string copy(text);
        out.value = std::strtod(copy.c_str(), nullptr);
    }
    if (!std::isfinite(out.value)) return DecimalStatus::kOutOfRange;
    if (out.digits == 0 && !out.tail_nonzero) {
        out.negative = false;
        out.exp10 = 0;
        out.value = 0.0;
        return DecimalStatus::kOk;
    }
    if (out.negative) return DecimalStatus::kNegative;
    if (out.value > max_value) return DecimalStatus::kOutOfRange;
    // Tiny values: keep the exponent bounded; anything below 1e-60 only matters for rounding.
    if (exp10 < -60) {
        out.digits = 0;
        out.tail_nonzero = true;
        exp10 = 0;
    }
    out.exp10 = static_cast<int>(exp10);
    return DecimalStatus::kOk;
}

bool parse_plain_decimal(std::string_view text, double max_value, PlainDecimal& out) {
    if (text.empty() || text.size() > 16) return false;
    uint64_t m = 0;
    int digits = 0, frac = -1;
    for (char ch : text) {
        if (ch >= '0' && ch <= '9') {
            m = m * 10 + static_cast<uint64_t>(ch - '0');
            ++digits;
            if (frac >= 0) ++frac;
        } else if (ch == '.' && frac < 0) {
            frac = 0;
        } else {
            return false;
        }
    }
    if (digits == 0 || digits > 15) return false;
    out.mantissa = m;
    out.frac_digits = frac < 0 ? 0 : frac;
    // m < 10^15 < 2^53 and 10^f exact: one correctly rounded division, as strtod gives.
    out.value = static_cast<double>(m) / kPow10Double[out.frac_digits];
    return out.value <= max_value;
}

int64_t PlainDecimal::scaled(int64_t factor, Rounding rounding) const {
    // mantissa < 10^15 and factor ≤ 2^20 in practice; keep 128 bits for the product anyway.
    const unsigned __int128 num =
        static_cast<unsigned __int128>(mantissa) * static_cast<uint64_t>(factor);
    const uint64_t den = kPow10U64[frac_digits];
    unsigned __int128 q = num / den;
    if (rounding == Rounding::kUp && num % den != 0) q += 1;
    return static_cast<int64_t>(q);
}

int64_t scale_decimal(const Decimal& d, int64_t factor, Rounding rounding) {
    FP_ASSERT(factor > 0);
    unsigned __int128 num = d.digits * static_cast<unsigned __int128>(factor);
    bool remainder = d.tail_nonzero;
    int e = d.exp10;
    if (e >= 0) {
        // value <= max_value was checked, so e is small here.
        FP_ASSERT(e <= 38);
        num *= pow10_u128(e);
    } else if (num < (static_cast<unsigned __int128>(1) << 64) && -e <= 19) {
        // The common case in 64-bit arithmetic (a 128-bit division is a library call).
        const auto n64 = static_cast<uint64_t>(num);
        const uint64_t den = kPow10U64[-e];
        if (n64 % den != 0) remainder = true;
        num = n64 / den;
    } else {
        int shift = -e;
        while (shift > 0) {
            const int step = shift > 18 ? 18 : shift;
            const unsigned __int128 den = pow10_u128(step);
            if (num % den != 0) remainder = true;
            num /= den;
            shift -= step;
        }
    }
    if (rounding == Rounding::kUp && remainder) num += 1;
    FP_ASSERT(num < (static_cast<unsigned __int128>(1) << 62));
    return static_cast<int64_t>(num);
}

std::string describe(DecimalStatus status) {
    switch (status) {
        case DecimalStatus::kOk:
            return "ok";
        case DecimalStatus::kEmpty:
            return "missing value";
        case DecimalStatus::kUnparsable:
            return "not a number";
        case DecimalStatus::kNonFinite:
            return "must be a finite number";
        case DecimalStatus::kNegative:
            return "must not be negative";
        case DecimalStatus::kOutOfRange:
            return "out of range";
    }
    return "invalid";
}

std::string format_scaled(int64_t value, int64_t divisor) {
    FP_ASSERT(divisor > 0);
    std::string sign = value < 0 ? "-" : "";
    const unsigned long long v = static_cast<unsigned long long>(value < 0 ? -value : value);
    const unsigned long long whole = v / static_cast<unsigned long long>(divisor);
    unsigned long long rem = v % static_cast<unsigned long long>(divisor);
    std::string s = sign + std::to_string(whole);
    if (rem == 0) return s;
    s += '.';
    // Long division; terminates because divisor = 2^a 5^b.
    for (int guard = 0; rem != 0 && guard < 40; ++guard) {
        rem *= 10;
        s += static_cast<char>('0' + rem / static_cast<unsigned long long>(divisor));
        rem %= static_cast<unsigned long long>(divisor);
    }
    return s;
}

}  // namespace fp
