// Starting another program and waiting for it: the one place mpi/ does it (`cycle` runs its
// steps, `report` runs Python).
#pragma once

#include <string>
#include <vector>

namespace fp::mpi {

struct ChildRun {
    int exit_code = 0;    // 128 + N when killed by signal N
    int spawn_error = 0;  // errno of a failed start (then nothing ran)
    int wait_error = 0;   // errno of a failed waitpid
};

// Runs args[0] (looked up in PATH when it holds no '/') with args and the environment env, and
// waits for it (through EINTR). With out_fd >= 0 its stdin is /dev/null and its stdout and
// stderr go to out_fd; otherwise it shares this process's.
ChildRun run_child(std::vector<std::string> args, std::vector<std::string> env, int out_fd = -1);

}  // namespace fp::mpi
