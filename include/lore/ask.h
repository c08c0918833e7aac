// Asking with adaptive retrieval: for each question, a gate decides whether the model's own
// (parametric) knowledge is enough or evidence from the knowledge base is needed; lore
// retrieves only then, answers with citations, and records every step in a trace.
//
//   decide (gate) -> [retrieve -> number passages -> open-book prompt] -> generate -> verify
//
// Gates (one class each, in src/control/gates.cpp; the paper behind each is named there):
//   never       closed-book always
//   always      retrieve top-k, passages in the prompt
//   confidence  closed-book answer first; retrieve when its token log-probabilities are low
//   thrust      hidden-state knowledgeability score (Thrust); decides before generating
//   reflect     ask the model whether it needs to look the answer up; P(yes) vs P(no)
//   compare     answer closed- and open-book, keep the more confident (ProbTree's leaf rule)
// `verify` (CRITIC) may follow any gate that kept the question closed-book: one cheap KB
// look-up checks the closed-book answer against the evidence about the question, and
// retrieves when they disagree — the only way to catch facts that changed after training.
//
// Thread safety: an Asker owns a Session; one per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/engine.h"
#include "lore/kb.h"
#include "lore/result.h"

namespace lore {

enum class GateKind { kNever, kAlways, kConfidence, kThrust, kReflect, kCompare };

std::string_view gate_name(GateKind kind);
// "never", "always", ...; kInvalidArgument naming the bad text otherwise.
Result<GateKind> parse_gate(std::string_view text);

// How the confidence gate summarises the closed-book answer's token log-probabilities.
enum class ConfidenceMeasure { kMean, kMin, kNegEntropy };

// Prompt text around a question. `{question}`, `{passages}`, `{index}` and `{text}` are
// replaced. A model may carry its own in GGUF metadata (`lore.prompt.*`, see
// docs/formats/ask.md); otherwise these defaults are used — the synthetic world's model is
// trained on exactly them. For a model with a recognised chat template, the prompt becomes
// the user turn after a system message that says passages are quoted data, not instructions.
struct PromptFormat {
    std::string closed_book = "Q: {question}\nA:";
    std::string open_book = "{passages}Q: {question}\nA:";
    std::string passage = "[{index}] {text}\n";
    std::string reflect = "Q: {question}\nDo you know the answer? (yes or no):";
    std::string reflect_yes = " yes";
    std::string reflect_no = " no";
    std::string answer_stop = "\n";  // the answer ends at the first newline
    // How many passages the model reads well (`lore.prompt.passages`): a small model with a
    // short context may read one passage reliably and lose the thread among three. 0: no
    // advice.
    std::int32_t passages = 0;
};

// Reads `lore.prompt.*` metadata of the model, falling back to the defaults per field.
PromptFormat prompt_format_for(const Model& model);

// Thresholds and the Thrust clusters: what `lore calibrate` writes (CAL.json).
struct Calibration {
    double confidence_threshold = -0.5;  // retrieve when score < threshold
    ConfidenceMeasure confidence_measure = ConfidenceMeasure::kMean;
    double thrust_threshold = 0.0;
    double reflect_threshold = 0.0;  // log P(yes) - log P(no)
    std::int32_t thrust_layer = -1;  // hidden-state layer; -1: the middle layer
    bool thrust_last_token = false;  // pool the question's last token (else the mean)
    std::vector<std::vector<float>> thrust_centroids;  // of questions the model knows
    std::vector<std::int32_t> thrust_cluster_sizes;
    // Each gate's scores on the calibration questions, ascending: a retrieval budget b
    // becomes the threshold below which a share b of them fall (threshold_for_budget).
    std::vector<double> confidence_scores;
    std::vector<double> thrust_scores;
    std::vector<double> reflect_scores;
};

// The threshold that makes a share `budget` (0..1) of `sorted_scores` retrieve; the
// current threshold when there are no scores.
double threshold_for_budget(const std::vector<double>& sorted_scores,
                            double budget,
                            double fallback);

Result<Calibration> read_calibration(const std::string& path);
Status write_calibration(const Calibration& calibration, const std::string& path);

inline constexpr std::int32_t kDefaultTopK = 3;

struct AskOptions {
    GateKind gate = GateKind::kConfidence;
    bool verify = false;              // CRITIC-style check of closed-book answers against the KB
    bool abstain = false;             // say "I don't know" when neither source is confident
    double abstain_threshold = -1.5;  // mean token log-probability below which to abstain
    // Passages put in the prompt; 0: as many as the model advises (PromptFormat::passages),
    // else kDefaultTopK.
    std::int32_t top_k = 0;
    SearchMode search_mode = SearchMode::kBm25;
    std::int32_t max_answer_tokens = 24;
    Calibration calibration;
};

// The passages a question gets: options.top_k, else the model's advice, else kDefaultTopK.
std::int32_t effective_top_k(const AskOptions& options, const PromptFormat& format);

struct Citation {
    std::int32_t index = 0;  // [n] in the prompt
    SearchHit hit;
};

// Every step of one question, for --trace / --json and eval.
struct AskTrace {
    std::string gate;
    double score = 0.0;  // the gate's decision score (NaN for never/always)
    double threshold = 0.0;
    bool retrieved = false;        // evidence was put into the prompt
    bool verified = false;         // the verify step ran
    bool verify_conflict = false;  // and found the answer unsupported or the evidence newer
    std::string verify_reason;     // "supported", "answer not in evidence", "evidence newer ..."
    std::int32_t n_kb_lookups = 0;
    std::vector<SearchHit> hits;  // what was retrieved (ids, scores)
    std::string closed_book_answer;
    double closed_book_confidence = 0.0;
    std::string open_book_answer;
    double open_book_confidence = 0.0;
    std::int32_t n_prompt_tokens = 0;  // all prompts processed
    std::int32_t n_generated_tokens = 0;
    double decide_ms = 0.0;
    double retrieve_ms = 0.0;
    double generate_ms = 0.0;
    double total_ms = 0.0;
};

struct AskResult {
    std::string answer;
    bool abstained = false;
    std::vector<Citation> citations;  // passages the answer cites (all shown ones when unsure)
    AskTrace trace;
};

// Loads a GGUF embedding model (see embed.h) as the knowledge base's Embedder, so ingest
// and dense search use lore's own engine. The model id names the file, pooling and width.
Result<std::shared_ptr<Embedder>> load_kb_embedder(const std::filesystem::path& path,
                                                   std::int32_t n_threads = 0);

// The embedder's tokenizer as a TokenCounter (chunks sized in the embedding model's tokens),
// or null when `embedder` did not come from load_kb_embedder.
std::shared_ptr<TokenCounter> token_counter_of(const std::shared_ptr<Embedder>& embedder);

// The result and its whole trace as one JSON object (the schema is in docs/formats/ask.md).
std::string ask_result_to_json(const AskResult& result, std::string_view question);

// One model, one knowledge base, one session.
class Asker {
public:
    // `kb` may be null: then every gate answers closed-book.
    static Result<std::unique_ptr<Asker>> create(std::shared_ptr<const Model> model,
                                                 KnowledgeBase* kb,
                                                 const AskOptions& options);

    virtual ~Asker() = default;

    virtual Result<AskResult> ask(std::string_view question) = 0;

    // For calibration: the gate-independent features of a question — closed-book answer and
    // confidence, reflect score, hidden state at the Thrust layer.
    struct Features {
        std::string closed_book_answer;
        double confidence_mean = 0.0;
        double confidence_min = 0.0;
        double confidence_neg_entropy = 0.0;
        double reflect_score = 0.0;
        // The closed-book prompt's hidden states at every layer 0..n_layer+1 (see
        // HiddenStateRequest), mean over its tokens and at its last token.
        std::vector<std::vector<float>> hidden_mean;
        std::vector<std::vector<float>> hidden_last;
        double closed_book_ms = 0.0;  // prefill + generation
        double prefill_ms = 0.0;      // the prompt alone (what Thrust needs)
        double reflect_ms = 0.0;
        std::int32_t n_prompt_tokens = 0;
        std::int32_t n_generated_tokens = 0;
        std::int32_t n_reflect_tokens = 0;
    };

    virtual Result<Features> features(std::string_view question) = 0;

    // Every step any gate could take for one question, each run once and timed on its own,
    // so eval can replay all gates and thresholds without running the model again.
    struct Measured {
        Features features;
        std::vector<SearchHit> hits;  // the look-up (also what verify reads)
        double retrieve_ms = 0.0;
        std::string open_book_answer;
        double open_book_confidence = 0.0;  // mean token log-probability
        double open_book_ms = 0.0;
        std::int32_t n_open_prompt_tokens = 0;
        std::int32_t n_open_generated_tokens = 0;
        bool verify_conflict = false;
        std::string verify_reason;
    };

    // REQUIRES: a knowledge base.
    virtual Result<Measured> measure(std::string_view question) = 0;

    virtual const AskOptions& options() const = 0;
};

// Thrust score of a hidden state against calibration clusters: the length of the
// size-weighted inverse-square pull sum_k |C_k| / d_k^2 * unit(c_k - h), divided by the
// number of calibration points. Large when the question sits among ones the model knows.
double thrust_score(std::span<const float> hidden, const Calibration& calibration);

// The hidden state Thrust reads for these features under `calibration` (layer, pooling).
std::span<const float> thrust_input(const Asker::Features& features,
                                    const Calibration& calibration);

// A labelled calibration question: the gold answers tell whether the model knows it.
struct CalibrationExample {
    std::string question;
    std::vector<std::string> answers;
};

struct CalibrationReport {
    Calibration calibration;
    std::int32_t n_questions = 0;
    std::int32_t n_known = 0;  // answered correctly closed-book
    double auc_confidence_mean = 0.0;
    double auc_confidence_min = 0.0;
    double auc_confidence_neg_entropy = 0.0;
    double auc_reflect = 0.0;
    double auc_thrust = 0.0;  // held-out (two-fold) AUC of the chosen layer and pooling
};

// Fits every gate's threshold on labelled questions: a question counts as known when the
// closed-book answer contains a gold answer. Each threshold maximises Youden's J (true
// "knows" rate minus false "knows" rate); the confidence measure with the best AUC becomes
// the default; Thrust's layer and pooling are chosen by two-fold held-out AUC and its
// clusters are k-means of the known questions' states.
Result<CalibrationReport> calibrate(Asker& asker, std::span<const CalibrationExample> examples);

// Area under the ROC curve of `scores` separating positives (label true) from negatives;
// 0.5 when either class is empty. Ties count half.
double roc_auc(std::span<const double> scores, const std::vector<bool>& labels);

// The threshold maximising Youden's J when "score >= threshold" predicts a positive.
double youden_threshold(std::span<const double> scores, const std::vector<bool>& labels);

// k-means (k-means++ seeding with a fixed seed) of `points` into at most `k` clusters.
void cluster_points(const std::vector<std::vector<float>>& points,
                    std::int32_t k,
                    std::vector<std::vector<float>>& centroids,
                    std::vector<std::int32_t>& sizes);

}  // namespace lore
