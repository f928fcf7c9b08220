// The plan's text outputs: plan.csv (CONTRACT.md header and order) and summary.json, committed
// with the checkpoint as one output (write_plan_outputs). Determinism: byte-identical for the
// same plan, except the timing fields of summary.json (plan_seconds, phase_seconds).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "io/output_commit.hpp"
#include "src/plan/summary.hpp"

namespace fp::io {

struct RunInfo {
    int ranks = 1;
    int threads = 1;
    int64_t max_vm_rows_per_rank = 0;
    // vms.csv rows each rank parsed (its byte range when the input is split; every row when an
    // input keyed by every VM id needs them, or on --resume every row of the checkpoint).
    std::vector<int64_t> vm_rows_parsed_per_rank;
    // --history and --traffic rows each rank parsed (empty without the flag).
    std::vector<int64_t> history_rows_parsed_per_rank;
    std::vector<int64_t> traffic_rows_parsed_per_rank;
    // --previous: the previous checkpoint's VM rows each rank read (empty without the flag).
    std::vector<int64_t> previous_vm_rows_read_per_rank;
    double plan_seconds = 0;
    plan::PhaseTimes phases;
    std::string goal;
    std::string fleet_changes;  // JSON object from --previous, "" without
    int64_t frozen = 0;         // VMs in cooldown
    plan::WaveLimits limits;    // the schedule's concurrency limits
    double window_s = 0;        // --window (0: none)
    int64_t improve = 0;        // [plan] improve: the improvement phase's work limit (0: off)
    // --csv-safe: also write plan.spreadsheet.csv (plan.csv itself never changes).
    bool spreadsheet_copy = false;
};

// How ids are written: exactly (plan.csv, which dispatch reads), or escaped for a spreadsheet
// (io::spreadsheet_field).
enum class IdCells { kExact, kSpreadsheet };
std::string plan_csv(const model::Fleet& fleet, const plan::Plan& plan,
                     IdCells cells = IdCells::kExact);
std::string resize_csv(const model::Fleet& fleet, const plan::Plan& plan);
nlohmann::ordered_json summary_json(const model::Fleet& fleet, const plan::Plan& plan,
                                    const plan::PlanSummary& s, const RunInfo& run);

// Stages resize.csv (or its removal), summary.json and plan.csv (`plan_csv_text`, from
// plan_csv(), whose digest the caller put in the checkpoint) in OUT, after what the caller
// staged there (the checkpoint), and commits them all as one (io::OutputCommit).
Result<void> write_plan_outputs(OutputCommit& out, const model::Fleet& fleet,
                                const plan::Plan& plan, const plan::PlanSummary& s,
                                const RunInfo& run, const std::string& plan_csv_text);

// A few readable lines for a terminal (the demo prints this).
std::string summary_text(const nlohmann::ordered_json& summary);

}  // namespace fp::io
