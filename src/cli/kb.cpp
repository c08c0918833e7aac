// `lore kb stats|ls|rm|optimize|fts5 --kb DIR`: inspect, prune and compact a knowledge base,
// and switch SQLite FTS5's twin index on or off.
#include "lore/kb.h"

#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.h"

namespace lore::cli {
namespace {

struct KbArgs {
    std::string kb_dir;
    std::vector<std::string> paths;
    std::string fts5_state;  // "on" or "off"
};

Result<std::unique_ptr<KnowledgeBase>> open_existing(const std::string& dir) {
    KbOpenOptions options;
    options.create_if_missing = false;
    return KnowledgeBase::open(dir, options);
}

Status run_stats(const KbArgs& args) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, open_existing(args.kb_dir));
    LORE_ASSIGN_OR_RETURN(KbStats stats, kb->stats());
    std::printf("kb:              %s\n", args.kb_dir.c_str());
    std::printf("schema version:  %lld\n", static_cast<long long>(stats.schema_version));
    std::printf("sources:         %lld\n", static_cast<long long>(stats.n_sources));
    std::printf("documents:       %lld\n", static_cast<long long>(stats.n_documents));
    std::printf("chunks:          %lld\n", static_cast<long long>(stats.n_chunks));
    std::printf("embeddings:      %lld", static_cast<long long>(stats.n_embeddings));
    if (!stats.embedding_model.empty()) {
        std::printf(" (%s, dim %lld)", stats.embedding_model.c_str(),
                    static_cast<long long>(stats.embedding_dim));
    }
    std::printf("\nfts5 twin index: %s\n", kb->keeps_fts5() ? "yes" : "no");
    std::printf("size on disk:    %.1f MB\n", static_cast<double>(stats.size_bytes) / 1e6);
    return Status::ok();
}

Status run_ls(const KbArgs& args) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, open_existing(args.kb_dir));
    LORE_ASSIGN_OR_RETURN(std::vector<DocumentInfo> docs, kb->list_documents());
    for (const DocumentInfo& doc : docs) {
        std::printf("%s%s%s\t%lld chunks\t%.12s\n", doc.source.c_str(),
                    doc.document_key.empty() ? "" : "#", doc.document_key.c_str(),
                    static_cast<long long>(doc.n_chunks), doc.content_hash.c_str());
    }
    return Status::ok();
}

Status run_rm(const KbArgs& args) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, open_existing(args.kb_dir));
    for (const std::string& path : args.paths) {
        // Sources are stored by absolute path; accept what the user typed too.
        std::error_code ec;
        const std::string absolute =
            std::filesystem::absolute(path, ec).lexically_normal().string();
        LORE_ASSIGN_OR_RETURN(std::int64_t n_removed, kb->remove_source(path));
        if (n_removed == 0 && absolute != path) {
            LORE_ASSIGN_OR_RETURN(n_removed, kb->remove_source(absolute));
        }
        if (n_removed == 0) {
            return Status::not_found("kb: no source '" + path + "' in " + args.kb_dir);
        }
        std::printf("removed %s (%lld documents)\n", path.c_str(),
                    static_cast<long long>(n_removed));
    }
    return Status::ok();
}

Status run_optimize(const KbArgs& args) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, open_existing(args.kb_dir));
    return kb->optimize();
}

Status run_fts5(const KbArgs& args) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb, open_existing(args.kb_dir));
    return kb->set_fts5(args.fts5_state == "on");
}

void report(const Status& status, CommandContext& ctx) {
    if (!status.is_ok()) {
        std::fprintf(stderr, "lore: %s\n", status.message().c_str());
        ctx.exit_code = status.to_exit_code();
    }
}

}  // namespace

void add_kb_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<KbArgs>();
    CLI::App* cmd = app.add_subcommand("kb", "Inspect or prune a knowledge base");
    cmd->require_subcommand(1);
    CLI::App* stats = cmd->add_subcommand("stats", "Counts and size of a KB");
    stats->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    stats->callback([args, &ctx] { report(run_stats(*args), ctx); });
    CLI::App* ls = cmd->add_subcommand("ls", "List documents");
    ls->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    ls->callback([args, &ctx] { report(run_ls(*args), ctx); });
    CLI::App* rm = cmd->add_subcommand("rm", "Remove sources (files) and their documents");
    rm->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    rm->add_option("paths", args->paths, "Source paths as listed by `lore kb ls`")->required();
    rm->callback([args, &ctx] { report(run_rm(*args), ctx); });
    CLI::App* optimize = cmd->add_subcommand(
        "optimize", "Merge the lexical index into one segment without deleted chunks");
    optimize->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    optimize->callback([args, &ctx] { report(run_optimize(*args), ctx); });
    CLI::App* fts5 = cmd->add_subcommand(
        "fts5",
        "Build (on) or drop (off) SQLite FTS5's index of the chunks: the slow twin of lore's "
        "lexical index, for `lore search --engine fts5`. Off for new KBs; when on, every "
        "ingest also maintains it");
    fts5->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    fts5->add_option("state", args->fts5_state, "on | off")
        ->required()
        ->check(CLI::IsMember({"on", "off"}));
    fts5->callback([args, &ctx] { report(run_fts5(*args), ctx); });
}

}  // namespace lore::cli
