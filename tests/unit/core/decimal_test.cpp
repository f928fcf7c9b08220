#include "src/util/decimal.hpp"

#include <gtest/gtest.h>

namespace fp {
namespace {

int64_t scaled(const char* text, int64_t factor, Rounding r) {
    Decimal d;
    EXPECT_EQ(parse_decimal(text, 1e9, d), DecimalStatus::kOk) << text;
    return scale_decimal(d, factor, r);
}

TEST(Decimal, ScalesExactlyWithoutBinaryRounding) {
    EXPECT_EQ(scaled("0.813", 1000, Rounding::kUp), 813);
    EXPECT_EQ(scaled("0.813", 1000, Rounding::kDown), 813);
    EXPECT_EQ(scaled("2.5e3", 1000, Rounding::kDown), 2500000);
    EXPECT_EQ(scaled("1.0001", 1000, Rounding::kUp), 1001);
    EXPECT_EQ(scaled("1.0001", 1000, Rounding::kDown), 1000);
    EXPECT_EQ(scaled("100.001", 1024, Rounding::kUp), 102402);  // 102401.024 rounds up
    EXPECT_EQ(scaled("+7", 1, Rounding::kDown), 7);
    EXPECT_EQ(scaled("  12  ", 1, Rounding::kDown), 12);
    EXPECT_EQ(scaled("0.0000000000000000000000000000000001", 1000, Rounding::kUp), 1);
    EXPECT_EQ(scaled("0", 1000, Rounding::kUp), 0);
    EXPECT_EQ(scaled("1e9", 1024, Rounding::kDown), 1024000000000LL);
}

TEST(Decimal, RejectsEveryBadClass) {
    Decimal d;
    EXPECT_EQ(parse_decimal("", 1e9, d), DecimalStatus::kEmpty);
    EXPECT_EQ(parse_decimal("abc", 1e9, d), DecimalStatus::kUnparsable);
    EXPECT_EQ(parse_decimal("1.2.3", 1e9, d), DecimalStatus::kUnparsable);
    EXPECT_EQ(parse_decimal("1e", 1e9, d), DecimalStatus::kUnparsable);
    EXPECT_EQ(parse_decimal("0x10", 1e9, d), DecimalStatus::kUnparsable);
    EXPECT_EQ(parse_decimal("nan", 1e9, d), DecimalStatus::kNonFinite);
    EXPECT_EQ(parse_decimal("-Inf", 1e9, d), DecimalStatus::kNonFinite);
    EXPECT_EQ(parse_decimal("-1", 1e9, d), DecimalStatus::kNegative);
    EXPECT_EQ(parse_decimal("1.5e9", 1e9, d), DecimalStatus::kOutOfRange);
    EXPECT_EQ(parse_decimal("1e400", 1e9, d), DecimalStatus::kOutOfRange);
    EXPECT_EQ(parse_decimal("-0", 1e9, d), DecimalStatus::kOk);
}

// The plain-form fast path gives exactly what the general reader gives, and declines
// everything else (which the general reader then reads or rejects).
TEST(Decimal, PlainFormAgreesWithTheGeneralReader) {
    for (const char* t :
         {"0", "007", "1.", ".5", "0.05", "1.50", "4.053", "12345678.9012345", "12.3456789012345",
          "999999999.999999", "0.00000000000001", "1000000000"}) {
        PlainDecimal p;
        ASSERT_TRUE(parse_plain_decimal(t, 1e9, p)) << t;
        Decimal d;
        ASSERT_EQ(parse_decimal(t, 1e9, d), DecimalStatus::kOk) << t;
        EXPECT_EQ(p.value, d.value) << t;
        for (int64_t factor : {1, 1000, 1024})
            for (Rounding r : {Rounding::kUp, Rounding::kDown})
                EXPECT_EQ(p.scaled(factor, r), scale_decimal(d, factor, r)) << t << " x" << factor;
    }
    for (const char* t : {"", ".", " 4", "+4", "-4", "3e2", "1.2.3", "0.1234567890123456",
                          "1000000000.5", "nan", "4 "}) {
        PlainDecimal p;
        EXPECT_FALSE(parse_plain_decimal(t, 1e9, p)) << '"' << t << '"';
    }
}

TEST(Decimal, FormatsScaledValuesExactly) {
    EXPECT_EQ(format_scaled(1500, 1000), "1.5");
    EXPECT_EQ(format_scaled(1, 1024), "0.0009765625");
    EXPECT_EQ(format_scaled(12288, 1024), "12");
    EXPECT_EQ(format_scaled(0, 1000), "0");
}

}  // namespace
}  // namespace fp
