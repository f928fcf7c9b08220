// Reading utilisation history (--history): a PlanetLab-format directory (one file per VM, named
// by the VM id, one integer CPU percentage per line) or a CSV `time,vm,cpu[,mem,net]` (time in
// seconds, values as fractions of the VM's size). Errors name FILE:LINE:COLUMN.
//
// PlanetLab directory: every regular file whose name does not start with '.' is one VM's CPU
// series, 300 s apart; percentages 0-100 (integers, spaces and CRLF tolerated, blank lines only
// at the end) become fractions.
// CSV: samples of a VM are sorted by time. The interval is the smallest positive difference
// between consecutive sample times of one VM, over all VMs (300 s when no VM has two samples).
// Each VM's samples go to the nearest slot counted back from its last sample, which is "now";
// a slot without a sample carries the previous sample's value forward (so a VM sampled every
// 600 s in a 300 s history repeats each value twice). An empty `mem` or `net` field is no sample
// of that dimension; a dimension never given for a VM has no series. Unknown columns are ignored
// with a warning.
// Both forms: History::cpu/mem/net have one entry per fleet VM (empty: no history), series are
// aligned at the end and History::length is the longest. Up to 20 errors are reported together.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "io/csv.hpp"
#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/util/result.hpp"

namespace fp::io {

Result<model::History> load_history(const std::string& path, const model::Fleet& fleet);

// One PlanetLab-format file: integer CPU percentages 0-100, one per line (spaces and CRLF
// tolerated, blank lines only at the end). Bad lines go to `errors` (FILE:LINE:cpu) and give
// nullopt; an unreadable environment is an Error.
Result<std::optional<std::vector<int>>> read_planetlab_file(const std::string& file,
                                                            ErrorList& errors);

struct HistoryLoad {
    model::History history;
    std::vector<std::string> warnings;  // e.g. unknown CSV columns, ignored
    int64_t rows = 0;                   // CSV rows (or PlanetLab files) read
};

// The most samples a CSV history's series may expand to by gap filling (a caller may lower it:
// simulate does, see io/sim_input.hpp). A series beyond it is refused naming the sample after
// its widest gap (FILE:LINE:time).
inline constexpr int64_t kMaxHistorySeriesLength = 1000000;

// load_history, keeping the warnings.
Result<HistoryLoad> load_history_with_warnings(const std::string& path, const model::Fleet& fleet,
                                               int64_t max_series_length = kMaxHistorySeriesLength);
// The CSV form from text; `file` names it in messages.
Result<HistoryLoad> parse_history_csv(std::string_view text, const std::string& file,
                                      const model::Fleet& fleet,
                                      int64_t max_series_length = kMaxHistorySeriesLength);

// ---- The CSV form in steps, for a reader that holds the rows and the VMs in parts (a split
// read across ranks, src/dist/split_inputs.hpp): parse_history_csv is these steps in order.

// One sample of one VM.
struct HistorySample {
    int64_t time_s = 0;
    int64_t line = 0;
    std::array<std::optional<float>, model::kDims> value;
};
// Where the columns are (-1: absent).
struct HistoryColumns {
    int time = -1;
    int vm = -1;
    std::array<int, model::kDims> value = {-1, -1, -1};
};
// The header's columns: time, vm, cpu required, mem and net optional; errors (missing or
// duplicate columns) go to `errors`, the unknown columns' warning to `warnings`.
HistoryColumns history_columns(const std::vector<std::string>& header, const std::string& file,
                               ErrorList& errors, std::vector<std::string>& warnings);
// A row's VM id and sample, or nullopt after recording its errors (in column order: vm, time,
// values). `known`, when given, checks the id against the fleet ("unknown VM").
struct HistoryRow {
    std::string_view vm;
    HistorySample sample;
};
using VmKnown = std::function<bool(const std::string& id)>;
std::optional<HistoryRow> parse_history_row(const CsvRow& row, const HistoryColumns& columns,
                                            const std::string& file, const VmKnown* known,
                                            ErrorList& errors);
// Sorts each fleet VM's samples by time and reports duplicate times (line order); returns the
// smallest positive difference between consecutive samples of a VM (0: none).
int64_t sort_history_samples(std::vector<std::vector<HistorySample>>& per_vm,
                             const model::Fleet& fleet, const std::string& file, ErrorList& errors);
// The interval when no VM has two samples.
inline constexpr int64_t kDefaultHistoryIntervalS = 300;
// Each VM's slot count at `interval_s` (0 without samples), refusing series beyond
// max_series_length; `total` gets their sum.
std::vector<int64_t> history_lengths(const std::vector<std::vector<HistorySample>>& per_vm,
                                     const model::Fleet& fleet, int64_t interval_s,
                                     int64_t max_series_length, const std::string& file,
                                     ErrorList& errors, int64_t& total);
// Whether filling `total` slots from `given` samples stays within the bound (else an error).
bool history_fill_bounded(int64_t total, int64_t given, int64_t interval_s, const std::string& file,
                          ErrorList& errors);
// The series (gaps filled), one entry per fleet VM; `length` is the longest of them.
model::History fill_history(const std::vector<std::vector<HistorySample>>& per_vm,
                            const std::vector<int64_t>& lengths, int64_t interval_s);

// PlanetLab directory, in parts: the VM files' names in byte order, and the series of the
// names `fleet` holds (the other names are skipped, not errors; `matched` counts the taken).
Result<std::vector<std::string>> planetlab_names(const std::string& dir);
Result<HistoryLoad> load_planetlab_subset(const std::string& dir,
                                          const std::vector<std::string>& names,
                                          const model::Fleet& fleet, int64_t& matched);

}  // namespace fp::io
