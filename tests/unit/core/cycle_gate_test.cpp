#include "src/dispatch/cycle_gate.hpp"

#include <gtest/gtest.h>

namespace fp::dispatch {
namespace {

const GatePlan kPlan{3, 3 * 1024, "fnv1a64:00000000000000aa"};

TEST(DecideGate, AutoApprovesWithinTheLimits) {
    const GateDecision d = decide_gate(kPlan, {3, 3.0, Approval::kAuto}, AutoApprove::kNo, {});
    EXPECT_TRUE(d.approved);
    EXPECT_EQ(d.approved_by, "auto");
    EXPECT_TRUE(d.reasons.empty());
}

TEST(DecideGate, HoldsAbovePerCycleLimitsWithEveryReason) {
    const GateDecision d = decide_gate(kPlan, {2, 2.5, Approval::kAuto}, AutoApprove::kYes, {});
    EXPECT_FALSE(d.approved);
    ASSERT_EQ(d.reasons.size(), 2u);
    EXPECT_EQ(d.reasons[0], "3 migrations exceed cycle.max_moves 2");
    EXPECT_EQ(d.reasons[1], "3.000 GiB of memory to move exceeds cycle.max_gib 2.5");
}

TEST(DecideGate, NegativeLimitsAreNoLimits) {
    EXPECT_TRUE(decide_gate(kPlan, {-1, -1, Approval::kAuto}, AutoApprove::kNo, {}).approved);
}

TEST(DecideGate, FileApprovalNeedsTheFileOrAutoApprove) {
    const GateLimits lim{10, 10, Approval::kFile};
    const GateDecision held = decide_gate(kPlan, lim, AutoApprove::kNo, {});
    EXPECT_FALSE(held.approved);
    ASSERT_EQ(held.reasons.size(), 1u);
    EXPECT_NE(held.reasons[0].find("--approve FILE naming fnv1a64:00000000000000aa"),
              std::string::npos);
    EXPECT_TRUE(decide_gate(kPlan, lim, AutoApprove::kYes, {}).approved);
}

// approval = "auto" with a standing approval file: a plan within the limits passes unnamed; one
// above them only when named.
TEST(DecideGate, UnderAutoAnApprovalFileOnlyWidensTheLimits) {
    const std::vector<std::string> other{"fnv1a64:bb"};
    const GateDecision within =
        decide_gate(kPlan, {3, 3.0, Approval::kAuto}, AutoApprove::kNo, other);
    EXPECT_TRUE(within.approved);
    EXPECT_EQ(within.approved_by, "auto");
    const GateDecision above =
        decide_gate(kPlan, {2, 3.0, Approval::kAuto}, AutoApprove::kNo, other);
    EXPECT_FALSE(above.approved);
    ASSERT_EQ(above.reasons.size(), 2u);
    EXPECT_NE(above.reasons[0].find("does not name this plan"), std::string::npos);
}

// summary.json's moved_mem_mib is a rounded decimal: 65,536.9 MiB is above 64 GiB.
TEST(DecideGate, MemoryIsComparedWithItsFraction) {
    GatePlan p = kPlan;
    p.moved_mem_mib = 65536.9;
    EXPECT_FALSE(decide_gate(p, {-1, 64.0, Approval::kAuto}, AutoApprove::kNo, {}).approved);
    p.moved_mem_mib = 65536.0;
    EXPECT_TRUE(decide_gate(p, {-1, 64.0, Approval::kAuto}, AutoApprove::kNo, {}).approved);
}

TEST(DecideGate, AnApprovalAppliesOnlyToThePlanItNames) {
    const GateLimits lim{1, 10, Approval::kFile};
    const GateDecision other =
        decide_gate(kPlan, lim, AutoApprove::kYes, std::vector<std::string>{"fnv1a64:bb"});
    EXPECT_FALSE(other.approved);
    EXPECT_EQ(other.reasons.size(), 2u);  // not named, and above max_moves
    const GateDecision named =
        decide_gate(kPlan, lim, AutoApprove::kNo, std::vector<std::string>{"x", kPlan.digest});
    EXPECT_TRUE(named.approved);
    EXPECT_EQ(named.approved_by, "approval file");
    ASSERT_EQ(named.reasons.size(), 1u);
    EXPECT_EQ(named.reasons[0], "approved above the limit: 3 migrations exceed cycle.max_moves 1");
}

TEST(DecideGate, AnEmptyPlanPassesEvenWithoutApproval) {
    const GateDecision d =
        decide_gate(GatePlan{0, 0, "fnv1a64:1"}, {0, 0, Approval::kFile}, AutoApprove::kNo, {});
    EXPECT_TRUE(d.approved);
    EXPECT_EQ(d.approved_by, "nothing to move");
}

TEST(ParseApproval, NamesTheValidChoices) {
    EXPECT_EQ(*parse_approval("auto"), Approval::kAuto);
    auto bad = parse_approval("yes");
    ASSERT_FALSE(bad.has_value());
    EXPECT_EQ(bad.error().msg, "unknown value 'yes' (valid: auto, file)");
}

}  // namespace
}  // namespace fp::dispatch
