#include "src/model/generator.hpp"

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <queue>
#include <string>

#include "src/util/assert.hpp"
#include "src/util/rng.hpp"

namespace fp::model {
namespace {

struct HostType {
    int cores;
    int mem_gib;
    int net_gbps;
    double idle_w;
    double max_w;
    double weight;
};
constexpr HostType kHostTypes[] = {
    {32, 128, 10, 95, 240, 0.35},
    {64, 256, 25, 140, 390, 0.35},
    {96, 512, 25, 190, 540, 0.20},
    {128, 1024, 100, 240, 690, 0.10},
};

struct Flavour {
    int vcpus;
    int mem_gib;
    int disk_gib;
    double weight;
};
constexpr Flavour kFlavours[] = {
    {1, 2, 20, 0.22},   {2, 4, 40, 0.24},   {4, 8, 80, 0.20},    {4, 16, 80, 0.11},
    {8, 16, 160, 0.09}, {8, 32, 160, 0.07}, {16, 64, 320, 0.05}, {32, 128, 640, 0.02},
};

enum Stream : uint64_t {
    kHostType = 1,
    kHostState,
    kHostFill,
    kVmFlavour,
    kVmDemand,
    kVmOrder,
    kGroups,
    kHostOrder
};

template <typename T, size_t N>
size_t pick_weighted(const T (&items)[N], double u) {
    double total = 0;
    for (const T& t : items) total += t.weight;
    double acc = 0;
    for (size_t i = 0; i < N; ++i) {
        acc += items[i].weight / total;
        if (u < acc) return i;
    }
    return N - 1;
}

std::string padded(const char* prefix, int64_t i, int64_t n) {
    int width = 1;
    for (int64_t x = n; x >= 10; x /= 10) ++width;
    std::string digits = std::to_string(i);
    if (static_cast<int>(digits.size()) < width)
        digits.insert(0, static_cast<size_t>(width) - digits.size(), '0');
    return prefix + digits;
}

std::string tagged(char tag, int64_t n) {
    std::string s(1, tag);
    s.append(std::to_string(n));
    return s;
}

}  // namespace

Fleet generate_fleet(const GeneratorOptions& opt) {
    FP_ASSERT(opt.hosts >= 1 && opt.vms >= 0);
    Fleet fleet;
    const int64_t hosts_per_rack = 20;
    const int64_t racks = (opt.hosts + hosts_per_rack - 1) / hosts_per_rack;
    const int64_t sites = std::clamp<int64_t>(opt.hosts / 400, 1, 8);
    fleet.hosts.reserve(static_cast<size_t>(opt.hosts));
    for (int64_t i = 0; i < opt.hosts; ++i) {
        CounterRng rng(opt.seed, kHostType, static_cast<uint64_t>(i));
        const int64_t rack = i / hosts_per_rack;
        // Racks are homogeneous, as they are bought in batches.
        CounterRng rack_rng(opt.seed, kHostType, static_cast<uint64_t>(1000000000 + rack));
        const HostType& t = kHostTypes[pick_weighted(kHostTypes, rack_rng.uniform())];
        Host h;
        h.id = padded("h", i + 1, opt.hosts);
        h.capacity[kCpu] = int64_t{t.cores} * 1000;
        h.capacity[kMem] = int64_t{t.mem_gib} * 1024 * 1024;
        h.capacity[kNet] = int64_t{t.net_gbps} * 1000 * 1000;
        h.rack = padded("r", rack + 1, racks);
        h.site = padded("s", rack * sites / std::max<int64_t>(racks, 1) + 1, sites);
        h.power_idle_w = t.idle_w;
        h.power_max_w = t.max_w;
        CounterRng srng(opt.seed, kHostState, static_cast<uint64_t>(i));
        const double s = srng.uniform();
        if (s < opt.maintenance_fraction) {
            h.state = HostState::kMaintenance;
        } else if (s < opt.maintenance_fraction + opt.off_fraction) {
            h.state = HostState::kOff;
        }
        (void)rng;
        fleet.hosts.push_back(std::move(h));
    }

    // VMs: skewed flavours, demands as fractions of the allocation.
    fleet.vms.reserve(static_cast<size_t>(opt.vms));
    for (int64_t i = 0; i < opt.vms; ++i) {
        CounterRng frng(opt.seed, kVmFlavour, static_cast<uint64_t>(i));
        CounterRng drng(opt.seed, kVmDemand, static_cast<uint64_t>(i));
        const Flavour& f = kFlavours[pick_weighted(kFlavours, frng.uniform())];
        Vm vm;
        vm.id = padded("vm", i + 1, opt.vms);
        const double kind = drng.uniform();
        double cpu_u;
        if (kind < 0.6) {
            cpu_u = 0.05 + 0.30 * drng.uniform();
        } else if (kind < 0.9) {
            cpu_u = 0.30 + 0.40 * drng.uniform();
        } else {
            cpu_u = 0.70 + 0.30 * drng.uniform();
        }
        const double mem_u = 0.40 + 0.55 * drng.uniform();
        const double net_u = 0.01 + 0.49 * drng.uniform() * drng.uniform();
        vm.demand[kCpu] = static_cast<int64_t>(f.vcpus * cpu_u * 1000.0) + 1;
        vm.demand[kMem] = static_cast<int64_t>(f.mem_gib * 1024 * mem_u) * 1024;
        vm.demand[kNet] = static_cast<int64_t>(f.vcpus * 250.0 * net_u * 1000.0) + 1;
        vm.mem_size_kib = int64_t{f.mem_gib} * 1024 * 1024;
        vm.disk_kib = int64_t{f.disk_gib} * 1024 * 1024;
        const double dirty = drng.uniform();
        vm.dirty_rate_mibps = static_cast<double>(static_cast<int64_t>(dirty * dirty * 200.0));
        vm.cpu_alloc_millicores = int64_t{f.vcpus} * 1000;
        vm.mem_alloc_kib = vm.mem_size_kib;
        fleet.vms.push_back(std::move(vm));
    }
    // Affinity groups of 2-5 consecutive VMs (about 10%), anti-affinity pairs (about 4%).
    {
        int64_t group_no = 0;
        for (int64_t i = 0; i < opt.vms;) {
            CounterRng grng(opt.seed, kGroups, static_cast<uint64_t>(i));
            const double u = grng.uniform();
            if (u < 0.03) {
                const int64_t n = 2 + static_cast<int64_t>(grng.below(4));
                ++group_no;
                const std::string name = tagged('g', group_no);
                for (int64_t k = i; k < std::min(opt.vms, i + n); ++k)
                    fleet.vms[static_cast<size_t>(k)].group = name;
                i += n;
            } else if (u < 0.05 && i + 1 < opt.vms) {
                ++group_no;
                const std::string name = tagged('a', group_no);
                fleet.vms[static_cast<size_t>(i)].anti_group = name;
                fleet.vms[static_cast<size_t>(i + 1)].anti_group = name;
                i += 2;
            } else {
                ++i;
            }
        }
    }

    // Messy placement: each usable host gets a CPU fill target (empty, cold, mid or hot).
    std::vector<size_t> usable;
    for (size_t h = 0; h < fleet.hosts.size(); ++h)
        if (fleet.hosts[h].state != HostState::kOff) usable.push_back(h);
    std::vector<double> target(fleet.hosts.size(), 0.0);
    double target_sum = 0;
    for (size_t h : usable) {
        CounterRng rng(opt.seed, kHostFill, h);
        const double u = rng.uniform();
        double t;
        if (u < 0.10) {
            t = 0.0;
        } else if (u < 0.55) {
            t = 0.05 + 0.25 * rng.uniform();
        } else if (u < 0.88) {
            t = 0.30 + 0.30 * rng.uniform();
        } else {
            t = 0.92 + 0.15 * rng.uniform();
        }
        target[h] = t * static_cast<double>(fleet.hosts[h].capacity[kCpu]);
        target_sum += target[h];
    }
    std::vector<size_t> order(fleet.vms.size());
    std::iota(order.begin(), order.end(), size_t{0});
    for (size_t i = order.size(); i > 1; --i) {
        CounterRng rng(opt.seed, kVmOrder, i);
        std::swap(order[i - 1], order[rng.below(i)]);
    }
    const int64_t new_count =
        std::min<int64_t>(opt.vms, static_cast<int64_t>(opt.new_vm_fraction * opt.vms + 0.5));
    double cpu_total = 0;
    for (size_t k = static_cast<size_t>(new_count); k < order.size(); ++k)
        cpu_total += static_cast<double>(fleet.vms[order[k]].demand[kCpu]);
    const double scale = target_sum > 0 ? cpu_total / target_sum : 0.0;
    std::vector<size_t> host_order = usable;
    for (size_t i = host_order.size(); i > 1; --i) {
        CounterRng rng(opt.seed, kHostOrder, i);
        std::swap(host_order[i - 1], host_order[rng.below(i)]);
    }
    // Hosts with no CPU target never take a VM by next fit: leave them out of its cycle (the
    // same choices, without walking past them).
    host_order.erase(std::remove_if(host_order.begin(), host_order.end(),
                                    [&](size_t h) { return !(target[h] > 0); }),
                     host_order.end());
    std::vector<Resources> load(fleet.hosts.size());
    size_t cursor = 0;
    // The fallback's "most free memory" as a max-heap with lazy updates (free memory only
    // shrinks, so a stale entry is recognised and pushed again with its current value).
    std::priority_queue<std::pair<int64_t, int64_t>> free_heap;  // (free mem, -host index)
    for (size_t h : usable)
        free_heap.emplace(fleet.hosts[h].capacity[kMem], -static_cast<int64_t>(h));
    // Next fit looks at most this many hosts ahead (a full fleet would make it quadratic).
    const size_t max_tries = std::min<size_t>(host_order.size(), 4096);
    for (size_t k = static_cast<size_t>(new_count); k < order.size(); ++k) {
        Vm& vm = fleet.vms[order[k]];
        int32_t chosen = kNoHost;
        for (size_t tries = 0; tries < max_tries && !usable.empty(); ++tries) {
            const size_t h = host_order[(cursor + tries) % host_order.size()];
            const Host& host = fleet.hosts[h];
            const bool cpu_room =
                static_cast<double>(load[h][kCpu] + vm.demand[kCpu]) <= target[h] * scale ||
                load[h][kCpu] == 0;
            const bool hard_room = load[h][kMem] + vm.demand[kMem] <= host.capacity[kMem] &&
                                   load[h][kNet] + vm.demand[kNet] <= host.capacity[kNet];
            if (cpu_room && hard_room && target[h] > 0) {
                chosen = static_cast<int32_t>(h);
                cursor = (cursor + tries) % host_order.size();
                break;
            }
        }
        if (chosen == kNoHost) {
            // Fall back to the usable host with the most free memory (ties: lowest index).
            while (!free_heap.empty()) {
                const auto [free_mem, neg] = free_heap.top();
                const auto h = static_cast<size_t>(-neg);
                const int64_t now = fleet.hosts[h].capacity[kMem] - load[h][kMem];
                if (now == free_mem) {
                    chosen = static_cast<int32_t>(h);
                    break;
                }
                free_heap.pop();
                free_heap.emplace(now, neg);
            }
        }
        if (chosen != kNoHost) {
            vm.host = chosen;
            load[static_cast<size_t>(chosen)] += vm.demand;
            // Its heap entry is stale now; the heap finds out when it reaches the top.
        }
    }
    fleet.index();
    return fleet;
}

}  // namespace fp::model
