#include "io/history.hpp"

namespace fp::io {

Result<model::History> load_history(const std::string& path, const model::Fleet&) {
    return bad_input(path + ": history input is not implemented yet");
}

}  // namespace fp::io
