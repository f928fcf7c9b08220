#include "src/sim/planner_chain.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "src/sim/byte_codec.hpp"

namespace fp::sim {
namespace {

class PlannerChain final : public Chain {
  public:
    PlannerChain(model::Fleet fleet, plan::PlanOptions options, policy::PolicySet policies,
                 PlannerHorizon horizon, int32_t mem_window, PlannerWaves waves)
        : fleet_(std::move(fleet)),
          opt_(std::move(options)),
          pol_(std::move(policies)),
          mem_window_(mem_window),
          waves_(waves) {
        opt_.budget_migrations = horizon_budget(horizon, opt_);
        fleet_.index();
        base_demand_.reserve(fleet_.vms.size());
        for (const model::Vm& vm : fleet_.vms) base_demand_.push_back(vm.demand);
    }
    std::string name() const override { return "planner"; }

    // The waves rule travels with the state: a run resumes under the rule it began with. A
    // state saved before the rule existed (no byte after the times) was made under `first`.
    void save(ByteWriter& w) const override {
        w.put_vec(last_moved_s_);
        w.put<uint8_t>(waves_ == PlannerWaves::kChained ? 1 : 0);
    }
    void load(ByteReader& r) override {
        last_moved_s_ = r.get_vec<double>();
        for (double t : last_moved_s_)  // a time, or -inf before the VM's first move
            if (std::isnan(t) || t == std::numeric_limits<double>::infinity()) r.fail();
        waves_ = PlannerWaves::kFirst;
        if (r.at_end()) return;
        const auto rule = r.get<uint8_t>();
        if (rule > 1) r.fail();
        waves_ = rule == 1 ? PlannerWaves::kChained : PlannerWaves::kFirst;
    }

    std::vector<Move> place_initial(const SimView& view) override { return plan_now(view); }
    std::vector<Move> decide(const SimView& view) override { return plan_now(view); }
    // The cooldown starts when a migration starts, which for a later wave is after the decision
    // (or never, when the next boundary comes first).
    void started(int32_t vm, int32_t, double t) override {
        if (static_cast<size_t>(vm) < last_moved_s_.size()) last_moved_s_[vm] = t;
    }

  private:
    std::vector<Move> plan_now(const SimView& view) {
        const Scenario& sc = view.sc;
        const int32_t nv = sc.vms();
        if (static_cast<int32_t>(last_moved_s_.size()) != nv)
            last_moved_s_.assign(nv, -std::numeric_limits<double>::infinity());
        // The fleet and the history are updated in place (a copy of 200,000 VMs and their
        // series every interval cost more than planning); every field set here is set for every
        // VM, so nothing of the previous interval remains.
        model::Fleet& fleet = fleet_;
        std::vector<uint8_t> frozen(nv, 0);
        std::vector<int32_t> dest(nv, -1);
        for (const Inflight& m : view.st.inflight) dest[m.vm] = m.dst;
        model::History& hist = hist_;
        hist.interval_s = sc.interval_s;
        hist.length = 0;
        hist.cpu.resize(nv);
        hist.mem.assign(nv, {});
        hist.net.assign(nv, {});
        for (int32_t v = 0; v < nv; ++v) {
            model::Vm& vm = fleet.vms[v];
            const int32_t h = view.st.vm_host[v];
            vm.demand = base_demand_[v];
            // A VM being created asks for its size (every core it has), as CloudSim creates it:
            // one sample of its demand says nothing of its peak, and VMs packed to max-util by
            // their first sample overload their hosts as soon as they grow (issue 19's 100,000
            // Bitbrains VMs: 382 hosts of 5,000, SLATAH 63%). The trigger's cold spots
            // consolidate them once their history is known.
            vm.demand[0] = static_cast<int64_t>(
                std::llround(view.instantiation && h < 0 ? sc.vm_mips[v] : view.vm_req_now[v]));
            // A VM with a memory trace demands its current memory (KiB, rounded up).
            if (static_cast<size_t>(v) < sc.mem_trace.size() && !sc.mem_trace[v].empty())
                vm.demand[1] = static_cast<int64_t>(
                    std::ceil(sc.mem_peak_mb(v, view.t, mem_window_) * 1024.0));
            if (h == kFinished) {
                vm.host = model::kNoHost;
                vm.demand = model::Resources{};
                frozen[v] = 1;
                hist.cpu[v].clear();
                continue;
            }
            vm.host = h < 0 ? model::kNoHost : (dest[v] >= 0 ? dest[v] : h);
            if (view.st.vm_moving[v] > 0 || view.t - last_moved_s_[v] < opt_.cooldown_s)
                frozen[v] = 1;
            const auto& vh = view.st.vm_hist[v];  // newest first
            auto& series = hist.cpu[v];
            series.assign(vh.rbegin(), vh.rend());
            // The history's fractions are of the VM's size; the trace's are of the same size.
            hist.length = std::max(hist.length, static_cast<int32_t>(series.size()));
        }
        plan::PlanOptions o = opt_;
        o.phase = plan::Phase::kWhole;
        o.frozen = std::move(frozen);
        o.history = hist.length > 0 ? &hist : nullptr;
        plan::PhaseTimes times;
        plan::Plan p = plan::decide_plan(fleet, o, pol_, times);
        plan::resolve_plan(fleet, p, o);
        if (view.instantiation) {
            // A VM whose size fits no host at max-util is placed by its current demand, where
            // the others now stand (frozen there): a host may still hold what it uses now.
            std::vector<uint8_t> placed(nv, 0);
            for (const plan::Move& m : p.moves) placed[m.vm] = 1;
            bool retry = false;
            for (int32_t v = 0; v < nv; ++v) {
                model::Vm& vm = fleet.vms[v];
                if (!vm.is_new() || o.frozen[v]) continue;
                if (placed[v]) {
                    o.frozen[v] = 1;
                } else {
                    vm.demand[0] = static_cast<int64_t>(std::llround(view.vm_req_now[v]));
                    retry = true;
                }
            }
            if (retry) {
                // Only what starts now holds room: the placements and the first wave's
                // migrations (later waves are re-planned at the next boundary). The retry only
                // places VMs; every VM already on a host stays where it is.
                for (const plan::Move& m : p.moves)
                    if (m.source == model::kNoHost || m.step == 1) fleet.vms[m.vm].host = m.target;
                for (int32_t v = 0; v < nv; ++v)
                    if (!fleet.vms[v].is_new()) o.frozen[v] = 1;
                plan::Plan rest = plan::decide_plan(fleet, o, pol_, times);
                plan::resolve_plan(fleet, rest, o);
                for (const plan::Move& m : rest.moves)
                    if (m.source == model::kNoHost) p.moves.push_back(m);
            }
        }
        // New VMs are placed at once. A placement is no migration: the cooldown starts at a VM's
        // first move, not at its creation (else every VM placed at time 0 stays put for
        // cooldown_s, hot or not); the engine reports the migrations that start (started()).
        std::vector<Move> out;
        for (const plan::Move& m : p.moves) {
            if (m.source == model::kNoHost) {
                out.push_back({m.vm, m.target, 0});
            } else if (m.step == 1 || waves_ == PlannerWaves::kChained) {
                out.push_back({m.vm, m.target, m.step});
            }
        }
        return out;
    }

    model::Fleet fleet_;  // as read; hosts and demands of the VMs rewritten at each decision
    std::vector<model::Resources> base_demand_;  // the VMs' demand as read
    model::History hist_;
    plan::PlanOptions opt_;
    policy::PolicySet pol_;
    std::vector<double> last_moved_s_;
    int32_t mem_window_ = 1;
    PlannerWaves waves_ = PlannerWaves::kChained;
};

}  // namespace

std::optional<PlannerHorizon> parse_planner_horizon(std::string_view name) {
    if (name == "whole") return PlannerHorizon::kWhole;
    if (name == "first-wave") return PlannerHorizon::kFirstWave;
    return std::nullopt;
}

std::optional<PlannerWaves> parse_planner_waves(std::string_view name) {
    if (name == "chained") return PlannerWaves::kChained;
    if (name == "first") return PlannerWaves::kFirst;
    return std::nullopt;
}

int64_t horizon_budget(PlannerHorizon horizon, const plan::PlanOptions& options) {
    const int64_t per_wave = options.waves.max_total;
    if (horizon == PlannerHorizon::kWhole || per_wave <= 0) return options.budget_migrations;
    const int64_t budget = per_wave * per_wave;
    return options.budget_migrations >= 0 ? std::min(options.budget_migrations, budget) : budget;
}

std::unique_ptr<Chain> make_planner_chain(model::Fleet fleet, plan::PlanOptions options,
                                          policy::PolicySet policies, PlannerHorizon horizon,
                                          int32_t mem_window, PlannerWaves waves) {
    return std::make_unique<PlannerChain>(std::move(fleet), std::move(options), std::move(policies),
                                          horizon, mem_window, waves);
}

}  // namespace fp::sim
