// The dispatch interface the core plans against: something that can tell where VMs run.
// Implementations live in their own targets (src/dispatch/libvirt/ for libvirt); the core never
// links libvirt. Thread-safety: one instance per thread.
#pragma once

#include <string>
#include <vector>

#include "src/util/result.hpp"

namespace fp::dispatch {

struct DomainInfo {
    std::string name;
    bool running = false;
    int64_t memory_kib = 0;
    int32_t vcpus = 0;
};

class HostConnection {
  public:
    virtual ~HostConnection() = default;
    // The domains defined on the host, sorted by name.
    virtual Result<std::vector<DomainInfo>> list_domains() = 0;
};

}  // namespace fp::dispatch
