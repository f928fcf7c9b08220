#include <algorithm>

#include "src/plan/passes.hpp"

namespace fp::plan::detail {

using model::kNoHost;

// Local first: a VM allotted less than it asks for, on a host with room after the plan,
// grows its allocation in place (resize.csv) instead of moving.
void grow_allocations(PlannerState& s) {
    for (int32_t vm = 0; vm < s.state_.vm_count(); ++vm) {
        const model::Vm& v = s.fleet_.vms[static_cast<size_t>(vm)];
        const int32_t h = s.state_.host_of(vm);
        if (h == kNoHost || s.state_.overloaded(h)) continue;
        const bool cpu_short =
            v.cpu_alloc_millicores && *v.cpu_alloc_millicores < v.demand[model::kCpu];
        const bool mem_short = v.mem_alloc_kib && *v.mem_alloc_kib < v.demand[model::kMem];
        if (!cpu_short && !mem_short) continue;
        Resize r;
        r.vm = vm;
        r.host = h;
        r.cpu_alloc_millicores =
            std::max(v.cpu_alloc_millicores.value_or(0), v.demand[model::kCpu]);
        r.mem_alloc_kib = std::max(v.mem_alloc_kib.value_or(0), v.demand[model::kMem]);
        s.plan_.resizes.push_back(r);
    }
    std::sort(s.plan_.resizes.begin(), s.plan_.resizes.end(),
              [&](const Resize& a, const Resize& b) {
                  return s.fleet_.vms[static_cast<size_t>(a.vm)].id <
                         s.fleet_.vms[static_cast<size_t>(b.vm)].id;
              });
}

}  // namespace fp::plan::detail
