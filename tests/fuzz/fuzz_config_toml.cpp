// libFuzzer target: the TOML run configuration (io/config.hpp load_config, text given) with the
// built-in policies registered.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "io/config.hpp"
#include "src/policy/registry.hpp"
#include "tests/fuzz/fuzz_util.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const fp::policy::Registries registries = [] {
        fp::policy::Registries r;
        fp::policy::register_builtin_policies(r);
        return r;
    }();
    auto r = fp::io::load_config("fuzz.toml", fp::io::ConfigOverrides{}, registries,
                                 std::string(fp::fuzz::as_text(data, size)));
    if (!r) return 0;
    // The expanded config is what a checkpoint stores; it must load again.
    const auto again = fp::io::load_config("expanded.toml", fp::io::ConfigOverrides{}, registries,
                                           r->expanded_toml);
    if (!again) {
        std::fprintf(stderr, "the expanded config does not load again: %s\n%s",
                     again.error().msg.c_str(), r->expanded_toml.c_str());
        std::abort();
    }
    return 0;
}
