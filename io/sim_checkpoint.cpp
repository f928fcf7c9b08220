#include "io/sim_checkpoint.hpp"

#include <algorithm>
#include <cmath>

#include "io/h5_file.hpp"

namespace fp::io {
namespace {

using h5::check;
using h5::Hid;
using h5::Reader;
using h5::Writer;

using Rows = std::vector<sim::IntervalRow>;
using h5::grow_at;
using sim::Scenario;
template <typename T>
using RowNum = h5::NumColumn<Rows, Rows, T>;
template <typename T>
using VmNum = h5::NumColumn<Scenario, Scenario, T>;

// /time: one line per column of the time axis, for the writer and the reader.
const h5::Table<Rows, Rows>& time_columns() {
#define FP_TIME_COLUMN(NAME, T, UNITS, FIELD)                                   \
    {                                                                           \
        NAME, UNITS, RowNum<T> {                                                \
            [](const Rows& r, size_t i) { return static_cast<T>(r[i].FIELD); }, \
                [](Rows& r, size_t i, T v) { grow_at(r, i).FIELD = v; }         \
        }                                                                       \
    }
    static const h5::Table<Rows, Rows> t = {
        FP_TIME_COLUMN("interval", int32_t, nullptr, k),
        FP_TIME_COLUMN("t", double, "s", t),
        FP_TIME_COLUMN("active_hosts", int32_t, nullptr, active_hosts),
        FP_TIME_COLUMN("energy_j", double, "J", fig.energy_j),
        FP_TIME_COLUMN("energy_floor_j", double, "J", fig.floor_energy_j),
        FP_TIME_COLUMN("active_host_s", double, "host·s", fig.active_host_s),
        FP_TIME_COLUMN("overload_host_s", double, "host·s", fig.overload_host_s),
        FP_TIME_COLUMN("requested_mips_s", double, "MIPS·s", fig.requested_mips_s),
        FP_TIME_COLUMN("allocated_mips_s", double, "MIPS·s", fig.allocated_mips_s),
        FP_TIME_COLUMN("migration_loss_mips_s", double, "MIPS·s", fig.migration_loss_mips_s),
        FP_TIME_COLUMN("mem_moved_mb", double, "MB", fig.mem_moved_mb),
        FP_TIME_COLUMN("migrations", int64_t, nullptr, fig.migrations),
        FP_TIME_COLUMN("hotspot_hosts", int64_t, nullptr, fig.hotspot_host_intervals),
        FP_TIME_COLUMN("switched_on", int64_t, nullptr, fig.switched_on),
        FP_TIME_COLUMN("switched_off", int64_t, nullptr, fig.switched_off),
        FP_TIME_COLUMN("requested_mem_mb_s", double, "MB·s", fig.requested_mem_mb_s),
        FP_TIME_COLUMN("unserved_mem_mb_s", double, "MB·s", fig.unserved_mem_mb_s),
        FP_TIME_COLUMN("mem_overcommit_hosts", int64_t, nullptr, fig.mem_overcommit_host_intervals),
        FP_TIME_COLUMN("decision_s", double, "s (wall clock)", decision_s),
    };
#undef FP_TIME_COLUMN
    return t;
}

// /scenario/vms (but the ragged traces): the scenario's per-VM vectors, one line each.
const h5::Table<Scenario, Scenario>& vm_columns() {
#define FP_VM_COLUMN(NAME, T, UNITS, VEC)                                         \
    {                                                                             \
        NAME, UNITS, VmNum<T> {                                                   \
            [](const Scenario& s, size_t i) { return static_cast<T>(s.VEC[i]); }, \
                [](Scenario& s, size_t i, T v) { grow_at(s.VEC, i) = v; }         \
        }                                                                         \
    }
    static const h5::Table<Scenario, Scenario> t = {
        {"id", nullptr,
         h5::TextColumn<Scenario, Scenario>{
             h5::TextForm::kFixed,
             [](const Scenario& s, size_t i) -> std::string_view { return s.vm_ids[i]; },
             [](Scenario& s, size_t i, std::string&& v) { grow_at(s.vm_ids, i) = std::move(v); }}},
        FP_VM_COLUMN("mips", double, "MIPS", vm_mips),
        FP_VM_COLUMN("pes", int32_t, nullptr, vm_pes),
        FP_VM_COLUMN("ram_mb", double, "MB", vm_ram_mb),
        FP_VM_COLUMN("bw_mbps", double, "Mbit/s", vm_bw_mbps),
        FP_VM_COLUMN("initial_host", int32_t, nullptr, vm_initial_host),
    };
#undef FP_VM_COLUMN
    return t;
}

void write_all(hid_t file, const SimCheckpoint& c) {
    Writer w(file);
    const sim::Scenario& sc = c.scenario;
    {
        Hid g = w.group("/sim");
        Writer::attr_string(g.get(), "format", kSimCheckpointFormatName);
        Writer::attr_num(g.get(), "format_version", H5T_NATIVE_INT32, kSimCheckpointFormatVersion);
        Writer::attr_string(g.get(), "program_version", c.program_version);
        Writer::attr_string(g.get(), "chain", c.chain);
        Writer::attr_string(g.get(), "inputs", c.inputs);
        Writer::attr_num(g.get(), "target_interval", H5T_NATIVE_INT32, c.target_tick);
        Writer::attr_num(g.get(), "complete", H5T_NATIVE_INT32, c.complete ? 1 : 0);
        Writer::attr_num(g.get(), "intervals_done", H5T_NATIVE_INT32,
                         static_cast<int32_t>(c.rows.size()));
    }
    {
        Hid g = w.group("/scenario");
        Writer::attr_string(g.get(), "name", sc.name);
        Writer::attr_num(g.get(), "interval_s", H5T_NATIVE_INT64, sc.interval_s);
        Writer::attr_num(g.get(), "intervals", H5T_NATIVE_INT32, sc.intervals);
        Writer::attr_num(g.get(), "memory_model", H5T_NATIVE_INT32,
                         static_cast<int32_t>(sc.memory));
        Writer::attr_num(g.get(), "power_state", H5T_NATIVE_INT32,
                         static_cast<int32_t>(sc.power_state));
        Writer::attr_num(g.get(), "incoming_demand", H5T_NATIVE_INT32,
                         static_cast<int32_t>(sc.incoming));
        Writer::attr_num(g.get(), "boot_s", H5T_NATIVE_DOUBLE, sc.boot_s);
        Writer::attr_num(g.get(), "boot_energy_wh", H5T_NATIVE_DOUBLE, sc.boot_energy_wh);
        Writer::attr_num(g.get(), "degradation", H5T_NATIVE_DOUBLE, sc.degradation);
        Writer::attr_num(g.get(), "target_share", H5T_NATIVE_DOUBLE, sc.target_share);
        Writer::attr_num(g.get(), "migration_bw_share", H5T_NATIVE_DOUBLE, sc.migration_bw_share);
        Writer::attr_num(g.get(), "seed", H5T_NATIVE_UINT64, sc.seed);
        Writer::attr_num(g.get(), "tick_offset_s", H5T_NATIVE_DOUBLE, sc.tick_offset_s);
        Writer::attr_num(g.get(), "trace_step_s", H5T_NATIVE_INT64, sc.trace_step_s);
        Writer::attr_num(g.get(), "finish_idle_vms", H5T_NATIVE_INT32, sc.finish_idle_vms ? 1 : 0);
    }
    w.group("/scenario/types");
    std::vector<std::string> tname;
    std::vector<int32_t> tpes;
    std::vector<double> tmips, tram, tbw, tpower;
    for (const auto& t : sc.types) {
        tname.push_back(t.name);
        tpes.push_back(t.pes);
        tmips.push_back(t.pe_mips);
        tram.push_back(t.ram_mb);
        tbw.push_back(t.bw_mbps);
        tpower.insert(tpower.end(), t.power.watts.begin(), t.power.watts.end());
    }
    w.strings("/scenario/types/name", tname);
    w.dataset("/scenario/types/pes", H5T_NATIVE_INT32, tpes);
    w.dataset("/scenario/types/pe_mips", H5T_NATIVE_DOUBLE, tmips, "MIPS");
    w.dataset("/scenario/types/ram_mb", H5T_NATIVE_DOUBLE, tram, "MB");
    w.dataset("/scenario/types/bw_mbps", H5T_NATIVE_DOUBLE, tbw, "Mbit/s");
    w.dataset("/scenario/types/power_w", H5T_NATIVE_DOUBLE, tpower,
              "W at 0%,10%,...,100% CPU, 11 per type");
    w.group("/scenario/hosts");
    w.strings("/scenario/hosts/id", sc.host_ids);
    w.dataset("/scenario/hosts/type", H5T_NATIVE_INT32, sc.host_type);
    w.dataset("/scenario/hosts/accepts", H5T_NATIVE_UINT8, sc.host_accepts);
    w.group("/scenario/vms");
    h5::write_columns(w, "/scenario/vms", vm_columns(), sc, sc.vm_ids.size());
    // Ragged per-VM series: all concatenated, and each VM's offset into them.
    const auto ragged = [&](const std::string& name, const std::vector<std::vector<double>>& s,
                            const char* units) {
        std::vector<int64_t> offsets{0};
        std::vector<double> samples;
        for (size_t v = 0; v < sc.vm_ids.size(); ++v) {
            if (v < s.size()) samples.insert(samples.end(), s[v].begin(), s[v].end());
            offsets.push_back(static_cast<int64_t>(samples.size()));
        }
        w.dataset("/scenario/vms/" + name + "_offset", H5T_NATIVE_INT64, offsets);
        w.dataset("/scenario/vms/" + name, H5T_NATIVE_DOUBLE, samples, units);
    };
    ragged("trace", sc.trace, "CPU fraction of the VM's MIPS, one per interval from time 0");
    ragged(
        "mem_trace", sc.mem_trace,
        "memory fraction of the VM's ram_mb, one per trace sample from time 0 (none: all of it)");

    const auto& rows = c.rows;
    w.group("/time");
    h5::write_columns(w, "/time", time_columns(), rows, rows.size());
    std::vector<float> util;
    const size_t nh = static_cast<size_t>(sc.hosts());
    util.reserve(rows.size() * nh);
    for (const auto& r : rows) {
        check(r.host_util.size() == nh, "host utilisation row of the wrong length");
        util.insert(util.end(), r.host_util.begin(), r.host_util.end());
    }
    w.matrix("/time/host_util", rows.size(), nh, util, "CPU fraction, interval × host");
    std::vector<uint8_t> blob(c.state.begin(), c.state.end());
    w.dataset("/state", H5T_NATIVE_UINT8, blob);
    w.scalar_string("/metrics_json", c.metrics_json);
    w.group("/inputs");
    w.scalar_string("/inputs/hosts_csv", c.hosts_csv);
    w.scalar_string("/inputs/vms_csv", c.vms_csv);
    w.scalar_string("/inputs/config_toml", c.config_toml);
}

SimCheckpoint read_all(hid_t file) {
    Reader r(file);
    SimCheckpoint c;
    check(r.exists("/sim"), "not a simulator checkpoint (no /sim group)");
    Hid g(H5Gopen2(file, "/sim", H5P_DEFAULT), H5Gclose);
    check(g.ok(), "cannot open /sim");
    check(Reader::attr_string(g.get(), "format") == kSimCheckpointFormatName,
          "not a simulator checkpoint");
    const int32_t ver = Reader::attr_num<int32_t>(g.get(), "format_version", H5T_NATIVE_INT32);
    check(ver == kSimCheckpointFormatVersion,
          "simulator checkpoint format " + std::to_string(ver) + " is not supported");
    c.program_version = Reader::attr_string(g.get(), "program_version");
    c.chain = Reader::attr_string(g.get(), "chain");
    c.inputs = Reader::attr_string(g.get(), "inputs");
    c.target_tick = Reader::attr_num<int32_t>(g.get(), "target_interval", H5T_NATIVE_INT32);
    c.complete = Reader::attr_num<int32_t>(g.get(), "complete", H5T_NATIVE_INT32) != 0;

    sim::Scenario& sc = c.scenario;
    Hid s(H5Gopen2(file, "/scenario", H5P_DEFAULT), H5Gclose);
    check(s.ok(), "missing /scenario");
    sc.name = Reader::attr_string(s.get(), "name");
    sc.interval_s = Reader::attr_num<int64_t>(s.get(), "interval_s", H5T_NATIVE_INT64);
    sc.intervals = Reader::attr_num<int32_t>(s.get(), "intervals", H5T_NATIVE_INT32);
    const int32_t mm = Reader::attr_num<int32_t>(s.get(), "memory_model", H5T_NATIVE_INT32);
    const int32_t ps = Reader::attr_num<int32_t>(s.get(), "power_state", H5T_NATIVE_INT32);
    const int32_t in = Reader::attr_num<int32_t>(s.get(), "incoming_demand", H5T_NATIVE_INT32);
    check(mm >= 0 && mm <= 1 && ps >= 0 && ps <= 1 && in >= 0 && in <= 1, "bad scenario enums");
    sc.memory = static_cast<sim::MemoryModel>(mm);
    sc.power_state = static_cast<sim::PowerState>(ps);
    sc.incoming = static_cast<sim::IncomingDemand>(in);
    sc.boot_s = Reader::attr_num<double>(s.get(), "boot_s", H5T_NATIVE_DOUBLE);
    sc.boot_energy_wh = Reader::attr_num<double>(s.get(), "boot_energy_wh", H5T_NATIVE_DOUBLE);
    sc.degradation = Reader::attr_num<double>(s.get(), "degradation", H5T_NATIVE_DOUBLE);
    sc.target_share = Reader::attr_num<double>(s.get(), "target_share", H5T_NATIVE_DOUBLE);
    sc.migration_bw_share =
        Reader::attr_num<double>(s.get(), "migration_bw_share", H5T_NATIVE_DOUBLE);
    sc.seed = Reader::attr_num<uint64_t>(s.get(), "seed", H5T_NATIVE_UINT64);
    sc.tick_offset_s = Reader::attr_num<double>(s.get(), "tick_offset_s", H5T_NATIVE_DOUBLE);
    sc.trace_step_s = Reader::attr_num<int64_t>(s.get(), "trace_step_s", H5T_NATIVE_INT64);
    check(sc.trace_step_s >= 0, "bad trace_step_s");
    sc.finish_idle_vms =
        Reader::attr_num<int32_t>(s.get(), "finish_idle_vms", H5T_NATIVE_INT32) != 0;
    check(sc.interval_s > 0 && sc.intervals >= 0, "bad interval attributes");
    check(c.target_tick >= 0 && c.target_tick <= sc.intervals, "bad target_interval");
    check(std::isfinite(sc.boot_s) && sc.boot_s >= 0 && std::isfinite(sc.boot_energy_wh) &&
              sc.boot_energy_wh >= 0 && sc.degradation >= 0 && sc.degradation <= 1 &&
              sc.target_share >= 0 && sc.target_share <= 1 && sc.migration_bw_share > 0 &&
              sc.migration_bw_share <= 1 && std::isfinite(sc.tick_offset_s) &&
              sc.tick_offset_s >= 0 && sc.tick_offset_s < static_cast<double>(sc.interval_s),
          "bad scenario attributes");

    const auto tname = r.strings("/scenario/types/name");
    const auto tpes = r.dataset<int32_t>("/scenario/types/pes", H5T_NATIVE_INT32);
    const auto tmips = r.dataset<double>("/scenario/types/pe_mips", H5T_NATIVE_DOUBLE);
    const auto tram = r.dataset<double>("/scenario/types/ram_mb", H5T_NATIVE_DOUBLE);
    const auto tbw = r.dataset<double>("/scenario/types/bw_mbps", H5T_NATIVE_DOUBLE);
    const auto tpower = r.dataset<double>("/scenario/types/power_w", H5T_NATIVE_DOUBLE);
    const size_t nt = tname.size();
    check(tpes.size() == nt && tmips.size() == nt && tram.size() == nt && tbw.size() == nt &&
              tpower.size() == nt * 11,
          "host type columns of different lengths");
    for (size_t i = 0; i < nt; ++i) {
        sim::HostType t;
        t.name = tname[i];
        t.pes = tpes[i];
        t.pe_mips = tmips[i];
        t.ram_mb = tram[i];
        t.bw_mbps = tbw[i];
        check(t.pes > 0 && t.pe_mips > 0 && t.bw_mbps > 0, "bad host type " + t.name);
        for (size_t j = 0; j < 11; ++j) {
            t.power.watts[j] = tpower[i * 11 + j];
            check(std::isfinite(t.power.watts[j]) && t.power.watts[j] >= 0, "bad power table");
        }
        check(std::isfinite(t.pe_mips) && std::isfinite(t.ram_mb) && std::isfinite(t.bw_mbps),
              "bad host type " + t.name);
        sc.types.push_back(t);
    }
    sc.host_ids = r.strings("/scenario/hosts/id");
    sc.host_type = r.dataset<int32_t>("/scenario/hosts/type", H5T_NATIVE_INT32);
    sc.host_accepts = r.dataset<uint8_t>("/scenario/hosts/accepts", H5T_NATIVE_UINT8);
    check(sc.host_type.size() == sc.host_ids.size() &&
              (sc.host_accepts.empty() || sc.host_accepts.size() == sc.host_ids.size()),
          "host columns of different lengths");
    for (int32_t t : sc.host_type)
        check(t >= 0 && static_cast<size_t>(t) < nt, "bad host type index");
    h5::read_columns(r, "/scenario/vms", vm_columns(), sc);
    const auto offsets = r.dataset<int64_t>("/scenario/vms/trace_offset", H5T_NATIVE_INT64);
    const auto samples = r.dataset<double>("/scenario/vms/trace", H5T_NATIVE_DOUBLE);
    const auto mem_offsets = r.dataset<int64_t>("/scenario/vms/mem_trace_offset", H5T_NATIVE_INT64);
    const auto mem_samples = r.dataset<double>("/scenario/vms/mem_trace", H5T_NATIVE_DOUBLE);
    const size_t nv = sc.vm_ids.size();
    check(offsets.size() == nv + 1 && mem_offsets.size() == nv + 1,
          "VM columns of different lengths");
    for (size_t v = 0; v < nv; ++v) {
        check(sc.vm_pes[v] > 0 && std::isfinite(sc.vm_mips[v]) && sc.vm_mips[v] >= 0 &&
                  std::isfinite(sc.vm_ram_mb[v]) && sc.vm_ram_mb[v] >= 0 &&
                  std::isfinite(sc.vm_bw_mbps[v]) && sc.vm_bw_mbps[v] >= 0,
              "bad VM " + sc.vm_ids[v]);
        check(sc.vm_initial_host[v] >= -1 &&
                  sc.vm_initial_host[v] < static_cast<int32_t>(sc.host_ids.size()),
              "bad initial host of VM " + sc.vm_ids[v]);
        check(offsets[v] >= 0 && offsets[v] <= offsets[v + 1] &&
                  offsets[v + 1] <= static_cast<int64_t>(samples.size()),
              "bad trace offsets");
        sc.trace.emplace_back(samples.begin() + offsets[v], samples.begin() + offsets[v + 1]);
        for (double x : sc.trace.back()) check(std::isfinite(x) && x >= 0, "bad trace sample");
        check(mem_offsets[v] >= 0 && mem_offsets[v] <= mem_offsets[v + 1] &&
                  mem_offsets[v + 1] <= static_cast<int64_t>(mem_samples.size()),
              "bad memory trace offsets");
        sc.mem_trace.emplace_back(mem_samples.begin() + mem_offsets[v],
                                  mem_samples.begin() + mem_offsets[v + 1]);
        for (double x : sc.mem_trace.back())
            check(std::isfinite(x) && x >= 0, "bad memory trace sample");
    }
    if (std::all_of(sc.mem_trace.begin(), sc.mem_trace.end(),
                    [](const std::vector<double>& m) { return m.empty(); }))
        sc.mem_trace.clear();

    const size_t n = h5::read_columns(r, "/time", time_columns(), c.rows);
    size_t rows = 0, cols = 0;
    const auto util = r.matrix("/time/host_util", rows, cols);
    check(rows == n, "time axis columns of different lengths");
    check(rows == 0 || cols == sc.host_ids.size(), "host_util has the wrong number of hosts");
    for (size_t i = 0; i < n; ++i)
        c.rows[i].host_util.assign(util.begin() + static_cast<std::ptrdiff_t>(i * cols),
                                   util.begin() + static_cast<std::ptrdiff_t>((i + 1) * cols));
    const auto blob = r.dataset<uint8_t>("/state", H5T_NATIVE_UINT8);
    c.state.assign(blob.begin(), blob.end());
    c.metrics_json = r.scalar_string("/metrics_json");
    c.hosts_csv = r.scalar_string("/inputs/hosts_csv");
    c.vms_csv = r.scalar_string("/inputs/vms_csv");
    c.config_toml = r.scalar_string("/inputs/config_toml");
    return c;
}

}  // namespace

Result<void> write_sim_checkpoint(const std::string& path, const SimCheckpoint& c) {
    return h5::write_atomic(path, "simulator checkpoint", [&](hid_t file) { write_all(file, c); });
}

Result<SimCheckpoint> read_sim_checkpoint(const std::string& path) {
    return h5::read_file<SimCheckpoint>(path, [&](hid_t file) { return read_all(file); });
}

bool is_sim_checkpoint(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (!require_regular_file(path)) return false;  // never opened (a FIFO would block)
    if (H5Fis_hdf5(path.c_str()) <= 0) return false;
    Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    return file.ok() && H5Lexists(file.get(), "/sim", H5P_DEFAULT) > 0;
}

}  // namespace fp::io
