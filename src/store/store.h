// Store: the KB directory and its SQLite database. It owns the schema (schema.h), writes
// sources, documents, chunks and embeddings, and answers the listing queries. Every write of
// one source is one transaction (replace_source), so a kill leaves it entirely before or after.
//
// Directory layout: DIR/kb.sqlite (+ -wal, -shm), DIR/dense.hnsw and DIR/dense.hnsw.meta
// (vector index, rebuildable; see retrieve/dense_index.h).
//
// Thread safety: one Store is one connection; use it from one thread at a time. Several
// processes may open the same KB: one writes at a time, readers see committed snapshots.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lore/result.h"

#include "store/sqlite.h"

namespace lore::store {

inline constexpr std::string_view kDatabaseFileName = "kb.sqlite";

struct StoreOptions {
    bool create_if_missing = true;
    // Whether a new KB also keeps SQLite FTS5's index of the chunks (the slow twin of lore's
    // own lexical index). Recorded in the KB on first open; an existing KB keeps its setting.
    bool fts5 = false;
};

struct ChunkRecord {
    std::string text;
    std::uint64_t byte_begin = 0;  // range in the source, see docs/formats/kb.md
    std::uint64_t byte_end = 0;
    std::int32_t page = 0;  // 1-based for PDFs, 0 otherwise
    std::string section;
    std::vector<float> embedding;  // empty: none
};

struct DocumentRecord {
    std::string key;           // "" for a whole file; the record id for JSONL
    std::string content_hash;  // hex SHA-256; documents keep its first 64 bits
    std::string title;
    std::string metadata_json = "{}";
    std::vector<ChunkRecord> chunks;
};

struct SourceRecord {
    std::string path;
    std::string kind;  // "txt", "md", "html", "jsonl", "pdf", "stream"
    std::string content_hash;
    std::uint64_t size_bytes = 0;
    std::int64_t mtime_ns = 0;
    // Streams only add or replace documents; files also drop documents they no longer have.
    bool is_stream = false;
    // Model of the chunks' embeddings, when they carry any.
    std::string embedding_model;
};

struct SourceRow {
    std::int64_t id = 0;
    std::string path;
    std::string kind;
    std::string content_hash;
    std::uint64_t size_bytes = 0;
    std::int64_t mtime_ns = 0;
};

struct DocumentRow {
    std::int64_t id = 0;
    std::string source;
    std::string key;
    std::string title;
    std::string content_hash;  // first 64 bits of the SHA-256, 16 hex digits
    std::int64_t n_chunks = 0;
};

struct ChunkRow {
    std::int64_t id = 0;
    std::string source;
    std::string document_key;
    std::string title;
    std::string text;
    std::uint64_t byte_begin = 0;
    std::uint64_t byte_end = 0;
    std::int32_t page = 0;
    std::string section;
};

struct ReplaceStats {
    std::size_t n_documents_added = 0;
    std::size_t n_documents_unchanged = 0;
    std::size_t n_documents_removed = 0;
    std::size_t n_chunks_added = 0;
    std::size_t n_chunks_removed = 0;
};

struct StoreCounts {
    std::int64_t n_sources = 0;
    std::int64_t n_documents = 0;
    std::int64_t n_chunks = 0;
    std::int64_t n_embeddings = 0;
};

// Sees every chunk write inside the write transaction that makes it, so an index stored in
// the same database (lore's own lexical index, issue 5) commits or rolls back with the chunks.
// A failing callback aborts the transaction. Thread safety: called on the Store's thread.
class ChunkObserver {
public:
    virtual ~ChunkObserver() = default;
    virtual Status on_chunk_added(std::int64_t chunk_id, std::string_view text) = 0;
    // Chunks [first_chunk_id, first_chunk_id + n_chunks) were deleted.
    virtual Status on_chunks_removed(std::int64_t first_chunk_id, std::int64_t n_chunks) = 0;
    // The transaction is about to commit (e.g. write the segment buffered so far).
    virtual Status on_before_commit() = 0;
};

// The documents of one source, handed to Store::replace_source a batch at a time, so that
// whatever makes them (parsing, chunking, embedding) can run on another thread while the
// write transaction inserts the batches before. Called on the Store's thread.
class DocumentBatches {
public:
    virtual ~DocumentBatches() = default;
    // The next batch (valid until the next call); an empty span ends the documents. An error
    // aborts the write, which then rolls back.
    virtual Result<std::span<const DocumentRecord>> next() = 0;
};

// The first 64 bits of a hex SHA-256 as a signed integer (documents.content_hash).
std::int64_t hash_prefix64(std::string_view hex_digest);

class Store {
public:
    // Opens DIR/kb.sqlite (WAL), registers the FTS tokenizer and migrates.
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& dir,
                                               const StoreOptions& options = {});

    Db& db() { return *db_; }

    // Registers an observer of chunk writes (not owned; must outlive the Store or be removed
    // by passing nullptr). One at a time.
    void set_chunk_observer(ChunkObserver* observer) { observer_ = observer; }

    const std::filesystem::path& dir() const { return dir_; }

    // Whether chunk writes also maintain chunks_fts (kb_meta 'fts5').
    bool keeps_fts5() const { return keeps_fts5_; }

    // Builds FTS5's index of every chunk (on) or empties it (off), in one transaction, and
    // records the setting for later ingests.
    Status set_keeps_fts5(bool keep);

    Result<std::optional<SourceRow>> find_source(std::string_view path);
    Result<std::vector<std::int64_t>> document_ids(std::int64_t source_id);

    // Content hashes (hash_prefix64) of the source's documents, by key.
    Result<std::vector<std::pair<std::string, std::int64_t>>> document_hashes(
        std::int64_t source_id);

    // In one transaction: upserts the source row and makes its documents `documents`.
    // A document whose key exists with the same content hash is kept as is (its chunks in
    // `documents` may be empty); others are replaced. Unless source.is_stream, documents of
    // the source absent from `documents` are removed.
    Result<ReplaceStats> replace_source(const SourceRecord& source,
                                        std::span<const DocumentRecord> documents);
    // As above, with the documents read from `batches` inside the transaction.
    Result<ReplaceStats> replace_source(const SourceRecord& source, DocumentBatches& batches);

    // Records a new mtime and size for an unchanged source (content hash equal).
    Status touch_source(std::int64_t source_id, std::int64_t mtime_ns, std::uint64_t size_bytes);

    // Removes a source and everything under it in one transaction; returns documents removed.
    Result<std::int64_t> remove_source(std::string_view path);

    Result<std::vector<SourceRow>> list_sources();
    Result<std::vector<DocumentRow>> list_documents();
    Result<StoreCounts> counts();
    Result<std::vector<std::int64_t>> chunk_ids();

    // Chunk rows with provenance, in the order of `ids`; missing ids are skipped.
    Result<std::vector<ChunkRow>> chunks_by_id(std::span<const std::int64_t> ids);

    // Embeddings. All vectors share one model and dim (kb_meta); a mismatch is an error.
    Status put_embeddings(std::span<const std::int64_t> chunk_ids,
                          std::span<const float> vectors,
                          int dim,
                          std::string_view model_id);
    // (model, dim), or ("", 0) when the KB has no embeddings yet.
    Result<std::pair<std::string, std::int64_t>> embedding_model();
    Result<std::int64_t> vectors_generation();
    // Every embedding: ids ascending and vectors row-major [ids.size(), dim].
    Status load_embeddings(std::vector<std::int64_t>& ids,
                           std::vector<float>& vectors,
                           std::int64_t& dim);

private:
    Store(std::unique_ptr<Db> db, std::filesystem::path dir)
        : db_(std::move(db)), dir_(std::move(dir)) {}

    Status insert_document(std::int64_t source_id,
                           const DocumentRecord& doc,
                           ReplaceStats& stats,
                           std::int64_t& next_chunk_id);
    // Deletes a document, its chunks and their embeddings; returns the number of chunks.
    Result<std::int64_t> delete_document(std::int64_t document_id);
    Status check_embedding_model(int dim, std::string_view model_id);
    Result<bool> read_fts5_setting(bool default_for_new_kb);
    Status write_fts5_setting(bool keep);
    // A prepared statement kept for the life of the connection (hot paths of an ingest).
    Result<Stmt*> cached(const char* sql);

    std::unique_ptr<Db> db_;
    std::filesystem::path dir_;
    std::unordered_map<const char*, Stmt> statements_;
    ChunkObserver* observer_ = nullptr;
    bool keeps_fts5_ = true;
};

}  // namespace lore::store
