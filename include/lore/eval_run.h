// Running the gates over a dataset: each question is measured once (closed-book answer,
// reflect score, hidden states, one knowledge-base look-up, open-book answer — every step
// timed on its own), then every gate, with and without the verify step, is replayed at its
// calibrated threshold and, for a sweep, at thresholds spanning its score range. A replayed
// question's latency is the sum of the steps its gate's path runs, so gates compare at the
// same cost model and nothing is recomputed per threshold.
//
// Thread safety: run_eval drives one Asker; not thread-safe.
#pragma once

#include <functional>
#include <span>
#include <string>
#include <vector>

#include "lore/ask.h"
#include "lore/eval.h"

namespace lore::eval {

struct EvalRunOptions {
    std::vector<GateKind> gates = {GateKind::kNever,  GateKind::kAlways,  GateKind::kConfidence,
                                   GateKind::kThrust, GateKind::kReflect, GateKind::kCompare};
    bool with_verify = true;  // also report "<gate>+verify" for gates that can skip retrieval
    bool sweep = false;       // record accuracy against retrieval rate over thresholds
    std::int32_t n_sweep_points = 21;
    AccuracyMetric metric = AccuracyMetric::kContains;
    // Called after each measured question with (done, total).
    std::function<void(std::size_t, std::size_t)> progress;
};

struct EvalRun {
    std::vector<QuestionOutcome> outcomes;  // every gate at its calibrated threshold
    std::vector<MetricsRow> rows;           // aggregate(outcomes)
    std::vector<SweepPoint> sweep;          // empty unless options.sweep
};

// `asker` must have a knowledge base and carry the calibration to replay with.
Result<EvalRun> run_eval(Asker& asker,
                         std::span<const Example> examples,
                         const EvalRunOptions& options);

}  // namespace lore::eval
