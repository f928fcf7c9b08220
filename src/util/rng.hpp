// Counter-based randomness (STYLE.md §5): a stream is keyed by (seed, purpose, entity id), so a
// draw never depends on rank, thread or call order.
#pragma once

#include <cstdint>

namespace fp {

uint64_t splitmix64(uint64_t x);

class CounterRng {
  public:
    CounterRng(uint64_t seed, uint64_t stream, uint64_t id);
    uint64_t next();
    double uniform();            // [0, 1)
    uint64_t below(uint64_t n);  // [0, n), n > 0
    double normal();             // standard normal (Box-Muller)

  private:
    uint64_t key_;
    uint64_t counter_ = 0;
};

}  // namespace fp
