#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <toml++/toml.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "io/fleet_csv.hpp"
#include "io/h5_file.hpp"
#include "io/huge_pages.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

using h5::check;
using h5::H5Failure;
using h5::Hid;
using h5::Reader;
using h5::Writer;

// A column of n values f(i), filled in parallel (f reads only).
template <typename T, typename F>
std::vector<T> column(size_t n, F f) {
    std::vector<T> v;
    reserve_huge(v, n);
    v.resize(n);
    tbb::parallel_for(tbb::blocked_range<size_t>(0, n, 16384), [&](const auto& r) {
        for (size_t i = r.begin(); i < r.end(); ++i) v[i] = f(i);
    });
    return v;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

const std::vector<std::string>& event_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (int e = 0; e <= static_cast<int>(dispatch::MoveEvent::kSkipped); ++e)
            v.emplace_back(dispatch::to_string(static_cast<dispatch::MoveEvent>(e)));
        return v;
    }();
    return names;
}

void write_all(hid_t file, const Checkpoint& c) {
    Writer w(file);
    Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    Writer::attr_string(root.get(), "format", kCheckpointFormatName);
    // Always the current layout, whatever version the checkpoint was read from.
    Writer::attr_num<int32_t>(root.get(), "format_version", H5T_NATIVE_INT32,
                              std::max(c.format_version, kCheckpointFormatVersion));
    Writer::attr_string(root.get(), "program_version", c.program_version);
    Writer::attr_string(root.get(), "command", c.command);
    Writer::attr_num<uint64_t>(root.get(), "seed", H5T_NATIVE_UINT64, c.seed);
    Writer::attr_string(root.get(), "goal", c.goal);
    Writer::attr_num<double>(root.get(), "max_util", H5T_NATIVE_DOUBLE,
                             static_cast<double>(c.max_util_ppm) / 1e6);
    Writer::attr_num<int64_t>(root.get(), "now_s", H5T_NATIVE_INT64, c.now_s);
    if (!c.plan_csv_digest.empty())
        Writer::attr_string(root.get(), "plan_csv_digest", c.plan_csv_digest);
    Writer::attr_string(root.get(), "units",
                        "cpu: millicores, mem: KiB, net: kbps, time: s, downtime: ms");

    {
        Hid g = w.group("/config");
        w.scalar_string("/config/toml", c.config_toml);
    }
    {
        Hid g = w.group("/inputs");
        std::vector<std::string> roles, digests;
        for (const auto& [r, d] : c.inputs) {
            roles.push_back(r);
            digests.push_back(d);
        }
        w.strings("/inputs/role", roles);
        w.strings("/inputs/source", digests);
        w.strings("/inputs/evacuate", c.evacuate);
    }
    const auto& hosts = c.fleet.hosts;
    // The VM rows: the fleet's own, or rows the caller holds elsewhere (Checkpoint::vm_rows).
    const bool by_pointer = !c.vm_rows.empty();
    const size_t nh = hosts.size(), nv = by_pointer ? c.vm_rows.size() : c.fleet.vms.size();
    auto vm_at = [&](size_t i) -> const model::Vm& {
        return by_pointer ? *c.vm_rows[i] : c.fleet.vms[i];
    };
    auto host_at = [&](size_t i) -> int32_t {
        return by_pointer ? c.vm_row_hosts[i] : c.fleet.vms[i].host;
    };
    {
        Hid g = w.group("/fleet");
        Hid gh = w.group("/fleet/hosts");
        Writer::attr_num<int64_t>(gh.get(), "count", H5T_NATIVE_INT64, static_cast<int64_t>(nh));
        w.strings("/fleet/hosts/id",
                  column<std::string>(nh, [&](size_t i) { return hosts[i].id; }));
        w.dataset("/fleet/hosts/cpu", H5T_NATIVE_INT64,
                  column<int64_t>(nh, [&](size_t i) { return hosts[i].capacity[model::kCpu]; }),
                  "millicores");
        w.dataset("/fleet/hosts/mem", H5T_NATIVE_INT64,
                  column<int64_t>(nh, [&](size_t i) { return hosts[i].capacity[model::kMem]; }),
                  "KiB");
        w.dataset("/fleet/hosts/net", H5T_NATIVE_INT64,
                  column<int64_t>(nh, [&](size_t i) { return hosts[i].capacity[model::kNet]; }),
                  "kbps");
        w.dictionary("/fleet/hosts/rack",
                     column<std::string>(nh, [&](size_t i) { return hosts[i].rack; }));
        w.dictionary("/fleet/hosts/site",
                     column<std::string>(nh, [&](size_t i) { return hosts[i].site; }));
        w.dictionary("/fleet/hosts/state", column<std::string>(nh, [&](size_t i) {
                         return std::string(model::to_string(hosts[i].state));
                     }));
        w.dataset(
            "/fleet/hosts/power_idle_w", H5T_NATIVE_DOUBLE,
            column<double>(nh, [&](size_t i) { return hosts[i].power_idle_w.value_or(kNaN); }),
            "W");
        w.dataset("/fleet/hosts/power_max_w", H5T_NATIVE_DOUBLE,
                  column<double>(nh, [&](size_t i) { return hosts[i].power_max_w.value_or(kNaN); }),
                  "W");
        w.strings("/fleet/hosts/address",
                  column<std::string>(nh, [&](size_t i) { return hosts[i].address; }));

        Hid gv = w.group("/fleet/vms");
        Writer::attr_num<int64_t>(gv.get(), "count", H5T_NATIVE_INT64, static_cast<int64_t>(nv));
        w.strings("/fleet/vms/id", nv, [&](size_t i) -> const std::string& { return vm_at(i).id; });
        w.dataset("/fleet/vms/host", H5T_NATIVE_INT32, column<int32_t>(nv, host_at),
                  "host index, -1 = new");
        w.dataset("/fleet/vms/cpu", H5T_NATIVE_INT64,
                  column<int64_t>(nv, [&](size_t i) { return vm_at(i).demand[model::kCpu]; }),
                  "millicores");
        w.dataset("/fleet/vms/mem", H5T_NATIVE_INT64,
                  column<int64_t>(nv, [&](size_t i) { return vm_at(i).demand[model::kMem]; }),
                  "KiB");
        w.dataset("/fleet/vms/net", H5T_NATIVE_INT64,
                  column<int64_t>(nv, [&](size_t i) { return vm_at(i).demand[model::kNet]; }),
                  "kbps");
        w.dataset("/fleet/vms/mem_size", H5T_NATIVE_INT64,
                  column<int64_t>(nv, [&](size_t i) { return vm_at(i).mem_size_kib; }), "KiB");
        w.dataset("/fleet/vms/disk", H5T_NATIVE_INT64,
                  column<int64_t>(nv, [&](size_t i) { return vm_at(i).disk_kib; }), "KiB");
        w.dataset("/fleet/vms/dirty_rate", H5T_NATIVE_DOUBLE,
                  column<double>(nv, [&](size_t i) { return vm_at(i).dirty_rate_mibps; }), "MiB/s");
        w.dictionary("/fleet/vms/group", nv,
                     [&](size_t i) -> const std::string& { return vm_at(i).group; });
        w.dictionary("/fleet/vms/anti_group", nv,
                     [&](size_t i) -> const std::string& { return vm_at(i).anti_group; });
        w.dataset("/fleet/vms/cpu_alloc", H5T_NATIVE_INT64,
                  column<int64_t>(
                      nv, [&](size_t i) { return vm_at(i).cpu_alloc_millicores.value_or(-1); }),
                  "millicores, -1 = not given");
        w.dataset(
            "/fleet/vms/mem_alloc", H5T_NATIVE_INT64,
            column<int64_t>(nv, [&](size_t i) { return vm_at(i).mem_alloc_kib.value_or(-1); }),
            "KiB, -1 = not given");
    }
    {
        const auto& mv = c.plan.moves;
        const size_t nm = mv.size();
        Hid g = w.group("/plan");
        Hid gm = w.group("/plan/moves");
        w.dataset("/plan/moves/step", H5T_NATIVE_INT32,
                  column<int32_t>(nm, [&](size_t i) { return mv[i].step; }), "wave");
        w.dataset("/plan/moves/vm", H5T_NATIVE_INT32,
                  column<int32_t>(nm, [&](size_t i) { return mv[i].vm; }), "vm index");
        w.dataset("/plan/moves/source", H5T_NATIVE_INT32,
                  column<int32_t>(nm, [&](size_t i) { return mv[i].source; }),
                  "host index, -1 = new VM");
        w.dataset("/plan/moves/target", H5T_NATIVE_INT32,
                  column<int32_t>(nm, [&](size_t i) { return mv[i].target; }), "host index");
        w.dictionary("/plan/moves/reason", column<std::string>(nm, [&](size_t i) {
                         return plan::to_string(mv[i].reason);
                     }));
        w.dataset("/plan/moves/est_seconds", H5T_NATIVE_DOUBLE,
                  column<double>(nm, [&](size_t i) { return mv[i].estimate.seconds; }), "s");
        w.dataset("/plan/moves/est_downtime_ms", H5T_NATIVE_DOUBLE,
                  column<double>(nm, [&](size_t i) { return mv[i].estimate.downtime_ms; }), "ms");
        w.dataset("/plan/moves/est_sent_mib", H5T_NATIVE_DOUBLE,
                  column<double>(nm, [&](size_t i) { return mv[i].estimate.sent_mib; }), "MiB");
        const auto& un = c.plan.unresolved;
        const size_t nu = un.size();
        Hid gu = w.group("/plan/unresolved");
        w.dataset("/plan/unresolved/host", H5T_NATIVE_INT32,
                  column<int32_t>(nu, [&](size_t i) { return un[i].host; }),
                  "host index, -1 = none");
        w.dataset("/plan/unresolved/vm", H5T_NATIVE_INT32,
                  column<int32_t>(nu, [&](size_t i) { return un[i].vm; }), "vm index, -1 = none");
        w.strings("/plan/unresolved/reason",
                  column<std::string>(nu, [&](size_t i) { return un[i].reason; }));
        w.dataset("/plan/powered_on", H5T_NATIVE_INT32, c.plan.powered_on, "host index");
        const auto& rs = c.plan.resizes;
        const size_t nr = rs.size();
        Hid gr = w.group("/plan/resizes");
        w.dataset("/plan/resizes/vm", H5T_NATIVE_INT32,
                  column<int32_t>(nr, [&](size_t i) { return rs[i].vm; }), "vm index");
        w.dataset("/plan/resizes/host", H5T_NATIVE_INT32,
                  column<int32_t>(nr, [&](size_t i) { return rs[i].host; }), "host index");
        w.dataset("/plan/resizes/cpu_alloc", H5T_NATIVE_INT64,
                  column<int64_t>(nr, [&](size_t i) { return rs[i].cpu_alloc_millicores; }),
                  "millicores");
        w.dataset("/plan/resizes/mem_alloc", H5T_NATIVE_INT64,
                  column<int64_t>(nr, [&](size_t i) { return rs[i].mem_alloc_kib; }), "KiB");
    }
    {
        Hid g = w.group("/summary");
        w.scalar_string("/summary/json", c.summary_json);
    }
    {
        // Per-VM series as ragged arrays: values of VM i are values[offsets[i], offsets[i+1]).
        Hid g = w.group("/history");
        Writer::attr_num<int64_t>(g.get(), "interval_s", H5T_NATIVE_INT64, c.history.interval_s);
        Writer::attr_num<int32_t>(g.get(), "length", H5T_NATIVE_INT32, c.history.length);
        const std::pair<const char*, const std::vector<std::vector<float>>*> dims[] = {
            {"cpu", &c.history.cpu}, {"mem", &c.history.mem}, {"net", &c.history.net}};
        for (const auto& [name, series] : dims) {
            std::vector<int64_t> offsets(1, 0);
            std::vector<float> values;
            for (const auto& v : *series) {
                values.insert(values.end(), v.begin(), v.end());
                offsets.push_back(static_cast<int64_t>(values.size()));
            }
            w.dataset(std::string("/history/") + name + "_offsets", H5T_NATIVE_INT64, offsets,
                      "index into _values per VM");
            w.dataset(std::string("/history/") + name + "_values", H5T_NATIVE_FLOAT, values,
                      "fraction of the VM's size");
        }
    }
    {
        Hid g = w.group("/traffic");
        std::vector<int32_t> a, b;
        std::vector<double> mbps;
        for (size_t v = 0; v < c.traffic.neighbours.size(); ++v)
            for (const auto& e : c.traffic.neighbours[v])
                if (static_cast<int32_t>(v) < e.vm) {
                    a.push_back(static_cast<int32_t>(v));
                    b.push_back(e.vm);
                    mbps.push_back(e.mbps);
                }
        w.dataset("/traffic/vm_a", H5T_NATIVE_INT32, a, "vm index");
        w.dataset("/traffic/vm_b", H5T_NATIVE_INT32, b, "vm index");
        w.dataset("/traffic/mbps", H5T_NATIVE_DOUBLE, mbps, "Mbps");
    }
    {
        std::vector<int32_t> frozen;
        for (size_t v = 0; v < c.frozen.size(); ++v)
            if (c.frozen[v]) frozen.push_back(static_cast<int32_t>(v));
        w.dataset("/inputs/frozen", H5T_NATIVE_INT32, frozen, "vm index (in cooldown)");
        w.scalar_string("/inputs/fleet_changes", c.fleet_changes);
    }
    if (!c.dispatch_journal.empty()) {
        // The dispatch journal folded in at the end of each wave (dispatch.journal is the
        // write-ahead record; this copy is for offline analysis and `inspect`).
        const auto& J = c.dispatch_journal;
        w.group("/dispatch");
        w.dataset("/dispatch/time_s", H5T_NATIVE_DOUBLE,
                  column<double>(J.size(), [&](size_t i) { return J[i].time_s; }),
                  "s since the epoch");
        w.dataset("/dispatch/move", H5T_NATIVE_INT64,
                  column<int64_t>(J.size(), [&](size_t i) { return J[i].move; }));
        w.dictionary("/dispatch/event", J.size(), [&](size_t i) -> const std::string& {
            return event_names()[static_cast<size_t>(J[i].event)];
        });
        w.strings("/dispatch/vm", J.size(),
                  [&](size_t i) -> const std::string& { return J[i].vm; });
        w.dictionary("/dispatch/source", J.size(),
                     [&](size_t i) -> const std::string& { return J[i].source; });
        w.dictionary("/dispatch/target", J.size(),
                     [&](size_t i) -> const std::string& { return J[i].target; });
        w.dataset("/dispatch/attempt", H5T_NATIVE_INT32,
                  column<int32_t>(J.size(), [&](size_t i) { return J[i].attempt; }));
        w.dataset("/dispatch/seconds", H5T_NATIVE_DOUBLE,
                  column<double>(J.size(), [&](size_t i) { return J[i].seconds; }), "s");
        w.dataset("/dispatch/downtime_ms", H5T_NATIVE_DOUBLE,
                  column<double>(J.size(), [&](size_t i) { return J[i].downtime_ms; }),
                  "ms (-1: not reported)");
        w.strings("/dispatch/reason", J.size(),
                  [&](size_t i) -> const std::string& { return J[i].reason; });
    }
}

// The root attributes seed, goal and max_util repeat the expanded config's [plan] values
// (which --resume uses): they must agree, or one of them was damaged.
void cross_check_config(const Checkpoint& c) {
    toml::table t;
    try {
        t = toml::parse(c.config_toml);
    } catch (const toml::parse_error& e) {
        throw H5Failure{"/config/toml: not valid TOML (damaged file): " +
                        std::string(e.description())};
    }
    const toml::node_view plan = t["plan"];
    if (auto mu = plan["max_util"].value<double>())
        check(model::to_ppm(*mu) == c.max_util_ppm,
              "root attribute max_util disagrees with /config/toml's plan.max_util (damaged "
              "file)");
    if (auto seed = plan["seed"].value<int64_t>())
        check(*seed >= 0 && static_cast<uint64_t>(*seed) == c.seed,
              "root attribute seed disagrees with /config/toml's plan.seed (damaged file)");
    if (auto goal = plan["goal"].value<std::string>())
        check(*goal == c.goal,
              "root attribute goal disagrees with /config/toml's plan.goal (damaged file)");
}

Checkpoint read_all(hid_t file, const std::string& path) {
    Reader r(file);
    Checkpoint c;
    Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    check(root.ok(), "no root group");
    if (H5Aexists(root.get(), "format") <= 0 ||
        Reader::attr_string(root.get(), "format") != kCheckpointFormatName)
        throw H5Failure{"not a fleetplan checkpoint (no format attribute '" +
                        std::string(kCheckpointFormatName) + "')"};
    c.format_version = Reader::attr_num<int32_t>(root.get(), "format_version", H5T_NATIVE_INT32);
    if (c.format_version > kCheckpointFormatVersion || c.format_version < 1)
        throw H5Failure{"checkpoint format version " + std::to_string(c.format_version) +
                        " is not supported (this fleetplan reads version " +
                        std::to_string(kCheckpointFormatVersion) + ")"};
    c.program_version = Reader::attr_string(root.get(), "program_version");
    c.command = Reader::attr_string(root.get(), "command");
    c.seed = Reader::attr_num<uint64_t>(root.get(), "seed", H5T_NATIVE_UINT64);
    c.goal = Reader::attr_string(root.get(), "goal");
    c.max_util_ppm =
        model::to_ppm(Reader::attr_num<double>(root.get(), "max_util", H5T_NATIVE_DOUBLE));
    c.config_toml = r.scalar_string("/config/toml");
    cross_check_config(c);
    {
        const auto roles = r.strings("/inputs/role");
        const auto srcs = r.strings("/inputs/source");
        check(roles.size() == srcs.size(), "inputs: role and source differ in length");
        for (size_t i = 0; i < roles.size(); ++i) c.inputs.emplace_back(roles[i], srcs[i]);
        c.evacuate = r.strings("/inputs/evacuate");
    }
    auto& fleet = c.fleet;
    {
        const auto id = r.strings("/fleet/hosts/id");
        const size_t nh = id.size();
        const auto cpu = r.dataset<int64_t>("/fleet/hosts/cpu", H5T_NATIVE_INT64, nh);
        const auto mem = r.dataset<int64_t>("/fleet/hosts/mem", H5T_NATIVE_INT64, nh);
        const auto net = r.dataset<int64_t>("/fleet/hosts/net", H5T_NATIVE_INT64, nh);
        const auto rack = r.dictionary("/fleet/hosts/rack", nh);
        const auto site = r.dictionary("/fleet/hosts/site", nh);
        const auto state = r.dictionary("/fleet/hosts/state", nh);
        const auto pidle = r.dataset<double>("/fleet/hosts/power_idle_w", H5T_NATIVE_DOUBLE, nh);
        const auto pmax = r.dataset<double>("/fleet/hosts/power_max_w", H5T_NATIVE_DOUBLE, nh);
        const auto addr = r.strings("/fleet/hosts/address", nh);
        for (size_t n : {cpu.size(), mem.size(), net.size(), rack.size(), site.size(), state.size(),
                         pidle.size(), pmax.size(), addr.size()})
            check(n == nh, "/fleet/hosts: columns differ in length");
        fleet.hosts.resize(nh);
        for (size_t i = 0; i < nh; ++i) {
            model::Host& h = fleet.hosts[i];
            h.id = id[i];
            h.capacity[model::kCpu] = cpu[i];
            h.capacity[model::kMem] = mem[i];
            h.capacity[model::kNet] = net[i];
            h.rack = rack[i];
            h.site = site[i];
            auto st = model::parse_host_state(state[i]);
            check(st.has_value(), "/fleet/hosts/state: unknown state " + in_quotes(state[i]));
            h.state = *st;
            if (!std::isnan(pidle[i])) h.power_idle_w = pidle[i];
            if (!std::isnan(pmax[i])) h.power_max_w = pmax[i];
            h.address = addr[i];
        }
    }
    {
        const auto id = r.strings("/fleet/vms/id");
        const size_t nv = id.size();
        const auto host = r.dataset<int32_t>("/fleet/vms/host", H5T_NATIVE_INT32, nv);
        const auto cpu = r.dataset<int64_t>("/fleet/vms/cpu", H5T_NATIVE_INT64, nv);
        const auto mem = r.dataset<int64_t>("/fleet/vms/mem", H5T_NATIVE_INT64, nv);
        const auto net = r.dataset<int64_t>("/fleet/vms/net", H5T_NATIVE_INT64, nv);
        const auto mem_size = r.dataset<int64_t>("/fleet/vms/mem_size", H5T_NATIVE_INT64, nv);
        const auto disk = r.dataset<int64_t>("/fleet/vms/disk", H5T_NATIVE_INT64, nv);
        const auto dirty = r.dataset<double>("/fleet/vms/dirty_rate", H5T_NATIVE_DOUBLE, nv);
        const auto group = r.dictionary("/fleet/vms/group", nv);
        const auto anti = r.dictionary("/fleet/vms/anti_group", nv);
        const auto calloc_ = r.dataset<int64_t>("/fleet/vms/cpu_alloc", H5T_NATIVE_INT64, nv);
        const auto malloc_ = r.dataset<int64_t>("/fleet/vms/mem_alloc", H5T_NATIVE_INT64, nv);
        for (size_t n :
             {host.size(), cpu.size(), mem.size(), net.size(), mem_size.size(), disk.size(),
              dirty.size(), group.size(), anti.size(), calloc_.size(), malloc_.size()})
            check(n == nv, "/fleet/vms: columns differ in length");
        fleet.vms.resize(nv);
        for (size_t i = 0; i < nv; ++i) {
            model::Vm& v = fleet.vms[i];
            v.id = id[i];
            check(host[i] >= -1 && host[i] < static_cast<int32_t>(fleet.hosts.size()),
                  "/fleet/vms/host: index out of range");
            v.host = host[i];
            v.demand[model::kCpu] = cpu[i];
            v.demand[model::kMem] = mem[i];
            v.demand[model::kNet] = net[i];
            v.mem_size_kib = mem_size[i];
            v.disk_kib = disk[i];
            v.dirty_rate_mibps = dirty[i];
            v.group = group[i];
            v.anti_group = anti[i];
            if (calloc_[i] >= 0) v.cpu_alloc_millicores = calloc_[i];
            if (malloc_[i] >= 0) v.mem_alloc_kib = malloc_[i];
        }
    }
    if (auto v = validate_fleet(fleet, "/fleet/hosts", "/fleet/vms"); !v)
        throw H5Failure{v.error().msg};
    for (const char* g : {"/fleet/hosts", "/fleet/vms"}) {
        // The row count is stated twice: the group's `count` attribute and the columns.
        Hid grp(H5Gopen2(file, g, H5P_DEFAULT), H5Gclose);
        if (!grp.ok() || H5Aexists(grp.get(), "count") <= 0) continue;  // older files
        const auto count = Reader::attr_num<int64_t>(grp.get(), "count", H5T_NATIVE_INT64);
        const size_t rows = g[7] == 'h' ? fleet.hosts.size() : fleet.vms.size();
        check(count >= 0 && static_cast<size_t>(count) == rows,
              std::string(g) + ": attribute count = " + std::to_string(count) + " but " +
                  std::to_string(rows) + " rows (damaged file)");
    }
    fleet.index();
    {
        // A plan moves each VM at most once.
        const size_t max_moves = fleet.vms.size();
        const auto step = r.dataset<int32_t>("/plan/moves/step", H5T_NATIVE_INT32, max_moves);
        const auto vm = r.dataset<int32_t>("/plan/moves/vm", H5T_NATIVE_INT32, max_moves);
        const auto src = r.dataset<int32_t>("/plan/moves/source", H5T_NATIVE_INT32, max_moves);
        const auto tgt = r.dataset<int32_t>("/plan/moves/target", H5T_NATIVE_INT32, max_moves);
        const auto reason = r.dictionary("/plan/moves/reason", max_moves);
        const auto est = r.dataset<double>("/plan/moves/est_seconds", H5T_NATIVE_DOUBLE, max_moves);
        const auto down =
            r.dataset<double>("/plan/moves/est_downtime_ms", H5T_NATIVE_DOUBLE, max_moves);
        const auto sent =
            r.dataset<double>("/plan/moves/est_sent_mib", H5T_NATIVE_DOUBLE, max_moves);
        const size_t nm = step.size();
        for (size_t n : {vm.size(), src.size(), tgt.size(), reason.size(), est.size(), down.size(),
                         sent.size()})
            check(n == nm, "/plan/moves: columns differ in length");
        const auto nh = static_cast<int32_t>(fleet.hosts.size());
        const auto nv = static_cast<int32_t>(fleet.vms.size());
        static const std::map<std::string, plan::MoveReason> kReasons = {
            {"evacuate", plan::MoveReason::kEvacuate},
            {"new", plan::MoveReason::kNewVm},
            {"hotspot", plan::MoveReason::kHotspot},
            {"consolidate", plan::MoveReason::kConsolidate},
            {"balance", plan::MoveReason::kBalance},
            {"anti-affinity", plan::MoveReason::kAntiAffinity}};
        for (size_t i = 0; i < nm; ++i) {
            check(vm[i] >= 0 && vm[i] < nv && src[i] >= -1 && src[i] < nh && tgt[i] >= 0 &&
                      tgt[i] < nh,
                  "/plan/moves: index out of range");
            auto it = kReasons.find(reason[i]);
            check(it != kReasons.end(),
                  "/plan/moves/reason: unknown reason " + in_quotes(reason[i]));
            plan::Move m;
            m.step = step[i];
            m.vm = vm[i];
            m.source = src[i];
            m.target = tgt[i];
            m.reason = it->second;
            m.estimate.seconds = est[i];
            m.estimate.downtime_ms = down[i];
            m.estimate.sent_mib = sent[i];
            c.plan.moves.push_back(m);
        }
        const auto uh = r.dataset<int32_t>("/plan/unresolved/host", H5T_NATIVE_INT32);
        const auto uv = r.dataset<int32_t>("/plan/unresolved/vm", H5T_NATIVE_INT32);
        const auto ur = r.strings("/plan/unresolved/reason");
        check(uh.size() == uv.size() && uv.size() == ur.size(), "/plan/unresolved: columns differ");
        for (size_t i = 0; i < uh.size(); ++i) {
            check(uh[i] >= -1 && uh[i] < nh && uv[i] >= -1 && uv[i] < nv,
                  "/plan/unresolved: index out of range");
            c.plan.unresolved.push_back({uh[i], uv[i], ur[i]});
        }
        c.plan.powered_on =
            r.dataset<int32_t>("/plan/powered_on", H5T_NATIVE_INT32, fleet.hosts.size());
        for (int32_t h : c.plan.powered_on)
            check(h >= 0 && h < nh, "/plan/powered_on: index out of range");
        if (r.exists("/plan/resizes")) {  // absent from files written before resizes
            const auto rv =
                r.dataset<int32_t>("/plan/resizes/vm", H5T_NATIVE_INT32, fleet.vms.size());
            const auto rh =
                r.dataset<int32_t>("/plan/resizes/host", H5T_NATIVE_INT32, fleet.vms.size());
            const auto rcpu =
                r.dataset<int64_t>("/plan/resizes/cpu_alloc", H5T_NATIVE_INT64, fleet.vms.size());
            const auto rmem =
                r.dataset<int64_t>("/plan/resizes/mem_alloc", H5T_NATIVE_INT64, fleet.vms.size());
            check(rv.size() == rh.size() && rh.size() == rcpu.size() && rcpu.size() == rmem.size(),
                  "/plan/resizes: columns differ in length");
            for (size_t i = 0; i < rv.size(); ++i) {
                check(rv[i] >= 0 && rv[i] < nv && rh[i] >= 0 && rh[i] < nh,
                      "/plan/resizes: index out of range");
                check(rcpu[i] >= 0 && rmem[i] >= 0, "/plan/resizes: negative allocation");
                c.plan.resizes.push_back({rv[i], rh[i], rcpu[i], rmem[i]});
            }
        }
    }
    c.summary_json = r.scalar_string("/summary/json");
    if (H5Aexists(root.get(), "plan_csv_digest") > 0)
        c.plan_csv_digest = Reader::attr_string(root.get(), "plan_csv_digest");
    if (H5Aexists(root.get(), "now_s") > 0)
        c.now_s = Reader::attr_num<int64_t>(root.get(), "now_s", H5T_NATIVE_INT64);
    const auto nv = fleet.vms.size();
    if (r.exists("/history")) {
        Hid g(H5Gopen2(file, "/history", H5P_DEFAULT), H5Gclose);
        c.history.interval_s = Reader::attr_num<int64_t>(g.get(), "interval_s", H5T_NATIVE_INT64);
        c.history.length = Reader::attr_num<int32_t>(g.get(), "length", H5T_NATIVE_INT32);
        std::pair<const char*, std::vector<std::vector<float>>*> dims[] = {
            {"cpu", &c.history.cpu}, {"mem", &c.history.mem}, {"net", &c.history.net}};
        for (auto& [name, series] : dims) {
            const auto off = r.dataset<int64_t>(std::string("/history/") + name + "_offsets",
                                                H5T_NATIVE_INT64, nv + 1);
            const auto val =
                r.dataset<float>(std::string("/history/") + name + "_values", H5T_NATIVE_FLOAT);
            if (off.size() <= 1) continue;
            check(off.size() == nv + 1 && off.front() == 0 &&
                      static_cast<size_t>(off.back()) == val.size(),
                  std::string("/history/") + name + ": offsets do not match the VMs");
            series->resize(nv);
            for (size_t v = 0; v < nv; ++v) {
                check(off[v] <= off[v + 1], std::string("/history/") + name + ": offsets decrease");
                (*series)[v].assign(val.begin() + off[v], val.begin() + off[v + 1]);
            }
        }
    }
    if (r.exists("/traffic")) {
        const auto a = r.dataset<int32_t>("/traffic/vm_a", H5T_NATIVE_INT32);
        const auto b = r.dataset<int32_t>("/traffic/vm_b", H5T_NATIVE_INT32);
        const auto mbps = r.dataset<double>("/traffic/mbps", H5T_NATIVE_DOUBLE);
        check(a.size() == b.size() && b.size() == mbps.size(),
              "/traffic: columns differ in length");
        if (!a.empty()) {
            c.traffic.neighbours.resize(nv);
            for (size_t i = 0; i < a.size(); ++i) {
                check(a[i] >= 0 && b[i] >= 0 && static_cast<size_t>(a[i]) < nv &&
                          static_cast<size_t>(b[i]) < nv,
                      "/traffic: index out of range");
                c.traffic.neighbours[static_cast<size_t>(a[i])].push_back({b[i], mbps[i]});
                c.traffic.neighbours[static_cast<size_t>(b[i])].push_back({a[i], mbps[i]});
            }
            for (auto& n : c.traffic.neighbours)
                std::sort(n.begin(), n.end(),
                          [](const auto& x, const auto& y) { return x.vm < y.vm; });
        }
    }
    if (r.exists("/inputs/frozen")) {
        const auto fz = r.dataset<int32_t>("/inputs/frozen", H5T_NATIVE_INT32, nv);
        if (!fz.empty()) {
            c.frozen.assign(nv, 0);
            for (int32_t v : fz) {
                check(v >= 0 && static_cast<size_t>(v) < nv, "/inputs/frozen: index out of range");
                c.frozen[static_cast<size_t>(v)] = 1;
            }
        }
    }
    if (r.exists("/inputs/fleet_changes")) {
        c.fleet_changes = r.scalar_string("/inputs/fleet_changes");
        // summary.json embeds it as an object: a damaged one is bad input here, not later.
        if (!c.fleet_changes.empty()) {
            const auto j = nlohmann::json::parse(c.fleet_changes, nullptr, false);
            check(!j.is_discarded() && j.is_object(),
                  "/inputs/fleet_changes: not a JSON object (damaged file)");
        }
    }
    if (r.exists("/dispatch")) {
        const auto t = r.dataset<double>("/dispatch/time_s", H5T_NATIVE_DOUBLE);
        const auto mv = r.dataset<int64_t>("/dispatch/move", H5T_NATIVE_INT64);
        const auto ev = r.dictionary("/dispatch/event");
        const auto vm = r.strings("/dispatch/vm");
        const auto src = r.dictionary("/dispatch/source");
        const auto dst = r.dictionary("/dispatch/target");
        const auto at = r.dataset<int32_t>("/dispatch/attempt", H5T_NATIVE_INT32);
        const auto sec = r.dataset<double>("/dispatch/seconds", H5T_NATIVE_DOUBLE);
        const auto down = r.dataset<double>("/dispatch/downtime_ms", H5T_NATIVE_DOUBLE);
        const auto why = r.strings("/dispatch/reason");
        const size_t n = t.size();
        for (size_t len : {mv.size(), ev.size(), vm.size(), src.size(), dst.size(), at.size(),
                           sec.size(), down.size(), why.size()})
            check(len == n, "/dispatch columns of different lengths");
        for (size_t i = 0; i < n; ++i) {
            dispatch::JournalEntry e;
            auto kind = dispatch::parse_move_event(ev[i]);
            check(kind.has_value(), "/dispatch/event: unknown event " + in_quotes(ev[i]));
            e.time_s = t[i];
            e.move = mv[i];
            e.event = *kind;
            e.vm = vm[i];
            e.source = src[i];
            e.target = dst[i];
            e.attempt = at[i];
            e.seconds = sec[i];
            e.downtime_ms = down[i];
            e.reason = why[i];
            c.dispatch_journal.push_back(std::move(e));
        }
    }
    (void)path;
    return c;
}

}  // namespace

Result<void> write_checkpoint(const std::string& path, const Checkpoint& ckpt) {
    return h5::write_atomic(path, "checkpoint", [&](hid_t file) { write_all(file, ckpt); });
}

Result<std::string> checkpoint_image(const std::string& path, const Checkpoint& ckpt) {
    return h5::build_image(path, "checkpoint", [&](hid_t file) { write_all(file, ckpt); });
}

Result<Checkpoint> read_checkpoint(const std::string& path) {
    return h5::read_file<Checkpoint>(path, [&](hid_t file) { return read_all(file, path); });
}

}  // namespace fp::io
