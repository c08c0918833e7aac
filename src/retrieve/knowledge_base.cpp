// KnowledgeBase (include/lore/kb.h): the store plus the retrievers. Every search runs in one
// read transaction, so it sees one committed state of the KB even while another process
// ingests.
#include <algorithm>
#include <system_error>
#include <unordered_set>

#include "lore/kb.h"

#include "retrieve/bm25_index.h"
#include "retrieve/dense_index.h"
#include "retrieve/fusion.h"
#include "retrieve/lexical_index.h"
#include "retrieve/lexical_segments.h"
#include "retrieve/snippet.h"
#include "store/ingest.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/text_analysis.h"

namespace lore {

Status parse_search_mode(std::string_view text, SearchMode& out) {
    if (text == "bm25") {
        out = SearchMode::kBm25;
    } else if (text == "dense") {
        out = SearchMode::kDense;
    } else if (text == "hybrid") {
        out = SearchMode::kHybrid;
    } else {
        return Status::invalid_argument("search: unknown mode '" + std::string(text) +
                                        "' (expected bm25, dense or hybrid)");
    }
    return Status::ok();
}

namespace {

// Embeds chunks in batches of this many texts.
constexpr std::size_t kEmbedBatch = 32;

std::string collapse_whitespace(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    bool pending_space = false;
    for (char c : text) {
        if (c == ' ' || c == '\n' || c == '\t' || c == '\r' || c == '\f') {
            pending_space = !out.empty();
        } else {
            if (pending_space) {
                out += ' ';
                pending_space = false;
            }
            out += c;
        }
    }
    return out;
}

std::string leading_words(std::string_view text, int n_words) {
    const std::string collapsed = collapse_whitespace(text);
    std::size_t pos = 0;
    for (int word_idx = 0; word_idx < n_words && pos != std::string::npos; ++word_idx) {
        pos = collapsed.find(' ', pos + 1);
    }
    if (pos == std::string::npos) {
        return collapsed;
    }
    return collapsed.substr(0, pos) + "…";
}

}  // namespace

class KnowledgeBase::Impl {
public:
    explicit Impl(std::unique_ptr<store::Store> store)
        : store_(std::move(store)),
          fts5_(std::make_unique<retrieve::Fts5Index>(store_->db())),
          dense_(*store_) {}

    ~Impl() { store_->set_chunk_observer(nullptr); }

    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;

    // lore's lexical index: the writer sees every chunk write inside the store's transactions;
    // a KB migrated from schema v2 is indexed here, once.
    Status open_lexical() {
        LORE_ASSIGN_OR_RETURN(lexical_writer_, retrieve::LexicalWriter::create(store_->db()));
        store_->set_chunk_observer(lexical_writer_.get());
        LORE_RETURN_IF_ERROR(lexical_writer_->rebuild_if_needed());
        LORE_ASSIGN_OR_RETURN(lexical_, retrieve::Bm25Index::create(store_->db()));
        return Status::ok();
    }

    store::Store& store() { return *store_; }

    // Tiered merges run after the ingest's own transactions, each in its own transaction.
    Result<IngestSummary> ingest(std::span<const std::string> paths,
                                 const IngestOptions& options,
                                 const IngestProgressFn& progress) {
        store::Ingester ingester(*store_, options, progress, embed_fn(), embedding_model());
        Result<IngestSummary> summary = ingester.ingest_paths(paths);
        const Status merged = lexical_writer_->merge().status();
        if (!summary.has_value()) {
            return summary;
        }
        LORE_RETURN_IF_ERROR(merged);
        return summary;
    }

    Result<IngestSummary> ingest_stream(std::string_view bytes,
                                        std::string_view name,
                                        const IngestOptions& options) {
        store::Ingester ingester(*store_, options, {}, embed_fn(), embedding_model());
        Result<IngestSummary> summary = ingester.ingest_stream(bytes, name);
        const Status merged = lexical_writer_->merge().status();
        if (!summary.has_value()) {
            return summary;
        }
        LORE_RETURN_IF_ERROR(merged);
        return summary;
    }

    Status optimize() { return lexical_writer_->optimize(); }

    Result<std::int64_t> remove_source(std::string_view path) {
        LORE_ASSIGN_OR_RETURN(std::int64_t n_removed, store_->remove_source(path));
        LORE_RETURN_IF_ERROR(lexical_writer_->merge().status());
        return n_removed;
    }

    void set_embedder(std::shared_ptr<Embedder> embedder) { embedder_ = std::move(embedder); }

    Result<std::vector<SearchHit>> search(std::string_view query, const SearchOptions& options) {
        if (options.mode == SearchMode::kBm25) {
            LORE_ASSIGN_OR_RETURN(store::Transaction txn,
                                  store::Transaction::begin_read(store_->db()));
            LORE_ASSIGN_OR_RETURN(retrieve::LexicalIndex * index, lexical_index(options));
            LORE_ASSIGN_OR_RETURN(std::vector<retrieve::ScoredChunk> lexical,
                                  index->search(query, options.top_k));
            std::vector<Ranked> ranked;
            for (std::size_t idx = 0; idx < lexical.size(); ++idx) {
                ranked.push_back(
                    {lexical[idx].chunk_id, lexical[idx].score, static_cast<int>(idx) + 1, 0});
            }
            LORE_ASSIGN_OR_RETURN(std::vector<SearchHit> hits, materialize(ranked, query, options));
            LORE_RETURN_IF_ERROR(txn.commit());
            return hits;
        }
        if (!embedder_) {
            return Status::invalid_argument(
                "search: mode '" +
                std::string(options.mode == SearchMode::kDense ? "dense" : "hybrid") +
                "' needs an embedding model, and none is set");
        }
        std::vector<float> vector(static_cast<std::size_t>(std::max(embedder_->dim(), 0)));
        const std::string_view texts[] = {query};
        LORE_RETURN_IF_ERROR(embedder_->embed(texts, vector));
        return search_vector(vector, query, options);
    }

    Result<std::vector<SearchHit>> search_vector(std::span<const float> query_vector,
                                                 std::string_view query_text,
                                                 const SearchOptions& options) {
        LORE_ASSIGN_OR_RETURN(store::Transaction txn, store::Transaction::begin_read(store_->db()));
        retrieve::DenseIndexOptions dense_options;
        dense_options.flat_threshold = options.flat_threshold;
        dense_options.hnsw.ef_search = options.hnsw_ef;
        LORE_ASSIGN_OR_RETURN(const retrieve::VectorIndex* index, dense_.get(dense_options));
        if (index != nullptr && static_cast<std::size_t>(index->dim()) != query_vector.size()) {
            return Status::invalid_argument(
                "search: query vector has dim " + std::to_string(query_vector.size()) +
                ", the kb's embeddings have dim " + std::to_string(index->dim()));
        }
        const int n_candidates = options.mode == SearchMode::kHybrid
                                     ? std::max(options.top_k, options.n_candidates)
                                     : options.top_k;
        std::vector<retrieve::ScoredChunk> dense;
        if (index != nullptr) {
            dense = index->search(query_vector, n_candidates);
        }
        std::vector<Ranked> ranked;
        if (options.mode == SearchMode::kHybrid) {
            LORE_ASSIGN_OR_RETURN(retrieve::LexicalIndex * lexical_index_used,
                                  lexical_index(options));
            LORE_ASSIGN_OR_RETURN(std::vector<retrieve::ScoredChunk> lexical,
                                  lexical_index_used->search(query_text, n_candidates));
            const std::vector<retrieve::ScoredChunk> lists[] = {lexical, dense};
            const double weights[] = {options.weight_bm25, options.weight_dense};
            for (const retrieve::FusedChunk& fused :
                 retrieve::reciprocal_rank_fusion(lists, weights, options.rrf_k, options.top_k)) {
                ranked.push_back({fused.chunk_id, fused.score, fused.ranks[0], fused.ranks[1]});
            }
        } else {
            for (std::size_t idx = 0; idx < dense.size(); ++idx) {
                ranked.push_back(
                    {dense[idx].chunk_id, dense[idx].score, 0, static_cast<int>(idx) + 1});
            }
        }
        LORE_ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                              materialize(ranked, query_text, options));
        LORE_RETURN_IF_ERROR(txn.commit());
        return hits;
    }

    Result<KbStats> stats() {
        KbStats stats;
        LORE_ASSIGN_OR_RETURN(store::StoreCounts counts, store_->counts());
        stats.n_sources = counts.n_sources;
        stats.n_documents = counts.n_documents;
        stats.n_chunks = counts.n_chunks;
        stats.n_embeddings = counts.n_embeddings;
        LORE_ASSIGN_OR_RETURN(stats.schema_version,
                              store_->db().query_int64("PRAGMA user_version"));
        LORE_ASSIGN_OR_RETURN(auto model, store_->embedding_model());
        stats.embedding_model = model.first;
        stats.embedding_dim = model.second;
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(store_->dir(), ec)) {
            if (entry.is_regular_file(ec)) {
                stats.size_bytes += entry.file_size(ec);
            }
        }
        return stats;
    }

private:
    struct Ranked {
        std::int64_t chunk_id = 0;
        double score = 0.0;
        int rank_bm25 = 0;
        int rank_dense = 0;
    };

    std::string embedding_model() const { return embedder_ ? embedder_->model_id() : ""; }

    Result<retrieve::LexicalIndex*> lexical_index(const SearchOptions& options) {
        if (options.lexical_engine == LexicalEngine::kFts5) {
            if (!store_->keeps_fts5()) {
                return Status::invalid_argument("search: kb " + store_->dir().string() +
                                                " keeps no FTS5 index (engine fts5); build it "
                                                "with `lore kb fts5 --kb DIR on`, or use the "
                                                "lore engine");
            }
            return fts5_.get();
        }
        return lexical_.get();
    }

    store::EmbedChunksFn embed_fn() {
        if (!embedder_) {
            return {};
        }
        return [embedder = embedder_](std::vector<store::DocumentRecord>& documents) -> Status {
            const auto dim = static_cast<std::size_t>(std::max(embedder->dim(), 0));
            std::vector<store::ChunkRecord*> pending;
            for (store::DocumentRecord& doc : documents) {
                for (store::ChunkRecord& chunk : doc.chunks) {
                    pending.push_back(&chunk);
                }
            }
            std::vector<std::string_view> texts;
            std::vector<float> out;
            for (std::size_t begin = 0; begin < pending.size(); begin += kEmbedBatch) {
                const std::size_t end = std::min(pending.size(), begin + kEmbedBatch);
                texts.clear();
                for (std::size_t idx = begin; idx < end; ++idx) {
                    texts.push_back(pending[idx]->text);
                }
                out.assign(texts.size() * dim, 0.0f);
                LORE_RETURN_IF_ERROR(embedder->embed(texts, out));
                for (std::size_t idx = begin; idx < end; ++idx) {
                    const auto row = static_cast<std::ptrdiff_t>((idx - begin) * dim);
                    pending[idx]->embedding.assign(
                        out.begin() + row, out.begin() + row + static_cast<std::ptrdiff_t>(dim));
                }
            }
            return Status::ok();
        };
    }

    Result<std::vector<SearchHit>> materialize(const std::vector<Ranked>& ranked,
                                               std::string_view query,
                                               const SearchOptions& options) {
        std::vector<std::int64_t> ids;
        ids.reserve(ranked.size());
        for (const Ranked& r : ranked) {
            ids.push_back(r.chunk_id);
        }
        LORE_ASSIGN_OR_RETURN(std::vector<store::ChunkRow> rows, store_->chunks_by_id(ids));
        std::vector<std::string> terms;
        LORE_RETURN_IF_ERROR(store::fts_terms(store_->db().handle(), query, terms));
        const std::unordered_set<std::string> query_terms(terms.begin(), terms.end());
        retrieve::SnippetOptions snippet_options;
        snippet_options.mark_begin = options.mark_begin;
        snippet_options.mark_end = options.mark_end;
        snippet_options.n_terms = options.snippet_tokens;
        std::vector<SearchHit> hits;
        std::size_t row_idx = 0;
        for (const Ranked& r : ranked) {
            if (row_idx >= rows.size() || rows[row_idx].id != r.chunk_id) {
                continue;  // an index entry without its chunk: skip, never invent
            }
            store::ChunkRow& row = rows[row_idx++];
            SearchHit hit;
            hit.chunk_id = r.chunk_id;
            hit.score = r.score;
            hit.rank_bm25 = r.rank_bm25;
            hit.rank_dense = r.rank_dense;
            hit.source = std::move(row.source);
            hit.document_key = std::move(row.document_key);
            hit.title = std::move(row.title);
            hit.section = std::move(row.section);
            hit.page = row.page;
            hit.byte_begin = row.byte_begin;
            hit.byte_end = row.byte_end;
            LORE_ASSIGN_OR_RETURN(
                hit.snippet, retrieve::make_snippet(store_->db().handle(), row.text, query_terms,
                                                    snippet_options));
            if (hit.snippet.empty()) {
                hit.snippet = leading_words(row.text, options.snippet_tokens);
            }
            hit.text = std::move(row.text);
            hits.push_back(std::move(hit));
        }
        return hits;
    }

    std::unique_ptr<store::Store> store_;
    std::unique_ptr<retrieve::LexicalWriter> lexical_writer_;
    std::unique_ptr<retrieve::LexicalIndex> lexical_;
    std::unique_ptr<retrieve::LexicalIndex> fts5_;
    retrieve::DenseIndex dense_;
    std::shared_ptr<Embedder> embedder_;
};

KnowledgeBase::KnowledgeBase(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

KnowledgeBase::~KnowledgeBase() = default;

Result<std::unique_ptr<KnowledgeBase>> KnowledgeBase::open(const std::filesystem::path& dir,
                                                           const KbOpenOptions& options) {
    store::StoreOptions store_options;
    store_options.create_if_missing = options.create_if_missing;
    store_options.fts5 = options.fts5;
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<store::Store> store,
                          store::Store::open(dir, store_options));
    auto impl = std::make_unique<Impl>(std::move(store));
    LORE_RETURN_IF_ERROR(impl->open_lexical());
    return std::unique_ptr<KnowledgeBase>(new KnowledgeBase(std::move(impl)));
}

Status KnowledgeBase::optimize() {
    return impl_->optimize();
}

Status KnowledgeBase::set_fts5(bool keep) {
    return impl_->store().set_keeps_fts5(keep);
}

bool KnowledgeBase::keeps_fts5() const {
    return impl_->store().keeps_fts5();
}

Result<IngestSummary> KnowledgeBase::ingest(std::span<const std::string> paths,
                                            const IngestOptions& options,
                                            const IngestProgressFn& progress) {
    return impl_->ingest(paths, options, progress);
}

Result<IngestSummary> KnowledgeBase::ingest_jsonl_stream(std::string_view bytes,
                                                         std::string_view name,
                                                         const IngestOptions& options) {
    return impl_->ingest_stream(bytes, name, options);
}

Result<KbStats> KnowledgeBase::stats() {
    return impl_->stats();
}

Result<std::vector<DocumentInfo>> KnowledgeBase::list_documents() {
    LORE_ASSIGN_OR_RETURN(std::vector<store::DocumentRow> rows, impl_->store().list_documents());
    std::vector<DocumentInfo> out;
    out.reserve(rows.size());
    for (store::DocumentRow& row : rows) {
        out.push_back({row.id, std::move(row.source), std::move(row.key), std::move(row.title),
                       std::move(row.content_hash), row.n_chunks});
    }
    return out;
}

Result<std::int64_t> KnowledgeBase::remove_source(std::string_view path) {
    return impl_->remove_source(path);
}

void KnowledgeBase::set_embedder(std::shared_ptr<Embedder> embedder) {
    impl_->set_embedder(std::move(embedder));
}

Result<std::vector<SearchHit>> KnowledgeBase::search(std::string_view query,
                                                     const SearchOptions& options) {
    return impl_->search(query, options);
}

Result<std::vector<SearchHit>> KnowledgeBase::search_vector(std::span<const float> query_vector,
                                                            std::string_view query_text,
                                                            const SearchOptions& options) {
    return impl_->search_vector(query_vector, query_text, options);
}

Status KnowledgeBase::put_embeddings(std::span<const std::int64_t> chunk_ids,
                                     std::span<const float> vectors,
                                     int dim,
                                     std::string_view model_id) {
    return impl_->store().put_embeddings(chunk_ids, vectors, dim, model_id);
}

Result<std::vector<std::int64_t>> KnowledgeBase::chunk_ids() {
    return impl_->store().chunk_ids();
}

}  // namespace lore
