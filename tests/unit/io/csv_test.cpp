#include "io/csv.hpp"

#include <gtest/gtest.h>

#include "tests/unit/io/scratch_dir.hpp"

namespace fp::io {
namespace {

TEST(ParseCsv, QuotedFieldsHoldCommasQuotesAndNewlines) {
    const std::string text =
        "id,name\r\n"
        "1,\"a, b\"\n"
        "2,\"say \"\"hi\"\"\"\n"
        "3,\"two\nlines\"\n"
        "\n"
        "4,x\n";
    auto t = parse_csv(text, "f.csv");
    ASSERT_TRUE(t.has_value()) << t.error().msg;
    ASSERT_EQ(t->rows.size(), 4u);
    EXPECT_EQ(t->rows[0].fields[1], "a, b");
    EXPECT_EQ(t->rows[1].fields[1], "say \"hi\"");
    EXPECT_EQ(t->rows[2].fields[1], "two\nlines");
    // Physical lines: the multi-line field starts on line 4; "4,x" is on line 7.
    EXPECT_EQ(t->rows[2].line, 4);
    EXPECT_EQ(t->rows[3].line, 7);
}

TEST(ParseCsv, BadQuotingNamesLineAndColumn) {
    auto a = parse_csv("id,name\n1,\"open\n", "f.csv");
    ASSERT_FALSE(a.has_value());
    EXPECT_EQ(a.error().msg, "f.csv:2:name: unterminated quoted field");
    auto b = parse_csv("id,name\n1,\"x\"y\n", "f.csv");
    ASSERT_FALSE(b.has_value());
    EXPECT_EQ(b.error().msg, "f.csv:2:name: unexpected character after closing quote");
    auto c = parse_csv("id,name\n1,x\"y\n", "f.csv");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().msg, "f.csv:2:name: quote inside an unquoted field");
}

TEST(ParseCsv, EmptyFileAndWrongFieldCount) {
    auto e = parse_csv("", "f.csv");
    ASSERT_FALSE(e.has_value());
    EXPECT_EQ(e.error().msg, "f.csv:1:header: empty file: expected a header line");
    auto w = parse_csv("a,b,c\n1,2\n", "f.csv");
    ASSERT_FALSE(w.has_value());
    EXPECT_EQ(w.error().msg, "f.csv:2:c: expected 3 fields, found 2");
}

TEST(ParseCsv, RejectsInvalidUtf8AndSkipsByteOrderMark) {
    auto bom = parse_csv("\xEF\xBB\xBFid\nx\n", "f.csv");
    ASSERT_TRUE(bom.has_value());
    EXPECT_EQ(bom->header[0], "id");
    auto bad = parse_csv("id\n\xff\xfe\n", "f.csv");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().msg, "f.csv:2:id: not valid UTF-8");
}

TEST(CsvField, QuotesOnlyWhenNeeded) {
    EXPECT_EQ(csv_field("plain"), "plain");
    EXPECT_EQ(csv_field("a,b"), "\"a,b\"");
    EXPECT_EQ(csv_field("q\""), "\"q\"\"\"");
}

}  // namespace
}  // namespace fp::io

namespace fp::io {
namespace {

// OWASP's CSV-injection advice for files meant for spreadsheets; reversible (strip one ').
TEST(SpreadsheetField, PrefixesFormulaStartsAndQuotes) {
    EXPECT_EQ(spreadsheet_field("=1+1"), "'=1+1");
    EXPECT_EQ(spreadsheet_field("+x"), "'+x");
    EXPECT_EQ(spreadsheet_field("-x"), "'-x");
    EXPECT_EQ(spreadsheet_field("@SUM(A1)"), "'@SUM(A1)");
    EXPECT_EQ(spreadsheet_field("\tx"), "'\tx");
    EXPECT_EQ(spreadsheet_field("'x"), "''x");
    EXPECT_EQ(spreadsheet_field("=a,b"), "\"'=a,b\"");
    EXPECT_EQ(spreadsheet_field("a=b"), "a=b");
    EXPECT_EQ(spreadsheet_field(""), "");
}

// Lines end at LF or CRLF. A file with lone CRs (old Mac line endings) is one line; say so
// rather than report its "columns".
TEST(ParseCsv, LoneCrLineEndingsAreNamed) {
    auto t = parse_csv("id,cpu\rh1,1\rh2,2\r", "f.csv");
    ASSERT_FALSE(t.has_value());
    EXPECT_EQ(t.error().msg,
              "f.csv:1:header: lines end at LF or CRLF; this file has lone CRs (old Mac line "
              "endings), so it reads as one line");
    // A CR inside a quoted field is data.
    auto q = parse_csv("id,note\nv1,\"a\rb\"\n", "q.csv");
    ASSERT_TRUE(q.has_value()) << q.error().msg;
    EXPECT_EQ(q->rows[0].fields[1], "a\rb");
}

class ReadFileTest : public fp::testing::ScratchDirTest {};

// read_file reads straight into a string sized by fstat: files larger than any one read, empty
// ones and ones with NUL bytes come back byte for byte.
TEST_F(ReadFileTest, ReadsEveryByteOfLargeEmptyAndBinaryFiles) {
    std::string big;
    for (int i = 0; i < 300000; ++i) big += static_cast<char>('a' + i % 26);
    big[12345] = '\0';
    for (const std::string& text : {big, std::string(), std::string("x")}) {
        const std::string p = write("f" + std::to_string(text.size()), text);
        auto got = read_file(p);
        ASSERT_TRUE(got.has_value()) << got.error().msg;
        EXPECT_EQ(got->size(), text.size());
        EXPECT_TRUE(*got == text);
    }
}

}  // namespace
}  // namespace fp::io
