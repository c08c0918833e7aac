// Gate names, prompt formats from model metadata, and the calibration file (CAL.json):
//   {"version": 1, "confidence": {"measure": "mean", "threshold": -0.4},
//    "reflect": {"threshold": 0.0},
//    "thrust": {"threshold": 0.01, "layer": 2, "centroids": [[...], ...], "sizes": [..]}}
#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "lore/ask.h"

namespace lore {

std::string_view gate_name(GateKind kind) {
    switch (kind) {
        case GateKind::kNever: return "never";
        case GateKind::kAlways: return "always";
        case GateKind::kConfidence: return "confidence";
        case GateKind::kThrust: return "thrust";
        case GateKind::kReflect: return "reflect";
        case GateKind::kCompare: return "compare";
    }
    return "never";
}

Result<GateKind> parse_gate(std::string_view text) {
    for (GateKind kind : {GateKind::kNever, GateKind::kAlways, GateKind::kConfidence,
                          GateKind::kThrust, GateKind::kReflect, GateKind::kCompare}) {
        if (gate_name(kind) == text) {
            return kind;
        }
    }
    return Status::invalid_argument("ask: unknown gate '" + std::string(text) +
                                    "' (gates: never, always, confidence, thrust, reflect, "
                                    "compare)");
}

std::int32_t effective_top_k(const AskOptions& options, const PromptFormat& format) {
    if (options.top_k > 0) {
        return options.top_k;
    }
    return format.passages > 0 ? format.passages : kDefaultTopK;
}

PromptFormat prompt_format_for(const Model& model) {
    PromptFormat format;
    const gguf::GgufFile& file = model.file();
    auto read = [&](const char* key, std::string& field) {
        if (Result<std::string_view> v = file.get_string(key); v.has_value()) {
            field = std::string(*v);
        }
    };
    read("lore.prompt.closed_book", format.closed_book);
    read("lore.prompt.open_book", format.open_book);
    read("lore.prompt.passage", format.passage);
    read("lore.prompt.reflect", format.reflect);
    read("lore.prompt.reflect_yes", format.reflect_yes);
    read("lore.prompt.reflect_no", format.reflect_no);
    read("lore.prompt.answer_stop", format.answer_stop);
    if (Result<std::int64_t> n = file.get_int("lore.prompt.passages");
        n.has_value() && *n > 0 && *n <= 100) {
        format.passages = static_cast<std::int32_t>(*n);
    }
    return format;
}

namespace {

std::string_view measure_name(ConfidenceMeasure m) {
    switch (m) {
        case ConfidenceMeasure::kMean: return "mean";
        case ConfidenceMeasure::kMin: return "min";
        case ConfidenceMeasure::kNegEntropy: return "neg_entropy";
    }
    return "mean";
}

Result<ConfidenceMeasure> parse_measure(std::string_view text, const std::string& path) {
    for (ConfidenceMeasure m :
         {ConfidenceMeasure::kMean, ConfidenceMeasure::kMin, ConfidenceMeasure::kNegEntropy}) {
        if (measure_name(m) == text) {
            return m;
        }
    }
    return Status::invalid_argument("calibration: " + path + ": unknown confidence measure '" +
                                    std::string(text) + "' (mean, min, neg_entropy)");
}

}  // namespace

Result<Calibration> read_calibration(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        return Status::not_found("calibration: cannot open '" + path + "'");
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(buffer.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return Status::invalid_argument("calibration: " + path + " is not a JSON object");
    }
    Calibration cal;
    try {
        if (j.value("version", 0) != 1) {
            return Status::unsupported("calibration: " + path + " has version " +
                                       j.value("version", nlohmann::json(0)).dump() +
                                       " (supported: 1)");
        }
        for (const auto& [key, value] : j.items()) {
            if (key != "version" && key != "confidence" && key != "reflect" && key != "thrust" &&
                key != "info") {
                return Status::invalid_argument("calibration: " + path + ": unknown field '" + key +
                                                "'");
            }
        }
        if (j.contains("confidence")) {
            const nlohmann::json& c = j.at("confidence");
            cal.confidence_threshold = c.at("threshold").get<double>();
            LORE_ASSIGN_OR_RETURN(cal.confidence_measure,
                                  parse_measure(c.value("measure", "mean"), path));
        }
        if (j.contains("reflect")) {
            cal.reflect_threshold = j.at("reflect").at("threshold").get<double>();
        }
        if (j.contains("thrust")) {
            const nlohmann::json& t = j.at("thrust");
            cal.thrust_threshold = t.at("threshold").get<double>();
            cal.thrust_layer = t.value("layer", -1);
            cal.thrust_last_token = t.value("pooling", std::string("mean")) == "last";
            cal.thrust_centroids = t.at("centroids").get<std::vector<std::vector<float>>>();
            cal.thrust_cluster_sizes = t.at("sizes").get<std::vector<std::int32_t>>();
            if (cal.thrust_centroids.size() != cal.thrust_cluster_sizes.size()) {
                return Status::invalid_argument("calibration: " + path +
                                                ": thrust centroids and sizes differ in length");
            }
            cal.thrust_scores = t.value("scores", std::vector<double>{});
        }
        if (j.contains("confidence")) {
            cal.confidence_scores = j.at("confidence").value("scores", std::vector<double>{});
        }
        if (j.contains("reflect")) {
            cal.reflect_scores = j.at("reflect").value("scores", std::vector<double>{});
        }
        std::sort(cal.confidence_scores.begin(), cal.confidence_scores.end());
        std::sort(cal.thrust_scores.begin(), cal.thrust_scores.end());
        std::sort(cal.reflect_scores.begin(), cal.reflect_scores.end());
    } catch (const nlohmann::json::exception& e) {
        return Status::invalid_argument("calibration: " + path + ": " + e.what());
    }
    return cal;
}

Status write_calibration(const Calibration& cal, const std::string& path) {
    nlohmann::json j;
    j["version"] = 1;
    j["confidence"] = {{"measure", measure_name(cal.confidence_measure)},
                       {"threshold", cal.confidence_threshold},
                       {"scores", cal.confidence_scores}};
    j["reflect"] = {{"threshold", cal.reflect_threshold}, {"scores", cal.reflect_scores}};
    j["thrust"] = {{"threshold", cal.thrust_threshold},
                   {"layer", cal.thrust_layer},
                   {"pooling", cal.thrust_last_token ? "last" : "mean"},
                   {"centroids", cal.thrust_centroids},
                   {"sizes", cal.thrust_cluster_sizes},
                   {"scores", cal.thrust_scores}};
    std::ofstream out(path);
    if (!out) {
        return Status::io_error("calibration: cannot write '" + path + "'");
    }
    out << j.dump() << "\n";
    if (!out) {
        return Status::io_error("calibration: write to '" + path + "' failed");
    }
    return Status::ok();
}

double threshold_for_budget(const std::vector<double>& sorted_scores,
                            double budget,
                            double fallback) {
    if (sorted_scores.empty()) {
        return fallback;
    }
    budget = std::clamp(budget, 0.0, 1.0);
    const auto n = static_cast<double>(sorted_scores.size());
    const auto k = static_cast<std::size_t>(std::llround(budget * n));
    if (k == 0) {
        return sorted_scores.front() - 1e-9;  // nothing below
    }
    if (k >= sorted_scores.size()) {
        return sorted_scores.back() + 1e-9;  // everything below
    }
    // Midway between the k-th and (k+1)-th smallest: exactly k scores lie below.
    return 0.5 * (sorted_scores[k - 1] + sorted_scores[k]);
}

}  // namespace lore
