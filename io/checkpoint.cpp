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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "io/fleet_csv.hpp"
#include "io/h5_file.hpp"
#include "io/huge_pages.hpp"
#include "src/util/assert.hpp"
#include "src/util/text.hpp"

namespace fp::io {
namespace {

constexpr const char* kPartPrefix = "checkpoint.part-";
constexpr const char* kPartFormatName = "fleetplan-checkpoint-part";

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

// The VM rows a checkpoint writes: the fleet's own, or rows held elsewhere (by pointer, with
// their hosts' indices in the full host table).
struct VmSource {
    const model::Vm* const* ptrs = nullptr;
    const model::Vm* vms = nullptr;
    const int32_t* hosts = nullptr;
    const model::Vm& vm(size_t i) const { return ptrs ? *ptrs[i] : vms[i]; }
    int32_t host(size_t i) const { return hosts ? hosts[i] : vm(i).host; }
};
using Hosts = std::vector<model::Host>;
using Vms = std::vector<model::Vm>;
using h5::TextForm;
template <typename T>
using VmNum = h5::NumColumn<VmSource, Vms, T>;
template <typename T>
using HostNum = h5::NumColumn<Hosts, Hosts, T>;
using h5::grow_at;

// /fleet/hosts: one line per column, for the writer and the reader.
const h5::Table<Hosts, Hosts>& host_columns() {
    static const h5::Table<Hosts, Hosts> t = {
        {"id", nullptr,
         h5::TextColumn<Hosts, Hosts>{
             TextForm::kFixed, [](const Hosts& h, size_t i) -> std::string_view { return h[i].id; },
             [](Hosts& h, size_t i, std::string&& v) { grow_at(h, i).id = std::move(v); }}},
        {"cpu", "millicores",
         HostNum<int64_t>{
             [](const Hosts& h, size_t i) { return h[i].capacity[model::kCpu]; },
             [](Hosts& h, size_t i, int64_t v) { grow_at(h, i).capacity[model::kCpu] = v; }}},
        {"mem", "KiB",
         HostNum<int64_t>{
             [](const Hosts& h, size_t i) { return h[i].capacity[model::kMem]; },
             [](Hosts& h, size_t i, int64_t v) { grow_at(h, i).capacity[model::kMem] = v; }}},
        {"net", "kbps",
         HostNum<int64_t>{
             [](const Hosts& h, size_t i) { return h[i].capacity[model::kNet]; },
             [](Hosts& h, size_t i, int64_t v) { grow_at(h, i).capacity[model::kNet] = v; }}},
        {"rack", nullptr,
         h5::TextColumn<Hosts, Hosts>{
             TextForm::kDictionary,
             [](const Hosts& h, size_t i) -> std::string_view { return h[i].rack; },
             [](Hosts& h, size_t i, std::string&& v) { grow_at(h, i).rack = std::move(v); }}},
        {"site", nullptr,
         h5::TextColumn<Hosts, Hosts>{
             TextForm::kDictionary,
             [](const Hosts& h, size_t i) -> std::string_view { return h[i].site; },
             [](Hosts& h, size_t i, std::string&& v) { grow_at(h, i).site = std::move(v); }}},
        {"state", nullptr,
         h5::TextColumn<Hosts, Hosts>{
             TextForm::kDictionary,
             [](const Hosts& h, size_t i) -> std::string_view {
                 return model::to_string(h[i].state);
             },
             [](Hosts& h, size_t i, std::string&& v) {
                 auto st = model::parse_host_state(v);
                 check(st.has_value(), "/fleet/hosts/state: unknown state " + in_quotes(v));
                 grow_at(h, i).state = *st;
             }}},
        {"power_idle_w", "W",
         HostNum<double>{[](const Hosts& h, size_t i) { return h[i].power_idle_w.value_or(kNaN); },
                         [](Hosts& h, size_t i, double v) {
                             if (!std::isnan(v)) grow_at(h, i).power_idle_w = v;
                         }}},
        {"power_max_w", "W",
         HostNum<double>{[](const Hosts& h, size_t i) { return h[i].power_max_w.value_or(kNaN); },
                         [](Hosts& h, size_t i, double v) {
                             if (!std::isnan(v)) grow_at(h, i).power_max_w = v;
                         }}},
        {"address", nullptr,
         h5::TextColumn<Hosts, Hosts>{
             TextForm::kFixed,
             [](const Hosts& h, size_t i) -> std::string_view { return h[i].address; },
             [](Hosts& h, size_t i, std::string&& v) { grow_at(h, i).address = std::move(v); }}},
    };
    return t;
}

// /fleet/vms: one line per column, for the writer, the reader and the per-rank parts.
const h5::Table<VmSource, Vms>& vm_columns() {
    static const h5::Table<VmSource, Vms> t = {
        {"id", nullptr,
         h5::TextColumn<VmSource, Vms>{
             TextForm::kFixed,
             [](const VmSource& s, size_t i) -> std::string_view { return s.vm(i).id; },
             [](Vms& v, size_t i, std::string&& x) { grow_at(v, i).id = std::move(x); }}},
        {"host", "host index, -1 = new",
         VmNum<int32_t>{[](const VmSource& s, size_t i) { return s.host(i); },
                        [](Vms& v, size_t i, int32_t x) { grow_at(v, i).host = x; }}},
        {"cpu", "millicores",
         VmNum<int64_t>{
             [](const VmSource& s, size_t i) { return s.vm(i).demand[model::kCpu]; },
             [](Vms& v, size_t i, int64_t x) { grow_at(v, i).demand[model::kCpu] = x; }}},
        {"mem", "KiB",
         VmNum<int64_t>{
             [](const VmSource& s, size_t i) { return s.vm(i).demand[model::kMem]; },
             [](Vms& v, size_t i, int64_t x) { grow_at(v, i).demand[model::kMem] = x; }}},
        {"net", "kbps",
         VmNum<int64_t>{
             [](const VmSource& s, size_t i) { return s.vm(i).demand[model::kNet]; },
             [](Vms& v, size_t i, int64_t x) { grow_at(v, i).demand[model::kNet] = x; }}},
        {"mem_size", "KiB",
         VmNum<int64_t>{[](const VmSource& s, size_t i) { return s.vm(i).mem_size_kib; },
                        [](Vms& v, size_t i, int64_t x) { grow_at(v, i).mem_size_kib = x; }}},
        {"disk", "KiB",
         VmNum<int64_t>{[](const VmSource& s, size_t i) { return s.vm(i).disk_kib; },
                        [](Vms& v, size_t i, int64_t x) { grow_at(v, i).disk_kib = x; }}},
        {"dirty_rate", "MiB/s",
         VmNum<double>{[](const VmSource& s, size_t i) { return s.vm(i).dirty_rate_mibps; },
                       [](Vms& v, size_t i, double x) { grow_at(v, i).dirty_rate_mibps = x; }}},
        {"group", nullptr,
         h5::TextColumn<VmSource, Vms>{
             TextForm::kDictionary,
             [](const VmSource& s, size_t i) -> std::string_view { return s.vm(i).group; },
             [](Vms& v, size_t i, std::string&& x) { grow_at(v, i).group = std::move(x); }}},
        {"anti_group", nullptr,
         h5::TextColumn<VmSource, Vms>{
             TextForm::kDictionary,
             [](const VmSource& s, size_t i) -> std::string_view { return s.vm(i).anti_group; },
             [](Vms& v, size_t i, std::string&& x) { grow_at(v, i).anti_group = std::move(x); }}},
        {"cpu_alloc", "millicores, -1 = not given",
         VmNum<int64_t>{
             [](const VmSource& s, size_t i) { return s.vm(i).cpu_alloc_millicores.value_or(-1); },
             [](Vms& v, size_t i, int64_t x) {
                 if (x >= 0) grow_at(v, i).cpu_alloc_millicores = x;
             }}},
        {"mem_alloc", "KiB, -1 = not given",
         VmNum<int64_t>{
             [](const VmSource& s, size_t i) { return s.vm(i).mem_alloc_kib.value_or(-1); },
             [](Vms& v, size_t i, int64_t x) {
                 if (x >= 0) grow_at(v, i).mem_alloc_kib = x;
             }}},
    };
    return t;
}

// The stored type of a /fleet/vms column (`width`: a fixed string column's).
template <typename In, typename Out>
Hid stored_type(const h5::Column<In, Out>& c, int64_t width) {
    if (const auto* t = std::get_if<h5::TextColumn<In, Out>>(&c.access)) {
        if (t->form == TextForm::kFixed)
            return Writer::fixed_string_type(c.name,
                                             static_cast<size_t>(std::max<int64_t>(width, 1)));
        return Hid(H5Tcopy(H5T_NATIVE_INT32), H5Tclose);
    }
    return std::visit(
        [](const auto& a) -> Hid {
            using A = std::decay_t<decltype(a)>;
            if constexpr (std::is_same_v<A, h5::TextColumn<In, Out>>) {
                return Hid();
            } else {
                using T = decltype(a.get(std::declval<const In&>(), 0));
                return Hid(H5Tcopy(h5::native_type<T>()), H5Tclose);
            }
        },
        c.access);
}

// /fleet/vms as virtual datasets over the ranks' parts, shard by shard in shard order.
void join_parts(Writer& w, const VmParts& parts) {
    Hid gv = w.group("/fleet/vms");
    int64_t total = 0;
    for (const VmParts::Span& sp : parts.shards) total += sp.rows;
    Writer::attr_num<int64_t>(gv.get(), "count", H5T_NATIVE_INT64, total);
    const auto& table = vm_columns();
    for (size_t k = 0; k < table.size(); ++k) {
        const auto& col = table[k];
        const std::string path = std::string("/fleet/vms/") + col.name;
        const auto* text = std::get_if<h5::TextColumn<VmSource, Vms>>(&col.access);
        if (text && text->form == TextForm::kDictionary) w.strings(path + "_names", parts.names[k]);
        Hid type = stored_type(col, parts.widths[k]);
        const size_t elem = H5Tget_size(type.get());
        std::vector<Writer::Source> sources;
        uLong crc = 0;
        int64_t at = 0;
        for (size_t s = 0; s < parts.shards.size(); ++s) {
            const VmParts::Span& sp = parts.shards[s];
            if (sp.rows == 0) continue;
            crc = ::crc32_combine(crc, parts.crc[k][s], static_cast<z_off_t>(sp.rows * elem));
            Writer::Source* last = sources.empty() ? nullptr : &sources.back();
            const auto file = parts.files[static_cast<size_t>(sp.rank)];
            if (last && last->file == file &&
                last->src_first + last->count == static_cast<hsize_t>(sp.first)) {
                last->count += static_cast<hsize_t>(sp.rows);  // contiguous in both
            } else {
                sources.push_back(
                    {file, path,
                     static_cast<hsize_t>(parts.part_rows[static_cast<size_t>(sp.rank)]),
                     static_cast<hsize_t>(sp.first), static_cast<hsize_t>(at),
                     static_cast<hsize_t>(sp.rows)});
            }
            at += sp.rows;
        }
        w.virtual_dataset(path, type.get(), static_cast<size_t>(total), sources,
                          static_cast<uint32_t>(crc), col.units);
    }
}

void write_all(hid_t file, const Checkpoint& c) {
    Writer w(file);
    Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    Writer::attr_string(root.get(), "format", kCheckpointFormatName);
    // The version of the layout written (whatever version the checkpoint was read from): 3
    // with parts, else 2, which older readers read too. A version above this reader's is
    // kept (tests write such files).
    const int layout = c.vm_parts ? kCheckpointFormatVersion : kSelfContainedFormatVersion;
    Writer::attr_num<int32_t>(
        root.get(), "format_version", H5T_NATIVE_INT32,
        c.format_version > kCheckpointFormatVersion ? c.format_version : layout);
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
    {
        Hid g = w.group("/fleet");
        Hid gh = w.group("/fleet/hosts");
        const size_t nh = c.fleet.hosts.size();
        Writer::attr_num<int64_t>(gh.get(), "count", H5T_NATIVE_INT64, static_cast<int64_t>(nh));
        h5::write_columns(w, "/fleet/hosts", host_columns(), c.fleet.hosts, nh);
        // The VM rows: the fleet's own, or rows the caller holds elsewhere (Checkpoint::vm_rows).
        const bool by_pointer = !c.vm_rows.empty();
        const size_t nv = by_pointer ? c.vm_rows.size() : c.fleet.vms.size();
        VmSource src;
        if (by_pointer) {
            src.ptrs = c.vm_rows.data();
            src.hosts = c.vm_row_hosts.data();
        } else {
            src.vms = c.fleet.vms.data();
        }
        if (c.vm_parts) {
            join_parts(w, *c.vm_parts);
        } else {
            Hid gv = w.group("/fleet/vms");
            Writer::attr_num<int64_t>(gv.get(), "count", H5T_NATIVE_INT64,
                                      static_cast<int64_t>(nv));
            h5::write_columns(w, "/fleet/vms", vm_columns(), src, nv);
        }
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
        // The schedule (plan.csv's est_start_s and flags): absent from files written before them.
        w.dataset("/plan/moves/est_start_s", H5T_NATIVE_DOUBLE,
                  column<double>(nm, [&](size_t i) { return mv[i].est_start_s; }), "s");
        w.dictionary("/plan/moves/flags", column<std::string>(nm, [&](size_t i) {
                         return plan::flags_to_string(mv[i].flags);
                     }));
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

// The directory of a checkpoint's parts: the checkpoint's own.
std::filesystem::path parts_dir(const std::string& path) {
    const std::filesystem::path dir = std::filesystem::path(path).parent_path();
    return dir.empty() ? std::filesystem::path(".") : dir;
}

// A virtual /fleet/vms column reads its rows from part files (format 3); HDF5 reads a missing
// source as fill values, silently. So before anything is read: every part a column maps is a
// regular HDF5 file, found where HDF5 looks for it (relative names: next to the checkpoint),
// holding the dataset with at least the rows mapped, and the mappings cover the column.
// Returns the part files mapped, comma-separated ("" for none). Each part's rows mapped must fit
// in what it stores (Reader's plausibility check), before anything is allocated.
std::string check_parts(hid_t file, const std::string& path,
                        std::vector<std::string>* files = nullptr) {
    const std::filesystem::path dir = parts_dir(path);
    std::map<std::string, Hid> opened;
    for (const auto& col : vm_columns()) {
        const std::string dpath = std::string("/fleet/vms/") + col.name;
        Hid d(H5Dopen2(file, dpath.c_str(), H5P_DEFAULT), H5Dclose);
        check(d.ok(), "missing dataset " + dpath);
        Hid dcpl(H5Dget_create_plist(d.get()), H5Pclose);
        if (!dcpl.ok() || H5Pget_layout(dcpl.get()) != H5D_VIRTUAL) continue;
        size_t count = 0;
        check(H5Pget_virtual_count(dcpl.get(), &count) >= 0, dpath + ": cannot read its mappings");
        hsize_t mapped = 0;
        for (size_t i = 0; i < count; ++i) {
            std::string name(
                static_cast<size_t>(H5Pget_virtual_filename(dcpl.get(), i, nullptr, 0)), '\0');
            H5Pget_virtual_filename(dcpl.get(), i, name.data(), name.size() + 1);
            std::string src(static_cast<size_t>(H5Pget_virtual_dsetname(dcpl.get(), i, nullptr, 0)),
                            '\0');
            H5Pget_virtual_dsetname(dcpl.get(), i, src.data(), src.size() + 1);
            Hid space(H5Pget_virtual_srcspace(dcpl.get(), i), H5Sclose);
            hsize_t start[1] = {0}, end[1] = {0};
            check(space.ok() && H5Sget_select_bounds(space.get(), start, end) >= 0,
                  dpath + ": bad mapping");
            mapped += end[0] - start[0] + 1;
            const std::string where = dpath + ": part file " + (dir / name).string() + ": ";
            check(!name.empty() && name != "." && name.find('/') == std::string::npos &&
                      is_part_file_name(name),
                  dpath + ": maps " + in_quotes(name) + ", not a part file next to the checkpoint");
            auto it = opened.find(name);
            if (it == opened.end()) {
                const std::string file_path = (dir / name).string();
                if (auto r = require_regular_file(file_path); !r)
                    throw H5Failure{where + "missing or not a regular file (" + r.error().msg +
                                    ")"};
                check(::access(file_path.c_str(), R_OK) == 0,
                      where + "cannot open: " + std::strerror(errno));
                check(H5Fis_hdf5(file_path.c_str()) > 0, where + "not an HDF5 file, or truncated");
                Hid pf(H5Fopen(file_path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
                check(pf.ok(), where + "not an HDF5 file, or truncated");
                Hid proot(H5Gopen2(pf.get(), "/", H5P_DEFAULT), H5Gclose);
                check(proot.ok() && H5Aexists(proot.get(), "format") > 0 &&
                          Reader::attr_string(proot.get(), "format") == kPartFormatName,
                      where + "not a checkpoint part");
                it = opened.emplace(name, std::move(pf)).first;
            }
            Hid sd(H5Dopen2(it->second.get(), src.c_str(), H5P_DEFAULT), H5Dclose);
            check(sd.ok(), where + "no dataset " + src);
            Hid sspace(H5Dget_space(sd.get()), H5Sclose);
            hsize_t dims[1] = {0};
            check(sspace.ok() && H5Sget_simple_extent_ndims(sspace.get()) == 1 &&
                      H5Sget_simple_extent_dims(sspace.get(), dims, nullptr) == 1 &&
                      dims[0] > end[0],
                  where + src + " is shorter than the checkpoint maps (a stale or damaged part)");
            // The rows mapped must fit in what the part stores (a damaged part and mapping can
            // claim any count, which the reader would then allocate).
            Reader::plausible_length(it->second.get(), sd.get(), end[0] + 1, where + src);
        }
        Hid vspace(H5Dget_space(d.get()), H5Sclose);
        hsize_t vdims[1] = {0};
        check(vspace.ok() && H5Sget_simple_extent_ndims(vspace.get()) == 1 &&
                  H5Sget_simple_extent_dims(vspace.get(), vdims, nullptr) == 1 &&
                  vdims[0] == mapped,
              dpath + ": its part files do not cover its rows (damaged file)");
    }
    std::string names;
    for (const auto& [name, f] : opened) {
        names += (names.empty() ? "" : ", ") + (dir / name).string();
        if (files) files->push_back((dir / name).string());
    }
    return names;
}

// A dataset access list whose virtual prefix is the directory of the checkpoint at `path`, so
// that a format-3 checkpoint's VM columns read the parts next to it (HDF5 tries the prefix before
// the directory of the file as opened and the working directory; it tries $HDF5_VDS_PREFIX even
// before it: fleetplan's main() clears that variable).
Hid parts_access(const std::string& path) {
    Hid dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
    check(dapl.ok(), "cannot create a dataset access list");
    std::error_code ec;
    const std::filesystem::path abs = std::filesystem::absolute(parts_dir(path), ec);
    check(!ec && H5Pset_virtual_prefix(dapl.get(), abs.c_str()) >= 0,
          "cannot set the parts' directory " + parts_dir(path).string());
    return dapl;
}

// The root's format attributes: a fleetplan checkpoint of a version this reader reads.
int format_version(const Hid& root) {
    check(root.ok(), "no root group");
    if (H5Aexists(root.get(), "format") <= 0 ||
        Reader::attr_string(root.get(), "format") != kCheckpointFormatName)
        throw H5Failure{"not a fleetplan checkpoint (no format attribute '" +
                        std::string(kCheckpointFormatName) + "')"};
    const int v = Reader::attr_num<int32_t>(root.get(), "format_version", H5T_NATIVE_INT32);
    if (v > kCheckpointFormatVersion || v < 1)
        throw H5Failure{"checkpoint format version " + std::to_string(v) +
                        " is not supported (this fleetplan reads version " +
                        std::to_string(kCheckpointFormatVersion) + ")"};
    return v;
}

// The row count of GROUP is stated twice: the group's `count` attribute and the columns.
void check_count(hid_t file, const char* group, size_t rows) {
    Hid grp(H5Gopen2(file, group, H5P_DEFAULT), H5Gclose);
    if (!grp.ok() || H5Aexists(grp.get(), "count") <= 0) return;  // older files
    const auto count = Reader::attr_num<int64_t>(grp.get(), "count", H5T_NATIVE_INT64);
    check(count >= 0 && static_cast<size_t>(count) == rows,
          std::string(group) + ": attribute count = " + std::to_string(count) + " but " +
              std::to_string(rows) + " rows (damaged file)");
}

// /plan/moves, for a fleet of nv VMs and nh hosts (a plan moves each VM at most once).
std::vector<plan::Move> read_moves(const Reader& r, size_t nv, size_t nh) {
    const size_t max_moves = nv;
    const auto step = r.dataset<int32_t>("/plan/moves/step", H5T_NATIVE_INT32, max_moves);
    const auto vm = r.dataset<int32_t>("/plan/moves/vm", H5T_NATIVE_INT32, max_moves);
    const auto src = r.dataset<int32_t>("/plan/moves/source", H5T_NATIVE_INT32, max_moves);
    const auto tgt = r.dataset<int32_t>("/plan/moves/target", H5T_NATIVE_INT32, max_moves);
    const auto reason = r.dictionary("/plan/moves/reason", max_moves);
    const auto est = r.dataset<double>("/plan/moves/est_seconds", H5T_NATIVE_DOUBLE, max_moves);
    const auto down =
        r.dataset<double>("/plan/moves/est_downtime_ms", H5T_NATIVE_DOUBLE, max_moves);
    const auto sent = r.dataset<double>("/plan/moves/est_sent_mib", H5T_NATIVE_DOUBLE, max_moves);
    const size_t nm = step.size();
    for (size_t n :
         {vm.size(), src.size(), tgt.size(), reason.size(), est.size(), down.size(), sent.size()})
        check(n == nm, "/plan/moves: columns differ in length");
    // est_start_s and flags: absent from files written before them (then 0 and none).
    std::vector<double> start(nm, 0.0);
    if (r.exists("/plan/moves/est_start_s")) {
        start = r.dataset<double>("/plan/moves/est_start_s", H5T_NATIVE_DOUBLE, max_moves);
        check(start.size() == nm, "/plan/moves: columns differ in length");
    }
    std::vector<uint8_t> flags(nm, 0);
    if (r.exists("/plan/moves/flags")) {
        const auto text = r.dictionary("/plan/moves/flags", max_moves);
        check(text.size() == nm, "/plan/moves: columns differ in length");
        for (size_t i = 0; i < nm; ++i) {
            if (text[i].empty()) continue;
            auto f = plan::parse_flags(text[i]);
            check(f.has_value(), "/plan/moves/flags: unknown flags " + in_quotes(text[i]));
            flags[i] = *f;
        }
    }
    static const std::map<std::string, plan::MoveReason> kReasons = {
        {"evacuate", plan::MoveReason::kEvacuate},
        {"new", plan::MoveReason::kNewVm},
        {"hotspot", plan::MoveReason::kHotspot},
        {"consolidate", plan::MoveReason::kConsolidate},
        {"balance", plan::MoveReason::kBalance},
        {"anti-affinity", plan::MoveReason::kAntiAffinity}};
    const auto h = static_cast<int32_t>(nh);
    const auto v = static_cast<int32_t>(nv);
    std::vector<plan::Move> moves;
    moves.reserve(nm);
    for (size_t i = 0; i < nm; ++i) {
        check(vm[i] >= 0 && vm[i] < v && src[i] >= -1 && src[i] < h && tgt[i] >= 0 && tgt[i] < h,
              "/plan/moves: index out of range");
        auto it = kReasons.find(reason[i]);
        check(it != kReasons.end(), "/plan/moves/reason: unknown reason " + in_quotes(reason[i]));
        plan::Move m;
        m.step = step[i];
        m.vm = vm[i];
        m.source = src[i];
        m.target = tgt[i];
        m.reason = it->second;
        m.estimate.seconds = est[i];
        m.estimate.downtime_ms = down[i];
        m.estimate.sent_mib = sent[i];
        m.est_start_s = start[i];
        m.flags = flags[i];
        moves.push_back(m);
    }
    return moves;
}

Checkpoint read_all(hid_t file, const std::string& path) {
    Reader r(file);
    Checkpoint c;
    Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    c.format_version = format_version(root);
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
    h5::read_columns(r, "/fleet/hosts", host_columns(), fleet.hosts);
    // Format 3: the parts next to the checkpoint (parts_access), which check_parts checks.
    Hid dapl;
    if (c.format_version >= 3) {
        dapl = parts_access(path);
        r.set_dataset_access(dapl.get());
        const std::string parts = check_parts(file, path, &c.part_files);
        try {
            h5::read_columns(r, "/fleet/vms", vm_columns(), fleet.vms);
        } catch (const H5Failure& f) {
            // A checksum over rows from parts: name them (a stale or swapped part).
            throw H5Failure{parts.empty() ? f.what : f.what + " (rows read from " + parts + ")"};
        }
    } else {
        h5::read_columns(r, "/fleet/vms", vm_columns(), fleet.vms);
    }
    for (const model::Vm& v : fleet.vms)
        check(v.host >= -1 && v.host < static_cast<int32_t>(fleet.hosts.size()),
              "/fleet/vms/host: index out of range");
    if (auto v = validate_fleet(fleet, "/fleet/hosts", "/fleet/vms"); !v)
        throw H5Failure{v.error().msg};
    check_count(file, "/fleet/hosts", fleet.hosts.size());
    check_count(file, "/fleet/vms", fleet.vms.size());
    fleet.index();
    {
        c.plan.moves = read_moves(r, fleet.vms.size(), fleet.hosts.size());
        const auto nh = static_cast<int32_t>(fleet.hosts.size());
        const auto nv = static_cast<int32_t>(fleet.vms.size());
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
    return c;
}

// read_previous's work: the small tables whole, then range `range` of `ranges` of /fleet/vms.
PreviousCheckpoint read_previous_all(hid_t file, const std::string& path, int range, int ranges) {
    Reader r(file);
    PreviousCheckpoint p;
    Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
    p.format_version = format_version(root);
    h5::read_columns(r, "/fleet/hosts", host_columns(), p.fleet.hosts);
    if (auto v = validate_fleet(p.fleet, "/fleet/hosts", "/fleet/vms"); !v)
        throw H5Failure{v.error().msg};
    check_count(file, "/fleet/hosts", p.fleet.hosts.size());
    p.fleet.index();
    if (H5Aexists(root.get(), "now_s") > 0)
        p.now_s = Reader::attr_num<int64_t>(root.get(), "now_s", H5T_NATIVE_INT64);
    Hid dapl;
    if (p.format_version >= 3) {
        dapl = parts_access(path);
        r.set_dataset_access(dapl.get());
        p.parts = check_parts(file, path);
    }
    const auto& table = vm_columns();
    const std::string group = "/fleet/vms/";
    const size_t nv = r.extent(group + table[0].name);
    for (const auto& col : table)
        check(r.extent(group + col.name) == nv, "/fleet/vms: columns differ in length");
    check_count(file, "/fleet/vms", nv);
    p.vm_rows = static_cast<int64_t>(nv);
    p.moves = read_moves(r, nv, p.fleet.hosts.size());
    const size_t first = nv * static_cast<size_t>(range) / static_cast<size_t>(ranges);
    const size_t last = nv * static_cast<size_t>(range + 1) / static_cast<size_t>(ranges);
    p.first_row = static_cast<int64_t>(first);
    p.rows_read = static_cast<int64_t>(last - first);
    std::vector<size_t> moved;  // the range's rows a move names, increasing
    for (const plan::Move& m : p.moves)
        if (static_cast<size_t>(m.vm) >= first && static_cast<size_t>(m.vm) < last)
            moved.push_back(static_cast<size_t>(m.vm));
    std::sort(moved.begin(), moved.end());
    moved.erase(std::unique(moved.begin(), moved.end()), moved.end());
    // Blocks of whole chunks (none decompressed twice), a few MiB per column at a time.
    constexpr size_t kBlock = 16 * h5::kChunkElements;
    for (const auto& col : table) {
        const std::string dpath = group + col.name;
        const bool ids = &col == &table[0];
        p.want.push_back(r.checksum(dpath));
        Hid d(H5Dopen2(file, dpath.c_str(), H5P_DEFAULT), H5Dclose);
        Hid ft(H5Dget_type(d.get()), H5Tclose);
        check(ft.ok(), "missing dataset " + dpath);
        if (H5Tis_variable_str(ft.get()) > 0) {  // format 1: no stored form to sum
            p.sums.push_back({});
            if (ids) {
                const auto v = r.strings_range(dpath, first, last - first);
                for (size_t row : moved) p.moved_ids.push_back(v[row - first]);
            }
            continue;
        }
        const auto* text = std::get_if<h5::TextColumn<VmSource, Vms>>(&col.access);
        if (text && text->form == TextForm::kDictionary)
            (void)r.strings(dpath + "_names", std::max<size_t>(nv, 1));  // checks its crc32
        check(!ids || H5Tget_class(ft.get()) == H5T_STRING, dpath + ": not a string dataset");
        auto next = moved.begin();
        const auto sum = r.stored_range(
            dpath, first, last - first, kBlock,
            [&](size_t row, std::string_view bytes, size_t elem) {
                if (!ids) return;
                const size_t end = row + bytes.size() / elem;  // NUL-padded fixed strings
                for (; next != moved.end() && *next < end; ++next) {
                    std::string_view v = bytes.substr((*next - row) * elem, elem);
                    v = v.substr(0, v.find_last_not_of('\0') + 1);
                    p.moved_ids.emplace_back(v);
                }
            });
        p.sums.push_back({sum.crc, sum.bytes});
    }
    // What dispatch did with the plan (its journal, folded in after each wave): a VM whose every
    // journalled move ended failed, aborted or skipped, or was only queued, did not move, so it
    // does not cool down. A move the journal does not name (a new VM's placement, a wave a
    // killed dispatch never reached, no dispatch at all) and one in flight count as moved.
    if (r.exists("/dispatch")) {
        const auto mv = r.dataset<int64_t>("/dispatch/move", H5T_NATIVE_INT64);
        const auto ev = r.dictionary("/dispatch/event");
        const auto vm = r.strings("/dispatch/vm");
        check(ev.size() == mv.size() && vm.size() == mv.size(),
              "/dispatch columns of different lengths");
        std::map<int64_t, std::pair<std::string, dispatch::MoveEvent>> last;  // per move
        for (size_t i = 0; i < mv.size(); ++i) {
            const auto kind = dispatch::parse_move_event(ev[i]);
            check(kind.has_value(), "/dispatch/event: unknown event " + in_quotes(ev[i]));
            last[mv[i]] = {vm[i], *kind};
        }
        std::set<std::string> named, moved_vms;
        for (const auto& [move, what] : last) {
            named.insert(what.first);
            if (what.second == dispatch::MoveEvent::kStarted ||
                what.second == dispatch::MoveEvent::kFinished)
                moved_vms.insert(what.first);
        }
        std::erase_if(p.moved_ids, [&](const std::string& id) {
            return named.count(id) > 0 && moved_vms.count(id) == 0;
        });
    }
    return p;
}

}  // namespace

std::string part_file_name(const std::string& token, int rank) {
    char r[16];
    std::snprintf(r, sizeof r, "%04d", rank);
    return std::string(kPartPrefix) + token + "-" + r + ".h5";
}

bool is_part_file_name(const std::string& name) {
    return name.rfind(kPartPrefix, 0) == 0 && name.find('/') == std::string::npos;
}

VmPartWriter::VmPartWriter(VmPartRows rows) : rows_(std::move(rows)) {
    const auto& table = vm_columns();
    names_.resize(table.size());
    codes_.resize(table.size());
    const VmSource src{rows_.rows.data(), nullptr, rows_.hosts.data()};
    const size_t n = rows_.rows.size();
    for (size_t k = 0; k < table.size(); ++k)
        if (const auto* t = std::get_if<h5::TextColumn<VmSource, Vms>>(&table[k].access);
            t && t->form == TextForm::kDictionary) {
            auto d = Writer::make_dictionary(n, [&](size_t i) { return t->get(src, i); });
            names_[k] = std::move(d.names);
            codes_[k] = std::move(d.codes);
        }
}

std::vector<int64_t> VmPartWriter::widths() const {
    const auto& table = vm_columns();
    const VmSource src{rows_.rows.data(), nullptr, rows_.hosts.data()};
    std::vector<int64_t> out(table.size(), 0);
    for (size_t k = 0; k < table.size(); ++k)
        if (const auto* t = std::get_if<h5::TextColumn<VmSource, Vms>>(&table[k].access);
            t && t->form == TextForm::kFixed)
            for (size_t i = 0; i < rows_.rows.size(); ++i)
                out[k] = std::max(out[k], static_cast<int64_t>(t->get(src, i).size()));
    return out;
}

Result<std::vector<std::vector<uint32_t>>> VmPartWriter::write(
    const std::string& path, const std::vector<int64_t>& widths,
    const std::vector<int32_t>& code_base) {
    const auto& table = vm_columns();
    const VmSource src{rows_.rows.data(), nullptr, rows_.hosts.data()};
    const size_t n = rows_.rows.size();
    std::vector<std::vector<uint32_t>> crc(table.size());
    // Per shard of this part: the crc32 of each column's slice, as stored.
    auto slices = [&](size_t k, const void* buf, size_t elem) {
        const auto* p = static_cast<const unsigned char*>(buf);
        size_t at = 0;
        for (int64_t rows : rows_.shard_rows) {
            crc[k].push_back(h5::crc32_of(p + at * elem, static_cast<size_t>(rows) * elem));
            at += static_cast<size_t>(rows);
        }
    };
    auto image = h5::build_image(path, "checkpoint part", [&](hid_t file) {
        Writer w(file);
        Hid root(H5Gopen2(file, "/", H5P_DEFAULT), H5Gclose);
        Writer::attr_string(root.get(), "format", kPartFormatName);
        Writer::attr_num<int64_t>(root.get(), "rows", H5T_NATIVE_INT64, static_cast<int64_t>(n));
        w.group("/fleet");
        w.group("/fleet/vms");
        for (size_t k = 0; k < table.size(); ++k) {
            const auto& col = table[k];
            const std::string dpath = std::string("/fleet/vms/") + col.name;
            std::visit(
                [&](const auto& a) {
                    using A = std::decay_t<decltype(a)>;
                    if constexpr (std::is_same_v<A, h5::TextColumn<VmSource, Vms>>) {
                        if (a.form == TextForm::kFixed) {
                            const auto width = static_cast<size_t>(std::max<int64_t>(widths[k], 1));
                            const std::string buf = Writer::fixed_strings(
                                dpath, n, width, [&](size_t i) { return a.get(src, i); });
                            w.write_raw(dpath, Writer::fixed_string_type(dpath, width).get(), n,
                                        n ? buf.data() : nullptr, nullptr);
                            slices(k, buf.data(), width);
                        } else {
                            std::vector<int32_t> codes = codes_[k];
                            for (int32_t& x : codes) x += code_base[k];
                            w.dataset(dpath, H5T_NATIVE_INT32, codes);
                            slices(k, codes.data(), sizeof(int32_t));
                        }
                    } else {
                        auto v = h5::column_values(a, src, 0, n);
                        using T = typename decltype(v)::value_type;
                        w.dataset(dpath, h5::native_type<T>(), v, col.units);
                        slices(k, v.data(), sizeof(T));
                    }
                },
                col.access);
        }
    });
    if (!image) return tl::unexpected(image.error());
    if (auto r = write_file_atomic(path, *image); !r)
        return fail(ErrorCode::kEnvironment, r.error().msg + " (while writing a checkpoint part)");
    return crc;
}

Result<void> write_checkpoint(const std::string& path, const Checkpoint& ckpt) {
    return h5::write_atomic(path, "checkpoint", [&](hid_t file) { write_all(file, ckpt); });
}

Result<std::string> checkpoint_image(const std::string& path, const Checkpoint& ckpt) {
    return h5::build_image(path, "checkpoint", [&](hid_t file) { write_all(file, ckpt); });
}

Result<Checkpoint> read_checkpoint(const std::string& path) {
    return h5::read_file<Checkpoint>(path, [&](hid_t file) { return read_all(file, path); });
}

Result<PreviousCheckpoint> read_previous(const std::string& path, int range, int ranges) {
    FP_ASSERT(ranges > 0 && range >= 0 && range < ranges);
    return h5::read_file<PreviousCheckpoint>(
        path, [&](hid_t file) { return read_previous_all(file, path, range, ranges); });
}

Result<void> verify_previous_rows(const std::string& path, const PreviousCheckpoint& prev,
                                  const std::vector<std::vector<ColumnSum>>& ranges) {
    const auto& table = vm_columns();
    for (size_t k = 0; k < table.size(); ++k) {
        if (k >= prev.want.size() || !prev.want[k]) continue;
        uLong crc = 0;
        for (const auto& sums : ranges) {
            FP_ASSERT(sums.size() == table.size());
            crc = ::crc32_combine(crc, sums[k].crc, static_cast<z_off_t>(sums[k].bytes));
        }
        if (static_cast<uint32_t>(crc) != *prev.want[k]) {
            // As read_checkpoint says it (a stale or swapped part: the rows' parts are named).
            const std::string what =
                Reader::checksum_mismatch(std::string("/fleet/vms/") + table[k].name);
            return bad_input(
                path + ": " +
                (prev.parts.empty() ? what : what + " (rows read from " + prev.parts + ")"));
        }
    }
    return {};
}

}  // namespace fp::io
