// libFuzzer target: one PlanetLab-format trace file (io/history.hpp read_planetlab_file), which
// reads a path: each input is written to a scratch file first.
#include <cstddef>
#include <cstdint>

#include "io/csv.hpp"
#include "io/history.hpp"
#include "src/util/assert.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string& path = fp::fuzz::write_scratch(data, size, ".planetlab");
    fp::io::ErrorList errors;
    auto r = fp::io::read_planetlab_file(path, errors);
    if (!r || !r->has_value()) return 0;
    FP_ASSERT(errors.empty());
    for (int pct : **r) FP_ASSERT(pct >= 0 && pct <= 100);
    return 0;
}
