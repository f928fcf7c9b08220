#include "src/dist/split_file.hpp"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/record_split.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/flat.hpp"
#include "src/util/hash.hpp"

namespace fp::dist {
namespace {

constexpr int64_t kBlock = static_cast<int64_t>(io::kDigestBlockBytes);

}  // namespace

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

Result<std::vector<std::vector<int64_t>>> allgather_i64(std::string_view collective,
                                                        const std::vector<int64_t>& mine,
                                                        Communicator& comm) {
    auto all = allgather_bytes(collective, pack_i64(mine), comm);
    if (!all) return tl::unexpected(all.error());
    std::vector<std::vector<int64_t>> out;
    for (const std::string& b : *all) out.push_back(unpack_i64(b));
    return out;
}

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

Result<RecordRange> read_record_range(const std::string& path, int64_t size, int64_t body,
                                      int64_t body_line, std::string_view name,
                                      Communicator& comm) {
    const int P = comm.size();
    const int me = comm.rank();
    const std::string counts_name = std::string(name) + ".counts";
    const std::string starts_name = std::string(name) + ".starts";
    RecordRange out;

    // ---- My nominal range: its bytes, counts and block digests.
    const NominalRange nom = nominal_range(size, me, P);
    out.first = nom.first;
    // The bytes this rank scans: its nominal range, less the header on rank 0.
    const int64_t scan_from = std::max(nom.first, std::min(body, nom.last));
    std::vector<int64_t> counts_mine;
    auto read_nominal = [&]() -> Result<void> {
        auto b = io::read_file_range(path, nom.first, nom.read_end - nom.first);
        if (!b) return tl::unexpected(b.error());
        out.bytes = std::move(*b);
        if (static_cast<int64_t>(out.bytes.size()) != nom.read_end - nom.first)
            return fail(ErrorCode::kEnvironment, path + ": changed while being read (expected " +
                                                     std::to_string(size) + " bytes)");
        // My digest blocks: those starting in my range (the last may run past it).
        const auto skip = static_cast<size_t>((kBlock - nom.first % kBlock) % kBlock);
        std::vector<uint64_t> digests(static_cast<size_t>(nom.blocks));
        tbb::parallel_for(size_t{0}, digests.size(), [&](size_t b) {
            digests[b] = io::block_digest(std::string_view(out.bytes).substr(
                skip + b * io::kDigestBlockBytes, io::kDigestBlockBytes));
        });
        const io::BlockCounts c = io::count_block(std::string_view(out.bytes).substr(
            static_cast<size_t>(scan_from - nom.first), static_cast<size_t>(nom.last - scan_from)));
        counts_mine = {c.quotes, c.newlines};
        for (uint64_t d : digests) counts_mine.push_back(static_cast<int64_t>(d));
        return {};
    };
    if (auto r = run_agreed(read_nominal, comm); !r) return tl::unexpected(r.error());
    auto all_counts = allgather_i64(counts_name, counts_mine, comm);
    if (!all_counts) return tl::unexpected(all_counts.error());
    std::vector<io::BlockCounts> counts(static_cast<size_t>(P));
    std::vector<uint64_t> block_digests;
    for (int r = 0; r < P; ++r) {
        const std::vector<int64_t>& v = (*all_counts)[static_cast<size_t>(r)];
        counts[static_cast<size_t>(r)] = {v.at(0), v.at(1)};
        for (size_t k = 2; k < v.size(); ++k) block_digests.push_back(static_cast<uint64_t>(v[k]));
    }
    out.digest = io::combine_block_digests(block_digests);
    const std::vector<io::ScanState> states = io::scan_blocks(counts, io::ScanState{0, body_line});

    // ---- Record starts; every rank's range; the bytes mine runs into.
    std::optional<io::RecordStart> start;
    if (me == 0) {
        start = io::RecordStart{static_cast<size_t>(scan_from - nom.first), body_line};
    } else if (scan_from < nom.last) {
        start = io::find_record_start(
            std::string_view(out.bytes).substr(static_cast<size_t>(scan_from - nom.first),
                                               static_cast<size_t>(nom.last - scan_from)),
            states[static_cast<size_t>(me)]);
        if (start) start->offset += static_cast<size_t>(scan_from - nom.first);
    }
    // (absolute offset or -1, line) of every rank's first record start.
    auto all_starts = allgather_i64(
        starts_name,
        {start ? nom.first + static_cast<int64_t>(start->offset) : -1, start ? start->line : 0},
        comm);
    if (!all_starts) return tl::unexpected(all_starts.error());
    std::vector<size_t> block_begin;
    std::vector<std::optional<io::RecordStart>> found;
    for (int r = 0; r < P; ++r) {
        const NominalRange n = nominal_range(size, r, P);
        const std::vector<int64_t>& v = (*all_starts)[static_cast<size_t>(r)];
        block_begin.push_back(static_cast<size_t>(n.first));
        found.push_back(v.at(0) < 0 ? std::nullopt
                                    : std::optional<io::RecordStart>(io::RecordStart{
                                          static_cast<size_t>(v[0] - n.first), v[1]}));
    }
    out.mine = io::resolve_ranges(block_begin, found, static_cast<size_t>(body), body_line,
                                  static_cast<size_t>(size))[static_cast<size_t>(me)];
    auto read_rest = [&]() -> Result<void> {
        const int64_t have = nom.first + static_cast<int64_t>(out.bytes.size());
        if (static_cast<int64_t>(out.mine.end) > have) {
            auto more = io::read_file_range(path, have, static_cast<int64_t>(out.mine.end) - have);
            if (!more) return tl::unexpected(more.error());
            out.bytes += *more;
        }
        out.bytes.resize(std::max<size_t>(out.mine.end, static_cast<size_t>(nom.first)) -
                         static_cast<size_t>(nom.first));
        return {};
    };
    if (auto r = run_agreed(read_rest, comm); !r) return tl::unexpected(r.error());
    return out;
}

Result<CsvSplit> read_csv_split(const std::string& path, std::string_view name,
                                Communicator& comm) {
    CsvSplit out;
    // ---- Size and header (every rank the same; a few bytes).
    int64_t size = 0, body = 0, body_line = 1;
    auto head = [&]() -> Result<void> {
        auto s = io::regular_file_size(path);
        if (!s) return tl::unexpected(s.error());
        size = *s;
        for (int64_t want = 64 << 10;; want *= 4) {
            auto h = io::read_file_range(path, 0, std::min(want, size));
            if (!h) return tl::unexpected(h.error());
            std::string_view text = *h;
            const size_t bom = text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
            const auto start = io::find_record_start(text, io::ScanState{});
            const bool whole = static_cast<int64_t>(text.size()) >= size;
            if (!start && !whole) continue;
            const size_t end = start ? start->offset : text.size();
            // The header alone, at the file's first byte (after a byte-order mark).
            io::ErrorList errors;
            std::vector<io::CsvRow> none;
            const std::string_view record = text.substr(bom, end - std::min(end, bom));
            const bool blank = record.empty() || record[0] == '\n' || record[0] == '\r';
            if (blank || !io::parse_csv_records(record, 1, path, out.header, false, errors, none) ||
                !errors.empty() || !none.empty() || !start) {
                out.fault = true;  // read whole: an empty file, blank lines, a fault, no body
                body = size;
            } else {
                body = static_cast<int64_t>(start->offset);
                body_line = start->line;
            }
            return {};
        }
    };
    if (auto r = run_agreed(head, comm); !r) return tl::unexpected(r.error());
    auto range = read_record_range(path, size, body, body_line, name, comm);
    if (!range) return tl::unexpected(range.error());
    out.digest = range->digest;

    // ---- My rows (TBB over 1 MiB sub-ranges).
    auto parse = [&]() -> Result<void> {
        const io::CsvChunk mine = range->local();
        if (mine.end <= mine.begin || out.fault) return {};
        const std::string_view bytes = std::string_view(range->bytes).substr(0, mine.end);
        const std::vector<io::CsvChunk> parts =
            io::split_records(bytes, mine.begin, mine.line,
                              std::max<size_t>(1, (mine.end - mine.begin) / io::kDigestBlockBytes));
        std::vector<std::vector<io::CsvRow>> rows(parts.size());
        std::vector<uint8_t> faults(parts.size(), 0);
        tbb::parallel_for(size_t{0}, parts.size(), [&](size_t k) {
            io::ErrorList errors;
            std::vector<std::string> header = out.header;
            io::parse_csv_records(bytes.substr(parts[k].begin, parts[k].end - parts[k].begin),
                                  parts[k].line, path, header, true, errors, rows[k]);
            faults[k] = !errors.empty();
        });
        size_t n = 0;
        for (size_t k = 0; k < parts.size(); ++k) {
            out.fault |= faults[k] != 0;
            n += rows[k].size();
        }
        out.rows.reserve(n);
        for (auto& part : rows)
            out.rows.insert(out.rows.end(), std::make_move_iterator(part.begin()),
                            std::make_move_iterator(part.end()));
        return {};
    };
    if (auto r = run_agreed(parse, comm); !r) return tl::unexpected(r.error());
    return out;
}

int VmDirectory::bucket(std::string_view id, int ranks) {
    return io::vm_id_bucket(fnv1a64(id), ranks);
}

int32_t VmDirectory::shard(std::string_view id) const {
    auto it = shard_.find(id);
    return it == shard_.end() ? -1 : it->second;
}

Result<VmDirectory> VmDirectory::build(const std::vector<model::Vm>& vms,
                                       const std::vector<int32_t>& shard_of, Communicator& comm) {
    const int P = comm.size();
    VmDirectory dir;
    Result<std::vector<std::string>> parts = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step("vm-directory", "pack", comm,
                            [&] {
                                for (size_t i = 0; i < vms.size(); ++i) {
                                    std::string& b =
                                        (*parts)[static_cast<size_t>(bucket(vms[i].id, P))];
                                    flat::append(b, shard_of[i]);
                                    flat::append_str(b, vms[i].id);
                                }
                            });
        !r)
        parts = tl::unexpected(r.error());
    auto in = all_to_all_bytes("vm-directory", parts, comm);
    if (!in) return tl::unexpected(in.error());
    const Result<void> built = local_step("vm-directory", "unpack", comm, [&] {
        size_t bytes = 0;
        for (const std::string& b : *in) bytes += b.size();
        dir.ids_->reserve(bytes);
        for (const std::string& b : *in) *dir.ids_ += b;
        in->clear();
        dir.shard_.reserve(bytes / 16);
        flat::Reader r(*dir.ids_, "VM directory");
        while (!r.done()) {
            const auto shard = r.get<int32_t>();
            dir.shard_.emplace(r.get_view(), shard);
        }
    });
    if (auto r = agree(built, comm); !r) return tl::unexpected(r.error());
    return dir;
}

void add_keyed(std::vector<std::string>& to_bucket, std::string_view id, std::string_view payload) {
    std::string& b =
        to_bucket[static_cast<size_t>(VmDirectory::bucket(id, static_cast<int>(to_bucket.size())))];
    flat::append_str(b, id);
    flat::append_str(b, payload);
}

Result<std::vector<std::string>> route_by_vm(std::string_view name,
                                             std::vector<std::string> to_bucket,
                                             const VmDirectory& dir, const Forward& forward,
                                             Communicator& comm) {
    const int P = comm.size();
    const std::string first = std::string(name) + ".to-bucket";
    const std::string second = std::string(name) + ".to-owner";
    auto at_bucket = all_to_all_bytes(first, std::move(to_bucket), comm);
    if (!at_bucket) return tl::unexpected(at_bucket.error());
    Result<std::vector<std::string>> onward = std::vector<std::string>(static_cast<size_t>(P));
    if (auto r = local_step(
            second, "pack", comm,
            [&] {
                std::string extra;
                for (std::string& b : *at_bucket) {
                    flat::Reader r(b, "keyed rows");
                    while (!r.done()) {
                        Keyed k;
                        k.id = r.get_view();
                        k.payload = r.get_view();
                        extra.clear();
                        const int to = forward(k, dir.shard(k.id), extra);
                        if (to < 0) continue;
                        std::string& o = (*onward)[static_cast<size_t>(to)];
                        flat::append_str(o, k.id);
                        flat::append(o, static_cast<uint32_t>(k.payload.size() + extra.size()));
                        o += k.payload;
                        o += extra;
                    }
                    b = std::string();
                }
            });
        !r)
        onward = tl::unexpected(r.error());
    at_bucket = std::vector<std::string>();
    return all_to_all_bytes(second, onward, comm);
}

}  // namespace fp::dist
