// Search over a knowledge base: modes, options, hits, and the Embedder interface through which
// the engine computes dense vectors. The KB (kb.h) runs searches; this header only holds the
// vocabulary shared by the KB, the server and the retrieval controller.
//
// Thread safety: plain value types, except Embedder (see its comment).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "lore/status.h"

namespace lore {

enum class SearchMode {
    kBm25,    // lexical: Okapi BM25 over stemmed, stop-word-free terms
    kDense,   // cosine similarity of embeddings (exact for small KBs, HNSW otherwise)
    kHybrid,  // reciprocal-rank fusion of the BM25 and dense lists
};

// Which index answers lexical (BM25) searches; both rank identically up to ties.
enum class LexicalEngine {
    kLore,  // lore's own index in the KB database: block-max WAND, fast on large KBs
    kFts5,  // SQLite FTS5's bm25(): scores every matching chunk (the slow twin, for comparison)
};

// Parses "bm25", "dense" or "hybrid"; kInvalidArgument otherwise.
Status parse_search_mode(std::string_view text, SearchMode& out);

struct SearchOptions {
    SearchMode mode = SearchMode::kBm25;
    // Index behind bm25 and the lexical half of hybrid.
    LexicalEngine lexical_engine = LexicalEngine::kLore;
    // Number of hits returned, best first.
    int top_k = 10;
    // Hybrid: each list contributes its best max(top_k, n_candidates) chunks to the fusion.
    int n_candidates = 50;
    // Reciprocal-rank fusion: score = sum over lists of weight / (rrf_k + rank), rank from 1.
    double rrf_k = 60.0;
    double weight_bm25 = 1.0;
    double weight_dense = 1.0;
    // Dense: HNSW search breadth (ef); higher is slower and more exact. 128 gives recall@10
    // 0.9885 on 20k structured 384-d vectors (tests/retrieve/hnsw_recall_test.cpp); 64 gives
    // 0.94, 200 gives 0.997.
    int hnsw_ef = 128;
    // Dense: KBs with fewer embeddings than this are searched exactly (flat scan). Measured
    // crossover for 384-d vectors (bench/retrieve, flat vs HNSW at ef=128): flat is faster up
    // to 5k vectors, HNSW from 10k on.
    std::int64_t flat_threshold = 10000;
    // Markers put around query terms in snippets.
    std::string mark_begin = "**";
    std::string mark_end = "**";
    // Snippet length in indexed terms (stop words in between are shown, not counted).
    int snippet_tokens = 24;
};

// One ranked chunk with enough provenance for a citation a person can open and find.
struct SearchHit {
    std::int64_t chunk_id = 0;
    // Higher is better. bm25: BM25 score; dense: cosine; hybrid: fused RRF score.
    double score = 0.0;
    // 1-based rank in each list (0 when the chunk was not in that list).
    int rank_bm25 = 0;
    int rank_dense = 0;
    std::string source;        // file path (or stream name) the chunk came from
    std::string document_key;  // record id for JSONL, "" for whole files
    std::string title;         // document title, "" when unknown
    std::string section;       // heading the chunk sits under, "" when none
    std::int32_t page = 0;     // 1-based page for PDFs, 0 otherwise
    // Byte range of the chunk in the source (see docs/formats/kb.md for each format).
    std::uint64_t byte_begin = 0;
    std::uint64_t byte_end = 0;
    std::string text;     // the chunk's text
    std::string snippet;  // a short excerpt with query terms between the marks
};

// Computes embeddings. Implemented by the engine (a GGUF embedding model) and by tests.
// Vectors must be L2-normalised; the KB compares them by inner product.
// Thread safety: an implementation says; the KB calls it from one thread at a time.
class Embedder {
public:
    virtual ~Embedder() = default;

    // Identifies the model; the KB refuses to mix vectors of different models.
    virtual std::string model_id() const = 0;

    // Vector length.
    virtual int dim() const = 0;

    // Embeds `texts` into `out`, row-major [texts.size(), dim()].
    // REQUIRES: out.size() == texts.size() * dim().
    virtual Status embed(std::span<const std::string_view> texts, std::span<float> out) = 0;
};

}  // namespace lore
