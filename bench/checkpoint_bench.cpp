// Question: how large is a checkpoint and how long do writing and reading it take for a big
// generated fleet (the checkpoint issue asks for 50,000 hosts)? Prints one CSV line per size:
// hosts,vms,moves,plan_s,write_s,read_s,file_bytes.
// Run: build/bench/checkpoint_bench [HOSTS ...] (default 10000 50000), VMs = 10 per host.
// Second question: at 100k hosts / 2M VMs, what do reading, parsing and the checkpoint image of
// real files cost (the plan's "parse" and "write" phases, issue 16)? Prints one CSV line per run:
// read_s,hosts_s,vms_s,vms_cpu_s,digest_s,ckpt_image_s,ckpt_cpu_s,ckpt_bytes (cpu: user +
// system seconds of all threads). The checkpoint holds the fleet and an
// empty plan. Run: build/bench/checkpoint_bench --files HOSTS.csv VMS.csv [RUNS]
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "io/csv.hpp"
#include "io/digest.hpp"
#include "io/fleet_csv.hpp"
#include "src/model/generator.hpp"
#include "src/plan/planner.hpp"

namespace {

// CPU seconds of this process (user + system), all threads: steadier than wall time on a
// machine that others load.
double cpu_now() {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// The --files mode: each step timed on its own, `runs` times.
int files_mode(const std::string& hosts_path, const std::string& vms_path, int runs) {
    std::printf("read_s,hosts_s,vms_s,vms_cpu_s,digest_s,ckpt_image_s,ckpt_cpu_s,ckpt_bytes\n");
    for (int run = 0; run < runs; ++run) {
        auto t0 = std::chrono::steady_clock::now();
        auto htext = fp::io::read_file(hosts_path);
        auto vtext = fp::io::read_file(vms_path);
        if (!htext || !vtext) return 2;
        const double read_s = since(t0);
        t0 = std::chrono::steady_clock::now();
        auto load = fp::io::parse_hosts(*htext, hosts_path);
        if (!load) return 2;
        const double hosts_s = since(t0);
        t0 = std::chrono::steady_clock::now();
        double c0 = cpu_now();
        if (!fp::io::parse_vms_into(*vtext, vms_path, {}, *load)) return 2;
        const double vms_s = since(t0), vms_cpu = cpu_now() - c0;
        t0 = std::chrono::steady_clock::now();
        const std::string digest = fp::io::blocked_digest_text(*vtext);
        const double digest_s = since(t0);
        fp::io::Checkpoint c;
        c.fleet = std::move(load->fleet);
        c.program_version = "bench";
        c.command = "plan";
        c.goal = "auto";
        c.summary_json = "{}";
        c.inputs = {{"vms", vms_path + " " + digest}};
        t0 = std::chrono::steady_clock::now();
        c0 = cpu_now();
        auto image = fp::io::checkpoint_image("bench.h5", c);
        if (!image) return 3;
        const double image_s = since(t0), image_cpu = cpu_now() - c0;
        std::printf("%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%zu\n", read_s, hosts_s, vms_s, vms_cpu,
                    digest_s, image_s, image_cpu, image->size());
        std::fflush(stdout);
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 4 && std::string(argv[1]) == "--files")
        return files_mode(argv[2], argv[3], argc >= 5 ? std::atoi(argv[4]) : 3);
    std::vector<int64_t> sizes;
    for (int i = 1; i < argc; ++i) sizes.push_back(std::atoll(argv[i]));
    if (sizes.empty()) sizes = {10000, 50000};
    fp::policy::Registries reg;
    fp::policy::register_builtin_policies(reg);
    auto rc = fp::io::load_config("", {}, reg);
    if (!rc) return 1;
    rc->options.goal = fp::plan::Goal::kConsolidate;
    const std::string path = (std::filesystem::temp_directory_path() /
                              ("fp_ckpt_bench_" + std::to_string(::getpid()) + ".h5"))
                                 .string();
    std::printf("hosts,vms,moves,plan_s,write_s,read_s,file_bytes\n");
    for (int64_t hosts : sizes) {
        fp::model::GeneratorOptions g;
        g.hosts = hosts;
        g.vms = hosts * 10;
        g.seed = 7;
        fp::io::Checkpoint c;
        c.fleet = fp::model::generate_fleet(g);
        auto t0 = std::chrono::steady_clock::now();
        fp::plan::PhaseTimes times;
        c.plan = fp::plan::make_plan(c.fleet, rc->options, rc->policies, times);
        const double plan_s = since(t0);
        c.program_version = "bench";
        c.command = "plan";
        c.goal = "consolidate";
        c.max_util_ppm = rc->options.max_util_ppm;
        c.config_toml = rc->expanded_toml;
        c.summary_json = "{}";
        t0 = std::chrono::steady_clock::now();
        if (!fp::io::write_checkpoint(path, c)) return 3;
        const double write_s = since(t0);
        t0 = std::chrono::steady_clock::now();
        auto back = fp::io::read_checkpoint(path);
        const double read_s = since(t0);
        if (!back || back->fleet.vms.size() != c.fleet.vms.size()) return 1;
        std::printf("%lld,%zu,%zu,%.3f,%.3f,%.3f,%llu\n", static_cast<long long>(hosts),
                    c.fleet.vms.size(), c.plan.moves.size(), plan_s, write_s, read_s,
                    static_cast<unsigned long long>(std::filesystem::file_size(path)));
        std::fflush(stdout);
    }
    std::filesystem::remove(path);
    return 0;
}
