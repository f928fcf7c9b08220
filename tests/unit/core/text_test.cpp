#include "src/util/text.hpp"

#include <gtest/gtest.h>

namespace fp {
namespace {

TEST(ValidUtf8, RefusesSurrogatesOverlongsAndBeyondUnicode) {
    EXPECT_TRUE(valid_utf8("plain, \xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80"));
    EXPECT_TRUE(valid_utf8("\xED\x9F\xBF"));       // U+D7FF, just below the surrogates
    EXPECT_TRUE(valid_utf8("\xEE\x80\x80"));       // U+E000, just above
    EXPECT_TRUE(valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
    EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // U+D800
    EXPECT_FALSE(valid_utf8("\xED\xBF\xBF"));      // U+DFFF
    EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(valid_utf8("\xE0\x80\xAF"));      // overlong '/'
    EXPECT_FALSE(valid_utf8("\xF0\x80\x80\xAF"));  // overlong '/'
    EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(valid_utf8("\xE2\x82"));          // cut short
    EXPECT_FALSE(valid_utf8("\x80"));
}

TEST(IdFault, NamesWhatIsWrong) {
    EXPECT_FALSE(id_fault("web-1").has_value());
    EXPECT_FALSE(id_fault(std::string(256, 'x')).has_value());
    EXPECT_EQ(id_fault(""), "missing value");
    EXPECT_EQ(id_fault(std::string(257, 'x')), "id longer than 256 bytes");
    EXPECT_EQ(id_fault(std::string("test\0evil", 9)), "id holds a NUL byte (at byte 5)");
    EXPECT_EQ(id_fault("a\xED\xA0\x80"), "id is not valid UTF-8");
}

TEST(Printable, EscapesWhatCouldForgeALine) {
    EXPECT_EQ(printable("web-1 \xC3\xA9"), "web-1 \xC3\xA9");
    EXPECT_EQ(printable("a\nb\rc\td"), "a\\nb\\rc\\td");
    EXPECT_EQ(printable("\x1B[2Kx\x7F"), "\\x1B[2Kx\\x7F");
    EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
    EXPECT_EQ(printable("\xC2\x85"), "\\u0085");                       // NEL, a C1 control
    EXPECT_EQ(printable("\xE2\x80\xAE"), "\\u202E");                   // right-to-left override
    EXPECT_EQ(printable("\xE2\x80\xA8"), "\\u2028");                   // line separator
    EXPECT_EQ(printable("\xFF\xED\xA0\x80"), "\\xFF\\xED\\xA0\\x80");  // not UTF-8
    EXPECT_EQ(printable(printable("a\nb")), printable("a\nb"));        // idempotent
}

TEST(Printable, CapsLongTextAtACharacterBoundary) {
    EXPECT_EQ(printable(std::string(300, 'x')), std::string(200, 'x') + "... (300 bytes)");
    EXPECT_EQ(printable(std::string(200, 'x')), std::string(200, 'x'));
    // A 2-byte character straddling the cap is left out whole.
    EXPECT_EQ(printable(std::string(199, 'x') + "\xC3\xA9" + "yz"),
              std::string(199, 'x') + "... (203 bytes)");
    EXPECT_EQ(in_quotes("a\nb", 1), "'a... (3 bytes)'");
}

TEST(AddressFault, AcceptsNamesIpv4AndBracketedIpv6Only) {
    for (const char* ok : {"h1", "node-3.example.org", "10.0.0.2", "[::1]", "[2001:db8::1]",
                           "[::ffff:10.0.0.1]", "a", "x1.y2"})
        EXPECT_FALSE(address_fault(ok).has_value()) << ok;
    for (const char* bad : {"",          "[",      "]",          "[]",         ":::",
                            "::1",       "[::1]]", "[[::1]",     "[::1",       "..",
                            ".",         "a..b",   "a.",         ".a",         "-h",
                            "h-",        "a.-b",   "h_1",        "a b",        "a;b",
                            "300.1.1.1", "1.2.3",  "10.0.0.1.2", "[10.0.0.1]", "[fe80::1%eth0]",
                            "a/b",       "h:22"})
        EXPECT_TRUE(address_fault(bad).has_value()) << bad;
    EXPECT_TRUE(address_fault(std::string(64, 'a')).has_value());  // a label over 63
    EXPECT_FALSE(address_fault(std::string(63, 'a')).has_value());
}

}  // namespace
}  // namespace fp
