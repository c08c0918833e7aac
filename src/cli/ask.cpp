// lore ask: answer a question, retrieving from a knowledge base only when the gate says the
// model's own knowledge is not enough; print the answer, its citations and (--trace) why.
#include "lore/ask.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/commands.h"

namespace lore::cli {

namespace {

struct AskArgs {
    std::string model_path;
    LoadFlags load;
    std::string kb_dir;
    std::string gate = "confidence";
    std::string calibration_path;
    double budget = -1.0;
    bool verify = false;
    bool abstain = false;
    bool trace = false;
    bool json = false;
    int top_k = 0;
    std::string mode = "bm25";
    std::string embed_model;
    int n_threads = 0;
    std::string question;
};

// Applies --budget to the chosen gate's threshold using the calibration's score samples.
void apply_budget(Calibration& cal, GateKind gate, double budget) {
    switch (gate) {
        case GateKind::kConfidence:
            cal.confidence_threshold =
                threshold_for_budget(cal.confidence_scores, budget, cal.confidence_threshold);
            break;
        case GateKind::kThrust:
            cal.thrust_threshold =
                threshold_for_budget(cal.thrust_scores, budget, cal.thrust_threshold);
            break;
        case GateKind::kReflect:
            cal.reflect_threshold =
                threshold_for_budget(cal.reflect_scores, budget, cal.reflect_threshold);
            break;
        default: break;
    }
}

int fail(const Status& status) {
    std::fprintf(stderr, "lore ask: %s\n", status.to_string().c_str());
    return status.to_exit_code();
}

int run_ask(const AskArgs& args) {
    AskOptions options;
    Result<GateKind> gate = parse_gate(args.gate);
    if (!gate.has_value()) {
        return fail(gate.status());
    }
    options.gate = *gate;
    options.verify = args.verify;
    options.abstain = args.abstain;
    options.top_k = args.top_k;
    if (Status s = parse_search_mode(args.mode, options.search_mode); !s.is_ok()) {
        return fail(s);
    }
    if (!args.calibration_path.empty()) {
        Result<Calibration> cal = read_calibration(args.calibration_path);
        if (!cal.has_value()) {
            return fail(cal.status());
        }
        options.calibration = std::move(cal).value();
    }
    if (args.budget >= 0.0) {
        if (args.calibration_path.empty()) {
            return fail(Status::invalid_argument(
                "--budget needs --calibration (the budget is a share of the calibration "
                "questions' scores)"));
        }
        apply_budget(options.calibration, options.gate, args.budget);
    }
    Result<std::shared_ptr<const Model>> model =
        Model::load(args.model_path, model_options(args.load));
    if (!model.has_value()) {
        return fail(model.status());
    }
    std::unique_ptr<KnowledgeBase> kb;
    if (!args.kb_dir.empty()) {
        KbOpenOptions kb_options;
        kb_options.create_if_missing = false;
        Result<std::unique_ptr<KnowledgeBase>> opened =
            KnowledgeBase::open(args.kb_dir, kb_options);
        if (!opened.has_value()) {
            return fail(opened.status());
        }
        kb = std::move(opened).value();
        if (!args.embed_model.empty()) {
            Result<std::shared_ptr<Embedder>> embedder =
                load_kb_embedder(args.embed_model, args.n_threads);
            if (!embedder.has_value()) {
                return fail(embedder.status());
            }
            kb->set_embedder(*embedder);
        }
    }
    Result<std::unique_ptr<Asker>> asker = Asker::create(*model, kb.get(), options);
    if (!asker.has_value()) {
        return fail(asker.status());
    }
    Result<AskResult> result = (*asker)->ask(args.question);
    if (!result.has_value()) {
        return fail(result.status());
    }
    if (args.json) {
        std::printf("%s\n", ask_result_to_json(*result, args.question).c_str());
        return 0;
    }
    std::printf("%s\n", result->answer.c_str());
    for (const Citation& c : result->citations) {
        std::printf("  [%d] %s", c.index, c.hit.source.c_str());
        if (!c.hit.document_key.empty()) {
            std::printf(" #%s", c.hit.document_key.c_str());
        }
        if (c.hit.page > 0) {
            std::printf(" p.%d", c.hit.page);
        }
        std::printf(" bytes %llu-%llu (chunk %lld)\n",
                    static_cast<unsigned long long>(c.hit.byte_begin),
                    static_cast<unsigned long long>(c.hit.byte_end),
                    static_cast<long long>(c.hit.chunk_id));
    }
    if (args.trace) {
        std::printf("%s\n", ask_result_to_json(*result, args.question).c_str());
    }
    return 0;
}

}  // namespace

void add_ask_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<AskArgs>();
    CLI::App* cmd = app.add_subcommand(
        "ask",
        "Answer a question; retrieve from the knowledge base only when the gate says "
        "the model's own knowledge is not enough");
    cmd->add_option("question", args->question, "The question")->required();
    cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
    add_load_flags(cmd, &args->load);
    cmd->add_option("--kb", args->kb_dir, "Knowledge-base directory (none: closed-book only)");
    cmd->add_option("--gate", args->gate,
                    "never | always | confidence | thrust | reflect | compare")
        ->capture_default_str();
    cmd->add_option("--calibration", args->calibration_path,
                    "Thresholds and Thrust clusters from `lore calibrate`");
    cmd->add_option("--budget", args->budget,
                    "Target retrieval rate in [0, 1]: sets the gate's threshold from the "
                    "calibration's scores")
        ->check(CLI::Range(0.0, 1.0));
    cmd->add_flag("--verify", args->verify,
                  "Check a closed-book answer against the KB (one look-up) and retrieve when "
                  "the evidence does not state it or is newer than the model");
    cmd->add_flag("--abstain", args->abstain,
                  "Answer \"I don't know\" when the chosen answer is not confident");
    cmd->add_flag("--trace", args->trace, "Print the whole decision as JSON after the answer");
    cmd->add_flag("--json", args->json, "Print only one JSON object (answer, citations, trace)");
    cmd->add_option("-k,--top-k", args->top_k,
                    "Passages put in the prompt (0: as many as the model file advises in "
                    "lore.prompt.passages, else 3)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100));
    cmd->add_option("--mode", args->mode, "Retrieval: bm25 | dense | hybrid")
        ->capture_default_str();
    cmd->add_option("--embed-model", args->embed_model,
                    "GGUF embedding model for dense/hybrid retrieval");
    cmd->add_option("-t,--threads", args->n_threads, "Threads (0: one per physical core)");
    cmd->callback([args, &ctx] { ctx.exit_code = run_ask(*args); });
}

}  // namespace lore::cli
