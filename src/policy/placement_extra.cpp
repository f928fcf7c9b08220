#include "src/policy/registry.hpp"

namespace fp::policy {

void register_extra_placements(Registries&) {}

}  // namespace fp::policy
