// A test double of pthread_create for tests/integration/hardening_test.sh (LD_PRELOAD): every
// thread started after MPI_Init_thread returns fails with EAGAIN, as under an exhausted
// RLIMIT_NPROC, which root (the CI's user) ignores. MPI_Init_thread is intercepted through
// the MPI profiling interface's name (the real one is found with dlsym(RTLD_NEXT)).
#include <dlfcn.h>
#include <pthread.h>

#include <atomic>
#include <cerrno>

namespace {
std::atomic<bool> g_armed{false};
}  // namespace

extern "C" {

using CreateFn = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
using InitFn = int (*)(int*, char***, int, int*);

int pthread_create(pthread_t* thread, const pthread_attr_t* attr, void* (*start)(void*),
                   void* arg) noexcept {
    if (g_armed.load()) return EAGAIN;
    static const auto real = reinterpret_cast<CreateFn>(dlsym(RTLD_NEXT, "pthread_create"));
    return real(thread, attr, start, arg);
}

int MPI_Init_thread(int* argc, char*** argv, int required, int* provided) {
    static const auto real = reinterpret_cast<InitFn>(dlsym(RTLD_NEXT, "MPI_Init_thread"));
    const int rc = real(argc, argv, required, provided);
    g_armed.store(true);
    return rc;
}

}  // extern "C"
