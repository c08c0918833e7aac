// The knowledge base (KB): a directory holding a SQLite database (WAL) of documents, chunks,
// metadata and embeddings, plus vector-index files that are always rebuildable from SQLite.
// Ingest is incremental (an unchanged file costs a stat, a changed one has its chunks replaced)
// and transactional (one transaction per file: a kill leaves it as before or as after).
// Searches see a consistent snapshot while another process ingests. Format: docs/formats/kb.md.
//
// Thread safety: a KnowledgeBase is one connection; use it from one thread at a time. Open one
// per thread or process; SQLite's WAL lets many readers and one writer work at once.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/result.h"
#include "lore/search.h"

namespace lore {

// Counts tokens for chunking. The default counts words (whitespace-separated runs); the engine
// plugs in its tokenizer so chunk sizes are in the embedding model's tokens.
// Thread safety: count_tokens is const and may be called from several threads.
class TokenCounter {
public:
    virtual ~TokenCounter() = default;
    virtual std::size_t count_tokens(std::string_view text) const = 0;
};

struct IngestOptions {
    // Target chunk size in tokens (words without a token counter); sentences are not split
    // unless one alone is longer.
    std::size_t chunk_tokens = 200;
    // Tokens of whole sentences repeated at the start of the next chunk.
    std::size_t overlap_tokens = 40;
    // Directory walks: keep files matching any of these globs (all supported formats if
    // empty) and drop files matching any exclude glob. A glob matches the file name or the
    // path relative to the walked root (fnmatch). Files named explicitly are always taken.
    std::vector<std::string> include_globs;
    std::vector<std::string> exclude_globs;
    // Remove documents whose source files no longer exist.
    bool sync = false;
    // Any skipped file or record makes the ingest fail (files already ingested stay).
    bool strict = false;
    // JSONL: the field holding the text and the one holding the record id (the line number
    // when absent). Other fields are kept as metadata.
    std::string text_field = "text";
    std::string id_field = "id";
    // Not owned; must outlive the ingest. Null: words.
    const TokenCounter* token_counter = nullptr;
};

struct IngestProgress {
    std::size_t n_files_done = 0;
    std::size_t n_files_total = 0;
    std::size_t n_chunks = 0;
    double elapsed_s = 0.0;
    std::string current_path;
};

using IngestProgressFn = std::function<void(const IngestProgress&)>;

struct SkippedInput {
    std::string path;    // file, or "file:line" for a JSONL record
    std::string reason;  // the Status message
};

struct IngestSummary {
    std::size_t n_files_added = 0;      // new files
    std::size_t n_files_updated = 0;    // changed files, chunks replaced
    std::size_t n_files_unchanged = 0;  // same content: nothing written
    std::size_t n_files_skipped = 0;    // unknown, binary, unreadable, badly encoded
    std::size_t n_records_skipped = 0;  // malformed JSONL records in ingested files
    std::size_t n_documents_removed = 0;
    std::size_t n_chunks_added = 0;
    std::size_t n_chunks_removed = 0;
    std::vector<SkippedInput> skipped;
    double elapsed_s = 0.0;
};

struct KbStats {
    std::int64_t schema_version = 0;
    std::int64_t n_sources = 0;
    std::int64_t n_documents = 0;
    std::int64_t n_chunks = 0;
    std::int64_t n_embeddings = 0;
    std::string embedding_model;  // "" when none
    std::int64_t embedding_dim = 0;
    std::uint64_t size_bytes = 0;  // database, WAL and index files
};

struct DocumentInfo {
    std::int64_t document_id = 0;
    std::string source;
    std::string document_key;
    std::string title;
    std::string content_hash;  // hex SHA-256 of the document's bytes
    std::int64_t n_chunks = 0;
};

struct KbOpenOptions {
    // Create the directory and database when missing.
    bool create_if_missing = true;
    // For a new KB: also keep SQLite FTS5's index of the chunks, the slow twin of lore's own
    // lexical index (`lore search --engine fts5`). It roughly doubles the cost of an ingest. An
    // existing KB keeps its setting; set_fts5 changes it.
    bool fts5 = false;
};

class KnowledgeBase {
public:
    // Opens (creating if asked) the KB in `dir` and migrates an older schema. Fails with
    // kUnsupported for a KB written by a newer lore, kNotFound when missing and not created,
    // kCorruption when the database is damaged.
    static Result<std::unique_ptr<KnowledgeBase>> open(const std::filesystem::path& dir,
                                                       const KbOpenOptions& options = {});

    ~KnowledgeBase();
    KnowledgeBase(const KnowledgeBase&) = delete;
    KnowledgeBase& operator=(const KnowledgeBase&) = delete;

    // Ingests files and folders (recursively, hidden entries skipped). Each file is one
    // transaction. Bad inputs are reported in the summary and skipped, unless options.strict.
    Result<IngestSummary> ingest(std::span<const std::string> paths,
                                 const IngestOptions& options,
                                 const IngestProgressFn& progress = {});

    // Ingests JSONL `bytes` read from a stream (standard input) under the source name `name`
    // in one transaction. Records are added or replaced by id; none are removed.
    Result<IngestSummary> ingest_jsonl_stream(std::string_view bytes,
                                              std::string_view name,
                                              const IngestOptions& options);

    Result<KbStats> stats();
    Result<std::vector<DocumentInfo>> list_documents();
    // Removes the source with this path (as listed by list_documents) and its documents;
    // returns the number of documents removed (0 when there was no such source).
    Result<std::int64_t> remove_source(std::string_view path);

    // Merges the lexical index's segments into one and drops the postings of deleted chunks
    // (each ingest already runs the cheaper tiered merges). One write transaction.
    Status optimize();

    // Builds FTS5's index of every chunk (true) or drops it (false), in one transaction; later
    // ingests keep to the choice. KBs made before lore 0.2 keep FTS5's index.
    Status set_fts5(bool keep);
    bool keeps_fts5() const;

    // Uses `embedder` to embed new chunks at ingest and queries in dense and hybrid search.
    void set_embedder(std::shared_ptr<Embedder> embedder);

    // Ranked chunks for `query`. Dense and hybrid need an embedder (kInvalidArgument without).
    Result<std::vector<SearchHit>> search(std::string_view query, const SearchOptions& options);

    // Dense search with a query vector supplied by the caller; `query_text` only marks
    // snippets ("" for none).
    Result<std::vector<SearchHit>> search_vector(std::span<const float> query_vector,
                                                 std::string_view query_text,
                                                 const SearchOptions& options);

    // Stores embeddings for chunks: `vectors` is row-major [chunk_ids.size(), dim], normalised.
    // All vectors in a KB share one model and dim; a mismatch is kInvalidArgument.
    Status put_embeddings(std::span<const std::int64_t> chunk_ids,
                          std::span<const float> vectors,
                          int dim,
                          std::string_view model_id);

    // Ids of every chunk, ascending (for callers that embed chunks themselves).
    Result<std::vector<std::int64_t>> chunk_ids();

    class Impl;

private:
    explicit KnowledgeBase(std::unique_ptr<Impl> impl);

    std::unique_ptr<Impl> impl_;
};

}  // namespace lore
