// lore calibrate: fit the gates' thresholds on labelled questions (see ask.h, calibrate()).
#include <algorithm>
#include <cmath>
#include <numeric>

#include "lore/ask.h"

#include "control/evidence.h"

namespace lore {

double roc_auc(std::span<const double> scores, const std::vector<bool>& labels) {
    std::vector<std::size_t> order(scores.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(),
              [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
    // Mann-Whitney U with average ranks for ties.
    double rank_sum_pos = 0.0;
    std::size_t n_pos = 0;
    for (std::size_t i = 0; i < order.size();) {
        std::size_t j = i;
        while (j < order.size() && scores[order[j]] == scores[order[i]]) {
            ++j;
        }
        const double avg_rank = 0.5 * static_cast<double>(i + 1 + j);
        for (std::size_t k = i; k < j; ++k) {
            if (labels[order[k]]) {
                rank_sum_pos += avg_rank;
                ++n_pos;
            }
        }
        i = j;
    }
    const std::size_t n_neg = scores.size() - n_pos;
    if (n_pos == 0 || n_neg == 0) {
        return 0.5;
    }
    const double u =
        rank_sum_pos - static_cast<double>(n_pos) * static_cast<double>(n_pos + 1) / 2.0;
    return u / (static_cast<double>(n_pos) * static_cast<double>(n_neg));
}

double youden_threshold(std::span<const double> scores, const std::vector<bool>& labels) {
    std::vector<double> sorted(scores.begin(), scores.end());
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    const auto n_pos = static_cast<double>(std::count(labels.begin(), labels.end(), true));
    const double n_neg = static_cast<double>(labels.size()) - n_pos;
    if (sorted.empty() || n_pos == 0 || n_neg == 0) {
        return sorted.empty() ? 0.0 : sorted.front();
    }
    double best_j = -2.0;
    double best_t = sorted.front();
    for (std::size_t i = 0; i < sorted.size(); ++i) {
        // Candidate thresholds sit between distinct scores.
        const double t = i == 0 ? sorted[0] : 0.5 * (sorted[i - 1] + sorted[i]);
        double tp = 0.0;
        double fp = 0.0;
        for (std::size_t k = 0; k < scores.size(); ++k) {
            if (scores[k] >= t) {
                (labels[k] ? tp : fp) += 1.0;
            }
        }
        const double j = tp / n_pos - fp / n_neg;
        if (j > best_j) {
            best_j = j;
            best_t = t;
        }
    }
    return best_t;
}

std::span<const float> thrust_input(const Asker::Features& f, const Calibration& cal) {
    const auto& states = cal.thrust_last_token ? f.hidden_last : f.hidden_mean;
    if (states.empty()) {
        return {};
    }
    const std::int32_t n = static_cast<std::int32_t>(states.size());
    const std::int32_t layer =
        cal.thrust_layer >= 0 && cal.thrust_layer < n ? cal.thrust_layer : n / 2;
    return states[static_cast<std::size_t>(layer)];
}

namespace {

std::int32_t n_clusters_for(std::size_t n_known) {
    return static_cast<std::int32_t>(std::clamp<std::size_t>(n_known / 4, 1, 8));
}

// Thrust scores of `points` where each point is scored by clusters fitted on the other fold.
std::vector<double> held_out_thrust(const std::vector<std::span<const float>>& points,
                                    const std::vector<bool>& labels) {
    std::vector<double> scores(points.size(), 0.0);
    for (std::size_t fold = 0; fold < 2; ++fold) {
        std::vector<std::vector<float>> known;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (i % 2 != fold && labels[i]) {
                known.emplace_back(points[i].begin(), points[i].end());
            }
        }
        Calibration cal;
        cluster_points(known, n_clusters_for(known.size()), cal.thrust_centroids,
                       cal.thrust_cluster_sizes);
        for (std::size_t i = fold; i < points.size(); i += 2) {
            scores[i] = thrust_score(points[i], cal);
        }
    }
    return scores;
}

}  // namespace

Result<CalibrationReport> calibrate(Asker& asker, std::span<const CalibrationExample> examples) {
    if (examples.size() < 4) {
        return Status::invalid_argument("calibrate: need at least 4 labelled questions, got " +
                                        std::to_string(examples.size()));
    }
    std::vector<Asker::Features> features;
    std::vector<bool> labels;
    for (const CalibrationExample& ex : examples) {
        LORE_ASSIGN_OR_RETURN(Asker::Features f, asker.features(ex.question));
        bool is_known = false;
        for (const std::string& answer : ex.answers) {
            is_known = is_known || control::text_supports(f.closed_book_answer, answer);
        }
        labels.push_back(is_known);
        features.push_back(std::move(f));
    }
    CalibrationReport report;
    Calibration& cal = report.calibration;
    report.n_questions = static_cast<std::int32_t>(examples.size());
    report.n_known = static_cast<std::int32_t>(std::count(labels.begin(), labels.end(), true));

    std::vector<double> mean, min, neg_entropy, reflect;
    for (const Asker::Features& f : features) {
        mean.push_back(f.confidence_mean);
        min.push_back(f.confidence_min);
        neg_entropy.push_back(f.confidence_neg_entropy);
        reflect.push_back(f.reflect_score);
    }
    report.auc_confidence_mean = roc_auc(mean, labels);
    report.auc_confidence_min = roc_auc(min, labels);
    report.auc_confidence_neg_entropy = roc_auc(neg_entropy, labels);
    report.auc_reflect = roc_auc(reflect, labels);
    const std::vector<double>* best = &mean;
    double best_auc = report.auc_confidence_mean;
    cal.confidence_measure = ConfidenceMeasure::kMean;
    if (report.auc_confidence_min > best_auc) {
        best = &min;
        best_auc = report.auc_confidence_min;
        cal.confidence_measure = ConfidenceMeasure::kMin;
    }
    if (report.auc_confidence_neg_entropy > best_auc) {
        best = &neg_entropy;
        cal.confidence_measure = ConfidenceMeasure::kNegEntropy;
    }
    cal.confidence_threshold = youden_threshold(*best, labels);
    cal.confidence_scores = *best;
    cal.reflect_threshold = youden_threshold(reflect, labels);
    cal.reflect_scores = reflect;

    // Thrust: choose layer and pooling by held-out AUC.
    const std::size_t n_layers = features[0].hidden_mean.size();
    double best_thrust_auc = -1.0;
    std::vector<double> best_thrust_scores;
    for (std::size_t layer = 1; layer < n_layers; ++layer) {
        for (bool last : {false, true}) {
            std::vector<std::span<const float>> points;
            for (const Asker::Features& f : features) {
                points.emplace_back(last ? f.hidden_last[layer] : f.hidden_mean[layer]);
            }
            std::vector<double> scores = held_out_thrust(points, labels);
            const double auc = roc_auc(scores, labels);
            if (auc > best_thrust_auc) {
                best_thrust_auc = auc;
                best_thrust_scores = std::move(scores);
                cal.thrust_layer = static_cast<std::int32_t>(layer);
                cal.thrust_last_token = last;
            }
        }
    }
    report.auc_thrust = best_thrust_auc;
    cal.thrust_threshold = youden_threshold(best_thrust_scores, labels);
    cal.thrust_scores = best_thrust_scores;
    std::vector<std::vector<float>> known;
    for (std::size_t i = 0; i < features.size(); ++i) {
        if (labels[i]) {
            std::span<const float> p = thrust_input(features[i], cal);
            known.emplace_back(p.begin(), p.end());
        }
    }
    cluster_points(known, n_clusters_for(known.size()), cal.thrust_centroids,
                   cal.thrust_cluster_sizes);
    std::sort(cal.confidence_scores.begin(), cal.confidence_scores.end());
    std::sort(cal.reflect_scores.begin(), cal.reflect_scores.end());
    std::sort(cal.thrust_scores.begin(), cal.thrust_scores.end());
    return report;
}

}  // namespace lore
