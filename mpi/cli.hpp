// The commands' flag parser lives with the driver (src/dist/cli.hpp), which takes parsed flags.
#pragma once

#include "src/dist/cli.hpp"

namespace fp::mpi {
using dist::Args;
using dist::FlagSpec;
using dist::parse_args;
}  // namespace fp::mpi
