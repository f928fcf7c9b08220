#include "src/util/rng.hpp"

#include <cmath>

namespace fp {

uint64_t splitmix64(uint64_t x) {
    x += 0x9e3779b97f4a7c15ULL;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

CounterRng::CounterRng(uint64_t seed, uint64_t stream, uint64_t id)
    : key_(splitmix64(splitmix64(splitmix64(seed) ^ stream) ^ id)) {}

uint64_t CounterRng::next() { return splitmix64(key_ ^ splitmix64(++counter_)); }

double CounterRng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

uint64_t CounterRng::below(uint64_t n) { return next() % n; }

double CounterRng::normal() {
    double u1 = uniform();
    const double u2 = uniform();
    if (u1 < 1e-300) u1 = 1e-300;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
}

}  // namespace fp
