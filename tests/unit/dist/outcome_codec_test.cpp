// The flat codec shard outcomes travel to rank 0 in: every field of every part survives the
// round trip (listed VMs with history, moves with estimates, unresolved items, resizes, the
// plan's counters, phase times), several outcomes decode in order, and a cut or damaged buffer
// (a count beyond the bytes, an unknown move reason, bytes after the end) is an exception,
// never a short read or a huge allocation.
#include "src/dist/outcome_codec.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <stdexcept>

#include "src/dist/vm_codec.hpp"

namespace fp::dist {
namespace {

plan::ShardOutcome outcome(int32_t shard) {
    plan::ShardOutcome o;
    o.shard = shard;
    o.vms = 1000 + shard;
    o.frozen = 3;
    o.mem_kib = int64_t{1} << 40;
    o.static_load = {model::Resources{{1, 2, 3}}, model::Resources{{-4, 5, 1000000000}}};
    o.static_count = {7, 0};
    o.anti = {{0, "db"}, {1, ""}, {1, "caf\xC3\xA9"}};
    o.listed.resize(2);
    o.listed[0].vm.id = "vm-a";
    o.listed[0].vm.host = 12;
    o.listed[0].vm.demand = model::Resources{{1500, 2097152, 1000}};
    o.listed[0].vm.group = "web";
    o.listed[0].vm.cpu_alloc_millicores = 4000;
    o.listed[0].local = 4;
    o.listed[0].origin = 123456789012;
    o.listed[0].frozen = 1;
    o.listed[0].cpu = {0.5f, 0.25f};
    o.listed[0].net = {1.0f};
    o.listed[1].vm.id = "new";
    o.listed[1].vm.host = model::kNoHost;
    o.listed[1].local = 9;
    o.listed[1].origin = 2;
    plan::Move m;
    m.vm = 1;
    m.source = -1;
    m.target = 40;
    m.step = 2;
    m.reason = plan::MoveReason::kAntiAffinity;
    m.estimate = {12.5, 300.25, 4096.5, 7, false};
    m.est_start_s = 99.5;
    m.flags = 3;
    o.plan.moves = {m, m};
    o.plan.moves[1].reason = plan::MoveReason::kEvacuate;
    o.plan.moves[1].vm = 0;
    o.plan.unresolved = {{-1, 1, "no host fits"}, {5, -1, ""}};
    o.plan.resizes = {{0, 12, 5000, 8388608}};
    o.plan.powered_on = {40};
    o.plan.deferred = {1};
    o.plan.migrations = 1;
    o.plan.moved_mem_kib = 2097152;
    o.plan.window_dropped = 4;
    o.plan.window_dropped_mem_kib = 55;
    o.plan.improve = {61, 2, 5, 4096, 3, 2048, 7};
    o.times = {0.5, 1.5, 2.5, 3.5, 4.5, 5.5};
    o.history_interval_s = 600;
    o.history_length = 288;
    return o;
}

std::string vm_bytes(const model::Vm& v) {
    std::string b;
    encode_vms(std::span<const model::Vm>(&v, 1), b);
    return b;
}

void expect_same(const plan::ShardOutcome& a, const plan::ShardOutcome& b) {
    EXPECT_EQ(a.shard, b.shard);
    EXPECT_EQ(a.vms, b.vms);
    EXPECT_EQ(a.frozen, b.frozen);
    EXPECT_EQ(a.mem_kib, b.mem_kib);
    ASSERT_EQ(a.static_load.size(), b.static_load.size());
    for (size_t i = 0; i < a.static_load.size(); ++i)
        EXPECT_EQ(a.static_load[i].v, b.static_load[i].v);
    EXPECT_EQ(a.static_count, b.static_count);
    EXPECT_EQ(a.anti, b.anti);
    ASSERT_EQ(a.listed.size(), b.listed.size());
    for (size_t i = 0; i < a.listed.size(); ++i) {
        EXPECT_EQ(vm_bytes(a.listed[i].vm), vm_bytes(b.listed[i].vm));  // the VM codec's test
        EXPECT_EQ(a.listed[i].local, b.listed[i].local);
        EXPECT_EQ(a.listed[i].origin, b.listed[i].origin);
        EXPECT_EQ(a.listed[i].frozen, b.listed[i].frozen);
        EXPECT_EQ(a.listed[i].cpu, b.listed[i].cpu);
        EXPECT_EQ(a.listed[i].mem, b.listed[i].mem);
        EXPECT_EQ(a.listed[i].net, b.listed[i].net);
    }
    ASSERT_EQ(a.plan.moves.size(), b.plan.moves.size());
    for (size_t i = 0; i < a.plan.moves.size(); ++i) {
        const plan::Move &x = a.plan.moves[i], &y = b.plan.moves[i];
        EXPECT_EQ(std::tie(x.vm, x.source, x.target, x.step, x.reason, x.est_start_s, x.flags),
                  std::tie(y.vm, y.source, y.target, y.step, y.reason, y.est_start_s, y.flags));
        EXPECT_EQ(std::tie(x.estimate.seconds, x.estimate.downtime_ms, x.estimate.sent_mib,
                           x.estimate.rounds, x.estimate.converged),
                  std::tie(y.estimate.seconds, y.estimate.downtime_ms, y.estimate.sent_mib,
                           y.estimate.rounds, y.estimate.converged));
    }
    ASSERT_EQ(a.plan.unresolved.size(), b.plan.unresolved.size());
    for (size_t i = 0; i < a.plan.unresolved.size(); ++i)
        EXPECT_EQ(std::tie(a.plan.unresolved[i].host, a.plan.unresolved[i].vm,
                           a.plan.unresolved[i].reason),
                  std::tie(b.plan.unresolved[i].host, b.plan.unresolved[i].vm,
                           b.plan.unresolved[i].reason));
    ASSERT_EQ(a.plan.resizes.size(), b.plan.resizes.size());
    for (size_t i = 0; i < a.plan.resizes.size(); ++i)
        EXPECT_EQ(
            std::tie(a.plan.resizes[i].vm, a.plan.resizes[i].host,
                     a.plan.resizes[i].cpu_alloc_millicores, a.plan.resizes[i].mem_alloc_kib),
            std::tie(b.plan.resizes[i].vm, b.plan.resizes[i].host,
                     b.plan.resizes[i].cpu_alloc_millicores, b.plan.resizes[i].mem_alloc_kib));
    EXPECT_EQ(a.plan.powered_on, b.plan.powered_on);
    EXPECT_EQ(a.plan.deferred, b.plan.deferred);
    EXPECT_EQ(std::tie(a.plan.migrations, a.plan.moved_mem_kib, a.plan.window_dropped,
                       a.plan.window_dropped_mem_kib),
              std::tie(b.plan.migrations, b.plan.moved_mem_kib, b.plan.window_dropped,
                       b.plan.window_dropped_mem_kib));
    const plan::ImproveStats &ia = a.plan.improve, &ib = b.plan.improve;
    EXPECT_EQ(std::tie(ia.work, ia.hosts_freed, ia.moves_added, ia.mem_added_kib, ia.moves_undone,
                       ia.mem_saved_kib, ia.moves_retargeted),
              std::tie(ib.work, ib.hosts_freed, ib.moves_added, ib.mem_added_kib, ib.moves_undone,
                       ib.mem_saved_kib, ib.moves_retargeted));
    EXPECT_EQ(std::tie(a.times.parse, a.times.detect, a.times.select, a.times.place,
                       a.times.resolve, a.times.write),
              std::tie(b.times.parse, b.times.detect, b.times.select, b.times.place,
                       b.times.resolve, b.times.write));
    EXPECT_EQ(a.history_interval_s, b.history_interval_s);
    EXPECT_EQ(a.history_length, b.history_length);
}

TEST(OutcomeCodec, EveryFieldSurvivesTheRoundTripInOrder) {
    const std::vector<plan::ShardOutcome> in = {outcome(3), plan::ShardOutcome{}, outcome(60)};
    std::string bytes;
    encode_outcomes(in, bytes);
    std::vector<plan::ShardOutcome> out(1);  // decode appends
    decode_outcomes(bytes, out);
    ASSERT_EQ(out.size(), 4u);
    for (size_t i = 0; i < in.size(); ++i) expect_same(in[i], out[i + 1]);
}

TEST(OutcomeCodec, ACutBufferThrowsInsteadOfReadingPastIt) {
    std::string bytes;
    encode_outcomes(std::vector<plan::ShardOutcome>{outcome(1), outcome(2)}, bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
        std::vector<plan::ShardOutcome> out;
        EXPECT_THROW(decode_outcomes(std::string_view(bytes).substr(0, n), out), std::runtime_error)
            << "cut at " << n << " of " << bytes.size();
    }
}

TEST(OutcomeCodec, ADamagedBufferThrowsWithoutAllocatingWhatItClaims) {
    std::string good;
    encode_outcomes(std::vector<plan::ShardOutcome>{outcome(1)}, good);
    std::vector<plan::ShardOutcome> out;
    // The outcome count (the first 8 bytes) claims far more than the bytes hold.
    std::string huge = good;
    const uint64_t n = uint64_t{1} << 60;
    std::memcpy(huge.data(), &n, 8);
    EXPECT_THROW(decode_outcomes(huge, out), std::runtime_error);
    // The static_load count (after shard, vms, frozen, mem_kib) likewise.
    std::string loads = good;
    std::memcpy(loads.data() + 8 + 4 + 3 * 8, &n, 8);
    EXPECT_THROW(decode_outcomes(loads, out), std::runtime_error);
    // A byte after the last outcome.
    EXPECT_THROW(decode_outcomes(good + "x", out), std::runtime_error);
    // An unknown move reason: the first move's reason field, found by its neighbours' values.
    plan::ShardOutcome o = outcome(1);
    o.plan.moves.resize(1);
    std::string one;
    encode_outcomes(std::vector<plan::ShardOutcome>{o}, one);
    const int32_t fields[] = {1, -1, 40, 2};  // vm, source, target, step
    const size_t at = one.find(std::string(reinterpret_cast<const char*>(fields), sizeof fields));
    ASSERT_NE(at, std::string::npos);
    const int32_t bad = 99;
    std::memcpy(one.data() + at + sizeof fields, &bad, 4);
    EXPECT_THROW(decode_outcomes(one, out), std::runtime_error);
}

}  // namespace
}  // namespace fp::dist
