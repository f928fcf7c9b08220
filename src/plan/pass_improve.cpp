#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "src/plan/passes.hpp"
#include "src/util/assert.hpp"

namespace fp::plan::detail {

using model::kNoHost;

namespace {

// A tentative relocation: the VM went from `from` to `to` in the placement state only.
struct Step {
    int32_t vm, from, to;
};

// At most this many hosts take part in a repack besides the one being emptied, and a repack
// visits at most this many search nodes (so one hard host does not take the whole limit).
constexpr size_t kRepackHosts = 6;
constexpr int64_t kRepackNodes = 2000;

class Improver {
  public:
    Improver(PlannerState& s, int64_t work_limit) : s_(s), meter_(work_limit) {
        const size_t hosts = s_.allowed_.size();
        targets_.assign(hosts, 0);
        for (int32_t h = 0; h < s_.state_.host_count(); ++h)
            targets_[static_cast<size_t>(h)] = on(h);
        site_hosts_.resize(static_cast<size_t>(s_.sites_));
        for (int32_t h : s_.state_.hosts_by_id())
            site_hosts_[static_cast<size_t>(s_.site_of_[static_cast<size_t>(h)])].push_back(h);
        touched_.assign(s_.fleet_.vms.size(), 0);
        arrived_.assign(hosts, 0);
        pending_.assign(hosts, 0);
        held_vm_.assign(s_.fleet_.vms.size(), 0);
    }

    void run() {
        const int64_t mem0 = s_.moved_mem_kib_, moves0 = s_.migrations_;
        undo_partial_drains(s_);
        ImproveStats& st = s_.plan_.improve;
        st.moves_undone += moves0 - s_.migrations_;
        st.mem_saved_kib += mem0 - s_.moved_mem_kib_;
        for (int32_t h : candidates()) {
            if (meter_.exhausted()) break;
            if (targets_[static_cast<size_t>(h)] && try_empty(h)) ++st.hosts_freed;
        }
        st.work += meter_.used();
    }

  private:
    // A host that stays on and may take VMs: usable, not being emptied, running VMs.
    bool on(int32_t h) const {
        const size_t hi = static_cast<size_t>(h);
        return s_.allowed_[hi] && !s_.evac_[hi] && !s_.state_.vms_on(h).empty();
    }

    // May this VM leave where it is now (a first move, or its move sent elsewhere)? A move
    // sent elsewhere starts from its old source later, so nothing of this attempt may have
    // arrived there.
    bool may_leave(int32_t vm) {
        if (!s_.moved_[static_cast<size_t>(vm)]) return s_.optional_ok(vm);
        if (!s_.can_retarget(vm)) return false;
        const int32_t i = s_.move_index_[static_cast<size_t>(vm)];
        const int32_t src = s_.plan_.moves[static_cast<size_t>(i)].source;
        return src == kNoHost || !arrived_[static_cast<size_t>(src)];
    }

    // The source of a VM's move in the plan (kNoHost: not moved, or a new VM).
    int32_t plan_source(int32_t vm) const {
        if (!s_.moved_[static_cast<size_t>(vm)]) return kNoHost;
        return s_.plan_.moves[static_cast<size_t>(s_.move_index_[static_cast<size_t>(vm)])].source;
    }

    // A VM moved earlier in the plan that this attempt will send on (or back home) leaves its
    // plan source only at the end of the sequence: until its step is applied nothing of the
    // attempt may arrive there. hold() marks it, apply() releases it; blocked(vm, t) says
    // whether t is such a source for a VM other than vm.
    void hold(int32_t vm) {
        const int32_t src = plan_source(vm);
        if (src == kNoHost || held_vm_[static_cast<size_t>(vm)]) return;
        held_vm_[static_cast<size_t>(vm)] = 1;
        ++pending_[static_cast<size_t>(src)];
        held_.push_back(vm);
    }
    void release(int32_t vm) {
        if (!held_vm_[static_cast<size_t>(vm)]) return;
        held_vm_[static_cast<size_t>(vm)] = 0;
        --pending_[static_cast<size_t>(plan_source(vm))];
    }
    void release_all() {
        for (int32_t vm : held_) release(vm);
        held_.clear();
    }
    bool blocked(int32_t vm, int32_t t) const {
        int32_t n = pending_[static_cast<size_t>(t)];
        if (held_vm_[static_cast<size_t>(vm)] && plan_source(vm) == t) --n;
        return n > 0;
    }
    // The placement's choice for vm among the targets that are not blocked for it.
    std::optional<int32_t> place_unblocked(int32_t vm) {
        masked_.clear();
        for (int32_t w : held_) {
            if (!held_vm_[static_cast<size_t>(w)]) continue;
            const int32_t src = plan_source(w);
            if (blocked(vm, src) && targets_[static_cast<size_t>(src)]) {
                targets_[static_cast<size_t>(src)] = 0;
                masked_.push_back(src);
            }
        }
        auto t = s_.place(vm, targets_, PlannerState::Work::kOptional, false);
        for (int32_t h : masked_) targets_[static_cast<size_t>(h)] = 1;
        return t;
    }

    // Hosts worth trying, least loaded first (load summed over dimensions relative to the
    // largest host; ties: less memory to copy away, VMs already moved adding none, then id).
    // A host whose load exceeds the room left in its site (the other hosts that stay on) is
    // not tried at all.
    std::vector<int32_t> candidates() {
        const model::Resources& ref = s_.state_.reference_capacity();
        std::vector<model::Resources> room(static_cast<size_t>(s_.sites_));
        for (int32_t h = 0; h < s_.state_.host_count(); ++h)
            if (on(h))
                room[static_cast<size_t>(s_.site_of_[static_cast<size_t>(h)])] +=
                    s_.state_.headroom(h);
        struct Key {
            double load;
            int64_t mem;
            int32_t host;
        };
        std::vector<Key> keyed;
        for (int32_t h = 0; h < s_.state_.host_count(); ++h) {
            if (!on(h) || s_.state_.overloaded(h)) continue;
            const model::Resources& load = s_.state_.load(h);
            const model::Resources others =
                room[static_cast<size_t>(s_.site_of_[static_cast<size_t>(h)])] -
                s_.state_.headroom(h);
            if (!load.fits_within(others)) continue;
            double key = 0;
            for (int d = 0; d < model::kDims; ++d)
                if (ref[d] > 0) key += static_cast<double>(load[d]) / static_cast<double>(ref[d]);
            keyed.push_back({key, new_mem(h), h});
        }
        std::sort(keyed.begin(), keyed.end(), [&](const Key& a, const Key& b) {
            if (a.load != b.load) return a.load < b.load;
            if (a.mem != b.mem) return a.mem < b.mem;
            return s_.state_.id_rank(a.host) < s_.state_.id_rank(b.host);
        });
        std::vector<int32_t> out;
        for (const Key& k : keyed) out.push_back(k.host);
        return out;
    }

    int64_t new_mem(int32_t h) const {
        int64_t kib = 0;
        for (int32_t vm : s_.state_.vms_on(h))
            if (!s_.moved_[static_cast<size_t>(vm)]) kib += s_.mem_of(vm);
        return kib;
    }

    // Callers check may_leave(st.vm) and !blocked(st.vm, st.to) right before: an earlier step of
    // the attempt may have made either false.
    void apply(const Step& st) {
        release(st.vm);
        s_.state_.move(st.vm, st.to);
        journal_.push_back(st);
        touched_[static_cast<size_t>(st.vm)] = 1;
        arrived_[static_cast<size_t>(st.to)] = 1;
    }

    // Relocates vm (on h) by ejecting one VM w of a host t of its site into a third host u,
    // so that vm fits on t: the first such (t by id, w in t's order) wins.
    bool eject_for(int32_t vm, int32_t h) {
        const model::Resources& dem = s_.state_.demand(vm);
        const int32_t home = s_.home_site(vm);
        const bool any_site = home < 0 || s_.opt_.cross_site == CrossSite::kAllow;
        const size_t first = any_site ? 0 : static_cast<size_t>(home);
        const size_t last = any_site ? site_hosts_.size() : first + 1;
        for (size_t site = first; site < last; ++site) {
            for (int32_t t : site_hosts_[site]) {
                if (!targets_[static_cast<size_t>(t)] || t == h || !s_.may_go(vm, t) ||
                    blocked(vm, t))
                    continue;
                const std::vector<int32_t> on_t = s_.state_.vms_on(t);
                for (int32_t w : on_t) {
                    if (!meter_.charge()) return false;
                    if (touched_[static_cast<size_t>(w)]) continue;
                    if (!dem.fits_within(s_.state_.headroom(t) + s_.state_.demand(w))) continue;
                    if (!may_leave(w)) continue;
                    const int64_t extra = s_.moved_[static_cast<size_t>(w)] ? 0 : s_.mem_of(w);
                    if (!worth_moving(s_, h, pending_kib_ + extra)) continue;
                    // w goes to a third host: neither h (being emptied) nor t.
                    targets_[static_cast<size_t>(t)] = 0;
                    const bool charged = meter_.charge();
                    auto u = charged ? place_unblocked(w) : std::nullopt;
                    targets_[static_cast<size_t>(t)] = 1;
                    if (!charged) return false;
                    if (!u) continue;
                    s_.state_.move(w, *u);
                    if (s_.state_.fits(vm, t) && may_leave(vm)) {
                        s_.state_.move(w, t);
                        apply({w, t, *u});
                        apply({vm, h, t});
                        pending_kib_ += extra;
                        return true;
                    }
                    s_.state_.move(w, t);
                }
            }
        }
        return false;
    }

    // Hosts of h's site that stay on, most room first (room: headroom summed over dimensions
    // relative to the largest host; ties by id), until their room covers h's load with a
    // margin, at most kRepackHosts.
    std::vector<int32_t> roomiest(int32_t h) {
        const model::Resources& ref = s_.state_.reference_capacity();
        auto room = [&](const model::Resources& r) {
            double x = 0;
            for (int d = 0; d < model::kDims; ++d)
                if (ref[d] > 0) x += static_cast<double>(r[d]) / static_cast<double>(ref[d]);
            return x;
        };
        std::vector<std::pair<double, int32_t>> keyed;
        for (int32_t t : site_hosts_[static_cast<size_t>(s_.site_of_[static_cast<size_t>(h)])])
            if (targets_[static_cast<size_t>(t)] && t != h)
                keyed.emplace_back(room(s_.state_.headroom(t)), t);
        std::sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
            return a.first != b.first ? a.first > b.first
                                      : s_.state_.id_rank(a.second) < s_.state_.id_rank(b.second);
        });
        std::vector<int32_t> out;
        model::Resources covered;
        const model::Resources need = s_.state_.load(h);
        for (const auto& [r, t] : keyed) {
            if (out.size() >= kRepackHosts) break;
            out.push_back(t);
            covered += s_.state_.headroom(t);
            bool enough = true;
            for (int d = 0; d < model::kDims; ++d)
                enough =
                    enough && static_cast<double>(covered[d]) >= 1.2 * static_cast<double>(need[d]);
            if (enough) break;
        }
        return out;
    }

    // Repacks h's VMs together with the VMs that may move of a few roomy hosts of its site
    // into those hosts alone: a depth-first search (largest VM first, each VM's own host first),
    // one work unit per node, keeping the packing that adds the least memory. The moves are
    // then ordered so each lands where there is room at that point; a packing that needs a
    // cycle is dropped. On success the moves are in journal_.
    bool repack(int32_t h) {
        const std::vector<int32_t> bins = roomiest(h);
        if (bins.empty()) return false;
        std::vector<int32_t> items = s_.state_.vms_on(h);
        for (int32_t t : bins)
            for (int32_t vm : s_.state_.vms_on(t))
                if (may_leave(vm) && s_.may_go(vm, t)) items.push_back(vm);
        s_.sort_decreasing(items);
        std::vector<int32_t> from(items.size());
        for (size_t i = 0; i < items.size(); ++i) {
            from[i] = s_.state_.host_of(items[i]);
            s_.state_.move(items[i], kNoHost);
        }
        std::vector<int32_t> slot(items.size(), kNoHost), best;
        int64_t best_cost = -1;
        const int64_t base = new_mem(h);
        // cost: memory added so far (VMs leaving their host for the first time).
        int64_t nodes = 0;
        auto dfs = [&](auto& self, size_t i, int64_t cost) -> void {
            if (nodes >= kRepackNodes || !meter_.charge()) return;
            ++nodes;
            if (best_cost >= 0 && cost >= best_cost) return;
            if (i == items.size()) {
                best_cost = cost;
                best = slot;
                return;
            }
            const int32_t vm = items[i];
            const int64_t move_kib = s_.moved_[static_cast<size_t>(vm)] ? 0 : s_.mem_of(vm);
            // Its own host first (free), then the others in bin order.
            for (size_t k = 0; k <= bins.size(); ++k) {
                int32_t t;
                if (k == 0) {
                    if (from[i] == h) continue;
                    t = from[i];
                } else {
                    t = bins[k - 1];
                    if (t == from[i]) continue;
                }
                const int64_t c = t == from[i] ? cost : cost + (from[i] == h ? 0 : move_kib);
                // Its own host again needs no guard (it held the VM before).
                if (!(t == from[i] ? s_.state_.fits_unguarded(vm, t) : s_.state_.fits(vm, t)))
                    continue;
                if (t != from[i] && !s_.may_go(vm, t)) continue;
                if (!worth_moving(s_, h, base + c)) continue;
                s_.state_.move(vm, t);
                slot[i] = t;
                self(self, i + 1, c);
                slot[i] = kNoHost;
                s_.state_.move(vm, kNoHost);
                if (meter_.exhausted() || nodes >= kRepackNodes) return;
            }
        };
        dfs(dfs, 0, 0);
        for (size_t i = 0; i < items.size(); ++i) s_.state_.move(items[i], from[i]);
        if (best_cost < 0) return false;
        // Order the moves: repeatedly the first (in item order) whose target has room now.
        // A VM sent on from where the plan moved it must go before anything arrives at its
        // plan source (hold/blocked).
        std::vector<uint8_t> done(items.size(), 0);
        size_t left = 0;
        for (size_t i = 0; i < items.size(); ++i) {
            done[i] = best[i] == from[i];
            left += !done[i];
            if (!done[i]) hold(items[i]);
        }
        while (left > 0) {
            bool progress = false;
            for (size_t i = 0; i < items.size(); ++i) {
                if (done[i] || !s_.state_.fits(items[i], best[i]) || blocked(items[i], best[i]) ||
                    !may_leave(items[i]))
                    continue;
                apply({items[i], from[i], best[i]});
                done[i] = 1;
                --left;
                progress = true;
            }
            if (!progress) return false;  // a cycle: the caller undoes the journal (and holds)
        }
        return true;
    }

    // Empties h into the hosts that stay on, or changes nothing.
    bool try_empty(int32_t h) {
        std::vector<int32_t> vms = s_.state_.vms_on(h);
        for (int32_t vm : vms)
            if (!may_leave(vm)) return false;
        // Worth it when the host's drain price covers the memory this adds: its VMs not moved
        // yet, plus every VM ejected for them.
        pending_kib_ = new_mem(h);
        if (!worth_moving(s_, h, pending_kib_)) return false;
        s_.sort_decreasing(vms);
        targets_[static_cast<size_t>(h)] = 0;
        journal_.clear();
        for (int32_t vm : vms) hold(vm);
        bool ok = true;
        for (int32_t vm : vms) {
            if (!meter_.charge() || !may_leave(vm)) {
                ok = false;
                break;
            }
            if (auto t = place_unblocked(vm)) {
                apply({vm, h, *t});
            } else if (!eject_for(vm, h)) {
                ok = false;
                break;
            }
        }
        if (!ok && !meter_.exhausted()) {
            // Direct moves and ejections failed: start again from the plan as it was and
            // repack h with a few roomy hosts.
            for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
                s_.state_.move(it->vm, it->from);
                touched_[static_cast<size_t>(it->vm)] = 0;
                arrived_[static_cast<size_t>(it->to)] = 0;
            }
            journal_.clear();
            release_all();
            ok = repack(h);
        }
        release_all();
        // Undo; on success replay as recorded moves in the same order.
        int64_t moves = 0, mem = 0;
        for (auto it = journal_.rbegin(); it != journal_.rend(); ++it) {
            s_.state_.move(it->vm, it->from);
            touched_[static_cast<size_t>(it->vm)] = 0;
            arrived_[static_cast<size_t>(it->to)] = 0;
            if (!s_.moved_[static_cast<size_t>(it->vm)]) {
                ++moves;
                mem += s_.mem_of(it->vm);
            }
        }
        if (!ok || !s_.within_budget(moves, mem) || !worth_moving(s_, h, mem)) {
            targets_[static_cast<size_t>(h)] = 1;
            return false;
        }
        for (const Step& st : journal_) {
            if (s_.moved_[static_cast<size_t>(st.vm)]) {
                // What the holds kept: nothing arrived at its source after it left.
                FP_ASSERT(s_.can_retarget(st.vm));
                s_.retarget(st.vm, st.to, MoveReason::kConsolidate);
            } else {
                s_.record(st.vm, st.to, MoveReason::kConsolidate);
            }
        }
        if (!s_.kept_.empty()) s_.kept_[static_cast<size_t>(h)] = 0;
        ImproveStats& stats = s_.plan_.improve;
        stats.moves_added += moves;
        stats.mem_added_kib += mem;
        return true;
    }

    PlannerState& s_;
    WorkMeter meter_;
    std::vector<uint8_t> targets_;
    std::vector<std::vector<int32_t>> site_hosts_;  // per site: its hosts in id order
    std::vector<uint8_t> touched_;                  // per VM: relocated in the current attempt
    std::vector<uint8_t> arrived_;                  // per host: a VM arrived in the attempt
    std::vector<int32_t> pending_;                  // per host: held VMs whose plan source it is
    std::vector<uint8_t> held_vm_;                  // per VM: held (see hold())
    std::vector<int32_t> held_;                     // the VMs held in the current attempt
    std::vector<int32_t> masked_;                   // place_unblocked(): scratch
    std::vector<Step> journal_;
    int64_t pending_kib_ = 0;  // memory the current attempt adds to the plan
};

}  // namespace

void improve_consolidation(PlannerState& s, int64_t work_limit) {
    if (work_limit <= 0) return;
    Improver(s, work_limit).run();
}

}  // namespace fp::plan::detail
