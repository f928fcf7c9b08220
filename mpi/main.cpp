// fleetplan's entry point: MPI start-up, the subcommand, and the one place where an Error
// becomes a message and an exit code (CONTRACT.md). Every rank runs the command; rank 0 prints
// and writes. The exit code is agreed by an allreduce-max, so no rank waits on a failed peer.
#include <mpi.h>
#include <sys/resource.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "mpi/collective.hpp"
#include "mpi/commands.hpp"
#include "src/util/text.hpp"

namespace {

// MPI start-up opens about 25 files (shared libraries, pipes, sockets); with fewer it aborts
// with exit 1 from inside MPI_Init. The outputs need a few more.
constexpr rlim_t kMinOpenFiles = 32;

// An exception that escapes a thread other than main's (a oneTBB worker that fails to start
// another) ends in std::terminate: out of memory and thread-start failures still exit 3.
[[noreturn]] void on_terminate() {
    if (std::exception_ptr p = std::current_exception()) {
        try {
            std::rethrow_exception(p);
        } catch (const std::exception& e) {
            const fp::Error err = fp::mpi::error_from_exception(e);
            std::fprintf(stderr, "%s\n", err.msg.c_str());
            std::fflush(stderr);
            if (err.code == fp::ErrorCode::kEnvironment) _exit(3);
        } catch (...) {
        }
    }
    std::abort();
}

// Raises the soft limit on open files to the hard one when it is below kMinOpenFiles; false
// when even the hard limit is below it (reported before MPI could abort on it).
bool enough_open_files(rlim_t& limit) {
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return true;
    if (rl.rlim_cur >= kMinOpenFiles) return true;
    rl.rlim_cur = rl.rlim_max;
    (void)::setrlimit(RLIMIT_NOFILE, &rl);  // best effort: the check below decides
    limit = rl.rlim_cur;
    return rl.rlim_cur >= kMinOpenFiles;
}

int run(const std::vector<std::string>& argv, const fp::mpi::MpiEnv& env) {
    if (argv.empty() || argv[0] == "--help" || argv[0] == "-h" || argv[0] == "help") {
        if (env.rank == 0) std::cout << fp::mpi::usage();
        return argv.empty() ? 2 : 0;
    }
    if (argv[0] == "--version") {
        if (env.rank == 0)
            std::cout << "fleetplan " << FP_VERSION << " (" << FP_GIT_DESCRIBE << ")\n";
        return 0;
    }
    const std::string cmd = argv[0];
    const std::vector<std::string> rest(argv.begin() + 1, argv.end());
    fp::Result<void> r;
    if (cmd == "plan") {
        r = fp::mpi::cmd_plan(rest, env);
    } else if (cmd == "generate") {
        r = fp::mpi::cmd_generate(rest, env);
    } else if (cmd == "policies") {
        r = fp::mpi::cmd_policies(rest, env);
    } else if (cmd == "inspect") {
        r = fp::mpi::cmd_inspect(rest, env);
    } else if (cmd == "simulate") {
        r = fp::mpi::cmd_simulate(rest, env);
    } else if (cmd == "convert-trace") {
        r = fp::mpi::cmd_convert_trace(rest, env);
    } else if (cmd == "dispatch") {
        r = fp::mpi::cmd_dispatch(rest, env);
    } else if (cmd == "collect") {
        r = fp::mpi::cmd_collect(rest, env);
    } else if (cmd == "apply") {
        r = fp::mpi::cmd_apply(rest, env);
    } else if (cmd == "cycle") {
        r = fp::mpi::cmd_cycle(rest, env);
    } else if (cmd == "check-config") {
        r = fp::mpi::cmd_check_config(rest, env);
    } else if (cmd == "roadef") {
        r = fp::mpi::cmd_roadef(rest, env);
    } else if (cmd == "report") {
        r = fp::mpi::cmd_report(rest, env);
    } else {
        if (env.rank == 0)
            std::cerr << "fleetplan: unknown command " << fp::in_quotes(cmd) << "\n"
                      << fp::mpi::usage();
        return 2;
    }
    if (r) return 0;
    if (env.rank == 0) {
        // Input errors already read FILE:LINE:COLUMN: what; print them as they are.
        std::cerr << r.error().msg << "\n";
        if (!r.error().context.empty()) std::cerr << "  (" << r.error().context << ")\n";
    }
    return static_cast<int>(r.error().code);
}

}  // namespace

int main(int argc, char** argv) {
    // A file-size limit (ulimit -f) would kill the process mid-write with SIGXFSZ, leaving a
    // temporary file behind; ignored, the write fails with EFBIG like a full disk: exit 3 with a
    // message naming the file, the previous outputs intact.
    std::signal(SIGXFSZ, SIG_IGN);
    std::set_terminate(on_terminate);
    // HDF5 looks for a virtual dataset's sources under $HDF5_VDS_PREFIX before the prefix a
    // reader sets (H5F_prefix_open_file): a user's environment would redirect a checkpoint's
    // parts to other files of the same names. Ours lie next to the checkpoint (io/checkpoint.cpp
    // names that directory); cleared here, before any thread starts.
    ::unsetenv("HDF5_VDS_PREFIX");
    if (rlim_t limit = 0; !enough_open_files(limit)) {
        std::fprintf(stderr,
                     "fleetplan: too few file descriptors: the limit on open files (ulimit -n) is "
                     "%llu; MPI start-up and the outputs need at least %llu\n",
                     static_cast<unsigned long long>(limit),
                     static_cast<unsigned long long>(kMinOpenFiles));
        return 3;
    }
    int provided = 0;
    if (MPI_Init_thread(&argc, &argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS) {
        std::fprintf(stderr, "fleetplan: MPI initialisation failed\n");
        return 3;
    }
    fp::mpi::MpiEnv env;
    MPI_Comm_rank(MPI_COMM_WORLD, &env.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &env.size);
    MPI_Comm node;
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, env.rank, MPI_INFO_NULL, &node);
    MPI_Comm_size(node, &env.local_size);
    MPI_Comm_free(&node);

    int code = 0;
    try {
        code = run(std::vector<std::string>(argv + 1, argv + argc), env);
    } catch (const std::exception& e) {
        const fp::Error err = fp::mpi::error_from_exception(e);
        std::fprintf(stderr, "%s\n", err.msg.c_str());
        code = static_cast<int>(err.code);
    }
    int agreed = code;
    MPI_Allreduce(&code, &agreed, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    MPI_Finalize();
    return agreed;
}
