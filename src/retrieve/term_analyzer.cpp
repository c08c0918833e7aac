// TermAnalyzer: a `porter lore_en` FTS5 tokenizer instance created once, driven directly.
#include "retrieve/term_analyzer.h"

#include <string>

#include <sqlite3.h>

#include "store/text_analysis.h"

namespace lore::retrieve {

struct TermAnalyzer::Impl {
    fts5_tokenizer porter{};
    Fts5Tokenizer* instance = nullptr;

    ~Impl() {
        if (instance != nullptr) {
            porter.xDelete(instance);
        }
    }
};

namespace {

struct SinkCall {
    TermAnalyzer::Sink sink = nullptr;
    void* ctx = nullptr;
};

int forward_term(void* ctx, int tflags, const char* token, int n_token, int, int) {
    // Colocated tokens (synonyms) do not advance the position; FTS5 does not count them in
    // the document length either. porter and lore_en emit none, but stay faithful.
    if ((tflags & FTS5_TOKEN_COLOCATED) == 0 && n_token > 0) {
        auto* call = static_cast<SinkCall*>(ctx);
        call->sink(call->ctx, std::string_view(token, static_cast<std::size_t>(n_token)));
    }
    return SQLITE_OK;
}

}  // namespace

TermAnalyzer::TermAnalyzer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

TermAnalyzer::~TermAnalyzer() = default;

Result<std::unique_ptr<TermAnalyzer>> TermAnalyzer::create(sqlite3* db) {
    fts5_api* api = nullptr;
    LORE_RETURN_IF_ERROR(store::get_fts5_api(db, &api));
    auto impl = std::make_unique<Impl>();
    void* context = nullptr;
    if (api->xFindTokenizer(api, "porter", &context, &impl->porter) != SQLITE_OK) {
        return Status::unsupported("lexical: fts5 has no porter tokenizer");
    }
    const char* args[] = {"lore_en"};
    const int rc = impl->porter.xCreate(context, args, 1, &impl->instance);
    if (rc != SQLITE_OK) {
        impl->instance = nullptr;
        return Status::internal("lexical: cannot create tokenizer 'porter lore_en' (code " +
                                std::to_string(rc) + "); is lore_en registered?");
    }
    return std::unique_ptr<TermAnalyzer>(new TermAnalyzer(std::move(impl)));
}

Status TermAnalyzer::analyze(std::string_view text, bool is_query, Sink sink, void* ctx) {
    SinkCall call{sink, ctx};
    const int rc = impl_->porter.xTokenize(
        impl_->instance, &call, is_query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT,
        text.data(), static_cast<int>(text.size()), forward_term);
    if (rc != SQLITE_OK) {
        return Status::internal("lexical: tokenize failed (code " + std::to_string(rc) + ")");
    }
    return Status::ok();
}

}  // namespace lore::retrieve
