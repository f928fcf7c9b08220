#include "src/dispatch/cycle_gate.hpp"

#include <algorithm>
#include <cstdio>

#include "src/util/text.hpp"

namespace fp::dispatch {

Result<Approval> parse_approval(const std::string& name) {
    if (name == "auto") return Approval::kAuto;
    if (name == "file") return Approval::kFile;
    return bad_input("unknown value " + in_quotes(name) + " (valid: auto, file)");
}

const char* to_string(Approval a) { return a == Approval::kAuto ? "auto" : "file"; }

namespace {

// The limits the plan exceeds, one sentence each.
std::vector<std::string> over_limits(const GatePlan& plan, const GateLimits& limits) {
    std::vector<std::string> out;
    if (limits.max_moves >= 0 && plan.migrations > limits.max_moves)
        out.push_back(std::to_string(plan.migrations) + " migrations exceed cycle.max_moves " +
                      std::to_string(limits.max_moves));
    const double gib = static_cast<double>(plan.moved_mem_mib) / 1024.0;
    if (limits.max_gib >= 0 && gib > limits.max_gib) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "%.3f GiB of memory to move exceeds cycle.max_gib %g", gib,
                      limits.max_gib);
        out.emplace_back(buf);
    }
    return out;
}

}  // namespace

GateDecision decide_gate(const GatePlan& plan, const GateLimits& limits, AutoApprove auto_approve,
                         const std::optional<std::vector<std::string>>& approved_digests) {
    GateDecision d;
    if (plan.migrations == 0) {
        d.approved = true;
        d.approved_by = "nothing to move";
        return d;
    }
    const std::vector<std::string> over = over_limits(plan, limits);
    if (approved_digests) {
        const bool named = std::find(approved_digests->begin(), approved_digests->end(),
                                     plan.digest) != approved_digests->end();
        if (named) {
            d.approved = true;
            d.approved_by = "approval file";
            for (const auto& o : over) d.reasons.push_back("approved above the limit: " + o);
            return d;
        }
        // Under approval = "auto" a standing approval file only adds plans above the limits: a
        // plan within them passes whether it is named or not.
        if (limits.approval != Approval::kAuto || !over.empty()) {
            d.reasons.push_back("the approval file does not name this plan (" + plan.digest + ")");
            for (const auto& o : over) d.reasons.push_back(o);
            return d;
        }
    }
    d.reasons = over;
    if (limits.approval == Approval::kFile && auto_approve == AutoApprove::kNo)
        d.reasons.push_back("cycle.approval is \"file\": give --approve FILE naming " +
                            plan.digest + " (or --auto-approve)");
    d.approved = d.reasons.empty();
    if (d.approved) d.approved_by = "auto";
    return d;
}

}  // namespace fp::dispatch
