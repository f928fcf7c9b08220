#include "src/dist/split_vms.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/record_split.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/vm_codec.hpp"

namespace fp::dist {
namespace {

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

    // ---- 2, 3. My record-aligned range (src/dist/split_file.hpp).
    auto range = read_record_range(path, size, static_cast<int64_t>(header->body),
                                   header->body_line, "vms-split", comm);
    if (!range) return tl::unexpected(range.error());
    out.digest = range->digest;
    std::string& bytes = range->bytes;

    // ---- 4. Parse my range; ids to their bucket, rows to their owner.
    // The parsed sub-ranges, kept as they are: their ids point into `bytes` or their own copies.
    std::vector<io::VmRange> parsed;
    bool faults = false;
    auto parse = [&]() -> Result<void> {
        const io::CsvChunk mine = range->local();
        if (mine.end <= mine.begin) return {};
        const std::vector<io::CsvChunk> parts =
            io::split_records(std::string_view(bytes).substr(0, mine.end), mine.begin, mine.line,
                              std::max<size_t>(1, (mine.end - mine.begin) / io::kDigestBlockBytes));
        parsed.resize(parts.size());
        tbb::parallel_for(size_t{0}, parts.size(), [&](size_t k) {
            parsed[k] = io::parse_vm_range(bytes, parts[k], *header, hosts, {});
        });
        for (const io::VmRange& g : parsed) {
            faults |= !g.syntax.empty() || !g.values.empty();
            out.rows_parsed += g.rows;
        }
        return {};
    };
    if (auto r = run_agreed(parse, comm); !r) return tl::unexpected(r.error());

    // Ids to their bucket rank: hash, line, length, bytes.
    Result<std::vector<std::string>> id_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step(
            "vms-split.ids", "pack", comm,
            [&] {
                for (const io::VmRange& g : parsed)
                    for (const io::VmIdSeen& s : g.ids) {
                        std::string& b =
                            (*id_parts)[static_cast<size_t>(io::vm_id_bucket(s.hash, P))];
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
    auto ids_in = all_to_all_bytes("vms-split.ids", id_parts, comm);
    if (!ids_in) return tl::unexpected(ids_in.error());
    id_parts = std::vector<std::string>();
    auto dup_check = [&]() -> Result<void> {
        std::vector<io::VmIdSeen> seen;
        for (const std::string& b : *ids_in)
            for (size_t at = 0; at + 24 <= b.size();) {
                io::VmIdSeen s;
                int64_t len = 0;
                std::memcpy(&s.hash, b.data() + at, 8);
                std::memcpy(&s.line, b.data() + at + 8, 8);
                std::memcpy(&len, b.data() + at + 16, 8);
                s.id = std::string_view(b).substr(at + 24, static_cast<size_t>(len));
                seen.push_back(s);
                at += 24 + static_cast<size_t>(len);
            }
        faults |= !io::vm_duplicate_errors(seen, path).empty();
        return {};
    };
    if (auto r = run_agreed(dup_check, comm); !r) return tl::unexpected(r.error());
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

    // Rows to the ranks that own their shards (flat codec; a rank's own rows stay in place).
    std::vector<std::vector<model::Vm>> to(static_cast<size_t>(P));
    Result<std::vector<std::string>> row_parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step("vms-split.rows", "pack", comm,
                            [&] {
                                for (io::VmRange& g : parsed)
                                    for (model::Vm& v : g.vms)
                                        to[static_cast<size_t>(owner(v.host, v.id))].push_back(
                                            std::move(v));
                                parsed.clear();
                                for (int d = 0; d < P; ++d) {
                                    if (d == me) continue;
                                    auto& rows = to[static_cast<size_t>(d)];
                                    encode_vms(rows, (*row_parts)[static_cast<size_t>(d)]);
                                    std::vector<model::Vm>().swap(rows);
                                }
                            });
        !r)
        row_parts = tl::unexpected(r.error());
    auto rows_in = all_to_all_bytes("vms-split.rows", row_parts, comm);
    if (!rows_in) return tl::unexpected(rows_in.error());
    row_parts = std::vector<std::string>();
    const Result<void> unpacked = local_step("vms-split.rows", "unpack", comm, [&] {
        size_t n = 0;
        for (int s = 0; s < P; ++s)
            n += s == me ? to[static_cast<size_t>(me)].size()
                         : (*rows_in)[static_cast<size_t>(s)].size() / 64;
        out.vms.reserve(n);
        for (int s = 0; s < P; ++s) {
            if (s == me) {
                auto& own = to[static_cast<size_t>(me)];
                out.vms.insert(out.vms.end(), std::make_move_iterator(own.begin()),
                               std::make_move_iterator(own.end()));
                std::vector<model::Vm>().swap(own);
            } else {
                std::string& b = (*rows_in)[static_cast<size_t>(s)];
                decode_vms(b, out.vms);
                b = std::string();
            }
        }
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    return out;
}

}  // namespace fp::dist
