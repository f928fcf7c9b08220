#include "src/util/text.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <cstdio>

namespace fp {
namespace {

// Length of the UTF-8 sequence at s[i] (1-4), or 0 when it is not valid UTF-8.
size_t utf8_length(std::string_view s, size_t i) {
    const auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    const unsigned char c = at(i);
    if (c < 0x80) return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;  // the range of the second byte
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;  // overlong
        if (c == 0xED) hi = 0x9F;  // U+D800..U+DFFF, UTF-16 surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;  // overlong
        if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
    } else {
        return 0;  // a continuation byte, C0/C1 (overlong), F5..FF
    }
    if (i + n > s.size()) return 0;
    if (at(i + 1) < lo || at(i + 1) > hi) return 0;
    for (size_t k = 2; k < n; ++k)
        if ((at(i + k) & 0xC0) != 0x80) return 0;
    return n;
}

uint32_t code_point(std::string_view s, size_t i, size_t n) {
    const auto at = [&](size_t k) {
        return static_cast<uint32_t>(static_cast<unsigned char>(s[k]));
    };
    if (n == 1) return at(i);
    uint32_t cp = at(i) & (0xFFu >> (n + 1));
    for (size_t k = 1; k < n; ++k) cp = (cp << 6) | (at(i + k) & 0x3F);
    return cp;
}

bool escaped(uint32_t cp) {
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202A && cp <= 0x202E) || (cp >= 0x2066 && cp <= 0x2069);
}

}  // namespace

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        const size_t n = utf8_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::optional<std::string> id_fault(std::string_view id) {
    if (id.empty()) return "missing value";
    if (id.size() > kMaxIdBytes) return "id longer than 256 bytes";
    if (const size_t nul = id.find('\0'); nul != std::string_view::npos)
        return "id holds a NUL byte (at byte " + std::to_string(nul + 1) + ")";
    if (!valid_utf8(id)) return "id is not valid UTF-8";
    return std::nullopt;
}

std::optional<std::string> address_fault(std::string_view a) {
    if (a.empty()) return "empty address";
    if (a.size() > 253) return "address longer than 253 bytes";
    const std::string text(a);
    unsigned char buf[sizeof(struct in6_addr)];
    if (a.front() == '[') {
        if (a.back() != ']' || a.size() < 3)
            return "an IPv6 address must be in brackets, e.g. [2001:db8::1]";
        const std::string inner = text.substr(1, text.size() - 2);
        if (::inet_pton(AF_INET6, inner.c_str(), buf) != 1) return "not an IPv6 address";
        return std::nullopt;
    }
    if (a.find(':') != std::string_view::npos)
        return "not a host name or IPv4 address (an IPv6 address goes in brackets, e.g. [::1])";
    if (::inet_pton(AF_INET, text.c_str(), buf) == 1) return std::nullopt;
    size_t start = 0;
    bool numeric_label = false;
    for (;;) {
        const size_t dot = std::min(a.find('.', start), a.size());
        const std::string_view label = a.substr(start, dot - start);
        if (label.empty() || label.size() > 63)
            return "not a host name (each dot-separated label has 1-63 characters)";
        if (label.front() == '-' || label.back() == '-')
            return "not a host name (a label begins or ends with '-')";
        numeric_label = true;
        for (char c : label) {
            const bool digit = c >= '0' && c <= '9';
            if (!digit && !(c >= 'a' && c <= 'z') && !(c >= 'A' && c <= 'Z') && c != '-')
                return "not a host name (allowed: letters, digits, '-' and '.')";
            numeric_label &= digit;
        }
        if (dot == a.size()) break;
        start = dot + 1;
    }
    if (numeric_label) return "not an IPv4 address or host name";
    return std::nullopt;
}

std::string printable(std::string_view s, size_t max_bytes) {
    std::string out;
    out.reserve(std::min(s.size(), max_bytes) + 8);
    size_t i = 0;
    for (; i < s.size() && i < max_bytes;) {
        const size_t n = utf8_length(s, i);
        char buf[16];
        if (n == 0) {
            std::snprintf(buf, sizeof buf, "\\x%02X", static_cast<unsigned char>(s[i]));
            out += buf;
            ++i;
            continue;
        }
        if (i + n > max_bytes) break;  // a character cut by the cap
        const uint32_t cp = code_point(s, i, n);
        if (!escaped(cp)) {
            out.append(s, i, n);
        } else if (cp == '\n') {
            out += "\\n";
        } else if (cp == '\r') {
            out += "\\r";
        } else if (cp == '\t') {
            out += "\\t";
        } else {
            std::snprintf(buf, sizeof buf, cp < 0x80 ? "\\x%02X" : "\\u%04X",
                          static_cast<unsigned>(cp));
            out += buf;
        }
        i += n;
    }
    if (i < s.size()) out += "... (" + std::to_string(s.size()) + " bytes)";
    return out;
}

std::string in_quotes(std::string_view s, size_t max_bytes) {
    return "'" + printable(s, max_bytes) + "'";
}

std::string shortest_text(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

}  // namespace fp
