#include "src/model/history.hpp"

namespace fp::model {

Resources history_size(const Vm& vm) {
    Resources r = vm.demand;
    if (vm.cpu_alloc_millicores) r[kCpu] = *vm.cpu_alloc_millicores;
    if (vm.mem_alloc_kib) r[kMem] = *vm.mem_alloc_kib;
    return r;
}

}  // namespace fp::model
