#include "io/csv.hpp"

#include <gtest/gtest.h>

#include <filesystem>

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

class WriteFilesTogether : public fp::testing::ScratchDirTest {
  protected:
    std::string read(const std::string& name) {
        auto t = read_file((dir_ / name).string());
        return t ? *t : "<missing>";
    }
    int temporaries() {
        int n = 0;
        for (const auto& e : std::filesystem::directory_iterator(dir_))
            n += e.path().filename().string().find(".tmp.") != std::string::npos;
        return n;
    }
    std::string p(const std::string& name) { return (dir_ / name).string(); }
};

TEST_F(WriteFilesTogether, ReplacesAddsAndRemoves) {
    write("a.txt", "old a");
    write("gone.txt", "stale");
    write("last.txt", "old last");
    auto r = write_files_together({{p("a.txt"), "new a"},
                                   {p("gone.txt"), std::nullopt},
                                   {p("b.txt"), "b"},
                                   {p("last.txt"), "new last"}});
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_EQ(read("a.txt"), "new a");
    EXPECT_EQ(read("gone.txt"), "<missing>");
    EXPECT_EQ(read("b.txt"), "b");
    EXPECT_EQ(read("last.txt"), "new last");
    EXPECT_EQ(temporaries(), 0);
}

TEST_F(WriteFilesTogether, AFailedWriteLeavesThePreviousFilesAndNoTemporaries) {
    write("a.txt", "old a");
    write("last.txt", "old last");
    // The second file cannot be created: the first was already staged and must go again.
    auto r = write_files_together(
        {{p("a.txt"), "new a"}, {p("no-such-dir/b.txt"), "b"}, {p("last.txt"), "new last"}});
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kEnvironment);
    EXPECT_NE(r.error().msg.find("no-such-dir/b.txt"), std::string::npos) << r.error().msg;
    EXPECT_EQ(read("a.txt"), "old a");
    EXPECT_EQ(read("last.txt"), "old last");
    EXPECT_EQ(temporaries(), 0);
}

}  // namespace
}  // namespace fp::io
