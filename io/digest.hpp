// Content digests of input files, recorded in checkpoints (64-bit FNV-1a, hex).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fp::io {

std::string hex64(uint64_t h);
std::string fnv1a64_hex(std::string_view bytes);
// The digest of plan.csv's bytes a checkpoint records and dispatch checks: "fnv1a64:HEX".
std::string plan_digest(std::string_view plan_csv_bytes);

// A digest of a large file that processes holding different parts of it can compute together
// (docs/checkpoint.md, "Input digests"): FNV-1a 64 over the concatenated 8-byte little-endian
// FNV-1a 64 digests of its 1 MiB blocks (the last one shorter; an empty file has no blocks).
// Recorded as "fnv1a64-1m:HEX". The same for any split of the work: a process digests the
// blocks it holds (block_digest) and one combines all of them in block order.
inline constexpr size_t kDigestBlockBytes = size_t{1} << 20;
inline constexpr const char* kBlockDigestPrefix = "fnv1a64-1m:";
[[nodiscard]] uint64_t block_digest(std::string_view block);
[[nodiscard]] uint64_t combine_block_digests(const std::vector<uint64_t>& blocks);
// Both steps over a whole text, the blocks digested in parallel (TBB).
[[nodiscard]] uint64_t blocked_digest(std::string_view bytes);
// "fnv1a64-1m:HEX" of blocked_digest.
[[nodiscard]] std::string blocked_digest_text(std::string_view bytes);

}  // namespace fp::io
