// A flat binary form of shard outcomes (summaries and decisions, plan::ShardOutcome) for their
// gather to rank 0, like VM rows' (src/dist/vm_codec.hpp): fixed-width little-endian fields,
// counted vectors and length-prefixed strings, each listed VM in the VM codec. Boost's per-field
// archive cost about 15 bytes per VM row for `auto` and 87 for `consolidate` at 100k hosts /
// 2M VMs, and rank 0 decoded it field by field.
// Every field of the outcome travels, Move::est_start_s and flags and Plan's window counts
// included. Decoding checks every count and length against the bytes left, and the number of
// outcomes against the one the buffer states, and throws std::runtime_error on a cut or damaged
// buffer (callers run it as a local step, so the ranks agree on it).
// Thread-safety: pure functions.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "src/plan/sharded.hpp"

namespace fp::dist {

// Appends the outcomes to `out`.
void encode_outcomes(std::span<const plan::ShardOutcome> outcomes, std::string& out);
// Appends the outcomes `bytes` holds (all of it, one encode_outcomes call's) to `out`.
void decode_outcomes(std::string_view bytes, std::vector<plan::ShardOutcome>& out);

}  // namespace fp::dist
