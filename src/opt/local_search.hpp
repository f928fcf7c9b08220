// The improvement search over a RoadefState: late acceptance hill climbing (LAHC) over three
// neighbourhoods (move one process, swap two processes, re-pack a few machines exactly,
// src/opt/repack.hpp), run as independent searches in rounds.
//
// Rounds: every round starts `searches` searches from the best assignment so far, each with its
// own random stream CounterRng(seed, round, search) and an equal share of the round's work; the
// round's result is the best objective, ties broken by the lower search index. The searches of
// a round run in parallel on oneTBB (one task each, results in a pre-sized vector), so the
// result depends only on (model, seed, work, searches, round_work), never on the thread count.
// Work is counted in moves evaluated (a move or swap is 1; a re-pack counts its search nodes).
//
// time_limit_seconds only caps the wall time: when it stops a search before its work is done,
// the result depends on the machine's speed. It is the one non-deterministic knob.
// Thread-safety: optimise() may run concurrently on different models; the model is read-only.
#pragma once

#include <cstdint>
#include <vector>

#include "src/opt/roadef_state.hpp"

namespace fp::opt {

struct SearchOptions {
    uint64_t seed = 1;
    int64_t work = -1;              // moves evaluated in total; < 0: no limit (set a time limit)
    double time_limit_seconds = 0;  // 0: none
    int searches = 4;               // per round; fixed, not the thread count
    int64_t round_work = 500000;    // per search and round
    // Chosen on single 6 s runs of a1_4 and a2_2 on a machine loaded by others (a shorter
    // history did better on both; re-packing more often helped a2_2): a weak basis, to revisit.
    int64_t lahc_length = 100;    // LAHC history length
    int repack_percent = 10;      // share of steps that re-pack machines
    int64_t repack_nodes = 2000;  // node limit of one re-pack
};

struct SearchResult {
    std::vector<int32_t> assignment;
    CostParts parts;
    CostParts initial_parts;
    int64_t work = 0;  // moves evaluated
    int64_t rounds = 0;
    bool stopped_by_time = false;
};

SearchResult optimise(const RoadefModel& model, const SearchOptions& options);

}  // namespace fp::opt
