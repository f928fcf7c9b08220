// Text that crosses into other programs and terminals: the one check every id passes (libvirt
// reads ids as C strings, the JSON writer needs valid UTF-8) and the one way input is echoed in
// messages and listings (control characters escaped, length capped).
// Thread-safety: pure functions. Determinism: no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace fp {

constexpr size_t kMaxIdBytes = 256;  // CONTRACT.md: ids are 1-256 bytes

// Strict UTF-8 (RFC 3629): no overlong forms, no encoded UTF-16 surrogates (U+D800..U+DFFF),
// nothing above U+10FFFF.
bool valid_utf8(std::string_view s);

// What is wrong with an id, or nullopt: empty, longer than kMaxIdBytes, a NUL byte (a C-string
// reader such as libvirt would see a different, shorter id), not valid UTF-8.
std::optional<std::string> id_fault(std::string_view id);

// What is wrong with a host address (hosts.csv's `address`, or an id standing in for it) that
// dispatch puts into libvirt URIs, or nullopt. Valid: an IPv4 address in dotted-quad form, an
// IPv6 address in brackets ("[::1]"), or a host name of RFC 1123 labels (letters, digits,
// hyphens; 1-63 bytes, not beginning or ending with a hyphen; at most 253 bytes; the last label
// not all digits, so that a mistyped IPv4 address is not taken for a name).
std::optional<std::string> address_fault(std::string_view address);

// Input as it may be shown on a terminal or in a log line: C0 and C1 control characters, DEL,
// the Unicode line and paragraph separators and bidirectional overrides are escaped (\n, \r,
// \t, \xHH, \uHHHH), bytes that are not UTF-8 become \xHH, and text longer than `max_bytes`
// is cut at a character boundary and ends in "..." with the full length. Backslashes are kept
// as they are, so escaping twice changes nothing more.
constexpr size_t kMaxEchoBytes = 200;
std::string printable(std::string_view s, size_t max_bytes = kMaxEchoBytes);
// printable(s) in single quotes, the form messages use to echo a value.
std::string in_quotes(std::string_view s, size_t max_bytes = kMaxEchoBytes);

// The shortest decimal text that reads back as the same double (std::to_chars): how a number is
// written where a person or another program reads it back exactly ("%g" would round 1234.5678
// to 1234.57).
std::string shortest_text(double v);

}  // namespace fp
