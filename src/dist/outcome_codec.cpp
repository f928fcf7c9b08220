#include "src/dist/outcome_codec.hpp"

#include <cstdint>
#include <stdexcept>

#include "src/dist/flat.hpp"
#include "src/dist/vm_codec.hpp"

namespace fp::dist {
namespace {

using flat::append;
using flat::append_str;

template <typename T>
void append_vec(std::string& out, const std::vector<T>& v) {
    append(out, static_cast<uint64_t>(v.size()));
    out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
template <typename T>
std::vector<T> get_vec(flat::Reader& r) {
    std::vector<T> v(r.get_count(sizeof(T)));
    for (T& x : v) x = r.get<T>();
    return v;
}

void encode_plan(const plan::Plan& p, std::string& out) {
    append(out, static_cast<uint64_t>(p.moves.size()));
    for (const plan::Move& m : p.moves) {
        append(out, m.vm);
        append(out, m.source);
        append(out, m.target);
        append(out, m.step);
        append(out, static_cast<int32_t>(m.reason));
        append(out, m.estimate.seconds);
        append(out, m.estimate.downtime_ms);
        append(out, m.estimate.sent_mib);
        append(out, static_cast<int32_t>(m.estimate.rounds));
        append(out, static_cast<uint8_t>(m.estimate.converged));
        append(out, m.est_start_s);
        append(out, m.flags);
    }
    append(out, static_cast<uint64_t>(p.unresolved.size()));
    for (const plan::Unresolved& u : p.unresolved) {
        append(out, u.host);
        append(out, u.vm);
        append_str(out, u.reason);
    }
    append(out, static_cast<uint64_t>(p.resizes.size()));
    for (const plan::Resize& z : p.resizes) {
        append(out, z.vm);
        append(out, z.host);
        append(out, z.cpu_alloc_millicores);
        append(out, z.mem_alloc_kib);
    }
    append_vec(out, p.powered_on);
    append_vec(out, p.deferred);
    append(out, p.migrations);
    append(out, p.moved_mem_kib);
    append(out, p.window_dropped);
    append(out, p.window_dropped_mem_kib);
    const plan::ImproveStats& st = p.improve;
    for (int64_t x : {st.work, st.hosts_freed, st.moves_added, st.mem_added_kib, st.moves_undone,
                      st.mem_saved_kib, st.moves_retargeted})
        append(out, x);
}

constexpr size_t kMoveBytes = 4 * 5 + 8 * 3 + 4 + 1 + 8 + 1;

plan::Plan decode_plan(flat::Reader& r) {
    plan::Plan p;
    p.moves.resize(r.get_count(kMoveBytes));
    for (plan::Move& m : p.moves) {
        m.vm = r.get<int32_t>();
        m.source = r.get<int32_t>();
        m.target = r.get<int32_t>();
        m.step = r.get<int32_t>();
        const auto reason = r.get<int32_t>();
        if (reason < 0 || reason >= static_cast<int32_t>(std::size(plan::kMoveReasons)))
            throw std::runtime_error("shard outcomes: unknown move reason " +
                                     std::to_string(reason));
        m.reason = static_cast<plan::MoveReason>(reason);
        m.estimate.seconds = r.get<double>();
        m.estimate.downtime_ms = r.get<double>();
        m.estimate.sent_mib = r.get<double>();
        m.estimate.rounds = r.get<int32_t>();
        m.estimate.converged = r.get<uint8_t>() != 0;
        m.est_start_s = r.get<double>();
        m.flags = r.get<uint8_t>();
    }
    p.unresolved.resize(r.get_count(4 + 4 + 4));
    for (plan::Unresolved& u : p.unresolved) {
        u.host = r.get<int32_t>();
        u.vm = r.get<int32_t>();
        u.reason = r.get_str();
    }
    p.resizes.resize(r.get_count(4 + 4 + 8 + 8));
    for (plan::Resize& z : p.resizes) {
        z.vm = r.get<int32_t>();
        z.host = r.get<int32_t>();
        z.cpu_alloc_millicores = r.get<int64_t>();
        z.mem_alloc_kib = r.get<int64_t>();
    }
    p.powered_on = get_vec<int32_t>(r);
    p.deferred = get_vec<int32_t>(r);
    p.migrations = r.get<int64_t>();
    p.moved_mem_kib = r.get<int64_t>();
    p.window_dropped = r.get<int64_t>();
    p.window_dropped_mem_kib = r.get<int64_t>();
    plan::ImproveStats& st = p.improve;
    for (int64_t* x : {&st.work, &st.hosts_freed, &st.moves_added, &st.mem_added_kib,
                       &st.moves_undone, &st.mem_saved_kib, &st.moves_retargeted})
        *x = r.get<int64_t>();
    return p;
}

}  // namespace

void encode_outcomes(std::span<const plan::ShardOutcome> outcomes, std::string& out) {
    append(out, static_cast<uint64_t>(outcomes.size()));
    std::string row;
    for (const plan::ShardOutcome& o : outcomes) {
        append(out, o.shard);
        append(out, o.vms);
        append(out, o.frozen);
        append(out, o.mem_kib);
        append(out, static_cast<uint64_t>(o.static_load.size()));
        for (const model::Resources& l : o.static_load)
            for (int d = 0; d < model::kDims; ++d) append(out, l[d]);
        append_vec(out, o.static_count);
        append(out, static_cast<uint64_t>(o.anti.size()));
        for (const auto& [host, group] : o.anti) {
            append(out, host);
            append_str(out, group);
        }
        append(out, static_cast<uint64_t>(o.listed.size()));
        for (const plan::ListedVm& l : o.listed) {
            row.clear();
            encode_vms(std::span<const model::Vm>(&l.vm, 1), row);
            append_str(out, row);
            append(out, l.local);
            append(out, l.origin);
            append(out, l.frozen);
            append_vec(out, l.cpu);
            append_vec(out, l.mem);
            append_vec(out, l.net);
        }
        encode_plan(o.plan, out);
        for (double t : {o.times.parse, o.times.detect, o.times.select, o.times.place,
                         o.times.resolve, o.times.write})
            append(out, t);
        append(out, o.history_interval_s);
        append(out, o.history_length);
    }
}

void decode_outcomes(std::string_view bytes, std::vector<plan::ShardOutcome>& out) {
    flat::Reader r(bytes, "shard outcomes");
    const size_t n = r.get_count(4 + 8 * 3);
    out.reserve(out.size() + n);
    std::vector<model::Vm> one;
    for (size_t k = 0; k < n; ++k) {
        plan::ShardOutcome o;
        o.shard = r.get<int32_t>();
        o.vms = r.get<int64_t>();
        o.frozen = r.get<int64_t>();
        o.mem_kib = r.get<int64_t>();
        o.static_load.resize(r.get_count(8 * model::kDims));
        for (model::Resources& l : o.static_load)
            for (int d = 0; d < model::kDims; ++d) l[d] = r.get<int64_t>();
        o.static_count = get_vec<int32_t>(r);
        o.anti.resize(r.get_count(4 + 4));
        for (auto& [host, group] : o.anti) {
            host = r.get<int32_t>();
            group = r.get_str();
        }
        o.listed.resize(r.get_count(4 + 4 + 8 + 1 + 3 * 8));
        for (plan::ListedVm& l : o.listed) {
            one.clear();
            decode_vms(r.get_view(), one);
            if (one.size() != 1) throw std::runtime_error("shard outcomes: a listed VM's row");
            l.vm = std::move(one[0]);
            l.local = r.get<int32_t>();
            l.origin = r.get<int64_t>();
            l.frozen = r.get<uint8_t>();
            l.cpu = get_vec<float>(r);
            l.mem = get_vec<float>(r);
            l.net = get_vec<float>(r);
        }
        o.plan = decode_plan(r);
        for (double* t : {&o.times.parse, &o.times.detect, &o.times.select, &o.times.place,
                          &o.times.resolve, &o.times.write})
            *t = r.get<double>();
        o.history_interval_s = r.get<int64_t>();
        o.history_length = r.get<int32_t>();
        out.push_back(std::move(o));
    }
    if (!r.done()) throw std::runtime_error("shard outcomes: bytes after the last outcome");
}

}  // namespace fp::dist
