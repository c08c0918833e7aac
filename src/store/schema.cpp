// Migrations, oldest first. Never edit a migration that has shipped: add a new one.
#include "store/schema.h"

#include <array>
#include <string>
#include <string_view>

namespace lore::store {
namespace {

// Version 1: documents, chunks and their FTS5 index. The Store writes chunks_fts itself, in
// the same transaction as chunks: a trigger would make every INSERT a multi-row statement with
// a savepoint, and FTS5 flushes its pending terms at each savepoint (measured: 5x slower
// ingest than plain inserts).
constexpr std::string_view kMigration1 = R"sql(
CREATE TABLE kb_meta(key TEXT PRIMARY KEY, value NOT NULL);
INSERT INTO kb_meta(key, value) VALUES ('chunk_id_high_water', 0);
CREATE TABLE sources(
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ingested_at_s INTEGER NOT NULL);
CREATE TABLE documents(
    id INTEGER PRIMARY KEY,
    source_id INTEGER NOT NULL,
    doc_key TEXT NOT NULL,
    content_hash INTEGER NOT NULL,
    first_chunk_id INTEGER NOT NULL,
    n_chunks INTEGER NOT NULL,
    title TEXT,
    metadata TEXT);
CREATE INDEX documents_by_source ON documents(source_id);
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL,
    text TEXT NOT NULL,
    byte_begin INTEGER NOT NULL,
    byte_end INTEGER NOT NULL,
    page INTEGER NOT NULL,
    section TEXT NOT NULL);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    text, content='chunks', content_rowid='id', tokenize='porter lore_en');
)sql";

// Version 2: embeddings, and a generation counter that vector-index files compare with to
// know whether they are stale.
constexpr std::string_view kMigration2 = R"sql(
CREATE TABLE embeddings(chunk_id INTEGER PRIMARY KEY, vector BLOB NOT NULL);
INSERT INTO kb_meta(key, value) VALUES ('vectors_generation', 0);
CREATE TRIGGER embeddings_generation_insert AFTER INSERT ON embeddings BEGIN
    UPDATE kb_meta SET value = value + 1 WHERE key = 'vectors_generation';
END;
CREATE TRIGGER embeddings_generation_update AFTER UPDATE ON embeddings BEGIN
    UPDATE kb_meta SET value = value + 1 WHERE key = 'vectors_generation';
END;
CREATE TRIGGER embeddings_generation_delete AFTER DELETE ON embeddings BEGIN
    UPDATE kb_meta SET value = value + 1 WHERE key = 'vectors_generation';
END;
)sql";

// Version 3: lore's own lexical index (issue 5; retrieve/lexical_segments.h writes it). A KB
// that already has chunks is marked for a rebuild, which the KnowledgeBase runs on open in its
// own transaction (tokenizing needs the retrieve layer, which the store cannot call).
constexpr std::string_view kMigration3 = R"sql(
CREATE TABLE lex_segments(
    id INTEGER PRIMARY KEY,
    n_docs INTEGER NOT NULL,
    first_chunk_id INTEGER NOT NULL,
    last_chunk_id INTEGER NOT NULL,
    total_len INTEGER NOT NULL,
    doc_lengths BLOB NOT NULL);
CREATE TABLE lex_postings(
    segment_id INTEGER NOT NULL,
    term TEXT NOT NULL,
    postings BLOB NOT NULL,
    PRIMARY KEY(segment_id, term)) WITHOUT ROWID;
CREATE TABLE lex_tombstones(chunk_id INTEGER PRIMARY KEY);
CREATE TABLE lex_stats(
    id INTEGER PRIMARY KEY CHECK (id = 0),
    n_docs INTEGER NOT NULL,
    total_len INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    rebuild_needed INTEGER NOT NULL);
INSERT INTO lex_stats(id, n_docs, total_len, generation, rebuild_needed)
    VALUES (0, 0, 0, 0, EXISTS (SELECT 1 FROM chunks));
)sql";

constexpr std::array<std::string_view, kSchemaVersion> kMigrations = {kMigration1, kMigration2,
                                                                      kMigration3};

}  // namespace

Status migrate_schema(Db& db, std::int64_t target_version) {
    LORE_ASSIGN_OR_RETURN(std::int64_t version, db.query_int64("PRAGMA user_version"));
    if (version > kSchemaVersion) {
        return Status::unsupported("store: kb " + db.path().string() + " has schema version " +
                                   std::to_string(version) + ", newer than this lore supports (" +
                                   std::to_string(kSchemaVersion) + "); upgrade lore");
    }
    if (version < 0) {
        return Status::corruption("store: kb " + db.path().string() +
                                  " has invalid schema version " + std::to_string(version));
    }
    while (version < target_version) {
        LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_write(db));
        // Re-read under the write lock: another process may have migrated meanwhile.
        LORE_ASSIGN_OR_RETURN(version, db.query_int64("PRAGMA user_version"));
        if (version >= target_version) {
            break;
        }
        LORE_RETURN_IF_ERROR(db.exec(kMigrations[static_cast<std::size_t>(version)]));
        LORE_RETURN_IF_ERROR(db.exec("PRAGMA user_version = " + std::to_string(version + 1)));
        LORE_RETURN_IF_ERROR(txn.commit());
        ++version;
    }
    return Status::ok();
}

}  // namespace lore::store
