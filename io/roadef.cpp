#include "io/roadef.hpp"

#include <algorithm>
#include <charconv>
#include <map>

#include "io/csv.hpp"

namespace fp::io {

namespace {

constexpr int64_t kMaxValue = 1000000000;  // CONTRACT.md: values at most 1e9

// Whitespace-separated integers with the physical line of each.
class Tokens {
  public:
    Tokens(std::string_view text, std::string file) : text_(text), file_(std::move(file)) {}

    // The next value as an integer in [lo, hi]; on error the message goes to `errors` and the
    // reading stops (a missing or malformed value leaves the rest unaligned).
    // A count (`fatal`) out of range stops the reading too.
    bool next(const std::string& field, int64_t lo, int64_t hi, int64_t& out, bool fatal = false) {
        if (failed_) return false;
        skip_space();
        if (i_ >= text_.size()) {
            errors_.add(file_, line_, field, "missing value: the file ends early");
            failed_ = true;
            return false;
        }
        const size_t b = i_;
        while (i_ < text_.size() && !is_space(text_[i_])) ++i_;
        const std::string_view tok = text_.substr(b, i_ - b);
        int64_t v = 0;
        const auto [ptr, ec] = std::from_chars(tok.data(), tok.data() + tok.size(), v);
        if (ec == std::errc::result_out_of_range ||
            (ec == std::errc() && ptr == tok.data() + tok.size() && (v < lo || v > hi))) {
            errors_.add(file_, line_, field,
                        "out of range: " + in_quotes(tok) + " (expected " + std::to_string(lo) +
                            " to " + std::to_string(hi) + ")");
            out = std::clamp(v, lo, hi);
            last_in_range_ = false;
            if (fatal || ec == std::errc::result_out_of_range) failed_ = true;
            return !failed_;
        }
        if (ec != std::errc() || ptr != tok.data() + tok.size()) {
            errors_.add(file_, line_, field, "not an integer: " + in_quotes(tok));
            failed_ = true;
            return false;
        }
        out = v;
        last_in_range_ = true;
        return true;
    }
    // Whether the last value read was within its range (not clamped).
    bool last_in_range() const { return last_in_range_; }
    // Reports text after the last expected value.
    void expect_end() {
        if (failed_) return;
        skip_space();
        if (i_ < text_.size())
            errors_.add(file_, line_, "end", "unexpected value after the last one");
    }
    void add_error(const std::string& field, const std::string& what) {
        errors_.add(file_, line_, field, what);
    }
    int64_t line() const { return line_; }
    ErrorList& errors() { return errors_; }
    bool failed() const { return failed_; }

  private:
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
    void skip_space() {
        while (i_ < text_.size() && is_space(text_[i_])) {
            if (text_[i_] == '\n') ++line_;
            ++i_;
        }
    }
    std::string_view text_;
    std::string file_;
    size_t i_ = 0;
    int64_t line_ = 1;
    ErrorList errors_;
    bool failed_ = false;
    bool last_in_range_ = false;
};

std::string at(const std::string& what, int64_t i) { return what + " " + std::to_string(i); }

// Dense renumbering of the values in `v`, in increasing order.
int32_t renumber(std::vector<int32_t>& v) {
    std::vector<int32_t> keys(v);
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    for (int32_t& x : v)
        x = static_cast<int32_t>(std::lower_bound(keys.begin(), keys.end(), x) - keys.begin());
    return static_cast<int32_t>(keys.size());
}

// Whether every cost sum stays well inside 64 bits (each bounded as if all of it were paid).
bool costs_fit(const opt::RoadefModel& md) {
    using Wide = __int128;
    const Wide kLimit = Wide(1) << 61;
    Wide total = 0;
    for (int32_t r = 0; r < md.resources; ++r) {
        Wide need = 0;
        for (int32_t p = 0; p < md.processes; ++p) need += md.req(p, r);
        total += need * md.weight_load[r] * 2;
    }
    for (const opt::BalanceObjective& b : md.balances) {
        Wide worst = 0;
        for (int32_t m = 0; m < md.machines; ++m)
            worst += Wide(b.target) * md.cap(m, b.resource1) + md.cap(m, b.resource2);
        total += worst * b.weight * 2;
    }
    Wide moves = 0, mmc = 0;
    for (int32_t p = 0; p < md.processes; ++p) moves += md.process_move_cost[p];
    for (int64_t c : md.move_cost) mmc = std::max<Wide>(mmc, c);
    total += moves * md.weight_process_move + Wide(md.processes) * md.weight_service_move +
             Wide(md.processes) * mmc * md.weight_machine_move;
    return total < kLimit;
}

}  // namespace

Result<opt::RoadefModel> parse_roadef_model(std::string_view text, const std::string& file) {
    Tokens t(text, file);
    opt::RoadefModel md;
    int64_t v = 0;
    const int64_t kMaxCount = 10000000;
    auto get = [&](const std::string& field, int64_t lo, int64_t hi) -> int64_t {
        return t.next(field, lo, hi, v) ? v : 0;
    };
    auto count = [&](const std::string& field, int64_t lo, int64_t hi) -> int64_t {
        return t.next(field, lo, hi, v, true) ? v : 0;
    };
    md.resources = static_cast<int32_t>(count("resources", 1, 1000));
    for (int32_t r = 0; r < md.resources && !t.failed(); ++r) {
        md.transient.push_back(static_cast<uint8_t>(get(at("resource", r) + " transient", 0, 1)));
        md.weight_load.push_back(get(at("resource", r) + " weight_load_cost", 0, kMaxValue));
    }
    md.machines = static_cast<int32_t>(count("machines", 1, 100000));
    for (int32_t m = 0; m < md.machines && !t.failed(); ++m) {
        const std::string w = at("machine", m);
        md.neighborhood.push_back(static_cast<int32_t>(get(w + " neighborhood", 0, kMaxValue)));
        md.location.push_back(static_cast<int32_t>(get(w + " location", 0, kMaxValue)));
        for (int32_t r = 0; r < md.resources; ++r)
            md.capacity.push_back(get(w + " capacity[" + std::to_string(r) + "]", 0, kMaxValue));
        for (int32_t r = 0; r < md.resources; ++r)
            md.safety_capacity.push_back(
                get(w + " safety_capacity[" + std::to_string(r) + "]", 0, kMaxValue));
        for (int32_t to = 0; to < md.machines; ++to) {
            const int64_t line = t.line();
            const int64_t c = get(w + " move_cost[" + std::to_string(to) + "]", 0, kMaxValue);
            if (to == m && c != 0 && !t.failed())
                t.errors().add(file, line, w + " move_cost[" + std::to_string(to) + "]",
                               "moving to the same machine must cost 0");
            md.move_cost.push_back(c);
        }
    }
    md.services = static_cast<int32_t>(count("services", 0, kMaxCount));
    for (int32_t s = 0; s < md.services && !t.failed(); ++s) {
        const std::string w = at("service", s);
        md.spread_min.push_back(static_cast<int32_t>(get(w + " spread_min", 0, kMaxCount)));
        const int64_t n = count(w + " dependencies", 0, md.services);
        std::vector<int32_t> deps;
        for (int64_t i = 0; i < n && !t.failed(); ++i) {
            const int64_t line = t.line();
            const auto d = static_cast<int32_t>(
                get(w + " dependency[" + std::to_string(i) + "]", 0, md.services - 1));
            if (d == s && t.last_in_range())
                t.errors().add(file, line, w + " dependency[" + std::to_string(i) + "]",
                               "a service cannot depend on itself");
            deps.push_back(d);
        }
        std::sort(deps.begin(), deps.end());
        deps.erase(std::unique(deps.begin(), deps.end()), deps.end());
        md.depends_on.push_back(std::move(deps));
    }
    md.processes = static_cast<int32_t>(count("processes", 0, kMaxCount));
    std::vector<int64_t> per_service(static_cast<size_t>(md.services), 0);
    for (int32_t p = 0; p < md.processes && !t.failed(); ++p) {
        const std::string w = at("process", p);
        if (md.services == 0) {
            t.add_error(w + " service", "there are no services");
            break;
        }
        const auto s = static_cast<int32_t>(get(w + " service", 0, md.services - 1));
        md.service.push_back(s);
        if (!t.failed()) ++per_service[static_cast<size_t>(s)];
        for (int32_t r = 0; r < md.resources; ++r)
            md.requirement.push_back(
                get(w + " requirement[" + std::to_string(r) + "]", 0, kMaxValue));
        md.process_move_cost.push_back(get(w + " process_move_cost", 0, kMaxValue));
    }
    const int64_t balances = count("balance objectives", 0, kMaxCount);
    for (int64_t b = 0; b < balances && !t.failed(); ++b) {
        const std::string w = at("balance", b);
        opt::BalanceObjective bo;
        bo.resource1 = static_cast<int32_t>(get(w + " resource1", 0, md.resources - 1));
        bo.resource2 = static_cast<int32_t>(get(w + " resource2", 0, md.resources - 1));
        bo.target = get(w + " target", 0, kMaxValue);
        bo.weight = get(w + " weight", 0, kMaxValue);
        md.balances.push_back(bo);
    }
    md.weight_process_move = get("weight_process_move", 0, kMaxValue);
    md.weight_service_move = get("weight_service_move", 0, kMaxValue);
    md.weight_machine_move = get("weight_machine_move", 0, kMaxValue);
    t.expect_end();
    if (!t.errors().empty()) return tl::unexpected(t.errors().to_error());
    for (int32_t s = 0; s < md.services; ++s)
        if (md.spread_min[s] > per_service[static_cast<size_t>(s)])
            t.add_error(at("service", s) + " spread_min",
                        "out of range: " + std::to_string(md.spread_min[s]) +
                            " locations but the service has " +
                            std::to_string(per_service[static_cast<size_t>(s)]) + " processes");
    if (!t.errors().empty()) return tl::unexpected(t.errors().to_error());
    md.neighborhoods = renumber(md.neighborhood);
    md.locations = renumber(md.location);
    md.initial.assign(static_cast<size_t>(md.processes), 0);
    if (!costs_fit(md))
        return bad_input(file + ":1:weights: out of range: the costs could exceed 64-bit integers");
    return md;
}

Result<std::vector<int32_t>> parse_roadef_assignment(std::string_view text, const std::string& file,
                                                     const opt::RoadefModel& md) {
    Tokens t(text, file);
    std::vector<int32_t> a;
    a.reserve(static_cast<size_t>(md.processes));
    int64_t v = 0;
    for (int32_t p = 0; p < md.processes && !t.failed(); ++p)
        if (t.next(at("process", p) + " machine", 0, md.machines - 1, v))
            a.push_back(static_cast<int32_t>(v));
    t.expect_end();
    if (!t.errors().empty()) return tl::unexpected(t.errors().to_error());
    return a;
}

Result<opt::RoadefModel> read_roadef(const std::string& model_path,
                                     const std::string& assignment_path) {
    auto mt = read_file(model_path);
    if (!mt) return tl::unexpected(mt.error());
    auto md = parse_roadef_model(*mt, model_path);
    if (!md) return md;
    auto at_text = read_file(assignment_path);
    if (!at_text) return tl::unexpected(at_text.error());
    auto a = parse_roadef_assignment(*at_text, assignment_path, *md);
    if (!a) return tl::unexpected(a.error());
    md->initial = std::move(*a);
    return md;
}

std::string roadef_solution_text(const std::vector<int32_t>& assignment) {
    std::string s;
    s.reserve(assignment.size() * 5);
    for (size_t i = 0; i < assignment.size(); ++i) {
        if (i) s += ' ';
        s += std::to_string(assignment[i]);
    }
    s += '\n';
    return s;
}

}  // namespace fp::io
