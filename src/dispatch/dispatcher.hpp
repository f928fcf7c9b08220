// The dispatch interfaces the core plans against: a connection to one host's hypervisor (list
// and inspect domains, migrate one, read usage statistics) and a connector that opens one by URI.
// Implementations live in their own targets (src/dispatch/libvirt/ for libvirt); the core never
// links libvirt. Thread-safety: a HostConnection is used by one thread at a time; a Connector
// may be called from several threads.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
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

// Where a VM is, as its host's hypervisor says.
struct DomainState {
    bool exists = false;
    bool running = false;
    int64_t memory_kib = 0;
};

// One domain's counters (virConnectGetAllDomainStats's fields by name, numbers only).
struct DomainStats {
    std::string name;
    std::map<std::string, double> fields;
};

enum class MigrationMode { kPrecopy, kPostcopy, kAuto };

struct MigrateRequest {
    std::string vm;
    std::string dest_uri;     // libvirt URI of the target, as the source reaches it (peer to peer)
    std::string migrate_uri;  // data channel (e.g. tcp://ADDRESS); empty: libvirt's choice
    std::string target_uri;   // how fleetplan reaches the target (for the job's figures)
    MigrationMode mode = MigrationMode::kPrecopy;
    double bandwidth_mibps = 0;  // 0: unlimited
    double timeout_s = 600;      // the job is aborted after this
};

struct MigrateOutcome {
    bool ok = false;
    bool timed_out = false;   // aborted by the timeout; the VM stays on its source
    std::string error;        // the hypervisor's message
    double seconds = 0;       // as the hypervisor reports it (else measured)
    double downtime_ms = -1;  // as the hypervisor reports it; -1: not reported
    double data_mib = -1;
};

class HostConnection {
  public:
    virtual ~HostConnection() = default;
    // The domains defined on the host, sorted by name.
    virtual Result<std::vector<DomainInfo>> list_domains() = 0;
    virtual Result<DomainState> domain_state(const std::string& name) = 0;
    // Blocks until the migration ends, fails or times out (then aborts the job).
    virtual MigrateOutcome migrate(const MigrateRequest& request) = 0;
    virtual Result<std::vector<DomainStats>> domain_stats() = 0;
    // Whether the domain has a job running (e.g. a migration that continues after the process
    // that started it died).
    virtual Result<bool> job_active(const std::string& name) = 0;
    // Asks the hypervisor to measure the running domains' dirty rates over `seconds` (best
    // effort: domains or drivers that cannot are left out).
    virtual void start_dirty_rate(int seconds) = 0;
    // Aborts the domain's running job (best effort).
    virtual void abort_job(const std::string& name) = 0;
};

class Connector {
  public:
    virtual ~Connector() = default;
    virtual Result<std::unique_ptr<HostConnection>> connect(const std::string& uri) = 0;
};

}  // namespace fp::dispatch
