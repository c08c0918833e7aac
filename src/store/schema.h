// The KB's SQLite schema and its migrations. The schema version is SQLite's `user_version`;
// migration N takes a database from version N-1 to N inside one transaction. A fresh KB runs
// every migration from 0. Tables (docs/formats/kb.md has the full description):
//
//   kb_meta(key, value)                 embedding model and dim, vectors_generation, the
//                                       highest chunk id ever used (ids are never reused)
//   sources(id, path, kind, ...)        one per ingested file or stream, with its SHA-256
//   documents(id, source_id, doc_key,   one per file, or per record of a JSONL file; its
//     content_hash, first_chunk_id,     chunks are the ids [first_chunk_id, first_chunk_id +
//     n_chunks, title, metadata)        n_chunks), written contiguously in one transaction
//   chunks(id, document_id, text, ...)  text, byte range in the source, page, section title
//   chunks_fts                          FTS5 over chunks.text (external content, porter lore_en)
//   embeddings(chunk_id, vector)        (v2) one little-endian f32 vector per chunk
//   lex_segments, lex_postings,         (v3) lore's own BM25 index: immutable segments of
//     lex_tombstones, lex_stats         posting lists, deleted chunk ids, corpus statistics
//
// There are no foreign keys: rows are deleted explicitly (Store::delete_document) by id
// range, which needs no index on chunks.document_id and keeps the KB small (the size budget
// is 25 % over a bare FTS5 table). Invariants: chunks_fts indexes exactly the rows of chunks
// (Store writes both in one transaction); every chunk and embedding belongs to a live
// document.
#pragma once

#include <cstdint>

#include "lore/status.h"

#include "store/sqlite.h"

namespace lore::store {

inline constexpr std::int64_t kSchemaVersion = 3;

// Brings `db` to `target_version` (kSchemaVersion by default), one transaction per migration.
// Fails with kUnsupported when the database is newer than this lore understands, and with
// kCorruption when the version is negative. REQUIRES: the lore_en tokenizer is registered.
Status migrate_schema(Db& db, std::int64_t target_version = kSchemaVersion);

}  // namespace lore::store
