// libFuzzer target: the simulator's HDF5 checkpoint reader (io/sim_checkpoint.hpp
// read_sim_checkpoint) on a scratch file holding the input.
#include <cstddef>
#include <cstdint>

#include "io/sim_checkpoint.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fp::fuzz::write_scratch(data, size, ".h5");
    // An error is the expected outcome for most inputs: the fuzzer looks for crashes.
    (void)fp::io::read_sim_checkpoint(path);
    return 0;
}
