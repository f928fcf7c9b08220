#include "src/plan/plan.hpp"

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
    return bad_input("unknown goal '" + s +
                     "' (valid: auto, consolidate, balance, hotspot, evacuate)");
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

}  // namespace fp::plan
