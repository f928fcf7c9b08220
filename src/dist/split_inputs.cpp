#include "src/dist/split_inputs.hpp"

#include <algorithm>
#include <climits>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "io/traffic_csv.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/flat.hpp"
#include "src/util/assert.hpp"

namespace fp::dist {
namespace {

bool any_rank(bool mine, Communicator& comm) { return allreduce_max(int64_t{mine}, comm) != 0; }

// This rank's VM of an id the directory placed here.
int32_t local_vm(const model::Fleet& mine, std::string_view id) {
    auto v = mine.vm_index(std::string(id));
    FP_ASSERT(v.has_value());  // the directory sent it to the owner of the VM's shard
    return *v;
}

// The fault path: the whole fleet and the one-process reader's result, or its error.
template <typename Read>
auto read_whole(const SplitFleet& fleet, Read read, Communicator& comm) -> Result<
    std::pair<model::Fleet, typename decltype(read(std::declval<model::Fleet&>()))::value_type>> {
    using T = typename decltype(read(std::declval<model::Fleet&>()))::value_type;
    std::optional<std::pair<model::Fleet, T>> out;
    auto whole = [&]() -> Result<void> {
        auto f = fleet.whole_fleet();
        if (!f) return tl::unexpected(f.error());
        auto v = read(*f);
        if (!v) return tl::unexpected(v.error());
        out.emplace(std::move(*f), std::move(*v));
        return {};
    };
    if (auto r = run_agreed(whole, comm); !r) return tl::unexpected(r.error());
    return std::move(*out);
}

// This rank's part of a one-process history (the fault path, when the reader found nothing).
model::History history_part(const model::Fleet& whole, model::History h, const model::Fleet& mine) {
    model::History out;
    out.interval_s = h.interval_s;
    out.length = h.length;
    for (auto [from, to] :
         {std::pair{&h.cpu, &out.cpu}, std::pair{&h.mem, &out.mem}, std::pair{&h.net, &out.net}}) {
        to->resize(mine.vms.size());
        for (size_t i = 0; i < mine.vms.size(); ++i)
            (*to)[i] = std::move((*from)[static_cast<size_t>(*whole.vm_index(mine.vms[i].id))]);
    }
    return out;
}

}  // namespace

Result<SplitHistory> read_history_split(const std::string& path, const SplitFleet& fleet,
                                        Communicator& comm) {
    const model::Fleet& mine = fleet.mine;
    SplitHistory out;
    bool fault = false;
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) {
        // PlanetLab: each rank reads the files of its own VMs.
        std::vector<std::string> names;
        int64_t matched = 0;
        auto read = [&]() -> Result<void> {
            auto n = io::planetlab_names(path);
            if (!n) return tl::unexpected(n.error());
            names = std::move(*n);
            auto load = io::load_planetlab_subset(path, names, mine, matched);
            if (load)
                out.load = std::move(*load);
            else
                fault = true;  // its messages come from the one-process reader below
            return {};
        };
        if (auto r = run_agreed(read, comm); !r) return tl::unexpected(r.error());
        out.rows_parsed = matched;
        fault = any_rank(fault, comm) ||
                allreduce_sum(matched, comm) != static_cast<int64_t>(names.size());
        out.load.history.length =
            static_cast<int32_t>(allreduce_max(int64_t{out.load.history.length}, comm));
    } else {
        auto csv = read_csv_split(path, "history-split", comm);
        if (!csv) return tl::unexpected(csv.error());
        out.rows_parsed = static_cast<int64_t>(csv->rows.size());
        fault = csv->fault;
        // Samples to their VM's bucket: [time][line][mask][cpu][mem][net].
        std::vector<std::string> to_bucket(static_cast<size_t>(comm.size()));
        auto pack = [&]() -> Result<void> {
            if (fault) return {};
            io::ErrorList errors;
            const io::HistoryColumns cols =
                io::history_columns(csv->header, path, errors, out.load.warnings);
            if (!errors.empty()) {
                fault = true;
                return {};
            }
            std::string payload;
            for (const io::CsvRow& row : csv->rows) {
                auto r = io::parse_history_row(row, cols, path, nullptr, errors);
                if (!r) {
                    fault = true;
                    return {};
                }
                payload.clear();
                flat::append(payload, r->sample.time_s);
                flat::append(payload, r->sample.line);
                uint8_t mask = 0;
                for (int d = 0; d < model::kDims; ++d)
                    if (r->sample.value[static_cast<size_t>(d)]) mask |= uint8_t(1u << d);
                flat::append(payload, mask);
                for (int d = 0; d < model::kDims; ++d)
                    flat::append(payload, r->sample.value[static_cast<size_t>(d)].value_or(0.0f));
                add_keyed(to_bucket, r->vm, payload);
            }
            csv->rows = {};
            return {};
        };
        if (auto r = run_agreed(pack, comm); !r) return tl::unexpected(r.error());
        fault = any_rank(fault, comm);
        std::vector<std::vector<io::HistorySample>> per_vm(mine.vms.size());
        int64_t given = 0;
        if (!fault) {
            bool unknown = false;
            auto got = route_by_vm(
                "history-split", std::move(to_bucket), fleet.directory,
                [&](const Keyed&, int32_t shard, std::string&) {
                    if (shard < 0) {
                        unknown = true;
                        return -1;
                    }
                    return fleet.shard_owner[static_cast<size_t>(shard)];
                },
                comm);
            if (!got) return tl::unexpected(got.error());
            const Result<void> unpacked = local_step("history-split", "unpack", comm, [&] {
                for (const std::string& b : *got) {
                    flat::Reader r(b, "history samples");
                    while (!r.done()) {
                        const int32_t v = local_vm(mine, r.get_view());
                        r.get<uint32_t>();  // the payload's length
                        io::HistorySample s;
                        s.time_s = r.get<int64_t>();
                        s.line = r.get<int64_t>();
                        const auto mask = r.get<uint8_t>();
                        for (int d = 0; d < model::kDims; ++d) {
                            const auto x = r.get<float>();
                            if (mask & (1u << d)) s.value[static_cast<size_t>(d)] = x;
                        }
                        per_vm[static_cast<size_t>(v)].push_back(s);
                        ++given;
                    }
                }
            });
            if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
            fault = any_rank(unknown, comm);
        }
        int64_t interval = 0;
        if (!fault) {
            io::ErrorList errors;
            const int64_t local = io::sort_history_samples(per_vm, mine, path, errors);
            fault = any_rank(!errors.empty(), comm);
            // The smallest positive step over every rank's VMs.
            const int64_t m = allreduce_max(local > 0 ? INT64_MAX - local : int64_t{0}, comm);
            interval = m > 0 ? INT64_MAX - m : io::kDefaultHistoryIntervalS;
        }
        std::vector<int64_t> lengths;
        if (!fault) {
            io::ErrorList errors;
            int64_t total = 0;
            lengths = io::history_lengths(per_vm, mine, interval, io::kMaxHistorySeriesLength, path,
                                          errors, total);
            fault = any_rank(!errors.empty(), comm);
            const int64_t total_all = allreduce_sum(total, comm);
            const int64_t given_all = allreduce_sum(given, comm);
            fault =
                fault || !io::history_fill_bounded(total_all, given_all, interval, path, errors);
        }
        if (!fault) {
            out.load.history = io::fill_history(per_vm, lengths, interval);
            out.load.history.length =
                static_cast<int32_t>(allreduce_max(int64_t{out.load.history.length}, comm));
        }
    }
    if (!fault) return out;
    auto whole = read_whole(
        fleet, [&](const model::Fleet& f) { return io::load_history_with_warnings(path, f); },
        comm);
    if (!whole) return tl::unexpected(whole.error());
    out.load.warnings = std::move(whole->second.warnings);
    out.load.history = history_part(whole->first, std::move(whole->second.history), mine);
    return out;
}

Result<SplitTraffic> read_traffic_split(const std::string& path, const SplitFleet& fleet,
                                        Communicator& comm) {
    const model::Fleet& mine = fleet.mine;
    const int P = comm.size();
    SplitTraffic out;
    auto csv = read_csv_split(path, "traffic-split", comm);
    if (!csv) return tl::unexpected(csv.error());
    out.digest = csv->digest;
    out.rows_parsed = static_cast<int64_t>(csv->rows.size());
    bool fault = csv->fault;
    // A pair to the bucket of its smaller id: [larger id][mbps][line].
    std::vector<std::string> to_bucket(static_cast<size_t>(P));
    auto pack = [&]() -> Result<void> {
        if (fault) return {};
        io::ErrorList errors;
        const auto cols = io::traffic_columns(csv->header, path, errors);
        if (!cols) {
            fault = true;
            return {};
        }
        std::string payload;
        for (const io::CsvRow& row : csv->rows) {
            auto r = io::parse_traffic_row(row, *cols, path, nullptr, errors);
            if (!r) {
                fault = true;
                return {};
            }
            const auto [lo, hi] = std::minmax(r->vm_a, r->vm_b);
            payload.clear();
            flat::append_str(payload, hi);
            flat::append(payload, r->mbps);
            add_keyed(to_bucket, lo, payload);
        }
        csv->rows = {};
        return {};
    };
    if (auto r = run_agreed(pack, comm); !r) return tl::unexpected(r.error());
    fault = any_rank(fault, comm);
    if (!fault) {
        // At the smaller id's bucket: its shard rides on to the larger id's bucket.
        bool unknown = false;
        auto got = route_by_vm(
            "traffic-split", std::move(to_bucket), fleet.directory,
            [&](const Keyed& k, int32_t shard, std::string& extra) {
                if (shard < 0) {
                    unknown = true;
                    return -1;
                }
                flat::append(extra, shard);
                return VmDirectory::bucket(flat::Reader(k.payload, "traffic").get_view(), P);
            },
            comm);
        if (!got) return tl::unexpected(got.error());
        // At the larger id's bucket: its shard, the duplicate check, then the owner of a pair
        // within one shard gets [lo][hi][mbps].
        Result<std::vector<std::string>> to_owner =
            std::vector<std::string>(static_cast<size_t>(P));
        if (auto r = local_step("traffic-split.to-owner", "pack", comm,
                                [&] {
                                    std::set<std::pair<std::string_view, std::string_view>> seen;
                                    for (const std::string& b : *got) {
                                        flat::Reader r(b, "traffic pairs");
                                        while (!r.done()) {
                                            const std::string_view lo = r.get_view();
                                            r.get<uint32_t>();  // the payload's length
                                            const std::string_view hi = r.get_view();
                                            const auto mbps = r.get<double>();
                                            const auto shard_lo = r.get<int32_t>();
                                            const int32_t shard_hi = fleet.directory.shard(hi);
                                            if (shard_hi < 0 || !seen.emplace(lo, hi).second) {
                                                unknown = true;  // unknown VM or duplicate pair
                                                continue;
                                            }
                                            if (shard_lo != shard_hi) continue;  // never used
                                            std::string& o = (*to_owner)[static_cast<size_t>(
                                                fleet.shard_owner[static_cast<size_t>(shard_hi)])];
                                            flat::append_str(o, lo);
                                            flat::append_str(o, hi);
                                            flat::append(o, mbps);
                                        }
                                    }
                                });
            !r)
            to_owner = tl::unexpected(r.error());
        auto at_owner = all_to_all_bytes("traffic-split.to-owner", to_owner, comm);
        if (!at_owner) return tl::unexpected(at_owner.error());
        fault = any_rank(unknown, comm);
        const Result<void> unpacked = local_step("traffic-split", "unpack", comm, [&] {
            if (fault) return;
            out.traffic.neighbours.resize(mine.vms.size());
            for (const std::string& b : *at_owner) {
                flat::Reader r(b, "traffic pairs");
                while (!r.done()) {
                    const int32_t a = local_vm(mine, r.get_view());
                    const int32_t c = local_vm(mine, r.get_view());
                    const auto mbps = r.get<double>();
                    out.traffic.neighbours[static_cast<size_t>(a)].push_back({c, mbps});
                    out.traffic.neighbours[static_cast<size_t>(c)].push_back({a, mbps});
                }
            }
            for (auto& n : out.traffic.neighbours)
                std::sort(n.begin(), n.end(),
                          [](const auto& x, const auto& y) { return x.vm < y.vm; });
        });
        if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    }
    if (!fault) return out;
    auto whole = read_whole(
        fleet,
        [&](const model::Fleet& f) -> Result<model::Traffic> {
            auto text = io::read_file(path);
            if (!text) return tl::unexpected(text.error());
            return io::parse_traffic(*text, path, f);
        },
        comm);
    if (!whole) return tl::unexpected(whole.error());
    // The pairs of this rank's VMs (its shards' pairs among them).
    const model::Fleet& all = whole->first;
    out.traffic = model::Traffic{};
    out.traffic.neighbours.resize(mine.vms.size());
    for (size_t i = 0; i < mine.vms.size(); ++i)
        for (const model::TrafficEdge& e :
             whole->second.neighbours[static_cast<size_t>(*all.vm_index(mine.vms[i].id))])
            if (auto v = mine.vm_index(all.vms[static_cast<size_t>(e.vm)].id))
                out.traffic.neighbours[i].push_back({*v, e.mbps});
    for (auto& n : out.traffic.neighbours)
        std::sort(n.begin(), n.end(), [](const auto& x, const auto& y) { return x.vm < y.vm; });
    return out;
}

Result<SplitPrevious> read_previous_split(const std::string& path, const SplitFleet* fleet,
                                          Communicator& comm) {
    FP_ASSERT(fleet || comm.size() == 1);
    SplitPrevious out;
    auto read = [&]() -> Result<void> {
        auto p = io::read_previous(path, comm.rank(), comm.size());
        if (!p) return tl::unexpected(p.error());
        out.prev = std::move(*p);
        return {};
    };
    if (auto r = run_agreed(read, comm); !r) return tl::unexpected(r.error());
    out.rows_read = out.prev.rows_read;
    // Every range's checksums, joined in row order (the same verdict on every rank).
    std::vector<int64_t> mine;
    for (const io::ColumnSum& s : out.prev.sums) {
        mine.push_back(s.crc);
        mine.push_back(s.bytes);
    }
    auto all = allgather_i64("previous-split.sums", mine, comm);
    if (!all) return tl::unexpected(all.error());
    std::vector<std::vector<io::ColumnSum>> ranges;
    for (const std::vector<int64_t>& v : *all) {
        ranges.emplace_back();
        for (size_t k = 0; k + 1 < v.size(); k += 2)
            ranges.back().push_back({static_cast<uint32_t>(v[k]), v[k + 1]});
    }
    if (auto r = io::verify_previous_rows(path, out.prev, ranges); !r)
        return tl::unexpected(r.error());
    if (!fleet) return out;
    // The moved ids to their VMs' owners.
    std::vector<std::string> to_bucket(static_cast<size_t>(comm.size()));
    for (const std::string& id : out.prev.moved_ids) add_keyed(to_bucket, id, {});
    out.prev.moved_ids.clear();
    auto got = route_by_vm(
        "previous-split", std::move(to_bucket), fleet->directory,
        [&](const Keyed&, int32_t shard, std::string&) {
            return shard < 0 ? -1 : fleet->shard_owner[static_cast<size_t>(shard)];
        },
        comm);
    if (!got) return tl::unexpected(got.error());
    const Result<void> unpacked = local_step("previous-split", "unpack", comm, [&] {
        for (const std::string& b : *got) {
            flat::Reader r(b, "moved VM ids");
            while (!r.done()) {
                out.prev.moved_ids.push_back(r.get_str());
                r.get_view();  // the (empty) payload
            }
        }
        std::sort(out.prev.moved_ids.begin(), out.prev.moved_ids.end());
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    return out;
}

}  // namespace fp::dist
