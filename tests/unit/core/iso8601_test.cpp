// --now timestamps: every accepted form, its exact epoch seconds, and the ranges that are refused.
#include "src/util/iso8601.hpp"

#include <gtest/gtest.h>

namespace fp {
namespace {

TEST(Iso8601, ParsesUtcWithSeconds) {
    EXPECT_EQ(parse_iso8601("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:00Z"), 1795600800);
    EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59Z"), -1);
    EXPECT_EQ(parse_iso8601("1600-03-01T00:00:00Z"), -11670912000);
    EXPECT_EQ(parse_iso8601("9999-12-31T23:59:59Z"), 253402300799);
}

TEST(Iso8601, DropsFractionalSeconds) {
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:00.999Z"), 1795600800);
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:07.5+00:00"), 1795600807);
    EXPECT_EQ(parse_iso8601("1969-12-31T23:59:59.5Z"), -1);  // toward the past
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:00.Z"));
}

TEST(Iso8601, AppliesOffsets) {
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:00+01:00"), 1795600800 - 3600);
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:00-05:30"), 1795600800 + 5 * 3600 + 1800);
    EXPECT_EQ(parse_iso8601("2026-11-25T00:30:00+01:00"), 1795600800 - 10 * 3600 - 1800);
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00:00-00:00"), 1795600800);
}

TEST(Iso8601, ParsesMinutesAndDates) {
    EXPECT_EQ(parse_iso8601("2026-11-25T10:00Z"), 1795600800);
    EXPECT_EQ(parse_iso8601("2026-11-25T11:00+01:00"), 1795600800);
    EXPECT_EQ(parse_iso8601("2026-11-25"), 1795600800 - 10 * 3600);
}

TEST(Iso8601, ChecksDaysPerMonthAndLeapYears) {
    EXPECT_EQ(parse_iso8601("2024-02-29T23:59:59Z"), 1709251199);
    EXPECT_EQ(parse_iso8601("2000-02-29"), 951782400);
    EXPECT_FALSE(parse_iso8601("2023-02-29"));
    EXPECT_FALSE(parse_iso8601("1900-02-29"));  // divisible by 100, not by 400
    EXPECT_FALSE(parse_iso8601("2026-04-31"));
    EXPECT_FALSE(parse_iso8601("2026-01-32"));
    EXPECT_FALSE(parse_iso8601("2026-00-10"));
    EXPECT_FALSE(parse_iso8601("2026-13-10"));
    EXPECT_FALSE(parse_iso8601("2026-01-00"));
}

TEST(Iso8601, ChecksTimeAndOffsetRanges) {
    EXPECT_FALSE(parse_iso8601("2026-11-25T24:00:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:60:00Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:60Z"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:00+24:00"));
    EXPECT_FALSE(parse_iso8601("2026-11-25T10:00:00+01:60"));
}

TEST(Iso8601, RefusesEverythingElse) {
    for (const char* bad : {"",
                            "2026",
                            "2026-11",
                            "26-11-25",
                            "2026-11-25T",
                            "2026-11-25T10:00:00",
                            "2026-11-25T10:00",
                            "2026-11-25 10:00:00Z",
                            "2026-11-25T10Z",
                            "2026-11-25T1:00:00Z",
                            "2026-11-25T10:00:00+0100",
                            "2026-11-25T10:00:00+01",
                            "2026-11-25T10:00:00ZZ",
                            "2026-11-25T10:00:00Z ",
                            " 2026-11-25",
                            "2026-11-25x",
                            "2026-1-25",
                            "+2026-11-25",
                            "2026-11-25T10:00:00,5Z",
                            "2026-11-25T10:00:00UTC",
                            "abcd-ef-gh"}) {
        EXPECT_FALSE(parse_iso8601(bad)) << bad;
    }
}

}  // namespace
}  // namespace fp
