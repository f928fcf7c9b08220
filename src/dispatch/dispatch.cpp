#include "src/dispatch/dispatch.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "src/util/text.hpp"

namespace fp::dispatch {

std::string_view to_string(MoveEvent e) {
    switch (e) {
        case MoveEvent::kQueued:
            return "queued";
        case MoveEvent::kStarted:
            return "started";
        case MoveEvent::kFinished:
            return "finished";
        case MoveEvent::kFailed:
            return "failed";
        case MoveEvent::kAborted:
            return "aborted";
        case MoveEvent::kSkipped:
            return "skipped";
    }
    return "?";
}

std::optional<MoveEvent> parse_move_event(std::string_view s) {
    for (MoveEvent e : {MoveEvent::kQueued, MoveEvent::kStarted, MoveEvent::kFinished,
                        MoveEvent::kFailed, MoveEvent::kAborted, MoveEvent::kSkipped}) {
        if (to_string(e) == s) return e;
    }
    return std::nullopt;
}

namespace {

bool safe_value(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' || c == ':' ||
                        c == '[' || c == ']';
        if (!ok) return false;
    }
    return true;
}

const char* mode_name(MigrationMode m) {
    switch (m) {
        case MigrationMode::kPrecopy:
            return "precopy";
        case MigrationMode::kPostcopy:
            return "postcopy";
        case MigrationMode::kAuto:
            return "auto";
    }
    return "?";
}

double wall_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Result<std::string> expand_uri(const std::string& tpl, const HostAddr& host) {
    const std::string address = host.address.empty() ? host.id : host.address;
    if (tpl.find_first_not_of(" \t") == std::string::npos)
        return bad_input("empty URI template (libvirt would use its local default hypervisor)");
    std::string out;
    for (size_t i = 0; i < tpl.size();) {
        if (tpl.compare(i, 4, "{id}") == 0 || tpl.compare(i, 9, "{address}") == 0) {
            const bool is_id = tpl.compare(i, 4, "{id}") == 0;
            const std::string& v = is_id ? host.id : address;
            if (!safe_value(v))
                return bad_input("host " + in_quotes(host.id) + ": its " +
                                 (is_id ? "id" : "address") + " " + in_quotes(v) +
                                 " cannot be put in a URI (allowed: letters, digits, "
                                 ". _ - : [ ])");
            // An address (or the id standing in for it) is a host name, IPv4 or [IPv6].
            if (auto fault = is_id ? std::nullopt : address_fault(v))
                return bad_input("host " + in_quotes(host.id) + ": its address " + in_quotes(v) +
                                 " cannot be put in a URI: " + *fault);
            out += v;
            i += is_id ? 4 : 9;
            continue;
        }
        const char c = tpl[i];
        if (c == '{' || c == '}')
            return bad_input("URI template " + in_quotes(tpl) +
                             ": unknown placeholder (valid: {id}, {address})");
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f ||
            c == '"' || c == '<' || c == '>' || c == '\\' || c == '^' || c == '`' || c == '|') {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
            out += buf;
        } else {
            out += c;
        }
        ++i;
    }
    return out;
}

namespace {

// Bad input in `prior`: the caller knows the journal's file and names it.
tl::unexpected<Error> bad_journal_entry(std::string msg) {
    return tl::unexpected(Error{ErrorCode::kBadInput, std::move(msg), {}, ErrorSource::kJournal});
}

struct Ctx {
    const std::vector<PlannedMove>& moves;
    std::map<std::string, const HostAddr*> host;
    const DispatchOptions& opt;
    Connector& connector;
    Journal& journal;
    const DispatchHooks& hooks;
    std::mutex mu;
    std::condition_variable cv;
    std::map<std::string, int32_t> busy;          // migrations touching a host
    std::map<std::string, int64_t> reserved_kib;  // memory of migrations heading to a host
    int64_t appended = 0;                         // journal entries written by this run
    int64_t done_at_start = 0;                    // moves settled before this run
    int32_t running = 0;
    Progress progress;
    std::vector<MoveEvent> last;
    std::vector<std::string> reason;
    std::optional<Error> journal_error;
    std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();

    Ctx(const std::vector<PlannedMove>& m, const DispatchOptions& o, Connector& c, Journal& j,
        const DispatchHooks& h)
        : moves(m), opt(o), connector(c), journal(j), hooks(h) {}

    double now() const { return hooks.now ? hooks.now() : wall_now(); }

    // Appends under the lock; the first journal failure stops new work.
    void record(const PlannedMove& m, MoveEvent e, int32_t attempt, const std::string& why,
                double seconds = 0, double downtime_ms = -1) {
        std::lock_guard<std::mutex> lock(mu);
        JournalEntry j;
        j.time_s = now();
        j.move = m.index;
        j.event = e;
        j.vm = m.vm;
        j.source = m.source;
        j.target = m.target;
        j.attempt = attempt;
        j.seconds = seconds;
        j.downtime_ms = downtime_ms;
        j.reason = why;
        if (!journal_error) {
            auto r = journal.append(j);
            if (r) {
                ++appended;
            } else {
                journal_error = r.error();
            }
        }
        const size_t i = static_cast<size_t>(m.index);
        last[i] = e;
        reason[i] = why;
        if (e == MoveEvent::kFinished) ++progress.done;
        if (e == MoveEvent::kSkipped) ++progress.skipped;
        report_locked();
    }

    // Progress so far (lock held).
    void report_locked() {
        progress.elapsed_s =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        progress.done_before = done_at_start;
        if (hooks.progress) hooks.progress(progress);
    }

    Result<std::string> uri(const std::string& tpl, const std::string& host_id) const {
        auto it = host.find(host_id);
        if (it == host.end())
            return bad_input("host " + in_quotes(host_id) + " is not in hosts.csv");
        return expand_uri(tpl, *it->second);
    }

    void sleep(double s) const {
        if (hooks.sleep) {
            hooks.sleep(s);
        } else {
            std::this_thread::sleep_for(std::chrono::duration<double>(s));
        }
    }
};

// Where is the VM now? "source", "target", "neither" (or a connection error).
struct Whereabouts {
    bool on_source = false, on_target = false;
    int64_t memory_kib = 0;
    std::string error;
};

Whereabouts locate(Ctx& c, const PlannedMove& m) {
    Whereabouts w;
    for (const bool src : {true, false}) {
        auto u = c.uri(c.opt.connect_template, src ? m.source : m.target);
        if (!u) {
            w.error = u.error().msg;
            return w;
        }
        auto conn = c.connector.connect(*u);
        if (!conn) {
            w.error = conn.error().msg;
            return w;
        }
        auto st = (*conn)->domain_state(m.vm);
        if (!st) {
            w.error = st.error().msg;
            return w;
        }
        (src ? w.on_source : w.on_target) = st->exists && st->running;
        if (st->exists) w.memory_kib = std::max(w.memory_kib, st->memory_kib);
    }
    return w;
}

// Where the VM is once no migration of it is running: a migration that outlived the process
// that started it (kill -9) still runs inside the source's hypervisor, with the VM on both hosts;
// wait for that job to end (past the timeout, abort it) before deciding anything.
Whereabouts settle(Ctx& c, const PlannedMove& m) {
    Whereabouts w = locate(c, m);
    const auto start = std::chrono::steady_clock::now();
    bool aborted = false;
    while (w.error.empty() && w.on_source) {
        auto su = c.uri(c.opt.connect_template, m.source);
        auto sc = su ? c.connector.connect(*su) : tl::unexpected(su.error());
        if (!sc) {
            w.error = sc.error().msg;
            break;
        }
        auto busy = (*sc)->job_active(m.vm);
        if (!busy) {
            w.error = busy.error().msg;
            break;
        }
        if (!*busy) break;
        const double waited =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (waited > c.opt.timeout_s && !aborted) {
            (*sc)->abort_job(m.vm);
            aborted = true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        w = locate(c, m);
    }
    return w;
}

// Holds memory on a target for a migration heading there (released on scope exit).
struct Reservation {
    Ctx& c;
    std::string host;
    int64_t kib = 0;
    ~Reservation() {
        if (kib == 0) return;
        std::lock_guard<std::mutex> lock(c.mu);
        c.reserved_kib[host] -= kib;
    }
};

// One move, start to end (runs on its own thread).
void carry_out(Ctx& c, const PlannedMove& m) {
    const int32_t attempts = std::max(1, c.opt.retries + 1);
    std::string why;
    for (int32_t attempt = 1; attempt <= attempts; ++attempt) {
        if (attempt > 1) c.sleep(c.opt.backoff_s * std::pow(2.0, attempt - 2));
        const Whereabouts w = settle(c, m);
        if (!w.error.empty()) {
            why = "cannot check the VM's hosts: " + w.error;
            c.record(m, MoveEvent::kFailed, attempt, why);
            continue;
        }
        if (w.on_target && !w.on_source) {
            c.record(m, MoveEvent::kFinished, attempt, "already on the target");
            return;
        }
        if (!w.on_source) {
            // Gone before any attempt: a dependent move (or a VM stopped meanwhile), skipped.
            // Gone after an attempt: possibly lost, so a failure.
            if (attempt > 1) {
                c.record(m, MoveEvent::kFailed, attempt,
                         "after a failed attempt the VM runs on neither " + m.source + " nor " +
                             m.target);
            } else {
                c.record(
                    m, MoveEvent::kSkipped, attempt,
                    "not running on its planned source " + m.source + " (nor on " + m.target + ")");
            }
            return;
        }
        // Room on the target: its capacity against the memory of what runs there and of the
        // migrations already heading there (reserved until they end).
        Reservation held{c, m.target, 0};
        auto th = c.host.find(m.target);
        if (th != c.host.end() && th->second->mem_mib > 0) {
            auto tu = c.uri(c.opt.connect_template, m.target);
            auto tc = tu ? c.connector.connect(*tu) : tl::unexpected(tu.error());
            if (!tc) {
                why = "cannot reach the target: " + tc.error().msg;
                c.record(m, MoveEvent::kFailed, attempt, why);
                continue;
            }
            auto doms = (*tc)->list_domains();
            if (!doms) {
                why = "cannot list the target's domains: " + doms.error().msg;
                c.record(m, MoveEvent::kFailed, attempt, why);
                continue;
            }
            int64_t used = 0;
            for (const auto& d : *doms) used += d.running ? d.memory_kib : 0;
            bool room = false;
            int64_t heading = 0;
            {
                std::lock_guard<std::mutex> lock(c.mu);
                heading = c.reserved_kib[m.target];
                room = used + heading + w.memory_kib <= th->second->mem_mib * 1024;
                if (room) {
                    c.reserved_kib[m.target] += w.memory_kib;
                    held.kib = w.memory_kib;
                }
            }
            if (!room) {
                c.record(m, MoveEvent::kSkipped, attempt,
                         "no room on " + m.target + ": " + std::to_string((used + heading) / 1024) +
                             " of " + std::to_string(th->second->mem_mib) +
                             " MiB in use or arriving, the VM needs " +
                             std::to_string(w.memory_kib / 1024));
                return;
            }
        }
        auto su = c.uri(c.opt.connect_template, m.source);
        auto du = c.uri(c.opt.dest_template.empty() ? c.opt.connect_template : c.opt.dest_template,
                        m.target);
        auto mu = c.opt.migrate_template.empty() ? Result<std::string>(std::string())
                                                 : c.uri(c.opt.migrate_template, m.target);
        for (const auto* r : {&su, &du, &mu}) {
            if (!*r) {
                c.record(m, MoveEvent::kFailed, attempt, r->error().msg);
                return;
            }
        }
        auto sc = c.connector.connect(*su);
        if (!sc) {
            why = "cannot reach the source: " + sc.error().msg;
            c.record(m, MoveEvent::kFailed, attempt, why);
            continue;
        }
        MigrateRequest req;
        req.vm = m.vm;
        req.dest_uri = *du;
        req.migrate_uri = *mu;
        if (auto tu = c.uri(c.opt.connect_template, m.target)) req.target_uri = *tu;
        req.mode = c.opt.mode;
        req.bandwidth_mibps = c.opt.bandwidth_mibps;
        req.timeout_s = c.opt.timeout_s;
        c.record(m, MoveEvent::kStarted, attempt, "");
        {
            std::lock_guard<std::mutex> lock(c.mu);
            if (c.journal_error) return;  // not durable: do not act
        }
        const MigrateOutcome out = (*sc)->migrate(req);
        if (out.ok) {
            const Whereabouts after = locate(c, m);
            if (after.on_target && !after.on_source) {
                c.record(m, MoveEvent::kFinished, attempt, "", out.seconds, out.downtime_ms);
                return;
            }
            why = after.error.empty() ? "the hypervisor reported success but the VM does not run "
                                        "on the target alone"
                                      : "cannot verify the target: " + after.error;
            c.record(m, MoveEvent::kFailed, attempt, why, out.seconds);
            continue;
        }
        why = out.error.empty() ? "migration failed" : out.error;
        char limit[32];
        std::snprintf(limit, sizeof limit, "%.1f", c.opt.timeout_s);
        c.record(m, out.timed_out ? MoveEvent::kAborted : MoveEvent::kFailed, attempt,
                 out.timed_out ? std::string("timed out after ") + limit + " s and aborted: " + why
                               : why,
                 out.seconds);
    }
}

}  // namespace

Result<std::string> dry_run_text(const std::vector<PlannedMove>& moves,
                                 const std::vector<HostAddr>& hosts, const DispatchOptions& opt) {
    std::map<std::string, const HostAddr*> by_id;
    for (const auto& h : hosts) by_id[h.id] = &h;
    std::string out;
    int32_t wave = -1;
    for (const PlannedMove& m : moves) {
        if (m.step != wave) {
            wave = m.step;
            out += "wave " + std::to_string(wave) + ":\n";
        }
        for (const std::string* h : {&m.source, &m.target}) {
            if (!by_id.count(*h))
                return bad_input("host " + in_quotes(*h) + " is not in hosts.csv");
        }
        auto su = expand_uri(opt.connect_template, *by_id[m.source]);
        auto du = expand_uri(opt.dest_template.empty() ? opt.connect_template : opt.dest_template,
                             *by_id[m.target]);
        auto mu = opt.migrate_template.empty() ? Result<std::string>(std::string())
                                               : expand_uri(opt.migrate_template, *by_id[m.target]);
        for (const auto* r : {&su, &du, &mu}) {
            if (!*r) return tl::unexpected(r->error());
        }
        std::string flags = "LIVE|PEER2PEER";
        if (opt.mode == MigrationMode::kPrecopy || opt.mode == MigrationMode::kAuto)
            flags += "|AUTO_CONVERGE";
        if (opt.mode == MigrationMode::kPostcopy || opt.mode == MigrationMode::kAuto)
            flags += "|POSTCOPY";
        if (opt.mode == MigrationMode::kAuto) flags += "|COMPRESSED";
        out += "  virConnectOpen(\"" + *su + "\"); virDomainLookupByName(\"" +
               printable(m.vm, kMaxIdBytes) + "\"); virDomainMigrateToURI3(dconnuri=\"" + *du +
               "\", {";
        if (!mu->empty()) out += "migrate_uri=\"" + *mu + "\", ";
        if (opt.bandwidth_mibps > 0)
            out += "bandwidth=" + std::to_string(static_cast<int64_t>(opt.bandwidth_mibps)) +
                   " MiB/s, ";
        out += "}, " + flags + ") [" + mode_name(opt.mode) + ", timeout " +
               std::to_string(static_cast<int64_t>(opt.timeout_s)) + " s]\n";
    }
    return out;
}

Result<DispatchReport> run_dispatch(const std::vector<PlannedMove>& moves,
                                    const std::vector<HostAddr>& hosts, const DispatchOptions& opt,
                                    Connector& connector, Journal& journal,
                                    const std::vector<JournalEntry>& prior,
                                    const DispatchHooks& hooks) {
    Ctx c(moves, opt, connector, journal, hooks);
    for (const auto& h : hosts) c.host[h.id] = &h;
    const size_t n = moves.size();
    c.last.assign(n, MoveEvent::kQueued);
    c.reason.assign(n, "");
    for (size_t i = 0; i < n; ++i) {
        if (moves[i].index != static_cast<int64_t>(i)) return bad_input("plan moves out of order");
        for (const std::string* h : {&moves[i].source, &moves[i].target}) {
            if (!c.host.count(*h))
                return bad_input("plan row " + std::to_string(i + 2) + ": host " + in_quotes(*h) +
                                 " is not in hosts.csv");
        }
    }
    // What the interrupted run left: the last event of each move.
    std::vector<std::optional<MoveEvent>> before(n);
    for (const JournalEntry& e : prior) {
        if (e.move < 0 || static_cast<size_t>(e.move) >= n)
            return bad_journal_entry("move " + std::to_string(e.move) + " is not in the plan");
        const PlannedMove& m = moves[static_cast<size_t>(e.move)];
        if (e.vm != m.vm || e.source != m.source || e.target != m.target)
            return bad_journal_entry("move " + std::to_string(e.move) +
                                     " does not match the plan (another plan's journal?)");
        before[static_cast<size_t>(e.move)] = e.event;
    }
    std::vector<uint8_t> pending(n, 1);
    for (size_t i = 0; i < n; ++i) {
        if (!before[i]) continue;
        const PlannedMove& m = moves[i];
        if (*before[i] == MoveEvent::kFinished || *before[i] == MoveEvent::kSkipped) {
            pending[i] = 0;
            c.last[i] = *before[i];
            if (*before[i] == MoveEvent::kFinished) ++c.progress.done;
            if (*before[i] == MoveEvent::kSkipped) ++c.progress.skipped;
            continue;
        }
        if (*before[i] == MoveEvent::kStarted) {
            // In flight when the run died: libvirt knows where the VM ended up (once the
            // migration, which may outlive the process, is over).
            const Whereabouts w = settle(c, m);
            if (w.error.empty() && w.on_target && !w.on_source) {
                c.record(m, MoveEvent::kFinished, 0, "found on the target after the interruption");
                pending[i] = 0;
            } else if (w.error.empty() && !w.on_source) {
                c.record(m, MoveEvent::kFailed, 0,
                         "after the interruption the VM runs on neither " + m.source + " nor " +
                             m.target);
            }
        }
    }
    {
        std::lock_guard<std::mutex> lock(c.mu);
        if (c.journal_error) return tl::unexpected(*c.journal_error);
    }
    std::vector<int32_t> waves;
    for (size_t i = 0; i < n; ++i) {
        if (pending[i]) waves.push_back(moves[i].step);
    }
    std::sort(waves.begin(), waves.end());
    waves.erase(std::unique(waves.begin(), waves.end()), waves.end());
    int64_t remaining = 0;
    for (size_t i = 0; i < n; ++i) remaining += pending[i];
    c.progress.remaining = remaining;
    c.done_at_start = c.progress.done + c.progress.skipped;
    const int32_t max_total = std::max(1, opt.max_total);
    const int32_t max_host = std::max(1, opt.max_per_host);
    for (int32_t wave : waves) {
        std::vector<size_t> queue;
        for (size_t i = 0; i < n; ++i) {
            if (pending[i] && moves[i].step == wave) queue.push_back(i);
        }
        for (size_t i : queue) c.record(moves[i], MoveEvent::kQueued, 0, "");
        std::vector<std::thread> threads;
        std::unique_lock<std::mutex> lock(c.mu);
        while (!queue.empty()) {
            if (c.journal_error) break;
            auto it = std::find_if(queue.begin(), queue.end(), [&](size_t i) {
                return c.busy[moves[i].source] < max_host && c.busy[moves[i].target] < max_host;
            });
            if (c.running >= max_total || it == queue.end()) {
                c.cv.wait(lock);
                continue;
            }
            const size_t i = *it;
            queue.erase(it);
            ++c.busy[moves[i].source];
            ++c.busy[moves[i].target];
            ++c.running;
            c.progress.running = c.running;
            threads.emplace_back([&c, &moves, i] {
                carry_out(c, moves[i]);
                std::lock_guard<std::mutex> g(c.mu);
                --c.busy[moves[i].source];
                --c.busy[moves[i].target];
                --c.running;
                c.progress.running = c.running;
                --c.progress.remaining;
                const MoveEvent e = c.last[i];
                if (e == MoveEvent::kFailed || e == MoveEvent::kAborted) ++c.progress.failed;
                c.report_locked();
                c.cv.notify_all();
            });
        }
        lock.unlock();
        for (auto& t : threads) t.join();
        if (c.journal_error) return tl::unexpected(*c.journal_error);
        if (hooks.wave_end) {
            if (auto r = hooks.wave_end(wave); !r) return tl::unexpected(r.error());
        }
    }
    // Moves settled at resume (or a run killed before its last fold) reach the checkpoint too.
    if (c.appended > 0 && hooks.wave_end) {
        if (auto r = hooks.wave_end(-1); !r) return tl::unexpected(r.error());
    }
    DispatchReport rep;
    rep.final_event = c.last;
    rep.final_reason = c.reason;
    for (MoveEvent e : c.last) {
        rep.finished += e == MoveEvent::kFinished;
        rep.skipped += e == MoveEvent::kSkipped;
        rep.failed += e == MoveEvent::kFailed || e == MoveEvent::kAborted;
    }
    return rep;
}

}  // namespace fp::dispatch
