// Content digests of input files, recorded in checkpoints (64-bit FNV-1a, hex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::io {

std::string hex64(uint64_t h);
std::string fnv1a64_hex(std::string_view bytes);

}  // namespace fp::io
