// libFuzzer target: the simulator's resumable state (sim::Engine::load_state) on a fixed small
// scenario (tests/fuzz/sim_state_scenario.hpp). The blob ends with a checksum of the rest, so
// the input is taken as the body and its checksum is appended (the raw input is tried too). A state
// that loads must also run to the end. Built with FP_FUZZ_WRITE_SEEDS, it is instead a program
// writing the seed corpus: the states of an uninterrupted run after every interval, without their
// checksum.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "src/sim/engine.hpp"
#include "src/util/assert.hpp"
#include "src/util/hash.hpp"
#include "tests/fuzz/sim_state_scenario.hpp"

#ifndef FP_FUZZ_WRITE_SEEDS
static void try_blob(const std::string& blob) {
    auto engine = fp::fuzz::make_engine();
    if (!engine->load_state(blob)) return;
    const auto ran = engine->run(fp::fuzz::scenario().intervals,
                                 [](const fp::sim::IntervalRow&) { return true; });
    FP_ASSERT(ran.has_value());
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string blob(reinterpret_cast<const char*>(data), size);
    try_blob(blob);
    const uint64_t sum = fp::fnv1a64(blob);
    blob.append(reinterpret_cast<const char*>(&sum), sizeof sum);
    try_blob(blob);
    return 0;
}
#else
int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fuzz_sim_state_seeds DIR\n");
        return 2;
    }
    auto engine = fp::fuzz::make_engine();
    int32_t k = 0;
    auto write = [&](const std::string& blob) {
        const std::string path = std::string(argv[1]) + "/state-" + std::to_string(k);
        std::FILE* f = std::fopen(path.c_str(), "wb");
        FP_ASSERT(f != nullptr);
        FP_ASSERT(std::fwrite(blob.data(), 1, blob.size() - sizeof(uint64_t), f) ==
                  blob.size() - sizeof(uint64_t));
        FP_ASSERT(std::fclose(f) == 0);
    };
    for (k = 0; k <= fp::fuzz::scenario().intervals; ++k) {
        FP_ASSERT(engine->run(k, [](const fp::sim::IntervalRow&) { return true; }).has_value());
        write(engine->save_state());
    }
    return 0;
}
#endif
