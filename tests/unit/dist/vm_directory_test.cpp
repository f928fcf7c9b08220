// The VM-id directory the split --history/--traffic inputs route by: its keys are views into the
// ids it received, so they must stay valid when the directory moves (out of build(), into the
// caller's Result, into a container) however short the ids are.
#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "src/dist/communicator.hpp"
#include "src/dist/split_file.hpp"

namespace fp::dist {
namespace {

std::vector<model::Vm> vms(std::initializer_list<const char*> ids) {
    std::vector<model::Vm> v;
    for (const char* id : ids) {
        v.emplace_back();
        v.back().id = id;
        v.back().host = 0;
    }
    return v;
}

// One id of a few bytes: the received bytes (4 + 4 + 2) fit inside a std::string object, so a
// directory whose keys pointed into that object lost them when build() returned it; a second
// build over the same stack then made the first directory's lookups see the second's ids.
TEST(VmDirectory, ShortIdsStillResolveAfterTheDirectoryMoves) {
    LocalCommunicator comm;
    auto a = VmDirectory::build(vms({"a1"}), {3}, comm);
    ASSERT_TRUE(a.has_value());
    auto b = VmDirectory::build(vms({"b2"}), {5}, comm);
    ASSERT_TRUE(b.has_value());
    EXPECT_EQ(a->shard("a1"), 3);
    EXPECT_EQ(b->shard("b2"), 5);
    EXPECT_EQ(a->shard("b2"), -1);
    std::vector<VmDirectory> kept;
    kept.push_back(std::move(*a));
    kept.push_back(std::move(*b));
    EXPECT_EQ(kept[0].shard("a1"), 3);
    EXPECT_EQ(kept[1].shard("b2"), 5);
}

TEST(VmDirectory, ManyIdsResolveToTheirShardsAndUnknownIdsToMinusOne) {
    LocalCommunicator comm;
    std::vector<model::Vm> v;
    std::vector<int32_t> shard;
    for (int i = 0; i < 1000; ++i) {
        v.emplace_back();
        v.back().id = "vm-" + std::to_string(i);
        shard.push_back(i % 17);
    }
    auto d = VmDirectory::build(v, shard, comm);
    ASSERT_TRUE(d.has_value());
    for (int i = 0; i < 1000; ++i) EXPECT_EQ(d->shard("vm-" + std::to_string(i)), i % 17);
    EXPECT_EQ(d->shard("vm-1000"), -1);
    EXPECT_EQ(d->shard(""), -1);
}

}  // namespace
}  // namespace fp::dist
