// Question: how large is a checkpoint and how long do writing and reading it take for a big
// generated fleet (the checkpoint issue asks for 50,000 hosts)? Prints one CSV line per size:
// hosts,vms,moves,plan_s,write_s,read_s,file_bytes.
// Run: build/bench/checkpoint_bench [HOSTS ...] (default 10000 50000), VMs = 10 per host.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "io/checkpoint.hpp"
#include "io/config.hpp"
#include "src/model/generator.hpp"
#include "src/plan/planner.hpp"

namespace {

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

int main(int argc, char** argv) {
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
