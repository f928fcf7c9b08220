// The flat VM row codec the split input and the checkpoint rows travel in: every field survives
// the round trip (optional allocations present or not, empty and non-ASCII strings), rows
// append in order, and a cut or damaged buffer is an exception, never a short read.
#include "src/dist/vm_codec.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

namespace fp::dist {
namespace {

std::vector<model::Vm> rows() {
    std::vector<model::Vm> v(3);
    v[0].id = "vm-1";
    v[0].host = 7;
    v[0].demand = model::Resources{{1500, 2097152, 1000}};
    v[0].mem_size_kib = 4194304;
    v[0].disk_kib = 10485760;
    v[0].dirty_rate_mibps = 12.5;
    v[0].group = "web";
    v[0].anti_group = "db-replicas";
    v[0].cpu_alloc_millicores = 4000;
    v[0].mem_alloc_kib = 4194304;
    v[1].id = "n\xC3\xA9w";  // a new VM (no host), no optional fields, empty strings
    v[1].host = model::kNoHost;
    v[1].demand = model::Resources{{1, 2, 3}};
    v[2].id = std::string(300, 'x');
    v[2].host = 0;
    v[2].mem_alloc_kib = 1;
    return v;
}

void expect_same(const model::Vm& a, const model::Vm& b) {
    EXPECT_EQ(a.id, b.id);
    EXPECT_EQ(a.host, b.host);
    EXPECT_EQ(a.demand.v, b.demand.v);
    EXPECT_EQ(a.mem_size_kib, b.mem_size_kib);
    EXPECT_EQ(a.disk_kib, b.disk_kib);
    EXPECT_EQ(a.dirty_rate_mibps, b.dirty_rate_mibps);
    EXPECT_EQ(a.group, b.group);
    EXPECT_EQ(a.anti_group, b.anti_group);
    EXPECT_EQ(a.cpu_alloc_millicores, b.cpu_alloc_millicores);
    EXPECT_EQ(a.mem_alloc_kib, b.mem_alloc_kib);
}

TEST(VmCodec, EveryFieldSurvivesTheRoundTripInOrder) {
    const std::vector<model::Vm> in = rows();
    std::string bytes;
    encode_vms(in, bytes);
    encode_vms(std::span(in).subspan(0, 1), bytes);  // appends
    std::vector<model::Vm> out(1);                   // decode appends too
    decode_vms(bytes, out);
    ASSERT_EQ(out.size(), 5u);
    for (size_t i = 0; i < in.size(); ++i) expect_same(in[i], out[i + 1]);
    expect_same(in[0], out[4]);
}

TEST(VmCodec, ACutBufferThrowsInsteadOfReadingPastIt) {
    std::string bytes;
    encode_vms(rows(), bytes);
    for (size_t cut : {size_t{1}, size_t{3}, bytes.size() / 2, bytes.size() - 1}) {
        std::vector<model::Vm> out;
        EXPECT_THROW(decode_vms(std::string_view(bytes).substr(0, cut), out), std::runtime_error)
            << "cut at " << cut;
    }
    std::string huge_length = bytes;
    huge_length[3] = '\x7f';  // the first id's length, far beyond the buffer
    std::vector<model::Vm> out;
    EXPECT_THROW(decode_vms(huge_length, out), std::runtime_error);
}

}  // namespace
}  // namespace fp::dist
