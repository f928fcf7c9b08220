#include "io/traffic_csv.hpp"

#include <gtest/gtest.h>

#include "io/fleet_csv.hpp"

namespace fp::io {
namespace {

model::Fleet fleet() {
    auto r = parse_fleet("id,cpu,mem,net\nh1,8,8192,1000\n", "h",
                         "id,host,cpu,mem,net\na,h1,1,1,1\nb,h1,1,1,1\nc,,1,1,1\n", "v");
    return r->fleet;
}

TEST(ParseTraffic, BuildsSymmetricNeighbourLists) {
    const auto f = fleet();
    auto t = parse_traffic("vm_a,vm_b,mbps\na,b,100\nc,a,2.5\n", "t.csv", f);
    ASSERT_TRUE(t.has_value()) << t.error().msg;
    ASSERT_EQ(t->neighbours[0].size(), 2u);
    EXPECT_EQ(t->neighbours[0][0].vm, 1);
    EXPECT_DOUBLE_EQ(t->neighbours[0][0].mbps, 100);
    EXPECT_EQ(t->neighbours[0][1].vm, 2);
    EXPECT_EQ(t->neighbours[2][0].vm, 0);
}

TEST(ParseTraffic, BadRowsNameFileLineAndColumn) {
    const auto f = fleet();
    auto err = [&](const std::string& text) {
        auto t = parse_traffic(text, "t.csv", f);
        return t.has_value() ? std::string("(no error)") : t.error().msg;
    };
    EXPECT_EQ(err("vm_a,mbps\na,1\n"), "t.csv:1:vm_b: missing required column 'vm_b'");
    EXPECT_EQ(err("vm_a,vm_b,mbps\na,zz,1\n"), "t.csv:2:vm_b: unknown VM 'zz'");
    EXPECT_EQ(err("vm_a,vm_b,mbps\na,b,-1\n"), "t.csv:2:mbps: must not be negative: '-1'");
    EXPECT_EQ(err("vm_a,vm_b,mbps\na,b,nan\n"), "t.csv:2:mbps: must be a finite number: 'nan'");
    EXPECT_EQ(err("vm_a,vm_b,mbps\na,a,1\n"), "t.csv:2:vm_b: a VM cannot talk to itself");
    EXPECT_EQ(err("vm_a,vm_b,mbps\na,b,1\nb,a,2\n"),
              "t.csv:3:vm_b: duplicate pair (first on line 2)");
}

}  // namespace
}  // namespace fp::io
