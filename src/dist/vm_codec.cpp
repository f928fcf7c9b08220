#include "src/dist/vm_codec.hpp"

#include <cstdint>

#include "src/dist/flat.hpp"

namespace fp::dist {
namespace {

constexpr size_t kFixed = 4 + 4 + 8 * model::kDims + 8 + 8 + 8 + 4 + 4 + 1 + 8 + 8;

using flat::put;
using flat::put_str;

}  // namespace

void encode_vms(std::span<const model::Vm> vms, std::string& out) {
    size_t bytes = 0;
    for (const model::Vm& v : vms)
        bytes += kFixed + v.id.size() + v.group.size() + v.anti_group.size();
    const size_t base = out.size();
    out.resize(base + bytes);
    char* at = out.data() + base;
    for (const model::Vm& v : vms) {
        at = put_str(at, v.id);
        at = put(at, v.host);
        for (int d = 0; d < model::kDims; ++d) at = put(at, v.demand[d]);
        at = put(at, v.mem_size_kib);
        at = put(at, v.disk_kib);
        at = put(at, v.dirty_rate_mibps);
        at = put_str(at, v.group);
        at = put_str(at, v.anti_group);
        at = put(
            at, static_cast<uint8_t>((v.cpu_alloc_millicores ? 1 : 0) | (v.mem_alloc_kib ? 2 : 0)));
        at = put(at, v.cpu_alloc_millicores.value_or(0));
        at = put(at, v.mem_alloc_kib.value_or(0));
    }
}

void decode_vms(std::string_view bytes, std::vector<model::Vm>& out) {
    flat::Reader r(bytes, "VM rows");
    while (!r.done()) {
        model::Vm v;
        v.id = r.get_str();
        v.host = r.get<int32_t>();
        for (int d = 0; d < model::kDims; ++d) v.demand[d] = r.get<int64_t>();
        v.mem_size_kib = r.get<int64_t>();
        v.disk_kib = r.get<int64_t>();
        v.dirty_rate_mibps = r.get<double>();
        v.group = r.get_str();
        v.anti_group = r.get_str();
        const auto flags = r.get<uint8_t>();
        const auto cpu = r.get<int64_t>();
        const auto mem = r.get<int64_t>();
        if (flags & 1) v.cpu_alloc_millicores = cpu;
        if (flags & 2) v.mem_alloc_kib = mem;
        out.push_back(std::move(v));
    }
}

}  // namespace fp::dist
