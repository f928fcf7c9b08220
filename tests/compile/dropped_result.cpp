// Must not compile: an error dropped on the floor. The test result_cannot_be_dropped
// (tests/CMakeLists.txt) builds this file and expects the compiler to name nodiscard.
#include "src/util/result.hpp"

namespace {

fp::Result<int> parse() { return fp::bad_input("not a number"); }

}  // namespace

void drop_the_error() { parse(); }
