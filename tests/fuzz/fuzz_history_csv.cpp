// libFuzzer target: the CSV form of --history (io/history.hpp parse_history_csv) against a fixed
// valid fleet.
#include <cstddef>
#include <cstdint>

#include "io/history.hpp"
#include "src/util/assert.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const auto& fleet = fp::fuzz::small_fleet();
    auto r = fp::io::parse_history_csv(fp::fuzz::as_text(data, size), "history.csv", fleet);
    if (!r || r->history.empty()) return 0;
    const auto& h = r->history;
    FP_ASSERT(h.interval_s > 0);
    for (const auto* dim : {&h.cpu, &h.mem, &h.net}) {
        FP_ASSERT(dim->empty() || dim->size() == fleet.vms.size());
        for (const auto& series : *dim) {
            FP_ASSERT(series.size() <= static_cast<size_t>(h.length));
        }
    }
    return 0;
}
