// libFuzzer target: dispatch's write-ahead journal reader (io/dispatch_io.hpp read_journal) on a
// scratch file holding the input. Entries read back are written out again.
#include <cstddef>
#include <cstdint>

#include "io/dispatch_io.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fp::fuzz::write_scratch(data, size, ".journal");
    auto r = fp::io::read_journal(path);
    if (!r) return 0;
    for (const auto& e : *r) (void)fp::io::journal_line(e);
    return 0;
}
