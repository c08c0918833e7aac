// Evaluation: question-answering datasets, SQuAD-style answer metrics, aggregation per gate
// and split, and reports (Markdown, JSON, an SVG plot of accuracy against retrieval rate).
//
//   load_dataset(jsonl) -> [control runs each question] -> QuestionOutcome per question
//     -> score_prediction() fills em / f1 / contains -> aggregate() -> MetricsRow per gate
//     and split -> write_report(dir)
//
// Dataset format (JSONL, one object per line, blank lines skipped):
//   {"id": "q1", "question": "...", "answers": ["...", ...], "split": "known", ...}
// `id`, `question` and `answers` (at least one non-empty string) are required; `split` is
// optional; every other field is kept as free metadata. Limits: lines up to kMaxLineBytes.
// The report formats are documented in docs/formats/eval-report.md.
//
// Thread safety: free functions over values; nothing is shared.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <iosfwd>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "lore/result.h"
#include "lore/status.h"

namespace lore::eval {

// ---------------------------------------------------------------------------------------
// Datasets

// One question with its gold answers.
struct Example {
    std::string id;                                      // unique within the dataset
    std::string question;                                // non-empty
    std::vector<std::string> answers;                    // at least one, each non-empty
    std::string split;                                   // "" when the record has none
    nlohmann::json metadata = nlohmann::json::object();  // every other field of the record
};

inline constexpr std::size_t kMaxLineBytes = std::size_t{1} << 20;  // 1 MiB per record

// The name of the row that aggregates all splits; a dataset may not use it as a split.
inline constexpr std::string_view kOverallSplit = "overall";

// Reads a JSONL dataset. `source_name` names the input in messages (usually the path).
// Fails with kInvalidArgument, naming source, line number and field, on: malformed JSON, a
// line that is not an object, a missing or ill-typed `id`/`question`/`answers`/`split`, an
// empty question, id or answer, no answers, a duplicate id, the reserved split "overall", a
// line over kMaxLineBytes, or a file with no records. kIoError when the stream fails.
[[nodiscard]] Result<std::vector<Example>> parse_dataset(std::istream& in,
                                                         std::string_view source_name);

// parse_dataset() over a file; kNotFound when it cannot be opened.
[[nodiscard]] Result<std::vector<Example>> load_dataset(const std::filesystem::path& path);

// ---------------------------------------------------------------------------------------
// Answer metrics (as the SQuAD v1.1/v2.0 evaluation script defines them)

// Lower-cases (ASCII only: bytes >= 0x80 are kept as they are), deletes ASCII punctuation,
// replaces the words a/an/the with spaces, and collapses whitespace runs to one space with
// none at either end. "The U.S.  Army!" -> "us army".
std::string normalize_answer(std::string_view text);

// normalize_answer() split on spaces.
std::vector<std::string> answer_tokens(std::string_view text);

// 1.0 when the normalised prediction equals some normalised gold answer, else 0.0.
double exact_match(std::string_view prediction, std::span<const std::string> answers);

// Best token F1 over the gold answers: the harmonic mean of precision and recall over the
// multiset of shared tokens. When either side has no tokens, 1.0 if both are empty, else 0.0.
double token_f1(std::string_view prediction, std::span<const std::string> answers);

// True when some gold answer's token sequence appears contiguously within the prediction's
// tokens ("paris" in "it is paris france"); small models often add words around the answer.
// A gold answer with no tokens is contained only in a prediction with no tokens.
bool contains_answer(std::string_view prediction, std::span<const std::string> answers);

struct PredictionScores {
    double em = 0.0;
    double f1 = 0.0;
    bool contains = false;
};

// All three metrics at once.
PredictionScores score_prediction(std::string_view prediction,
                                  std::span<const std::string> answers);

// ---------------------------------------------------------------------------------------
// Aggregation

// What happened to one question under one gate (and one threshold, in a sweep).
struct QuestionOutcome {
    std::string id;
    std::string split;  // "" counts only towards the overall row
    std::string prediction;
    std::vector<std::string> answers;
    double em = 0.0;                      // from score_prediction()
    double f1 = 0.0;                      // from score_prediction()
    bool contains = false;                // from score_prediction()
    bool retrieved = false;               // evidence was put into the prompt
    std::int32_t n_kb_lookups = 0;        // knowledge-base look-ups made (including verification)
    double latency_ms = 0.0;              // wall time of the whole question
    double decision_ms = 0.0;             // time the gate took to decide
    std::int64_t n_prompt_tokens = 0;     // every prompt processed for this question
    std::int64_t n_generated_tokens = 0;  // every token generated for this question
    bool abstained = false;               // answered "I don't know"
    std::string gate;                     // "never", "always", "confidence", ...
    std::optional<double> threshold;      // the gate's threshold, when it has one
    double score = 0.0;                   // the gate's decision score (NaN when it has none)
};

// Metrics of one group of outcomes: one gate (at one threshold) on one split, or overall.
// Rates are fractions in [0, 1]; means are per question.
struct MetricsRow {
    std::string gate;
    std::optional<double> threshold;
    std::string split;  // a split name, or kOverallSplit
    std::int64_t n = 0;
    double em = 0.0;                       // mean exact match
    double f1 = 0.0;                       // mean token F1
    double contains = 0.0;                 // share with contains_answer()
    double retrieval_rate = 0.0;           // share whose prompt carried evidence
    double kb_lookups_per_question = 0.0;  // mean knowledge-base look-ups
    double latency_mean_ms = 0.0;
    double latency_p95_ms = 0.0;  // nearest rank: the ceil(0.95 n)-th smallest latency
    double decision_mean_ms = 0.0;
    std::int64_t n_prompt_tokens = 0;     // total over the group
    std::int64_t n_generated_tokens = 0;  // total over the group
    std::int64_t n_tokens = 0;            // prompt + generated
    std::int64_t n_abstained = 0;
};

// Nearest-rank percentile: the ceil(p/100 * n)-th smallest value (the smallest for p = 0);
// 0.0 for no values. REQUIRES: 0 <= p <= 100.
double percentile_nearest_rank(std::vector<double> values, double p);

// Groups outcomes by (gate, threshold) in order of first appearance; within each group
// emits one row per non-empty split (sorted by name), then the kOverallSplit row.
// REQUIRES: no outcome has split == kOverallSplit (load_dataset() rejects it).
std::vector<MetricsRow> aggregate(std::span<const QuestionOutcome> outcomes);

// ---------------------------------------------------------------------------------------
// Sweeps: accuracy against retrieval rate

// Which metric a report calls "accuracy" (the y axis of the plot, the sweep points).
enum class AccuracyMetric { kExactMatch, kF1, kContains };

std::string_view accuracy_metric_name(AccuracyMetric metric);  // "exact_match", "f1", ...
// Inverse of accuracy_metric_name(); kInvalidArgument naming the bad text otherwise.
Result<AccuracyMetric> parse_accuracy_metric(std::string_view text);
double accuracy_of(const MetricsRow& row, AccuracyMetric metric);

struct SweepPoint {
    std::string gate;
    std::optional<double> threshold;  // none for gates without one (never, always)
    double accuracy = 0.0;            // in [0, 1]
    double retrieval_rate = 0.0;      // in [0, 1]
};

// One point per (gate, threshold) group of `outcomes`, from its overall row.
std::vector<SweepPoint> sweep_points(std::span<const QuestionOutcome> outcomes,
                                     AccuracyMetric metric);

// One question of an offline sweep: the gate's score and how correct each answer was.
struct ScoredDecision {
    double score = 0.0;            // retrieve when score < threshold
    double closed_accuracy = 0.0;  // accuracy of the closed-book answer
    double open_accuracy = 0.0;    // accuracy of the open-book answer
};

// The whole threshold curve of a gate without re-running the model: for every threshold that
// changes a decision (each distinct score, plus one above the largest) the question is
// answered open-book when score < threshold. Points are sorted by threshold, so retrieval
// rate rises from 0 to 1. NaN scores always retrieve. Empty input gives no points.
std::vector<SweepPoint> sweep_by_threshold(std::string_view gate,
                                           std::span<const ScoredDecision> decisions);

// ---------------------------------------------------------------------------------------
// Reports

struct Report {
    std::string title = "lore eval";
    AccuracyMetric accuracy_metric = AccuracyMetric::kContains;
    std::vector<MetricsRow> rows;    // one per gate and split (aggregate()'s output)
    std::vector<SweepPoint> sweep;   // any gates; a gate with one point is drawn as a point
    std::vector<std::string> notes;  // paragraphs for the reader (why a gate did poorly...)
    nlohmann::json info = nlohmann::json::object();  // model, kb, dataset, command, ...
    std::vector<QuestionOutcome> outcomes;           // written to outcomes.jsonl when not empty
};

// The Markdown metrics table alone (header and one line per row), for printing to a terminal.
std::string render_metrics_table(std::span<const MetricsRow> rows);

// Markdown: the metrics table (one row per gate and split), a sweep table per gate, notes.
std::string render_markdown(const Report& report);

// report.json's document (docs/formats/eval-report.md); report_from_json() reads it back
// and fails with kInvalidArgument naming the missing or ill-typed field.
nlohmann::json report_to_json(const Report& report);
[[nodiscard]] Result<Report> report_from_json(const nlohmann::json& doc);

// One line of outcomes.jsonl: every field of the outcome; a missing threshold and a NaN score
// are null.
nlohmann::json outcome_to_json(const QuestionOutcome& outcome);

// The accuracy-vs-retrieval-rate plot: one polyline per gate with two or more sweep points,
// a labelled marker for a gate with one (never, always); gates without sweep points fall back
// to their overall row. Axes 0..1 with ticks and labels, a legend.
std::string render_svg(const Report& report);

struct ReportFiles {
    std::filesystem::path markdown;            // DIR/report.md
    std::filesystem::path json;                // DIR/report.json
    std::filesystem::path svg;                 // DIR/accuracy_vs_retrieval.svg
    std::optional<std::filesystem::path> png;  // DIR/accuracy_vs_retrieval.png when made
    std::string png_note;                      // which converter made the PNG, or why there is none
    std::optional<std::filesystem::path> outcomes;  // DIR/outcomes.jsonl when there are any
};

struct ReportOptions {
    bool write_png = true;  // try rsvg-convert, then ImageMagick's convert
};

// Creates `dir` if needed and writes the files above. A missing or failing PNG converter is
// not an error: png is empty and png_note says why. kIoError when a file cannot be written.
[[nodiscard]] Result<ReportFiles> write_report(const Report& report,
                                               const std::filesystem::path& dir,
                                               const ReportOptions& options = {});

}  // namespace lore::eval
