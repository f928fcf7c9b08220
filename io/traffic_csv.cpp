#include "io/traffic_csv.hpp"

namespace fp::io {

Result<model::Traffic> parse_traffic(std::string_view, const std::string& name,
                                     const model::Fleet&) {
    return bad_input(name + ": not implemented yet");
}

Result<model::Traffic> load_traffic(const std::string& path, const model::Fleet& fleet) {
    return parse_traffic("", path, fleet);
}

}  // namespace fp::io
