// Content digests of input files, recorded in checkpoints (64-bit FNV-1a, hex).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fp::io {

std::string hex64(uint64_t h);
std::string fnv1a64_hex(std::string_view bytes);
// The digest of plan.csv's bytes a checkpoint records and dispatch checks: "fnv1a64:HEX".
std::string plan_digest(std::string_view plan_csv_bytes);

}  // namespace fp::io
