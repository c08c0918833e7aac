// `lore search --kb DIR "query"`: ranked chunks with source, position, score and a snippet
// with the query terms marked; --json prints one JSON object per hit line.
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>
#include <unistd.h>

#include "lore/ask.h"
#include "lore/kb.h"

#include "cli/commands.h"

namespace lore::cli {
namespace {

struct SearchArgs {
    std::string kb_dir;
    std::string query;
    std::string mode = "bm25";
    std::string engine = "lore";
    int top_k = 10;
    bool json = false;
    double rrf_k = 60.0;
    double weight_bm25 = 1.0;
    double weight_dense = 1.0;
    std::string embed_model;
};

std::string position(const SearchHit& hit) {
    std::string out;
    if (!hit.document_key.empty()) {
        out += "#" + hit.document_key + " ";
    }
    if (hit.page > 0) {
        out += "page " + std::to_string(hit.page) + " ";
    }
    out += "bytes " + std::to_string(hit.byte_begin) + "-" + std::to_string(hit.byte_end);
    return out;
}

Status run_search(const SearchArgs& args) {
    SearchOptions options;
    LORE_RETURN_IF_ERROR(parse_search_mode(args.mode, options.mode));
    if (args.engine == "fts5") {
        options.lexical_engine = LexicalEngine::kFts5;
    } else if (args.engine != "lore") {
        return Status::invalid_argument("search: unknown engine '" + args.engine +
                                        "' (expected lore or fts5)");
    }
    options.top_k = args.top_k;
    options.rrf_k = args.rrf_k;
    options.weight_bm25 = args.weight_bm25;
    options.weight_dense = args.weight_dense;
    const bool is_tty = ::isatty(STDOUT_FILENO) != 0;
    if (!args.json && is_tty) {
        options.mark_begin = "\033[1m";
        options.mark_end = "\033[0m";
    }
    KbOpenOptions open_options;
    open_options.create_if_missing = false;
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<KnowledgeBase> kb,
                          KnowledgeBase::open(args.kb_dir, open_options));
    if (!args.embed_model.empty()) {
        LORE_ASSIGN_OR_RETURN(std::shared_ptr<Embedder> embedder,
                              load_kb_embedder(args.embed_model));
        kb->set_embedder(std::move(embedder));
    }
    LORE_ASSIGN_OR_RETURN(std::vector<SearchHit> hits, kb->search(args.query, options));
    int rank = 0;
    for (const SearchHit& hit : hits) {
        ++rank;
        if (args.json) {
            nlohmann::json out = {{"rank", rank},
                                  {"chunk_id", hit.chunk_id},
                                  {"score", hit.score},
                                  {"source", hit.source},
                                  {"document_key", hit.document_key},
                                  {"title", hit.title},
                                  {"section", hit.section},
                                  {"page", hit.page},
                                  {"byte_begin", hit.byte_begin},
                                  {"byte_end", hit.byte_end},
                                  {"rank_bm25", hit.rank_bm25},
                                  {"rank_dense", hit.rank_dense},
                                  {"snippet", hit.snippet},
                                  {"text", hit.text}};
            std::printf("%s\n",
                        out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace).c_str());
        } else {
            std::printf("%2d. %.4f  %s  %s%s%s\n    %s\n", rank, hit.score, hit.source.c_str(),
                        position(hit).c_str(), hit.section.empty() ? "" : "  § ",
                        hit.section.c_str(), hit.snippet.c_str());
        }
    }
    if (hits.empty() && !args.json) {
        std::fprintf(stderr, "lore: no hits\n");
    }
    return Status::ok();
}

}  // namespace

void add_search_command(CLI::App& app, CommandContext& ctx) {
    auto args = std::make_shared<SearchArgs>();
    CLI::App* cmd = app.add_subcommand("search", "Search a knowledge base");
    cmd->add_option("--kb", args->kb_dir, "Knowledge-base directory")->required();
    cmd->add_option("query", args->query, "Query text")->required();
    cmd->add_option("--mode", args->mode, "bm25, dense or hybrid");
    cmd->add_option("--engine", args->engine,
                    "Lexical index: lore (default) or fts5 (SQLite FTS5, for comparison)");
    cmd->add_option("--embed-model", args->embed_model,
                    "GGUF embedding model for dense and hybrid search (the one used at ingest)");
    cmd->add_option("-k,--top-k", args->top_k, "Number of hits")->check(CLI::PositiveNumber);
    cmd->add_flag("--json", args->json, "One JSON object per hit");
    cmd->add_option("--rrf-k", args->rrf_k, "Hybrid: reciprocal-rank-fusion constant");
    cmd->add_option("--weight-bm25", args->weight_bm25, "Hybrid: weight of the BM25 list");
    cmd->add_option("--weight-dense", args->weight_dense, "Hybrid: weight of the dense list");
    cmd->callback([args, &ctx] {
        const Status status = run_search(*args);
        if (!status.is_ok()) {
            std::fprintf(stderr, "lore: %s\n", status.message().c_str());
            ctx.exit_code = status.to_exit_code();
        }
    });
}

}  // namespace lore::cli
