// Aggregation per gate and split, the nearest-rank p95, and threshold sweeps, on hand-made
// outcomes whose expected numbers are worked out in the comments.
#include <cmath>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/eval.h"

namespace lore::eval {
namespace {

QuestionOutcome outcome(std::string gate,
                        std::optional<double> threshold,
                        std::string split,
                        double em,
                        double f1,
                        bool contains,
                        bool retrieved,
                        int n_kb_lookups,
                        double latency_ms) {
    QuestionOutcome o;
    o.id = "q";
    o.gate = std::move(gate);
    o.threshold = threshold;
    o.split = std::move(split);
    o.em = em;
    o.f1 = f1;
    o.contains = contains;
    o.retrieved = retrieved;
    o.n_kb_lookups = n_kb_lookups;
    o.latency_ms = latency_ms;
    o.decision_ms = 1.0;
    o.n_prompt_tokens = 10;
    o.n_generated_tokens = 2;
    return o;
}

std::vector<QuestionOutcome> two_gates() {
    std::vector<QuestionOutcome> outcomes = {
        outcome("confidence", 0.5, "unknown", 1, 1.0, true, true, 2, 50),
        outcome("confidence", 0.5, "known", 1, 1.0, true, false, 0, 10),
        outcome("confidence", 0.5, "known", 0, 0.5, true, true, 1, 30),
        outcome("confidence", 0.5, "unknown", 0, 0.0, false, false, 0, 20),
        outcome("never", std::nullopt, "known", 1, 1.0, true, false, 0, 5),
        outcome("never", std::nullopt, "", 0, 0.0, false, false, 0, 7),
    };
    outcomes[3].abstained = true;
    outcomes[3].n_generated_tokens = 0;
    return outcomes;
}

TEST(AggregateTest, RowsPerSplitSortedThenOverallPerGate) {
    const std::vector<MetricsRow> rows = aggregate(two_gates());

    ASSERT_EQ(rows.size(), 5u);
    EXPECT_EQ(rows[0].gate, "confidence");
    EXPECT_EQ(rows[0].split, "known");
    EXPECT_EQ(rows[1].split, "unknown");
    EXPECT_EQ(rows[2].split, "overall");
    EXPECT_EQ(rows[3].gate, "never");
    EXPECT_EQ(rows[3].split, "known");  // the split-less question counts only overall
    EXPECT_EQ(rows[3].n, 1);
    EXPECT_EQ(rows[4].split, "overall");
    EXPECT_EQ(rows[4].n, 2);
    EXPECT_FALSE(rows[4].threshold.has_value());
}

TEST(AggregateTest, OverallRowAveragesEveryQuestion) {
    const MetricsRow overall = aggregate(two_gates())[2];

    EXPECT_EQ(overall.n, 4);
    EXPECT_DOUBLE_EQ(overall.em, 0.5);                        // 2 of 4
    EXPECT_DOUBLE_EQ(overall.f1, 0.625);                      // (1 + 1 + 0.5 + 0) / 4
    EXPECT_DOUBLE_EQ(overall.contains, 0.75);                 // 3 of 4
    EXPECT_DOUBLE_EQ(overall.retrieval_rate, 0.5);            // 2 of 4 prompts had evidence
    EXPECT_DOUBLE_EQ(overall.kb_lookups_per_question, 0.75);  // (2 + 0 + 1 + 0) / 4
    EXPECT_DOUBLE_EQ(overall.latency_mean_ms, 27.5);          // (50 + 10 + 30 + 20) / 4
    EXPECT_DOUBLE_EQ(overall.latency_p95_ms, 50.0);           // rank ceil(3.8) = 4 of 4
    EXPECT_DOUBLE_EQ(overall.decision_mean_ms, 1.0);
    EXPECT_EQ(overall.n_prompt_tokens, 40);
    EXPECT_EQ(overall.n_generated_tokens, 6);  // the abstention generated nothing
    EXPECT_EQ(overall.n_tokens, 46);
    EXPECT_EQ(overall.n_abstained, 1);
    ASSERT_TRUE(overall.threshold.has_value());
    EXPECT_EQ(*overall.threshold, 0.5);
}

TEST(AggregateTest, SplitRowsCountOnlyTheirQuestions) {
    const std::vector<MetricsRow> rows = aggregate(two_gates());
    const MetricsRow& known = rows[0];
    const MetricsRow& unknown = rows[1];

    EXPECT_EQ(known.n, 2);
    EXPECT_DOUBLE_EQ(known.retrieval_rate, 0.5);
    EXPECT_DOUBLE_EQ(known.f1, 0.75);
    EXPECT_DOUBLE_EQ(known.latency_p95_ms, 30.0);
    EXPECT_EQ(unknown.n, 2);
    EXPECT_DOUBLE_EQ(unknown.em, 0.5);
    EXPECT_DOUBLE_EQ(unknown.kb_lookups_per_question, 1.0);
    EXPECT_EQ(unknown.n_abstained, 1);
}

TEST(AggregateTest, SameGateAtTwoThresholdsGivesTwoGroups) {
    const std::vector<QuestionOutcome> outcomes = {
        outcome("reflect", 0.0, "", 1, 1, true, false, 0, 1),
        outcome("reflect", 1.0, "", 1, 1, true, true, 1, 1),
        outcome("reflect", 0.0, "", 0, 0, false, false, 0, 1),
    };

    const std::vector<MetricsRow> rows = aggregate(outcomes);

    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(*rows[0].threshold, 0.0);
    EXPECT_EQ(rows[0].n, 2);
    EXPECT_EQ(*rows[1].threshold, 1.0);
    EXPECT_EQ(rows[1].n, 1);
}

TEST(AggregateTest, NoOutcomesNoRows) {
    EXPECT_TRUE(aggregate({}).empty());
}

TEST(PercentileTest, NearestRank) {
    std::vector<double> one_to_twenty;
    std::vector<double> one_to_hundred;
    for (int value = 1; value <= 100; ++value) {
        one_to_hundred.push_back(value);
        if (value <= 20) {
            one_to_twenty.push_back(value);
        }
    }

    EXPECT_EQ(percentile_nearest_rank(one_to_twenty, 95), 19.0);  // rank 0.95 * 20 = 19
    EXPECT_EQ(percentile_nearest_rank(one_to_hundred, 95), 95.0);
    EXPECT_EQ(percentile_nearest_rank({5, 1, 3}, 95), 5.0);  // rank ceil(2.85) = 3
    EXPECT_EQ(percentile_nearest_rank({5, 1, 3}, 50), 3.0);  // rank ceil(1.5) = 2
    EXPECT_EQ(percentile_nearest_rank({5, 1, 3}, 0), 1.0);
    EXPECT_EQ(percentile_nearest_rank({5, 1, 3}, 100), 5.0);
    EXPECT_EQ(percentile_nearest_rank({42}, 95), 42.0);
    EXPECT_EQ(percentile_nearest_rank({}, 95), 0.0);
}

TEST(SweepPointsTest, OnePointPerGateAndThresholdFromOverall) {
    const std::vector<SweepPoint> points = sweep_points(two_gates(), AccuracyMetric::kExactMatch);

    ASSERT_EQ(points.size(), 2u);
    EXPECT_EQ(points[0].gate, "confidence");
    EXPECT_EQ(*points[0].threshold, 0.5);
    EXPECT_DOUBLE_EQ(points[0].accuracy, 0.5);
    EXPECT_DOUBLE_EQ(points[0].retrieval_rate, 0.5);
    EXPECT_EQ(points[1].gate, "never");
    EXPECT_DOUBLE_EQ(points[1].accuracy, 0.5);
    EXPECT_DOUBLE_EQ(points[1].retrieval_rate, 0.0);
}

TEST(SweepByThresholdTest, EveryDecisionChangingThreshold) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    // A 0.1 (closed 0, open 1), B 0.5 (1, 1), C 0.5 (0, 0), D 0.9 (1, 0), E NaN (0, 1).
    const std::vector<ScoredDecision> decisions = {
        {0.5, 1, 1}, {0.1, 0, 1}, {nan, 0, 1}, {0.9, 1, 0}, {0.5, 0, 0}};

    const std::vector<SweepPoint> points = sweep_by_threshold("confidence", decisions);

    // t = 0.1: only E retrieves: open E 1 + closed A..D 2 = 3 of 5.
    // t = 0.5: E, A retrieve: 1 + 1 + closed B..D 2 = 4.
    // t = 0.9: E, A, B, C: 1 + 1 + 1 + 0 + closed D 1 = 4.
    // t > 0.9: all retrieve: 1 + 1 + 1 + 0 + 0 = 3.
    ASSERT_EQ(points.size(), 4u);
    EXPECT_EQ(*points[0].threshold, 0.1);
    EXPECT_DOUBLE_EQ(points[0].accuracy, 0.6);
    EXPECT_DOUBLE_EQ(points[0].retrieval_rate, 0.2);
    EXPECT_EQ(*points[1].threshold, 0.5);
    EXPECT_DOUBLE_EQ(points[1].accuracy, 0.8);
    EXPECT_DOUBLE_EQ(points[1].retrieval_rate, 0.4);
    EXPECT_EQ(*points[2].threshold, 0.9);
    EXPECT_DOUBLE_EQ(points[2].accuracy, 0.8);
    EXPECT_DOUBLE_EQ(points[2].retrieval_rate, 0.8);
    EXPECT_GT(*points[3].threshold, 0.9);
    EXPECT_DOUBLE_EQ(points[3].accuracy, 0.6);
    EXPECT_DOUBLE_EQ(points[3].retrieval_rate, 1.0);
    EXPECT_EQ(points[3].gate, "confidence");
}

TEST(SweepByThresholdTest, EmptyAndAllNanInputs) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    EXPECT_TRUE(sweep_by_threshold("x", {}).empty());

    const std::vector<ScoredDecision> all_nan = {{nan, 0, 1}, {nan, 1, 0}};
    const std::vector<SweepPoint> points = sweep_by_threshold("x", all_nan);

    ASSERT_EQ(points.size(), 1u);
    EXPECT_FALSE(points[0].threshold.has_value());
    EXPECT_DOUBLE_EQ(points[0].accuracy, 0.5);
    EXPECT_DOUBLE_EQ(points[0].retrieval_rate, 1.0);
}

TEST(AccuracyMetricTest, NamesRoundTripAndUnknownFails) {
    for (AccuracyMetric metric :
         {AccuracyMetric::kExactMatch, AccuracyMetric::kF1, AccuracyMetric::kContains}) {
        const auto parsed = parse_accuracy_metric(accuracy_metric_name(metric));
        ASSERT_TRUE(parsed.is_ok());
        EXPECT_EQ(*parsed, metric);
    }

    const auto bad = parse_accuracy_metric("bleu");

    ASSERT_FALSE(bad.is_ok());
    EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(bad.status().message().find("'bleu'"), std::string::npos);
}

}  // namespace
}  // namespace lore::eval
