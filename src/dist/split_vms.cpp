#include "src/dist/split_vms.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <optional>
#include <span>
#include <stdexcept>

#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/huge_pages.hpp"
#include "io/record_split.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/vm_codec.hpp"

namespace fp::dist {
namespace {

// With FP_SPLIT_TIMES set, each step's wall and process CPU time on stderr ("vms-split rank R:
// STEP wall S s cpu C s"), to see where a split read spends its time (summary.json has only the
// whole parse; on a shared machine the CPU time is the steadier figure). Off: one getenv.
class StepTimes {
  public:
    explicit StepTimes(int rank) : rank_(rank), on_(std::getenv("FP_SPLIT_TIMES") != nullptr) {}
    void lap(const char* step) {
        if (!on_) return;
        const auto now = std::chrono::steady_clock::now();
        const double cpu = cpu_seconds();
        std::fprintf(stderr, "vms-split rank %d: %-12s wall %.3f s cpu %.3f s\n", rank_, step,
                     std::chrono::duration<double>(now - last_).count(), cpu - last_cpu_);
        last_ = now;
        last_cpu_ = cpu;
    }

  private:
    static double cpu_seconds() {
        timespec t{};
        ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
    }
    int rank_;
    bool on_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
    double last_cpu_ = on_ ? cpu_seconds() : 0.0;
};

// The header record: the file's first bytes, read in growing pieces until a record ends (or the
// file does).
Result<io::VmHeader> read_header(const std::string& path, int64_t size) {
    for (int64_t want = 64 << 10;; want *= 4) {
        auto head = io::read_file_range(path, 0, std::min(want, size));
        if (!head) return tl::unexpected(head.error());
        const bool whole = static_cast<int64_t>(head->size()) >= size;
        if (whole || io::find_record_start(*head, io::ScanState{})) {
            auto h = io::parse_vm_header(*head, path);
            if (!h) return tl::unexpected(h.error());
            return h;
        }
    }
}

}  // namespace

Result<SplitVms> read_vms_split(const std::string& path, const model::Fleet& hosts,
                                const RowOwner& owner, Communicator& comm) {
    const int P = comm.size();
    const int me = comm.rank();
    SplitVms out;
    StepTimes times(me);

    // ---- 1. Size and header (every rank the same; a few bytes).
    int64_t size = 0;
    std::optional<io::VmHeader> header;
    auto head = [&]() -> Result<void> {
        auto s = io::regular_file_size(path);
        if (!s) return tl::unexpected(s.error());
        size = *s;
        auto h = read_header(path, size);
        if (!h) return tl::unexpected(h.error());
        header = std::move(*h);
        return {};
    };
    if (auto r = run_agreed(head, comm); !r) return tl::unexpected(r.error());
    out.warnings = header->warnings;
    times.lap("header");

    // ---- 2, 3. My record-aligned range (src/dist/split_file.hpp).
    auto range = read_record_range(path, size, static_cast<int64_t>(header->body),
                                   header->body_line, "vms-split", comm);
    if (!range) return tl::unexpected(range.error());
    out.digest = range->digest;
    std::string& bytes = range->bytes;
    times.lap("read");

    // ---- 4. Parse my range with the one-process reader's parser (io::parse_vm_table: rows
    // straight into one table, packed host lookup); ids to their bucket, rows to their owner.
    io::VmTable table;  // its ids point into `bytes` or into its sub-ranges' own copies
    bool faults = false;
    auto parse = [&]() -> Result<void> {
        table = io::parse_vm_table(bytes, range->local(), *header, hosts);
        faults = table.syntax_fault || !table.values.empty();
        out.rows_parsed = static_cast<int64_t>(table.ids.size());
        return {};
    };
    if (auto r = run_agreed(parse, comm); !r) return tl::unexpected(r.error());
    times.lap("parse");

    // Id hashes to their bucket rank. Equal ids have equal hashes, so a bucket without two
    // equal hashes has no duplicate; two equal hashes (a duplicate, or a 64-bit collision, about
    // 1e-7 at 2M rows) count as a fault, and step 5 finds out which with exact messages.
    Result<std::vector<std::string>> id_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step("vms-split.ids", "pack", comm,
                            [&] {
                                std::vector<size_t> need(static_cast<size_t>(P), 0);
                                for (const io::VmIdSeen& s : table.ids)
                                    need[static_cast<size_t>(io::vm_id_bucket(s.hash, P))] += 8;
                                for (int d = 0; d < P; ++d) {
                                    std::string& b = (*id_parts)[static_cast<size_t>(d)];
                                    b.resize(need[static_cast<size_t>(d)]);
                                    need[static_cast<size_t>(d)] = 0;
                                }
                                for (const io::VmIdSeen& s : table.ids) {
                                    const auto d = static_cast<size_t>(io::vm_id_bucket(s.hash, P));
                                    std::memcpy((*id_parts)[d].data() + need[d], &s.hash, 8);
                                    need[d] += 8;
                                }
                            });
        !r)
        id_parts = tl::unexpected(r.error());
    // The rows hold their own strings: the range's bytes and the ids' views are no longer needed.
    std::vector<io::VmIdSeen>().swap(table.ids);
    std::vector<io::VmRange>().swap(table.parts);
    std::string().swap(bytes);
    auto ids_in = all_to_all_bytes("vms-split.ids", id_parts, comm);
    if (!ids_in) return tl::unexpected(ids_in.error());
    times.lap("ids-send");
    id_parts = std::vector<std::string>();
    auto dup_check = [&]() -> Result<void> {
        size_t n = 0;
        for (const std::string& b : *ids_in) n += b.size() / 8;
        std::vector<uint64_t> hashes(n);
        n = 0;
        for (const std::string& b : *ids_in) {
            std::memcpy(hashes.data() + n, b.data(), b.size() / 8 * 8);
            n += b.size() / 8;
        }
        std::sort(hashes.begin(), hashes.end());
        faults |= std::adjacent_find(hashes.begin(), hashes.end()) != hashes.end();
        return {};
    };
    if (auto r = run_agreed(dup_check, comm); !r) return tl::unexpected(r.error());
    times.lap("duplicates");
    ids_in = std::vector<std::string>();

    // ---- 5. Any fault anywhere: the whole file, sequentially, for exactly one process's messages.
    if (allreduce_max(int64_t{faults}, comm) != 0) {
        auto whole = [&]() -> Result<void> {
            auto text = io::read_file(path);
            if (!text) return tl::unexpected(text.error());
            io::FleetLoad load;
            load.fleet.hosts = hosts.hosts;
            load.fleet.index();
            if (auto r = io::parse_vms_into(
                    *text, path, [&](int32_t h, std::string_view id) { return owner(h, id) == me; },
                    load);
                !r)
                return r;
            out.vms = std::move(load.fleet.vms);  // (faults the range parse saw, this did not)
            out.rows_parsed = load.vm_rows;
            return {};
        };
        if (auto r = run_agreed(whole, comm); !r) return tl::unexpected(r.error());
        return out;
    }

    // Rows to the ranks that own their shards (flat codec, after a row count). A rank's own rows
    // stay in the table, moved up over the rows sent (in one pass, in file order); runs of rows
    // for one rank are encoded together.
    std::vector<model::Vm>& rows = table.vms;
    Result<std::vector<std::string>> row_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step(
            "vms-split.rows", "pack", comm,
            [&] {
                std::vector<int32_t> dest(rows.size());
                std::vector<size_t> need(static_cast<size_t>(P), 8);
                std::vector<int64_t> count(static_cast<size_t>(P), 0);
                for (size_t i = 0; i < rows.size(); ++i) {
                    const model::Vm& v = rows[i];
                    dest[i] = owner(v.host, v.id);
                    ++count[static_cast<size_t>(dest[i])];
                    // A bound on the row's encoded size (vm_codec's fixed part is under 128).
                    need[static_cast<size_t>(dest[i])] +=
                        128 + v.id.size() + v.group.size() + v.anti_group.size();
                }
                for (int d = 0; d < P; ++d) {
                    if (d == me || count[static_cast<size_t>(d)] == 0) continue;
                    std::string& b = (*row_parts)[static_cast<size_t>(d)];
                    b.reserve(need[static_cast<size_t>(d)]);
                    b.append(reinterpret_cast<const char*>(&count[static_cast<size_t>(d)]), 8);
                }
                size_t kept = 0;
                for (size_t i = 0; i < rows.size();) {
                    const int32_t d = dest[i];
                    size_t j = i + 1;
                    while (j < rows.size() && dest[j] == d) ++j;
                    if (d == me) {
                        if (kept != i)
                            std::move(rows.begin() + static_cast<std::ptrdiff_t>(i),
                                      rows.begin() + static_cast<std::ptrdiff_t>(j),
                                      rows.begin() + static_cast<std::ptrdiff_t>(kept));
                        kept += j - i;
                    } else {
                        encode_vms(std::span<const model::Vm>(rows.data() + i, j - i),
                                   (*row_parts)[static_cast<size_t>(d)]);
                    }
                    i = j;
                }
                rows.resize(kept);
            });
        !r)
        row_parts = tl::unexpected(r.error());
    times.lap("rows-pack");
    auto rows_in = all_to_all_bytes("vms-split.rows", row_parts, comm);
    if (!rows_in) return tl::unexpected(rows_in.error());
    times.lap("rows-send");
    row_parts = std::vector<std::string>();
    const Result<void> unpacked = local_step("vms-split.rows", "unpack", comm, [&] {
        size_t n = rows.size();
        for (int s = 0; s < P; ++s) {
            const std::string& b = (*rows_in)[static_cast<size_t>(s)];
            if (s == me || b.empty()) continue;
            if (b.size() < 8) throw std::runtime_error("VM rows: no row count");
            int64_t k = 0;
            std::memcpy(&k, b.data(), 8);
            // Each encoded row takes more than 64 bytes.
            if (k < 0 || static_cast<size_t>(k) > b.size() / 64)
                throw std::runtime_error("VM rows: implausible row count");
            n += static_cast<size_t>(k);
        }
        // Ranks before this one sent rows that come first: then a new table, else this one grown.
        bool before = false;
        for (int s = 0; s < me; ++s) before |= !(*rows_in)[static_cast<size_t>(s)].empty();
        if (!before) {
            out.vms = std::move(rows);
            io::reserve_huge(out.vms, n);
        } else {
            io::reserve_huge(out.vms, n);
        }
        for (int s = 0; s < P; ++s) {
            if (s == me) {
                if (before)
                    out.vms.insert(out.vms.end(), std::make_move_iterator(rows.begin()),
                                   std::make_move_iterator(rows.end()));
                std::vector<model::Vm>().swap(rows);
            } else {
                std::string& b = (*rows_in)[static_cast<size_t>(s)];
                if (!b.empty()) decode_vms(std::string_view(b).substr(8), out.vms);
                b = std::string();
            }
        }
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    times.lap("rows-unpack");
    return out;
}

}  // namespace fp::dist
