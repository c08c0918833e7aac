// Answer metrics and aggregation. Normalisation and F1 follow the official SQuAD v2.0
// evaluation script (lower-case, drop punctuation, drop a/an/the, split on whitespace; F1
// over the multiset of shared tokens, empty answers equal only to empty predictions), on
// ASCII: non-ASCII bytes are kept and count as letters. "contains" is our addition for small
// models, which tend to wrap a correct answer in extra words.
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lore/eval.h"

namespace lore::eval {
namespace {

bool is_ascii_punctuation(char c) {
    return (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') ||
           (c >= '{' && c <= '~');
}

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool is_article(std::string_view word) {
    return word == "a" || word == "an" || word == "the";
}

double f1_of_tokens(const std::vector<std::string>& prediction,
                    const std::vector<std::string>& gold) {
    if (prediction.empty() || gold.empty()) {
        return prediction == gold ? 1.0 : 0.0;
    }
    std::unordered_map<std::string_view, std::int64_t> gold_counts;
    for (const std::string& token : gold) {
        ++gold_counts[token];
    }
    std::int64_t n_same = 0;
    for (const std::string& token : prediction) {
        auto it = gold_counts.find(token);
        if (it != gold_counts.end() && it->second > 0) {
            --it->second;
            ++n_same;
        }
    }
    if (n_same == 0) {
        return 0.0;
    }
    const double precision = static_cast<double>(n_same) / static_cast<double>(prediction.size());
    const double recall = static_cast<double>(n_same) / static_cast<double>(gold.size());
    return 2.0 * precision * recall / (precision + recall);
}

bool contains_tokens(const std::vector<std::string>& haystack,
                     const std::vector<std::string>& needle) {
    if (needle.empty()) {
        return haystack.empty();
    }
    return std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end()) !=
           haystack.end();
}

bool same_threshold(const std::optional<double>& a, const std::optional<double>& b) {
    if (a.has_value() != b.has_value()) {
        return false;
    }
    if (!a.has_value()) {
        return true;
    }
    return *a == *b || (std::isnan(*a) && std::isnan(*b));
}

double mean(double sum, std::size_t n) {
    return n == 0 ? 0.0 : sum / static_cast<double>(n);
}

MetricsRow make_row(const std::vector<const QuestionOutcome*>& group, std::string split) {
    MetricsRow row;
    row.gate = group.front()->gate;
    row.threshold = group.front()->threshold;
    row.split = std::move(split);
    row.n = static_cast<std::int64_t>(group.size());
    double sum_em = 0.0;
    double sum_f1 = 0.0;
    double sum_contains = 0.0;
    double sum_retrieved = 0.0;
    double sum_lookups = 0.0;
    double sum_latency = 0.0;
    double sum_decision = 0.0;
    std::vector<double> latencies;
    latencies.reserve(group.size());
    for (const QuestionOutcome* outcome : group) {
        sum_em += outcome->em;
        sum_f1 += outcome->f1;
        sum_contains += outcome->contains ? 1.0 : 0.0;
        sum_retrieved += outcome->retrieved ? 1.0 : 0.0;
        sum_lookups += static_cast<double>(outcome->n_kb_lookups);
        sum_latency += outcome->latency_ms;
        sum_decision += outcome->decision_ms;
        latencies.push_back(outcome->latency_ms);
        row.n_prompt_tokens += outcome->n_prompt_tokens;
        row.n_generated_tokens += outcome->n_generated_tokens;
        row.n_abstained += outcome->abstained ? 1 : 0;
    }
    row.em = mean(sum_em, group.size());
    row.f1 = mean(sum_f1, group.size());
    row.contains = mean(sum_contains, group.size());
    row.retrieval_rate = mean(sum_retrieved, group.size());
    row.kb_lookups_per_question = mean(sum_lookups, group.size());
    row.latency_mean_ms = mean(sum_latency, group.size());
    row.latency_p95_ms = percentile_nearest_rank(std::move(latencies), 95.0);
    row.decision_mean_ms = mean(sum_decision, group.size());
    row.n_tokens = row.n_prompt_tokens + row.n_generated_tokens;
    return row;
}

// Outcomes grouped by (gate, threshold), groups in order of first appearance.
std::vector<std::vector<const QuestionOutcome*>> group_by_gate(
    std::span<const QuestionOutcome> outcomes) {
    std::vector<std::vector<const QuestionOutcome*>> groups;
    for (const QuestionOutcome& outcome : outcomes) {
        auto it = std::find_if(groups.begin(), groups.end(), [&](const auto& group) {
            return group.front()->gate == outcome.gate &&
                   same_threshold(group.front()->threshold, outcome.threshold);
        });
        if (it == groups.end()) {
            groups.push_back({&outcome});
        } else {
            it->push_back(&outcome);
        }
    }
    return groups;
}

}  // namespace

std::string normalize_answer(std::string_view text) {
    std::string result;
    result.reserve(text.size());
    std::string word;
    auto flush_word = [&]() {
        if (!word.empty() && !is_article(word)) {
            if (!result.empty()) {
                result.push_back(' ');
            }
            result += word;
        }
        word.clear();
    };
    for (char c : text) {
        if (is_ascii_space(c)) {
            flush_word();
        } else if (!is_ascii_punctuation(c)) {
            word.push_back((c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c);
        }
    }
    flush_word();
    return result;
}

std::vector<std::string> answer_tokens(std::string_view text) {
    const std::string normalized = normalize_answer(text);
    std::vector<std::string> tokens;
    std::size_t start = 0;
    while (start < normalized.size()) {
        std::size_t end = normalized.find(' ', start);
        if (end == std::string::npos) {
            end = normalized.size();
        }
        tokens.push_back(normalized.substr(start, end - start));
        start = end + 1;
    }
    return tokens;
}

double exact_match(std::string_view prediction, std::span<const std::string> answers) {
    const std::string normalized = normalize_answer(prediction);
    for (const std::string& answer : answers) {
        if (normalize_answer(answer) == normalized) {
            return 1.0;
        }
    }
    return 0.0;
}

double token_f1(std::string_view prediction, std::span<const std::string> answers) {
    const std::vector<std::string> prediction_tokens = answer_tokens(prediction);
    double best = 0.0;
    for (const std::string& answer : answers) {
        best = std::max(best, f1_of_tokens(prediction_tokens, answer_tokens(answer)));
    }
    return best;
}

bool contains_answer(std::string_view prediction, std::span<const std::string> answers) {
    const std::vector<std::string> prediction_tokens = answer_tokens(prediction);
    for (const std::string& answer : answers) {
        if (contains_tokens(prediction_tokens, answer_tokens(answer))) {
            return true;
        }
    }
    return false;
}

PredictionScores score_prediction(std::string_view prediction,
                                  std::span<const std::string> answers) {
    return {exact_match(prediction, answers), token_f1(prediction, answers),
            contains_answer(prediction, answers)};
}

double percentile_nearest_rank(std::vector<double> values, double p) {
    if (values.empty()) {
        return 0.0;
    }
    std::sort(values.begin(), values.end());
    // p * n first: exact for integer p and n, so 95 * 20 / 100 is 19, not 19.000000000000004.
    const double rank = std::ceil(p * static_cast<double>(values.size()) / 100.0);
    std::size_t rank_idx = rank < 1.0 ? 0 : static_cast<std::size_t>(rank) - 1;
    rank_idx = std::min(rank_idx, values.size() - 1);
    return values[rank_idx];
}

std::vector<MetricsRow> aggregate(std::span<const QuestionOutcome> outcomes) {
    std::vector<MetricsRow> rows;
    for (const auto& group : group_by_gate(outcomes)) {
        std::map<std::string, std::vector<const QuestionOutcome*>> by_split;
        for (const QuestionOutcome* outcome : group) {
            if (!outcome->split.empty()) {
                by_split[outcome->split].push_back(outcome);
            }
        }
        for (const auto& [split, members] : by_split) {
            rows.push_back(make_row(members, split));
        }
        rows.push_back(make_row(group, std::string(kOverallSplit)));
    }
    return rows;
}

std::string_view accuracy_metric_name(AccuracyMetric metric) {
    switch (metric) {
        case AccuracyMetric::kExactMatch: return "exact_match";
        case AccuracyMetric::kF1: return "f1";
        case AccuracyMetric::kContains: return "contains";
    }
    return "contains";
}

Result<AccuracyMetric> parse_accuracy_metric(std::string_view text) {
    for (AccuracyMetric metric :
         {AccuracyMetric::kExactMatch, AccuracyMetric::kF1, AccuracyMetric::kContains}) {
        if (text == accuracy_metric_name(metric)) {
            return metric;
        }
    }
    return Status::invalid_argument("eval: unknown accuracy metric '" + std::string(text) +
                                    "' (expected exact_match, f1 or contains)");
}

double accuracy_of(const MetricsRow& row, AccuracyMetric metric) {
    switch (metric) {
        case AccuracyMetric::kExactMatch: return row.em;
        case AccuracyMetric::kF1: return row.f1;
        case AccuracyMetric::kContains: return row.contains;
    }
    return row.contains;
}

std::vector<SweepPoint> sweep_points(std::span<const QuestionOutcome> outcomes,
                                     AccuracyMetric metric) {
    std::vector<SweepPoint> points;
    for (const auto& group : group_by_gate(outcomes)) {
        const MetricsRow row = make_row(group, std::string(kOverallSplit));
        points.push_back({row.gate, row.threshold, accuracy_of(row, metric), row.retrieval_rate});
    }
    return points;
}

std::vector<SweepPoint> sweep_by_threshold(std::string_view gate,
                                           std::span<const ScoredDecision> decisions) {
    std::vector<SweepPoint> points;
    if (decisions.empty()) {
        return points;
    }
    const double n = static_cast<double>(decisions.size());
    // NaN scores always retrieve; the rest sorted by score, ascending.
    std::vector<const ScoredDecision*> scored;
    double nan_open_sum = 0.0;
    std::size_t n_nan = 0;
    for (const ScoredDecision& decision : decisions) {
        if (std::isnan(decision.score)) {
            nan_open_sum += decision.open_accuracy;
            ++n_nan;
        } else {
            scored.push_back(&decision);
        }
    }
    std::sort(scored.begin(), scored.end(),
              [](const ScoredDecision* a, const ScoredDecision* b) { return a->score < b->score; });
    if (scored.empty()) {
        points.push_back({std::string(gate), std::nullopt, nan_open_sum / n, 1.0});
        return points;
    }
    double closed_total = 0.0;
    for (const ScoredDecision* decision : scored) {
        closed_total += decision->closed_accuracy;
    }
    // At threshold scored[idx]->score, the first idx questions (score below it) retrieve.
    double open_prefix = 0.0;
    double closed_prefix = 0.0;
    for (std::size_t idx = 0; idx <= scored.size(); ++idx) {
        const bool is_last = idx == scored.size();
        if (is_last || idx == 0 || scored[idx]->score != scored[idx - 1]->score) {
            const double threshold =
                is_last
                    ? std::nextafter(scored.back()->score, std::numeric_limits<double>::infinity())
                    : scored[idx]->score;
            const double correct = nan_open_sum + open_prefix + (closed_total - closed_prefix);
            const double n_retrieved = static_cast<double>(n_nan + idx);
            points.push_back({std::string(gate), threshold, correct / n, n_retrieved / n});
        }
        if (!is_last) {
            open_prefix += scored[idx]->open_accuracy;
            closed_prefix += scored[idx]->closed_accuracy;
        }
    }
    return points;
}

}  // namespace lore::eval
