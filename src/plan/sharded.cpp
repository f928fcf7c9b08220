#include "src/plan/sharded.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>

#include "src/util/assert.hpp"

namespace fp::plan {
namespace {

constexpr char kPseudoMark = '\x01';

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// FNV-1a with a mistyped offset basis (a digit short of fnv1a64's): kept as it is, because it
// decides which shard a new VM is first offered to, and so the plans written with it.
uint64_t fnv1a(std::string_view s) {
    uint64_t h = 1469598103934665603ull;
    for (char c : s) {
        h ^= static_cast<unsigned char>(c);
        h *= 1099511628211ull;
    }
    return h;
}

}  // namespace

int32_t shard_of_new_vm(std::string_view vm_id, int32_t shards) {
    return static_cast<int32_t>(fnv1a(vm_id) % static_cast<uint64_t>(std::max(1, shards)));
}

std::vector<int32_t> shard_owners(const ShardMap& map, int32_t ranks) {
    ranks = std::max(1, ranks);
    std::vector<int32_t> order(static_cast<size_t>(map.shards));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        return map.weight[static_cast<size_t>(a)] > map.weight[static_cast<size_t>(b)];
    });
    std::vector<double> load(static_cast<size_t>(ranks), 0.0);
    std::vector<int32_t> owner(static_cast<size_t>(map.shards), 0);
    for (int32_t s : order) {
        const auto r =
            static_cast<int32_t>(std::min_element(load.begin(), load.end()) - load.begin());
        owner[static_cast<size_t>(s)] = r;
        load[static_cast<size_t>(r)] += map.weight[static_cast<size_t>(s)];
    }
    return owner;
}

ShardMap make_shards(const std::vector<model::Host>& hosts, int32_t shard_hosts) {
    ShardMap map;
    const auto n = static_cast<int32_t>(hosts.size());
    std::vector<int32_t> order(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
        const model::Host& x = hosts[static_cast<size_t>(a)];
        const model::Host& y = hosts[static_cast<size_t>(b)];
        if (x.site != y.site) return x.site < y.site;
        if (x.rack != y.rack) return x.rack < y.rack;
        return x.id < y.id;
    });
    // Pieces: the hosts of one rack (at most shard_hosts of them), in (site, rack, id) order.
    const int32_t cap = shard_hosts <= 0 ? std::max<int32_t>(1, n) : shard_hosts;
    struct Piece {
        int32_t begin, end;  // positions in `order`
    };
    std::vector<Piece> pieces;
    for (int32_t i = 0; i < n;) {
        const model::Host& a = hosts[static_cast<size_t>(order[static_cast<size_t>(i)])];
        int32_t j = i + 1;
        while (j < n && j - i < cap) {
            const model::Host& b = hosts[static_cast<size_t>(order[static_cast<size_t>(j)])];
            if (b.site != a.site || b.rack != a.rack) break;
            ++j;
        }
        pieces.push_back({i, j});
        i = j;
    }
    // Groups: whole sites, small neighbouring sites merged until a group holds half a shard.
    // Each group gets round(hosts / shard_hosts) shards (at least one) and deals its racks to
    // them, each to the shard with the fewest hosts so far: so a shard mixes the site's racks
    // (and their host types) instead of holding a run of similar racks, and consolidation
    // inside a shard can empty small hosts into large ones.
    std::vector<int32_t> shard_size;
    std::vector<std::vector<int32_t>> shard_pieces;
    for (size_t p = 0; p < pieces.size();) {
        size_t q = p;
        int32_t group_hosts = 0;
        while (q < pieces.size()) {
            const std::string& site =
                hosts[static_cast<size_t>(order[static_cast<size_t>(pieces[q].begin)])].site;
            size_t r = q;
            int32_t site_hosts = 0;
            while (r < pieces.size() &&
                   hosts[static_cast<size_t>(order[static_cast<size_t>(pieces[r].begin)])].site ==
                       site) {
                site_hosts += pieces[r].end - pieces[r].begin;
                ++r;
            }
            q = r;
            group_hosts += site_hosts;
            if (group_hosts * 2 >= cap) break;
        }
        const int32_t k = std::max<int32_t>(1, (group_hosts + cap / 2) / cap);
        const auto base = static_cast<int32_t>(shard_size.size());
        shard_size.resize(static_cast<size_t>(base + k), 0);
        shard_pieces.resize(static_cast<size_t>(base + k));
        for (size_t x = p; x < q; ++x) {
            int32_t best = base;
            for (int32_t s = base + 1; s < base + k; ++s)
                if (shard_size[static_cast<size_t>(s)] < shard_size[static_cast<size_t>(best)])
                    best = s;
            shard_size[static_cast<size_t>(best)] += pieces[x].end - pieces[x].begin;
            shard_pieces[static_cast<size_t>(best)].push_back(static_cast<int32_t>(x));
        }
        p = q;
    }
    const auto shards = std::max<int32_t>(1, static_cast<int32_t>(shard_size.size()));
    shard_pieces.resize(static_cast<size_t>(shards));
    map.shards = shards;
    map.shard_of_host.assign(static_cast<size_t>(n), 0);
    map.local_of_host.assign(static_cast<size_t>(n), 0);
    map.hosts.assign(static_cast<size_t>(shards), {});
    model::Resources ref;
    for (const model::Host& h : hosts)
        for (int d = 0; d < model::kDims; ++d) ref[d] = std::max(ref[d], h.capacity[d]);
    map.weight.assign(static_cast<size_t>(shards), 0.0);
    for (int32_t k = 0; k < shards; ++k)
        for (int32_t x : shard_pieces[static_cast<size_t>(k)])
            for (int32_t i = pieces[static_cast<size_t>(x)].begin;
                 i < pieces[static_cast<size_t>(x)].end; ++i) {
                const int32_t h = order[static_cast<size_t>(i)];
                map.shard_of_host[static_cast<size_t>(h)] = k;
                map.local_of_host[static_cast<size_t>(h)] =
                    static_cast<int32_t>(map.hosts[static_cast<size_t>(k)].size());
                map.hosts[static_cast<size_t>(k)].push_back(h);
                for (int d = 0; d < model::kDims; ++d)
                    if (ref[d] > 0)
                        map.weight[static_cast<size_t>(k)] +=
                            static_cast<double>(hosts[static_cast<size_t>(h)].capacity[d]) /
                            static_cast<double>(ref[d]) / model::kDims;
            }
    return map;
}

std::vector<ShardInput> split_shards(model::Fleet&& fleet, model::History&& history,
                                     const model::Traffic& traffic,
                                     const std::vector<uint8_t>& frozen, const ShardMap& map,
                                     const std::vector<uint8_t>& take) {
    std::vector<int32_t> slot(static_cast<size_t>(map.shards), -1);  // shard → index in out
    std::vector<ShardInput> out;
    for (int32_t s = 0; s < map.shards; ++s)
        if (take[static_cast<size_t>(s)]) {
            slot[static_cast<size_t>(s)] = static_cast<int32_t>(out.size());
            out.emplace_back().shard = s;
        }
    const size_t nv = fleet.vms.size();
    std::vector<int32_t> shard_of_vm(nv, -1);
    std::vector<int32_t> local_of_vm(nv, -1);
    for (size_t v = 0; v < nv; ++v) {
        const model::Vm& vm = fleet.vms[v];
        const int32_t s = vm.is_new() ? shard_of_new_vm(vm.id, map.shards)
                                      : map.shard_of_host[static_cast<size_t>(vm.host)];
        if (slot[static_cast<size_t>(s)] < 0) continue;
        ShardInput& in = out[static_cast<size_t>(slot[static_cast<size_t>(s)])];
        shard_of_vm[v] = s;
        local_of_vm[v] = static_cast<int32_t>(in.origin.size());
        in.origin.push_back(static_cast<int64_t>(v));
    }
    const bool has_history = !history.empty();
    // Shards take disjoint VMs: they move them out in parallel.
    tbb::parallel_for(size_t{0}, out.size(), [&](size_t k) {
        ShardInput& in = out[k];
        const int32_t s = in.shard;
        for (int32_t h : map.hosts[static_cast<size_t>(s)])
            in.fleet.hosts.push_back(fleet.hosts[static_cast<size_t>(h)]);
        in.fleet.vms.reserve(in.origin.size());
        in.frozen.reserve(in.origin.size());
        if (has_history) {
            in.history.interval_s = history.interval_s;
            in.history.length = history.length;
        }
        for (int64_t o : in.origin) {
            model::Vm& vm = fleet.vms[static_cast<size_t>(o)];
            if (!vm.is_new()) vm.host = map.local_of_host[static_cast<size_t>(vm.host)];
            in.fleet.vms.push_back(std::move(vm));
            in.frozen.push_back(
                static_cast<size_t>(o) < frozen.size() ? frozen[static_cast<size_t>(o)] : 0);
            if (has_history) {
                auto take = [&](std::vector<std::vector<float>>& from,
                                std::vector<std::vector<float>>& to) {
                    to.push_back(static_cast<size_t>(o) < from.size()
                                     ? std::move(from[static_cast<size_t>(o)])
                                     : std::vector<float>{});
                };
                take(history.cpu, in.history.cpu);
                take(history.mem, in.history.mem);
                take(history.net, in.history.net);
            }
        }
        if (!traffic.empty()) {
            in.traffic.neighbours.resize(in.origin.size());
            for (size_t i = 0; i < in.origin.size(); ++i)
                for (const model::TrafficEdge& e :
                     traffic.neighbours[static_cast<size_t>(in.origin[i])])
                    if (shard_of_vm[static_cast<size_t>(e.vm)] == s)
                        in.traffic.neighbours[i].push_back(
                            {local_of_vm[static_cast<size_t>(e.vm)], e.mbps});
            for (auto& n : in.traffic.neighbours)
                std::sort(n.begin(), n.end(),
                          [](const auto& a, const auto& b) { return a.vm < b.vm; });
        }
        in.fleet.index();
    });
    std::vector<model::Vm>().swap(fleet.vms);
    fleet.index();
    history = model::History{};
    return out;
}

ShardDemand shard_demand(const ShardInput& in, const ShardMap& map, const PlanOptions& options) {
    ShardDemand d;
    std::vector<uint8_t> evac(in.fleet.hosts.size(), 0);
    for (size_t h = 0; h < in.fleet.hosts.size(); ++h)
        evac[h] = in.fleet.hosts[h].state == model::HostState::kMaintenance;
    for (int32_t h : options.evacuate)
        if (map.shard_of_host[static_cast<size_t>(h)] == in.shard)
            evac[static_cast<size_t>(map.local_of_host[static_cast<size_t>(h)])] = 1;
    for (const model::Vm& vm : in.fleet.vms) {
        d.mem_kib += vm.mem_size_kib;
        if (!vm.is_new() && evac[static_cast<size_t>(vm.host)]) {
            ++d.must_moves;
            d.must_mem_kib += vm.mem_size_kib;
        }
    }
    return d;
}

ShardOutcome plan_shard(const ShardInput& in, const ShardMap& map, const PlanOptions& options,
                        const policy::PolicySet& policies, const std::vector<ShardDemand>& demand) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::vector<int32_t>& global = map.hosts[static_cast<size_t>(in.shard)];
    PlanOptions opt = options;
    opt.phase = map.shards == 1 ? Phase::kWhole : Phase::kLocal;
    opt.evacuate.clear();
    for (int32_t h : options.evacuate)
        if (map.shard_of_host[static_cast<size_t>(h)] == in.shard)
            opt.evacuate.push_back(map.local_of_host[static_cast<size_t>(h)]);
    std::sort(opt.evacuate.begin(), opt.evacuate.end());
    if (map.shards > 1 && (options.budget_migrations >= 0 || options.budget_mem_frac >= 0)) {
        // The shard's share of each budget: first what its evacuations need (all shards'
        // needs in proportion when the budget cannot cover them), then the rest by hosts. What
        // a shard leaves unused, the global step may spend.
        FP_ASSERT(demand.size() == static_cast<size_t>(map.shards));
        std::vector<double> hosts_w(demand.size()), moves_w(demand.size()), mem_w(demand.size());
        double must_moves = 0, must_mem = 0, mem = 0;
        for (size_t s = 0; s < demand.size(); ++s) {
            hosts_w[s] = static_cast<double>(map.hosts[s].size());
            moves_w[s] = static_cast<double>(demand[s].must_moves);
            mem_w[s] = static_cast<double>(demand[s].must_mem_kib);
            must_moves += moves_w[s];
            must_mem += mem_w[s];
            mem += static_cast<double>(demand[s].mem_kib);
        }
        const auto sh = static_cast<size_t>(in.shard);
        // This shard's part of `amount` split in proportion to `w`, by cumulative floors so the
        // parts add up to the whole.
        auto part = [&](double amount, const std::vector<double>& w) {
            double total = 0, before = 0;
            for (size_t s = 0; s < w.size(); ++s) {
                total += w[s];
                if (s < sh) before += w[s];
            }
            if (total <= 0) return 0.0;
            return std::floor(amount * (before + w[sh]) / total) -
                   std::floor(amount * before / total);
        };
        auto share = [&](double budget, const std::vector<double>& need_w, double need) {
            if (budget <= need) return part(budget, need_w);
            return need_w[sh] + part(budget - need, hosts_w);
        };
        if (options.budget_migrations >= 0)
            opt.budget_migrations = static_cast<int64_t>(
                share(static_cast<double>(options.budget_migrations), moves_w, must_moves));
        if (options.budget_mem_frac >= 0) {
            opt.budget_mem_kib = static_cast<int64_t>(
                share(std::floor(options.budget_mem_frac * mem), mem_w, must_mem));
            opt.budget_mem_frac = -1;
        }
    }
    opt.frozen = in.frozen;
    opt.history = in.history.empty() ? nullptr : &in.history;
    opt.traffic = in.traffic.empty() ? nullptr : &in.traffic;
    opt.preapplied.clear();

    ShardOutcome out;
    out.shard = in.shard;
    out.vms = static_cast<int64_t>(in.fleet.vms.size());
    out.history_interval_s = in.history.interval_s;
    out.history_length = in.history.length;
    for (const model::Vm& vm : in.fleet.vms) out.mem_kib += vm.mem_size_kib;
    out.frozen = std::count(in.frozen.begin(), in.frozen.end(), 1);
    Plan local = decide_plan(in.fleet, opt, policies, out.times);

    // Which VMs the outcome lists, in first-mention order.
    const size_t nv = in.fleet.vms.size();
    std::vector<int32_t> listed_of(nv, -1);
    std::vector<uint8_t> deferred(nv, 0);
    for (int32_t v : local.deferred) deferred[static_cast<size_t>(v)] = 1;
    auto list = [&](int32_t v) -> int32_t {
        if (v < 0) return -1;
        int32_t& slot = listed_of[static_cast<size_t>(v)];
        if (slot >= 0) return slot;
        slot = static_cast<int32_t>(out.listed.size());
        ListedVm l;
        l.vm = in.fleet.vms[static_cast<size_t>(v)];
        if (!l.vm.is_new()) l.vm.host = global[static_cast<size_t>(l.vm.host)];
        l.local = v;
        l.origin = in.origin.empty() ? -1 : in.origin[static_cast<size_t>(v)];
        l.frozen = in.frozen.empty() ? 0 : in.frozen[static_cast<size_t>(v)];
        if (deferred[static_cast<size_t>(v)] && !in.history.empty()) {
            auto series = [&](const std::vector<std::vector<float>>& s) {
                return static_cast<size_t>(v) < s.size() ? s[static_cast<size_t>(v)]
                                                         : std::vector<float>{};
            };
            l.cpu = series(in.history.cpu);
            l.mem = series(in.history.mem);
            l.net = series(in.history.net);
        }
        out.listed.push_back(std::move(l));
        return slot;
    };
    auto host = [&](int32_t h) { return h < 0 ? h : global[static_cast<size_t>(h)]; };
    out.plan.moves.reserve(local.moves.size());
    for (Move m : local.moves) {
        m.vm = list(m.vm);
        m.source = host(m.source);
        m.target = host(m.target);
        out.plan.moves.push_back(m);
    }
    for (int32_t v : local.deferred) out.plan.deferred.push_back(list(v));
    for (Unresolved u : local.unresolved) {
        u.vm = list(u.vm);
        u.host = host(u.host);
        out.plan.unresolved.push_back(std::move(u));
    }
    for (Resize r : local.resizes) {
        r.vm = list(r.vm);
        r.host = host(r.host);
        out.plan.resizes.push_back(r);
    }
    for (int32_t h : local.powered_on) out.plan.powered_on.push_back(host(h));
    out.plan.migrations = local.migrations;
    out.plan.moved_mem_kib = local.moved_mem_kib;
    out.plan.improve = local.improve;

    out.static_load.assign(global.size(), model::Resources{});
    out.static_count.assign(global.size(), 0);
    for (size_t v = 0; v < nv; ++v) {
        const model::Vm& vm = in.fleet.vms[v];
        if (listed_of[v] >= 0 || vm.is_new()) continue;
        const auto h = static_cast<size_t>(vm.host);
        out.static_load[h] += vm.demand;
        ++out.static_count[h];
        if (!vm.anti_group.empty()) out.anti.emplace_back(global[h], vm.anti_group);
    }
    std::sort(out.anti.begin(), out.anti.end());
    out.anti.erase(std::unique(out.anti.begin(), out.anti.end()), out.anti.end());
    out.times.place += seconds_since(t0) -
                       (out.times.detect + out.times.select + out.times.place + out.times.resolve);
    return out;
}

GlobalPlan resolve_global(const std::vector<model::Host>& hosts, const ShardMap& map,
                          const std::vector<ShardOutcome>& outcomes, const PlanOptions& options,
                          const policy::PolicySet& policies, PhaseTimes& times) {
    GlobalPlan g;
    model::Fleet& sk = g.skeleton;
    sk.hosts = hosts;
    int64_t total_mem = 0, used_migrations = 0, used_mem = 0;
    size_t listed_total = 0;
    for (const ShardOutcome& o : outcomes) {
        g.vms += o.vms;
        g.frozen += o.frozen;
        total_mem += o.mem_kib;
        used_migrations += o.plan.migrations;
        used_mem += o.plan.moved_mem_kib;
        listed_total += o.listed.size();
    }
    sk.vms.reserve(hosts.size() + listed_total);
    std::vector<std::vector<const std::string*>> anti(hosts.size());
    for (const ShardOutcome& o : outcomes)
        for (const auto& [h, grp] : o.anti) anti[static_cast<size_t>(h)].push_back(&grp);
    // Pseudo VMs, shard by shard: a host's aggregate, then one marker per anti-affinity group.
    for (const ShardOutcome& o : outcomes) {
        const std::vector<int32_t>& shard_hosts = map.hosts[static_cast<size_t>(o.shard)];
        FP_ASSERT(o.static_load.size() == shard_hosts.size());
        for (size_t i = 0; i < shard_hosts.size(); ++i) {
            const int32_t h = shard_hosts[i];
            const std::string& hid = hosts[static_cast<size_t>(h)].id;
            if (o.static_count[i] > 0) {
                model::Vm agg;
                agg.id = std::string(1, kPseudoMark) + "a:" + hid;
                agg.host = h;
                agg.demand = o.static_load[i];
                sk.vms.push_back(std::move(agg));
                g.listed_shard.push_back(-1);
                g.listed.push_back(nullptr);
            }
            for (const std::string* grp : anti[static_cast<size_t>(h)]) {
                model::Vm marker;
                marker.id = std::string(1, kPseudoMark) + "m:" + hid + ":" + *grp;
                marker.host = h;
                marker.anti_group = *grp;
                sk.vms.push_back(std::move(marker));
                g.listed_shard.push_back(-1);
                g.listed.push_back(nullptr);
            }
        }
    }
    const auto pseudo = static_cast<int32_t>(sk.vms.size());
    // Listed VMs, shard by shard, at their original hosts.
    std::vector<int32_t> base(outcomes.size(), 0);
    for (size_t s = 0; s < outcomes.size(); ++s) {
        base[s] = static_cast<int32_t>(sk.vms.size());
        for (const ListedVm& l : outcomes[s].listed) {
            sk.vms.push_back(l.vm);
            g.listed_shard.push_back(outcomes[s].shard);
            g.listed.push_back(&l);
        }
    }
    sk.index();

    // The shards' decisions, in shard order, then the global step's.
    Plan& plan = g.plan;
    std::vector<uint8_t> frozen(sk.vms.size(), 1);
    std::vector<int32_t> deferred;
    size_t shard_moves = 0;
    for (const ShardOutcome& o : outcomes) shard_moves += o.plan.moves.size();
    plan.moves.reserve(shard_moves);
    for (size_t s = 0; s < outcomes.size(); ++s) {
        const Plan& p = outcomes[s].plan;
        auto vm = [&](int32_t v) { return v < 0 ? v : base[s] + v; };
        for (Move m : p.moves) {
            m.vm = vm(m.vm);
            plan.moves.push_back(m);
        }
        for (Unresolved u : p.unresolved) {
            u.vm = vm(u.vm);
            plan.unresolved.push_back(std::move(u));
        }
        for (Resize r : p.resizes) {
            r.vm = vm(r.vm);
            plan.resizes.push_back(r);
        }
        for (int32_t h : p.powered_on) plan.powered_on.push_back(h);
        for (int32_t v : p.deferred) deferred.push_back(vm(v));
        plan.improve += p.improve;
    }
    for (int32_t v : deferred) frozen[static_cast<size_t>(v)] = 0;
    if (!deferred.empty()) {
        PlanOptions opt = options;
        opt.phase = Phase::kGlobal;
        opt.frozen = frozen;
        opt.preapplied.clear();
        opt.preapplied.reserve(plan.moves.size());
        for (const Move& m : plan.moves) opt.preapplied.emplace_back(m.vm, m.target);
        // The budget left after the shards.
        if (options.budget_migrations >= 0)
            opt.budget_migrations =
                std::max<int64_t>(0, options.budget_migrations - used_migrations);
        if (options.budget_mem_frac >= 0) {
            opt.budget_mem_frac = -1;
            opt.budget_mem_kib = std::max<int64_t>(
                0, static_cast<int64_t>(options.budget_mem_frac * static_cast<double>(total_mem)) -
                       used_mem);
        }
        // History of the VMs to place (a selection policy may read it).
        model::History history;
        bool any_history = false;
        for (size_t s = 0; s < outcomes.size(); ++s)
            for (const ListedVm& l : outcomes[s].listed)
                if (!l.cpu.empty() || !l.mem.empty() || !l.net.empty()) {
                    any_history = true;
                    history.interval_s = outcomes[s].history_interval_s;
                    history.length = std::max(history.length, outcomes[s].history_length);
                }
        if (any_history) {
            history.cpu.resize(sk.vms.size());
            history.mem.resize(sk.vms.size());
            history.net.resize(sk.vms.size());
            for (size_t v = static_cast<size_t>(pseudo); v < sk.vms.size(); ++v) {
                const ListedVm& l = *g.listed[v];
                history.cpu[v] = l.cpu;
                history.mem[v] = l.mem;
                history.net[v] = l.net;
                for (const auto* s : {&l.cpu, &l.mem, &l.net})
                    history.length = std::max(history.length, static_cast<int32_t>(s->size()));
            }
            opt.history = &history;
        } else {
            opt.history = nullptr;
        }
        opt.traffic = nullptr;
        Plan global = decide_plan(sk, opt, policies, times);
        for (const Move& m : global.moves) plan.moves.push_back(m);
        for (Unresolved& u : global.unresolved) plan.unresolved.push_back(std::move(u));
        for (int32_t h : global.powered_on) plan.powered_on.push_back(h);
    }
    std::sort(plan.powered_on.begin(), plan.powered_on.end(), [&](int32_t a, int32_t b) {
        return hosts[static_cast<size_t>(a)].id < hosts[static_cast<size_t>(b)].id;
    });
    std::sort(plan.resizes.begin(), plan.resizes.end(), [&](const Resize& a, const Resize& b) {
        return sk.vms[static_cast<size_t>(a.vm)].id < sk.vms[static_cast<size_t>(b.vm)].id;
    });
    const auto t1 = std::chrono::steady_clock::now();
    resolve_plan(sk, plan, options);
    times.resolve += seconds_since(t1);
    return g;
}

Plan make_plan(const model::Fleet& fleet, const PlanOptions& options,
               const policy::PolicySet& policies, PhaseTimes& times) {
    const ShardMap map = make_shards(fleet.hosts, options.shard_hosts);
    if (map.shards == 1) {
        Plan plan = decide_plan(fleet, options, policies, times);
        const auto t = std::chrono::steady_clock::now();
        resolve_plan(fleet, plan, options);
        times.resolve += seconds_since(t);
        return plan;
    }
    model::Fleet copy = fleet;
    model::History history = options.history ? *options.history : model::History{};
    const model::Traffic traffic = options.traffic ? *options.traffic : model::Traffic{};
    std::vector<ShardInput> inputs =
        split_shards(std::move(copy), std::move(history), traffic, options.frozen, map,
                     std::vector<uint8_t>(static_cast<size_t>(map.shards), 1));
    std::vector<ShardOutcome> outcomes(inputs.size());
    std::vector<ShardDemand> demand(inputs.size());
    for (size_t s = 0; s < inputs.size(); ++s) demand[s] = shard_demand(inputs[s], map, options);
    tbb::parallel_for(size_t{0}, inputs.size(), [&](size_t s) {
        outcomes[s] = plan_shard(inputs[s], map, options, policies, demand);
    });
    for (const ShardOutcome& o : outcomes) {
        times.detect += o.times.detect;
        times.select += o.times.select;
        times.place += o.times.place;
    }
    GlobalPlan g = resolve_global(fleet.hosts, map, outcomes, options, policies, times);
    // Back to the caller's VM indices.
    auto vm = [&](int32_t v) {
        return v < 0 ? v : static_cast<int32_t>(g.listed[static_cast<size_t>(v)]->origin);
    };
    Plan plan = std::move(g.plan);
    for (Move& m : plan.moves) m.vm = vm(m.vm);
    for (Unresolved& u : plan.unresolved) u.vm = vm(u.vm);
    for (Resize& r : plan.resizes) r.vm = vm(r.vm);
    return plan;
}

}  // namespace fp::plan
