#include "src/dist/split_vms.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>

#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/huge_pages.hpp"
#include "io/record_split.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/vm_codec.hpp"

namespace fp::dist {
namespace {

// With FP_SPLIT_TIMES set, each step's wall time on stderr ("vms-split rank R: STEP S s"), to see
// where a split read spends its time (summary.json has only the whole parse). Off: one getenv.
class StepTimes {
  public:
    explicit StepTimes(int rank) : rank_(rank), on_(std::getenv("FP_SPLIT_TIMES") != nullptr) {}
    void lap(const char* step) {
        if (!on_) return;
        const auto now = std::chrono::steady_clock::now();
        std::fprintf(stderr, "vms-split rank %d: %-12s %.3f s\n", rank_, step,
                     std::chrono::duration<double>(now - last_).count());
        last_ = now;
    }

  private:
    int rank_;
    bool on_;
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
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

    // Ids to their bucket rank: hash, line, length, bytes (each buffer sized first).
    constexpr size_t kIdFixed = 24;
    Result<std::vector<std::string>> id_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step(
            "vms-split.ids", "pack", comm,
            [&] {
                std::vector<size_t> need(static_cast<size_t>(P), 0);
                for (const io::VmIdSeen& s : table.ids)
                    need[static_cast<size_t>(io::vm_id_bucket(s.hash, P))] +=
                        kIdFixed + s.id.size();
                for (int d = 0; d < P; ++d)
                    (*id_parts)[static_cast<size_t>(d)].reserve(need[static_cast<size_t>(d)]);
                for (const io::VmIdSeen& s : table.ids) {
                    std::string& b = (*id_parts)[static_cast<size_t>(io::vm_id_bucket(s.hash, P))];
                    const auto len = static_cast<int64_t>(s.id.size());
                    const auto line = s.line;
                    b.append(reinterpret_cast<const char*>(&s.hash), 8);
                    b.append(reinterpret_cast<const char*>(&line), 8);
                    b.append(reinterpret_cast<const char*>(&len), 8);
                    b.append(s.id);
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
        for (const std::string& b : *ids_in)
            for (size_t at = 0; at + kIdFixed <= b.size(); ++n) {
                int64_t len = 0;
                std::memcpy(&len, b.data() + at + 16, 8);
                at += kIdFixed + static_cast<size_t>(len);
            }
        std::vector<io::VmIdSeen> seen;
        seen.reserve(n);
        for (const std::string& b : *ids_in)
            for (size_t at = 0; at + kIdFixed <= b.size();) {
                io::VmIdSeen s;
                int64_t len = 0;
                std::memcpy(&s.hash, b.data() + at, 8);
                std::memcpy(&s.line, b.data() + at + 8, 8);
                std::memcpy(&len, b.data() + at + 16, 8);
                s.id = std::string_view(b).substr(at + kIdFixed, static_cast<size_t>(len));
                seen.push_back(s);
                at += kIdFixed + static_cast<size_t>(len);
            }
        faults |= !io::vm_duplicate_errors(seen, path).empty();
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

    // Rows to the ranks that own their shards (flat codec). A rank's own rows stay in the table,
    // moved up over the rows sent (in one pass, in file order); runs of rows for one rank are
    // encoded together.
    std::vector<model::Vm>& rows = table.vms;
    Result<std::vector<std::string>> row_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step(
            "vms-split.rows", "pack", comm,
            [&] {
                std::vector<int32_t> dest(rows.size());
                std::vector<size_t> need(static_cast<size_t>(P), 0);
                for (size_t i = 0; i < rows.size(); ++i) {
                    const model::Vm& v = rows[i];
                    dest[i] = owner(v.host, v.id);
                    // A bound on the row's encoded size (vm_codec's fixed part is under 128).
                    need[static_cast<size_t>(dest[i])] +=
                        128 + v.id.size() + v.group.size() + v.anti_group.size();
                }
                for (int d = 0; d < P; ++d)
                    if (d != me)
                        (*row_parts)[static_cast<size_t>(d)].reserve(need[static_cast<size_t>(d)]);
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
        // Every encoded row takes more than 64 bytes: a bound on the rows received.
        size_t n = rows.size();
        for (int s = 0; s < P; ++s)
            if (s != me) n += (*rows_in)[static_cast<size_t>(s)].size() / 64;
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
                decode_vms(b, out.vms);
                b = std::string();
            }
        }
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    times.lap("rows-unpack");
    return out;
}

}  // namespace fp::dist
