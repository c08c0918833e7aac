// Bm25Index: the read side of lore's own lexical index (issue 5). Top-k by block-max WAND
// (Ding & Suel, SIGIR 2011) over the segments lexical_segments.h writes, scored exactly as
// FTS5's bm25(): k1 = 1.2, b = 0.75, idf = log((N - n + 0.5) / (n + 0.5)) floored at 1e-6,
// N and the average length over live chunks, n = live chunks holding the term. Per-term
// contributions are summed in query-word order, as FTS5 sums its phrases, so both indexes
// give bit-identical scores on the same KB; ties go to the smaller chunk id.
//
// Query analysis is FTS5's: the words of store::query_words, each tokenized by `porter
// lore_en`; two words with the same stem count twice, as two FTS5 phrases do. One deviation:
// a "word" the tokenizer splits into several terms (non-ASCII punctuation inside it) is a
// phrase for FTS5 and an OR of its terms here (the index keeps no positions).
//
// Each search runs in one read transaction (the caller's, or its own) and reads only the
// posting lists of the query terms. The segment list and tombstones are cached per
// lex_stats.generation. While a migrated KB waits for its rebuild, searches go to FTS5.
//
// Thread safety: borrows one connection; one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "lore/result.h"

#include "retrieve/lexical_index.h"
#include "retrieve/term_analyzer.h"
#include "store/sqlite.h"

namespace lore::retrieve {

class Bm25Index final : public LexicalIndex {
public:
    // `db` must outlive the index and have the lore_en tokenizer registered (Store::open).
    static Result<std::unique_ptr<Bm25Index>> create(store::Db& db);

    ~Bm25Index() override;
    Bm25Index(const Bm25Index&) = delete;
    Bm25Index& operator=(const Bm25Index&) = delete;

    // Fails with kCorruption naming the term and segment when a posting list is damaged.
    Result<std::vector<ScoredChunk>> search(std::string_view query, int top_k) override;

    std::string_view name() const override { return "lore"; }

    struct Cursor;
    struct State;

private:
    explicit Bm25Index(store::Db& db);

    Result<std::vector<ScoredChunk>> search_locked(std::string_view query, int top_k);

    store::Db& db_;
    std::unique_ptr<State> state_;
};

}  // namespace lore::retrieve
