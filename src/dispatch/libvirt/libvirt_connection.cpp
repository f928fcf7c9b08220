#include "src/dispatch/libvirt/libvirt_connection.hpp"

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include <algorithm>

namespace fp::dispatch {
namespace {

std::string last_error() {
    const virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown libvirt error";
}

void ignore_errors(void*, virErrorPtr) {}

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
                info.running = di.state == VIR_DOMAIN_RUNNING;
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

  private:
    virConnectPtr conn_;
    std::string uri_;
};

}  // namespace

Result<std::unique_ptr<HostConnection>> open_libvirt_readonly(const std::string& uri) {
    virSetErrorFunc(nullptr, ignore_errors);
    virConnectPtr conn = virConnectOpenReadOnly(uri.c_str());
    if (!conn) return fail(ErrorCode::kEnvironment, uri + ": cannot connect: " + last_error());
    return std::unique_ptr<HostConnection>(std::make_unique<LibvirtConnection>(conn, uri));
}

}  // namespace fp::dispatch
