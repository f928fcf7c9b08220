#include "src/dist/spread.hpp"

#include <tbb/parallel_for.h>

#include <boost/serialization/utility.hpp>

#include "src/dist/collectives.hpp"
#include "src/dist/wire.hpp"

namespace fp::dist {

Result<std::vector<std::string>> run_spread(std::string_view collective, size_t n,
                                            const std::function<Result<std::string>(size_t)>& run,
                                            Communicator& comm) {
    std::vector<size_t> mine;
    for (size_t i = 0; i < n; ++i)
        if (static_cast<int>(i % static_cast<size_t>(comm.size())) == comm.rank())
            mine.push_back(i);
    std::vector<Result<std::string>> results(n, std::string());
    auto run_mine = [&]() -> Result<void> {
        tbb::parallel_for(size_t{0}, mine.size(),
                          [&](size_t j) { results[mine[j]] = run(mine[j]); });
        for (size_t i : mine)
            if (!results[i]) return tl::unexpected(results[i].error());
        return {};
    };
    if (auto r = run_agreed(run_mine, comm); !r) return tl::unexpected(r.error());
    Result<std::string> bytes = std::string();
    if (auto r = local_step(collective, "pack", comm,
                            [&] {
                                std::vector<std::pair<uint64_t, std::string>> items;
                                for (size_t i : mine) items.emplace_back(i, std::move(*results[i]));
                                *bytes = pack(items);
                            });
        !r)
        bytes = tl::unexpected(r.error());
    const auto all = gather_bytes(collective, bytes, comm);
    if (!all) return tl::unexpected(all.error());
    std::vector<std::string> out;
    const Result<void> unpacked = local_step(collective, "unpack", comm, [&] {
        if (comm.rank() != 0) return;
        out.resize(n);
        for (const std::string& part : *all) {
            std::vector<std::pair<uint64_t, std::string>> items;
            unpack(part, items);
            for (auto& [i, s] : items) out.at(static_cast<size_t>(i)) = std::move(s);
        }
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    return out;
}

}  // namespace fp::dist
