// libFuzzer target: one Bitbrains GWA-T-12 trace file (io/trace_formats.hpp read_gwa_trace), in a
// directory of its own: each input is written to DIR/v.csv first. A file that reads must give a
// grid whose fractions the interchange CSV accepts (finite, 0 to 10) and VM rows that parse.
#include <sys/stat.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "io/fleet_csv.hpp"
#include "io/trace_formats.hpp"
#include "src/util/assert.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string dir = [] {
        const char* tmp = std::getenv("TMPDIR");
        std::string d = std::string(tmp && *tmp ? tmp : "/tmp") + "/fp_fuzz_" +
                        std::to_string(getpid()) + "_gwa";
        ::mkdir(d.c_str(), 0700);
        return d;
    }();
    (void)fp::fuzz::write_scratch(data, size, "_gwa/v.csv");
    auto r = fp::io::read_gwa_trace(dir, 1000, 1000);
    if (!r) return 0;
    FP_ASSERT(r->vms.size() == 1 && r->buckets >= 1 && r->buckets <= 1000);
    for (const auto* series : {&r->vms[0].cpu, &r->vms[0].mem, &r->vms[0].net})
        for (double v : *series) FP_ASSERT(std::isfinite(v) && v >= 0 && v <= 10);
    // The reader refuses sizes beyond vms.csv's ranges (naming the GWA sample): its VM rows
    // always parse.
    auto f = fp::io::parse_fleet("id,cpu,mem,net\nh1,8,16384,1000\n", "hosts.csv",
                                 fp::io::gwa_vms_csv(*r), "vms.csv");
    FP_ASSERT(f.has_value());
    return 0;
}
