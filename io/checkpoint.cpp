#include "io/checkpoint.hpp"

#include <fcntl.h>
#include <hdf5.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>

namespace fp::io {
namespace {

// ---- RAII for HDF5 ids ----
class Hid {
  public:
    using Closer = herr_t (*)(hid_t);
    Hid() = default;
    Hid(hid_t id, Closer closer) : id_(id), closer_(closer) {}
    Hid(const Hid&) = delete;
    Hid& operator=(const Hid&) = delete;
    Hid(Hid&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
    Hid& operator=(Hid&& o) noexcept {
        reset();
        id_ = o.id_;
        closer_ = o.closer_;
        o.id_ = -1;
        return *this;
    }
    ~Hid() { reset(); }
    void reset() {
        if (id_ >= 0 && closer_) closer_(id_);
        id_ = -1;
    }
    hid_t get() const { return id_; }
    bool ok() const { return id_ >= 0; }

  private:
    hid_t id_ = -1;
    Closer closer_ = nullptr;
};

// Thrown only inside this file and caught at its two entry points.
struct H5Failure {
    std::string what;
};

void check(bool ok, const std::string& what) {
    if (!ok) throw H5Failure{what};
}

Hid string_type() {
    Hid t(H5Tcopy(H5T_C_S1), H5Tclose);
    check(t.ok(), "string type");
    check(H5Tset_size(t.get(), H5T_VARIABLE) >= 0, "string type size");
    check(H5Tset_cset(t.get(), H5T_CSET_UTF8) >= 0, "string type cset");
    return t;
}

// ---- writing ----
class Writer {
  public:
    explicit Writer(hid_t file) : file_(file) {
        if (const char* s = std::getenv("FP_CKPT_ABORT_AFTER")) abort_after_ = std::atol(s);
    }

    Hid group(const std::string& path) {
        Hid g(H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), H5Gclose);
        check(g.ok(), "create group " + path);
        return g;
    }

    // A 1-D dataset, chunked and compressed, extendible (room for a time axis later).
    template <typename T>
    void dataset(const std::string& path, hid_t mem_type, const std::vector<T>& data,
                 const char* units = nullptr) {
        write_raw(path, mem_type, data.size(), data.empty() ? nullptr : data.data(), units);
    }

    // A string column as fixed-length, NUL-padded UTF-8 strings of the column's longest value:
    // compressed with the rest, and an order of magnitude faster to write than variable-length
    // strings (whose heap objects are neither compact nor compressed). h5py reads them as bytes.
    void strings(const std::string& path, const std::vector<std::string>& data) {
        strings(path, data.size(), [&](size_t i) -> const std::string& { return data[i]; });
    }
    template <typename Get>
    void strings(const std::string& path, size_t n, Get get) {
        size_t width = 1;
        for (size_t i = 0; i < n; ++i) width = std::max(width, get(i).size());
        std::string buf(n * width, '\0');
        for (size_t i = 0; i < n; ++i) {
            const std::string& v = get(i);
            std::copy(v.begin(), v.end(), buf.begin() + static_cast<std::ptrdiff_t>(i * width));
        }
        Hid t(H5Tcopy(H5T_C_S1), H5Tclose);
        check(t.ok() && H5Tset_size(t.get(), width) >= 0 &&
                  H5Tset_strpad(t.get(), H5T_STR_NULLPAD) >= 0 &&
                  H5Tset_cset(t.get(), H5T_CSET_UTF8) >= 0,
              "string type " + path);
        write_raw(path, t.get(), n, n == 0 ? nullptr : buf.data(), nullptr);
    }

    // A string column stored once per distinct value: PATH_names (strings) + PATH (int32 codes).
    void dictionary(const std::string& path, const std::vector<std::string>& values) {
        dictionary(path, values.size(), [&](size_t i) -> const std::string& { return values[i]; });
    }
    template <typename Get>
    void dictionary(const std::string& path, size_t n, Get get) {
        std::map<std::string, int32_t, std::less<>> code;
        std::vector<std::string> names;
        std::vector<int32_t> codes(n);
        const std::string* last = nullptr;  // runs of one value (often "") skip the map
        int32_t last_code = 0;
        for (size_t i = 0; i < n; ++i) {
            const std::string& v = get(i);
            if (last && v == *last) {
                codes[i] = last_code;
                continue;
            }
            auto [it, inserted] = code.emplace(v, static_cast<int32_t>(names.size()));
            if (inserted) names.push_back(v);
            codes[i] = last_code = it->second;
            last = &v;
        }
        strings(path + "_names", names);
        dataset(path, H5T_NATIVE_INT32, codes);
    }

    void scalar_string(const std::string& path, const std::string& value) {
        Hid t = string_type();
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid d(H5Dcreate2(file_, path.c_str(), t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT,
                         H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        const char* p = value.c_str();
        check(H5Dwrite(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) >= 0, "write " + path);
        counted();
    }

    static void attr_string(hid_t obj, const char* name, const std::string& value) {
        Hid t = string_type();
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid a(H5Acreate2(obj, name, t.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        const char* p = value.c_str();
        check(H5Awrite(a.get(), t.get(), &p) >= 0, std::string("attribute ") + name);
    }
    template <typename T>
    static void attr_num(hid_t obj, const char* name, hid_t type, T value) {
        Hid space(H5Screate(H5S_SCALAR), H5Sclose);
        Hid a(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        check(H5Awrite(a.get(), type, &value) >= 0, std::string("attribute ") + name);
    }

  private:
    void write_raw(const std::string& path, hid_t type, size_t n, const void* buf,
                   const char* units) {
        const hsize_t dims[1] = {n};
        const hsize_t maxdims[1] = {H5S_UNLIMITED};
        Hid space(H5Screate_simple(1, dims, maxdims), H5Sclose);
        Hid dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
        const hsize_t chunk[1] = {std::max<hsize_t>(1, std::min<hsize_t>(n, 65536))};
        check(H5Pset_chunk(dcpl.get(), 1, chunk) >= 0, "chunk " + path);
        if (H5Tis_variable_str(type) <= 0) check(H5Pset_shuffle(dcpl.get()) >= 0, "shuffle");
        check(H5Pset_deflate(dcpl.get(), 1) >= 0,
              "deflate");  // level 1: most of the gain, a third of the time
        Hid d(H5Dcreate2(file_, path.c_str(), type, space.get(), H5P_DEFAULT, dcpl.get(),
                         H5P_DEFAULT),
              H5Dclose);
        check(d.ok(), "create " + path);
        if (n > 0)
            check(H5Dwrite(d.get(), type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0,
                  "write " + path);
        if (units) attr_string(d.get(), "units", units);
        counted();
    }

    // Test hook (issue: atomic writes): abort the process after N datasets.
    void counted() {
        ++written_;
        if (abort_after_ > 0 && written_ >= abort_after_) std::abort();
    }

    hid_t file_;
    long abort_after_ = 0;
    long written_ = 0;
};

// ---- reading ----
class Reader {
  public:
    explicit Reader(hid_t file) : file_(file) {}

    bool exists(const std::string& path) const {
        return H5Lexists(file_, path.c_str(), H5P_DEFAULT) > 0;
    }

    template <typename T>
    std::vector<T> dataset(const std::string& path, hid_t mem_type) const {
        Hid d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        const size_t n = length(d.get(), path);
        std::vector<T> out(n);
        if (n > 0)
            check(H5Dread(d.get(), mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) >= 0,
                  "cannot read " + path);
        return out;
    }

    std::vector<std::string> strings(const std::string& path) const {
        Hid d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        const size_t n = length(d.get(), path);
        Hid ft(H5Dget_type(d.get()), H5Tclose);
        check(ft.ok() && H5Tget_class(ft.get()) == H5T_STRING, path + ": not a string dataset");
        if (H5Tis_variable_str(ft.get()) == 0) {
            // Fixed-length (format written since the sharded planner): NUL-padded.
            const size_t width = H5Tget_size(ft.get());
            check(width > 0, path + ": empty string type");
            Hid mt(H5Tcopy(ft.get()), H5Tclose);
            std::string buf(n * width, '\0');
            if (n > 0)
                check(H5Dread(d.get(), mt.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, buf.data()) >= 0,
                      "cannot read " + path);
            std::vector<std::string> out(n);
            for (size_t i = 0; i < n; ++i) {
                std::string_view v(buf.data() + i * width, width);
                const size_t end = v.find_last_not_of('\0');
                out[i] = end == std::string_view::npos ? std::string()
                                                       : std::string(v.substr(0, end + 1));
            }
            return out;
        }
        Hid t = string_type();
        std::vector<char*> ptrs(n, nullptr);
        if (n > 0)
            check(H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) >= 0,
                  "cannot read " + path);
        std::vector<std::string> out(n);
        for (size_t i = 0; i < n; ++i) out[i] = ptrs[i] ? ptrs[i] : "";
        if (n > 0) {
            Hid space(H5Dget_space(d.get()), H5Sclose);
            H5Dvlen_reclaim(t.get(), space.get(), H5P_DEFAULT, ptrs.data());
        }
        return out;
    }

    std::vector<std::string> dictionary(const std::string& path) const {
        const auto names = strings(path + "_names");
        const auto codes = dataset<int32_t>(path, H5T_NATIVE_INT32);
        std::vector<std::string> out(codes.size());
        for (size_t i = 0; i < codes.size(); ++i) {
            check(codes[i] >= 0 && static_cast<size_t>(codes[i]) < names.size(),
                  "corrupt dictionary code in " + path);
            out[i] = names[static_cast<size_t>(codes[i])];
        }
        return out;
    }

    std::string scalar_string(const std::string& path) const {
        Hid d(H5Dopen2(file_, path.c_str(), H5P_DEFAULT), H5Dclose);
        check(d.ok(), "missing dataset " + path);
        Hid t = string_type();
        char* p = nullptr;
        check(H5Dread(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p) >= 0,
              "cannot read " + path);
        std::string s = p ? p : "";
        H5free_memory(p);
        return s;
    }

    static std::string attr_string(hid_t obj, const char* name) {
        check(H5Aexists(obj, name) > 0, std::string("missing attribute ") + name);
        Hid a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
        check(a.ok(), std::string("attribute ") + name);
        Hid ft(H5Aget_type(a.get()), H5Tclose);
        check(H5Tget_class(ft.get()) == H5T_STRING && H5Tis_variable_str(ft.get()) > 0,
              std::string("attribute ") + name + " is not a string");
        Hid t = string_type();
        char* p = nullptr;
        check(H5Aread(a.get(), t.get(), &p) >= 0, std::string("attribute ") + name);
        std::string s = p ? p : "";
        H5free_memory(p);
        return s;
    }
    template <typename T>
    static T attr_num(hid_t obj, const char* name, hid_t type) {
        check(H5Aexists(obj, name) > 0, std::string("missing attribute ") + name);
        Hid a(H5Aopen(obj, name, H5P_DEFAULT), H5Aclose);
        T v{};
        check(a.ok() && H5Aread(a.get(), type, &v) >= 0, std::string("attribute ") + name);
        return v;
    }

  private:
    static size_t length(hid_t d, const std::string& path) {
        Hid space(H5Dget_space(d), H5Sclose);
        check(space.ok() && H5Sget_simple_extent_ndims(space.get()) == 1, "bad shape of " + path);
        hsize_t dims[1];
        H5Sget_simple_extent_dims(space.get(), dims, nullptr);
        return static_cast<size_t>(dims[0]);
    }
    hid_t file_;
};

template <typename T, typename F>
std::vector<T> column(size_t n, F f) {
    std::vector<T> v(n);
    for (size_t i = 0; i < n; ++i) v[i] = f(i);
    return v;
}

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

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
        const auto cpu = r.dataset<int64_t>("/fleet/hosts/cpu", H5T_NATIVE_INT64);
        const auto mem = r.dataset<int64_t>("/fleet/hosts/mem", H5T_NATIVE_INT64);
        const auto net = r.dataset<int64_t>("/fleet/hosts/net", H5T_NATIVE_INT64);
        const auto rack = r.dictionary("/fleet/hosts/rack");
        const auto site = r.dictionary("/fleet/hosts/site");
        const auto state = r.dictionary("/fleet/hosts/state");
        const auto pidle = r.dataset<double>("/fleet/hosts/power_idle_w", H5T_NATIVE_DOUBLE);
        const auto pmax = r.dataset<double>("/fleet/hosts/power_max_w", H5T_NATIVE_DOUBLE);
        const auto addr = r.strings("/fleet/hosts/address");
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
            check(st.has_value(), "/fleet/hosts/state: unknown state '" + state[i] + "'");
            h.state = *st;
            if (!std::isnan(pidle[i])) h.power_idle_w = pidle[i];
            if (!std::isnan(pmax[i])) h.power_max_w = pmax[i];
            h.address = addr[i];
        }
    }
    {
        const auto id = r.strings("/fleet/vms/id");
        const size_t nv = id.size();
        const auto host = r.dataset<int32_t>("/fleet/vms/host", H5T_NATIVE_INT32);
        const auto cpu = r.dataset<int64_t>("/fleet/vms/cpu", H5T_NATIVE_INT64);
        const auto mem = r.dataset<int64_t>("/fleet/vms/mem", H5T_NATIVE_INT64);
        const auto net = r.dataset<int64_t>("/fleet/vms/net", H5T_NATIVE_INT64);
        const auto mem_size = r.dataset<int64_t>("/fleet/vms/mem_size", H5T_NATIVE_INT64);
        const auto disk = r.dataset<int64_t>("/fleet/vms/disk", H5T_NATIVE_INT64);
        const auto dirty = r.dataset<double>("/fleet/vms/dirty_rate", H5T_NATIVE_DOUBLE);
        const auto group = r.dictionary("/fleet/vms/group");
        const auto anti = r.dictionary("/fleet/vms/anti_group");
        const auto calloc_ = r.dataset<int64_t>("/fleet/vms/cpu_alloc", H5T_NATIVE_INT64);
        const auto malloc_ = r.dataset<int64_t>("/fleet/vms/mem_alloc", H5T_NATIVE_INT64);
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
    fleet.index();
    {
        const auto step = r.dataset<int32_t>("/plan/moves/step", H5T_NATIVE_INT32);
        const auto vm = r.dataset<int32_t>("/plan/moves/vm", H5T_NATIVE_INT32);
        const auto src = r.dataset<int32_t>("/plan/moves/source", H5T_NATIVE_INT32);
        const auto tgt = r.dataset<int32_t>("/plan/moves/target", H5T_NATIVE_INT32);
        const auto reason = r.dictionary("/plan/moves/reason");
        const auto est = r.dataset<double>("/plan/moves/est_seconds", H5T_NATIVE_DOUBLE);
        const auto down = r.dataset<double>("/plan/moves/est_downtime_ms", H5T_NATIVE_DOUBLE);
        const auto sent = r.dataset<double>("/plan/moves/est_sent_mib", H5T_NATIVE_DOUBLE);
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
            check(it != kReasons.end(), "/plan/moves/reason: unknown reason '" + reason[i] + "'");
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
        c.plan.powered_on = r.dataset<int32_t>("/plan/powered_on", H5T_NATIVE_INT32);
        for (int32_t h : c.plan.powered_on)
            check(h >= 0 && h < nh, "/plan/powered_on: index out of range");
    }
    c.summary_json = r.scalar_string("/summary/json");
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
            const auto off =
                r.dataset<int64_t>(std::string("/history/") + name + "_offsets", H5T_NATIVE_INT64);
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
        const auto fz = r.dataset<int32_t>("/inputs/frozen", H5T_NATIVE_INT32);
        if (!fz.empty()) {
            c.frozen.assign(nv, 0);
            for (int32_t v : fz) {
                check(v >= 0 && static_cast<size_t>(v) < nv, "/inputs/frozen: index out of range");
                c.frozen[static_cast<size_t>(v)] = 1;
            }
        }
    }
    if (r.exists("/inputs/fleet_changes"))
        c.fleet_changes = r.scalar_string("/inputs/fleet_changes");
    (void)path;
    return c;
}

}  // namespace

Result<void> write_checkpoint(const std::string& path, const Checkpoint& ckpt) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    const std::string tmp = path + ".tmp." + std::to_string(::getpid());
    try {
        Hid file(H5Fcreate(tmp.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
        check(file.ok(), "cannot create file");
        write_all(file.get(), ckpt);
        check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL) >= 0, "flush failed");
        file.reset();
    } catch (const H5Failure& f) {
        ::unlink(tmp.c_str());
        return fail(ErrorCode::kEnvironment, path + ": cannot write checkpoint: " + f.what + " (" +
                                                 std::strerror(errno) + ")");
    }
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const int e = errno;
        if (fd >= 0) ::close(fd);
        ::unlink(tmp.c_str());
        return fail(ErrorCode::kEnvironment,
                    path + ": cannot flush checkpoint: " + std::strerror(e));
    }
    ::close(fd);
    if (::rename(tmp.c_str(), path.c_str()) != 0) {
        const int e = errno;
        ::unlink(tmp.c_str());
        return fail(ErrorCode::kEnvironment,
                    path + ": cannot rename checkpoint: " + std::strerror(e));
    }
    return {};
}

Result<Checkpoint> read_checkpoint(const std::string& path) {
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    if (::access(path.c_str(), R_OK) != 0)
        return bad_input(path + ": cannot open: " + std::strerror(errno));
    if (H5Fis_hdf5(path.c_str()) <= 0) return bad_input(path + ": not an HDF5 file, or truncated");
    Hid file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
    if (!file.ok()) return bad_input(path + ": not an HDF5 file, or truncated");
    try {
        return read_all(file.get(), path);
    } catch (const H5Failure& f) {
        return bad_input(path + ": " + f.what);
    }
}

}  // namespace fp::io
