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

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "src/model/fleet.hpp"
#include "src/model/history.hpp"
#include "src/util/result.hpp"

namespace fp::io {

Result<model::History> load_history(const std::string& path, const model::Fleet& fleet);

class ErrorList;
// One PlanetLab-format file: integer CPU percentages 0-100, one per line (spaces and CRLF
// tolerated, blank lines only at the end). Bad lines go to `errors` (FILE:LINE:cpu) and give
// nullopt; an unreadable environment is an Error.
Result<std::optional<std::vector<int>>> read_planetlab_file(const std::string& file,
                                                            ErrorList& errors);

struct HistoryLoad {
    model::History history;
    std::vector<std::string> warnings;  // e.g. unknown CSV columns, ignored
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

}  // namespace fp::io
