// LexicalIndex: BM25 search over the KB's chunks. The interface hides which index answers,
// so lore's own inverted index (issue 5) can replace FTS5 on the hot path while FTS5 stays as
// the slow twin. Every implementation analyses text the same way (store/text_analysis.h:
// unicode61 folding, English stop words dropped, porter stemming) and uses OR semantics.
//
// Fts5Index: SQLite FTS5's bm25() (k1 = 1.2, b = 0.75) over chunks_fts.
// Thread safety: an index borrows one Store connection; one thread at a time.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "lore/result.h"

#include "retrieve/scored_chunk.h"
#include "store/sqlite.h"

namespace lore::retrieve {

class LexicalIndex {
public:
    virtual ~LexicalIndex() = default;

    // The best `top_k` chunks for the words of `query` (OR), best first, ties to the smaller
    // id. A query with no word left after stop-word removal has no hits.
    virtual Result<std::vector<ScoredChunk>> search(std::string_view query, int top_k) = 0;

    // "fts5", ...: for traces and benchmarks.
    virtual std::string_view name() const = 0;
};

class Fts5Index final : public LexicalIndex {
public:
    // `db` must outlive the index and have the lore_en tokenizer registered (Store::open).
    explicit Fts5Index(store::Db& db) : db_(db) {}

    Result<std::vector<ScoredChunk>> search(std::string_view query, int top_k) override;

    std::string_view name() const override { return "fts5"; }

private:
    store::Db& db_;
    store::Stmt stmt_;  // prepared on first use
};

}  // namespace lore::retrieve
