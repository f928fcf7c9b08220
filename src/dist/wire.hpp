// What ranks send each other for the global step and the checkpoint writer: shard outcomes
// (summaries and decisions) in a flat codec (src/dist/outcome_codec.hpp), and shard inputs (the
// VM rows in the flat VM codec, the rest serialised with Boost.Serialization: binary archives;
// every rank runs the same build on the same kind of machine).
// Thread-safety: pure functions.
#pragma once

#include <boost/archive/binary_iarchive.hpp>
#include <boost/archive/binary_oarchive.hpp>
#include <boost/serialization/split_member.hpp>
#include <boost/serialization/string.hpp>
#include <boost/serialization/utility.hpp>
#include <boost/serialization/vector.hpp>
#include <sstream>
#include <string>
#include <string_view>

#include "src/dist/collectives.hpp"
#include "src/dist/outcome_codec.hpp"
#include "src/dist/vm_codec.hpp"
#include "src/plan/sharded.hpp"

namespace boost::serialization {

template <class A>
void serialize(A& ar, fp::model::TrafficEdge& e, unsigned) {
    ar& e.vm& e.mbps;
}

template <class A>
void serialize(A& ar, fp::model::History& h, unsigned) {
    ar& h.interval_s& h.length& h.cpu& h.mem& h.net;
}

}  // namespace boost::serialization

namespace fp::dist {

// A shard's VM rows as the checkpoint writer needs them (its hosts are in every rank's table).
struct ShardRows {
    int32_t shard = 0;
    std::vector<model::Vm> vms;  // hosts: index in the full host table
    model::History history;
    std::vector<std::vector<model::TrafficEdge>> traffic;  // other VM: index within the shard
    std::vector<uint8_t> frozen;

    // The rows travel in the flat codec (src/dist/vm_codec.hpp): Boost's per-field archive of
    // a million rows cost seconds.
    template <class A>
    void save(A& ar, unsigned) const {
        std::string rows;
        encode_vms(vms, rows);
        ar << shard << rows << history << traffic << frozen;
    }
    template <class A>
    void load(A& ar, unsigned) {
        std::string rows;
        ar >> shard >> rows >> history >> traffic >> frozen;
        vms.clear();
        decode_vms(rows, vms);
    }
    BOOST_SERIALIZATION_SPLIT_MEMBER()
};

template <class T>
std::string pack(const T& value) {
    std::ostringstream os(std::ios::binary);
    {
        boost::archive::binary_oarchive ar(os, boost::archive::no_header);
        ar << value;
    }
    return std::move(os).str();
}

template <class T>
void unpack(const std::string& bytes, T& value) {
    std::istringstream is(bytes, std::ios::binary);
    boost::archive::binary_iarchive ar(is, boost::archive::no_header);
    ar >> value;
}

// Shard outcomes travel in their flat codec (found by overload resolution in gather_to_root).
inline std::string pack(const std::vector<plan::ShardOutcome>& outcomes) {
    std::string out;
    encode_outcomes(outcomes, out);
    return out;
}
inline void unpack(const std::string& bytes, std::vector<plan::ShardOutcome>& outcomes) {
    outcomes.clear();
    decode_outcomes(bytes, outcomes);
}

// Every rank's items, concatenated in rank order on rank 0 (others get nothing back), or the
// same error on every rank. Each fallible step is agreed before the next collective: the
// senders' serialisation (step `pack`), rank 0 making room (`receive`, in gather_bytes) and
// decoding (`unpack`); an exception in any becomes an environment error (exit 3) naming the
// collective, the step and the rank. `collective` also names it for FP_FAIL_AT.
template <class T>
Result<std::vector<T>> gather_to_root(std::string_view collective, std::vector<T>&& mine,
                                      Communicator& comm, int64_t chunk_bytes = kMaxChunkBytes) {
    if (comm.size() == 1) return std::move(mine);
    // Rank 0 keeps its own items as they are; only the others' travel.
    Result<std::string> bytes = std::string();
    if (auto r = local_step(collective, "pack", comm,
                            [&] {
                                if (comm.rank() != 0) *bytes = pack(mine);
                            });
        !r)
        bytes = tl::unexpected(r.error());
    if (comm.rank() != 0) mine = std::vector<T>();
    Result<std::vector<std::string>> parts = gather_bytes(collective, bytes, comm, chunk_bytes);
    if (!parts) return tl::unexpected(parts.error());
    bytes = std::string();
    std::vector<T> all;
    const Result<void> unpacked = local_step(collective, "unpack", comm, [&] {
        if (comm.rank() != 0) return;
        all = std::move(mine);
        for (size_t r = 1; r < parts->size(); ++r) {
            std::vector<T> got;
            unpack((*parts)[r], got);
            (*parts)[r] = std::string();
            for (auto& item : got) all.push_back(std::move(item));
        }
    });
    if (auto r = agree(unpacked, comm); !r) return tl::unexpected(r.error());
    return all;
}

}  // namespace fp::dist
