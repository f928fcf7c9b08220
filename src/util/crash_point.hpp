// Fault injection for the crash tests (issue: kill -9 anywhere): FP_CRASH_AT=NAME:N makes the
// process kill itself with SIGKILL (no cleanup, no flush: as `kill -9`) the N-th time it passes
// the crash point NAME. Points: "ckpt" (each dataset an HDF5 checkpoint writes), "journal" (each
// dispatch journal append, after its fsync and before the next action), "sim-interval" (each
// simulated interval, before its checkpoint), "plan-output" (the plan's outputs: after
// staging them, after the commit list, after each file put in place).
// Without the variable a crash point costs one relaxed atomic load. Thread-safe.
#pragma once

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

namespace fp {

inline void crash_point(const char* name) {
    struct Target {
        std::string name;
        long n = 0;
        std::atomic<long> seen{0};
        bool active = false;
        Target() {
            const char* s = std::getenv("FP_CRASH_AT");
            if (!s) return;
            const char* colon = std::strchr(s, ':');
            if (!colon) return;
            name.assign(s, static_cast<size_t>(colon - s));
            n = std::atol(colon + 1);
            active = n > 0;
        }
    };
    static Target target;
    if (!target.active || target.name != name) return;
    if (target.seen.fetch_add(1) + 1 == target.n) std::raise(SIGKILL);
}

}  // namespace fp
