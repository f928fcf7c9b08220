// libFuzzer target: dispatch's reader of a plan directory's plan.csv (io/dispatch_io.hpp
// read_plan_csv) on a scratch file holding the input.
#include <cstddef>
#include <cstdint>

#include "io/dispatch_io.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fp::fuzz::write_scratch(data, size, ".plan.csv");
    // An error is the expected outcome for most inputs: the fuzzer looks for crashes.
    (void)fp::io::read_plan_csv(path);
    return 0;
}
