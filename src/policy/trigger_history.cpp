#include "src/policy/trigger_history.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>

#include "src/model/migration_cost.hpp"
#include "src/policy/registry.hpp"
#include "src/policy/trigger.hpp"
#include "src/util/statistics.hpp"
#include "src/util/text.hpp"

namespace fp::policy {
namespace {

// A VM's series in dimension d, or nullptr when it has none.
const std::vector<float>* vm_series(const model::History& history, int32_t vm, int d) {
    const auto& all = d == model::kCpu ? history.cpu : d == model::kMem ? history.mem : history.net;
    const size_t i = static_cast<size_t>(vm);
    if (i >= all.size() || all[i].empty()) return nullptr;
    return &all[i];
}

// The sample `back` steps before a series' newest; its oldest stands in for those before it.
double sample_back(const std::vector<float>& s, size_t back) {
    return back < s.size() ? s[s.size() - 1 - back] : s.front();
}

}  // namespace

namespace detail {

// ======================= hosts =======================

std::vector<double> host_load_series(const model::PlacementState& state,
                                     const model::History& history, int32_t host, int d,
                                     int64_t max_len) {
    size_t len = 0;
    for (int32_t vm : state.vms_on(host))
        if (const auto* s = vm_series(history, vm, d)) len = std::max(len, s->size());
    if (len == 0) return {};
    if (max_len > 0) len = std::min(len, static_cast<size_t>(max_len));
    std::vector<double> out(len, 0.0);
    for (int32_t vm : state.vms_on(host)) {
        const auto* s = vm_series(history, vm, d);
        if (s == nullptr) {
            const double now = static_cast<double>(state.demand(vm)[d]);
            for (double& x : out) x += now;
            continue;
        }
        const double size =
            static_cast<double>(model::history_size(state.fleet().vms[static_cast<size_t>(vm)])[d]);
        for (size_t i = 0; i < len; ++i) {
            const size_t back = len - 1 - i;  // samples before now
            out[i] += sample_back(*s, back) * size;
        }
    }
    return out;
}

std::vector<int32_t> cold_hosts(const model::PlacementState& state,
                                const std::array<double, model::kDims>& low,
                                const std::vector<int32_t>& hot) {
    // Threshold's own rule, with max-util as its high threshold.
    const ThresholdTrigger threshold({-1.0, -1.0, -1.0}, low);
    std::vector<int32_t> cold = threshold.evaluate(state, PolicyContext{}).cold;
    if (hot.empty()) return cold;
    std::vector<uint8_t> is_hot(static_cast<size_t>(state.host_count()), 0);
    for (int32_t h : hot) is_hot[static_cast<size_t>(h)] = 1;
    std::erase_if(cold, [&](int32_t h) { return is_hot[static_cast<size_t>(h)] != 0; });
    return cold;
}

}  // namespace detail

// ======================= triggers =======================

namespace {

using Dims = std::array<double, model::kDims>;

struct Urgent {
    double excess;  // how far past the trigger's line (utilisation fractions); larger first
    int32_t rank;
    int32_t host;
};

std::vector<int32_t> by_urgency(std::vector<Urgent> hot) {
    std::sort(hot.begin(), hot.end(), [](const Urgent& a, const Urgent& b) {
        return a.excess != b.excess ? a.excess > b.excess : a.rank < b.rank;
    });
    std::vector<int32_t> out;
    out.reserve(hot.size());
    for (const auto& u : hot) out.push_back(u.host);
    return out;
}

enum class Verdict { kCool, kHot, kNoHistory };
struct Judgement {
    Verdict verdict = Verdict::kCool;
    double excess = 0;
};

std::vector<double> util_series(const model::PlacementState& state, const model::History& hist,
                                int32_t h, int d, int64_t max_len) {
    std::vector<double> s = detail::host_load_series(state, hist, h, d, max_len);
    const double cap = static_cast<double>(state.capacity(h)[d]);
    for (double& x : s) x = cap > 0 ? x / cap : 0.0;
    return s;
}

// The shared frame of the history triggers: per host a judgement from the history, or the static
// CPU fallback where there is not enough of it; cold hosts by threshold's rule.
class HistoryTrigger : public TriggerPolicy {
  public:
    HistoryTrigger(Dims low, double fallback) : low_(low), fallback_(fallback) {}

    TriggerResult evaluate(const model::PlacementState& state,
                           const PolicyContext& ctx) const final {
        const model::History* hist =
            ctx.history != nullptr && !ctx.history->empty() ? ctx.history : nullptr;
        std::vector<Urgent> hot;
        for (int32_t h = 0; h < state.host_count(); ++h) {
            const Judgement j = judge_host(state, hist, h, ctx);
            if (j.verdict == Verdict::kHot) hot.push_back({j.excess, state.id_rank(h), h});
        }
        TriggerResult out;
        out.hot = by_urgency(std::move(hot));
        out.cold = detail::cold_hosts(state, low_, out.hot);
        return out;
    }

    bool is_hot(const model::PlacementState& state, int32_t h,
                const PolicyContext& ctx) const final {
        const model::History* hist =
            ctx.history != nullptr && !ctx.history->empty() ? ctx.history : nullptr;
        return judge_host(state, hist, h, ctx).verdict == Verdict::kHot;
    }

  protected:
    // The verdict for a host with VMs when history is present; kNoHistory when too short.
    virtual Judgement judge(const model::PlacementState& state, const model::History& hist,
                            int32_t h, const PolicyContext& ctx) const = 0;

  private:
    // The history's verdict, or the static CPU fallback where there is not enough history.
    Judgement judge_host(const model::PlacementState& state, const model::History* hist, int32_t h,
                         const PolicyContext& ctx) const {
        Judgement j;
        if (hist != nullptr && !state.vms_on(h).empty()) {
            j = judge(state, *hist, h, ctx);
        } else if (hist == nullptr) {
            j.verdict = Verdict::kNoHistory;
        }
        if (j.verdict == Verdict::kNoHistory) {
            const int64_t lim =
                model::limit_at(state.capacity(h)[model::kCpu], model::to_ppm(fallback_));
            j.verdict = state.load(h)[model::kCpu] > lim ? Verdict::kHot : Verdict::kCool;
            j.excess = state.util(h, model::kCpu) - fallback_;
        }
        return j;
    }

    Dims low_;
    double fallback_;
};

// Sandpiper: hot when at least k of the last n samples exceed the threshold in some dimension.
class KOfNTrigger final : public HistoryTrigger {
  public:
    KOfNTrigger(Dims low, double fallback, int64_t k, int64_t n, double threshold)
        : HistoryTrigger(low, fallback), k_(k), n_(n), threshold_(threshold) {}
    std::string_view name() const override { return "k-of-n"; }

  protected:
    Judgement judge(const model::PlacementState& state, const model::History& hist, int32_t h,
                    const PolicyContext&) const override {
        const int64_t ppm = threshold_ < 0 ? state.max_util_ppm() : model::to_ppm(threshold_);
        const size_t n = static_cast<size_t>(n_);
        std::vector<uint8_t> exceeds(n, 0);
        double excess = -1e300;
        bool have_cpu = false;
        for (int d = 0; d < model::kDims; ++d) {
            const auto s = detail::host_load_series(state, hist, h, d, n_);
            if (s.size() < n) continue;  // this dimension lacks history (CPU: fall back)
            if (d == model::kCpu) have_cpu = true;
            const int64_t cap = state.capacity(h)[d];
            const double lim = static_cast<double>(model::limit_at(cap, ppm));
            for (size_t i = 0; i < n; ++i)
                if (s[i] > lim) exceeds[i] = 1;
            if (cap > 0) excess = std::max(excess, (s.back() - lim) / static_cast<double>(cap));
        }
        if (!have_cpu) return {Verdict::kNoHistory, 0};
        int64_t count = 0;
        for (uint8_t e : exceeds) count += e;
        return {count >= k_ ? Verdict::kHot : Verdict::kCool, excess};
    }

  private:
    int64_t k_, n_;
    double threshold_;
};

// Beloglazov & Buyya: an adaptive upper threshold 1 − s·spread of the host's CPU utilisation.
class RobustSpreadTrigger final : public HistoryTrigger {
  public:
    enum class Spread { kMad, kIqr };
    RobustSpreadTrigger(Dims low, double fallback, Spread spread, double s, int64_t min_samples,
                        int64_t window)
        : HistoryTrigger(low, fallback),
          spread_(spread),
          s_(s),
          min_samples_(min_samples),
          window_(window) {}
    std::string_view name() const override { return spread_ == Spread::kMad ? "mad" : "iqr"; }

  protected:
    Judgement judge(const model::PlacementState& state, const model::History& hist, int32_t h,
                    const PolicyContext&) const override {
        const auto u = util_series(state, hist, h, model::kCpu, window_);
        if (static_cast<int64_t>(u.size()) < min_samples_) return {Verdict::kNoHistory, 0};
        const double spread = spread_ == Spread::kMad ? stats::median_absolute_deviation(u)
                                                      : stats::interquartile_range(u);
        const double upper = 1.0 - s_ * spread;
        const double now = u.back();
        return {now > upper ? Verdict::kHot : Verdict::kCool, now - upper};
    }

  private:
    Spread spread_;
    double s_;
    int64_t min_samples_, window_;
};

// Beloglazov & Buyya's local regression (and its robust variant): forecast the host's CPU
// utilisation one migration time ahead; hot when safety × forecast >= 1.
class LocalRegressionTrigger final : public HistoryTrigger {
  public:
    LocalRegressionTrigger(Dims low, double fallback, int64_t window, double safety, double guard,
                           double horizon_s, stats::LoessWeights weights, int iterations)
        : HistoryTrigger(low, fallback),
          window_(window),
          safety_(safety),
          guard_(guard),
          horizon_s_(horizon_s),
          weights_(weights),
          iterations_(iterations) {}
    std::string_view name() const override { return iterations_ > 0 ? "lrr" : "lr"; }

  protected:
    Judgement judge(const model::PlacementState& state, const model::History& hist, int32_t h,
                    const PolicyContext& ctx) const override {
        const auto u = util_series(state, hist, h, model::kCpu, window_);
        if (static_cast<int64_t>(u.size()) < window_) return {Verdict::kNoHistory, 0};
        const double steps = horizon_steps(state, h, ctx, hist.interval_s);
        const double predicted = safety_ * stats::loess_forecast(u, steps, weights_, iterations_);
        return {predicted >= 1.0 ? Verdict::kHot : Verdict::kCool, predicted - 1.0};
    }

  public:
    // The plain (not robust) local regression is a weighted least-squares line whose weights
    // depend on positions only, so its forecast is linear in the series: a host's forecast is
    // the sum of what each of its VMs adds to the host's series (the VM's samples, padded with
    // its oldest as host_load_series pads, or its demand now when it has none), each forecast
    // at the VM's own horizon. lr forecasts a host at its largest VM's horizon: the sum equals
    // lr's forecast where that is every VM's (one interval unless a migration takes longer),
    // and may fall short of it on a host with a VM whose migration takes longer while another
    // rises. (Counting every VM at the fleet's longest horizon too was tried and extrapolated
    // noise: Bitbrains fleet 546 migrations against 378.) Where a host has fewer than `window`
    // samples lr judges it by its fallback (current load). No guard while no VM has `window`
    // samples.
    bool forecast_guard(const model::PlacementState& state, const PolicyContext& ctx,
                        std::vector<int64_t>& vm_load,
                        std::vector<int64_t>& host_line) const override {
        const model::History* hist = ctx.history;
        if (iterations_ > 0 || safety_ <= 0 || hist == nullptr || hist->empty() ||
            hist->length < window_)
            return false;
        const size_t len = static_cast<size_t>(window_);
        // The forecast is Σ c_i · y_i: the coefficients of each horizon once (the fits of the
        // unit series), then a dot product per VM instead of a fit with its allocations.
        std::vector<std::pair<double, std::vector<double>>> known;
        auto coefficients = [&](double steps) -> const std::vector<double>& {
            for (const auto& [s, c] : known)
                if (s == steps) return c;
            std::vector<double> c(len), unit(len, 0.0);
            for (size_t i = 0; i < len; ++i) {
                unit[i] = 1.0;
                c[i] = stats::loess_forecast(unit, steps, weights_, 0);
                unit[i] = 0.0;
            }
            known.emplace_back(steps, std::move(c));
            return known.back().second;
        };
        vm_load.assign(static_cast<size_t>(state.vm_count()), 0);
        for (int32_t v = 0; v < state.vm_count(); ++v) {
            const auto* s = vm_series(*hist, v, model::kCpu);
            double f = static_cast<double>(state.demand(v)[model::kCpu]);
            if (s != nullptr) {
                const auto& vm = state.fleet().vms[static_cast<size_t>(v)];
                const double size = static_cast<double>(model::history_size(vm)[model::kCpu]);
                const auto& c = coefficients(steps_for(vm, ctx, hist->interval_s));
                f = 0;
                for (size_t i = 0; i < len; ++i) {
                    const size_t back = len - 1 - i;  // samples before now
                    f += c[i] * sample_back(*s, back);
                }
                f *= size;
            }
            vm_load[static_cast<size_t>(v)] = static_cast<int64_t>(std::ceil(f));
        }
        host_line.resize(static_cast<size_t>(state.host_count()));
        for (int32_t h = 0; h < state.host_count(); ++h)
            host_line[static_cast<size_t>(h)] = static_cast<int64_t>(
                std::ceil(guard_ * static_cast<double>(state.capacity(h)[model::kCpu]) / safety_));
        return true;
    }

  private:
    // Whole intervals until a migration of `vm` would finish (at least one).
    double steps_for(const model::Vm& v, const PolicyContext& ctx, int64_t interval_s) const {
        double seconds = horizon_s_;
        if (seconds < 0) {
            seconds = 0;
            if (ctx.cost != nullptr)
                seconds = model::estimate_migration(static_cast<double>(v.mem_size_kib) / 1024.0,
                                                    v.dirty_rate_mibps, *ctx.cost)
                              .seconds;
        }
        const double interval = static_cast<double>(std::max<int64_t>(interval_s, 1));
        return std::max(1.0, std::ceil(seconds / interval));
    }

    // Whole intervals until a migration off the host would finish: that of its largest VM.
    double horizon_steps(const model::PlacementState& state, int32_t h, const PolicyContext& ctx,
                         int64_t interval_s) const {
        int32_t largest = -1;  // by mem_size, ties by the lower VM index
        for (int32_t vm : state.vms_on(h)) {
            if (largest < 0 || state.fleet().vms[static_cast<size_t>(vm)].mem_size_kib >
                                   state.fleet().vms[static_cast<size_t>(largest)].mem_size_kib)
                largest = vm;
        }
        if (largest < 0) {
            const double interval = static_cast<double>(std::max<int64_t>(interval_s, 1));
            return std::max(1.0, std::ceil(std::max(horizon_s_, 0.0) / interval));
        }
        return steps_for(state.fleet().vms[static_cast<size_t>(largest)], ctx, interval_s);
    }

    int64_t window_;
    double safety_;
    double guard_;  // a target's forecast × safety stays below this (hysteresis under 1)
    double horizon_s_;
    stats::LoessWeights weights_;
    int iterations_;
};

// Proactive: forecast every VM's demand `steps` intervals ahead; hot when the host's sum of
// forecasts exceeds its max-util limit in a dimension.
class ForecastTrigger final : public HistoryTrigger {
  public:
    enum class Model { kHolt, kAr };
    ForecastTrigger(Dims low, double fallback, Model model, double alpha, double beta, int p,
                    int steps)
        : HistoryTrigger(low, fallback),
          model_(model),
          alpha_(alpha),
          beta_(beta),
          p_(p),
          steps_(steps) {}
    std::string_view name() const override { return "forecast"; }

  protected:
    Judgement judge(const model::PlacementState& state, const model::History& hist, int32_t h,
                    const PolicyContext&) const override {
        std::array<double, model::kDims> predicted{};
        bool any_history = false;
        std::vector<double> series;
        for (int32_t vm : state.vms_on(h)) {
            const auto& v = state.fleet().vms[static_cast<size_t>(vm)];
            const model::Resources size = model::history_size(v);
            for (int d = 0; d < model::kDims; ++d) {
                const size_t di = static_cast<size_t>(d);
                const auto* s = vm_series(hist, vm, d);
                if (s == nullptr) {
                    predicted[di] += static_cast<double>(v.demand[d]);
                    continue;
                }
                any_history = true;
                series.assign(s->begin(), s->end());
                const double f = model_ == Model::kHolt
                                     ? stats::holt_forecast(series, alpha_, beta_, steps_)
                                     : stats::ar_forecast(series, p_, steps_);
                predicted[di] += std::max(0.0, f) * static_cast<double>(size[d]);
            }
        }
        if (!any_history) return {Verdict::kNoHistory, 0};
        bool hot = false;
        double excess = -1e300;
        for (int d = 0; d < model::kDims; ++d) {
            const size_t di = static_cast<size_t>(d);
            const double lim = static_cast<double>(state.limit(h)[d]);
            const double cap = static_cast<double>(state.capacity(h)[d]);
            if (predicted[di] > lim) hot = true;
            if (cap > 0) excess = std::max(excess, (predicted[di] - lim) / cap);
        }
        return {hot ? Verdict::kHot : Verdict::kCool, excess};
    }

  private:
    Model model_;
    double alpha_, beta_;
    int p_, steps_;
};

// Balance: when the dominant-share spread over active hosts with VMs exceeds `bound`, the hosts
// more than bound/2 above the mean are hot.
class ImbalanceTrigger final : public TriggerPolicy {
  public:
    ImbalanceTrigger(Dims low, double bound) : low_(low), bound_(bound) {}
    std::string_view name() const override { return "imbalance"; }
    TriggerResult evaluate(const model::PlacementState& state,
                           const PolicyContext&) const override {
        std::vector<int32_t> active;
        double lo = 0, hi = 0, sum = 0;
        for (int32_t h = 0; h < state.host_count(); ++h) {
            if (state.fleet().hosts[static_cast<size_t>(h)].state != model::HostState::kActive ||
                state.vms_on(h).empty())
                continue;
            const double share = state.max_util(h);
            if (active.empty() || share < lo) lo = share;
            if (active.empty() || share > hi) hi = share;
            sum += share;
            active.push_back(h);
        }
        std::vector<Urgent> hot;
        if (!active.empty() && hi - lo > bound_) {
            const double mean = sum / static_cast<double>(active.size());
            for (int32_t h : active) {
                const double above = state.max_util(h) - mean;
                if (above > bound_ / 2) hot.push_back({above, state.id_rank(h), h});
            }
        }
        TriggerResult out;
        out.hot = by_urgency(std::move(hot));
        out.cold = detail::cold_hosts(state, low_, out.hot);
        return out;
    }

  private:
    Dims low_;
    double bound_;
};

// `threshold` inside a time window; outside it only hosts above max-util are hot and none cold.
class GatedTrigger : public TriggerPolicy {
  public:
    GatedTrigger(Dims high, Dims low) : inside_(high, low), outside_({-1.0, -1.0, -1.0}, low) {}
    TriggerResult evaluate(const model::PlacementState& state,
                           const PolicyContext& ctx) const final {
        if (ctx.now_s < 0 || fires(ctx.now_s)) return inside_.evaluate(state, ctx);
        TriggerResult out;
        out.hot = outside_.evaluate(state, ctx).hot;
        return out;
    }

  protected:
    virtual bool fires(int64_t now_s) const = 0;

  private:
    ThresholdTrigger inside_;
    ThresholdTrigger outside_;
};

int64_t floor_mod(int64_t a, int64_t m) {
    const int64_t r = a % m;
    return r < 0 ? r + m : r;
}

class PeriodicTrigger final : public GatedTrigger {
  public:
    PeriodicTrigger(Dims high, Dims low, int64_t every_s, int64_t offset_s, int64_t window_s)
        : GatedTrigger(high, low), every_s_(every_s), offset_s_(offset_s), window_s_(window_s) {}
    std::string_view name() const override { return "periodic"; }

  protected:
    bool fires(int64_t now_s) const override {
        return floor_mod(now_s - offset_s_, every_s_) < window_s_;
    }

  private:
    int64_t every_s_, offset_s_, window_s_;
};

class TimeOfDayTrigger final : public GatedTrigger {
  public:
    // start/end in seconds after midnight UTC; the window [start, end) may wrap past midnight.
    TimeOfDayTrigger(Dims high, Dims low, int64_t start_s, int64_t end_s)
        : GatedTrigger(high, low), start_s_(start_s), end_s_(end_s) {}
    std::string_view name() const override { return "time-of-day"; }

  protected:
    bool fires(int64_t now_s) const override {
        const int64_t t = floor_mod(now_s, 86400);
        return start_s_ < end_s_ ? (t >= start_s_ && t < end_s_) : (t >= start_s_ || t < end_s_);
    }

  private:
    int64_t start_s_, end_s_;
};

// ======================= parameters =======================

template <typename T>
Result<std::unique_ptr<TriggerPolicy>> made(std::unique_ptr<T> p) {
    return Result<std::unique_ptr<TriggerPolicy>>(std::unique_ptr<TriggerPolicy>(std::move(p)));
}

// "HH:MM" (00:00-23:59) as seconds after midnight.
std::optional<int64_t> parse_hh_mm(const std::string& s) {
    if (s.size() != 5 || s[2] != ':') return std::nullopt;
    for (size_t i : {0u, 1u, 3u, 4u})
        if (s[i] < '0' || s[i] > '9') return std::nullopt;
    const int hh = (s[0] - '0') * 10 + (s[1] - '0');
    const int mm = (s[3] - '0') * 10 + (s[4] - '0');
    if (hh > 23 || mm > 59) return std::nullopt;
    return static_cast<int64_t>(hh) * 3600 + mm * 60;
}

// The cold thresholds and the fallback every history trigger takes.
std::vector<ParamSpec> common_params() {
    return concat(low_params(),
                  {real_param("fallback", 0.7, 0.0, 10.0,
                              "static CPU threshold on current utilisation where history is "
                              "missing or too short")});
}

using Factory = Registry<TriggerPolicy>::Factory;

Factory spread_factory(RobustSpreadTrigger::Spread spread) {
    return [spread](const ParamValues& p, const ConfigNode& n,
                    const Registries&) -> Result<std::unique_ptr<TriggerPolicy>> {
        const int64_t min_samples = p.integer("min_samples"), window = p.integer("window");
        if (window < min_samples)
            return bad_input(n.path() + ".window: " + std::to_string(window) +
                             " is less than min_samples (" + std::to_string(min_samples) + ")");
        return made(std::make_unique<RobustSpreadTrigger>(
            dims(p, "_low"), p.real("fallback"), spread, p.real("s"), min_samples, window));
    };
}

Factory regression_factory(bool robust) {
    return [robust](const ParamValues& p, const ConfigNode& n,
                    const Registries&) -> Result<std::unique_ptr<TriggerPolicy>> {
        const double horizon = p.real("horizon_s");
        if (horizon < 0 && horizon != -1.0)
            return bad_input(n.path() + ".horizon_s: must be -1 (estimate) or >= 0");
        const stats::LoessWeights w = p.text("weights") == "tricube"
                                          ? stats::LoessWeights::kTricube
                                          : stats::LoessWeights::kUniform;
        const int iterations = robust ? static_cast<int>(p.integer("iterations")) : 0;
        return made(std::make_unique<LocalRegressionTrigger>(
            dims(p, "_low"), p.real("fallback"), p.integer("window"), p.real("safety"),
            robust ? 1.0 : p.real("guard"), horizon, w, iterations));
    };
}

Result<std::unique_ptr<TriggerPolicy>> periodic(const ParamValues& p, const ConfigNode&,
                                                const Registries&) {
    return made(std::make_unique<PeriodicTrigger>(dims(p, "_high"), dims(p, "_low"),
                                                  p.integer("every_s"), p.integer("offset_s"),
                                                  p.integer("window_s")));
}

Result<std::unique_ptr<TriggerPolicy>> time_of_day(const ParamValues& p, const ConfigNode& n,
                                                   const Registries&) {
    const std::string& start = p.text("start");
    const std::string& end = p.text("end");
    const auto s = parse_hh_mm(start);
    if (!s)
        return bad_input(n.path() + ".start: expected \"HH:MM\" (00:00-23:59), got " +
                         in_quotes(start));
    const auto e = parse_hh_mm(end);
    if (!e)
        return bad_input(n.path() + ".end: expected \"HH:MM\" (00:00-23:59), got " +
                         in_quotes(end));
    if (*s == *e) return bad_input(n.path() + ".end: equals start (an empty window)");
    return made(std::make_unique<TimeOfDayTrigger>(dims(p, "_high"), dims(p, "_low"), *s, *e));
}

}  // namespace

void register_history_triggers(Registries& r) {
    r.triggers.add(
        {"k-of-n", "",
         "hot when at least k of the last n history samples exceed the threshold in a dimension",
         concat({int_param("k", 3, 1, 100000, "samples that must exceed"),
                 int_param("n", 5, 1, 100000, "samples looked at (the most recent)"),
                 real_param("threshold", -1.0, -1.0, 10.0,
                            "utilisation a sample must exceed (fraction)")
                     .shown_as("plan.max_util")},
                common_params())},
        [](const ParamValues& p, const ConfigNode& n,
           const Registries&) -> Result<std::unique_ptr<TriggerPolicy>> {
            const int64_t k = p.integer("k"), nn = p.integer("n");
            if (k > nn)
                return bad_input(n.path() + ".k: " + std::to_string(k) + " is more than n (" +
                                 std::to_string(nn) + ")");
            const double thr = p.real("threshold");
            if (thr < 0 && thr != -1.0)
                return bad_input(n.path() + ".threshold: must be -1 (max-util) or >= 0");
            return made(
                std::make_unique<KOfNTrigger>(dims(p, "_low"), p.real("fallback"), k, nn, thr));
        });
    auto spread_params = [](double s) {
        return concat(
            {real_param("s", s, 0.0, 100.0, "safety parameter"),
             int_param("min_samples", 12, 2, 1000000, "history needed, else the fallback"),
             int_param("window", 30, 2, 1000000, "most recent samples used (CloudSim keeps 30)")},
            common_params());
    };
    r.triggers.add({"mad", "", "hot when CPU utilisation exceeds 1 - s * MAD of the host's history",
                    spread_params(2.5)},
                   spread_factory(RobustSpreadTrigger::Spread::kMad));
    r.triggers.add({"iqr", "", "hot when CPU utilisation exceeds 1 - s * IQR of the host's history",
                    spread_params(1.5)},
                   spread_factory(RobustSpreadTrigger::Spread::kIqr));
    std::vector<ParamSpec> lr_params = {
        int_param("window", 10, 3, 100000, "most recent samples fitted (also the history needed)"),
        real_param("safety", 1.2, 0.0, 100.0, "hot when safety * forecast >= 1"),
        real_param("horizon_s", -1.0, -1.0, 1e9,
                   "forecast horizon in seconds (-1: the migration time of the host's largest "
                   "VM; at least one interval)"),
        enum_param("weights", "tricube", {"tricube", "uniform"},
                   "tricube (Loess) or uniform (ordinary least squares, as CloudSim 3.0.3 "
                   "computes)",
                   "weights")};
    r.triggers.add(
        {"lr", "",
         "hot when local regression forecasts CPU utilisation * safety >= 1 one "
         "migration time ahead",
         concat(concat(lr_params, {real_param("guard", 1.0, 0.01, 1.0,
                                              "with [plan] placement_guard = \"trigger\": a "
                                              "target's safety * forecast with the VM added "
                                              "stays below this (under 1: a band between "
                                              "filling and relieving)")}),
                common_params())},
        regression_factory(false));
    lr_params.push_back(
        int_param("iterations", 2, 1, 20, "bisquare robustness re-weighting iterations"));
    r.triggers.add(
        {"lrr", "", "lr with robust (bisquare re-weighted) local regression: ignores outliers",
         concat(lr_params, common_params())},
        regression_factory(true));
    r.triggers.add(
        {"forecast", "",
         "hot when the VMs' forecast demand (Holt or AR) exceeds the host's max-util limit",
         concat({enum_param("model", "holt", {"ar", "holt"},
                            "holt (linear trend) or ar (autoregressive, least squares)", "model"),
                 real_param("alpha", 0.5, 0.0, 1.0, "Holt level smoothing"),
                 real_param("beta", 0.3, 0.0, 1.0, "Holt trend smoothing"),
                 int_param("p", 2, 1, 16, "AR order"),
                 int_param("steps", 1, 1, 10000, "intervals ahead")},
                common_params())},
        [](const ParamValues& p, const ConfigNode&, const Registries&) {
            const ForecastTrigger::Model m = p.text("model") == "holt"
                                                 ? ForecastTrigger::Model::kHolt
                                                 : ForecastTrigger::Model::kAr;
            return made(std::make_unique<ForecastTrigger>(
                dims(p, "_low"), p.real("fallback"), m, p.real("alpha"), p.real("beta"),
                static_cast<int>(p.integer("p")), static_cast<int>(p.integer("steps"))));
        });
    r.triggers.add(
        {"imbalance", "",
         "when the dominant-share spread of active hosts exceeds bound, hosts over mean + "
         "bound/2 are hot",
         concat({real_param("bound", 0.3, 0.0, 10.0,
                            "largest tolerated spread (max - min dominant share)")},
                low_params())},
        [](const ParamValues& p, const ConfigNode&, const Registries&) {
            return made(std::make_unique<ImbalanceTrigger>(dims(p, "_low"), p.real("bound")));
        });
    const std::vector<ParamSpec> gated =
        concat(high_params("hot thresholds inside the window (fractions)"), low_params());
    r.triggers.add({"periodic", "",
                    "threshold during window_s of every every_s (from --now); otherwise only "
                    "hosts above max-util",
                    concat({int_param("every_s", 3600, 1, 1000000000, "period (seconds)"),
                            int_param("offset_s", 0, 0, 1000000000000,
                                      "start of the first window (seconds after the epoch)"),
                            int_param("window_s", 300, 0, 1000000000, "window length (seconds)")},
                           gated)},
                   periodic);
    r.triggers.add(
        {"time-of-day", "",
         "threshold between start and end (UTC, from --now); otherwise only hosts "
         "above max-util",
         concat({string_param("start", "01:00", "window start, HH:MM UTC"),
                 string_param("end", "05:00", "window end, HH:MM UTC (may wrap past midnight)")},
                gated)},
        time_of_day);
}

}  // namespace fp::policy
