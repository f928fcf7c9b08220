// A flat binary form of VM rows for the exchanges that move many of them (the split input's
// all-to-all, the checkpoint rows' gather): fixed-width little-endian fields and
// length-prefixed strings, written into one pre-sized buffer. Boost.Serialization of the same
// rows cost about 2 s per million each way at 100k hosts / 2M VMs (bench/README.md).
// Decoding checks every length against the bytes left and throws std::runtime_error on a
// short or malformed buffer (callers run it as a local step, so the ranks agree on it).
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/fleet.hpp"

namespace fp::dist {

// Appends the rows to `out`.
void encode_vms(std::span<const model::Vm> vms, std::string& out);
// Appends the rows `bytes` holds to `out`.
void decode_vms(std::string_view bytes, std::vector<model::Vm>& out);

}  // namespace fp::dist
