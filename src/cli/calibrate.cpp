// lore calibrate: fit every gate's threshold (and Thrust's clusters) on labelled questions
// and write them to a small JSON file that `ask` and `eval` read with --calibration.
#include <cstdio>
#include <memory>
#include <string>

#include "lore/ask.h"
#include "lore/eval.h"

#include "cli/commands.h"

namespace lore::cli {

namespace {

struct CalibrateArgs {
    std::string model_path;
    LoadFlags load;
    std::string kb_dir;
    std::string data_path;
    std::string out_path;
};

int fail(const Status& status) {
    std::fprintf(stderr, "lore calibrate: %s\n", status.to_string().c_str());
    return status.to_exit_code();
}

int run_calibrate(const CalibrateArgs& args) {
    Result<std::vector<eval::Example>> data = eval::load_dataset(args.data_path);
    if (!data.has_value()) {
        return fail(data.status());
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
    }
    Result<std::unique_ptr<Asker>> asker = Asker::create(*model, kb.get(), AskOptions{});
    if (!asker.has_value()) {
        return fail(asker.status());
    }
    std::vector<CalibrationExample> examples;
    for (const eval::Example& ex : *data) {
        examples.push_back({ex.question, ex.answers});
    }
    Result<CalibrationReport> report = calibrate(**asker, examples);
    if (!report.has_value()) {
        return fail(report.status());
    }
    if (Status s = write_calibration(report->calibration, args.out_path); !s.is_ok()) {
        return fail(s);
    }
    const Calibration& c = report->calibration;
    std::printf("calibrated on %d questions (%d answered correctly closed-book)\n",
                report->n_questions, report->n_known);
    std::printf("  confidence: AUC mean %.3f, min %.3f, -entropy %.3f; threshold %.4f\n",
                report->auc_confidence_mean, report->auc_confidence_min,
                report->auc_confidence_neg_entropy, c.confidence_threshold);
    std::printf("  reflect:    AUC %.3f; threshold %.4f\n", report->auc_reflect,
                c.reflect_threshold);
    std::printf(
        "  thrust:     held-out AUC %.3f (layer %d, %s pooling, %zu clusters); threshold %.6g\n",
        report->auc_thrust, c.thrust_layer, c.thrust_last_token ? "last-token" : "mean",
        c.thrust_centroids.size(), c.thrust_threshold);
    std::printf("wrote %s\n", args.out_path.c_str());
    return 0;
}

}  // namespace

void add_calibrate_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<CalibrateArgs>();
    CLI::App* cmd = app.add_subcommand(
        "calibrate", "Fit the gates' thresholds on labelled questions and write CAL.json");
    cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
    add_load_flags(cmd, &args->load);
    cmd->add_option("--kb", args->kb_dir, "Knowledge-base directory");
    cmd->add_option("--data", args->data_path, "Labelled questions (JSONL: id, question, answers)")
        ->required();
    cmd->add_option("--out", args->out_path, "Calibration file to write")->required();
    cmd->callback([args, &ctx] { ctx.exit_code = run_calibrate(*args); });
}

}  // namespace lore::cli
