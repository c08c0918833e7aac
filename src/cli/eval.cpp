// lore eval: run the gates over labelled questions and report accuracy, retrieval rate,
// look-ups, latency and tokens per gate and split, with a plot of accuracy against
// retrieval rate (report.md, report.json, accuracy_vs_retrieval.svg/.png in --out).
#include "lore/eval.h"

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "lore/ask.h"
#include "lore/eval_run.h"

#include "cli/commands.h"
#include "core/progress.h"

namespace lore::cli {

namespace {

struct EvalArgs {
    std::string model_path;
    LoadFlags load;
    std::string kb_dir;
    std::vector<std::string> data_paths;
    std::string gate;
    std::vector<std::string> gates;
    std::string calibration_path;
    std::string out_dir = "eval-report";
    std::string metric = "contains";
    bool sweep = false;
    bool no_verify = false;
    int limit = 0;
    int top_k = 0;
};

int fail(const Status& status) {
    std::fprintf(stderr, "lore eval: %s\n", status.to_string().c_str());
    return status.to_exit_code();
}

int run_eval_command(const EvalArgs& args) {
    eval::EvalRunOptions run_options;
    std::vector<std::string> gate_names = args.gates;
    if (!args.gate.empty()) {
        gate_names = {args.gate};
    }
    if (!gate_names.empty()) {
        run_options.gates.clear();
        for (const std::string& name : gate_names) {
            Result<GateKind> g = parse_gate(name);
            if (!g.has_value()) {
                return fail(g.status());
            }
            run_options.gates.push_back(*g);
        }
    }
    run_options.sweep = args.sweep;
    run_options.with_verify = !args.no_verify;
    Result<eval::AccuracyMetric> metric = eval::parse_accuracy_metric(args.metric);
    if (!metric.has_value()) {
        return fail(metric.status());
    }
    run_options.metric = *metric;

    std::vector<eval::Example> examples;
    for (const std::string& path : args.data_paths) {
        Result<std::vector<eval::Example>> data = eval::load_dataset(path);
        if (!data.has_value()) {
            return fail(data.status());
        }
        std::map<std::string, int> per_split;
        for (eval::Example& ex : *data) {
            if (args.limit > 0 && per_split[ex.split]++ >= args.limit) {
                continue;
            }
            examples.push_back(std::move(ex));
        }
    }
    AskOptions ask_options;
    ask_options.top_k = args.top_k;
    if (!args.calibration_path.empty()) {
        Result<Calibration> cal = read_calibration(args.calibration_path);
        if (!cal.has_value()) {
            return fail(cal.status());
        }
        ask_options.calibration = std::move(cal).value();
    }
    Result<std::shared_ptr<const Model>> model =
        Model::load(args.model_path, model_options(args.load));
    if (!model.has_value()) {
        return fail(model.status());
    }
    KbOpenOptions kb_options;
    kb_options.create_if_missing = false;
    Result<std::unique_ptr<KnowledgeBase>> kb = KnowledgeBase::open(args.kb_dir, kb_options);
    if (!kb.has_value()) {
        return fail(kb.status());
    }
    Result<std::unique_ptr<Asker>> asker = Asker::create(*model, kb->get(), ask_options);
    if (!asker.has_value()) {
        return fail(asker.status());
    }
    ProgressBar bar(static_cast<std::int64_t>(examples.size()), "eval");
    run_options.progress = [&](std::size_t done, std::size_t) {
        bar.update(static_cast<std::int64_t>(done));
    };
    Result<eval::EvalRun> run = eval::run_eval(**asker, examples, run_options);
    bar.finish();
    if (!run.has_value()) {
        return fail(run.status());
    }
    eval::Report report;
    report.title = "lore eval: " + (*model)->hparams().name;
    report.accuracy_metric = *metric;
    report.rows = run->rows;
    report.sweep = run->sweep;
    report.outcomes = run->outcomes;
    report.info = {{"model", args.model_path},
                   {"kb", args.kb_dir},
                   {"data", args.data_paths},
                   {"n_questions", examples.size()},
                   {"calibration", args.calibration_path},
                   {"top_k", effective_top_k(ask_options, prompt_format_for(**model))},
                   {"cost_model",
                    "each question's steps are run once and timed; a gate's latency is the sum "
                    "of the steps on its path"}};
    Result<eval::ReportFiles> files = eval::write_report(report, args.out_dir);
    if (!files.has_value()) {
        return fail(files.status());
    }
    std::vector<eval::MetricsRow> overall;
    for (const eval::MetricsRow& row : run->rows) {
        overall.push_back(row);
    }
    std::printf("%s\n", eval::render_metrics_table(overall).c_str());
    std::printf("report: %s/report.md, report.json, accuracy_vs_retrieval.svg\n",
                args.out_dir.c_str());
    return 0;
}

}  // namespace

void add_eval_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<EvalArgs>();
    CLI::App* cmd = app.add_subcommand(
        "eval", "Run the retrieval gates over labelled questions and write a report");
    cmd->add_option("-m,--model", args->model_path, "GGUF model file")->required();
    add_load_flags(cmd, &args->load);
    cmd->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    cmd->add_option("--data", args->data_paths, "Questions (JSONL; repeatable)")->required();
    cmd->add_option("--gate", args->gate, "Evaluate one gate");
    cmd->add_option("--gates", args->gates, "Gates, comma-separated (default: all)")
        ->delimiter(',');
    cmd->add_option("--calibration", args->calibration_path, "Thresholds from `lore calibrate`");
    cmd->add_option("--out", args->out_dir, "Report directory")->capture_default_str();
    cmd->add_option("--metric", args->metric, "Accuracy metric: contains | exact_match | f1")
        ->capture_default_str();
    cmd->add_flag("--sweep", args->sweep, "Vary each gate's threshold: accuracy vs retrieval rate");
    cmd->add_flag("--no-verify", args->no_verify, "Leave out the <gate>+verify rows");
    cmd->add_option("--limit", args->limit, "At most N questions per split of each file (0: all)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("-k,--top-k", args->top_k,
                    "Passages put in the prompt (0: as many as the model file advises in "
                    "lore.prompt.passages, else 3)")
        ->capture_default_str()
        ->check(CLI::Range(0, 100));
    cmd->callback([args, &ctx] { ctx.exit_code = run_eval_command(*args); });
}

}  // namespace lore::cli
