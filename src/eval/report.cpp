// Report rendering: report.md (Markdown tables) and report.json (its schema, field by field,
// is docs/formats/eval-report.md; bump kReportVersion when it changes). Rates are stored as
// fractions in report.json and shown as percentages in report.md.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "lore/eval.h"

#include "eval/report_internal.h"

namespace lore::eval {
namespace {

using nlohmann::json;

constexpr std::string_view kReportFormat = "lore-eval-report";
constexpr std::int64_t kReportVersion = 1;

std::string format_double(const char* format, double value) {
    char buffer[64];
    std::snprintf(buffer, sizeof(buffer), format, value);
    return buffer;
}

std::string percent(double fraction) {
    return format_double("%.1f", fraction * 100.0);
}

std::string threshold_text(const std::optional<double>& threshold) {
    return threshold.has_value() ? format_double("%.4g", *threshold) : "-";
}

// A table cell: '|' would end the cell, a newline the row.
std::string cell(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (c == '|') {
            out += "\\|";
        } else if (c == '\n' || c == '\r') {
            out += ' ';
        } else {
            out += c;
        }
    }
    return out.empty() ? "-" : out;
}

json threshold_json(const std::optional<double>& threshold) {
    if (!threshold.has_value() || !std::isfinite(*threshold)) {
        return nullptr;
    }
    return *threshold;
}

// Field readers for report_from_json(): each names the object and field that is wrong.
Status field_error(const std::string& where, const char* field, const char* expected) {
    return Status::invalid_argument("eval: report.json " + where + ": field '" + field +
                                    "' missing or not " + expected);
}

Result<std::string> read_string(const json& object, const char* field, const std::string& where) {
    const auto it = object.find(field);
    if (it == object.end() || !it->is_string()) {
        return field_error(where, field, "a string");
    }
    return it->get<std::string>();
}

Result<double> read_number(const json& object, const char* field, const std::string& where) {
    const auto it = object.find(field);
    if (it == object.end() || !it->is_number()) {
        return field_error(where, field, "a number");
    }
    return it->get<double>();
}

Result<std::int64_t> read_integer(const json& object, const char* field, const std::string& where) {
    const auto it = object.find(field);
    if (it == object.end() || !it->is_number_integer()) {
        return field_error(where, field, "an integer");
    }
    return it->get<std::int64_t>();
}

Result<std::optional<double>> read_threshold(const json& object, const std::string& where) {
    const auto it = object.find("threshold");
    if (it == object.end() || !(it->is_null() || it->is_number())) {
        return field_error(where, "threshold", "a number or null");
    }
    if (it->is_null()) {
        return std::optional<double>();
    }
    return std::optional<double>(it->get<double>());
}

Result<MetricsRow> row_from_json(const json& doc, const std::string& where) {
    if (!doc.is_object()) {
        return Status::invalid_argument("eval: report.json " + where + " is not an object");
    }
    MetricsRow row;
    LORE_ASSIGN_OR_RETURN(row.gate, read_string(doc, "gate", where));
    LORE_ASSIGN_OR_RETURN(row.threshold, read_threshold(doc, where));
    LORE_ASSIGN_OR_RETURN(row.split, read_string(doc, "split", where));
    LORE_ASSIGN_OR_RETURN(row.n, read_integer(doc, "n", where));
    LORE_ASSIGN_OR_RETURN(row.em, read_number(doc, "exact_match", where));
    LORE_ASSIGN_OR_RETURN(row.f1, read_number(doc, "f1", where));
    LORE_ASSIGN_OR_RETURN(row.contains, read_number(doc, "contains", where));
    LORE_ASSIGN_OR_RETURN(row.retrieval_rate, read_number(doc, "retrieval_rate", where));
    LORE_ASSIGN_OR_RETURN(row.kb_lookups_per_question,
                          read_number(doc, "kb_lookups_per_question", where));
    LORE_ASSIGN_OR_RETURN(row.latency_mean_ms, read_number(doc, "latency_mean_ms", where));
    LORE_ASSIGN_OR_RETURN(row.latency_p95_ms, read_number(doc, "latency_p95_ms", where));
    LORE_ASSIGN_OR_RETURN(row.decision_mean_ms, read_number(doc, "decision_mean_ms", where));
    LORE_ASSIGN_OR_RETURN(row.n_prompt_tokens, read_integer(doc, "n_prompt_tokens", where));
    LORE_ASSIGN_OR_RETURN(row.n_generated_tokens, read_integer(doc, "n_generated_tokens", where));
    LORE_ASSIGN_OR_RETURN(row.n_tokens, read_integer(doc, "n_tokens", where));
    LORE_ASSIGN_OR_RETURN(row.n_abstained, read_integer(doc, "n_abstained", where));
    return row;
}

Result<SweepPoint> point_from_json(const json& doc, const std::string& where) {
    if (!doc.is_object()) {
        return Status::invalid_argument("eval: report.json " + where + " is not an object");
    }
    SweepPoint point;
    LORE_ASSIGN_OR_RETURN(point.gate, read_string(doc, "gate", where));
    LORE_ASSIGN_OR_RETURN(point.threshold, read_threshold(doc, where));
    LORE_ASSIGN_OR_RETURN(point.accuracy, read_number(doc, "accuracy", where));
    LORE_ASSIGN_OR_RETURN(point.retrieval_rate, read_number(doc, "retrieval_rate", where));
    return point;
}

}  // namespace

std::vector<std::string> gates_in_order(const Report& report) {
    std::vector<std::string> gates;
    auto add = [&](const std::string& gate) {
        for (const std::string& seen : gates) {
            if (seen == gate) {
                return;
            }
        }
        gates.push_back(gate);
    };
    for (const MetricsRow& row : report.rows) {
        add(row.gate);
    }
    for (const SweepPoint& point : report.sweep) {
        add(point.gate);
    }
    return gates;
}

std::string render_metrics_table(std::span<const MetricsRow> rows) {
    std::string out;
    out +=
        "| gate | threshold | split | n | EM | F1 | contains | retrieval | look-ups/q | "
        "latency ms | p95 ms | decide ms | tokens | abstained |\n";
    out += "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    for (const MetricsRow& row : rows) {
        out += "| " + cell(row.gate) + " | " + threshold_text(row.threshold) + " | " +
               cell(row.split) + " | " + std::to_string(row.n) + " | " + percent(row.em) + " | " +
               percent(row.f1) + " | " + percent(row.contains) + " | " +
               percent(row.retrieval_rate) + " | " +
               format_double("%.2f", row.kb_lookups_per_question) + " | " +
               format_double("%.1f", row.latency_mean_ms) + " | " +
               format_double("%.1f", row.latency_p95_ms) + " | " +
               format_double("%.2f", row.decision_mean_ms) + " | " + std::to_string(row.n_tokens) +
               " | " + std::to_string(row.n_abstained) + " |\n";
    }

    return out;
}

std::string render_markdown(const Report& report) {
    std::string out = "# " + report.title + "\n\n";
    const std::string metric(accuracy_metric_name(report.accuracy_metric));

    out += "## Metrics per gate and split\n\n";
    out += "Rates in percent. Accuracy is `" + metric +
           "`. Retrieval: questions whose prompt carried evidence. Look-ups: knowledge-base "
           "searches per question. Tokens: prompt + generated, total.\n\n";
    out += render_metrics_table(report.rows);

    if (!report.sweep.empty()) {
        out += "\n## Threshold sweeps\n\n";
        out += "![accuracy against retrieval rate](accuracy_vs_retrieval.svg)\n";
        for (const std::string& gate : gates_in_order(report)) {
            bool has_points = false;
            for (const SweepPoint& point : report.sweep) {
                has_points = has_points || point.gate == gate;
            }
            if (!has_points) {
                continue;
            }
            out += "\n### " + cell(gate) + "\n\n";
            out += "| threshold | accuracy (" + metric + ") | retrieval |\n|---:|---:|---:|\n";
            for (const SweepPoint& point : report.sweep) {
                if (point.gate == gate) {
                    out += "| " + threshold_text(point.threshold) + " | " +
                           percent(point.accuracy) + " | " + percent(point.retrieval_rate) + " |\n";
                }
            }
        }
    }

    if (!report.notes.empty()) {
        out += "\n## Notes\n";
        for (const std::string& note : report.notes) {
            out += "\n" + note + "\n";
        }
    }
    return out;
}

json report_to_json(const Report& report) {
    json rows = json::array();
    for (const MetricsRow& row : report.rows) {
        rows.push_back({
            {"gate", row.gate},
            {"threshold", threshold_json(row.threshold)},
            {"split", row.split},
            {"n", row.n},
            {"exact_match", row.em},
            {"f1", row.f1},
            {"contains", row.contains},
            {"accuracy", accuracy_of(row, report.accuracy_metric)},
            {"retrieval_rate", row.retrieval_rate},
            {"kb_lookups_per_question", row.kb_lookups_per_question},
            {"latency_mean_ms", row.latency_mean_ms},
            {"latency_p95_ms", row.latency_p95_ms},
            {"decision_mean_ms", row.decision_mean_ms},
            {"n_prompt_tokens", row.n_prompt_tokens},
            {"n_generated_tokens", row.n_generated_tokens},
            {"n_tokens", row.n_tokens},
            {"n_abstained", row.n_abstained},
        });
    }
    json sweep = json::array();
    for (const SweepPoint& point : report.sweep) {
        sweep.push_back({
            {"gate", point.gate},
            {"threshold", threshold_json(point.threshold)},
            {"accuracy", point.accuracy},
            {"retrieval_rate", point.retrieval_rate},
        });
    }
    return {
        {"format", kReportFormat},
        {"version", kReportVersion},
        {"title", report.title},
        {"accuracy_metric", accuracy_metric_name(report.accuracy_metric)},
        {"info", report.info},
        {"rows", std::move(rows)},
        {"sweep", std::move(sweep)},
        {"notes", report.notes},
    };
}

json outcome_to_json(const QuestionOutcome& outcome) {
    return {
        {"id", outcome.id},
        {"split", outcome.split},
        {"gate", outcome.gate},
        {"threshold", threshold_json(outcome.threshold)},
        {"score", std::isfinite(outcome.score) ? json(outcome.score) : json(nullptr)},
        {"prediction", outcome.prediction},
        {"answers", outcome.answers},
        {"exact_match", outcome.em},
        {"f1", outcome.f1},
        {"contains", outcome.contains},
        {"retrieved", outcome.retrieved},
        {"n_kb_lookups", outcome.n_kb_lookups},
        {"latency_ms", outcome.latency_ms},
        {"decision_ms", outcome.decision_ms},
        {"n_prompt_tokens", outcome.n_prompt_tokens},
        {"n_generated_tokens", outcome.n_generated_tokens},
        {"abstained", outcome.abstained},
    };
}

Result<Report> report_from_json(const json& doc) {
    if (!doc.is_object()) {
        return Status::invalid_argument("eval: report.json is not a json object");
    }
    const std::string top = "document";
    LORE_ASSIGN_OR_RETURN(std::string format, read_string(doc, "format", top));
    if (format != kReportFormat) {
        return Status::invalid_argument("eval: report.json has format '" + format +
                                        "', expected '" + std::string(kReportFormat) + "'");
    }
    LORE_ASSIGN_OR_RETURN(std::int64_t version, read_integer(doc, "version", top));
    if (version != kReportVersion) {
        return Status::unsupported("eval: report.json version " + std::to_string(version) +
                                   " (supported: " + std::to_string(kReportVersion) + ")");
    }
    Report report;
    LORE_ASSIGN_OR_RETURN(report.title, read_string(doc, "title", top));
    LORE_ASSIGN_OR_RETURN(std::string metric, read_string(doc, "accuracy_metric", top));
    LORE_ASSIGN_OR_RETURN(report.accuracy_metric, parse_accuracy_metric(metric));

    const auto info = doc.find("info");
    if (info == doc.end() || !info->is_object()) {
        return field_error(top, "info", "an object");
    }
    report.info = *info;

    const auto rows = doc.find("rows");
    if (rows == doc.end() || !rows->is_array()) {
        return field_error(top, "rows", "an array");
    }
    for (std::size_t row_idx = 0; row_idx < rows->size(); ++row_idx) {
        LORE_ASSIGN_OR_RETURN(
            MetricsRow row,
            row_from_json((*rows)[row_idx], "rows[" + std::to_string(row_idx) + "]"));
        report.rows.push_back(std::move(row));
    }

    const auto sweep = doc.find("sweep");
    if (sweep == doc.end() || !sweep->is_array()) {
        return field_error(top, "sweep", "an array");
    }
    for (std::size_t point_idx = 0; point_idx < sweep->size(); ++point_idx) {
        LORE_ASSIGN_OR_RETURN(
            SweepPoint point,
            point_from_json((*sweep)[point_idx], "sweep[" + std::to_string(point_idx) + "]"));
        report.sweep.push_back(std::move(point));
    }

    const auto notes = doc.find("notes");
    if (notes == doc.end() || !notes->is_array()) {
        return field_error(top, "notes", "an array of strings");
    }
    for (const json& note : *notes) {
        if (!note.is_string()) {
            return field_error(top, "notes", "an array of strings");
        }
        report.notes.push_back(note.get<std::string>());
    }
    return report;
}

}  // namespace lore::eval
