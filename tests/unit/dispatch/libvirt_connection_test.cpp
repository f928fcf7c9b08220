// Uses libvirt's in-process test driver (no daemon).
#include "src/dispatch/libvirt/libvirt_connection.hpp"

#include <gtest/gtest.h>

namespace fp::dispatch {
namespace {

TEST(LibvirtConnection, ListsTheTestDriversDomains) {
    auto c = open_libvirt_readonly("test:///default");
    ASSERT_TRUE(c.has_value()) << c.error().msg;
    auto doms = (*c)->list_domains();
    ASSERT_TRUE(doms.has_value()) << doms.error().msg;
    ASSERT_EQ(doms->size(), 1u);
    EXPECT_EQ((*doms)[0].name, "test");
    EXPECT_TRUE((*doms)[0].running);
    EXPECT_GT((*doms)[0].memory_kib, 0);
}

TEST(LibvirtConnection, UnreachableUriIsAnEnvironmentError) {
    auto c = open_libvirt_readonly("qemu+unix:///system?socket=/nonexistent/libvirt-sock");
    ASSERT_FALSE(c.has_value());
    EXPECT_EQ(c.error().code, ErrorCode::kEnvironment);
}

}  // namespace
}  // namespace fp::dispatch
