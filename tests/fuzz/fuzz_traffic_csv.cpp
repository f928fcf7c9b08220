// libFuzzer target: traffic.csv (io/traffic_csv.hpp parse_traffic) against a fixed valid fleet.
#include <cstddef>
#include <cstdint>

#include "io/traffic_csv.hpp"
#include "src/util/assert.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& fleet = fp::fuzz::small_fleet();
    auto r = fp::io::parse_traffic(fp::fuzz::as_text(data, size), "traffic.csv", fleet);
    if (!r || r->empty()) return 0;
    FP_ASSERT(r->neighbours.size() == fleet.vms.size());
    for (const auto& edges : r->neighbours) {
        for (const auto& e : edges) {
            FP_ASSERT(e.vm >= 0 && static_cast<size_t>(e.vm) < fleet.vms.size());
        }
    }
    return 0;
}
