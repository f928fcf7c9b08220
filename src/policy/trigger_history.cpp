#include "src/policy/registry.hpp"

namespace fp::policy {

void register_history_triggers(Registries&) {}

}  // namespace fp::policy
