// libFuzzer target: hosts.csv (io/fleet_csv.hpp parse_fleet), with a fixed valid vms.csv.
// Bad input must give an Error, never a crash; a fleet that parses must write back to CSV that
// parses again.
#include <cstddef>
#include <cstdint>

#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fp::fuzz::check_fleet_round_trip(fp::fuzz::as_text(data, size), fp::fuzz::kVmsCsv);
    return 0;
}
