// run_eval: measure each question once, replay every gate (see eval_run.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "lore/eval_run.h"

namespace lore::eval {

namespace {

// One gate's path through a measured question.
struct Replay {
    std::string answer;
    bool retrieved = false;
    std::int32_t n_kb_lookups = 0;
    double latency_ms = 0.0;
    double decision_ms = 0.0;
    std::int64_t n_prompt_tokens = 0;
    std::int64_t n_generated_tokens = 0;
    double score = std::numeric_limits<double>::quiet_NaN();
};

bool has_threshold(GateKind gate) {
    return gate == GateKind::kConfidence || gate == GateKind::kThrust || gate == GateKind::kReflect;
}

bool can_verify(GateKind gate) {
    return gate != GateKind::kAlways && gate != GateKind::kCompare;
}

double gate_score(GateKind gate, const Asker::Measured& m, const Calibration& cal) {
    const Asker::Features& f = m.features;
    switch (gate) {
        case GateKind::kConfidence:
            switch (cal.confidence_measure) {
                case ConfidenceMeasure::kMin: return f.confidence_min;
                case ConfidenceMeasure::kNegEntropy: return f.confidence_neg_entropy;
                case ConfidenceMeasure::kMean: return f.confidence_mean;
            }
            return f.confidence_mean;
        case GateKind::kThrust: return thrust_score(thrust_input(f, cal), cal);
        case GateKind::kReflect: return f.reflect_score;
        case GateKind::kCompare: return f.confidence_mean - m.open_book_confidence;
        default: return std::numeric_limits<double>::quiet_NaN();
    }
}

double calibrated_threshold(GateKind gate, const Calibration& cal) {
    switch (gate) {
        case GateKind::kConfidence: return cal.confidence_threshold;
        case GateKind::kThrust: return cal.thrust_threshold;
        case GateKind::kReflect: return cal.reflect_threshold;
        default: return std::numeric_limits<double>::quiet_NaN();
    }
}

Replay replay(GateKind gate,
              bool verify,
              double threshold,
              const Asker::Measured& m,
              const Calibration& cal) {
    const Asker::Features& f = m.features;
    Replay r;
    r.score = gate_score(gate, m, cal);
    const double closed_ms = f.closed_book_ms;
    const std::int64_t closed_tokens_in = f.n_prompt_tokens;
    const std::int64_t closed_tokens_out = f.n_generated_tokens;
    bool has_closed = false;  // the closed-book answer was generated on this path
    bool should_retrieve = false;
    switch (gate) {
        case GateKind::kNever: has_closed = true; break;
        case GateKind::kAlways: should_retrieve = true; break;
        case GateKind::kConfidence:
            has_closed = true;
            r.decision_ms = closed_ms;
            should_retrieve = r.score < threshold;
            break;
        case GateKind::kThrust:
            r.decision_ms = f.prefill_ms;
            should_retrieve = r.score < threshold;
            has_closed = !should_retrieve;
            break;
        case GateKind::kReflect:
            r.decision_ms = f.reflect_ms;
            r.latency_ms += f.reflect_ms;
            r.n_prompt_tokens += f.n_reflect_tokens;
            should_retrieve = r.score < threshold;
            has_closed = !should_retrieve;
            break;
        case GateKind::kCompare:
            has_closed = true;
            should_retrieve = true;
            break;
    }
    if (has_closed) {
        r.latency_ms += closed_ms;
        r.n_prompt_tokens += closed_tokens_in;
        r.n_generated_tokens += closed_tokens_out;
        r.answer = f.closed_book_answer;
    }
    bool has_looked_up = false;
    if (verify && !should_retrieve && can_verify(gate)) {
        r.latency_ms += m.retrieve_ms;
        r.n_kb_lookups += 1;
        has_looked_up = true;
        should_retrieve = m.verify_conflict;
    }
    if (should_retrieve) {
        if (!has_looked_up) {
            r.latency_ms += m.retrieve_ms;
            r.n_kb_lookups += 1;
        }
        r.latency_ms += m.open_book_ms;
        r.n_prompt_tokens += m.n_open_prompt_tokens;
        r.n_generated_tokens += m.n_open_generated_tokens;
        r.retrieved = true;
        r.answer = m.open_book_answer;
        if (gate == GateKind::kCompare && f.confidence_mean > m.open_book_confidence) {
            r.answer = f.closed_book_answer;  // ProbTree's leaf rule
        }
    }
    return r;
}

QuestionOutcome to_outcome(const Example& ex,
                           const std::string& gate_label,
                           std::optional<double> threshold,
                           const Replay& r) {
    QuestionOutcome o;
    o.id = ex.id;
    o.split = ex.split;
    o.prediction = r.answer;
    o.answers = ex.answers;
    const PredictionScores s = score_prediction(r.answer, ex.answers);
    o.em = s.em;
    o.f1 = s.f1;
    o.contains = s.contains;
    o.retrieved = r.retrieved;
    o.n_kb_lookups = r.n_kb_lookups;
    o.latency_ms = r.latency_ms;
    o.decision_ms = r.decision_ms;
    o.n_prompt_tokens = r.n_prompt_tokens;
    o.n_generated_tokens = r.n_generated_tokens;
    o.gate = gate_label;
    o.threshold = threshold;
    o.score = r.score;
    return o;
}

}  // namespace

Result<EvalRun> run_eval(Asker& asker,
                         std::span<const Example> examples,
                         const EvalRunOptions& options) {
    const Calibration& cal = asker.options().calibration;
    std::vector<Asker::Measured> measured;
    measured.reserve(examples.size());
    for (std::size_t i = 0; i < examples.size(); ++i) {
        Result<Asker::Measured> m = asker.measure(examples[i].question);
        if (!m.has_value()) {
            return Status(m.status().code(),
                          "eval: question '" + examples[i].id + "': " + m.status().message());
        }
        measured.push_back(std::move(m).value());
        if (options.progress) {
            options.progress(i + 1, examples.size());
        }
    }

    EvalRun run;
    for (GateKind gate : options.gates) {
        for (bool verify : {false, true}) {
            if (verify && (!options.with_verify || !can_verify(gate))) {
                continue;
            }
            const std::string label = std::string(gate_name(gate)) + (verify ? "+verify" : "");
            const double threshold = calibrated_threshold(gate, cal);
            const std::optional<double> shown_threshold =
                has_threshold(gate) ? std::optional<double>(threshold) : std::nullopt;
            for (std::size_t i = 0; i < examples.size(); ++i) {
                run.outcomes.push_back(
                    to_outcome(examples[i], label, shown_threshold,
                               replay(gate, verify, threshold, measured[i], cal)));
            }
            if (!options.sweep) {
                continue;
            }
            if (!has_threshold(gate)) {
                std::vector<QuestionOutcome> group(
                    run.outcomes.end() - static_cast<std::ptrdiff_t>(examples.size()),
                    run.outcomes.end());
                for (SweepPoint& p : sweep_points(group, options.metric)) {
                    run.sweep.push_back(std::move(p));
                }
                continue;
            }
            // Thresholds at quantiles of the gate's scores, plus one above all of them.
            std::vector<double> scores;
            for (const Asker::Measured& m : measured) {
                scores.push_back(gate_score(gate, m, cal));
            }
            std::sort(scores.begin(), scores.end());
            std::vector<double> thresholds;
            const std::int32_t n_points = std::max(2, options.n_sweep_points);
            for (std::int32_t p = 0; p < n_points; ++p) {
                const auto idx =
                    static_cast<std::size_t>(std::llround(static_cast<double>(p) / (n_points - 1) *
                                                          static_cast<double>(scores.size() - 1)));
                thresholds.push_back(scores[idx]);
            }
            thresholds.push_back(scores.back() + 1e-9);
            thresholds.erase(std::unique(thresholds.begin(), thresholds.end()), thresholds.end());
            for (double t : thresholds) {
                std::vector<QuestionOutcome> group;
                for (std::size_t i = 0; i < examples.size(); ++i) {
                    group.push_back(to_outcome(examples[i], label, t,
                                               replay(gate, verify, t, measured[i], cal)));
                }
                for (SweepPoint& p : sweep_points(group, options.metric)) {
                    run.sweep.push_back(std::move(p));
                }
            }
        }
    }
    run.rows = aggregate(run.outcomes);
    return run;
}

}  // namespace lore::eval
