#include "io/digest.hpp"

#include <tbb/parallel_for.h>

#include <cstdio>

#include "src/util/hash.hpp"

namespace fp::io {

std::string hex64(uint64_t h) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

std::string fnv1a64_hex(std::string_view bytes) { return hex64(fnv1a64(bytes)); }

std::string plan_digest(std::string_view plan_csv_bytes) {
    return "fnv1a64:" + fnv1a64_hex(plan_csv_bytes);
}

uint64_t block_digest(std::string_view block) { return fnv1a64(block); }

uint64_t combine_block_digests(const std::vector<uint64_t>& blocks) {
    std::string bytes(blocks.size() * 8, '\0');
    for (size_t b = 0; b < blocks.size(); ++b)
        for (size_t k = 0; k < 8; ++k)
            bytes[b * 8 + k] = static_cast<char>((blocks[b] >> (8 * k)) & 0xff);
    return fnv1a64(bytes);
}

uint64_t blocked_digest(std::string_view bytes) {
    const size_t n = (bytes.size() + kDigestBlockBytes - 1) / kDigestBlockBytes;
    std::vector<uint64_t> blocks(n);
    tbb::parallel_for(size_t{0}, n, [&](size_t b) {
        blocks[b] = block_digest(bytes.substr(b * kDigestBlockBytes, kDigestBlockBytes));
    });
    return combine_block_digests(blocks);
}

std::string blocked_digest_text(std::string_view bytes) {
    return kBlockDigestPrefix + hex64(blocked_digest(bytes));
}

}  // namespace fp::io
