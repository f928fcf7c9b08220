#include "src/plan/fleet_after.hpp"

#include <string>

#include "src/util/text.hpp"

namespace fp::plan {

bool powers_down_freed_hosts(Goal goal) {
    return goal == Goal::kConsolidate || goal == Goal::kAuto;
}

Result<model::Fleet> fleet_after(const model::Fleet& before, const Plan& plan, Goal goal,
                                 const std::vector<int32_t>& evacuate) {
    model::Fleet after = before;
    const size_t nh = after.hosts.size();
    std::vector<uint8_t> on(nh, 0);  // switched on by the plan
    for (int32_t h : plan.powered_on) on[static_cast<size_t>(h)] = 1;
    std::vector<uint8_t> moved(after.vms.size(), 0);
    auto host_name = [&](int32_t h) {
        return h == model::kNoHost ? std::string("(new)")
                                   : "'" + after.hosts[static_cast<size_t>(h)].id + "'";
    };
    for (size_t i = 0; i < plan.moves.size(); ++i) {
        const Move& m = plan.moves[i];
        model::Vm& vm = after.vms[static_cast<size_t>(m.vm)];
        const std::string row =
            "/plan/moves row " + std::to_string(i + 1) + ": VM " + in_quotes(vm.id);
        if (moved[static_cast<size_t>(m.vm)]) return bad_input(row + " moves twice");
        if (vm.host != m.source)
            return bad_input(row + " is on " + host_name(vm.host) + ", not on " +
                             host_name(m.source));
        const model::Host& target = after.hosts[static_cast<size_t>(m.target)];
        if (target.state == model::HostState::kOff && !on[static_cast<size_t>(m.target)])
            return bad_input(row + " goes to host " + in_quotes(target.id) +
                             ", which is off and not switched on by the plan");
        moved[static_cast<size_t>(m.vm)] = 1;
        vm.host = m.target;
    }
    for (size_t i = 0; i < plan.resizes.size(); ++i) {
        const Resize& r = plan.resizes[i];
        model::Vm& vm = after.vms[static_cast<size_t>(r.vm)];
        if (vm.host != r.host)
            return bad_input("/plan/resizes row " + std::to_string(i + 1) + ": VM " +
                             in_quotes(vm.id) + " ends on " + host_name(vm.host) + ", not on " +
                             host_name(r.host));
        vm.cpu_alloc_millicores = r.cpu_alloc_millicores;
        vm.mem_alloc_kib = r.mem_alloc_kib;
    }
    std::vector<int64_t> count_before(nh, 0), count_after(nh, 0);
    for (const model::Vm& vm : before.vms)
        if (!vm.is_new()) ++count_before[static_cast<size_t>(vm.host)];
    for (const model::Vm& vm : after.vms)
        if (!vm.is_new()) ++count_after[static_cast<size_t>(vm.host)];
    std::vector<uint8_t> keep_state(nh, 0);
    for (int32_t h : evacuate) keep_state[static_cast<size_t>(h)] = 1;
    for (size_t h = 0; h < nh; ++h) {
        model::Host& host = after.hosts[h];
        if (keep_state[h] || host.state == model::HostState::kMaintenance) continue;
        if (on[h]) {
            host.state = model::HostState::kActive;
        } else if (powers_down_freed_hosts(goal) && host.state == model::HostState::kActive &&
                   count_before[h] > 0 && count_after[h] == 0) {
            host.state = model::HostState::kOff;
        }
    }
    after.index();
    return after;
}

}  // namespace fp::plan
