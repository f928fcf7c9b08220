// Always-on invariant checks. FP_ASSERT guards broken invariants (bugs), never input errors.
#pragma once

#include <cstdio>
#include <cstdlib>

#define FP_ASSERT(cond)                                                                          \
    do {                                                                                         \
        if (!(cond)) {                                                                           \
            std::fprintf(stderr, "fleetplan: internal error: %s:%d: assertion '%s'\n", __FILE__, \
                         __LINE__, #cond);                                                       \
            std::abort();                                                                        \
        }                                                                                        \
    } while (0)

#ifdef NDEBUG
#define FP_DEBUG_ASSERT(cond) ((void)0)
#else
#define FP_DEBUG_ASSERT(cond) FP_ASSERT(cond)
#endif
