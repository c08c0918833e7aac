// `lore ingest --kb DIR PATH...`: adds files, folders or JSONL from standard input ("-") to a
// knowledge base. Incremental and transactional per file (include/lore/kb.h). A progress bar
// is drawn on a terminal; in a pipe only the summary is printed.
#include <cstdio>
#include <iostream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "lore/ask.h"
#include "lore/kb.h"

#include "cli/commands.h"

namespace lore::cli {
namespace {

struct IngestArgs {
    std::string kb_dir;
    std::vector<std::string> paths;
    bool sync = false;
    bool strict = false;
    std::vector<std::string> globs;
    std::vector<std::string> excludes;
    std::size_t chunk_tokens = 200;
    std::size_t overlap_tokens = 40;
    std::string text_field = "text";
    std::string id_field = "id";
    std::string embed_model;
};

void draw_progress(const IngestProgress& progress) {
    const double fraction = progress.n_files_total == 0
                                ? 1.0
                                : static_cast<double>(progress.n_files_done) /
                                      static_cast<double>(progress.n_files_total);
    constexpr int kBarWidth = 28;
    const int filled = static_cast<int>(fraction * kBarWidth);
    std::string bar(static_cast<std::size_t>(filled), '#');
    bar.resize(kBarWidth, '.');
    const double chunks_per_s =
        progress.elapsed_s > 0 ? static_cast<double>(progress.n_chunks) / progress.elapsed_s : 0.0;
    const double eta_s = fraction > 0 ? progress.elapsed_s * (1.0 - fraction) / fraction : 0.0;
    std::fprintf(stderr, "\r[%s] %zu/%zu files  %zu chunks  %.0f chunks/s  ETA %.0fs   ",
                 bar.c_str(), progress.n_files_done, progress.n_files_total, progress.n_chunks,
                 chunks_per_s, eta_s);
    std::fflush(stderr);
}

void print_summary(const IngestSummary& summary) {
    for (const SkippedInput& skipped : summary.skipped) {
        std::fprintf(stderr, "lore: skipped %s: %s\n", skipped.path.c_str(),
                     skipped.reason.c_str());
    }
    std::printf(
        "ingest: %zu added, %zu updated, %zu unchanged, %zu skipped files; %zu records skipped; "
        "%zu documents removed; %zu chunks added, %zu removed; %.2f s\n",
        summary.n_files_added, summary.n_files_updated, summary.n_files_unchanged,
        summary.n_files_skipped, summary.n_records_skipped, summary.n_documents_removed,
        summary.n_chunks_added, summary.n_chunks_removed, summary.elapsed_s);
}

void merge(IngestSummary& into, const IngestSummary& from) {
    into.n_files_added += from.n_files_added;
    into.n_files_updated += from.n_files_updated;
    into.n_files_unchanged += from.n_files_unchanged;
    into.n_files_skipped += from.n_files_skipped;
    into.n_records_skipped += from.n_records_skipped;
    into.n_documents_removed += from.n_documents_removed;
    into.n_chunks_added += from.n_chunks_added;
    into.n_chunks_removed += from.n_chunks_removed;
    into.skipped.insert(into.skipped.end(), from.skipped.begin(), from.skipped.end());
    into.elapsed_s += from.elapsed_s;
}

Status run_ingest(const IngestArgs& args) {
    if (args.overlap_tokens >= args.chunk_tokens) {
        return Status::invalid_argument(
            "ingest: --overlap (" + std::to_string(args.overlap_tokens) +
            ") must be smaller than --chunk-tokens (" + std::to_string(args.chunk_tokens) + ")");
    }
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, KnowledgeBase::open(args.kb_dir));
    IngestOptions options;
    options.chunk_tokens = args.chunk_tokens;
    options.overlap_tokens = args.overlap_tokens;
    options.include_globs = args.globs;
    options.exclude_globs = args.excludes;
    options.sync = args.sync;
    options.strict = args.strict;
    options.text_field = args.text_field;
    options.id_field = args.id_field;
    std::shared_ptr<TokenCounter> counter;
    if (!args.embed_model.empty()) {
        // Chunks are embedded as they are written, and sized in the model's tokens.
        LORE_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder,
                              load_kb_embedder(args.embed_model));
        counter = token_counter_of(embedder);
        options.token_counter = counter.get();
        kb->set_embedder(std::move(embedder));
    }

    IngestSummary total;
    std::vector<std::string> files;
    for (const std::string& path : args.paths) {
        if (path == "-") {
            std::string bytes((std::istreambuf_iterator<char>(std::cin)),
                              std::istreambuf_iterator<char>());
            LORE_ASSIGN_OR_RETURN(IngestSummary summary,
                                  kb->ingest_jsonl_stream(bytes, "stdin", options));
            merge(total, summary);
        } else {
            files.push_back(path);
        }
    }
    if (!files.empty() || args.sync) {
        const bool is_tty = ::isatty(STDERR_FILENO) != 0;
        IngestProgressFn progress;
        if (is_tty) {
            progress = draw_progress;
        }
        Result<IngestSummary> summary = kb->ingest(files, options, progress);
        if (is_tty) {
            std::fprintf(stderr, "\n");
        }
        if (!summary.has_value()) {
            return summary.status();
        }
        merge(total, *summary);
    }
    print_summary(total);
    return Status::ok();
}

}  // namespace

void add_ingest_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<IngestArgs>();
    CLI::App* cmd = app.add_subcommand("ingest", "Add files, folders or JSONL (-) to a KB");
    cmd->add_option("--kb", args->kb_dir, "Knowledge-base directory (created if missing)")
        ->required();
    cmd->add_option("paths", args->paths, "Files, folders, or - for JSONL on stdin")->required();
    cmd->add_flag("--sync", args->sync, "Remove documents whose files are gone");
    cmd->add_flag("--strict", args->strict, "Fail on any unreadable or malformed input");
    cmd->add_option("--glob", args->globs, "Only files matching these globs (folders)");
    cmd->add_option("--exclude", args->excludes, "Skip files matching these globs (folders)");
    cmd->add_option("--chunk-tokens", args->chunk_tokens, "Target chunk size (tokens or words)")
        ->check(CLI::PositiveNumber);
    cmd->add_option("--overlap", args->overlap_tokens, "Overlap between chunks (tokens)");
    cmd->add_option("--text-field", args->text_field, "JSONL field holding the text");
    cmd->add_option("--id-field", args->id_field, "JSONL field holding the record id");
    cmd->add_option("--embed-model", args->embed_model,
                    "GGUF embedding model (bert, or a llama/qwen2 decoder): embeds every new "
                    "chunk for dense search and sizes chunks in its tokens");
    cmd->callback([args, &ctx] {
        const Status status = run_ingest(*args);
        if (!status.is_ok()) {
            std::fprintf(stderr, "lore: %s\n", status.message().c_str());
            ctx.exit_code = status.to_exit_code();
        }
    });
}

}  // namespace lore::cli
