// Large vectors (the VM table of a big fleet, checkpoint columns) reserved with transparent huge
// pages advised: faulting hundreds of MiB in 4 KiB pages cost more than parsing them (perf at
// 100k hosts / 2M VMs on a virtual machine; bench/README.md). Only a hint: without THP (or
// where madvise fails) nothing changes. Thread-safety: as the vector's own reserve.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fp::io {

// [p, p + bytes) advised MADV_HUGEPAGE (whole 2 MiB pages inside it only), before first touch.
inline void advise_huge(void* p, size_t bytes) {
    constexpr uintptr_t kHuge = uintptr_t{2} << 20;
    const auto lo = (reinterpret_cast<uintptr_t>(p) + kHuge - 1) & ~(kHuge - 1);
    const auto hi = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(kHuge - 1);
    if (hi > lo) ::madvise(reinterpret_cast<void*>(lo), hi - lo, MADV_HUGEPAGE);
}

// v.reserve(n), the new storage advised MADV_HUGEPAGE.
template <typename T>
void reserve_huge(std::vector<T>& v, size_t n) {
    if (n <= v.capacity()) return;
    v.reserve(n);
    advise_huge(v.data(), n * sizeof(T));
}

}  // namespace fp::io
