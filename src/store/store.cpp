// Store: schema set-up and the SQL behind each operation. Writes of one source happen inside
// a single BEGIN IMMEDIATE transaction; readers use WAL snapshots.
#include "store/store.h"

#include <chrono>
#include <cstring>
#include <system_error>
#include <unordered_map>
#include <utility>

#include "store/schema.h"
#include "store/text_analysis.h"

namespace lore::store {
namespace {

std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::span<const std::byte> as_bytes(std::span<const float> values) {
    return std::as_bytes(values);
}

std::string hex64(std::int64_t value) {
    static constexpr char kHex[] = "0123456789abcdef";
    const auto bits = static_cast<std::uint64_t>(value);
    std::string out(16, '0');
    for (int digit = 0; digit < 16; ++digit) {
        out[static_cast<std::size_t>(digit)] = kHex[(bits >> (60 - 4 * digit)) & 0xf];
    }
    return out;
}

}  // namespace

std::int64_t hash_prefix64(std::string_view hex_digest) {
    std::uint64_t bits = 0;
    for (std::size_t i = 0; i < 16 && i < hex_digest.size(); ++i) {
        const char c = hex_digest[i];
        const std::uint64_t digit = c >= 'a' ? static_cast<std::uint64_t>(c - 'a' + 10)
                                             : static_cast<std::uint64_t>(c - '0');
        bits = (bits << 4) | (digit & 0xf);
    }
    return static_cast<std::int64_t>(bits);
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& dir,
                                           const StoreOptions& options) {
    std::error_code ec;
    const std::filesystem::path db_path = dir / kDatabaseFileName;
    const bool exists = std::filesystem::exists(db_path, ec);
    if (!exists) {
        if (!options.create_if_missing) {
            return Status::not_found("store: no kb at " + dir.string() + " (missing " +
                                     db_path.string() + ")");
        }
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return Status::io_error("store: cannot create kb directory " + dir.string() + ": " +
                                    ec.message());
        }
    }
    LORE_ASSIGN_OR_RETURN(
        std::unique_ptr<Db> db,
        Db::open(db_path, exists ? OpenMode::kReadWrite : OpenMode::kReadWriteCreate));
    // WAL: readers never block the writer and see the last committed transaction.
    // synchronous=NORMAL in WAL mode keeps every commit atomic across a process kill (the
    // kill test proves it); only an OS crash may lose the last commits, never corrupt.
    LORE_RETURN_IF_ERROR(db->exec("PRAGMA journal_mode=WAL"));
    LORE_RETURN_IF_ERROR(db->exec("PRAGMA synchronous=NORMAL"));
    LORE_RETURN_IF_ERROR(register_fts_tokenizer(db->handle()));
    // A file that is not SQLite fails here, with kCorruption ("file is not a database").
    LORE_RETURN_IF_ERROR(migrate_schema(*db));
    auto store = std::unique_ptr<Store>(new Store(std::move(db), dir));
    LORE_ASSIGN_OR_RETURN(store->keeps_fts5_, store->read_fts5_setting(options.fts5));
    return store;
}

Result<bool> Store::read_fts5_setting(bool default_for_new_kb) {
    LORE_ASSIGN_OR_RETURN(std::int64_t setting,
                          db_->query_int64("SELECT coalesce((SELECT value FROM kb_meta WHERE "
                                           "key='fts5'), -1)"));
    if (setting >= 0) {
        return setting != 0;
    }
    // KBs made before the setting existed always kept FTS5's index (and opening one must not
    // write: a reader may open it). An empty one follows the caller, recorded so that later
    // opens agree whatever they pass.
    LORE_ASSIGN_OR_RETURN(std::int64_t has_chunks,
                          db_->query_int64("SELECT EXISTS (SELECT 1 FROM chunks)"));
    if (has_chunks != 0) {
        return true;
    }
    const bool keep = default_for_new_kb;
    LORE_RETURN_IF_ERROR(write_fts5_setting(keep));
    return keep;
}

Status Store::write_fts5_setting(bool keep) {
    return db_->exec(keep ? "INSERT OR REPLACE INTO kb_meta(key, value) VALUES ('fts5', 1)"
                          : "INSERT OR REPLACE INTO kb_meta(key, value) VALUES ('fts5', 0)");
}

Status Store::set_keeps_fts5(bool keep) {
    if (keep == keeps_fts5_) {
        return Status::ok();
    }
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_write(*db_));
    // 'rebuild' indexes every chunk from the content table; 'delete-all' empties the index.
    LORE_RETURN_IF_ERROR(
        db_->exec(keep ? "INSERT INTO chunks_fts(chunks_fts) VALUES('rebuild')"
                       : "INSERT INTO chunks_fts(chunks_fts) VALUES('delete-all')"));
    LORE_RETURN_IF_ERROR(write_fts5_setting(keep));
    LORE_RETURN_IF_ERROR(txn.commit());
    keeps_fts5_ = keep;
    return Status::ok();
}

Result<Stmt*> Store::cached(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare(sql));
        it = statements_.emplace(sql, std::move(stmt)).first;
    }
    it->second.reset();
    return &it->second;
}

Result<std::optional<SourceRow>> Store::find_source(std::string_view path) {
    LORE_ASSIGN_OR_RETURN(Stmt stmt,
                          db_->prepare("SELECT id, path, kind, content_hash, "
                                       "size_bytes, mtime_ns FROM sources WHERE path=?"));
    stmt.bind(1, path);
    LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) {
        return std::optional<SourceRow>();
    }
    SourceRow row;
    row.id = stmt.column_int64(0);
    row.path = stmt.column_text(1);
    row.kind = stmt.column_text(2);
    row.content_hash = stmt.column_text(3);
    row.size_bytes = static_cast<std::uint64_t>(stmt.column_int64(4));
    row.mtime_ns = stmt.column_int64(5);
    return std::optional<SourceRow>(std::move(row));
}

Result<std::vector<std::pair<std::string, std::int64_t>>> Store::document_hashes(
    std::int64_t source_id) {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("SELECT doc_key, content_hash FROM documents "
                                                  "WHERE source_id=?"));
    stmt.bind(1, source_id);
    std::vector<std::pair<std::string, std::int64_t>> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        out.emplace_back(stmt.column_text(0), stmt.column_int64(1));
    }
    return out;
}

Result<std::int64_t> Store::delete_document(std::int64_t document_id) {
    LORE_ASSIGN_OR_RETURN(Stmt * range,
                          cached("SELECT first_chunk_id, n_chunks FROM documents WHERE id=?"));
    range->bind(1, document_id);
    LORE_ASSIGN_OR_RETURN(bool has_row, range->step());
    if (!has_row) {
        return std::int64_t{0};
    }
    const std::int64_t first = range->column_int64(0);
    const std::int64_t n_chunks = range->column_int64(1);
    range->reset();
    if (n_chunks > 0) {
        LORE_ASSIGN_OR_RETURN(Stmt * del_embeddings,
                              cached("DELETE FROM embeddings WHERE chunk_id BETWEEN ? AND ?"));
        del_embeddings->bind(1, first).bind(2, first + n_chunks - 1);
        LORE_RETURN_IF_ERROR(del_embeddings->run());
        if (keeps_fts5_) {
            // External-content FTS5: a delete must name the indexed text.
            LORE_ASSIGN_OR_RETURN(Stmt * texts,
                                  cached("SELECT id, text FROM chunks WHERE id BETWEEN ? AND ?"));
            LORE_ASSIGN_OR_RETURN(Stmt * fts_delete,
                                  cached("INSERT INTO chunks_fts(chunks_fts, rowid, text) VALUES "
                                         "('delete', ?, ?)"));
            texts->bind(1, first).bind(2, first + n_chunks - 1);
            while (true) {
                LORE_ASSIGN_OR_RETURN(bool has_chunk, texts->step());
                if (!has_chunk) {
                    break;
                }
                fts_delete->bind(1, texts->column_int64(0)).bind(2, texts->column_text(1));
                LORE_RETURN_IF_ERROR(fts_delete->run());
            }
            texts->reset();
        }
        LORE_ASSIGN_OR_RETURN(Stmt * del_chunks,
                              cached("DELETE FROM chunks WHERE id BETWEEN ? AND ?"));
        del_chunks->bind(1, first).bind(2, first + n_chunks - 1);
        LORE_RETURN_IF_ERROR(del_chunks->run());
        if (observer_ != nullptr) {
            LORE_RETURN_IF_ERROR(observer_->on_chunks_removed(first, n_chunks));
        }
    }
    LORE_ASSIGN_OR_RETURN(Stmt * del, cached("DELETE FROM documents WHERE id=?"));
    del->bind(1, document_id);
    LORE_RETURN_IF_ERROR(del->run());
    return n_chunks;
}

Status Store::check_embedding_model(int dim, std::string_view model_id) {
    LORE_ASSIGN_OR_RETURN(auto current, embedding_model());
    if (current.first.empty()) {
        LORE_ASSIGN_OR_RETURN(Stmt put, db_->prepare("INSERT OR REPLACE INTO kb_meta(key, value) "
                                                     "VALUES ('embedding_model', ?), "
                                                     "('embedding_dim', ?)"));
        put.bind(1, model_id).bind(2, std::int64_t{dim});
        return put.run();
    }
    if (current.first != model_id || current.second != dim) {
        return Status::invalid_argument("store: kb " + dir_.string() + " holds embeddings of '" +
                                        current.first + "' (dim " + std::to_string(current.second) +
                                        "), not of '" + std::string(model_id) + "' (dim " +
                                        std::to_string(dim) + ")");
    }
    return Status::ok();
}

Status Store::insert_document(std::int64_t source_id,
                              const DocumentRecord& doc,
                              ReplaceStats& stats,
                              std::int64_t& next_chunk_id) {
    // This transaction holds the write lock; the chunks get ids [next_chunk_id, + n).
    const auto n_chunks = static_cast<std::int64_t>(doc.chunks.size());
    LORE_ASSIGN_OR_RETURN(Stmt * insert_doc_ptr,
                          cached("INSERT INTO documents(source_id, doc_key, content_hash, "
                                 "first_chunk_id, n_chunks, title, metadata) VALUES (?, ?, ?, ?, "
                                 "?, ?, ?)"));
    Stmt& insert_doc = *insert_doc_ptr;
    insert_doc.bind(1, source_id)
        .bind(2, doc.key)
        .bind(3, hash_prefix64(doc.content_hash))
        .bind(4, next_chunk_id)
        .bind(5, n_chunks);
    if (doc.title.empty()) {
        insert_doc.bind_null(6);
    } else {
        insert_doc.bind(6, doc.title);
    }
    if (doc.metadata_json.empty() || doc.metadata_json == "{}") {
        insert_doc.bind_null(7);
    } else {
        insert_doc.bind(7, doc.metadata_json);
    }
    LORE_RETURN_IF_ERROR(insert_doc.run());
    const std::int64_t document_id = db_->last_insert_rowid();
    LORE_ASSIGN_OR_RETURN(Stmt * insert_chunk_ptr,
                          cached("INSERT INTO chunks(id, document_id, text, byte_begin, byte_end, "
                                 "page, section) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    LORE_ASSIGN_OR_RETURN(Stmt * insert_embedding_ptr,
                          cached("INSERT INTO embeddings(chunk_id, vector) VALUES (?, ?)"));
    LORE_ASSIGN_OR_RETURN(Stmt * insert_fts_ptr,
                          cached("INSERT INTO chunks_fts(rowid, text) VALUES (?, ?)"));
    Stmt& insert_chunk = *insert_chunk_ptr;
    Stmt& insert_embedding = *insert_embedding_ptr;
    Stmt& insert_fts = *insert_fts_ptr;
    for (const ChunkRecord& chunk : doc.chunks) {
        const std::int64_t chunk_id = next_chunk_id++;
        insert_chunk.bind(1, chunk_id)
            .bind(2, document_id)
            .bind(3, chunk.text)
            .bind(4, static_cast<std::int64_t>(chunk.byte_begin))
            .bind(5, static_cast<std::int64_t>(chunk.byte_end))
            .bind(6, std::int64_t{chunk.page})
            .bind(7, chunk.section);
        LORE_RETURN_IF_ERROR(insert_chunk.run());
        if (keeps_fts5_) {
            insert_fts.bind(1, chunk_id).bind(2, chunk.text);
            LORE_RETURN_IF_ERROR(insert_fts.run());
        }
        if (observer_ != nullptr) {
            LORE_RETURN_IF_ERROR(observer_->on_chunk_added(chunk_id, chunk.text));
        }
        if (!chunk.embedding.empty()) {
            insert_embedding.bind(1, chunk_id)
                .bind_blob(2, as_bytes(std::span<const float>(chunk.embedding)));
            LORE_RETURN_IF_ERROR(insert_embedding.run());
        }
    }
    stats.n_documents_added += 1;
    stats.n_chunks_added += doc.chunks.size();
    return Status::ok();
}

namespace {

// All the documents at once, as one batch.
class SpanBatches final : public DocumentBatches {
public:
    explicit SpanBatches(std::span<const DocumentRecord> documents) : documents_(documents) {}

    Result<std::span<const DocumentRecord>> next() override {
        return std::exchange(documents_, std::span<const DocumentRecord>());
    }

private:
    std::span<const DocumentRecord> documents_;
};

}  // namespace

Result<ReplaceStats> Store::replace_source(const SourceRecord& source,
                                           std::span<const DocumentRecord> documents) {
    SpanBatches batches(documents);
    return replace_source(source, batches);
}

Result<ReplaceStats> Store::replace_source(const SourceRecord& source, DocumentBatches& batches) {
    ReplaceStats stats;
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_write(*db_));
    LORE_ASSIGN_OR_RETURN(Stmt upsert,
                          db_->prepare("INSERT INTO sources(path, kind, content_hash, size_bytes, "
                                       "mtime_ns, ingested_at_s) VALUES (?, ?, ?, ?, ?, ?) "
                                       "ON CONFLICT(path) DO UPDATE SET kind=excluded.kind, "
                                       "content_hash=excluded.content_hash, "
                                       "size_bytes=excluded.size_bytes, "
                                       "mtime_ns=excluded.mtime_ns, "
                                       "ingested_at_s=excluded.ingested_at_s RETURNING id"));
    upsert.bind(1, source.path)
        .bind(2, source.kind)
        .bind(3, source.content_hash)
        .bind(4, static_cast<std::int64_t>(source.size_bytes))
        .bind(5, source.mtime_ns)
        .bind(6, now_s());
    LORE_ASSIGN_OR_RETURN(bool has_id, upsert.step());
    if (!has_id) {
        return Status::internal("store: upsert of source " + source.path + " returned no id");
    }
    const std::int64_t source_id = upsert.column_int64(0);
    upsert.reset();

    // Existing documents of this source: key -> (id, hash).
    LORE_ASSIGN_OR_RETURN(Stmt existing, db_->prepare("SELECT doc_key, id, content_hash FROM "
                                                      "documents WHERE source_id=?"));
    existing.bind(1, source_id);
    std::unordered_map<std::string, std::pair<std::int64_t, std::int64_t>> old_docs;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, existing.step());
        if (!has_row) {
            break;
        }
        old_docs.emplace(std::string(existing.column_text(0)),
                         std::make_pair(existing.column_int64(1), existing.column_int64(2)));
    }

    // Chunk ids are never reused (citations and vector indexes name them): new ones continue
    // after the highest id ever handed out, kept in kb_meta and written once per transaction.
    LORE_ASSIGN_OR_RETURN(std::int64_t last_chunk_id,
                          db_->query_int64("SELECT max(coalesce((SELECT value FROM kb_meta WHERE "
                                           "key='chunk_id_high_water'), 0), coalesce((SELECT "
                                           "max(id) FROM chunks), 0))"));
    std::int64_t next_chunk_id = last_chunk_id + 1;
    bool embedding_model_checked = source.embedding_model.empty();
    while (true) {
        LORE_ASSIGN_OR_RETURN(std::span<const DocumentRecord> documents, batches.next());
        if (documents.empty()) {
            break;
        }
        for (const DocumentRecord& doc : documents) {
            if (!embedding_model_checked && !doc.chunks.empty() &&
                !doc.chunks.front().embedding.empty()) {
                LORE_RETURN_IF_ERROR(check_embedding_model(
                    static_cast<int>(doc.chunks.front().embedding.size()), source.embedding_model));
                embedding_model_checked = true;
            }
            auto it = old_docs.find(doc.key);
            if (it != old_docs.end()) {
                if (it->second.second == hash_prefix64(doc.content_hash)) {
                    stats.n_documents_unchanged += 1;
                    old_docs.erase(it);
                    continue;
                }
                LORE_ASSIGN_OR_RETURN(std::int64_t n_removed, delete_document(it->second.first));
                stats.n_chunks_removed += static_cast<std::size_t>(n_removed);
                old_docs.erase(it);
            }
            LORE_RETURN_IF_ERROR(insert_document(source_id, doc, stats, next_chunk_id));
        }
    }
    if (!source.is_stream) {
        for (const auto& [key, id_and_hash] : old_docs) {
            LORE_ASSIGN_OR_RETURN(std::int64_t n_removed, delete_document(id_and_hash.first));
            stats.n_chunks_removed += static_cast<std::size_t>(n_removed);
            stats.n_documents_removed += 1;
        }
    }
    LORE_ASSIGN_OR_RETURN(Stmt high_water,
                          db_->prepare("INSERT OR REPLACE INTO kb_meta(key, value) "
                                       "VALUES ('chunk_id_high_water', ?)"));
    high_water.bind(1, next_chunk_id - 1);
    LORE_RETURN_IF_ERROR(high_water.run());
    if (observer_ != nullptr) {
        LORE_RETURN_IF_ERROR(observer_->on_before_commit());
    }
    LORE_RETURN_IF_ERROR(txn.commit());
    return stats;
}

Status Store::touch_source(std::int64_t source_id,
                           std::int64_t mtime_ns,
                           std::uint64_t size_bytes) {
    LORE_ASSIGN_OR_RETURN(Stmt stmt,
                          db_->prepare("UPDATE sources SET mtime_ns=?, size_bytes=? WHERE id=?"));
    stmt.bind(1, mtime_ns).bind(2, static_cast<std::int64_t>(size_bytes)).bind(3, source_id);
    return stmt.run();
}

Result<std::int64_t> Store::remove_source(std::string_view path) {
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_write(*db_));
    LORE_ASSIGN_OR_RETURN(std::optional<SourceRow> source, find_source(path));
    if (!source) {
        return std::int64_t{0};
    }
    LORE_ASSIGN_OR_RETURN(auto documents, document_ids(source->id));
    for (std::int64_t document_id : documents) {
        LORE_RETURN_IF_ERROR(delete_document(document_id).status());
    }
    LORE_ASSIGN_OR_RETURN(Stmt del, db_->prepare("DELETE FROM sources WHERE id=?"));
    del.bind(1, source->id);
    LORE_RETURN_IF_ERROR(del.run());
    if (observer_ != nullptr) {
        LORE_RETURN_IF_ERROR(observer_->on_before_commit());
    }
    LORE_RETURN_IF_ERROR(txn.commit());
    return static_cast<std::int64_t>(documents.size());
}

Result<std::vector<std::int64_t>> Store::document_ids(std::int64_t source_id) {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("SELECT id FROM documents WHERE source_id=?"));
    stmt.bind(1, source_id);
    std::vector<std::int64_t> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        out.push_back(stmt.column_int64(0));
    }
    return out;
}

Result<std::vector<SourceRow>> Store::list_sources() {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("SELECT id, path, kind, content_hash, "
                                                  "size_bytes, mtime_ns FROM sources ORDER BY "
                                                  "path"));
    std::vector<SourceRow> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        SourceRow row;
        row.id = stmt.column_int64(0);
        row.path = stmt.column_text(1);
        row.kind = stmt.column_text(2);
        row.content_hash = stmt.column_text(3);
        row.size_bytes = static_cast<std::uint64_t>(stmt.column_int64(4));
        row.mtime_ns = stmt.column_int64(5);
        out.push_back(std::move(row));
    }
    return out;
}

Result<std::vector<DocumentRow>> Store::list_documents() {
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_read(*db_));
    LORE_ASSIGN_OR_RETURN(Stmt stmt,
                          db_->prepare("SELECT d.id, s.path, d.doc_key, "
                                       "coalesce(d.title, ''), d.content_hash, d.n_chunks "
                                       "FROM documents d JOIN sources s ON d.source_id=s.id "
                                       "ORDER BY s.path, d.doc_key"));
    std::vector<DocumentRow> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        DocumentRow row;
        row.id = stmt.column_int64(0);
        row.source = stmt.column_text(1);
        row.key = stmt.column_text(2);
        row.title = stmt.column_text(3);
        row.content_hash = hex64(stmt.column_int64(4));
        row.n_chunks = stmt.column_int64(5);
        out.push_back(std::move(row));
    }
    LORE_RETURN_IF_ERROR(txn.commit());
    return out;
}

Result<StoreCounts> Store::counts() {
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_read(*db_));
    StoreCounts counts;
    LORE_ASSIGN_OR_RETURN(counts.n_sources, db_->query_int64("SELECT count(*) FROM sources"));
    LORE_ASSIGN_OR_RETURN(counts.n_documents, db_->query_int64("SELECT count(*) FROM documents"));
    LORE_ASSIGN_OR_RETURN(counts.n_chunks, db_->query_int64("SELECT count(*) FROM chunks"));
    LORE_ASSIGN_OR_RETURN(counts.n_embeddings, db_->query_int64("SELECT count(*) FROM embeddings"));
    LORE_RETURN_IF_ERROR(txn.commit());
    return counts;
}

Result<std::vector<std::int64_t>> Store::chunk_ids() {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("SELECT id FROM chunks ORDER BY id"));
    std::vector<std::int64_t> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        out.push_back(stmt.column_int64(0));
    }
    return out;
}

Result<std::vector<ChunkRow>> Store::chunks_by_id(std::span<const std::int64_t> ids) {
    LORE_ASSIGN_OR_RETURN(
        Stmt stmt, db_->prepare("SELECT c.id, s.path, d.doc_key, coalesce(d.title, ''), c.text, "
                                "c.byte_begin, c.byte_end, c.page, c.section FROM chunks c "
                                "JOIN documents d ON c.document_id=d.id JOIN sources s ON "
                                "d.source_id=s.id WHERE c.id=?"));
    std::vector<ChunkRow> out;
    out.reserve(ids.size());
    for (std::int64_t id : ids) {
        stmt.bind(1, id);
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (has_row) {
            ChunkRow row;
            row.id = stmt.column_int64(0);
            row.source = stmt.column_text(1);
            row.document_key = stmt.column_text(2);
            row.title = stmt.column_text(3);
            row.text = stmt.column_text(4);
            row.byte_begin = static_cast<std::uint64_t>(stmt.column_int64(5));
            row.byte_end = static_cast<std::uint64_t>(stmt.column_int64(6));
            row.page = static_cast<std::int32_t>(stmt.column_int64(7));
            row.section = stmt.column_text(8);
            out.push_back(std::move(row));
        }
        stmt.reset();
    }
    return out;
}

Status Store::put_embeddings(std::span<const std::int64_t> chunk_ids,
                             std::span<const float> vectors,
                             int dim,
                             std::string_view model_id) {
    if (dim <= 0 || vectors.size() != chunk_ids.size() * static_cast<std::size_t>(dim)) {
        return Status::invalid_argument("store: embeddings: " + std::to_string(vectors.size()) +
                                        " floats for " + std::to_string(chunk_ids.size()) +
                                        " chunks of dim " + std::to_string(dim));
    }
    LORE_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin_write(*db_));
    LORE_RETURN_IF_ERROR(check_embedding_model(dim, model_id));
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("INSERT OR REPLACE INTO embeddings(chunk_id, "
                                                  "vector) VALUES (?, ?)"));
    LORE_ASSIGN_OR_RETURN(Stmt exists, db_->prepare("SELECT 1 FROM chunks WHERE id=?"));
    const auto n_dim = static_cast<std::size_t>(dim);
    for (std::size_t row_idx = 0; row_idx < chunk_ids.size(); ++row_idx) {
        exists.bind(1, chunk_ids[row_idx]);
        LORE_ASSIGN_OR_RETURN(bool has_chunk, exists.step());
        exists.reset();
        if (!has_chunk) {
            return Status::invalid_argument("store: embeddings: no chunk " +
                                            std::to_string(chunk_ids[row_idx]));
        }
        stmt.bind(1, chunk_ids[row_idx])
            .bind_blob(2, as_bytes(vectors.subspan(row_idx * n_dim, n_dim)));
        Status status = stmt.run();
        if (!status.is_ok()) {
            return Status(status.code(),
                          status.message() + " (chunk " + std::to_string(chunk_ids[row_idx]) + ")");
        }
    }
    return txn.commit();
}

Result<std::pair<std::string, std::int64_t>> Store::embedding_model() {
    LORE_ASSIGN_OR_RETURN(Stmt stmt, db_->prepare("SELECT key, value FROM kb_meta WHERE key IN "
                                                  "('embedding_model', 'embedding_dim')"));
    std::pair<std::string, std::int64_t> out{"", 0};
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        if (stmt.column_text(0) == "embedding_model") {
            out.first = stmt.column_text(1);
        } else {
            out.second = stmt.column_int64(1);
        }
    }
    return out;
}

Result<std::int64_t> Store::vectors_generation() {
    return db_->query_int64("SELECT value FROM kb_meta WHERE key='vectors_generation'");
}

Status Store::load_embeddings(std::vector<std::int64_t>& ids,
                              std::vector<float>& vectors,
                              std::int64_t& dim) {
    ids.clear();
    vectors.clear();
    LORE_ASSIGN_OR_RETURN(auto model, embedding_model());
    dim = model.second;
    LORE_ASSIGN_OR_RETURN(
        Stmt stmt, db_->prepare("SELECT chunk_id, vector FROM embeddings ORDER BY chunk_id"));
    const auto n_bytes_expected = static_cast<std::size_t>(dim) * sizeof(float);
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        const std::span<const std::byte> blob = stmt.column_blob(1);
        if (blob.size() != n_bytes_expected) {
            return Status::corruption("store: embedding of chunk " +
                                      std::to_string(stmt.column_int64(0)) + " has " +
                                      std::to_string(blob.size()) + " bytes, expected " +
                                      std::to_string(n_bytes_expected));
        }
        ids.push_back(stmt.column_int64(0));
        const std::size_t offset = vectors.size();
        vectors.resize(offset + static_cast<std::size_t>(dim));
        std::memcpy(vectors.data() + offset, blob.data(), blob.size());
    }
    return Status::ok();
}

}  // namespace lore::store
