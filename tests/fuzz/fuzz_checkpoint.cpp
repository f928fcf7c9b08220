// libFuzzer target: the planner's HDF5 checkpoint readers (io/checkpoint.hpp read_checkpoint, and
// read_previous whole and in two ranges) on a scratch file holding the input.
#include <cstddef>
#include <cstdint>

#include "io/checkpoint.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fp::fuzz::write_scratch(data, size, ".h5");
    // An error is the expected outcome for most inputs: the fuzzer looks for crashes.
    (void)fp::io::read_checkpoint(path);
    (void)fp::io::read_previous(path, 0, 1);
    (void)fp::io::read_previous(path, 1, 2);
    return 0;
}
