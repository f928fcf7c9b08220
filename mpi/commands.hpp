// The subcommands of `fleetplan`. Each returns an Error for bad input or a failing environment;
// only main() turns that into a message and an exit code.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "mpi/cli.hpp"
#include "src/util/result.hpp"

namespace fp::mpi {

struct MpiEnv {
    int rank = 0;
    int size = 1;
    int local_size = 1;  // ranks on this node
};

Result<void> cmd_plan(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_generate(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_policies(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_inspect(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_convert_trace(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_simulate(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_dispatch(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_collect(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_apply(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_cycle(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_check_config(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_roadef(const std::vector<std::string>& argv, const MpiEnv& env);
Result<void> cmd_report(const std::vector<std::string>& argv, const MpiEnv& env);

std::string usage();
// `--help` or `-h` in argv: prints the usage lines, the flags of `spec` and the notes (rank 0)
// and returns true; the command then returns success (exit 0).
bool help_asked(const std::vector<std::string>& argv, const MpiEnv& env, const std::string& usage,
                const FlagSpec& spec, const std::string& notes = "");
// Worker threads per rank by default: the cores of this node over the ranks on it.
int default_threads(const MpiEnv& env);
// Seconds of wall time since t.
double since(std::chrono::steady_clock::time_point t);

}  // namespace fp::mpi
