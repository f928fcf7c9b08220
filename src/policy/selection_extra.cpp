#include "src/policy/registry.hpp"

namespace fp::policy {

void register_extra_selections(Registries&) {}

}  // namespace fp::policy
