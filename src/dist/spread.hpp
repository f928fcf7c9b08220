// Independent work items spread over the ranks: item i runs on rank i mod P (threads run a
// rank's items with oneTBB), and rank 0 gets every item's result in item order. Used by
// `simulate --grid` (one chain per item). Every fallible step is agreed, as in collectives.hpp.
// Thread-safety: `run` is called concurrently for different items. Determinism: results are
// placed by item index, whatever rank or thread produced them.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "src/dist/communicator.hpp"
#include "src/util/result.hpp"

namespace fp::dist {

// On rank 0 the n results in item order; on other ranks an empty vector; or, on every rank,
// the error of the first failing item (in item order on each rank, merged by agree()).
// `collective` names the gather of the results in errors and FP_FAIL_AT (steps pack, unpack).
Result<std::vector<std::string>> run_spread(std::string_view collective, size_t n,
                                            const std::function<Result<std::string>(size_t)>& run,
                                            Communicator& comm);

}  // namespace fp::dist
