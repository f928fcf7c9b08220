// `fleetplan report`: one self-contained HTML page from plan and simulator checkpoints. The page
// is drawn by the Python package (python/fleetplan/report.py, matplotlib); this command finds
// the package, runs `python3 -m fleetplan.report` on rank 0 with the same arguments and passes
// its exit code on (2: bad input, the file named by Python's message).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "mpi/child_process.hpp"
#include "mpi/commands.hpp"

extern char** environ;

namespace fp::mpi {
namespace {

const char* kReportUsage =
    "usage: fleetplan report DIR|CKPT.h5 [DIR|CKPT.h5 ...] --out REPORT.html [--labels a,b,...]\n";
const char* kReportNotes =
    "Writes one self-contained HTML page (figures inline, nothing fetched from the network) from\n"
    "plan and simulator checkpoints: per plan the headline per goal, host utilisation by rack\n"
    "before and after, the waves on the estimated time axis, site-to-site moves, flagged moves,\n"
    "reasons and unresolved items; for several plans a side-by-side comparison; for simulations\n"
    "active hosts, energy, SLA and migrations over time. A DIR means DIR/checkpoint.h5.\n"
    "Runs python3 -m fleetplan.report (Debian: python3-h5py python3-pandas python3-matplotlib;\n"
    "the interpreter found at build time, /usr/bin/python3, unless $FLEETPLAN_PYTHON is set);\n"
    "the package is looked up in $FLEETPLAN_PYTHONPATH, then ../lib/python3/dist-packages and\n"
    "../lib/python3.X/dist-packages beside the program, then the source tree it was built from.\n";

bool has_report(const std::filesystem::path& dir) {
    std::error_code ec;
    return std::filesystem::is_regular_file(dir / "fleetplan" / "report.py", ec);
}

// The directory holding the fleetplan package: $FLEETPLAN_PYTHONPATH when set (it must hold
// it), else the installed copy next to the program, else the source tree (FP_PYTHON_SOURCE_DIR).
Result<std::string> package_dir() {
    namespace fs = std::filesystem;
    if (const char* env = std::getenv("FLEETPLAN_PYTHONPATH"); env && *env) {
        if (has_report(env)) return std::string(env);
        return fail(ErrorCode::kEnvironment, "report: FLEETPLAN_PYTHONPATH=" + std::string(env) +
                                                 ": no fleetplan/report.py there");
    }
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        // Where `cmake --install` puts it: lib/python3/dist-packages for the prefix /usr (the
        // package), lib/python3.X/dist-packages for any other prefix.
        for (const char* sub : {"lib/python3/dist-packages", FP_PYTHON_VERSIONED_DIR}) {
            const fs::path installed = exe.parent_path() / ".." / sub;
            if (has_report(installed)) return installed.lexically_normal().string();
        }
    }
    if (has_report(FP_PYTHON_SOURCE_DIR)) return std::string(FP_PYTHON_SOURCE_DIR);
    return fail(ErrorCode::kEnvironment,
                "report: the fleetplan Python package (fleetplan/report.py) is neither in "
                "../lib/python3*/dist-packages beside the program nor in " +
                    std::string(FP_PYTHON_SOURCE_DIR) + " (set FLEETPLAN_PYTHONPATH)");
}

}  // namespace

Result<void> cmd_report(const std::vector<std::string>& argv, const MpiEnv& env) {
    if (env.rank != 0) return {};
    FlagSpec spec("report");
    spec.value("out", "REPORT.html", "the page to write (replaced whole)")
        .required()
        .value("labels", "a,b,...", "one label per input (default: the directories' names)");
    if (help_asked(argv, env, kReportUsage, spec, kReportNotes)) return {};
    // The flags are checked here, as every command's are; the package reads them again.
    if (auto args = parse_args(argv, spec); !args) return tl::unexpected(args.error());
    const auto dir = package_dir();
    if (!dir) return tl::unexpected(dir.error());
    // The environment, with the package first on PYTHONPATH.
    std::vector<std::string> vars;
    std::string path = "PYTHONPATH=" + *dir;
    for (char** e = environ; *e; ++e) {
        const std::string v = *e;
        if (v.rfind("PYTHONPATH=", 0) == 0) {
            if (v.size() > 11) path += ":" + v.substr(11);
        } else {
            vars.push_back(v);
        }
    }
    vars.push_back(path);
    const char* python = std::getenv("FLEETPLAN_PYTHON");
    if (!python || !*python) python = FP_REPORT_PYTHON;
    std::vector<std::string> args = {python, "-P", "-m", "fleetplan.report"};
    args.insert(args.end(), argv.begin(), argv.end());
    std::cout.flush();
    const ChildRun run = run_child(std::move(args), std::move(vars));
    if (run.spawn_error != 0)
        return fail(ErrorCode::kEnvironment, "report: cannot run " + std::string(python) + ": " +
                                                 std::strerror(run.spawn_error));
    if (run.wait_error != 0)
        return fail(ErrorCode::kEnvironment,
                    std::string("report: waiting for python3: ") + std::strerror(run.wait_error));
    if (run.exit_code == 0) return {};
    // Python printed what was wrong (naming the file); keep its class of error.
    const int code = run.exit_code;
    const ErrorCode ec = code == 2   ? ErrorCode::kBadInput
                         : code == 3 ? ErrorCode::kEnvironment
                                     : ErrorCode::kInternal;
    return fail(ec, "report: no report written (python3 -m fleetplan.report exited with " +
                        std::to_string(code) + ")");
}

}  // namespace fp::mpi
