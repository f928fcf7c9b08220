#include "io/sim_input.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <tuple>

#include "io/csv.hpp"
#include "io/fleet_csv.hpp"
#include "io/history.hpp"
#include "src/model/history.hpp"
#include "src/util/text.hpp"

namespace fp::io {

Result<sim::PlanetLabDay> read_planetlab_day(const std::string& dir_in,
                                             const std::optional<std::string>& order_file) {
    namespace fs = std::filesystem;
    std::string dir = dir_in;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return bad_input(dir + ": not a directory of trace files");
    sim::PlanetLabDay day;
    ErrorList errors;
    if (order_file) {
        auto text = read_file(*order_file);
        if (!text) return tl::unexpected(text.error());
        size_t start = 0;
        int64_t line = 0;
        std::map<std::string, int64_t> first_line;  // name -> the line that first lists it
        while (start < text->size()) {
            size_t end = text->find('\n', start);
            if (end == std::string::npos) end = text->size();
            ++line;
            std::string name = text->substr(start, end - start);
            start = end + 1;
            if (!name.empty() && name.back() == '\r') name.pop_back();
            if (name.empty()) continue;
            if (auto fault = id_fault(name)) {  // the name becomes the VM's id
                errors.add(*order_file, line, "name", *fault);
                continue;
            }
            if (name.find('/') != std::string::npos || name == "." || name == "..") {
                errors.add(*order_file, line, "name", "not a file name: " + in_quotes(name));
                continue;
            }
            if (auto [it, added] = first_line.emplace(name, line); !added) {
                errors.add(*order_file, line, "name",
                           in_quotes(name) + " is listed twice (first on line " +
                               std::to_string(it->second) + ")");
                continue;
            }
            day.names.push_back(name);
        }
        if (day.names.empty()) errors.add(*order_file, 1, "name", "no trace file names");
    } else {
        fs::directory_iterator it(dir, ec);
        if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
        for (; it != fs::directory_iterator(); it.increment(ec)) {
            if (ec) break;
            const std::string name = it->path().filename().string();
            if (name.empty() || name[0] == '.') continue;
            std::error_code sec;
            if (!fs::is_regular_file(it->status(sec)) || sec) continue;
            if (auto fault = id_fault(name))  // the name becomes the VM's id
                return bad_input(dir + "/" + printable(name) + ": trace file name: " + *fault);
            day.names.push_back(name);
        }
        if (ec) return fail(ErrorCode::kEnvironment, dir + ": cannot list: " + ec.message());
        std::sort(day.names.begin(), day.names.end());
        if (day.names.empty()) return bad_input(dir + ": no trace files");
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    for (const std::string& name : day.names) {
        if (errors.full()) {
            errors.mark_truncated();
            break;
        }
        const std::string file = dir + "/" + name;
        auto pct = read_planetlab_file(file, errors);
        if (!pct) return tl::unexpected(pct.error());
        if (!*pct) continue;
        if (static_cast<int32_t>((*pct)->size()) < sim::kPlanetLabSamples) {
            errors.add(file, static_cast<int64_t>((*pct)->size()) + 1, "cpu",
                       "expected " + std::to_string(sim::kPlanetLabSamples) + " samples, found " +
                           std::to_string((*pct)->size()));
            continue;
        }
        (*pct)->resize(sim::kPlanetLabSamples);
        day.pct.push_back(std::move(**pct));
    }
    if (!errors.empty()) return tl::unexpected(errors.to_error());
    return day;
}

Result<FleetSim> fleet_scenario(const std::string& hosts_csv, const std::string& vms_csv,
                                const std::string& trace, const SimConfig& cfg, uint64_t seed) {
    FleetSim out;
    auto ht = read_file(hosts_csv);
    if (!ht) return tl::unexpected(ht.error());
    auto vt = read_file(vms_csv);
    if (!vt) return tl::unexpected(vt.error());
    auto load = parse_fleet(*ht, hosts_csv, *vt, vms_csv);
    if (!load) return tl::unexpected(load.error());
    out.fleet = std::move(load->fleet);
    out.warnings = std::move(load->warnings);
    out.hosts_text = std::move(*ht);
    out.vms_text = std::move(*vt);
    out.fleet.index();
    // Without a VM there is no trace and so no time axis: nothing to simulate (as for a preset's
    // empty trace directory). `plan` accepts such a fleet: an empty plan is a valid answer.
    if (out.fleet.vms.empty())
        return bad_input(vms_csv + ": no VMs to simulate (the VMs' trace gives the time axis)");
    // Every VM's series is padded to the longest: the cells bound caps each series too.
    const int64_t max_len = std::min<int64_t>(
        kMaxSimTraceSamples, kMaxSimTraceCells / static_cast<int64_t>(out.fleet.vms.size()));
    auto hist = load_history_with_warnings(trace, out.fleet, max_len);
    if (!hist) return tl::unexpected(hist.error());
    for (auto& w : hist->warnings) out.warnings.push_back(std::move(w));
    const model::History& h = hist->history;
    if (h.length < 2)
        return bad_input(trace + ": the trace needs at least 2 samples per VM to simulate");
    const model::Fleet& f = out.fleet;
    sim::Scenario& sc = out.scenario;
    sc.name = "fleet";
    sc.trace_step_s = h.interval_s;
    sc.interval_s = cfg.interval_s > 0 ? cfg.interval_s : h.interval_s;
    const int64_t duration = (h.length - 1) * h.interval_s;
    if (duration / sc.interval_s > kMaxSimTraceSamples)
        return bad_input(trace + ": the trace spans " + std::to_string(duration) + " s: " +
                         std::to_string(duration / sc.interval_s) + " decision intervals of " +
                         std::to_string(sc.interval_s) + " s (at most " +
                         std::to_string(kMaxSimTraceSamples) + "; give a longer [sim] interval_s)");
    sc.intervals = static_cast<int32_t>(duration / sc.interval_s);
    if (sc.intervals < 1)
        return bad_input(trace + ": the trace spans " + std::to_string(duration) +
                         " s, less than one decision interval (" + std::to_string(sc.interval_s) +
                         " s)");
    // One host type per distinct (cores, memory, network, power).
    std::map<std::tuple<int64_t, int64_t, int64_t, double, double>, int32_t> type_of;
    for (const model::Host& host : f.hosts) {
        const int64_t milli = host.capacity[0];
        const double idle = host.power_idle_w.value_or(cfg.idle_power_w);
        const double max = host.power_max_w.value_or(std::max(idle, cfg.max_power_w));
        const auto key = std::make_tuple(milli, host.capacity[1], host.capacity[2], idle, max);
        auto [it, added] = type_of.emplace(key, static_cast<int32_t>(sc.types.size()));
        if (added) {
            sim::HostType t;
            t.pes = static_cast<int32_t>(std::max<int64_t>(1, (milli + 999) / 1000));
            t.pe_mips = static_cast<double>(milli) / t.pes;
            t.ram_mb = static_cast<double>(host.capacity[1]) / 1024.0;
            t.bw_mbps = static_cast<double>(host.capacity[2]) / 1000.0;
            t.power = sim::PowerModel::linear(idle, max);
            t.name = std::to_string(milli / 1000.0).substr(0, 6) + " cores, " +
                     std::to_string(static_cast<int64_t>(t.ram_mb)) + " MiB";
            sc.types.push_back(t);
        }
        sc.host_ids.push_back(host.id);
        sc.host_type.push_back(it->second);
        sc.host_accepts.push_back(host.state == model::HostState::kMaintenance ? 0 : 1);
    }
    const size_t len = static_cast<size_t>(h.length);
    for (size_t v = 0; v < f.vms.size(); ++v) {
        const model::Vm& vm = f.vms[v];
        const model::Resources size = model::history_size(vm);
        sc.vm_ids.push_back(vm.id);
        sc.vm_mips.push_back(static_cast<double>(size[0]));
        sc.vm_pes.push_back(static_cast<int32_t>(std::max<int64_t>(1, (size[0] + 999) / 1000)));
        sc.vm_ram_mb.push_back(static_cast<double>(vm.mem_size_kib) / 1024.0);
        sc.vm_bw_mbps.push_back(static_cast<double>(vm.demand[2]) / 1000.0);
        sc.vm_initial_host.push_back(vm.host);
        std::vector<double> tr(len);
        const auto& series = h.cpu[v];
        if (series.empty()) {
            const double u = size[0] > 0 ? static_cast<double>(vm.demand[0]) / size[0] : 0.0;
            std::fill(tr.begin(), tr.end(), u);
        } else {
            const size_t pad = len - series.size();
            for (size_t i = 0; i < len; ++i) tr[i] = i < pad ? series.front() : series[i - pad];
        }
        sc.trace.push_back(std::move(tr));
    }
    sc.memory = sim::MemoryModel::kReserved;
    sc.power_state = sim::PowerState::kHoldsVm;
    sc.incoming = sim::IncomingDemand::kShare;
    sc.boot_s = cfg.boot_s;
    sc.boot_energy_wh = cfg.boot_energy_wh;
    sc.degradation = cfg.degradation;
    sc.migration_bw_share = cfg.migration_bw_share;
    sc.seed = seed;
    return out;
}

}  // namespace fp::io
