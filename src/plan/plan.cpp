#include "src/plan/plan.hpp"

#include <algorithm>

#include "src/util/text.hpp"

namespace fp::plan {

std::string to_string(Goal g) {
    switch (g) {
        case Goal::kAuto:
            return "auto";
        case Goal::kConsolidate:
            return "consolidate";
        case Goal::kBalance:
            return "balance";
        case Goal::kHotspot:
            return "hotspot";
        case Goal::kEvacuate:
            return "evacuate";
    }
    return "auto";
}

Result<Goal> parse_goal(const std::string& s) {
    if (s == "auto") return Goal::kAuto;
    if (s == "consolidate") return Goal::kConsolidate;
    if (s == "balance") return Goal::kBalance;
    if (s == "hotspot") return Goal::kHotspot;
    if (s == "evacuate") return Goal::kEvacuate;
    return bad_input("unknown goal " + in_quotes(s) +
                     " (valid: auto, consolidate, balance, hotspot, evacuate)");
}

GoalPreset goal_preset(Goal g) {
    switch (g) {
        case Goal::kConsolidate:
            return {"threshold", "min-migration-time", "bfd"};
        case Goal::kHotspot:
            return {"threshold", "holistic", "bfd"};
        default:
            return {"threshold", "resource-constrained", "bfd"};
    }
}

std::string to_string(MoveReason r) {
    switch (r) {
        case MoveReason::kEvacuate:
            return "evacuate";
        case MoveReason::kNewVm:
            return "new";
        case MoveReason::kHotspot:
            return "hotspot";
        case MoveReason::kConsolidate:
            return "consolidate";
        case MoveReason::kBalance:
            return "balance";
        case MoveReason::kAntiAffinity:
            return "anti-affinity";
    }
    return "consolidate";
}

Result<MoveReason> parse_move_reason(std::string_view s) {
    std::string valid;
    for (MoveReason r : kMoveReasons) {
        if (to_string(r) == s) return r;
        valid += (valid.empty() ? "" : ", ") + to_string(r);
    }
    return bad_input("unknown reason " + in_quotes(std::string(s)) + " (valid: " + valid + ")");
}

std::string to_string(CrossSite c) {
    switch (c) {
        case CrossSite::kNever:
            return "never";
        case CrossSite::kEvacuations:
            return "evacuations";
        case CrossSite::kAllow:
            return "allow";
    }
    return "never";
}

Result<CrossSite> parse_cross_site(const std::string& s) {
    if (s == "never") return CrossSite::kNever;
    if (s == "evacuations") return CrossSite::kEvacuations;
    if (s == "allow") return CrossSite::kAllow;
    return bad_input("unknown value " + in_quotes(s) + " (valid: never, evacuations, allow)");
}

bool is_mandatory(MoveReason r) {
    return r != MoveReason::kConsolidate && r != MoveReason::kBalance;
}

std::string flags_to_string(uint8_t flags) {
    std::string s;
    auto add = [&](uint8_t bit, const char* name) {
        if (flags & bit) s += (s.empty() ? "" : ";") + std::string(name);
    };
    add(kFlagOverDowntime, "over-downtime");
    add(kFlagNonConvergent, "nonconvergent");
    add(kFlagOverTimeout, "over-timeout");
    return s;
}

Result<uint8_t> parse_flags(std::string_view s) {
    const uint8_t all = kFlagOverDowntime | kFlagNonConvergent | kFlagOverTimeout;
    uint8_t flags = 0;
    if (s.empty()) return flags;
    for (size_t begin = 0;;) {
        const size_t end = std::min(s.find(';', begin), s.size());
        const std::string_view token = s.substr(begin, end - begin);
        uint8_t bit = 0;
        for (uint8_t b : {kFlagOverDowntime, kFlagNonConvergent, kFlagOverTimeout})
            if (flags_to_string(b) == token) bit = b;
        if (bit == 0)
            return bad_input("unknown flag " + in_quotes(std::string(token)) +
                             " (valid: " + flags_to_string(all) + ", separated by ';')");
        flags |= bit;
        if (end == s.size()) return flags;
        begin = end + 1;
    }
}

uint8_t limit_flags(const model::MigrationEstimate& e, const model::MigrationCostConfig& cfg) {
    uint8_t f = 0;
    if (e.downtime_ms > cfg.max_downtime_ms) f |= kFlagOverDowntime;
    if (!e.converged) f |= kFlagNonConvergent;
    if (cfg.timeout_s > 0 && e.seconds > cfg.timeout_s) f |= kFlagOverTimeout;
    return f;
}

}  // namespace fp::plan
