// Test helper: small fleets written inline, in input units (cores, MiB, Mbps).
#pragma once

#include <cmath>
#include <string>

#include "src/model/fleet.hpp"
#include "src/policy/registry.hpp"

namespace fp::testing {

class FleetBuilder {
  public:
    FleetBuilder& host(const std::string& id, double cpu, double mem, double net,
                       model::HostState state = model::HostState::kActive) {
        model::Host h;
        h.id = id;
        h.capacity[model::kCpu] = static_cast<int64_t>(std::llround(cpu * 1000));
        h.capacity[model::kMem] = static_cast<int64_t>(std::llround(mem * 1024));
        h.capacity[model::kNet] = static_cast<int64_t>(std::llround(net * 1000));
        h.state = state;
        fleet_.hosts.push_back(h);
        fleet_.index();
        return *this;
    }
    FleetBuilder& vm(const std::string& id, const std::string& host, double cpu, double mem,
                     double net, double mem_size_mib = -1) {
        model::Vm v;
        v.id = id;
        v.host = host.empty() ? model::kNoHost : *fleet_.host_index(host);
        v.demand[model::kCpu] = static_cast<int64_t>(std::llround(cpu * 1000));
        v.demand[model::kMem] = static_cast<int64_t>(std::llround(mem * 1024));
        v.demand[model::kNet] = static_cast<int64_t>(std::llround(net * 1000));
        v.mem_size_kib = mem_size_mib < 0 ? v.demand[model::kMem]
                                          : static_cast<int64_t>(std::llround(mem_size_mib * 1024));
        fleet_.vms.push_back(v);
        return *this;
    }
    model::Fleet build() {
        fleet_.index();
        return fleet_;
    }

  private:
    model::Fleet fleet_;
};

// Policies by name with default parameters.
inline policy::PolicySet policies(const std::string& trigger = "threshold",
                                  const std::string& selection = "resource-constrained",
                                  const std::string& placement = "bfd",
                                  const std::string& size = "volume") {
    policy::Registries r;
    policy::register_builtin_policies(r);
    policy::ConfigNode tn("policy.trigger"), sn("policy.selection"), pn("policy.placement");
    pn.set("size", size);
    policy::PolicySet set;
    set.trigger = std::move(*r.triggers.create(trigger, tn, r));
    set.selection = std::move(*r.selections.create(selection, sn, r));
    set.placement = std::move(*r.placements.create(placement, pn, r));
    return set;
}

}  // namespace fp::testing
