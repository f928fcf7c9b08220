// HostConnection and Connector over libvirt (any URI: test:///..., qemu+unix://...,
// qemu+ssh://..., qemu+tls://...). virConnectPtr and virDomainPtr never leave the .cpp.
// Migrations use virDomainMigrateToURI3 (live, peer to peer) with the mode's flags; a watchdog
// aborts the job (virDomainAbortJob) at the request's timeout. Thread-safety: a connection is
// used by one thread at a time; the connector opens one connection per call.
#pragma once

#include <memory>
#include <string>

#include "src/dispatch/dispatcher.hpp"

namespace fp::dispatch {

// Opens a read-only connection; libvirt's own error text is in the Error.
Result<std::unique_ptr<HostConnection>> open_libvirt_readonly(const std::string& uri);
// Opens a read-write connection (needed to migrate).
Result<std::unique_ptr<HostConnection>> open_libvirt(const std::string& uri);

class LibvirtConnector final : public Connector {
  public:
    Result<std::unique_ptr<HostConnection>> connect(const std::string& uri) override {
        return open_libvirt(uri);
    }
};

}  // namespace fp::dispatch
