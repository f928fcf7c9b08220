// Content digests of input files, recorded in checkpoints (64-bit FNV-1a, hex).
#pragma once

#include <string>
#include <string_view>

namespace fp::io {

std::string fnv1a64_hex(std::string_view bytes);

}  // namespace fp::io
