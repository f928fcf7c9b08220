// 64-bit FNV-1a: the one byte-string hash of the project (input digests, id hashing, the shard of
// a new VM). Stable across runs, machines and builds, so it may decide anything deterministic.
// Thread-safety: pure.
#pragma once

#include <cstdint>
#include <string_view>

namespace fp {

inline uint64_t fnv1a64(std::string_view bytes) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    return h;
}

}  // namespace fp
