// fp::Result behaves as tl::expected<T, Error> (it only adds [[nodiscard]]): copies keep the
// error, assignments take values and errors, conversions between value types work.
#include "src/util/result.hpp"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace fp {
namespace {

TEST(Result, ACopyOfAnErrorIsTheErrorEvenForBool) {
    // A Result<bool> holding an error must not turn into a value through operator bool.
    Result<bool> error = bad_input("x");
    Result<bool> copy = error;
    ASSERT_FALSE(copy.has_value());
    EXPECT_EQ(copy.error().msg, "x");
    Result<bool> value = false;
    Result<bool> copy_of_value(value);
    ASSERT_TRUE(copy_of_value.has_value());
    EXPECT_FALSE(*copy_of_value);
}

TEST(Result, AssignsValuesErrorsAndResults) {
    Result<bool> r = true;
    r = bad_input("y");
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kBadInput);
    r = false;
    ASSERT_TRUE(r.has_value());
    EXPECT_FALSE(*r);
    const Result<bool> error = fail(ErrorCode::kEnvironment, "disk full");
    r = error;
    ASSERT_FALSE(r.has_value());
    EXPECT_EQ(r.error().code, ErrorCode::kEnvironment);
    Result<void> v;
    EXPECT_TRUE(v.has_value());
    v = fail(ErrorCode::kInternal, "bug");
    EXPECT_FALSE(v.has_value());
    Result<std::string> s = "abc";
    EXPECT_EQ(*s, "abc");
}

struct Base {
    virtual ~Base() = default;
};
struct Derived : Base {};

Result<std::unique_ptr<Base>> make(bool ok) {
    Result<std::unique_ptr<Derived>> d = std::make_unique<Derived>();
    if (!ok) d = bad_input("refused");
    return d;  // Result<unique_ptr<Derived>> -> Result<unique_ptr<Base>>, error or value
}

TEST(Result, ConvertsBetweenValueTypes) {
    auto ok = make(true);
    ASSERT_TRUE(ok.has_value());
    EXPECT_NE(dynamic_cast<Derived*>(ok->get()), nullptr);
    auto refused = make(false);
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error().msg, "refused");
}

}  // namespace
}  // namespace fp
