#include "src/dist/plan_driver.hpp"

#include <tbb/parallel_for.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "io/history.hpp"
#include "io/output_commit.hpp"
#include "io/plan_writer.hpp"
#include "io/traffic_csv.hpp"
#include "src/dist/collectives.hpp"
#include "src/dist/flat.hpp"
#include "src/dist/split_inputs.hpp"
#include "src/dist/split_vms.hpp"
#include "src/dist/wire.hpp"
#include "src/plan/planner.hpp"
#include "src/plan/replan.hpp"
#include "src/plan/sharded.hpp"
#include "src/plan/summary.hpp"
#include "src/policy/registry.hpp"
#include "src/util/assert.hpp"
#include "src/util/duration.hpp"
#include "src/util/iso8601.hpp"
#include "src/util/text.hpp"

namespace fp::dist {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

struct PlanInputs {
    model::Fleet fleet;
    std::string config_toml;  // a config file's text (or the checkpoint's expanded config)
    std::string config_name;  // for messages
    std::vector<std::string> evacuate_ids;
    std::vector<std::pair<std::string, std::string>> digests;
    io::ConfigOverrides overrides;
    std::string now;
    int64_t now_s = -1;
    model::History history;
    model::Traffic traffic;
    std::vector<uint8_t> frozen;                     // from --previous (or the resumed checkpoint)
    std::optional<io::PreviousCheckpoint> previous;  // its moved_ids: this rank's VMs' (split)
    std::string fleet_changes;  // JSON object, "" when no --previous and no --missing-hosts
    std::optional<std::vector<std::string>> missing_hosts;  // --missing-hosts, sorted
};

// summary.json's and the checkpoint's form of the fleet changes.
std::string fleet_changes_json(const plan::FleetChanges& c) {
    nlohmann::ordered_json j;
    j["hosts_added"] = c.hosts_added;
    j["hosts_removed"] = c.hosts_removed;
    j["hosts_entered_maintenance"] = c.hosts_entered_maintenance;
    j["new_vms"] = c.new_vms;
    return j.dump();
}

// io::read_checkpoint is not thread-safe (HDF5 without its thread-safe build): in-process
// ranks read one at a time.
Result<io::Checkpoint> read_checkpoint_locked(const std::string& path) {
    static std::mutex m;
    std::lock_guard lock(m);
    return io::read_checkpoint(path);
}

// The hosts --evacuate or --evacuate-file names. The file's ids are checked against the fleet
// here, to name their line; run_plan checks every evacuated host (these and a resumed
// checkpoint's) against the fleet once more, which covers --evacuate's. The file has one
// id per line; blank lines and lines starting with '#' are skipped, a UTF-8 byte-order mark and
// blanks around an id are not part of it, and errors read FILE:LINE: what. Lines end at LF (a
// CRLF's CR is dropped); a file with lone CRs is one line.
Result<std::vector<std::string>> evacuate_list(const Args& args, const model::Fleet& fleet) {
    std::vector<std::string> ids;
    if (auto e = args.get("evacuate")) {
        size_t start = 0;
        while (start <= e->size()) {
            const size_t comma = e->find(',', start);
            const std::string id =
                e->substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (id.empty()) return bad_input("--evacuate: empty host id in " + in_quotes(*e));
            if (auto fault = id_fault(id)) return bad_input("--evacuate: " + *fault);
            ids.push_back(id);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
    }
    if (auto f = args.get("evacuate-file")) {
        auto text = io::read_file(*f);
        if (!text) return tl::unexpected(text.error());
        io::ErrorList errors;
        std::string_view rest = *text;
        if (rest.substr(0, 3) == "\xEF\xBB\xBF") rest.remove_prefix(3);
        for (int64_t line_no = 1; !rest.empty(); ++line_no) {
            const size_t nl = std::min(rest.find('\n'), rest.size());
            std::string_view id = rest.substr(0, nl);
            rest.remove_prefix(std::min(nl + 1, rest.size()));
            while (!id.empty() && (id.back() == '\r' || id.back() == ' ' || id.back() == '\t'))
                id.remove_suffix(1);
            while (!id.empty() && (id.front() == ' ' || id.front() == '\t')) id.remove_prefix(1);
            if (id.empty() || id[0] == '#') continue;
            if (auto fault = id_fault(id)) {
                errors.add(*f, line_no, "host", *fault);
            } else if (!fleet.host_index(std::string(id))) {
                errors.add(*f, line_no, "host", "unknown host " + in_quotes(id));
            } else {
                ids.emplace_back(id);
            }
        }
        if (!errors.empty()) return tl::unexpected(errors.to_error());
    }
    return ids;
}

// ---- The checkpoint's VM rows, written by every rank (io/checkpoint.hpp, VmPartWriter).

// Removes this run's part files unless released (the run committed its outputs).
struct PartsGuard {
    std::vector<std::string> paths;
    void release() { paths.clear(); }
    ~PartsGuard() {
        for (const std::string& p : paths) ::unlink(p.c_str());
    }
};

// Every rank writes the VM rows of its shards to its part file; the ranks first agree on the
// run's token (rank 0's), on the string columns' widths and on the dictionary codes. Returns
// the token and, on rank 0, what joins the parts into checkpoint.h5.
Result<std::pair<std::string, io::VmParts>> write_vm_parts(
    const std::vector<plan::ShardInput>& inputs, const plan::ShardMap& map,
    const std::vector<int64_t>& shard_rows, const std::string& out_dir, Communicator& comm) {
    auto token = broadcast_bytes(
        "ckpt-parts-token",
        Result<std::string>(comm.rank() == 0 ? io::hex64((uint64_t{std::random_device{}()} << 32) ^
                                                         std::random_device{}())
                                             : std::string()),
        0, comm);
    if (!token) return tl::unexpected(token.error());
    const std::string name = io::part_file_name(*token, comm.rank());
    PartsGuard mine_guard;
    mine_guard.paths.push_back(out_dir + "/" + name);
    std::optional<io::VmPartWriter> writer;
    std::string layout;
    auto prepare = [&]() -> Result<void> {
        std::vector<const plan::ShardInput*> order;
        for (const plan::ShardInput& si : inputs) order.push_back(&si);
        std::sort(order.begin(), order.end(),
                  [](const auto* a, const auto* b) { return a->shard < b->shard; });
        io::VmPartRows rows;
        for (const plan::ShardInput* si : order) {
            const std::vector<int32_t>& hosts_of = map.hosts[static_cast<size_t>(si->shard)];
            rows.shards.push_back(si->shard);
            rows.shard_rows.push_back(static_cast<int64_t>(si->fleet.vms.size()));
            for (const model::Vm& v : si->fleet.vms) {
                rows.rows.push_back(&v);
                rows.hosts.push_back(v.is_new() ? v.host : hosts_of[static_cast<size_t>(v.host)]);
            }
        }
        writer.emplace(std::move(rows));
        for (int64_t w : writer->widths()) flat::append<int64_t>(layout, w);
        for (const auto& names : writer->names()) {
            flat::append<int64_t>(layout, static_cast<int64_t>(names.size()));
            for (const std::string& n : names) flat::append_str(layout, n);
        }
        return {};
    };
    if (auto r = run_agreed(prepare, comm); !r) return tl::unexpected(r.error());
    auto layouts = allgather_bytes("ckpt-parts-layout", layout, comm);
    if (!layouts) return tl::unexpected(layouts.error());
    const size_t cols = writer->names().size();
    std::vector<int64_t> widths(cols, 0);
    std::vector<int32_t> code_base(cols, 0);
    std::vector<std::vector<std::string>> names(cols);
    for (size_t r = 0; r < layouts->size(); ++r) {
        flat::Reader b((*layouts)[r], "checkpoint part layouts");
        for (size_t k = 0; k < cols; ++k) widths[k] = std::max(widths[k], b.get<int64_t>());
        for (size_t k = 0; k < cols; ++k) {
            const int64_t n = b.get<int64_t>();
            if (static_cast<int>(r) == comm.rank())
                code_base[k] = static_cast<int32_t>(names[k].size());
            for (int64_t i = 0; i < n; ++i) names[k].push_back(b.get_str());
        }
    }
    layouts->clear();
    std::string sums;
    auto write = [&]() -> Result<void> {
        auto crc = writer->write(out_dir + "/" + name, widths, code_base);
        if (!crc) return tl::unexpected(crc.error());
        flat::append<int64_t>(sums, writer->rows());
        for (size_t k = 0; k < cols; ++k) {
            flat::append<int64_t>(sums, static_cast<int64_t>((*crc)[k].size()));
            for (uint32_t c : (*crc)[k]) flat::append<int64_t>(sums, c);
        }
        return {};
    };
    if (auto r = run_agreed(write, comm); !r) return tl::unexpected(r.error());
    writer.reset();
    auto all = gather_bytes("ckpt-parts-sums", sums, comm);
    if (!all) return tl::unexpected(all.error());
    mine_guard.release();  // rank 0 guards them all from here
    io::VmParts parts;
    if (comm.rank() != 0) return std::pair{*token, std::move(parts)};
    const std::vector<int32_t> owner = plan::shard_owners(map, comm.size());
    const auto ranks = static_cast<size_t>(comm.size());
    std::vector<std::vector<std::vector<uint32_t>>> crc(ranks);  // rank, column, own shard
    for (size_t r = 0; r < ranks; ++r) {
        flat::Reader b((*all)[r], "checkpoint part checksums");
        parts.files.push_back(io::part_file_name(*token, static_cast<int>(r)));
        parts.part_rows.push_back(b.get<int64_t>());
        crc[r].resize(cols);
        for (size_t k = 0; k < cols; ++k) {
            const int64_t n = b.get<int64_t>();
            for (int64_t i = 0; i < n; ++i)
                crc[r][k].push_back(static_cast<uint32_t>(b.get<int64_t>()));
        }
    }
    // A rank's part holds its shards in increasing order (prepare above), every owned shard.
    std::vector<int64_t> first(ranks, 0);
    std::vector<size_t> nth(ranks, 0);
    parts.crc.assign(cols, {});
    for (size_t sh = 0; sh < shard_rows.size(); ++sh) {
        const auto r = static_cast<size_t>(owner[sh]);
        parts.shards.push_back({owner[sh], first[r], shard_rows[sh]});
        first[r] += shard_rows[sh];
        for (size_t k = 0; k < cols; ++k)
            parts.crc[k].push_back(nth[r] < crc[r][k].size() ? crc[r][k][nth[r]] : 0);
        ++nth[r];
    }
    for (size_t r = 0; r < ranks; ++r)
        FP_ASSERT(first[r] == parts.part_rows[r] && nth[r] == crc[r][0].size());
    parts.widths = std::move(widths);
    parts.names = std::move(names);
    return std::pair{*token, std::move(parts)};
}

// Stages the removal of every part file in DIR but this run's (token; "": all of them).
void remove_old_parts(io::OutputCommit& out, const std::string& dir, const std::string& token) {
    std::string keep;  // this run's names begin with it
    if (!token.empty()) {
        keep = io::part_file_name(token, 0);
        keep.resize(keep.size() - std::string_view("0000.h5").size());
    }
    std::error_code ec;
    std::vector<std::string> old;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
        const std::string n = e.path().filename().string();
        if (io::is_part_file_name(n) && (keep.empty() || n.rfind(keep, 0) != 0)) old.push_back(n);
    }
    std::sort(old.begin(), old.end());
    for (const std::string& n : old) out.remove(n);
}

// --history, --traffic and --previous for the fleet `in` holds: with the input split, each rank
// parses a range of each file (of the previous checkpoint's VM rows) and keeps what concerns its
// VMs (src/dist/split_inputs.hpp); else the one process reads them whole. Rows parsed per rank
// go to history_rows, traffic_rows and previous_rows.
Result<void> stage_keyed_inputs(const Args& args, const std::string& vms_path,
                                const std::vector<int32_t>& owner,
                                const std::function<int32_t(int32_t, std::string_view)>& shard_of,
                                bool split_input, PlanInputs& in,
                                std::vector<int64_t>& history_rows,
                                std::vector<int64_t>& traffic_rows,
                                std::vector<int64_t>& previous_rows, Communicator& comm) {
    const auto history = args.get("history");
    const auto traffic = args.get("traffic");
    const auto previous = args.get("previous");
    if (args.has("resume") || (!history && !traffic && !previous)) return {};
    // The previous plan's hosts, time and moved ids (of this rank's VMs when split).
    auto take_previous = [&](const SplitFleet* fleet) -> Result<void> {
        auto prev = read_previous_split(*previous, fleet, comm);
        if (!prev) return tl::unexpected(prev.error());
        in.previous = std::move(prev->prev);
        in.digests.emplace_back("previous", *previous);
        auto got = allgather_i64("previous-split.rows", {prev->rows_read}, comm);
        if (!got) return tl::unexpected(got.error());
        for (const auto& v : *got) previous_rows.push_back(v.at(0));
        return {};
    };
    auto warn = [&](const std::vector<std::string>& warnings) {
        if (comm.rank() == 0)
            for (const auto& w : warnings) std::cerr << "warning: " << w << "\n";
    };
    if (!split_input) {
        auto read = [&]() -> Result<void> {
            if (history) {
                auto hist = io::load_history_with_warnings(*history, in.fleet);
                if (!hist) return tl::unexpected(hist.error());
                warn(hist->warnings);
                in.history = std::move(hist->history);
                in.digests.emplace_back("history", *history);
                history_rows.assign(1, hist->rows);
            }
            if (traffic) {
                auto text = io::read_file(*traffic);
                if (!text) return tl::unexpected(text.error());
                auto tr = io::parse_traffic(*text, *traffic, in.fleet);
                if (!tr) return tl::unexpected(tr.error());
                int64_t pairs = 0;
                for (const auto& n : tr->neighbours) pairs += static_cast<int64_t>(n.size());
                traffic_rows.assign(1, pairs / 2);  // each row is one pair, listed both ways
                in.traffic = std::move(*tr);
                in.digests.emplace_back("traffic", *traffic + " " + io::blocked_digest_text(*text));
            }
            return {};
        };
        if (auto r = run_agreed(read, comm); !r) return r;
        return previous ? take_previous(nullptr) : Result<void>{};
    }
    // The directory of every VM's shard, by id bucket.
    std::vector<int32_t> shard_of_mine(in.fleet.vms.size());
    for (size_t i = 0; i < in.fleet.vms.size(); ++i)
        shard_of_mine[i] = shard_of(in.fleet.vms[i].host, in.fleet.vms[i].id);
    auto dir = VmDirectory::build(in.fleet.vms, shard_of_mine, comm);
    if (!dir) return tl::unexpected(dir.error());
    const SplitFleet fleet{in.fleet, *dir, owner, [&]() -> Result<model::Fleet> {
                               // The fault path: every VM row, for one process's messages.
                               auto text = io::read_file(vms_path);
                               if (!text) return tl::unexpected(text.error());
                               io::FleetLoad load;
                               load.fleet.hosts = in.fleet.hosts;
                               load.fleet.index();
                               if (auto r = io::parse_vms_into(*text, vms_path, {}, load); !r)
                                   return tl::unexpected(r.error());
                               return std::move(load.fleet);
                           }};
    auto per_rank = [&](const char* name, int64_t mine, std::vector<int64_t>& all) -> Result<void> {
        auto got = allgather_i64(name, {mine}, comm);
        if (!got) return tl::unexpected(got.error());
        for (const auto& v : *got) all.push_back(v.at(0));
        return {};
    };
    if (history) {
        auto hist = read_history_split(*history, fleet, comm);
        if (!hist) return tl::unexpected(hist.error());
        warn(hist->load.warnings);
        in.history = std::move(hist->load.history);
        in.digests.emplace_back("history", *history);
        if (auto r = per_rank("history-split.rows", hist->rows_parsed, history_rows); !r) return r;
    }
    if (traffic) {
        auto tr = read_traffic_split(*traffic, fleet, comm);
        if (!tr) return tl::unexpected(tr.error());
        in.traffic = std::move(tr->traffic);
        in.digests.emplace_back("traffic",
                                *traffic + " " + io::kBlockDigestPrefix + io::hex64(tr->digest));
        if (auto r = per_rank("traffic-split.rows", tr->rows_parsed, traffic_rows); !r) return r;
    }
    return previous ? take_previous(&fleet) : Result<void>{};
}
}  // namespace

// Every flag of `plan`, with its help, ranges and exclusions (the parser and --help both read it).
FlagSpec plan_flags() {
    FlagSpec f("plan");
    f.value("hosts", "H.csv", "the hosts: id, cpu, mem, net (CONTRACT.md), optional columns")
        .value("vms", "V.csv", "the VMs: id, host, cpu, mem, net; an empty host is a new VM")
        .value("out", "DIR", "where the outputs go (created when missing)")
        .required()
        .value("resume", "CKPT.h5",
               "recompute the plan from a checkpoint's stored inputs and config\n"
               "(with --out, --threads and the output flags only)")
        .excludes({"hosts", "vms", "goal", "evacuate", "evacuate-file", "config", "max-util",
                   "budget-migrations", "budget-mem-frac", "seed", "now", "history", "previous",
                   "traffic", "window", "missing-hosts"},
                  "it takes the inputs and config from the checkpoint")
        .value("goal", "auto|consolidate|balance|hotspot|evacuate",
               "what the plan is for (default: config, else auto)")
        .value("evacuate", "ID[,ID...]", "hosts to empty (maintenance hosts always are)")
        .value("evacuate-file", "F", "hosts to empty, one id per line (# comments)")
        .excludes({"evacuate"}, "give one of them, not both")
        .value("config", "C.toml",
               "policies and parameters (configs/*.toml; fleetplan check-config C.toml\n"
               "validates one without planning)")
        .value("max-util", "F", "utilisation limit after the plan (default 0.9)")
        .real_range(0.01, 1.0)
        .value("budget-migrations", "N", "at most N migrations")
        .int_range(0, INT64_MAX)
        .value("budget-mem-frac", "F", "at most this fraction of all VM memory moves")
        .real_range(0.0, 1.0)
        .value("history", "DIR_OR_CSV",
               "utilisation history for the forecasting triggers: a PlanetLab directory\n"
               "(one file per VM) or a CSV time,vm,cpu[,mem,net] of fractions")
        .value("previous", "CKPT.h5",
               "the last plan's checkpoint: VMs it moved stay put for plan.cooldown_s;\n"
               "summary.json lists the fleet changes since")
        .value("traffic", "traffic.csv", "vm_a,vm_b,mbps between VMs (affinity-aware placement)")
        .value("now", "ISO8601", "planning time (recorded; the wall clock is never read)")
        .value("window", "DURATION",
               "e.g. 4h: mandatory moves, then optional ones only while the\n"
               "estimated schedule ends within it")
        .value("missing-hosts", "F",
               "hosts collect could not read (its DIR/missing_hosts.csv): left out\n"
               "of the fleet (neither source nor target), listed in summary.json's\n"
               "fleet_changes.hosts_missing")
        .value("seed", "S", "seed of every random choice (default: config, else 1)")
        .int_range(0, INT64_MAX)
        .value("threads", "N", "worker threads (default: cores / ranks on this node)")
        .int_range(1, 4096)
        .flag("json", "print summary.json's object on stdout instead of the text summary")
        .flag("fail-on-unresolved",
              "exit 4 (outputs written) when summary.json lists unresolved items")
        .flag("csv-safe",
              "also write plan.spreadsheet.csv: ids beginning with = + - @ get a\n"
              "leading ' (no formula runs); plan.csv is unchanged");
    return f;
}

Result<void> run_plan(const PlanRequest& request, Communicator& comm) {
    const Args& args = request.args;
    const std::string& out_dir = request.out_dir;
    PlanInputs in;
    plan::PhaseTimes times;
    const policy::Registries registries = [] {
        policy::Registries r;
        policy::register_builtin_policies(r);
        return r;
    }();

    // A plan run that was killed while putting its outputs in place left DIR/commit.pending:
    // rank 0 finishes it before any rank reads a checkpoint from that directory (even when
    // this command then stops on bad input: that commit was another run's, and complete).
    auto settle = [&]() -> Result<void> {
        if (comm.rank() != 0) return {};
        for (const char* f : {"resume", "previous"})
            if (auto p = args.get(f))
                if (auto r = io::complete_pending_commit(io::parent_dir(*p)); !r) return r;
        return {};
    };
    if (auto r = run_agreed(settle, comm); !r) return r;

    // ---- Stage 1, every rank on its own: inputs and config. Each rank keeps the VM rows of its
    // shards only, and the history and traffic rows of those VMs.
    std::optional<io::RunConfig> rc;
    plan::ShardMap map;
    std::vector<uint8_t> mine_shards;  // per shard: does this rank plan it?
    int64_t rows_held = 0;
    std::optional<io::FleetLoad> hosts_load;
    std::string vms_path;
    // Ranks read vms.csv, --history and --traffic split (src/dist/split_vms.hpp,
    // src/dist/split_inputs.hpp).
    bool split_input = false;
    std::optional<std::string> vms_digest;  // "fnv1a64-1m:HEX" of the whole vms.csv
    std::vector<int64_t> rows_parsed;       // per rank
    std::vector<int64_t> history_rows;      // per rank (--history)
    std::vector<int64_t> traffic_rows;      // per rank (--traffic)
    std::vector<int64_t> previous_rows;     // per rank (--previous: its VM rows read)
    auto stage1 = [&]() -> Result<void> {
        if (auto resume = args.get("resume")) {
            auto ck = read_checkpoint_locked(*resume);
            if (!ck) return tl::unexpected(ck.error());
            if (ck->command != "plan")
                return bad_input(*resume + ": a " + in_quotes(ck->command) +
                                 " checkpoint cannot resume a plan");
            in.fleet = std::move(ck->fleet);
            in.config_toml = ck->config_toml;
            in.config_name = *resume + ":/config/toml";
            in.evacuate_ids = ck->evacuate;
            in.digests = ck->inputs;
            in.history = std::move(ck->history);
            in.traffic = std::move(ck->traffic);
            in.frozen = std::move(ck->frozen);
            in.now_s = ck->now_s;
            in.fleet_changes = ck->fleet_changes;
            rows_held = static_cast<int64_t>(in.fleet.vms.size());
        } else {
            auto hosts = args.get("hosts");
            auto vms = args.get("vms");
            if (!hosts || !vms)
                return bad_input("plan: --hosts and --vms are required (or --resume)");
            vms_path = *vms;
            auto goal = args.get("goal");
            if (goal) {
                if (auto g = plan::parse_goal(*goal); !g)
                    return bad_input("--goal: " + g.error().msg);
                in.overrides.goal = *goal;
            }
            in.overrides.max_util = args.get_double("max-util");
            in.overrides.seed = args.get_int("seed");
            in.overrides.budget_migrations = args.get_int("budget-migrations");
            in.overrides.budget_mem_frac = args.get_double("budget-mem-frac");
            if (auto w = args.get("window")) {
                const auto secs = parse_duration(*w);
                if (!secs || *secs <= 0)
                    return bad_input("--window: " + in_quotes(*w) +
                                     " is not a positive duration (e.g. 4h, 90m, 1h30m, 3600)");
                in.overrides.window_s = *secs;
            }
            in.now = args.get("now").value_or("");
            if (auto c = args.get("config")) {
                auto text = io::read_file(*c);
                if (!text) return tl::unexpected(text.error());
                in.config_toml = *text;
                in.config_name = *c;
            }
            auto htext = io::read_file(*hosts);
            if (!htext) return tl::unexpected(htext.error());
            auto hl = io::parse_hosts(*htext, *hosts);
            if (!hl) return tl::unexpected(hl.error());
            hosts_load = std::move(*hl);
            if (auto m = args.get("missing-hosts")) {
                // Hosts collect could not read: out of the fleet (neither source nor target).
                auto ids = io::read_missing_hosts(*m, hosts_load->fleet);
                if (!ids) return tl::unexpected(ids.error());
                io::exclude_hosts(hosts_load->fleet, *ids);
                in.missing_hosts = std::move(*ids);
            }
        }
        auto loaded = io::load_config(in.config_name, in.overrides, registries,
                                      in.config_toml.empty() && in.config_name.empty()
                                          ? std::nullopt
                                          : std::optional<std::string>(in.config_toml));
        if (!loaded) return tl::unexpected(loaded.error());
        rc = std::move(*loaded);
        if (!in.config_name.empty() && !args.has("resume"))
            in.digests.emplace_back("config",
                                    in.config_name + " fnv1a64:" + io::fnv1a64_hex(in.config_toml));
        const std::vector<model::Host>& host_table =
            hosts_load ? hosts_load->fleet.hosts : in.fleet.hosts;
        map = plan::make_shards(host_table, rc->options.shard_hosts);
        const std::vector<int32_t> owner = plan::shard_owners(map, comm.size());
        mine_shards.assign(static_cast<size_t>(map.shards), 0);
        for (int32_t s = 0; s < map.shards; ++s)
            mine_shards[static_cast<size_t>(s)] = owner[static_cast<size_t>(s)] == comm.rank();
        if (hosts_load) {
            split_input = comm.size() > 1;
            if (split_input) return {};
            auto vtext = io::read_file(vms_path);
            if (!vtext) return tl::unexpected(vtext.error());
            if (auto r = io::parse_vms_into(*vtext, vms_path, {}, *hosts_load); !r) return r;
            rows_parsed.assign(1, hosts_load->vm_rows);
            vms_digest = io::kBlockDigestPrefix + io::hex64(hosts_load->vms_digest);
        }
        return {};
    };
    if (auto r = run_agreed(stage1, comm); !r) return r;
    const std::vector<int32_t> owner = plan::shard_owners(map, comm.size());
    auto shard_of = [&](int32_t h, std::string_view id) {
        return h >= 0 ? map.shard_of_host[static_cast<size_t>(h)]
                      : plan::shard_of_new_vm(id, map.shards);
    };
    if (split_input) {
        auto split = read_vms_split(
            vms_path, hosts_load->fleet,
            [&](int32_t h, std::string_view id) {
                return owner[static_cast<size_t>(shard_of(h, id))];
            },
            comm);
        if (!split) return tl::unexpected(split.error());
        hosts_load->fleet.vms = std::move(split->vms);
        hosts_load->fleet.index();
        hosts_load->warnings.insert(hosts_load->warnings.end(), split->warnings.begin(),
                                    split->warnings.end());
        vms_digest = io::kBlockDigestPrefix + io::hex64(split->digest);
        auto parsed_all = allgather_bytes(
            "vms-split.rows-parsed",
            std::string(reinterpret_cast<const char*>(&split->rows_parsed), 8), comm);
        if (!parsed_all) return tl::unexpected(parsed_all.error());
        for (const std::string& b : *parsed_all) {
            int64_t n = 0;
            std::memcpy(&n, b.data(), 8);
            rows_parsed.push_back(n);
        }
    }
    auto stage1b = [&]() -> Result<void> {
        if (hosts_load) {
            if (comm.rank() == 0)
                for (const auto& w : hosts_load->warnings) std::cerr << "warning: " << w << "\n";
            in.fleet = std::move(hosts_load->fleet);
            rows_held = static_cast<int64_t>(in.fleet.vms.size());
            in.digests.emplace_back(
                "hosts", *args.get("hosts") + " fnv1a64:" + io::hex64(hosts_load->hosts_digest));
            in.digests.emplace_back("vms", vms_path + " " + *vms_digest);
            auto ev = evacuate_list(args, in.fleet);
            if (!ev) return tl::unexpected(ev.error());
            in.evacuate_ids = *ev;
            if (!in.now.empty()) {
                auto t = parse_iso8601(in.now);
                if (!t)
                    return bad_input("--now: " + in_quotes(in.now) +
                                     " is not an ISO 8601 time (e.g. 2026-11-25T10:00:00Z)");
                in.now_s = *t;
            }
        }
        return {};
    };
    if (auto r = run_agreed(stage1b, comm); !r) return r;
    // --history, --traffic and --previous: split like vms.csv (each rank parses a range and
    // keeps what concerns its VMs), or read whole by the one process.
    if (auto r = stage_keyed_inputs(args, vms_path, owner, shard_of, split_input, in, history_rows,
                                    traffic_rows, previous_rows, comm);
        !r)
        return r;
    std::optional<plan::FleetChanges> changes;
    auto stage1c = [&]() -> Result<void> {
        // The previous plan's hosts against ours (every rank has them all).
        if (in.previous) changes = plan::fleet_changes(in.previous->fleet, in.fleet);
        return {};
    };
    if (auto r = run_agreed(stage1c, comm); !r) return r;
    if (changes) {
        // New VMs: each rank counted its own.
        if (split_input) changes->new_vms = allreduce_sum(changes->new_vms, comm);
        in.fleet_changes = fleet_changes_json(*changes);
    }
    if (in.missing_hosts) {
        // Not removed from the fleet, only not read this time: listed as missing instead.
        auto j = in.fleet_changes.empty() ? nlohmann::ordered_json::object()
                                          : nlohmann::ordered_json::parse(in.fleet_changes);
        if (j.contains("hosts_removed")) {
            std::vector<std::string> removed;
            for (const auto& id : j["hosts_removed"])
                if (!std::binary_search(in.missing_hosts->begin(), in.missing_hosts->end(),
                                        id.get<std::string>()))
                    removed.push_back(id.get<std::string>());
            j["hosts_removed"] = removed;
        }
        j["hosts_missing"] = *in.missing_hosts;
        in.fleet_changes = j.dump();
    }
    auto stage1d = [&]() -> Result<void> {
        for (const auto& id : in.evacuate_ids) {
            auto h = in.fleet.host_index(id);
            if (!h) return bad_input("--evacuate: unknown host " + in_quotes(id));
            if (std::find(rc->options.evacuate.begin(), rc->options.evacuate.end(), *h) ==
                rc->options.evacuate.end())
                rc->options.evacuate.push_back(*h);
        }
        std::sort(rc->options.evacuate.begin(), rc->options.evacuate.end());
        if (in.previous) {
            // Cooldown: VMs the previous plan moved stay put until cooldown_s has passed since
            // its --now (without both times, conservatively, they stay).
            const io::PreviousCheckpoint& prev = *in.previous;
            const bool cooling = plan::cooling_down(prev.now_s, in.now_s, rc->options.cooldown_s);
            if (comm.rank() == 0 && in.now_s < 0)
                std::cerr << "warning: --previous without --now: cooldowns cannot expire, so the "
                             "VMs the previous plan moved stay put for good (give --now)\n";
            else if (comm.rank() == 0 && prev.now_s < 0)
                std::cerr << "warning: --previous " << *args.get("previous")
                          << " was planned without --now: cooldowns cannot expire, so the VMs it "
                             "moved stay put for good (give --now to every plan)\n";
            in.frozen = plan::cooldown_frozen(prev.moved_ids, in.fleet, cooling);
            in.previous.reset();
        }
        rc->options.now_s = in.now_s;
        if (rc->options.goal == plan::Goal::kEvacuate && rc->options.evacuate.empty() &&
            std::none_of(in.fleet.hosts.begin(), in.fleet.hosts.end(), [](const model::Host& h) {
                return h.state == model::HostState::kMaintenance;
            }))
            return bad_input(
                "goal evacuate: no host to evacuate (give --evacuate or --evacuate-file, "
                "or mark hosts state=maintenance)");
        if (comm.rank() == 0)
            if (auto r = io::make_dir(out_dir); !r) return r;
        return {};
    };
    if (auto r = run_agreed(stage1d, comm); !r) return r;
    times.parse = allreduce_max(since(request.started), comm);

    // ---- Stage 2, every rank: its shards, in parallel.
    const auto t_plan = Clock::now();
    std::vector<plan::ShardInput> inputs;
    std::vector<plan::ShardOutcome> mine;
    std::vector<int64_t> demand_sums;
    auto split = [&]() -> Result<void> {
        inputs = plan::split_shards(std::move(in.fleet), std::move(in.history), in.traffic,
                                    in.frozen, map, mine_shards);
        in.traffic = model::Traffic{};
        // Every shard's evacuation needs, for the budget split (summed over the ranks below).
        demand_sums.assign(3 * static_cast<size_t>(map.shards), 0);
        for (const plan::ShardInput& si : inputs) {
            const plan::ShardDemand d = plan::shard_demand(si, map, rc->options);
            const auto k = 3 * static_cast<size_t>(si.shard);
            demand_sums[k] = d.must_moves;
            demand_sums[k + 1] = d.must_mem_kib;
            demand_sums[k + 2] = d.mem_kib;
        }
        return {};
    };
    if (auto r = run_agreed(split, comm); !r) return r;
    if (auto r = allreduce_sum(demand_sums, comm); !r) return r;
    std::vector<plan::ShardDemand> demand(static_cast<size_t>(map.shards));
    for (size_t s = 0; s < demand.size(); ++s)
        demand[s] = {demand_sums[3 * s], demand_sums[3 * s + 1], demand_sums[3 * s + 2]};
    auto stage2 = [&]() -> Result<void> {
        mine.resize(inputs.size());
        tbb::parallel_for(size_t{0}, inputs.size(), [&](size_t s) {
            mine[s] = plan::plan_shard(inputs[s], map, rc->options, rc->policies, demand);
        });
        return {};
    };
    if (auto r = run_agreed(stage2, comm); !r) return r;
    const double local_wall = allreduce_max(since(t_plan), comm);
    const int64_t max_rows = allreduce_max(rows_held, comm);

    // ---- The reduction: shard outcomes (summaries and decisions) to rank 0, then the VM rows
    // the checkpoint keeps.
    const auto t_resolve = Clock::now();
    auto gathered = gather_to_root("shard-outcomes", std::move(mine), comm);
    if (!gathered) return tl::unexpected(gathered.error());
    std::vector<plan::ShardOutcome> outcomes = std::move(*gathered);
    const double gather_s = since(t_resolve);
    // The VM rows for the checkpoint: their time counts as writing.
    const auto t_rows = Clock::now();
    // Rank 0 takes the output directory (its lock) before any rank writes there.
    std::optional<io::OutputCommit> out;
    auto open_out = [&]() -> Result<void> {
        if (comm.rank() != 0) return {};
        auto o = io::OutputCommit::open(out_dir, "plan-output");
        if (!o) return tl::unexpected(o.error());
        out.emplace(std::move(*o));
        return {};
    };
    if (auto r = run_agreed(open_out, comm); !r) return r;
    std::vector<int64_t> shard_rows(static_cast<size_t>(map.shards), 0);
    for (const plan::ShardInput& si : inputs)
        shard_rows[static_cast<size_t>(si.shard)] = static_cast<int64_t>(si.fleet.vms.size());
    if (auto r = allreduce_sum(shard_rows, comm); !r) return r;
    // Under MPI every rank writes its own VM rows (a part file) and rank 0 joins them; one
    // process writes one self-contained file.
    const bool use_parts = comm.size() > 1;
    std::optional<io::VmParts> vm_parts;
    std::string part_token;
    PartsGuard parts_guard;
    if (use_parts) {
        auto parts = write_vm_parts(inputs, map, shard_rows, out_dir, comm);
        if (!parts) return tl::unexpected(parts.error());
        part_token = parts->first;
        vm_parts = std::move(parts->second);
        // Until the outputs are committed, a failure leaves this run's parts unreferenced: rank 0
        // removes them (an earlier checkpoint never names them; vm_parts->files is rank 0's).
        for (const std::string& f : vm_parts->files) parts_guard.paths.push_back(out_dir + "/" + f);
        for (plan::ShardInput& si : inputs) std::vector<model::Vm>().swap(si.fleet.vms);
    }
    std::vector<ShardRows> rows;  // other ranks' per-VM inputs (rank 0 keeps its own in `inputs`)
    {
        // Building them may run out of memory on one rank: agreed before the gather.
        std::vector<ShardRows> my_rows;
        auto build_rows = [&]() -> Result<void> {
            if (comm.rank() == 0) return {};
            for (plan::ShardInput& si : inputs) {
                ShardRows r;
                r.shard = si.shard;
                const std::vector<int32_t>& hosts_of = map.hosts[static_cast<size_t>(si.shard)];
                r.vms = std::move(si.fleet.vms);  // none with parts: they are written
                for (model::Vm& v : r.vms)
                    if (!v.is_new()) v.host = hosts_of[static_cast<size_t>(v.host)];
                r.history = std::move(si.history);
                r.traffic = std::move(si.traffic.neighbours);
                r.frozen = std::move(si.frozen);
                my_rows.push_back(std::move(r));
            }
            inputs.clear();
            return {};
        };
        if (auto r = run_agreed(build_rows, comm); !r) return r;
        auto got = gather_to_root("shard-rows", std::move(my_rows), comm);
        if (!got) return tl::unexpected(got.error());
        rows = std::move(*got);
    }
    const double rows_s = since(t_rows);
    if (comm.rank() != 0) return {};
    const auto t_global = Clock::now();

    // ---- Stage 3, rank 0: the global step, waves, outputs.
    // Ranks own shards in any pattern; the global step takes them in shard order.
    std::sort(outcomes.begin(), outcomes.end(),
              [](const auto& a, const auto& b) { return a.shard < b.shard; });
    plan::PhaseTimes shard_times;
    for (const auto& o : outcomes) {
        shard_times.detect += o.times.detect;
        shard_times.select += o.times.select;
        shard_times.place += o.times.place;
        shard_times.resolve += o.times.resolve;
    }
    // Wall time of the shards' planning, split by what their phases took in all.
    const double cpu =
        shard_times.detect + shard_times.select + shard_times.place + shard_times.resolve;
    const double scale = cpu > 0 ? local_wall / cpu : 0.0;
    times.detect = shard_times.detect * scale;
    times.select = shard_times.select * scale;
    times.place = (shard_times.place + shard_times.resolve) * scale;
    plan::PhaseTimes global_times;
    const plan::GlobalPlan g = plan::resolve_global(in.fleet.hosts, map, outcomes, rc->options,
                                                    rc->policies, global_times);
    plan::PlanSummary summary = plan::summarize(g.skeleton, g.plan, rc->options);
    summary.vms = g.vms;
    times.resolve = gather_s + since(t_global);

    const auto tw = Clock::now() - std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(rows_s));
    io::RunInfo run;
    run.ranks = comm.size();
    run.threads = request.threads;
    run.max_vm_rows_per_rank = max_rows;
    run.vm_rows_parsed_per_rank = rows_parsed;
    run.history_rows_parsed_per_rank = history_rows;
    run.traffic_rows_parsed_per_rank = traffic_rows;
    run.previous_vm_rows_read_per_rank = previous_rows;
    if (run.vm_rows_parsed_per_rank.empty())  // --resume: every rank read the checkpoint's rows
        run.vm_rows_parsed_per_rank.assign(static_cast<size_t>(comm.size()), max_rows);
    run.goal = plan::to_string(rc->options.goal);
    run.phases = times;
    run.plan_seconds = since(request.started);
    run.fleet_changes = in.fleet_changes;
    run.frozen = g.frozen;
    run.limits = rc->options.waves;
    run.window_s = rc->options.window_s;
    run.improve = rc->options.improve;
    run.spreadsheet_copy = args.has("csv-safe");

    // The checkpoint's fleet: every VM row, shard by shard (written where it lies, not copied),
    // and the plan indexing it.
    io::Checkpoint ck;
    {
        struct RowView {
            int32_t shard;
            const std::vector<model::Vm>* vms;
            const std::vector<int32_t>* to_global;  // local host → host table; null: global
            model::History* history;
            std::vector<std::vector<model::TrafficEdge>>* traffic;
            std::vector<uint8_t>* frozen;
        };
        std::vector<RowView> views;
        for (plan::ShardInput& si : inputs)
            views.push_back({si.shard, &si.fleet.vms, &map.hosts[static_cast<size_t>(si.shard)],
                             &si.history, &si.traffic.neighbours, &si.frozen});
        for (ShardRows& r : rows)
            views.push_back({r.shard, &r.vms, nullptr, &r.history, &r.traffic, &r.frozen});
        std::sort(views.begin(), views.end(),
                  [](const RowView& a, const RowView& b) { return a.shard < b.shard; });
        std::vector<int64_t> offset(static_cast<size_t>(map.shards) + 1, 0);
        for (size_t sh = 0; sh < shard_rows.size(); ++sh) offset[sh + 1] = shard_rows[sh];
        for (size_t sh = 1; sh < offset.size(); ++sh) offset[sh] += offset[sh - 1];
        ck.fleet.hosts = in.fleet.hosts;
        if (vm_parts) {
            ck.vm_parts = std::move(vm_parts);
        } else {
            const auto nv = static_cast<size_t>(offset.back());
            ck.vm_rows.resize(nv);
            ck.vm_row_hosts.resize(nv);
            tbb::parallel_for(size_t{0}, views.size(), [&](size_t k) {
                const RowView& v = views[k];
                const auto base = static_cast<size_t>(offset[static_cast<size_t>(v.shard)]);
                for (size_t i = 0; i < v.vms->size(); ++i) {
                    const model::Vm& vm = (*v.vms)[i];
                    ck.vm_rows[base + i] = &vm;
                    ck.vm_row_hosts[base + i] = vm.is_new() || !v.to_global
                                                    ? vm.host
                                                    : (*v.to_global)[static_cast<size_t>(vm.host)];
                }
            });
        }
        bool any_history = false, any_traffic = false, any_frozen = false;
        for (const RowView& v : views) {
            any_history |= !v.history->empty();
            any_traffic |= !v.traffic->empty();
            any_frozen |= std::find(v.frozen->begin(), v.frozen->end(), 1) != v.frozen->end();
        }
        for (const RowView& v : views) {
            const auto n = static_cast<size_t>(shard_rows[static_cast<size_t>(v.shard)]);
            if (any_history) {
                ck.history.interval_s = v.history->interval_s;
                ck.history.length = std::max(ck.history.length, v.history->length);
                for (const auto& pr : {std::pair{&v.history->cpu, &ck.history.cpu},
                                       std::pair{&v.history->mem, &ck.history.mem},
                                       std::pair{&v.history->net, &ck.history.net}}) {
                    pr.first->resize(n);
                    for (auto& series : *pr.first) pr.second->push_back(std::move(series));
                }
            }
            if (any_traffic) {
                v.traffic->resize(n);
                for (auto& edges : *v.traffic) {
                    for (auto& e : edges)
                        e.vm += static_cast<int32_t>(offset[static_cast<size_t>(v.shard)]);
                    ck.traffic.neighbours.push_back(std::move(edges));
                }
            }
            if (any_frozen) {
                v.frozen->resize(n, 0);
                ck.frozen.insert(ck.frozen.end(), v.frozen->begin(), v.frozen->end());
            }
        }
        ck.fleet.index();
        ck.plan = g.plan;
        auto vm = [&](int32_t v) {
            if (v < 0) return v;
            const auto s = static_cast<size_t>(g.listed_shard[static_cast<size_t>(v)]);
            return static_cast<int32_t>(offset[s] + g.listed[static_cast<size_t>(v)]->local);
        };
        for (auto& m : ck.plan.moves) m.vm = vm(m.vm);
        for (auto& u : ck.plan.unresolved) u.vm = vm(u.vm);
        for (auto& r : ck.plan.resizes) r.vm = vm(r.vm);
    }
    ck.program_version = request.program_version;
    ck.command = "plan";
    ck.seed = rc->options.seed;
    ck.goal = run.goal;
    ck.max_util_ppm = rc->options.max_util_ppm;
    ck.config_toml = rc->expanded_toml;
    ck.inputs = in.digests;
    if (!in.now.empty()) ck.inputs.emplace_back("now", in.now);
    for (int32_t h : rc->options.evacuate)
        ck.evacuate.push_back(in.fleet.hosts[static_cast<size_t>(h)].id);
    ck.now_s = in.now_s;
    ck.fleet_changes = in.fleet_changes;
    ck.summary_json = io::summary_json(g.skeleton, g.plan, summary, run).dump(2);
    // dispatch checks plan.csv against this digest before it migrates anything.
    const std::string plan_text = io::plan_csv(g.skeleton, g.plan);
    ck.plan_csv_digest = io::plan_digest(plan_text);
    {
        auto image = io::checkpoint_image(out_dir + "/checkpoint.h5", ck);
        if (!image) return tl::unexpected(image.error());
        if (auto r = out->stage("checkpoint.h5", *image); !r) return r;
    }
    // The parts of earlier checkpoints go once this one is in place (the list removes them
    // after renaming it); this run's parts were published before it.
    remove_old_parts(*out, out_dir, part_token);
    // summary.json's times include the checkpoint on disk (staged, fsynced), not the commit.
    run.phases.write = since(tw);
    run.plan_seconds = since(request.started);
    auto written = io::write_plan_outputs(*out, g.skeleton, g.plan, summary, run, plan_text);
    // Past the commit point the new checkpoint.h5 is the directory's (put in place now or by the
    // next command), so its parts stay even when a later rename failed.
    if (written || out->committed()) parts_guard.release();
    if (!written) return written;
    // --json: summary.json's object, the same bytes, is all that goes to stdout.
    const nlohmann::ordered_json summary_doc = io::summary_json(g.skeleton, g.plan, summary, run);
    if (args.has("json"))
        std::cout << summary_doc.dump(2) << "\n";
    else
        std::cout << io::summary_text(summary_doc) << "  outputs        " << out_dir
                  << "/{plan.csv,summary.json,checkpoint.h5}\n";
    if (args.has("fail-on-unresolved") && !g.plan.unresolved.empty()) {
        const std::string n = std::to_string(g.plan.unresolved.size());
        return fail(ErrorCode::kUnresolved, "plan: " + n + " unresolved item(s), listed in " +
                                                out_dir + "/summary.json (--fail-on-unresolved)");
    }
    return {};
}

}  // namespace fp::dist
