#include "src/dispatch/collect.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <map>
#include <thread>

#include "src/util/assert.hpp"
#include "src/util/text.hpp"

namespace fp::dispatch {
namespace {

double field(const std::map<std::string, double>& f, const std::string& k) {
    auto x = f.find(k);
    return x == f.end() ? -1.0 : x->second;
}

double net_bytes(const std::map<std::string, double>& f) {
    double b = 0;
    for (const auto& [k, v] : f)
        if (k.rfind("net.", 0) == 0 &&
            (k.find(".rx.bytes") != std::string::npos || k.find(".tx.bytes") != std::string::npos))
            b += v;
    return b;
}

// The dirty-rate measurement's length: whole seconds, at least 1.
int dirty_calc_s(const CollectOptions& opt) {
    return std::max(1, static_cast<int>(std::ceil(opt.gap_s)));
}

const DomainStats* find_stats(const std::vector<DomainStats>& s, const std::string& name) {
    auto it =
        std::find_if(s.begin(), s.end(), [&](const DomainStats& d) { return d.name == name; });
    return it == s.end() ? nullptr : &*it;
}

// One host's first half: open, start the dirty-rate measurement, list, first sample. The
// connection stays open for the second sample (nullptr after a failure, with out.error set).
std::unique_ptr<HostConnection> first_half(Connector& connector, const std::string& uri,
                                           const CollectOptions& opt, const CollectClock& clock,
                                           HostOutcome& out) {
    auto conn = connector.connect(uri);
    if (!conn) {
        out.error = conn.error().msg;
        return nullptr;
    }
    if (opt.gap_s > 0) (*conn)->start_dirty_rate(dirty_calc_s(opt));
    HostSample s;
    auto d = (*conn)->list_domains();
    auto s0 =
        d ? (*conn)->domain_stats() : Result<std::vector<DomainStats>>(tl::unexpected(d.error()));
    s.first_s = clock.now_s();
    if (!s0) {
        out.error = s0.error().msg;
        return nullptr;
    }
    s.domains = std::move(*d);
    s.first = std::move(*s0);
    out.sample = std::move(s);
    return std::move(*conn);
}

// The second sample on the open connection.
void second_half(HostConnection& conn, const CollectClock& clock, HostOutcome& out) {
    auto s1 = conn.domain_stats();
    out.sample->second_s = clock.now_s();
    if (!s1) {
        out.error = s1.error().msg;
        out.sample.reset();
        return;
    }
    out.sample->second = std::move(*s1);
}

// Runs job(i) for i in [0, n) on up to `parallel` threads.
template <typename Job>
void pool_for(size_t n, int32_t parallel, const Job& job) {
    std::atomic<size_t> next{0};
    auto worker = [&] {
        for (size_t i = next++; i < n; i = next++) job(i);
    };
    const size_t threads = std::min(n, static_cast<size_t>(std::max(1, parallel)));
    std::vector<std::thread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
    for (auto& t : pool) t.join();
}

}  // namespace

std::vector<CollectedVm> host_rows(const std::string& host, const HostSample& sample) {
    std::vector<CollectedVm> rows;
    const double dt = sample.second_s - sample.first_s;
    for (const auto& d : sample.domains) {
        if (!d.running) continue;
        CollectedVm r;
        r.vm = d.name;
        r.host = host;
        r.vcpus = std::max(1, d.vcpus);
        r.mem_size_mib = static_cast<double>(d.memory_kib) / 1024.0;
        r.mem_mib = r.mem_size_mib;
        if (const DomainStats* s1 = find_stats(sample.second, d.name)) {
            const auto& f1 = s1->fields;
            const DomainStats* s0 = find_stats(sample.first, d.name);
            const auto* f0 = s0 ? &s0->fields : nullptr;
            if (f0 && dt > 0 && field(f1, "cpu.time") >= 0 && field(*f0, "cpu.time") >= 0)
                r.cpu =
                    std::max(0.0, (field(f1, "cpu.time") - field(*f0, "cpu.time")) / (dt * 1e9));
            if (field(f1, "balloon.rss") > 0)
                r.mem_mib = std::min(r.mem_size_mib, field(f1, "balloon.rss") / 1024.0);
            if (field(f1, "balloon.maximum") > 0)
                r.mem_size_mib = field(f1, "balloon.maximum") / 1024.0;
            if (f0 && dt > 0)
                r.net_mbps = std::max(0.0, (net_bytes(f1) - net_bytes(*f0)) * 8 / dt / 1e6);
            // calc_status 2: measured.
            if (field(f1, "dirtyrate.calc_status") == 2 &&
                field(f1, "dirtyrate.megabytes_per_second") >= 0)
                r.dirty_mibps = field(f1, "dirtyrate.megabytes_per_second");
        }
        rows.push_back(std::move(r));
    }
    std::sort(rows.begin(), rows.end(),
              [](const CollectedVm& a, const CollectedVm& b) { return a.vm < b.vm; });
    return rows;
}

CollectClock steady_collect_clock() {
    using Clock = std::chrono::steady_clock;
    return CollectClock{
        [] { return std::chrono::duration<double>(Clock::now().time_since_epoch()).count(); },
        [](double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }};
}

std::vector<HostOutcome> sample_hosts(Connector& connector, const std::vector<std::string>& uris,
                                      const CollectOptions& opt, const CollectClock& clock) {
    // Every host's first sample (the pool), one wait, every host's second sample (the pool): a
    // host's two samples are at least the gap apart, and the wait is paid once, not per host.
    std::vector<HostOutcome> out(uris.size());
    std::vector<std::unique_ptr<HostConnection>> conns(uris.size());
    pool_for(uris.size(), opt.parallel,
             [&](size_t i) { conns[i] = first_half(connector, uris[i], opt, clock, out[i]); });
    if (opt.gap_s > 0) clock.sleep_s(std::max(opt.gap_s, static_cast<double>(dirty_calc_s(opt))));
    pool_for(uris.size(), opt.parallel, [&](size_t i) {
        if (conns[i]) second_half(*conns[i], clock, out[i]);
        conns[i].reset();
    });
    return out;
}

Collected merge_outcomes(const std::vector<std::string>& hosts,
                         const std::vector<HostOutcome>& outcomes) {
    FP_ASSERT(hosts.size() == outcomes.size());
    Collected c;
    c.hosts = static_cast<int64_t>(hosts.size());
    std::map<std::string, std::string> seen;  // vm -> host kept
    for (size_t i = 0; i < hosts.size(); ++i) {
        if (!outcomes[i].sample) {
            c.missing.push_back({hosts[i], outcomes[i].error});
            continue;
        }
        for (auto& r : host_rows(hosts[i], *outcomes[i].sample)) {
            auto [it, added] = seen.emplace(r.vm, r.host);
            if (!added) {
                c.warnings.push_back("VM " + in_quotes(r.vm) + " runs on both " +
                                     printable(it->second) + " and " + printable(r.host) +
                                     " (a migration in flight?); keeping " + printable(it->second));
                continue;
            }
            c.rows.push_back(std::move(r));
        }
    }
    std::sort(c.rows.begin(), c.rows.end(), [](const CollectedVm& a, const CollectedVm& b) {
        return a.host != b.host ? a.host < b.host : a.vm < b.vm;
    });
    return c;
}

bool too_many_missing(const Collected& c, Strictness strict, double max_missing_frac) {
    if (c.missing.empty()) return false;
    if (strict == Strictness::kStrict) return true;
    return static_cast<double>(c.missing.size()) > max_missing_frac * static_cast<double>(c.hosts);
}

}  // namespace fp::dispatch
