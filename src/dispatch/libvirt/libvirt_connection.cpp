#include "src/dispatch/libvirt/libvirt_connection.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace fp::dispatch {
namespace {

std::string last_error() {
    const virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

void ignore_errors(void*, virErrorPtr) {}

struct DomainRef {
    virDomainPtr d = nullptr;
    explicit DomainRef(virDomainPtr p) : d(p) {}
    ~DomainRef() {
        if (d) virDomainFree(d);
    }
    DomainRef(const DomainRef&) = delete;
    DomainRef& operator=(const DomainRef&) = delete;
};

class LibvirtConnection final : public HostConnection {
  public:
    LibvirtConnection(virConnectPtr conn, std::string uri) : conn_(conn), uri_(std::move(uri)) {}
    ~LibvirtConnection() override { virConnectClose(conn_); }
    LibvirtConnection(const LibvirtConnection&) = delete;
    LibvirtConnection& operator=(const LibvirtConnection&) = delete;

    Result<std::vector<DomainInfo>> list_domains() override {
        virDomainPtr* doms = nullptr;
        const int n = virConnectListAllDomains(conn_, &doms, 0);
        if (n < 0)
            return fail(ErrorCode::kEnvironment, uri_ + ": cannot list domains: " + last_error());
        std::vector<DomainInfo> out;
        for (int i = 0; i < n; ++i) {
            DomainInfo info;
            info.name = virDomainGetName(doms[i]);
            virDomainInfo di;
            if (virDomainGetInfo(doms[i], &di) == 0) {
                info.running = di.state == VIR_DOMAIN_RUNNING || di.state == VIR_DOMAIN_PAUSED;
                info.memory_kib = static_cast<int64_t>(di.memory);
                info.vcpus = di.nrVirtCpu;
            }
            out.push_back(std::move(info));
            virDomainFree(doms[i]);
        }
        free(doms);
        std::sort(out.begin(), out.end(),
                  [](const DomainInfo& a, const DomainInfo& b) { return a.name < b.name; });
        return out;
    }

    Result<DomainState> domain_state(const std::string& name) override {
        DomainState st;
        DomainRef dom(virDomainLookupByName(conn_, name.c_str()));
        if (!dom.d) {
            const virErrorPtr e = virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) return st;
            return fail(ErrorCode::kEnvironment,
                        uri_ + ": cannot look up " + name + ": " + last_error());
        }
        virDomainInfo di;
        if (virDomainGetInfo(dom.d, &di) != 0)
            return fail(ErrorCode::kEnvironment,
                        uri_ + ": cannot read " + name + ": " + last_error());
        st.exists = true;
        // A paused VM still exists there (a migration's last phase pauses it); "running" means
        // it runs (or is paused by its owner), not that it is shut off or crashed.
        st.running = di.state == VIR_DOMAIN_RUNNING || di.state == VIR_DOMAIN_PAUSED ||
                     di.state == VIR_DOMAIN_BLOCKED;
        st.memory_kib = static_cast<int64_t>(di.memory);
        return st;
    }

    MigrateOutcome migrate(const MigrateRequest& r) override {
        MigrateOutcome out;
        DomainRef dom(virDomainLookupByName(conn_, r.vm.c_str()));
        if (!dom.d) {
            out.error = uri_ + ": cannot look up " + r.vm + ": " + last_error();
            return out;
        }
        virTypedParameterPtr params = nullptr;
        int n = 0, cap = 0;
        if (!r.migrate_uri.empty())
            virTypedParamsAddString(&params, &n, &cap, VIR_MIGRATE_PARAM_URI,
                                    r.migrate_uri.c_str());
        if (r.bandwidth_mibps > 0)
            virTypedParamsAddULLong(&params, &n, &cap, VIR_MIGRATE_PARAM_BANDWIDTH,
                                    static_cast<unsigned long long>(r.bandwidth_mibps));
        unsigned int flags = VIR_MIGRATE_LIVE | VIR_MIGRATE_PEER2PEER;
        if (r.mode != MigrationMode::kPostcopy) flags |= VIR_MIGRATE_AUTO_CONVERGE;
        if (r.mode != MigrationMode::kPrecopy) flags |= VIR_MIGRATE_POSTCOPY;
        // auto: also compress what is resent (XBZRLE), for guests that dirty memory fast.
        if (r.mode == MigrationMode::kAuto) flags |= VIR_MIGRATE_COMPRESSED;

        // A watchdog on its own connection, opened before the migration starts (no timeout
        // without it): switches to post-copy (postcopy at once, auto halfway) and aborts the job
        // at the timeout, again every second until it ends.
        virConnectPtr wc = virConnectOpen(uri_.c_str());
        virDomainPtr wd = wc ? virDomainLookupByName(wc, r.vm.c_str()) : nullptr;
        if (!wd) {
            out.error = uri_ + ": cannot open the timeout watchdog's connection: " + last_error();
            if (wc) virConnectClose(wc);
            virTypedParamsFree(params, n);
            return out;
        }
        std::mutex mu;
        std::condition_variable cv;
        bool done = false, aborted = false;
        using Clock = std::chrono::steady_clock;
        const auto after = [](double s) {
            return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
        };
        const Clock::time_point start = Clock::now();
        const Clock::time_point deadline = start + after(r.timeout_s);
        std::thread watchdog([&] {
            std::unique_lock<std::mutex> lock(mu);
            bool switched = r.mode == MigrationMode::kPrecopy;
            const Clock::time_point switch_at =
                start + after(r.mode == MigrationMode::kPostcopy ? 1.0 : r.timeout_s / 2);
            while (!done) {
                Clock::time_point wake =
                    Clock::now() >= deadline ? Clock::now() + after(1.0) : deadline;
                if (!switched) wake = std::min(wake, switch_at);
                if (cv.wait_until(lock, wake, [&] { return done; })) break;
                if (Clock::now() >= deadline) {
                    if (!aborted && virDomainAbortJob(wd) == 0) aborted = true;
                    continue;  // until the migration call returns
                }
                if (!switched && Clock::now() >= switch_at) {
                    virDomainMigrateStartPostCopy(wd, 0);
                    switched = true;
                }
            }
        });
        const auto t0 = std::chrono::steady_clock::now();
        const int rc = virDomainMigrateToURI3(dom.d, r.dest_uri.c_str(), params, n, flags);
        const std::string err = rc == 0 ? "" : last_error();
        {
            std::lock_guard<std::mutex> lock(mu);
            done = true;
        }
        cv.notify_all();
        watchdog.join();
        virDomainFree(wd);
        virConnectClose(wc);
        virTypedParamsFree(params, n);
        out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        out.ok = rc == 0;
        out.timed_out = rc != 0 && aborted;
        out.error = err;
        if (out.ok) job_figures(r, out);
        return out;
    }

    Result<std::vector<DomainStats>> domain_stats() override {
        virDomainStatsRecordPtr* recs = nullptr;
        const unsigned int groups = VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
                                    VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
                                    VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_DIRTYRATE;
        int n = virConnectGetAllDomainStats(conn_, groups, &recs, 0);
        if (n < 0) {
            // Drivers without some groups (the test driver) answer the state group alone.
            n = virConnectGetAllDomainStats(conn_, VIR_DOMAIN_STATS_STATE, &recs, 0);
        }
        if (n < 0)
            return fail(ErrorCode::kEnvironment,
                        uri_ + ": cannot read domain statistics: " + last_error());
        std::vector<DomainStats> out;
        for (int i = 0; i < n; ++i) {
            DomainStats s;
            s.name = virDomainGetName(recs[i]->dom);
            for (int k = 0; k < recs[i]->nparams; ++k) {
                const virTypedParameter& p = recs[i]->params[k];
                double v = 0;
                switch (p.type) {
                    case VIR_TYPED_PARAM_INT:
                        v = p.value.i;
                        break;
                    case VIR_TYPED_PARAM_UINT:
                        v = p.value.ui;
                        break;
                    case VIR_TYPED_PARAM_LLONG:
                        v = static_cast<double>(p.value.l);
                        break;
                    case VIR_TYPED_PARAM_ULLONG:
                        v = static_cast<double>(p.value.ul);
                        break;
                    case VIR_TYPED_PARAM_DOUBLE:
                        v = p.value.d;
                        break;
                    case VIR_TYPED_PARAM_BOOLEAN:
                        v = p.value.b;
                        break;
                    default:
                        continue;
                }
                s.fields[p.field] = v;
            }
            out.push_back(std::move(s));
        }
        virDomainStatsRecordListFree(recs);
        std::sort(out.begin(), out.end(),
                  [](const DomainStats& a, const DomainStats& b) { return a.name < b.name; });
        return out;
    }

    Result<bool> job_active(const std::string& name) override {
        DomainRef dom(virDomainLookupByName(conn_, name.c_str()));
        if (!dom.d) {
            const virErrorPtr e = virGetLastError();
            if (e && e->code == VIR_ERR_NO_DOMAIN) return false;
            return fail(ErrorCode::kEnvironment,
                        uri_ + ": cannot look up " + name + ": " + last_error());
        }
        virDomainJobInfo info;
        if (virDomainGetJobInfo(dom.d, &info) != 0) {
            // A driver without jobs (the test driver) runs none.
            const virErrorPtr e = virGetLastError();
            if (e && (e->code == VIR_ERR_NO_SUPPORT || e->code == VIR_ERR_OPERATION_INVALID))
                return false;
            return fail(ErrorCode::kEnvironment,
                        uri_ + ": cannot read " + name + "'s job: " + last_error());
        }
        return info.type != VIR_DOMAIN_JOB_NONE;
    }

    void abort_job(const std::string& name) override {
        DomainRef dom(virDomainLookupByName(conn_, name.c_str()));
        if (dom.d) virDomainAbortJob(dom.d);
    }

    void start_dirty_rate(int seconds) override {
        virDomainPtr* doms = nullptr;
        const int n = virConnectListAllDomains(conn_, &doms, VIR_CONNECT_LIST_DOMAINS_RUNNING);
        for (int i = 0; i < n; ++i) {
            virDomainStartDirtyRateCalc(doms[i], seconds, 0);  // unsupported: no figure, no error
            virDomainFree(doms[i]);
        }
        if (n >= 0) free(doms);
    }

  private:
    // The completed job's time and downtime, as the target reports them for the incoming VM.
    void job_figures(const MigrateRequest& r, MigrateOutcome& out) {
        virConnectPtr dc =
            virConnectOpen((r.target_uri.empty() ? r.dest_uri : r.target_uri).c_str());
        if (!dc) return;
        virDomainPtr dd = virDomainLookupByName(dc, r.vm.c_str());
        if (dd) {
            int type = 0, n = 0;
            virTypedParameterPtr params = nullptr;
            if (virDomainGetJobStats(dd, &type, &params, &n, VIR_DOMAIN_JOB_STATS_COMPLETED) == 0) {
                unsigned long long v = 0;
                if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_TIME_ELAPSED, &v) == 1)
                    out.seconds = static_cast<double>(v) / 1000.0;
                if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DOWNTIME, &v) == 1)
                    out.downtime_ms = static_cast<double>(v);
                if (virTypedParamsGetULLong(params, n, VIR_DOMAIN_JOB_DATA_PROCESSED, &v) == 1)
                    out.data_mib = static_cast<double>(v) / (1024.0 * 1024.0);
                virTypedParamsFree(params, n);
            }
            virDomainFree(dd);
        }
        virConnectClose(dc);
    }

    virConnectPtr conn_;
    std::string uri_;
};

Result<std::unique_ptr<HostConnection>> open(const std::string& uri, bool read_only) {
    // Once, before connections are opened from several threads (collect's pool): libvirt's
    // initialisation and its global error handler are process-wide, not per connection.
    static std::once_flag init;
    std::call_once(init, [] {
        virInitialize();
        virSetErrorFunc(nullptr, ignore_errors);
    });
    virConnectPtr conn =
        read_only ? virConnectOpenReadOnly(uri.c_str()) : virConnectOpen(uri.c_str());
    if (!conn) return fail(ErrorCode::kEnvironment, uri + ": cannot connect: " + last_error());
    return std::unique_ptr<HostConnection>(std::make_unique<LibvirtConnection>(conn, uri));
}

}  // namespace

Result<std::unique_ptr<HostConnection>> open_libvirt_readonly(const std::string& uri) {
    return open(uri, true);
}

Result<std::unique_ptr<HostConnection>> open_libvirt(const std::string& uri) {
    return open(uri, false);
}

}  // namespace fp::dispatch
