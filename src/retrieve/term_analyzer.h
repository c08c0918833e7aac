// TermAnalyzer: the KB's text analysis (store/text_analysis.h: unicode61 folding, English stop
// words, porter stemming) as a streaming callback for lore's own lexical index. It runs the
// very tokenizer chain FTS5 runs (`porter lore_en`, through SQLite's fts5_api), so both indexes
// see the same terms; unlike store::fts_terms it creates the tokenizer once and hands each
// term to the caller as a view, with no allocation per term.
//
// Thread safety: one per connection and thread (the FTS5 tokenizer instance has state).
#pragma once

#include <memory>
#include <string_view>

#include "lore/result.h"

struct sqlite3;

namespace lore::retrieve {

class TermAnalyzer {
public:
    // Called once per indexed term, in text order. The view is valid during the call only.
    using Sink = void (*)(void* ctx, std::string_view term);

    // REQUIRES: the lore_en tokenizer is registered on `db` (store::Store::open does it);
    // `db` outlives the analyzer.
    static Result<std::unique_ptr<TermAnalyzer>> create(sqlite3* db);

    ~TermAnalyzer();
    TermAnalyzer(const TermAnalyzer&) = delete;
    TermAnalyzer& operator=(const TermAnalyzer&) = delete;

    // Feeds the terms of `text` to `sink`. `is_query` selects FTS5's query mode.
    Status analyze(std::string_view text, bool is_query, Sink sink, void* ctx);

    struct Impl;

private:
    explicit TermAnalyzer(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace lore::retrieve
