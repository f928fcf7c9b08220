// libFuzzer target: vms.csv (io/fleet_csv.hpp parse_fleet), with a fixed valid hosts.csv.
// Bad input must give an Error, never a crash; a fleet that parses must write back to CSV that
// parses again.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fp::fuzz::check_fleet_round_trip(fp::fuzz::kHostsCsv, fp::fuzz::as_text(data, size));
    return 0;
}
