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

constexpr int64_t kBlock = static_cast<int64_t>(io::kDigestBlockBytes);

// Little-endian int64 values in a byte string, for the allgathers of small numbers.
std::string pack_i64(const std::vector<int64_t>& v) {
    std::string s(v.size() * 8, '\0');
    for (size_t i = 0; i < v.size(); ++i) std::memcpy(s.data() + 8 * i, &v[i], 8);
    return s;
}
std::vector<int64_t> unpack_i64(const std::string& s) {
    std::vector<int64_t> v(s.size() / 8);
    for (size_t i = 0; i < v.size(); ++i) std::memcpy(&v[i], s.data() + 8 * i, 8);
    return v;
}

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

NominalRange nominal_range(int64_t size, int rank, int ranks) {
    auto at = [&](int r) {
        return static_cast<int64_t>(static_cast<__int128>(size) * r / std::max(ranks, 1));
    };
    NominalRange n{at(rank), at(rank + 1)};
    // The digest blocks starting in [first, last) are this rank's: it reads up to their end.
    const int64_t first_block = (n.first + kBlock - 1) / kBlock;
    const int64_t end_block = (n.last + kBlock - 1) / kBlock;
    n.blocks = end_block - first_block;
    n.read_end = n.blocks > 0 ? std::max(n.last, std::min(size, end_block * kBlock)) : n.last;
    return n;
}

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

    // ---- 2. My nominal range: its bytes, counts and block digests.
    const NominalRange nom = nominal_range(size, me, P);
    const auto body = static_cast<int64_t>(header->body);
    // The bytes this rank scans: its nominal range, less the header on rank 0.
    const int64_t scan_from = std::max(nom.first, std::min(body, nom.last));
    std::string bytes;  // the file from nom.first on (grown in step 3)
    std::string counts_mine;
    auto read_nominal = [&]() -> Result<void> {
        auto b = io::read_file_range(path, nom.first, nom.read_end - nom.first);
        if (!b) return tl::unexpected(b.error());
        bytes = std::move(*b);
        if (static_cast<int64_t>(bytes.size()) != nom.read_end - nom.first)
            return fail(ErrorCode::kEnvironment, path + ": changed while being read (expected " +
                                                     std::to_string(size) + " bytes)");
        // My digest blocks: those starting in my range (the last may run past it).
        const auto skip = static_cast<size_t>((kBlock - nom.first % kBlock) % kBlock);
        std::vector<uint64_t> digests(static_cast<size_t>(nom.blocks));
        tbb::parallel_for(size_t{0}, digests.size(), [&](size_t b) {
            digests[b] = io::block_digest(std::string_view(bytes).substr(
                skip + b * io::kDigestBlockBytes, io::kDigestBlockBytes));
        });
        const io::BlockCounts c = io::count_block(std::string_view(bytes).substr(
            static_cast<size_t>(scan_from - nom.first), static_cast<size_t>(nom.last - scan_from)));
        std::vector<int64_t> v{c.quotes, c.newlines};
        for (uint64_t d : digests) v.push_back(static_cast<int64_t>(d));
        counts_mine = pack_i64(v);
        return {};
    };
    Result<std::string> mine_counts = std::string();
    if (auto r = run_agreed(read_nominal, comm); !r) return tl::unexpected(r.error());
    mine_counts = counts_mine;
    auto all_counts = allgather_bytes("vms-split.counts", mine_counts, comm);
    if (!all_counts) return tl::unexpected(all_counts.error());
    std::vector<io::BlockCounts> counts(static_cast<size_t>(P));
    std::vector<uint64_t> block_digests;
    for (int r = 0; r < P; ++r) {
        const std::vector<int64_t> v = unpack_i64((*all_counts)[static_cast<size_t>(r)]);
        counts[static_cast<size_t>(r)] = {v.at(0), v.at(1)};
        for (size_t k = 2; k < v.size(); ++k) block_digests.push_back(static_cast<uint64_t>(v[k]));
    }
    out.digest = io::combine_block_digests(block_digests);
    const std::vector<io::ScanState> states =
        io::scan_blocks(counts, io::ScanState{0, header->body_line});

    // ---- 3. Record starts; every rank's range; the bytes mine runs into.
    std::optional<io::RecordStart> start;
    if (me == 0 || scan_from >= nom.last) {
        if (me == 0)
            start = io::RecordStart{static_cast<size_t>(scan_from - nom.first), header->body_line};
    } else {
        start = io::find_record_start(
            std::string_view(bytes).substr(static_cast<size_t>(scan_from - nom.first),
                                           static_cast<size_t>(nom.last - scan_from)),
            states[static_cast<size_t>(me)]);
        if (start) start->offset += static_cast<size_t>(scan_from - nom.first);
    }
    // (absolute offset or -1, line) of every rank's first record start.
    Result<std::string> mine_start = pack_i64(
        {start ? nom.first + static_cast<int64_t>(start->offset) : -1, start ? start->line : 0});
    auto all_starts = allgather_bytes("vms-split.starts", mine_start, comm);
    if (!all_starts) return tl::unexpected(all_starts.error());
    std::vector<size_t> block_begin;
    std::vector<std::optional<io::RecordStart>> found;
    for (int r = 0; r < P; ++r) {
        const NominalRange n = nominal_range(size, r, P);
        const std::vector<int64_t> v = unpack_i64((*all_starts)[static_cast<size_t>(r)]);
        block_begin.push_back(static_cast<size_t>(n.first));
        found.push_back(v.at(0) < 0 ? std::nullopt
                                    : std::optional<io::RecordStart>(io::RecordStart{
                                          static_cast<size_t>(v[0] - n.first), v[1]}));
    }
    const std::vector<io::CsvChunk> ranges = io::resolve_ranges(
        block_begin, found, header->body, header->body_line, static_cast<size_t>(size));
    const io::CsvChunk mine = ranges[static_cast<size_t>(me)];

    // ---- 4. Parse my range; ids to their bucket, rows to their owner.
    // The parsed sub-ranges, kept as they are: their ids point into `bytes` or their own copies.
    std::vector<io::VmRange> parsed;
    bool faults = false;
    auto parse = [&]() -> Result<void> {
        const int64_t have = nom.first + static_cast<int64_t>(bytes.size());
        if (static_cast<int64_t>(mine.end) > have) {
            auto more = io::read_file_range(path, have, static_cast<int64_t>(mine.end) - have);
            if (!more) return tl::unexpected(more.error());
            bytes += *more;
        }
        bytes.resize(std::max<size_t>(mine.end, static_cast<size_t>(nom.first)) -
                     static_cast<size_t>(nom.first));
        if (mine.end <= mine.begin) return {};
        const size_t local_begin = mine.begin - static_cast<size_t>(nom.first);
        const std::vector<io::CsvChunk> parts =
            io::split_records(bytes, local_begin, mine.line,
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
