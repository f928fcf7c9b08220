// libFuzzer target: hosts.csv (io/fleet_csv.hpp parse_fleet), with a fixed valid vms.csv.
// Bad input must give an Error, never a crash; a fleet that parses must write back to CSV that
// parses again.
#include <cstddef>
#include <cstdint>

#include "io/fleet_csv.hpp"
#include "src/util/assert.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = fp::io::parse_fleet(fp::fuzz::as_text(data, size), "hosts.csv", fp::fuzz::kVmsCsv,
                                 "vms.csv");
    if (!r) return 0;
    const auto again = fp::io::parse_fleet(fp::io::hosts_csv(r->fleet), "hosts.csv",
                                           fp::io::vms_csv(r->fleet), "vms.csv");
    FP_ASSERT(again.has_value());
    return 0;
}
