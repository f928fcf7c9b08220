// vms.csv in record-aligned ranges (io/record_split.hpp, io/fleet_csv.hpp): the ranges, parsed
// one by one and merged in order, must give exactly what one sequential pass gives, and the
// first error must be the sequential pass's first message.
#include "io/record_split.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "src/model/generator.hpp"

namespace fp::io {
namespace {

// What a distributed reader would do with K processes, each holding only its nominal block of
// the body (plus the header): counts, exclusive scan, record starts, ranges; then each range
// parsed from a copy of its own bytes only, ids checked in `buckets` buckets, the first error.
struct SplitResult {
    std::vector<model::Vm> vms;
    std::vector<int64_t> rows_per_range;
    std::optional<LineMessage> first_error;
};

SplitResult split_parse(const std::string& text, const model::Fleet& hosts, size_t k,
                        int32_t buckets = 3) {
    auto header = parse_vm_header(text, "vms.csv");
    SplitResult out;
    if (!header) {
        out.first_error = LineMessage{1, header.error().msg};
        return out;
    }
    const std::vector<size_t> cuts = nominal_cuts(header->body, text.size(), k);
    std::vector<std::string> blocks(k);
    std::vector<BlockCounts> counts(k);
    for (size_t b = 0; b < k; ++b) {
        blocks[b] = text.substr(cuts[b], (b + 1 < k ? cuts[b + 1] : text.size()) - cuts[b]);
        counts[b] = count_block(blocks[b]);
    }
    const auto states = scan_blocks(counts, ScanState{0, header->body_line});
    std::vector<std::optional<RecordStart>> found(k);
    for (size_t b = 1; b < k; ++b) found[b] = find_record_start(blocks[b], states[b]);
    const auto ranges = resolve_ranges(cuts, found, header->body, header->body_line, text.size());
    std::vector<VmRange> parts(k);
    std::vector<std::optional<LineMessage>> syntax, values, dups;
    std::vector<std::vector<VmIdSeen>> bucket(static_cast<size_t>(buckets));
    std::vector<std::string> own(k);
    for (size_t r = 0; r < k; ++r) {
        own[r] = text.substr(ranges[r].begin, ranges[r].end - ranges[r].begin);
        parts[r] =
            parse_vm_range(own[r], CsvChunk{0, own[r].size(), ranges[r].line}, *header, hosts, {});
        syntax.push_back(parts[r].syntax.first());
        values.push_back(parts[r].values.first());
        out.rows_per_range.push_back(parts[r].rows);
        for (auto& v : parts[r].vms) out.vms.push_back(v);
        for (const VmIdSeen& i : parts[r].ids)
            bucket[static_cast<size_t>(vm_id_bucket(i.hash, buckets))].push_back(i);
    }
    for (auto& b : bucket) dups.push_back(vm_duplicate_errors(b, "vms.csv").first());
    out.first_error = vm_first_error(syntax, dups, values);
    return out;
}

const char* kHosts = "id,cpu,mem,net\nh1,64,262144,10000\nh2,64,262144,10000\n";

model::Fleet host_table() {
    auto h = parse_hosts(kHosts, "hosts.csv");
    EXPECT_TRUE(h.has_value());
    return h->fleet;
}

// The first line of the sequential reader's message (or "" when it accepts the file).
std::string sequential_first(const std::string& vms) {
    auto r = parse_fleet(kHosts, "hosts.csv", vms, "vms.csv");
    if (r) return "";
    return r.error().msg.substr(0, r.error().msg.find('\n'));
}

std::vector<std::string> ids_of(const std::vector<model::Vm>& vms) {
    std::vector<std::string> ids;
    for (const auto& v : vms) ids.push_back(v.id);
    return ids;
}

// A file with quoted fields holding newlines, commas and escaped quotes everywhere, CRLF.
std::string tricky_vms(int rows, const char* eol) {
    std::string t = std::string("id,host,cpu,mem,net,group") + eol;
    for (int i = 0; i < rows; ++i) {
        const std::string id = i % 3 == 0   ? "\"v" + std::to_string(i) + "\nsecond \"\"line\"\""
                               : i % 3 == 1 ? "v" + std::to_string(i)
                                            : "\"v," + std::to_string(i) + "\"";
        const std::string group = i % 4 == 0 ? "\"g\r\n\n\"\"x\"\"\"" : "g";
        t += id + (i % 3 == 0 ? "\"" : "") + ",h" + std::to_string(1 + i % 2) + ",1,512,1," +
             group + eol;
        if (i % 7 == 0) t += eol;  // blank lines are skipped
    }
    return t;
}

TEST(RecordSplit, RangesCoverTheTextAndStartAtRecords) {
    const std::string t = tricky_vms(40, "\n");
    auto header = parse_vm_header(t, "vms.csv");
    ASSERT_TRUE(header.has_value());
    CsvTable whole = *parse_csv(t, "vms.csv");
    for (size_t k = 1; k <= 8; ++k) {
        const auto ranges = split_records(t, header->body, header->body_line, k);
        ASSERT_EQ(ranges.size(), k);
        EXPECT_EQ(ranges.front().begin, header->body);
        EXPECT_EQ(ranges.back().end, t.size());
        std::vector<CsvRow> rows;
        for (size_t r = 0; r < k; ++r) {
            if (r > 0) {
                EXPECT_EQ(ranges[r].begin, ranges[r - 1].end);
            }
            std::vector<std::string> names = whole.header;
            ErrorList errors;
            parse_csv_records(
                std::string_view(t).substr(ranges[r].begin, ranges[r].end - ranges[r].begin),
                ranges[r].line, "vms.csv", names, true, errors, rows);
            EXPECT_TRUE(errors.empty()) << "K=" << k << " range " << r;
        }
        ASSERT_EQ(rows.size(), whole.rows.size()) << "K=" << k;
        for (size_t i = 0; i < rows.size(); ++i) {
            EXPECT_EQ(rows[i].line, whole.rows[i].line);
            EXPECT_EQ(rows[i].fields, whole.rows[i].fields);
        }
    }
}

TEST(RecordSplit, BoundaryInsideAQuotedFieldMovesToTheNextRecord) {
    // One quoted field spans the whole middle: every nominal cut inside it must skip to after it.
    std::string t = "id,host,cpu,mem,net,group\nv1,h1,1,1,1,\"";
    for (int i = 0; i < 50; ++i) t += "line " + std::to_string(i) + ",\n";
    t += "\"\nv2,h2,1,1,1,g\n";
    const auto sp = split_parse(t, host_table(), 6);
    ASSERT_FALSE(sp.first_error) << sp.first_error->message;
    EXPECT_EQ(ids_of(sp.vms), (std::vector<std::string>{"v1", "v2"}));
    int64_t total = 0;
    for (int64_t n : sp.rows_per_range) total += n;
    EXPECT_EQ(total, 2);
    // A block inside the quotes has no record start; outside quotes the same bytes would.
    const std::string_view inside = std::string_view(t).substr(t.find("line 10"), 9);
    EXPECT_FALSE(find_record_start(inside, ScanState{1, 12}).has_value());
    EXPECT_TRUE(find_record_start(inside, ScanState{0, 12}).has_value());
}

TEST(RecordSplit, QuotedNewlinesAndCrlfGiveTheSequentialRowsForEveryK) {
    for (const char* eol : {"\n", "\r\n"}) {
        const std::string t = tricky_vms(60, eol);
        auto seq = parse_fleet(kHosts, "hosts.csv", t, "vms.csv");
        ASSERT_TRUE(seq.has_value()) << seq.error().msg;
        for (size_t k = 1; k <= 8; ++k) {
            const auto sp = split_parse(t, host_table(), k);
            ASSERT_FALSE(sp.first_error) << sp.first_error->message;
            EXPECT_EQ(ids_of(sp.vms), ids_of(seq->fleet.vms)) << "K=" << k;
        }
    }
}

TEST(RecordSplit, GeneratedFilesGiveTheSequentialFleetForEveryK) {
    model::GeneratorOptions g;
    g.hosts = 40;
    g.vms = 1500;
    g.seed = 11;
    const model::Fleet f = model::generate_fleet(g);
    const std::string hosts = hosts_csv(f), vms = vms_csv(f);
    auto seq = parse_fleet(hosts, "hosts.csv", vms, "vms.csv");
    ASSERT_TRUE(seq.has_value()) << seq.error().msg;
    auto table = parse_hosts(hosts, "hosts.csv");
    ASSERT_TRUE(table.has_value());
    for (size_t k = 1; k <= 8; ++k) {
        const auto sp = split_parse(vms, table->fleet, k);
        ASSERT_FALSE(sp.first_error) << sp.first_error->message;
        ASSERT_EQ(sp.vms.size(), seq->fleet.vms.size());
        for (size_t i = 0; i < sp.vms.size(); ++i) {
            const model::Vm &a = sp.vms[i], &b = seq->fleet.vms[i];
            EXPECT_EQ(a.id, b.id);
            EXPECT_EQ(a.host, b.host);
            EXPECT_EQ(a.demand[model::kCpu], b.demand[model::kCpu]);
            EXPECT_EQ(a.demand[model::kMem], b.demand[model::kMem]);
            EXPECT_EQ(a.demand[model::kNet], b.demand[model::kNet]);
            EXPECT_EQ(a.mem_size_kib, b.mem_size_kib);
            EXPECT_EQ(a.dirty_rate_mibps, b.dirty_rate_mibps);
            EXPECT_EQ(a.group, b.group);
            EXPECT_EQ(a.anti_group, b.anti_group);
        }
    }
}

// Rows v0..v(n-1) on h1, one per line from line 2.
std::string plain_vms(int n) {
    std::string t = "id,host,cpu,mem,net\n";
    for (int i = 0; i < n; ++i) t += "v" + std::to_string(i) + ",h1,1,512,1\n";
    return t;
}

TEST(RecordSplit, DuplicateAcrossRangesIsFoundWithTheSequentialMessage) {
    std::string t = plain_vms(200);
    t += "v3,h2,1,512,1\n";  // line 202 repeats line 5, in the last range
    const std::string want = sequential_first(t);
    ASSERT_EQ(want, "vms.csv:202:id: duplicate id 'v3' (first on line 5)");
    for (size_t k = 2; k <= 8; ++k) {
        const auto sp = split_parse(t, host_table(), k);
        ASSERT_TRUE(sp.first_error) << "K=" << k;
        EXPECT_EQ(sp.first_error->message, want) << "K=" << k;
    }
}

TEST(RecordSplit, TheFirstErrorInFileOrderWinsAcrossRanges) {
    std::string t = plain_vms(300);
    // A value fault late, a duplicate in the middle, another value fault early.
    t.replace(t.find("v250,h1,1,"), 10, "v250,h1,x,");
    t.replace(t.find("v150,"), 5, "v149,");
    t.replace(t.find("v40,h1,1,512"), 12, "v40,h1,1,-2");
    const std::string want = sequential_first(t);
    ASSERT_EQ(want, "vms.csv:42:mem: must not be negative: '-2'");
    for (size_t k = 1; k <= 8; ++k) {
        const auto sp = split_parse(t, host_table(), k);
        ASSERT_TRUE(sp.first_error) << "K=" << k;
        EXPECT_EQ(sp.first_error->message, want) << "K=" << k;
    }
    // A duplicate and a value fault on one row: the duplicate first, as the sequential pass.
    std::string u = plain_vms(100);
    u.replace(u.find("v70,h1,1,512"), 12, "v10,h1,1,zz");
    ASSERT_EQ(sequential_first(u), "vms.csv:72:id: duplicate id 'v10' (first on line 12)");
    for (size_t k = 1; k <= 8; ++k)
        EXPECT_EQ(split_parse(u, host_table(), k).first_error->message, sequential_first(u));
}

TEST(RecordSplit, CsvFaultsWinOverValueFaultsWhereverTheyAre) {
    std::string t = plain_vms(300);
    t.replace(t.find("v20,h1,1,"), 9, "v20,h1,q,");  // value fault, line 22
    t.replace(t.find("v280,h1"), 7, "v2\"80,h1");    // CSV fault, line 282
    const std::string want = sequential_first(t);
    ASSERT_EQ(want, "vms.csv:282:id: quote inside an unquoted field");
    for (size_t k = 1; k <= 8; ++k)
        EXPECT_EQ(split_parse(t, host_table(), k).first_error->message, want) << "K=" << k;
    // An unterminated quote near the end, found in the last range with its line.
    std::string u = plain_vms(120) + "v999,h1,1,1,\"open\n";
    ASSERT_EQ(sequential_first(u), "vms.csv:122:net: unterminated quoted field");
    for (size_t k = 1; k <= 8; ++k)
        EXPECT_EQ(split_parse(u, host_table(), k).first_error->message, sequential_first(u));
}

TEST(RecordSplit, ParallelParseKeepsTheFilterAndMessages) {
    // parse_vms_into runs the ranges in parallel; with several ranges (1 MiB each) it must
    // still give every row in order, keep only what the filter keeps, and find duplicates.
    std::string t = "id,host,cpu,mem,net\n";
    for (int i = 0; i < 120000; ++i)
        t += "\"vm-" + std::to_string(i) + "\"\"q\",h" + std::to_string(1 + i % 2) + ",1,512,1\n";
    auto hosts = parse_hosts(kHosts, "hosts.csv");
    ASSERT_TRUE(hosts.has_value());
    FleetLoad all = *hosts;
    ASSERT_TRUE(parse_vms_into(t, "vms.csv", {}, all).has_value());
    ASSERT_EQ(all.fleet.vms.size(), 120000u);
    for (size_t i = 0; i < all.fleet.vms.size(); i += 997)
        EXPECT_EQ(all.fleet.vms[i].id, "vm-" + std::to_string(i) + "\"q");
    FleetLoad some = *hosts;
    ASSERT_TRUE(parse_vms_into(
                    t, "vms.csv", [](int32_t h, std::string_view) { return h == 1; }, some)
                    .has_value());
    EXPECT_EQ(some.fleet.vms.size(), 60000u);
    EXPECT_EQ(some.vm_rows, 120000);
    EXPECT_EQ(some.fleet.vms[0].id, "vm-1\"q");
    t += "\"vm-7\"\"q\",h1,1,512,1\n";
    FleetLoad dup = *hosts;
    auto r = parse_vms_into(t, "vms.csv", {}, dup);
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().msg, "vms.csv:120002:id: duplicate id 'vm-7\"q' (first on line 9)");
}

TEST(BlockedDigest, CombinesFromAnySplitOfTheBlocks) {
    std::string text;
    for (int i = 0; text.size() < 3 * kDigestBlockBytes + 12345; ++i)
        text += "row " + std::to_string(i) + "\n";
    const uint64_t whole = blocked_digest(text);
    // Two "processes" digest their own blocks; one combines them in block order.
    std::vector<uint64_t> blocks;
    for (size_t b = 0; b * kDigestBlockBytes < text.size(); ++b)
        blocks.push_back(
            block_digest(std::string_view(text).substr(b * kDigestBlockBytes, kDigestBlockBytes)));
    ASSERT_EQ(blocks.size(), 4u);
    EXPECT_EQ(combine_block_digests(blocks), whole);
    EXPECT_EQ(blocked_digest_text(text), kBlockDigestPrefix + hex64(whole));
    // It depends on every byte and on the block order.
    std::string changed = text;
    changed[2 * kDigestBlockBytes + 5] ^= 1;
    EXPECT_NE(blocked_digest(changed), whole);
    std::swap(blocks[0], blocks[1]);
    EXPECT_NE(combine_block_digests(blocks), whole);
    EXPECT_EQ(blocked_digest(""), combine_block_digests({}));
}

}  // namespace
}  // namespace fp::io
