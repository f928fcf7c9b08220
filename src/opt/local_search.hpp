// The improvement search over a RoadefState: late acceptance hill climbing (LAHC) over six
// neighbourhoods (move one process, swap two processes, re-pack a few machines exactly,
// src/opt/repack.hpp, an aimed step: the best of several moves and swaps of a process that
// needs much of a resource over safety capacity, a chain step: such a process moves to a
// machine whose room a process of it makes by moving on, and a home step: a process away from
// its initial machine goes back, giving back the transient room it holds), run as independent
// searches in rounds. Early on, the acceptance test prices the transient room that processes
// away from home hold (SearchOptions::transient_price).
//
// Rounds: `searches` searches start from the initial assignment and keep their state and their
// late-acceptance history from round to round; each round continues every search with its own
// random stream CounterRng(seed, round, search) and an equal share of the round's work. After a
// round the best objective of all searches is kept (ties: the lower search index), and a search
// that stalled for `restart_rounds` rounds restarts from the best of the epoch (a run is one
// epoch unless `epoch_rounds` starts new ones from the initial assignment). The searches of
// a round run in parallel on oneTBB (one task each, results in a pre-sized vector), so the
// result depends only on the model, the seed, the work and the other options, never on the
// thread count.
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

// The longest late-acceptance history (entries per search).
constexpr int64_t kMaxLahcLength = 100000;
// Steps are drawn in percent: re-packs, aimed, chain, home steps and room re-packs first (their
// shares summed at most 100), then plain moves up to kMovesEndPercent, then swaps: the special
// steps take their shares from the moves' 55% first, then from the swaps' 45%.
constexpr int kMovesEndPercent = 55;

struct SearchOptions {
    uint64_t seed = 1;
    int64_t work = -1;              // moves evaluated in total; < 0: no limit (set a time limit)
    double time_limit_seconds = 0;  // 0: none
    int searches = 4;               // per round; fixed, not the thread count
    int64_t round_work = 500000;    // per search and round
    // LAHC history length: at least lahc_length, and longer with the budget, one entry per
    // lahc_work_per_entry work of each search (0: always lahc_length), at most lahc_max_length
    // (and transient_lahc_max_length, below). The budget is the work limit split over the
    // searches, or with only a time limit the limit times lahc_work_per_second, a nominal rate,
    // so the length never depends on the machine.
    // Measured on a2_2 and a2_5 (2026-12-07, seed 1, 300M work): a fixed 100 gave 1,011M and
    // 424M, 2,000 gave 984M and 370M, 10,000 (with chain steps) 981M and 378M; at 20M work 100
    // had been the best. 40,000 work per entry puts 300M work at about 1,900 entries;
    // lahc_work_per_second is about one core's rate on set A.
    int64_t lahc_length = 100;
    int64_t lahc_work_per_entry = 40000;
    int64_t lahc_work_per_second = 10000000;
    // Chosen on runs of 20M work (seeds 1 and 2) of a1_4, a2_2, a2_3 and a2_5 on a machine
    // loaded by others (2026-12-07): re-packing 1% of the steps instead of 10% left more
    // work to moves and swaps and did better, and so did starting 70% of them on the costlier of
    // two random machines. Single runs, noisy: a weak basis, to revisit.
    int repack_percent = 1;       // share of steps that re-pack machines
    int64_t repack_nodes = 2000;  // node limit of one re-pack
    int targeted_percent = 70;    // share of moves and swaps that start on a costly machine
    // Share of steps that are aimed at the load cost, half each way: from the costliest of four
    // sampled machines (its resource furthest over safety capacity, a process that needs much of
    // it) and onto the machine with the most room below safety capacity among four sampled; each
    // takes the best of aimed_candidates moves and as many swaps.
    int aimed_percent = 20;
    int aimed_candidates = 8;
    // Share of steps that are chain (ejection) steps: a process of a costly machine moves to a
    // random machine b, alone or with a process of b moving on (to its initial machine or a
    // random one), the best of aimed_candidates targets; see chain_step in local_search.cpp.
    // repack_percent + aimed_percent + chain_percent is at most 100 (see kMovesEndPercent).
    // Off by default: at 300M work with a history of 2,000 (2026-12-07, seeds 1 and 2),
    // 10% chain steps gave a2_2 994M and 1,031M against 984M and 993M without, a2_5 358M and
    // 368M against 370M and 369M: no clear gain, and those runs took 20-30% longer (loaded
    // machine).
    int chain_percent = 0;
    // Share of steps that are home steps: a process away from its initial machine h (the first
    // of up to eight drawn) goes back to h, alone, swapped with a process of h, with a process
    // of h moving on to a random machine, or with a process of a costly machine taking its place;
    // the best of aimed_candidates of each. Going home gives
    // back the transient room the process holds on h and the room it takes where it is, which no
    // other step aims at. repack + aimed + chain + home percent is at most 100.
    // Measured at 100M work, seeds 1 and 2 (2026-12-07, bench/README "Home steps and a transient
    // price"; the price then updated once per round): 10% took a2_2 from 1,066M to 966M (mean),
    // a2_3 1,440M to 1,375M, a1_4 273M to 261M, a2_5 unchanged; 20% and 30% were no better and cost
    // a2_5.
    int home_percent = 10;
    // On a model where no process needs a transient resource (holds_transient_room false) going
    // home gives back only move costs: there a home step runs only while the move costs
    // (process, service and machine) make at least home_move_share percent of the search's
    // objective, else it is a plain move or swap. At 300M work, seed 1 (2026-12-07): home steps
    // always on gave a2_5 377.1M (seeds 2, 3: 368.6M, 364.8M) and a2_1 208, off 353.9M (370.6M,
    // 358.4M) and 696, at 2% 352.3M (371.0M, 361.5M) and 524; a2_5's move costs stay below 0.1%
    // of its objective, a2_1's end as all of it.
    int home_move_share = 50;
    // Share of steps that are room re-packs: the costliest of four sampled machines re-packed
    // exactly (src/opt/repack.hpp, repack_nodes) with one or two machines drawn among the
    // room_candidates with the most room left on every transient resource at once (or on every
    // resource in a model without a transient one); see pick_room_machines in local_search.cpp.
    // repack + aimed + chain + home + room_repack percent is at most 100. Off by itself without
    // transient room (holds_transient_room). A re-pack node costs more time than a move (each
    // counts one work): at 100M work room re-packs at 5% took 1.4-1.6 times the CPU time.
    // Measured at 100M work, seeds 1 and 2 (2026-12-07, bench/README "Room re-packs; home steps
    // only where they pay"): a2_2 946M / 915M without, 897M / 914M at 1%, 904M / 926M at 2%, 868M /
    // 872M at 5%, 896M / 862M at 10%; a2_3 1,354M / 1,331M without, 1,324M / 1,340M at 5%; a1_4
    // 259.7M / 255.9M without, 260.7M / 256.2M at 5%; with 5%, 3 candidates gave a2_2 893M / 874M,
    // 12 gave 889M / 918M.
    int room_repack_percent = 5;
    int room_candidates = 6;
    // Pair re-packs: whenever they have had less than pair_repack_permille of a search's work in
    // a round, the next step re-packs exactly, within pair_repack_nodes nodes and what is left of
    // their share of the round's budget, the costliest of four sampled machines with the one of
    // pair_candidates random machines whose room below safety capacity best matches its excess
    // (see pick_pair in local_search.cpp), with RepackBound::kRoom. Unlike the other re-packs it
    // takes two machines whatever their process count. 0: off; off by itself where processes
    // hold transient room (holds_transient_room), where room re-packs serve.
    // Measured (2026-12-08, bench/README "Pair re-packs"), seed 1 unless said. At 300 s: a2_5
    // 316.6M at 300 and 316.7M at 600 (334.2M without), a2_4 1,680.81M at both (1,680.82M
    // without). At 1.5G work, with a first version (the kRoom bound in every re-pack, and no
    // cap by the share): a2_5 330.4M and 333.3M without (seeds 1, 2), 320.3M at 100, 317.8M
    // at 300, 312.2M and 314.0M at 600, 316.7M at 900 (600 with 20,000 nodes 312.4M, with
    // 500,000 319.8M); a2_4 1,685.2M without, 1,698.8M at 600 (converged at 1.08G), and with
    // the share cap 1,681.8M at 300; a2_2 820.3M and 820.7M at 300 against 809.3M and 836.6M
    // without (seeds 1, 2), for 20-30% more time per work: no gain, hence the gate.
    int pair_repack_permille = 300;
    int64_t pair_repack_nodes = 100000;
    int pair_candidates = 8;
    // Price of transient room, for the acceptance test only: a process away from its initial
    // machine adds transient_price x sum over transient resources r of weight_load[r] x its
    // requirement of r to the objective the late acceptance compares, so that the first steps do
    // not spend the transient room (which only a process returning home gives back) on small
    // gains. The price falls linearly to 0 at transient_price_fade percent of the budget (work
    // limit, or the time limit at lahc_work_per_second), after which the search is the plain one;
    // the best solution is always kept by the true objective. 0: off.
    // Measured with home steps at 10% (same runs): 0.5 fading at 50% gave a2_2 949M, a2_3 1,339M
    // against 966M and 1,375M without a price; 1.0, or fading at 100% or 25%, no better. Alone
    // (no home steps) 0.3 and 1.0 did not help a2_2.
    double transient_price = 0.5;
    int transient_price_fade = 50;
    // The fade ends at most transient_price_fade_work work in (0: no cap), so a long budget
    // (300 s at the nominal rate is 3G) is not spent mostly under the price. a2_2 at 1.5G work,
    // seed 1 (2026-12-07): the fade at 50% (750M) gave 903.2M, at 150M 861.4M.
    int64_t transient_price_fade_work = 150000000;
    // On a model where processes hold transient room, the history is at most this long (0: no
    // cap; optimise() ignores it on a model without transient room). At 1.5G work, seed 1, with
    // the fade at 150M: a2_2 838.9M at 1,875 entries against 861.4M at 9,375, while a2_5 (no
    // transient resource) gets 335.9M at 9,375 against 349.3M at 1,875. On a2_2 every search had
    // converged by 500M work whatever the length (restarts pull them to the best of all).
    int64_t transient_lahc_max_length = 2000;
    // The longest history on any model (at most kMaxLahcLength). At 300 s (3G nominal, 18,750
    // entries uncapped) a2_5 did 4.9G work and was still improving at 4.3G (341.5M), while at
    // 1.5G work 9,375 entries had converged by 1G (335.2M).
    int64_t lahc_max_length = 10000;
    // Reheats: a search that holds the best of its epoch (below), whose own best has not improved
    // for reheat_rounds rounds and that is frozen at the end of the last of them (no history entry
    // above its priced objective: it accepts no worse step any more) has its whole history set
    // to its best, priced at its current held room, plus reheat_permille per mille of its best.
    // The best is kept by the true objective, so a reheat never loses it. 0: never. At 1.5G work,
    // seed 1, short history: a2_2 838.9M without, 831.5M at 5 per mille, 830.8M at 20; a2_3
    // 1,244.8M (5) and 1,243.3M (20); a2_5 (long history) 335.9M without, 335.2M at 20. Reheating
    // every reheat_rounds without waiting for the search to freeze kept it wandering at the
    // reheated level (a2_2 838.9M, no gain).
    int64_t reheat_rounds = 4;
    int reheat_permille = 20;
    // A search whose best has not improved for this many rounds, and is worse than the best of
    // the epoch (below), restarts from that best; 0: never.
    int64_t restart_rounds = 2;
    // Epochs: when the best of the current epoch has improved by less than epoch_gain_permille
    // per mille over its last epoch_rounds rounds, a new epoch starts: every search starts again
    // from the initial assignment with a fresh history and the transient price fading anew,
    // restarts and reheats then refer to the new epoch's best, and the best of all is kept. An
    // epoch lasts at least epoch_rounds + 1 rounds, and none starts when no work is left (a
    // work limit reached, or the time limit). Every epoch prices transient room anew, so with
    // transient_price_fade_work 0 (the fade then spans half the budget) an epoch may end, and
    // the next begin, still priced; the best is judged by the true objective either way.
    // 0: one epoch; optimise() ignores it on a model without transient room. Where processes
    // hold transient room the level a search ends at is set early, by which processes first
    // spend it: at 2.4G work (about 300 s) a2_2 was within 0.33% of its end after 600M, and two
    // seeds ended 1.2% (a2_2) and 7.9% (a2_3) apart. With epochs of 100 rounds and 1 per mille,
    // a2_2 at 2.4G work, seeds 1-3: 833.8M, 806.4M, 807.8M against 837.0M, 826.8M, 837.2M in
    // one epoch. a2_5 (no transient room) still descends slowly late in a long run: at 300 s an
    // epoch ended at 336.6M, where one epoch had reached 334.2M.
    int64_t epoch_rounds = 100;
    int epoch_gain_permille = 1;
};

struct SearchResult {
    std::vector<int32_t> assignment;
    CostParts parts;
    CostParts initial_parts;
    int64_t work = 0;  // moves evaluated
    int64_t rounds = 0;
    int64_t restarts = 0;   // searches restarted from the best of their epoch
    int64_t reheats = 0;    // histories refilled (reheat_rounds)
    int64_t epochs = 0;     // epochs run (1 + new starts from the initial assignment)
    int64_t best_work = 0;  // work done by the end of the round that found the assignment
    int64_t pair_work = 0;  // work spent on pair re-packs (SearchOptions::pair_repack_permille)
    bool stopped_by_time = false;
};

// Room re-packs, the transient price and epochs act only on a model where a process away from
// its initial machine holds transient room there; without one (holds_transient_room false)
// optimise() runs with room_repack_percent, transient_price and epoch_rounds 0, and home steps
// only while move costs make home_move_share of the objective; the plain moves take their share.
// Pair re-packs act only on a model without transient room (pair_repack_permille 0 otherwise).
SearchResult optimise(const RoadefModel& model, const SearchOptions& options);
// Whether some process needs some of a transient resource (and so holds room on its initial
// machine while away from it).
bool holds_transient_room(const RoadefModel& model);
// The budget in work that sizes the history and fades the transient price: the work limit, or
// the time limit at the nominal lahc_work_per_second.
double nominal_budget(const SearchOptions& options);
// The transient price in force after `work_done` of the nominal budget (see transient_price).
double transient_price_at(const SearchOptions& options, int64_t work_done);
// What a process away from its initial machine costs per unit of transient price: the sum over
// transient resources of weight_load x requirement (0 for a model without transient resources).
std::vector<int64_t> transient_weights(const RoadefModel& model);
// The late-acceptance history length a search uses: options.lahc_length, longer with the
// budget when options.lahc_work_per_entry > 0 (see SearchOptions::lahc_length).
int64_t lahc_history_length(const SearchOptions& options);

}  // namespace fp::opt
