// `fleetplan collect`'s logic over the dispatcher.hpp interfaces (no libvirt): each host is
// sampled on its own connection, twice, `gap_s` apart, and its usage rates are divided by the
// time between *its own* two samples; hosts are sampled by a bounded pool of threads; a host that
// cannot be reached (or read) is recorded as missing with the hypervisor's message instead of
// aborting the whole collection.
// Thread-safety: sample_hosts runs up to `parallel` threads, one connection per host at a time;
// the Connector must be callable from several threads, the clock's functions too.
// Determinism: rows are sorted by (host, vm) and missing hosts by their order in the host list,
// whatever the pool size or the order in which hosts answer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "src/dispatch/dispatcher.hpp"

namespace fp::dispatch {

// What one host gave: its domains and two statistics samples with the times they were taken
// (seconds on a monotonic clock).
struct HostSample {
    std::vector<DomainInfo> domains;
    std::vector<DomainStats> first, second;
    double first_s = 0, second_s = 0;
};

// One running VM as collect writes it (vms.csv's units: cores, MiB, Mbps, MiB/s).
struct CollectedVm {
    std::string vm, host;
    double cpu = 0, mem_mib = 0, net_mbps = 0, mem_size_mib = 0;
    double dirty_mibps = -1;  // -1: not measured
    int32_t vcpus = 0;
};

// The running VMs of one host from its sample; rates over second_s - first_s (0 when that is
// not positive). Sorted by VM id.
std::vector<CollectedVm> host_rows(const std::string& host, const HostSample& sample);

// A host's outcome: its sample, or why it could not be read.
struct HostOutcome {
    std::optional<HostSample> sample;
    std::string error;  // the hypervisor's message when !sample
};

// The clock and the wait, replaceable in tests.
struct CollectClock {
    std::function<double()> now_s;        // monotonic seconds
    std::function<void(double)> sleep_s;  // waits this long
};
CollectClock steady_collect_clock();

struct CollectOptions {
    double gap_s = 1;      // between a host's two samples (0: one sample, no rates)
    int32_t parallel = 8;  // hosts sampled at once
};

// Samples every URI (one connection each, up to opt.parallel at once): every host's first
// sample, one wait of gap_s (at least the dirty-rate measurement's whole seconds), every host's
// second sample; outcomes in URI order.
std::vector<HostOutcome> sample_hosts(Connector& connector, const std::vector<std::string>& uris,
                                      const CollectOptions& opt, const CollectClock& clock);

struct MissingHost {
    std::string host;
    std::string error;
};

struct Collected {
    std::vector<CollectedVm> rows;      // sorted by (host, vm)
    std::vector<MissingHost> missing;   // in the order of `hosts`
    std::vector<std::string> warnings;  // e.g. a VM seen on two hosts
    int64_t hosts = 0;                  // hosts asked
};

// The outcomes of `hosts` (ids, in the host list's order; outcomes[i] is hosts[i]'s): the rows
// of the reachable hosts, the missing hosts with their errors. A VM that runs on two hosts (a
// migration in flight) is kept on the first in the host list's order, with a warning.
Collected merge_outcomes(const std::vector<std::string>& hosts,
                         const std::vector<HostOutcome>& outcomes);

// Whether too many hosts are missing: any with `strict`, else more than `max_missing_frac`
// of the hosts asked.
enum class Strictness { kTolerant, kStrict };
bool too_many_missing(const Collected& c, Strictness strict, double max_missing_frac);

}  // namespace fp::dispatch
