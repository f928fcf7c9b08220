// The fleet model: hosts and VMs in exact integer units.
// Units: cpu in millicores, mem in KiB, net in kbps (inputs are cores, MiB and Mbps; demands are
// rounded up and capacities down when converted). Thread-safety: immutable once built; the
// planner reads it from many threads. Determinism: hosts and VMs keep input order; every output
// that sorts them breaks ties by id.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace fp::model {

enum Dim : int { kCpu = 0, kMem = 1, kNet = 2 };
inline constexpr int kDims = 3;
inline constexpr std::array<const char*, kDims> kDimNames = {"cpu", "mem", "net"};
// Input unit → internal unit factors (cores → millicores, MiB → KiB, Mbps → kbps).
inline constexpr std::array<int64_t, kDims> kUnitFactor = {1000, 1024, 1000};

struct Resources {
    std::array<int64_t, kDims> v{};

    int64_t& operator[](int d) { return v[static_cast<size_t>(d)]; }
    int64_t operator[](int d) const { return v[static_cast<size_t>(d)]; }
    Resources& operator+=(const Resources& o) {
        for (int d = 0; d < kDims; ++d) (*this)[d] += o[d];
        return *this;
    }
    Resources& operator-=(const Resources& o) {
        for (int d = 0; d < kDims; ++d) (*this)[d] -= o[d];
        return *this;
    }
    friend Resources operator+(Resources a, const Resources& b) { return a += b; }
    friend Resources operator-(Resources a, const Resources& b) { return a -= b; }
    friend bool operator==(const Resources&, const Resources&) = default;
    // True when every dimension of *this is <= the limit's.
    bool fits_within(const Resources& limit) const {
        for (int d = 0; d < kDims; ++d)
            if ((*this)[d] > limit[d]) return false;
        return true;
    }
};

enum class HostState { kActive, kMaintenance, kOff };
std::string_view to_string(HostState s);
std::optional<HostState> parse_host_state(std::string_view s);

inline constexpr int32_t kNoHost = -1;

struct Host {
    std::string id;
    Resources capacity;
    std::string rack;
    std::string site;
    HostState state = HostState::kActive;
    std::optional<double> power_idle_w;
    std::optional<double> power_max_w;
    std::string address;  // empty: the id
};

struct Vm {
    std::string id;
    int32_t host = kNoHost;  // index into Fleet::hosts; kNoHost for a new VM to place
    Resources demand;
    int64_t mem_size_kib = 0;  // allocated memory (what a migration copies)
    int64_t disk_kib = 0;      // local disk state, moved on a wide-area migration
    double dirty_rate_mibps = 0.0;
    std::string group;
    std::string anti_group;
    std::optional<int64_t> cpu_alloc_millicores;
    std::optional<int64_t> mem_alloc_kib;

    bool is_new() const { return host == kNoHost; }
};

class Fleet {
  public:
    std::vector<Host> hosts;
    std::vector<Vm> vms;

    // Rebuilds the id → index maps; call after filling hosts and vms.
    void index();
    std::optional<int32_t> host_index(std::string_view id) const;
    std::optional<int32_t> vm_index(std::string_view id) const;

    // Current demand per host (new VMs excluded).
    std::vector<Resources> host_loads() const;
    Resources total_demand() const;

  private:
    std::unordered_map<std::string, int32_t> host_by_id_;
    std::unordered_map<std::string, int32_t> vm_by_id_;
};

// A quantity limit at a utilisation fraction given in parts per million: floor(cap × ppm / 1e6).
inline int64_t limit_at(int64_t capacity, int64_t util_ppm) {
    return static_cast<int64_t>((static_cast<__int128>(capacity) * util_ppm) / 1000000);
}
Resources limit_at(const Resources& capacity, int64_t util_ppm);
// Parts per million of a fraction, rounded to nearest (0.9 → 900000).
int64_t to_ppm(double fraction);

}  // namespace fp::model
