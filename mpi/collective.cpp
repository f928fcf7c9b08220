#include "mpi/collective.hpp"

#include <mpi.h>

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <new>
#include <set>
#include <sstream>
#include <system_error>

namespace fp::mpi {
namespace {

// "FILE:LINE:..." → (FILE, LINE) for ordering; other messages sort first, in rank order.
std::pair<std::string, int64_t> position(const std::string& msg) {
    const size_t a = msg.find(':');
    if (a == std::string::npos) return {"", -1};
    const size_t b = msg.find(':', a + 1);
    if (b == std::string::npos) return {"", -1};
    const std::string num = msg.substr(a + 1, b - a - 1);
    if (num.empty() || num.find_first_not_of("0123456789") != std::string::npos) return {"", -1};
    return {msg.substr(0, a), std::strtoll(num.c_str(), nullptr, 10)};
}

}  // namespace

std::vector<std::string> gather_bytes(const std::string& mine, const MpiEnv& env) {
    if (env.size == 1) return {mine};
    const auto n = static_cast<int64_t>(mine.size());
    if (n > std::numeric_limits<int>::max())
        throw std::runtime_error("a message of more than 2 GiB cannot be gathered");
    int len = static_cast<int>(n);
    std::vector<int> lens(static_cast<size_t>(env.size), 0);
    MPI_Gather(&len, 1, MPI_INT, lens.data(), 1, MPI_INT, 0, MPI_COMM_WORLD);
    std::vector<int> displs(static_cast<size_t>(env.size), 0);
    int64_t total = 0;
    for (int r = 0; r < env.size; ++r) {
        displs[static_cast<size_t>(r)] = static_cast<int>(total);
        total += lens[static_cast<size_t>(r)];
    }
    if (env.rank == 0 && total > std::numeric_limits<int>::max())
        throw std::runtime_error("gathered messages exceed 2 GiB");
    std::string all(env.rank == 0 ? static_cast<size_t>(total) : 0, '\0');
    MPI_Gatherv(mine.data(), len, MPI_BYTE, all.data(), lens.data(), displs.data(), MPI_BYTE, 0,
                MPI_COMM_WORLD);
    std::vector<std::string> out;
    if (env.rank != 0) return out;
    for (int r = 0; r < env.size; ++r)
        out.emplace_back(all.substr(static_cast<size_t>(displs[static_cast<size_t>(r)]),
                                    static_cast<size_t>(lens[static_cast<size_t>(r)])));
    return out;
}

Error error_from_exception(const std::exception& e) {
    const std::string what = e.what();
    if (dynamic_cast<const std::bad_alloc*>(&e) != nullptr)
        return Error{ErrorCode::kEnvironment,
                     "fleetplan: out of memory (" + what +
                         "): the inputs need more memory than this process may use (ulimit -v, "
                         "the machine's or the job's memory limit)",
                     {}};
    // oneTBB reports a failed pthread_create as a std::runtime_error with this text (it has no
    // type of its own); std::thread as a system_error with EAGAIN.
    const auto* sys = dynamic_cast<const std::system_error*>(&e);
    if (what.rfind("pthread_create has failed", 0) == 0 ||
        (sys != nullptr && sys->code() == std::errc::resource_unavailable_try_again))
        return Error{ErrorCode::kEnvironment,
                     "fleetplan: cannot start a thread (" + what +
                         "): too many processes or threads for this user (ulimit -u), or too "
                         "little memory for a thread's stack; try fewer --threads",
                     {}};
    return Error{ErrorCode::kInternal, "internal error: " + what, {}};
}

Result<void> agree(const Result<void>& mine, const MpiEnv& env) {
    if (env.size == 1) return mine;
    const int code = mine ? 0 : static_cast<int>(mine.error().code);
    int worst = 0;
    MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD);
    if (worst == 0) return {};
    std::string msg = mine ? "" : mine.error().msg;
    if (!mine && !mine.error().context.empty()) msg += "\n  (" + mine.error().context + ")";
    const std::vector<std::string> all = gather_bytes(msg, env);
    std::string merged;
    if (env.rank == 0) {
        std::vector<std::string> lines;
        bool more = false;
        for (const std::string& m : all) {
            std::istringstream in(m);
            std::string line;
            while (std::getline(in, line)) {
                if (line == "(further errors not shown)") {
                    more = true;
                    continue;
                }
                if (!line.empty()) lines.push_back(line);
            }
        }
        std::stable_sort(
            lines.begin(), lines.end(),
            [](const std::string& a, const std::string& b) { return position(a) < position(b); });
        // Every rank may report the same fault (a header, a duplicate id): keep each message once.
        std::vector<std::string> once;
        std::set<std::string> seen;
        for (auto& l : lines)
            if (seen.insert(l).second) once.push_back(std::move(l));
        lines = std::move(once);
        constexpr size_t kMax = 20;
        if (lines.size() > kMax) {
            lines.resize(kMax);
            more = true;
        }
        for (size_t i = 0; i < lines.size(); ++i) merged += (i ? "\n" : "") + lines[i];
        if (more) merged += "\n(further errors not shown)";
    }
    return tl::unexpected(Error{static_cast<ErrorCode>(worst), merged, {}});
}

int64_t allreduce_max(int64_t v, const MpiEnv& env) {
    if (env.size == 1) return v;
    long long in = v, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

int64_t allreduce_sum(int64_t v, const MpiEnv& env) {
    if (env.size == 1) return v;
    long long in = v, out = 0;
    MPI_Allreduce(&in, &out, 1, MPI_LONG_LONG, MPI_SUM, MPI_COMM_WORLD);
    return out;
}

void allreduce_sum(std::vector<int64_t>& v, const MpiEnv& env) {
    if (env.size == 1 || v.empty()) return;
    std::vector<long long> in(v.begin(), v.end()), out(v.size(), 0);
    MPI_Allreduce(in.data(), out.data(), static_cast<int>(in.size()), MPI_LONG_LONG, MPI_SUM,
                  MPI_COMM_WORLD);
    std::copy(out.begin(), out.end(), v.begin());
}

double allreduce_max(double v, const MpiEnv& env) {
    if (env.size == 1) return v;
    double out = 0;
    MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
    return out;
}

}  // namespace fp::mpi
