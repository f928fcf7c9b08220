#include "src/opt/repack.hpp"

#include <algorithm>

#include "src/opt/roadef_cost.hpp"

namespace fp::opt {

namespace {

class Packer {
  public:
    Packer(RoadefState& st, std::span<const int32_t> machines, int64_t node_limit,
           RepackBound bound)
        : st_(st),
          md_(st.model()),
          ms_(machines.begin(), machines.end()),
          limit_(node_limit),
          bound_(bound) {
        const size_t k = ms_.size(), R = static_cast<size_t>(md_.resources);
        for (int32_t m : ms_)
            for (int32_t p : st.processes_on(MachineIndex{m})) procs_.push_back(p);
        // Largest first (sum of requirements relative to the first machine's capacity), ties by id.
        std::vector<std::pair<double, int32_t>> order;
        for (int32_t p : procs_) {
            double size = 0;
            for (int32_t r = 0; r < md_.resources; ++r)
                size += static_cast<double>(md_.req(p, r)) /
                        static_cast<double>(std::max<int64_t>(1, md_.cap(ms_[0], r)));
            order.emplace_back(-size, p);
        }
        std::sort(order.begin(), order.end());
        for (size_t i = 0; i < order.size(); ++i) procs_[i] = order[i].second;
        u_.assign(k * R, 0);
        t_.assign(k * R, 0);
        for (size_t j = 0; j < k; ++j)
            for (size_t r = 0; r < R; ++r) {
                u_[j * R + r] = st.usage(ms_[j], static_cast<int32_t>(r));
                t_[j * R + r] = st.transient_usage(ms_[j], static_cast<int32_t>(r));
            }
        // For each process, the earlier ones (in that order) of its service: the only ones it
        // can clash with on a machine while the packing is built.
        same_before_.assign(procs_.size(), {});
        for (size_t i = 0; i < procs_.size(); ++i)
            for (size_t i2 = 0; i2 < i; ++i2)
                if (md_.service[procs_[i2]] == md_.service[procs_[i]])
                    same_before_[i].push_back(static_cast<int32_t>(i2));
        home_.assign(procs_.size(), -1);
        forbidden_.assign(procs_.size(), 0);
        for (size_t i = 0; i < procs_.size(); ++i) {
            const int32_t p = procs_[i], cur = st.assignment()[p];
            const size_t jc = local(cur);
            for (size_t j = 0; j < k; ++j)
                if (ms_[j] == md_.initial[p]) home_[i] = static_cast<int32_t>(j);
            for (size_t r = 0; r < R; ++r) {
                const int64_t q = md_.req(p, static_cast<int32_t>(r));
                u_[jc * R + r] -= q;
                if (md_.transient[r] && home_[i] >= 0 && static_cast<size_t>(home_[i]) != jc)
                    t_[static_cast<size_t>(home_[i]) * R + r] -= q;
            }
            for (size_t j = 0; j < k; ++j)
                for (int32_t q : st.processes_on(MachineIndex{ms_[j]}))
                    if (q != p && md_.service[q] == md_.service[p] && !freed(q))
                        forbidden_[i] |= 1u << j;
            current_local_ += detail::process_on_machine_cost(md_, p, cur);
        }
        for (size_t j = 0; j < k; ++j) {
            const int64_t* row = st.usage_data(ms_[j]);
            current_local_ += detail::machine_load_cost(md_, ms_[j], row) +
                              detail::machine_balance_cost(md_, ms_[j], row);
        }
        // rest_[i * R + r]: what processes i.. (in that order) need of resource r.
        rest_.assign((procs_.size() + 1) * R, 0);
        for (size_t i = procs_.size(); i-- > 0;)
            for (size_t r = 0; r < R; ++r)
                rest_[i * R + r] =
                    rest_[(i + 1) * R + r] + md_.req(procs_[i], static_cast<int32_t>(r));
        slot_.assign(procs_.size(), -1);
        load_.assign(k, 0);
        for (size_t j = 0; j < k; ++j)
            load_[j] = detail::machine_load_cost(md_, ms_[j], &u_[j * R]);
        best_local_ = current_local_;
    }

    RepackResult run() {
        if (procs_.empty() || ms_.size() > 31) return {};
        dfs(0, 0);
        result_.nodes = nodes_;
        return result_;
    }

  private:
    size_t local(int32_t m) const {
        return static_cast<size_t>(std::find(ms_.begin(), ms_.end(), m) - ms_.begin());
    }
    bool freed(int32_t q) const {
        return std::find(procs_.begin(), procs_.end(), q) != procs_.end();
    }

    bool fits(size_t j) const {
        const size_t R = static_cast<size_t>(md_.resources);
        for (size_t r = 0; r < R; ++r)
            if (u_[j * R + r] + t_[j * R + r] > md_.cap(ms_[j], static_cast<int32_t>(r)))
                return false;
        return true;
    }
    // Adds (sign +1) or removes (-1) process i on local machine j.
    void put(size_t i, size_t j, int sign) {
        const size_t R = static_cast<size_t>(md_.resources);
        const int32_t p = procs_[i];
        for (size_t r = 0; r < R; ++r) {
            const int64_t q = sign * md_.req(p, static_cast<int32_t>(r));
            u_[j * R + r] += q;
            if (md_.transient[r] && home_[i] >= 0 && static_cast<size_t>(home_[i]) != j)
                t_[static_cast<size_t>(home_[i]) * R + r] += q;
        }
        load_[j] = detail::machine_load_cost(md_, ms_[j], &u_[j * R]);
    }

    // A lower bound on the load cost of every packing that completes this one from process i
    // (RepackBound). kRoom: per resource, the excess over safety capacity already there, plus
    // what the processes still to place need beyond the room left below safety capacity on all
    // the machines together (load cost only grows with usage, and a unit placed anywhere
    // either fills such room or adds to the excess).
    int64_t load_bound(size_t i) const {
        int64_t bound = 0;
        if (bound_ == RepackBound::kPartialLoad) {
            for (int64_t l : load_) bound += l;
            return bound;
        }
        const size_t R = static_cast<size_t>(md_.resources), k = ms_.size();
        for (size_t r = 0; r < R; ++r) {
            int64_t excess = 0, room = 0;
            for (size_t j = 0; j < k; ++j) {
                const int64_t over = u_[j * R + r] - md_.safety(ms_[j], static_cast<int32_t>(r));
                if (over > 0)
                    excess += over;
                else
                    room -= over;
            }
            bound += md_.weight_load[r] * (excess + std::max<int64_t>(0, rest_[i * R + r] - room));
        }
        return bound;
    }

    void leaf(int64_t move_cost) {
        const size_t R = static_cast<size_t>(md_.resources);
        int64_t local_cost = move_cost;
        for (size_t j = 0; j < ms_.size(); ++j)
            local_cost += load_[j] + detail::machine_balance_cost(md_, ms_[j], &u_[j * R]);
        if (local_cost >= best_local_) return;
        changes_.clear();
        for (size_t i = 0; i < procs_.size(); ++i) {
            const int32_t m = ms_[static_cast<size_t>(slot_[i])];
            if (st_.assignment()[procs_[i]] != m)
                changes_.push_back({ProcessIndex{procs_[i]}, MachineIndex{m}});
        }
        if (changes_.empty()) return;
        const auto d = st_.try_change(changes_);
        if (!d) return;
        best_local_ = local_cost;
        if (*d < result_.delta) {
            result_.delta = *d;
            result_.changes = changes_;
        }
    }

    void dfs(size_t i, int64_t move_cost) {
        if (nodes_ >= limit_) return;
        ++nodes_;
        if (i == procs_.size()) {
            leaf(move_cost);
            return;
        }
        if (move_cost + load_bound(i) >= best_local_) return;
        const int32_t p = procs_[i];
        const size_t k = ms_.size();
        const size_t jc = local(st_.assignment()[p]);
        for (size_t step = 0; step < k; ++step) {
            const size_t j = (jc + step) % k;  // the current machine first
            if (forbidden_[i] & (1u << j)) continue;
            bool clash = false;
            for (const int32_t i2 : same_before_[i])
                clash = clash || slot_[static_cast<size_t>(i2)] == static_cast<int32_t>(j);
            if (clash) continue;
            put(i, j, +1);
            const bool ok = fits(j) && (home_[i] < 0 || fits(static_cast<size_t>(home_[i])));
            if (ok) {
                slot_[i] = static_cast<int32_t>(j);
                dfs(i + 1, move_cost + detail::process_on_machine_cost(md_, p, ms_[j]));
                slot_[i] = -1;
            }
            put(i, j, -1);
            if (nodes_ >= limit_) return;
        }
    }

    RoadefState& st_;
    const RoadefModel& md_;
    std::vector<int32_t> ms_;
    int64_t limit_;
    RepackBound bound_;
    std::vector<int32_t> procs_;
    std::vector<int64_t> u_, t_;
    // (processes + 1) x resources: what the processes still to place need
    std::vector<int64_t> rest_;
    std::vector<std::vector<int32_t>> same_before_;  // earlier processes of the same service
    std::vector<int32_t> home_;        // local index of the process's initial machine, or -1
    std::vector<uint32_t> forbidden_;  // local machines holding a kept process of its service
    std::vector<int32_t> slot_;
    std::vector<int64_t> load_;
    std::vector<Reassign> changes_;
    int64_t current_local_ = 0;
    int64_t best_local_ = 0;
    int64_t nodes_ = 0;
    RepackResult result_;
};

}  // namespace

RepackResult repack(RoadefState& state, std::span<const int32_t> machines, int64_t node_limit,
                    RepackBound bound) {
    return Packer(state, machines, node_limit, bound).run();
}

std::vector<int32_t> roomiest_machines(const RoadefState& st, int32_t except, size_t count) {
    const RoadefModel& md = st.model();
    bool any_transient = false;
    for (int32_t r = 0; r < md.resources; ++r) any_transient = any_transient || md.transient[r];
    std::vector<std::pair<double, int32_t>> room;  // (-smallest free share, machine)
    room.reserve(static_cast<size_t>(md.machines));
    for (int32_t m = 0; m < md.machines; ++m) {
        if (m == except) continue;
        double least = 1;
        for (int32_t r = 0; r < md.resources; ++r) {
            if (any_transient && !md.transient[r]) continue;
            const int64_t cap = md.cap(m, r);
            const int64_t free = cap - st.usage(m, r) - st.transient_usage(m, r);
            least = std::min(least,
                             cap > 0 ? static_cast<double>(free) / static_cast<double>(cap) : 0.0);
        }
        room.emplace_back(-least, m);
    }
    const size_t n = std::min(count, room.size());
    std::partial_sort(room.begin(), room.begin() + static_cast<std::ptrdiff_t>(n), room.end());
    std::vector<int32_t> out(n);
    for (size_t i = 0; i < n; ++i) out[i] = room[i].second;
    return out;
}

}  // namespace fp::opt
