#include "mpi/collective.hpp"

namespace fp::mpi {

void fault_point(std::string_view collective, std::string_view step, const MpiEnv& env) {
    dist::fault_point(collective, step, env.rank);
}

Result<void> agree(const Result<void>& mine, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::agree(mine, comm);
}

Result<std::vector<std::string>> gather_bytes(std::string_view collective,
                                              const Result<std::string>& mine, const MpiEnv& env,
                                              int64_t chunk_bytes) {
    MpiCommunicator comm(env);
    return dist::gather_bytes(collective, mine, comm, chunk_bytes);
}

int64_t allreduce_max(int64_t v, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::allreduce_max(v, comm);
}

int64_t allreduce_sum(int64_t v, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::allreduce_sum(v, comm);
}

Result<void> allreduce_sum(std::vector<int64_t>& v, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::allreduce_sum(v, comm);
}

double allreduce_max(double v, const MpiEnv& env) {
    MpiCommunicator comm(env);
    return dist::allreduce_max(v, comm);
}

}  // namespace fp::mpi
