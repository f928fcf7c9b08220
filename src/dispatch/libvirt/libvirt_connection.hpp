// A HostConnection over libvirt (any URI: test:///default, qemu+unix://..., qemu+ssh://...).
// virConnectPtr never leaves the .cpp. Thread-safety: one instance per thread.
#pragma once

#include <memory>
#include <string>

#include "src/dispatch/dispatcher.hpp"

namespace fp::dispatch {

// Opens a read-only connection; libvirt's own error text is in the Error.
Result<std::unique_ptr<HostConnection>> open_libvirt_readonly(const std::string& uri);

}  // namespace fp::dispatch
