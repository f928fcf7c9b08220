// The search: never worse than the start, always feasible, and the same result for any thread
// count under a work limit.
#include "src/opt/local_search.hpp"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <initializer_list>

#include "tests/unit/opt/roadef_instances.hpp"

namespace fp::opt {
namespace {

SearchResult run_with_threads(const RoadefModel& md, const SearchOptions& opt, size_t threads) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    return optimise(md, opt);
}

// Runs the search on 1 thread, expects the same result on each of `others` thread counts
// (assignment, cost, work and what the rounds did), and returns the one-thread result.
SearchResult same_on_any_thread_count(const RoadefModel& md, const SearchOptions& opt,
                                      std::initializer_list<size_t> others = {2, 4}) {
    const SearchResult one = run_with_threads(md, opt, 1);
    for (size_t t : others) {
        const SearchResult r = run_with_threads(md, opt, t);
        EXPECT_EQ(r.assignment, one.assignment) << t << " threads";
        EXPECT_EQ(r.parts, one.parts) << t << " threads";
        EXPECT_EQ(r.work, one.work) << t << " threads";
        EXPECT_EQ(r.best_work, one.best_work) << t << " threads";
        EXPECT_EQ(r.restarts, one.restarts) << t << " threads";
        EXPECT_EQ(r.reheats, one.reheats) << t << " threads";
        EXPECT_EQ(r.epochs, one.epochs) << t << " threads";
    }
    return one;
}

// Seed 5 and 800,000 work in rounds of 40,000: several rounds, so the merge between rounds is
// exercised, each long enough for oneTBB's workers to take searches.
SearchOptions multi_round_options() {
    SearchOptions opt;
    opt.seed = 5;
    opt.work = 800000;
    opt.round_work = 40000;
    return opt;
}

TEST(LocalSearch, SameResultForAnyThreadCountUnderAWorkLimit) {
    const RoadefModel md = testing::random_instance(11, 12, 80);
    SearchOptions opt;
    opt.seed = 5;
    opt.work = 800000;
    // Several rounds, so the merge between rounds is exercised, each long enough for oneTBB's
    // workers to take searches.
    opt.round_work = 40000;
    opt.repack_percent = 5;
    const SearchResult one = same_on_any_thread_count(md, opt, {2, 3, 4});
    EXPECT_GT(one.rounds, 3);
    EXPECT_EQ(one.work, opt.work);
    // Another seed searches differently (the seed is used).
    opt.seed = 6;
    EXPECT_NE(run_with_threads(md, opt, 2).assignment, one.assignment);
}

TEST(LocalSearch, ImprovesAndStaysFeasible) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
        const RoadefModel md = testing::random_instance(seed, 10, 60);
        SearchOptions opt;
        opt.seed = seed;
        opt.work = 30000;
        const SearchResult r = optimise(md, opt);
        EXPECT_FALSE(first_violation(md, r.assignment).has_value());
        EXPECT_EQ(r.initial_parts, evaluate_from_scratch(md, md.initial));
        EXPECT_LT(r.parts.total(), r.initial_parts.total()) << "seed " << seed;
    }
}

// Runs only one kind of special step (`aimed_percent` and `chain_percent` as given, no plain
// re-packs) on five random instances: the chosen steps' deltas are the objective's change
// (optimise asserts the final objective against a from-scratch evaluation), the result is
// feasible and better, and the work limit is exact even though one step evaluates several
// candidates.
void expect_steps_alone_improve_exactly(int aimed_percent, int chain_percent, int home_percent = 0,
                                        double transient_price = 0, int room_repack_percent = 0) {
    for (uint64_t seed = 1; seed <= 5; ++seed) {
        const RoadefModel md = testing::random_instance(seed, 10, 60);
        SearchOptions opt;
        opt.seed = seed;
        opt.work = 30001;
        opt.searches = 2;
        opt.round_work = 5000;
        opt.repack_percent = 0;
        opt.aimed_percent = aimed_percent;
        opt.chain_percent = chain_percent;
        opt.home_percent = home_percent;
        opt.transient_price = transient_price;
        opt.room_repack_percent = room_repack_percent;
        opt.repack_nodes = 200;  // a few re-packs do not take the whole budget
        const SearchResult r = optimise(md, opt);
        EXPECT_EQ(r.work, opt.work) << "seed " << seed;
        EXPECT_FALSE(first_violation(md, r.assignment).has_value());
        EXPECT_LT(r.parts.total(), r.initial_parts.total()) << "seed " << seed;
    }
}

// Only aimed steps (the best of several moves and swaps of a process on a costly machine).
TEST(LocalSearch, AimedStepsAloneImproveExactlyAndStayFeasible) {
    expect_steps_alone_improve_exactly(100, 0);
}

// Only chain steps (a process of a costly machine moves alone or with a process of its target
// moving on).
TEST(LocalSearch, ChainStepsAloneImproveExactlyAndStayFeasible) {
    expect_steps_alone_improve_exactly(0, 100);
}

// Home steps (a process away from its initial machine goes back, alone, swapped or ejecting a
// process there) take 30% of the steps, aimed steps 20%; the other half are plain moves and
// swaps, which with the aimed steps take processes away from home for the home steps to bring
// back.
TEST(LocalSearch, HomeStepsImproveExactlyAndStayFeasible) {
    expect_steps_alone_improve_exactly(20, 0, 30);
}

// With a transient price (the acceptance test's objective plus the price of the transient room
// held), the search still reports the true objective exactly (optimise asserts it against a
// from-scratch evaluation), improves and stays feasible.
TEST(LocalSearch, PricedSearchImprovesExactlyAndStaysFeasible) {
    expect_steps_alone_improve_exactly(20, 0, 10, 2.0);
}

// Room re-packs (a costly machine re-packed exactly with machines that have the most transient
// room left) take 10% of the steps, next to home steps and moves and swaps that spend the room.
TEST(LocalSearch, RoomRepacksImproveExactlyAndStayFeasible) {
    expect_steps_alone_improve_exactly(0, 0, 10, 0, 10);
}

// With room re-packs on, the result stays independent of the thread count, and they change the
// search (they are used).
TEST(LocalSearch, RoomRepacksGiveTheSameResultForAnyThreadCount) {
    const RoadefModel md = testing::random_instance(11, 12, 80);
    SearchOptions opt = multi_round_options();
    opt.room_repack_percent = 5;
    const SearchResult one = same_on_any_thread_count(md, opt);
    opt.room_repack_percent = 0;
    EXPECT_NE(run_with_threads(md, opt, 2).assignment, one.assignment);
}

// Pair re-packs (a costly machine re-packed exactly with the machine whose room below safety
// capacity best matches its excess), on a model without transient room, take their share of
// the work: never more than pair_repack_permille of each round's budget (a re-pack is capped by
// what is left of it), and less only by that share of the step that took the search past it,
// at most a plain re-pack of repack_nodes, per search and round.
// The result improves, stays feasible and independent of the thread count, and differs from the
// search without them; without them, or with transient room, no work goes to them.
TEST(LocalSearch, PairRepacksTakeTheirShareAndStayDeterministic) {
    RoadefModel md = testing::random_instance(11, 12, 80);
    md.transient = {0, 0, 0};
    SearchOptions opt = multi_round_options();
    opt.pair_repack_permille = 300;
    opt.pair_repack_nodes = 3000;
    const SearchResult one = same_on_any_thread_count(md, opt);
    EXPECT_EQ(one.pair_work, run_with_threads(md, opt, 3).pair_work);
    EXPECT_FALSE(first_violation(md, one.assignment).has_value());
    EXPECT_LT(one.parts.total(), one.initial_parts.total());
    const int64_t share = opt.work * opt.pair_repack_permille / 1000;
    const int64_t slack =
        one.rounds * opt.searches * opt.repack_nodes * opt.pair_repack_permille / 1000;
    EXPECT_GE(one.pair_work, share - slack);
    EXPECT_LE(one.pair_work, share);
    md.transient = {1, 0, 0};
    EXPECT_EQ(run_with_threads(md, opt, 2).pair_work, 0);
    md.transient = {0, 0, 0};
    opt.pair_repack_permille = 0;
    const SearchResult off = run_with_threads(md, opt, 2);
    EXPECT_EQ(off.pair_work, 0);
    EXPECT_NE(off.assignment, one.assignment);
}

// Without a transient resource no process holds room away from home: room re-packs and the
// price switch themselves off, and a home step runs only while move costs make home_move_share
// percent of the objective. With every safety capacity 0 the load cost never falls to 0, so at
// 100% the home steps never run and the search equals the one with all three set to 0 (the
// moves take their share); at 0% they always run and change it, and with a transient resource
// the three change it.
TEST(LocalSearch, HomeStepsRoomRepacksAndPriceSwitchOffWithoutTransientRoom) {
    RoadefModel md = testing::random_instance(4, 10, 60);
    std::fill(md.safety_capacity.begin(), md.safety_capacity.end(), 0);
    EXPECT_TRUE(holds_transient_room(md));
    SearchOptions on;
    on.seed = 3;
    on.work = 200000;
    on.home_percent = 10;
    on.home_move_share = 100;
    on.transient_price = 0.5;
    on.room_repack_percent = 5;
    on.repack_nodes = 200;
    SearchOptions off = on;
    off.home_percent = 0;
    off.transient_price = 0;
    off.room_repack_percent = 0;
    EXPECT_NE(optimise(md, on).assignment, optimise(md, off).assignment);
    md.transient = {0, 0, 0};
    EXPECT_FALSE(holds_transient_room(md));
    const SearchResult a = optimise(md, on), b = optimise(md, off);
    EXPECT_GT(a.parts.load, 0);
    EXPECT_EQ(a.assignment, b.assignment);
    EXPECT_EQ(a.parts, b.parts);
    EXPECT_EQ(a.work, b.work);
    on.home_move_share = 0;
    EXPECT_NE(optimise(md, on).assignment, b.assignment);
}

// The transient price fades linearly from transient_price to 0 at transient_price_fade percent
// of the budget (the work limit, or the time limit at the nominal rate); 0 when off. A process's
// transient weight sums weight_load x requirement over the transient resources only.
TEST(LocalSearch, TransientPriceFadesWithTheBudget) {
    SearchOptions opt;
    opt.work = 1000;
    opt.transient_price = 0.5;
    opt.transient_price_fade = 50;
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 0), 0.5);
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 250), 0.25);
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 500), 0.0);
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 900), 0.0);
    opt.work = -1;
    opt.time_limit_seconds = 2;
    opt.lahc_work_per_second = 1000;  // nominal budget 2,000: the price is gone at 1,000
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 500), 0.25);
    opt.transient_price_fade = 0;
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 0), 0.0);
    opt.transient_price_fade = 100;
    opt.transient_price = 0;
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 0), 0.0);

    const RoadefModel md = testing::random_instance(3, 4, 6);  // resource 0 transient, weight 10
    const std::vector<int64_t> w = transient_weights(md);
    ASSERT_EQ(w.size(), 6u);
    for (int32_t p = 0; p < md.processes; ++p)
        EXPECT_EQ(w[static_cast<size_t>(p)], 10 * md.req(p, 0)) << p;
}

// The price and home steps keep the result independent of the thread count, and the price
// changes the search (it is used).
TEST(LocalSearch, PricedHomeStepsGiveTheSameResultForAnyThreadCount) {
    const RoadefModel md = testing::random_instance(11, 12, 80);
    SearchOptions opt = multi_round_options();
    opt.home_percent = 10;
    opt.transient_price = 1.0;
    const SearchResult one = same_on_any_thread_count(md, opt);
    opt.transient_price = 0;
    EXPECT_NE(run_with_threads(md, opt, 2).assignment, one.assignment);
}

// The late-acceptance history: at least lahc_length, longer with the work each search gets (or
// the time limit at the nominal rate, never the clock), at most lahc_max_length; fixed when
// lahc_work_per_entry is 0.
TEST(LocalSearch, HistoryLengthScalesWithTheBudget) {
    SearchOptions opt;
    opt.searches = 4;
    opt.lahc_length = 100;
    opt.lahc_work_per_entry = 40000;
    opt.lahc_work_per_second = 10000000;
    opt.transient_lahc_max_length = 0;
    opt.lahc_max_length = kMaxLahcLength;
    opt.work = 300000000;
    EXPECT_EQ(lahc_history_length(opt), 1875);  // 75M work per search
    opt.work = 20000000;
    EXPECT_EQ(lahc_history_length(opt), 125);
    opt.work = 1000;
    EXPECT_EQ(lahc_history_length(opt), 100);
    opt.work = int64_t{1} << 50;
    EXPECT_EQ(lahc_history_length(opt), 100000);
    opt.work = -1;
    opt.time_limit_seconds = 30;  // 300M nominal work
    EXPECT_EQ(lahc_history_length(opt), 1875);
    opt.lahc_work_per_entry = 0;
    EXPECT_EQ(lahc_history_length(opt), 100);
    opt.lahc_length = 5000;
    opt.lahc_work_per_entry = 40000;
    EXPECT_EQ(lahc_history_length(opt), 5000);
}

// Reheats: a search that holds the best of all, has not improved for reheat_rounds rounds and
// has stopped moving (no history entry above its objective) has its history set above its best.
// On a small instance the searches freeze early, so a long run reheats and ends elsewhere than
// the same run without reheats; the result stays independent of the thread count and feasible,
// and the counters say what happened (no reheat when off). best_work is the work by the end of
// the round that found the result: a run stopped there ends on the same assignment.
TEST(LocalSearch, ReheatsAFrozenSearchAndStaysDeterministic) {
    const RoadefModel md = testing::random_instance(11, 12, 80);
    SearchOptions opt;
    opt.seed = 5;
    opt.work = 4000000;
    opt.round_work = 40000;
    opt.transient_price = 0;      // so that a shorter budget does not change the price's fade
    opt.lahc_work_per_entry = 0;  // nor the history's length
    opt.reheat_rounds = 0;
    const SearchResult plain = run_with_threads(md, opt, 2);
    EXPECT_EQ(plain.reheats, 0);
    EXPECT_GT(plain.restarts, 0);
    EXPECT_GT(plain.best_work, 0);
    EXPECT_LT(plain.best_work, plain.work);
    SearchOptions upto = opt;
    upto.work = plain.best_work;
    EXPECT_EQ(run_with_threads(md, upto, 2).assignment, plain.assignment);
    opt.reheat_rounds = 2;
    opt.reheat_permille = 20;
    const SearchResult one = same_on_any_thread_count(md, opt);
    EXPECT_GT(one.reheats, 0);
    EXPECT_NE(one.assignment, plain.assignment);
    EXPECT_FALSE(first_violation(md, one.assignment).has_value());
    EXPECT_EQ(one.parts, evaluate_from_scratch(md, one.assignment));
}

// Epochs: when the best of an epoch gains less than epoch_gain_permille over epoch_rounds
// rounds, every search starts again from the initial assignment. With a gain of 1,000 per mille
// (the whole best) every epoch ends after epoch_rounds + 1 rounds, unless no work is left. The
// first epoch of a long run is the whole of a short one, so the long run's result is at least as
// good: the best of all is kept across epochs. The result stays independent of the thread count
// and feasible. A model without transient room keeps one epoch.
TEST(LocalSearch, EpochsStartAgainFromTheInitialAssignmentAndKeepTheBest) {
    const RoadefModel md = testing::random_instance(11, 12, 80);
    SearchOptions opt;
    opt.seed = 5;
    opt.round_work = 40000;
    opt.transient_price = 0;      // so that a shorter budget does not change the price's fade
    opt.lahc_work_per_entry = 0;  // nor the history's length
    opt.epoch_rounds = 3;
    opt.epoch_gain_permille = 1000;
    opt.work = 4 * opt.searches * opt.round_work;  // one epoch of 4 rounds
    const SearchResult first = run_with_threads(md, opt, 2);
    EXPECT_EQ(first.rounds, 4);
    EXPECT_EQ(first.epochs, 1);  // due after the last round, but no work is left for it
    opt.work = 22 * opt.searches * opt.round_work;
    const SearchResult many = same_on_any_thread_count(md, opt);
    EXPECT_EQ(many.rounds, 22);
    EXPECT_EQ(many.epochs, 6);  // after rounds 4, 8, 12, 16 and 20
    EXPECT_LE(many.parts.total(), first.parts.total());
    EXPECT_FALSE(first_violation(md, many.assignment).has_value());
    EXPECT_EQ(many.parts, evaluate_from_scratch(md, many.assignment));
    // The same run in one epoch.
    opt.epoch_rounds = 0;
    const SearchResult one_epoch = run_with_threads(md, opt, 2);
    EXPECT_EQ(one_epoch.epochs, 1);
    // A gain of 0 per mille never ends an epoch (no best improves by less than nothing).
    opt.epoch_rounds = 3;
    opt.epoch_gain_permille = 0;
    const SearchResult never = run_with_threads(md, opt, 2);
    EXPECT_EQ(never.epochs, 1);
    EXPECT_EQ(never.assignment, one_epoch.assignment);
    // Without transient room a run keeps one epoch: the same as epoch_rounds 0.
    RoadefModel plain = md;
    plain.transient = {0, 0, 0};
    ASSERT_FALSE(holds_transient_room(plain));
    opt.epoch_gain_permille = 1000;
    const SearchResult no_room = run_with_threads(plain, opt, 2);
    EXPECT_EQ(no_room.epochs, 1);
    opt.epoch_rounds = 0;
    EXPECT_EQ(run_with_threads(plain, opt, 2).assignment, no_room.assignment);
}

// The price's fade ends at transient_price_fade percent of the budget, and at most
// transient_price_fade_work work in; the history is at most transient_lahc_max_length long.
TEST(LocalSearch, PriceFadeAndHistoryAreCappedInAbsoluteWork) {
    SearchOptions opt;
    opt.work = 3000;
    opt.transient_price = 0.5;
    opt.transient_price_fade = 50;  // 1,500 of the budget
    opt.transient_price_fade_work = 1000;
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 500), 0.25);
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 1000), 0.0);
    opt.transient_price_fade_work = 0;  // no cap
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 750), 0.25);
    opt.transient_price_fade_work = 5000;  // above the percent's end: the percent holds
    EXPECT_DOUBLE_EQ(transient_price_at(opt, 750), 0.25);

    opt.searches = 4;
    opt.lahc_length = 100;
    opt.lahc_work_per_entry = 40000;
    opt.transient_lahc_max_length = 2000;
    opt.work = 300000000;
    EXPECT_EQ(lahc_history_length(opt), 1875);
    opt.work = 3000000000;
    EXPECT_EQ(lahc_history_length(opt), 2000);
    opt.work = -1;
    opt.time_limit_seconds = 300;  // 3G nominal work
    EXPECT_EQ(lahc_history_length(opt), 2000);
    opt.transient_lahc_max_length = 50;  // below lahc_length: lahc_length holds
    EXPECT_EQ(lahc_history_length(opt), 100);
    opt.transient_lahc_max_length = 0;  // no cap but the general one
    EXPECT_EQ(lahc_history_length(opt), 10000);
    opt.lahc_max_length = kMaxLahcLength;
    EXPECT_EQ(lahc_history_length(opt), 18750);
}

TEST(LocalSearch, AnInstanceWithoutProcessesIsItsOwnSolution) {
    // Nothing to draw a process from: the search returns at once instead of dividing by zero.
    const RoadefModel md = testing::tiny(3, 10, false, {0, 1, 2}, {0, 0, 0});
    SearchOptions opt;
    opt.seed = 1;
    opt.work = 10000;
    const SearchResult r = optimise(md, opt);
    EXPECT_TRUE(r.assignment.empty());
    EXPECT_EQ(r.parts.total(), 0);
}

}  // namespace
}  // namespace fp::opt
