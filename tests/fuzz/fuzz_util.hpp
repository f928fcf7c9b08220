// Helpers shared by the libFuzzer targets: the fixed, valid fleet the table fuzzers pair with
// the fuzzed table, and a per-process scratch file for parsers that read a path.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "io/fleet_csv.hpp"
#include "src/util/assert.hpp"

namespace fp::fuzz {

// tests/data/clusters/small, inlined so a target needs no file at run time.
inline constexpr std::string_view kHostsCsv =
    "id,cpu,mem,net,rack,site,state,address\n"
    "\"host, α\",16,65536,10000,r1,s1,active,10.0.0.1\n"
    "h-β,16,65536,10000,r1,s1,,10.0.0.2\n"
    "h3,32,131072,25000,r2,s1,active,10.0.0.3\n"
    "h4,32,131072,25000,r2,s1,maintenance,10.0.0.4\n";
inline constexpr std::string_view kVmsCsv =
    "id,host,cpu,mem,net,mem_size,dirty_rate,group\n"
    "\"vm \"\"one\"\"\",\"host, α\",12,30000,100,32768,50,g1\n"
    "vm-二,\"host, α\",3,8192,100,8192,10,g1\n"
    "v3,h-β,2,4096,50,4096,0,\n"
    "v4,h3,4,16384,200,16384,120,\n";

// The fleet above (parsed once).
inline const model::Fleet& small_fleet() {
    static const model::Fleet fleet = [] {
        auto r = io::parse_fleet(kHostsCsv, "hosts.csv", kVmsCsv, "vms.csv");
        FP_ASSERT(r.has_value());
        return std::move(r->fleet);
    }();
    return fleet;
}

// The hosts/vms table targets: a pair that parses must write back to CSV that parses again to
// the same fleet, which writes the same bytes (`apply` relies on it; bad input must only give an
// Error).
inline void check_fleet_round_trip(std::string_view hosts, std::string_view vms) {
    auto r = io::parse_fleet(hosts, "hosts.csv", vms, "vms.csv");
    if (!r) return;
    const std::string hosts_out = io::hosts_csv(r->fleet), vms_out = io::vms_csv(r->fleet);
    const auto again = io::parse_fleet(hosts_out, "hosts.csv", vms_out, "vms.csv");
    FP_ASSERT(again.has_value());
    FP_ASSERT(io::hosts_csv(again->fleet) == hosts_out);
    FP_ASSERT(io::vms_csv(again->fleet) == vms_out);
}

inline std::string_view as_text(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

// Writes the input to a scratch file of this process ($TMPDIR or /tmp) and returns its path.
inline const std::string& write_scratch(const uint8_t* data, size_t size, const char* suffix) {
    static const std::string path = [suffix] {
        const char* dir = std::getenv("TMPDIR");
        return std::string(dir && *dir ? dir : "/tmp") + "/fp_fuzz_" + std::to_string(getpid()) +
               suffix;
    }();
    std::FILE* f = std::fopen(path.c_str(), "wb");
    FP_ASSERT(f != nullptr);
    if (size > 0) FP_ASSERT(std::fwrite(data, 1, size, f) == size);
    FP_ASSERT(std::fclose(f) == 0);
    return path;
}

}  // namespace fp::fuzz
