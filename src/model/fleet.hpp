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
#include <vector>

#include "src/util/hash.hpp"

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

// id → index for a table of ids, by open addressing over 64-bit FNV-1a hashes, with its own
// compact copy of the ids: a lookup touches the slot array and the copy, never the table's rows.
class IdIndex {
  public:
    template <typename IdOf>
    void build(size_t n, IdOf ids) {
        size_t cap = 16;
        while (cap < 2 * n) cap <<= 1;
        mask_ = cap - 1;
        slots_.assign(cap, Slot{});
        pool_.clear();
        start_.assign(1, 0);
        for (size_t i = 0; i < n; ++i) {
            const std::string_view id = ids(i);
            pool_.append(id);
            start_.push_back(static_cast<uint32_t>(pool_.size()));
        }
        for (size_t i = 0; i < n; ++i) {
            const std::string_view id = at(i);
            const uint64_t h = hash(id);
            size_t k = h & mask_;
            while (slots_[k].index >= 0) {
                if (slots_[k].tag == static_cast<uint32_t>(h >> 32) &&
                    at(static_cast<size_t>(slots_[k].index)) == id)
                    break;  // a duplicate id keeps its first index
                k = (k + 1) & mask_;
            }
            if (slots_[k].index < 0)
                slots_[k] = Slot{static_cast<uint32_t>(h >> 32), static_cast<int32_t>(i)};
        }
    }
    std::optional<int32_t> find(std::string_view id) const {
        if (slots_.empty()) return std::nullopt;
        const uint64_t h = hash(id);
        for (size_t k = h & mask_;; k = (k + 1) & mask_) {
            const Slot& s = slots_[k];
            if (s.index < 0) return std::nullopt;
            if (s.tag == static_cast<uint32_t>(h >> 32) && at(static_cast<size_t>(s.index)) == id)
                return s.index;
        }
    }
    void clear() {
        slots_.clear();
        pool_.clear();
        start_.clear();
    }
    static uint64_t hash(std::string_view s) {
        const uint64_t h = fnv1a64(s);
        return h ^ (h >> 29);  // fold high bits into the low ones that pick the slot
    }

  private:
    std::string_view at(size_t i) const {
        return std::string_view(pool_).substr(start_[i], start_[i + 1] - start_[i]);
    }
    struct Slot {
        uint32_t tag = 0;
        int32_t index = -1;
    };
    std::vector<Slot> slots_;
    size_t mask_ = 0;
    std::string pool_;
    std::vector<uint32_t> start_;
};

class Fleet {
  public:
    std::vector<Host> hosts;
    std::vector<Vm> vms;

    // Rebuilds the host id → index map; call after filling hosts and vms. The VM map is built on
    // the first vm_index() call after that (from one thread: it is not thread-safe).
    void index();
    std::optional<int32_t> host_index(std::string_view id) const;
    std::optional<int32_t> vm_index(std::string_view id) const;

    // Current demand per host (new VMs excluded).
    std::vector<Resources> host_loads() const;
    Resources total_demand() const;

  private:
    IdIndex host_by_id_;
    mutable IdIndex vm_by_id_;
    mutable bool vm_map_built_ = false;
};

// A quantity limit at a utilisation fraction given in parts per million: floor(cap × ppm / 1e6).
inline int64_t limit_at(int64_t capacity, int64_t util_ppm) {
    return static_cast<int64_t>((static_cast<__int128>(capacity) * util_ppm) / 1000000);
}
Resources limit_at(const Resources& capacity, int64_t util_ppm);
// Parts per million of a fraction, rounded to nearest, ties half away from zero (0.9 → 900000,
// 0.0100005 → 10001); the contract's rounding, shared with the checker (README).
int64_t to_ppm(double fraction);

}  // namespace fp::model
