// One test per bad-input class of CONTRACT.md, each checking the exact FILE:LINE:COLUMN message.
#include "io/fleet_csv.hpp"

#include <gtest/gtest.h>

#include "io/digest.hpp"

namespace fp::io {
namespace {

const char* kHosts =
    "id,cpu,mem,net,rack,state\n"
    "h1,16,65536,10000,r1,active\n"
    "h2,32,131072,25000,r1,maintenance\n"
    "h3,8,16384,1000,r2,off\n";

std::string error_of(const std::string& hosts, const std::string& vms) {
    auto r = parse_fleet(hosts, "hosts.csv", vms, "vms.csv");
    return r.has_value() ? "(no error)" : r.error().msg;
}

// Every field of every VM, in order.
void expect_same_vms(const std::vector<model::Vm>& got, const std::vector<model::Vm>& want) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) {
        const model::Vm &x = want[i], &y = got[i];
        EXPECT_EQ(y.id, x.id);
        EXPECT_EQ(y.host, x.host);
        EXPECT_EQ(y.demand, x.demand);
        EXPECT_EQ(y.mem_size_kib, x.mem_size_kib);
        EXPECT_EQ(y.disk_kib, x.disk_kib);
        EXPECT_EQ(y.dirty_rate_mibps, x.dirty_rate_mibps);
        EXPECT_EQ(y.group, x.group);
        EXPECT_EQ(y.anti_group, x.anti_group);
        EXPECT_EQ(y.cpu_alloc_millicores, x.cpu_alloc_millicores);
        EXPECT_EQ(y.mem_alloc_kib, x.mem_alloc_kib);
    }
}

TEST(ParseFleet, ReadsValidInputInExactUnits) {
    auto r = parse_fleet(kHosts, "hosts.csv",
                         "id,host,cpu,mem,net,mem_size,dirty_rate,group,\"extra col\"\n"
                         "v1,h1,0.813,1024.5,100,2048,12.5,\"web, tier\",zz\n"
                         "v2,,1,512,1,,,,\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    const auto& f = r->fleet;
    ASSERT_EQ(f.hosts.size(), 3u);
    EXPECT_EQ(f.hosts[0].capacity[model::kCpu], 16000);
    EXPECT_EQ(f.hosts[1].state, model::HostState::kMaintenance);
    ASSERT_EQ(f.vms.size(), 2u);
    EXPECT_EQ(f.vms[0].demand[model::kCpu], 813);
    EXPECT_EQ(f.vms[0].demand[model::kMem], 1049088);  // 1024.5 MiB in KiB
    EXPECT_EQ(f.vms[0].mem_size_kib, 2048 * 1024);
    EXPECT_EQ(f.vms[0].group, "web, tier");
    EXPECT_TRUE(f.vms[1].is_new());
    EXPECT_EQ(f.vms[1].mem_size_kib, 512 * 1024);  // defaults to mem
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_NE(r->warnings[0].find("extra col"), std::string::npos);
}

TEST(ParseFleet, MissingColumn) {
    EXPECT_EQ(error_of("id,cpu,net\nh1,1,1\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:1:mem: missing required column 'mem'");
    EXPECT_EQ(error_of(kHosts, "id,cpu,mem,net\nv,1,1,1\n"),
              "vms.csv:1:host: missing required column 'host'");
}

TEST(ParseFleet, UnparsableNumber) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h1,two,1,1\n"),
              "vms.csv:2:cpu: not a number: 'two'");
}

TEST(ParseFleet, NonFiniteNumber) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h1,1,NaN,1\n"),
              "vms.csv:2:mem: must be a finite number: 'NaN'");
    EXPECT_EQ(error_of("id,cpu,mem,net\nh1,inf,1,1\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:2:cpu: must be a finite number: 'inf'");
}

TEST(ParseFleet, NegativeValue) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h1,1,1,-5\n"),
              "vms.csv:2:net: must not be negative: '-5'");
}

TEST(ParseFleet, OutOfRangeValue) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h1,1e10,1,1\n"),
              "vms.csv:2:cpu: out of range (at most 1e9): '1e10'");
    EXPECT_EQ(error_of("id,cpu,mem,net\nh1,0,1,1\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:2:cpu: must be greater than 0");
    EXPECT_EQ(error_of("id,cpu,mem,net,state\nh1,1,1,1,broken\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:2:state: unknown state 'broken' (valid: active, maintenance, off)");
}

TEST(ParseFleet, MissingValue) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h1,1,,1\n"),
              "vms.csv:2:mem: missing value");
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\n,h1,1,1,1\n"), "vms.csv:2:id: missing value");
}

TEST(ParseFleet, DuplicateId) {
    EXPECT_EQ(error_of("id,cpu,mem,net\nh1,1,1,1\nh1,2,2,2\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:3:id: duplicate id 'h1' (first on line 2)");
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv,h1,1,1,1\nv,h1,1,1,1\n"),
              "vms.csv:3:id: duplicate id 'v' (first on line 2)");
}

TEST(ParseFleet, VmOnUnknownOrOffHost) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,nowhere,1,1,1\n"),
              "vms.csv:2:host: unknown host 'nowhere'");
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv1,h3,1,1,1\n"),
              "vms.csv:2:host: host 'h3' is off but the VM is placed on it");
}

TEST(ParseFleet, EmptyFile) {
    EXPECT_EQ(error_of("", "id,host,cpu,mem,net\n"),
              "hosts.csv:1:header: empty file: expected a header line");
    EXPECT_EQ(error_of(kHosts, ""), "vms.csv:1:header: empty file: expected a header line");
}

TEST(ParseFleet, BadQuoting) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\n\"v1,h1,1,1,1\n"),
              "vms.csv:2:id: unterminated quoted field");
}

TEST(ParseFleet, IdTooLong) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\n" + std::string(257, 'x') + ",h1,1,1,1\n"),
              "vms.csv:2:id: id longer than 256 bytes");
}

// Ids reach libvirt (a C string) and the JSON writer (UTF-8 only): a NUL byte, an encoded
// UTF-16 surrogate and an overlong form are refused where they are read, by both VM readers (the
// fast parallel scanner and the RFC 4180 fallback, taken here for the quoted field).
TEST(ParseFleet, IdsWithANulOrInvalidUtf8AreRefused) {
    const std::string head = "id,host,cpu,mem,net\n";
    EXPECT_EQ(error_of(kHosts, head + std::string("test\0evil,h1,1,1,1\n", 19)),
              "vms.csv:2:id: id holds a NUL byte (at byte 5)");
    EXPECT_EQ(error_of(kHosts, head + std::string("\"test\0evil\",h1,1,1,1\n", 21)),
              "vms.csv:2:id: id holds a NUL byte (at byte 5)");
    EXPECT_EQ(error_of(kHosts, head + "v\xED\xA0\x80,h1,1,1,1\n"), "vms.csv:2:id: not valid UTF-8");
    EXPECT_EQ(error_of(kHosts, head + "v\xE0\x80\xAF,h1,1,1,1\n"), "vms.csv:2:id: not valid UTF-8");
    EXPECT_EQ(error_of(std::string("id,cpu,mem,net\nh\0,1,1,1\n", 23), head),
              "hosts.csv:2:id: id holds a NUL byte (at byte 2)");
}

// Header names are input: an empty one is named by position, a long one is capped.
TEST(ParseFleet, DuplicateAndLongColumnNamesAreEchoedSafely) {
    EXPECT_EQ(error_of("id,cpu,mem,net,,\nh1,1,1,1,,\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:1:column 6: duplicate column '' (also column 5)");
    auto r = parse_fleet(kHosts, "hosts.csv",
                         "id,host,cpu,mem,net," + std::string(100000, 'x') + "\nv1,h1,1,1,1,\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_LT(r->warnings[0].size(), 300u);
    EXPECT_NE(r->warnings[0].find("... (100000 bytes)"), std::string::npos);
}

TEST(ParseFleet, AddressesAreCheckedForSyntax) {
    EXPECT_EQ(error_of("id,cpu,mem,net,address\nh1,1,1,1,::1\n", "id,host,cpu,mem,net\n"),
              "hosts.csv:2:address: not a host name or IPv4 address (an IPv6 address goes in "
              "brackets, e.g. [::1]): '::1'");
    EXPECT_EQ(
        error_of("id,cpu,mem,net,address\nh1,1,1,1,[::1]\nh2,1,1,1,\n", "id,host,cpu,mem,net\n"),
        "(no error)");
}

TEST(ParseFleet, ListsSeveralErrorsAtMostTwenty) {
    std::string vms = "id,host,cpu,mem,net\n";
    for (int i = 0; i < 30; ++i) vms += "v" + std::to_string(i) + ",h1,x,1,1\n";
    const std::string msg = error_of(kHosts, vms);
    EXPECT_EQ(std::count(msg.begin(), msg.end(), '\n'), 20) << msg;
    EXPECT_NE(msg.find("vms.csv:21:cpu"), std::string::npos);
    EXPECT_NE(msg.find("further errors not shown"), std::string::npos);
}

// Regressions from the review of the parallel VM reader (each once crashed or differed from
// the serial reader's messages).
TEST(ParseFleet, HeaderEndingInAnEscapedQuoteIsReadNotOverrun) {
    auto r = parse_fleet(kHosts, "hosts.csv", "id,host,cpu,mem,net,\"x\"\"y\"\nv1,h1,1,1024,10,\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    ASSERT_EQ(r->fleet.vms.size(), 1u);
    ASSERT_EQ(r->warnings.size(), 1u);
    EXPECT_NE(r->warnings[0].find("x\"y"), std::string::npos) << r->warnings[0];
}

TEST(ParseFleet, DuplicateIdComesBeforeTheRowsOtherFaults) {
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\nv,h1,1,1,1\nv,h1,1,1,-1\n"),
              "vms.csv:3:id: duplicate id 'v' (first on line 2)\n"
              "vms.csv:3:net: must not be negative: '-1'");
}

TEST(ParseFleet, OverlongIdsAreNotAlsoDuplicates) {
    const std::string id(257, 'x');
    EXPECT_EQ(error_of(kHosts, "id,host,cpu,mem,net\n" + id + ",h1,1,1,1\n" + id + ",h1,1,1,1\n"),
              "vms.csv:2:id: id longer than 256 bytes\nvms.csv:3:id: id longer than 256 bytes");
}

// Fleets from checkpoints are held to the CSV readers' rules (the same functions).
// A vms.csv of several 1 MiB ranges, each written straight into the table's storage by its
// bound (its newlines): blank lines and quoted newlines leave a range fewer rows than its bound,
// and the gaps must close with every row in file order, exactly as the per-range vectors (the
// path a row filter takes) give them.
TEST(ParseFleet, RowsOfManyRangesWithBlankLinesAndQuotedNewlinesStayInFileOrder) {
    std::string vms = "id,host,cpu,mem,net,group,dirty_rate\n";
    const int kRows = 200000;  // about 6 MB: six ranges
    for (int i = 0; i < kRows; ++i) {
        vms += "vm" + std::to_string(i) + "," +
               (i % 7 == 0 ? ""
                : i % 2    ? "h1"
                           : "h2") +
               "," + std::to_string(i % 5) + ".5,1024,10,";
        vms += i % 1000 == 3 ? "\"two\nlines\"" : "g" + std::to_string(i % 13);
        vms += "," + std::to_string(i % 3) + "\n";
        if (i % 4999 == 0) vms += "\n\r\n";  // blank lines
    }
    auto fast = parse_fleet(kHosts, "hosts.csv", vms, "vms.csv");
    ASSERT_TRUE(fast.has_value()) << fast.error().msg;
    auto gathered = parse_fleet(kHosts, "hosts.csv", vms, "vms.csv",
                                [](int32_t, std::string_view) { return true; });
    ASSERT_TRUE(gathered.has_value()) << gathered.error().msg;
    ASSERT_EQ(fast->fleet.vms.size(), static_cast<size_t>(kRows));
    EXPECT_EQ(fast->vm_rows, kRows);
    expect_same_vms(fast->fleet.vms, gathered->fleet.vms);
    for (int i = 0; i < kRows; ++i) {
        const model::Vm& v = fast->fleet.vms[static_cast<size_t>(i)];
        ASSERT_EQ(v.id, "vm" + std::to_string(i));
        EXPECT_EQ(v.host, i % 7 == 0 ? model::kNoHost : i % 2 ? 0 : 1);
        EXPECT_EQ(v.group, i % 1000 == 3 ? "two\nlines" : "g" + std::to_string(i % 13));
    }
    // A duplicate in the last range names the first row's line (blank lines counted).
    auto dup = parse_fleet(kHosts, "hosts.csv", vms + "vm7,h1,1,1,1,g,0\n", "vms.csv");
    ASSERT_FALSE(dup.has_value());
    EXPECT_NE(dup.error().msg.find(":id: duplicate id 'vm7' (first on line 12)"), std::string::npos)
        << dup.error().msg;
}

// The host column is looked up in a table of ids packed up to 16 bytes; longer ids, and ids
// that share a 16-byte prefix or differ only in length, must resolve as Fleet::host_index does.
TEST(ParseFleet, HostIdsAroundSixteenBytesResolveExactly) {
    const std::string hosts =
        "id,cpu,mem,net\n"
        "a,1,1,1\n"
        "abcdefghijklmnop,1,1,1\n"    // 16 bytes
        "abcdefghijklmnopq,1,1,1\n"   // 17
        "abcdefghijklmnopqr,1,1,1\n"  // 18
        "abcdefghijklmno,1,1,1\n";    // 15
    auto r = parse_fleet(hosts, "hosts.csv",
                         "id,host,cpu,mem,net\n"
                         "v1,abcdefghijklmnopqr,1,1,1\n"
                         "v2,abcdefghijklmno,1,1,1\n"
                         "v3,abcdefghijklmnop,1,1,1\n"
                         "v4,a,1,1,1\n"
                         "v5,abcdefghijklmnopq,1,1,1\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    std::vector<int32_t> got;
    for (const model::Vm& v : r->fleet.vms) got.push_back(v.host);
    EXPECT_EQ(got, (std::vector<int32_t>{3, 4, 1, 0, 2}));
    EXPECT_EQ(error_of(hosts,
                       "id,host,cpu,mem,net\nv1,abcdefghijklmnopqrs,1,1,1\n"
                       "v2,abcdefghijklmn,1,1,1\nv3,b,1,1,1\n"),
              "vms.csv:2:host: unknown host 'abcdefghijklmnopqrs'\n"
              "vms.csv:3:host: unknown host 'abcdefghijklmn'\n"
              "vms.csv:4:host: unknown host 'b'");
}

// The parse records the vms file's block digest (io/digest.hpp), the one a checkpoint records,
// so that the command needs no second pass over the file.
TEST(ParseFleet, RecordsTheBlockDigestOfTheVmsFile) {
    const std::string vms = "id,host,cpu,mem,net\nv1,h1,1,1,1\n";
    auto r = parse_fleet(kHosts, "hosts.csv", vms, "vms.csv");
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->vms_digest, blocked_digest(vms));
}

TEST(ValidateFleet, AppliesTheCsvRulesToAFleetBuiltElsewhere) {
    auto r = parse_fleet(kHosts, "hosts.csv", "id,host,cpu,mem,net\nv1,h1,1,1,1\nv2,,1,1,1\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    model::Fleet f = r->fleet;
    EXPECT_TRUE(validate_fleet(f, "/h", "/v").has_value());
    f.hosts[0].capacity[model::kCpu] = 0;
    f.hosts[1].capacity[model::kNet] = int64_t{1000000000} * 1000 + 1;
    f.hosts[2].id = f.hosts[0].id;
    f.vms[0].demand[model::kMem] = -1;
    f.vms[1].id = "\xff";
    f.hosts[1].power_idle_w = 200;
    f.hosts[1].power_max_w = 100;
    auto v = validate_fleet(f, "/h", "/v");
    ASSERT_FALSE(v.has_value());
    EXPECT_EQ(v.error().code, ErrorCode::kBadInput);
    EXPECT_EQ(v.error().msg,
              "/h/cpu[0] (host 'h1'): capacity rounds down to 0 (must be greater than 0)\n"
              "/h/net[1] (host 'h2'): out of range (at most 1e9)\n"
              "/h/power_idle_w[1] (host 'h2'): greater than power_max_w\n"
              "/h/id[2] (host 'h1'): duplicate id (first at row 0)\n"
              "/v/mem[0] (VM 'v1'): negative\n"
              "/v/id[1] (VM '\\xFF'): id is not valid UTF-8");
}

TEST(WriteFleet, RoundTripsThroughCsv) {
    auto r = parse_fleet(kHosts, "hosts.csv",
                         "id,host,cpu,mem,net,group\nv1,h1,0.813,1024.5,100,\"a,b\"\nv2,,1,1,1,\n",
                         "vms.csv");
    ASSERT_TRUE(r.has_value());
    auto again = parse_fleet(hosts_csv(r->fleet), "h", vms_csv(r->fleet), "v");
    ASSERT_TRUE(again.has_value()) << again.error().msg;
    ASSERT_EQ(again->fleet.vms.size(), 2u);
    for (size_t i = 0; i < 2; ++i) {
        EXPECT_EQ(again->fleet.vms[i].demand, r->fleet.vms[i].demand);
        EXPECT_EQ(again->fleet.vms[i].host, r->fleet.vms[i].host);
        EXPECT_EQ(again->fleet.vms[i].group, r->fleet.vms[i].group);
    }
    for (size_t i = 0; i < 3; ++i)
        EXPECT_EQ(again->fleet.hosts[i].capacity, r->fleet.hosts[i].capacity);
}

// `apply` writes the fleet after a plan with these writers: every column the readers accept
// must come back exactly, and writing what was read gives the same bytes.
TEST(WriteFleet, EveryColumnRoundTripsExactly) {
    model::Fleet f;
    auto host = [&](std::string id, model::Resources cap, model::HostState st) {
        model::Host h;
        h.id = std::move(id);
        h.capacity = cap;
        h.state = st;
        f.hosts.push_back(std::move(h));
        return &f.hosts.back();
    };
    model::Host* a = host(" a, \"q\" ", {{16001, 65537, 999999}}, model::HostState::kActive);
    a->rack = "r 1";
    a->site = "s,1";
    a->power_idle_w = 0.1;
    a->power_max_w = 333.33333333333331;
    a->address = "10.0.0.1";
    host("h-β", {{1, 1, 1}}, model::HostState::kMaintenance)->power_max_w = 1e9;
    host("off", {{1000000000000, 1024LL * 1000000000, 1000000000000}}, model::HostState::kOff);
    model::Vm v;
    v.id = "vm\n\"x\"";
    v.host = 0;
    v.demand = {{1, 1, 1}};
    v.mem_size_kib = 1;
    v.disk_kib = 1024LL * 1000000000;
    v.dirty_rate_mibps = 0.1 + 0.2;
    v.group = "g";
    v.anti_group = "a,g";
    v.cpu_alloc_millicores = 1;
    v.mem_alloc_kib = 3;
    f.vms.push_back(v);
    v = model::Vm{};
    v.id = "new";
    v.demand = {{2500, 1536, 0}};
    v.mem_size_kib = 1536;
    v.dirty_rate_mibps = 1e-7;
    f.vms.push_back(v);
    v = model::Vm{};
    v.id = "on-maintenance";
    v.host = 1;
    v.dirty_rate_mibps = 999999999.99999988;
    v.cpu_alloc_millicores = 0;
    f.vms.push_back(v);
    f.index();

    const std::string hosts = hosts_csv(f), vms = vms_csv(f);
    auto r = parse_fleet(hosts, "hosts.csv", vms, "vms.csv");
    ASSERT_TRUE(r.has_value()) << r.error().msg;
    EXPECT_TRUE(r->warnings.empty());
    const model::Fleet& g = r->fleet;
    ASSERT_EQ(g.hosts.size(), f.hosts.size());
    for (size_t i = 0; i < f.hosts.size(); ++i) {
        const model::Host &x = f.hosts[i], &y = g.hosts[i];
        EXPECT_EQ(y.id, x.id);
        EXPECT_EQ(y.capacity, x.capacity);
        EXPECT_EQ(y.rack, x.rack);
        EXPECT_EQ(y.site, x.site);
        EXPECT_EQ(y.state, x.state);
        EXPECT_EQ(y.power_idle_w, x.power_idle_w);
        EXPECT_EQ(y.power_max_w, x.power_max_w);
        EXPECT_EQ(y.address, x.address);
    }
    expect_same_vms(g.vms, f.vms);
    EXPECT_EQ(hosts_csv(g), hosts);
    EXPECT_EQ(vms_csv(g), vms);
}

}  // namespace
}  // namespace fp::io
