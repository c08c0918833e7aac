// LexicalWriter: buffering, segment writes, tombstones, tiered merges, rebuild and the
// integrity check of lore's lexical index (tables described in lexical_segments.h).
//
// Cost per chunk at ingest (issue 4 budget): one pass over the bytes and one word-cache lookup
// per ASCII token (the FTS5 tokenizer chain only for new words and non-ASCII runs); no SQL
// and, once the dictionary and vectors have grown, no allocation. SQL happens once per
// segment (one row per distinct term). Measured with lore_bench_lexical on 498,791 man-page
// passages: the index adds about 1.0 CPU-s to a 5-6 CPU-s ingest (bare FTS5: 1.9-2.2 CPU-s);
// built alone from the chunks table it takes 0.7 CPU-s.
#include "retrieve/lexical_segments.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <string>
#include <unordered_set>

#include <sqlite3.h>

namespace lore::retrieve {
namespace {

// Past this many distinct terms the writer's dictionary is dropped between transactions, so
// a long-lived writer's memory stays bounded.
constexpr std::size_t kMaxDictionaryTerms = 1U << 20;

// word_cache_ value of a word that is a stop word (no term).
constexpr std::uint32_t kStopWord = WordTable::kAbsent - 1;

std::string segment_name(std::int64_t segment_id) {
    return "segment " + std::to_string(segment_id);
}

// Per byte: 0 for a byte that separates tokens (every ASCII byte but letters and digits: so
// unicode61 treats them), the lower-case letter or the digit itself, and the byte itself for
// non-ASCII bytes (the tokenizer chain decides about those).
constexpr std::array<unsigned char, 256> kWordFold = [] {
    std::array<unsigned char, 256> table{};
    for (int c = 0; c < 256; ++c) {
        if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c >= 0x80) {
            table[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c);
        } else if (c >= 'A' && c <= 'Z') {
            table[static_cast<std::size_t>(c)] = static_cast<unsigned char>(c - 'A' + 'a');
        }
    }
    return table;
}();

int tier_of(std::int64_t n_docs, const MergePolicy& policy) {
    int tier = 0;
    std::int64_t bound = policy.tier_base_docs;
    while (n_docs >= bound && tier < 40) {
        ++tier;
        bound *= std::max(policy.fan_in, 2);
    }
    return tier;
}

}  // namespace

Result<LexicalStats> read_lexical_stats(store::Db& db) {
    LORE_ASSIGN_OR_RETURN(store::Stmt stmt,
                          db.prepare("SELECT n_docs, total_len, generation, rebuild_needed FROM "
                                     "lex_stats WHERE id = 0"));
    LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
    if (!has_row) {
        return Status::corruption("lexical: lex_stats has no row in " + db.path().string());
    }
    LexicalStats stats;
    stats.n_docs = stmt.column_int64(0);
    stats.total_len = stmt.column_int64(1);
    stats.generation = stmt.column_int64(2);
    stats.rebuild_needed = stmt.column_int64(3) != 0;
    return stats;
}

Result<std::vector<SegmentInfo>> list_segments(store::Db& db) {
    LORE_ASSIGN_OR_RETURN(store::Stmt stmt,
                          db.prepare("SELECT id, n_docs, first_chunk_id, last_chunk_id, "
                                     "total_len FROM lex_segments ORDER BY id"));
    std::vector<SegmentInfo> out;
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, stmt.step());
        if (!has_row) {
            break;
        }
        out.push_back({stmt.column_int64(0), stmt.column_int64(1), stmt.column_int64(2),
                       stmt.column_int64(3), stmt.column_int64(4)});
    }
    return out;
}

void encode_doc_lengths(std::span<const DocLength> docs, std::vector<std::uint8_t>& out) {
    put_varint(docs.size(), out);
    std::int64_t prev = 0;
    for (const DocLength& doc : docs) {
        put_varint(static_cast<std::uint64_t>(doc.chunk_id - prev), out);
        put_varint(doc.len, out);
        prev = doc.chunk_id;
    }
}

Status decode_doc_lengths(std::span<const std::uint8_t> blob,
                          std::int64_t segment_id,
                          std::vector<DocLength>& out) {
    out.clear();
    std::size_t pos = 0;
    std::uint64_t n = 0;
    auto corrupt = [&](const char* what) {
        return Status::corruption("lexical: " + segment_name(segment_id) +
                                  ": doc_lengths: " + what + " at byte " + std::to_string(pos) +
                                  " of " + std::to_string(blob.size()));
    };
    if (!get_varint(blob, pos, n) || n > blob.size()) {
        return corrupt("bad count");
    }
    out.reserve(n);
    std::int64_t prev = 0;
    for (std::uint64_t idx = 0; idx < n; ++idx) {
        std::uint64_t delta = 0;
        std::uint64_t len = 0;
        if (!get_varint(blob, pos, delta) || !get_varint(blob, pos, len)) {
            return corrupt("truncated");
        }
        if (delta == 0 || delta > static_cast<std::uint64_t>(INT64_MAX - prev) ||
            len > 0xffffffffU) {
            return corrupt("chunk ids out of order");
        }
        prev += static_cast<std::int64_t>(delta);
        out.push_back({prev, static_cast<std::uint32_t>(len)});
    }
    if (pos != blob.size()) {
        return corrupt("trailing bytes");
    }
    return Status::ok();
}

Result<std::unique_ptr<LexicalWriter>> LexicalWriter::create(store::Db& db,
                                                             const LexicalWriterOptions& options) {
    auto writer = std::unique_ptr<LexicalWriter>(new LexicalWriter(db, options));
    LORE_ASSIGN_OR_RETURN(writer->analyzer_, TermAnalyzer::create(db.handle()));
    sqlite3_rollback_hook(db.handle(), &LexicalWriter::rollback_cb, writer.get());
    return writer;
}

LexicalWriter::~LexicalWriter() {
    // Remove our hook only: if a newer writer on this connection replaced it, keep that one.
    void* current = sqlite3_rollback_hook(db_.handle(), nullptr, nullptr);
    if (current != nullptr && current != this) {
        sqlite3_rollback_hook(db_.handle(), &LexicalWriter::rollback_cb, current);
    }
}

void LexicalWriter::rollback_cb(void* ctx) {
    static_cast<LexicalWriter*>(ctx)->clear_buffer();
}

void LexicalWriter::clear_buffer() {
    for (std::uint32_t entry_idx : active_) {
        entries_[entry_idx].postings.clear();
    }
    active_.clear();
    docs_.clear();
    removed_.clear();
    stats_docs_delta_ = 0;
    stats_len_delta_ = 0;
    stats_dirty_ = false;
    doc_length_cache_.clear();
    if (entries_.size() > kMaxDictionaryTerms || word_cache_.size() > kMaxDictionaryTerms) {
        word_cache_.clear();
        dictionary_.clear();
        entries_.clear();
    }
}

Result<store::Stmt*> LexicalWriter::cached(const char* sql) {
    auto it = statements_.find(sql);
    if (it == statements_.end()) {
        LORE_ASSIGN_OR_RETURN(Stmt stmt, db_.prepare(sql));
        it = statements_.emplace(sql, std::move(stmt)).first;
    }
    it->second.reset();
    return &it->second;
}

void LexicalWriter::add_term_cb(void* ctx, std::string_view term) {
    static_cast<LexicalWriter*>(ctx)->add_term(term);
}

std::uint32_t LexicalWriter::entry_for_term(std::string_view term) {
    auto it = dictionary_.find(term);
    if (it != dictionary_.end()) {
        return it->second;
    }
    const auto entry_idx = static_cast<std::uint32_t>(entries_.size());
    entries_.emplace_back();
    entries_.back().term.assign(term);
    dictionary_.emplace(entries_.back().term, entry_idx);
    return entry_idx;
}

void LexicalWriter::add_entry(std::uint32_t entry_idx) {
    ++current_len_;
    const auto doc_idx = static_cast<std::uint32_t>(docs_.size());
    std::vector<BufferedPosting>& postings = entries_[entry_idx].postings;
    if (postings.empty()) {
        active_.push_back(entry_idx);
    } else if (postings.back().doc_idx == doc_idx) {
        ++postings.back().tf;
        return;
    }
    postings.push_back({doc_idx, 1});
}

void LexicalWriter::add_term(std::string_view term) {
    add_entry(entry_for_term(term));
}

Result<std::uint32_t> LexicalWriter::entry_for_ascii_word(std::string_view word,
                                                          std::uint64_t hash) {
    const std::uint32_t cached = word_cache_.find(word, hash);
    if (cached != WordTable::kAbsent) {
        return cached;
    }
    // First sight of this word: ask the real tokenizer chain (stop words, porter) once.
    n_stemmed_ = 0;
    LORE_RETURN_IF_ERROR(analyzer_->analyze(
        word, false,
        [](void* ctx, std::string_view term) {
            auto* self = static_cast<LexicalWriter*>(ctx);
            self->stemmed_.assign(term);
            ++self->n_stemmed_;
        },
        this));
    if (n_stemmed_ > 1) {
        return Status::internal("lexical: ascii word '" + std::string(word) + "' gave " +
                                std::to_string(n_stemmed_) + " terms");
    }
    const std::uint32_t entry_idx = n_stemmed_ == 0 ? kStopWord : entry_for_term(stemmed_);
    word_cache_.insert(word, hash, entry_idx);
    return entry_idx;
}

Status LexicalWriter::add_chunk(std::int64_t chunk_id, std::string_view text) {
    if (!docs_.empty() && chunk_id <= docs_.back().chunk_id) {
        return Status::internal("lexical: chunk " + std::to_string(chunk_id) +
                                " added after chunk " + std::to_string(docs_.back().chunk_id));
    }
    current_len_ = 0;
    // Fast path, exact by construction: unicode61 separates tokens at every ASCII byte that
    // is not a letter or digit, so each run between such bytes tokenizes on its own. A run of
    // ASCII letters and digits is one token: lower-cased, then mapped through word_cache_ to
    // what lore_en + porter made of it the first time (one hash lookup per token instead of
    // the tokenizer chain). Runs holding non-ASCII bytes go through the real chain.
    const auto* pos = reinterpret_cast<const unsigned char*>(text.data());
    const auto* const end = pos + text.size();
    if (word_.size() < text.size()) {
        word_.resize(text.size());
    }
    char* const word = word_.data();
    while (pos < end) {
        while (pos < end && kWordFold[*pos] == 0) {
            ++pos;
        }
        const auto* const begin = pos;
        unsigned char high_bits = 0;
        std::size_t n = 0;
        std::uint64_t hash = WordTable::kHashSeed;
        while (pos < end && kWordFold[*pos] != 0) {
            const unsigned char folded = kWordFold[*pos];
            high_bits |= *pos;
            word[n++] = static_cast<char>(folded);
            hash = WordTable::hash_step(hash, folded);
            ++pos;
        }
        if (n == 0) {
            break;
        }
        if ((high_bits & 0x80) == 0) {
            LORE_ASSIGN_OR_RETURN(std::uint32_t entry_idx,
                                  entry_for_ascii_word(std::string_view(word, n), hash));
            if (entry_idx != kStopWord) {
                add_entry(entry_idx);
            }
        } else {
            LORE_RETURN_IF_ERROR(
                analyzer_->analyze(std::string_view(reinterpret_cast<const char*>(begin),
                                                    static_cast<std::size_t>(pos - begin)),
                                   false, &LexicalWriter::add_term_cb, this));
        }
    }
    docs_.push_back({chunk_id, current_len_});
    return Status::ok();
}

Status LexicalWriter::on_chunk_added(std::int64_t chunk_id, std::string_view text) {
    LORE_RETURN_IF_ERROR(add_chunk(chunk_id, text));
    // A large transaction writes several segments (merged after the ingest): the buffer stays
    // small enough to stay in cache (measured on 498,791 passages: 2.1 s of CPU with one
    // buffer for the whole file, 1.2 s with a segment every 64k chunks).
    if (docs_.size() >= std::max<std::size_t>(options_.segment_docs, 1)) {
        return flush_segment();
    }
    return Status::ok();
}

Status LexicalWriter::on_chunks_removed(std::int64_t first_chunk_id, std::int64_t n_chunks) {
    if (n_chunks > 0) {
        removed_.emplace_back(first_chunk_id, first_chunk_id + n_chunks - 1);
    }
    return Status::ok();
}

Status LexicalWriter::on_before_commit() {
    Status status = flush_segment();
    if (status.is_ok()) {
        status = apply_removals();
    }
    if (status.is_ok()) {
        status = write_stats();
    }
    clear_buffer();
    return status;
}

Status LexicalWriter::flush_segment() {
    if (docs_.empty()) {
        return Status::ok();
    }
    std::int64_t total_len = 0;
    for (const DocLength& doc : docs_) {
        total_len += doc.len;
    }
    scratch_bytes_.clear();
    encode_doc_lengths(docs_, scratch_bytes_);
    LORE_ASSIGN_OR_RETURN(Stmt * insert_segment,
                          cached("INSERT INTO lex_segments(n_docs, first_chunk_id, "
                                 "last_chunk_id, total_len, doc_lengths) VALUES (?, ?, ?, ?, ?)"));
    insert_segment->bind(1, static_cast<std::int64_t>(docs_.size()))
        .bind(2, docs_.front().chunk_id)
        .bind(3, docs_.back().chunk_id)
        .bind(4, total_len)
        .bind_blob(5, std::as_bytes(std::span<const std::uint8_t>(scratch_bytes_)));
    LORE_RETURN_IF_ERROR(insert_segment->run());
    const std::int64_t segment_id = db_.last_insert_rowid();

    // Rows in key order: the B-tree is appended to rather than split in the middle.
    std::sort(active_.begin(), active_.end(), [this](std::uint32_t a, std::uint32_t b) {
        return entries_[a].term < entries_[b].term;
    });
    LORE_ASSIGN_OR_RETURN(Stmt * insert_postings,
                          cached("INSERT INTO lex_postings(segment_id, term, postings) VALUES "
                                 "(?, ?, ?)"));
    for (std::uint32_t entry_idx : active_) {
        const TermEntry& entry = entries_[entry_idx];
        scratch_postings_.clear();
        for (const BufferedPosting& p : entry.postings) {
            const DocLength& doc = docs_[p.doc_idx];
            scratch_postings_.push_back({doc.chunk_id, p.tf, doc.len});
        }
        scratch_bytes_.clear();
        encode_postings(scratch_postings_, scratch_bytes_);
        insert_postings->reset();
        insert_postings->bind(1, segment_id)
            .bind(2, entry.term)
            .bind_blob(3, std::as_bytes(std::span<const std::uint8_t>(scratch_bytes_)));
        LORE_RETURN_IF_ERROR(insert_postings->run());
    }
    stats_docs_delta_ += static_cast<std::int64_t>(docs_.size());
    stats_len_delta_ += total_len;
    stats_dirty_ = true;
    for (std::uint32_t entry_idx : active_) {
        entries_[entry_idx].postings.clear();
    }
    active_.clear();
    docs_.clear();
    return Status::ok();
}

Result<std::vector<DocLength>*> LexicalWriter::segment_doc_lengths(std::int64_t segment_id) {
    auto it = doc_length_cache_.find(segment_id);
    if (it != doc_length_cache_.end()) {
        return &it->second;
    }
    LORE_ASSIGN_OR_RETURN(Stmt * select,
                          cached("SELECT doc_lengths FROM lex_segments WHERE id = ?"));
    select->bind(1, segment_id);
    LORE_ASSIGN_OR_RETURN(bool has_row, select->step());
    std::vector<DocLength> docs;
    if (has_row) {
        const std::span<const std::byte> blob = select->column_blob(0);
        LORE_RETURN_IF_ERROR(decode_doc_lengths(
            {reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}, segment_id, docs));
    }
    select->reset();
    return &doc_length_cache_.emplace(segment_id, std::move(docs)).first->second;
}

Status LexicalWriter::apply_removals() {
    if (removed_.empty()) {
        return Status::ok();
    }
    LORE_ASSIGN_OR_RETURN(Stmt * overlapping,
                          cached("SELECT id FROM lex_segments WHERE first_chunk_id <= ? AND "
                                 "last_chunk_id >= ?"));
    LORE_ASSIGN_OR_RETURN(Stmt * insert_tombstone,
                          cached("INSERT OR IGNORE INTO lex_tombstones(chunk_id) VALUES (?)"));
    std::vector<std::int64_t> segment_ids;
    for (const auto& [first, last] : removed_) {
        overlapping->reset();
        overlapping->bind(1, last).bind(2, first);
        segment_ids.clear();
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, overlapping->step());
            if (!has_row) {
                break;
            }
            segment_ids.push_back(overlapping->column_int64(0));
        }
        overlapping->reset();
        for (std::int64_t segment_id : segment_ids) {
            LORE_ASSIGN_OR_RETURN(std::vector<DocLength> * docs, segment_doc_lengths(segment_id));
            auto it = std::lower_bound(
                docs->begin(), docs->end(), first,
                [](const DocLength& doc, std::int64_t id) { return doc.chunk_id < id; });
            for (; it != docs->end() && it->chunk_id <= last; ++it) {
                insert_tombstone->reset();
                insert_tombstone->bind(1, it->chunk_id);
                LORE_RETURN_IF_ERROR(insert_tombstone->run());
                if (sqlite3_changes(db_.handle()) == 1) {
                    stats_docs_delta_ -= 1;
                    stats_len_delta_ -= it->len;
                    stats_dirty_ = true;
                }
            }
        }
    }
    removed_.clear();
    return Status::ok();
}

Status LexicalWriter::write_stats() {
    if (!stats_dirty_) {
        return Status::ok();
    }
    LORE_ASSIGN_OR_RETURN(Stmt * update,
                          cached("UPDATE lex_stats SET n_docs = n_docs + ?, total_len = "
                                 "total_len + ?, generation = generation + 1 WHERE id = 0"));
    update->bind(1, stats_docs_delta_).bind(2, stats_len_delta_);
    LORE_RETURN_IF_ERROR(update->run());
    stats_docs_delta_ = 0;
    stats_len_delta_ = 0;
    stats_dirty_ = false;
    return Status::ok();
}

Status LexicalWriter::rebuild_if_needed() {
    LORE_ASSIGN_OR_RETURN(LexicalStats stats, read_lexical_stats(db_));
    if (!stats.rebuild_needed) {
        return Status::ok();
    }
    return rebuild();
}

Status LexicalWriter::rebuild() {
    LORE_ASSIGN_OR_RETURN(store::Transaction txn, store::Transaction::begin_write(db_));
    clear_buffer();
    LORE_RETURN_IF_ERROR(
        db_.exec("DELETE FROM lex_postings; DELETE FROM lex_segments; DELETE FROM "
                 "lex_tombstones; UPDATE lex_stats SET n_docs = 0, total_len = 0, "
                 "rebuild_needed = 0, generation = generation + 1 WHERE id = 0"));
    {
        LORE_ASSIGN_OR_RETURN(Stmt chunks, db_.prepare("SELECT id, text FROM chunks ORDER BY id"));
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, chunks.step());
            if (!has_row) {
                break;
            }
            LORE_RETURN_IF_ERROR(add_chunk(chunks.column_int64(0), chunks.column_text(1)));
            if (docs_.size() >= std::max<std::size_t>(options_.segment_docs, 1)) {
                LORE_RETURN_IF_ERROR(flush_segment());
            }
        }
    }
    LORE_RETURN_IF_ERROR(on_before_commit());
    LORE_RETURN_IF_ERROR(txn.commit());
    return merge().status();
}

Result<int> LexicalWriter::merge(const MergePolicy& policy) {
    int n_merges = 0;
    while (true) {
        LORE_ASSIGN_OR_RETURN(store::Transaction txn, store::Transaction::begin_write(db_));
        LORE_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, list_segments(db_));
        LORE_ASSIGN_OR_RETURN(Stmt * count_deleted,
                              cached("SELECT count(*) FROM lex_tombstones WHERE chunk_id "
                                     "BETWEEN ? AND ?"));
        std::vector<std::int64_t> chosen;
        std::vector<std::vector<std::int64_t>> tiers;
        for (const SegmentInfo& segment : segments) {
            count_deleted->reset();
            count_deleted->bind(1, segment.first_chunk_id).bind(2, segment.last_chunk_id);
            LORE_ASSIGN_OR_RETURN(bool has_row, count_deleted->step());
            const std::int64_t n_deleted = has_row ? count_deleted->column_int64(0) : 0;
            count_deleted->reset();
            const std::int64_t n_live = segment.n_docs - n_deleted;
            if (static_cast<double>(n_deleted) >=
                policy.max_deleted_fraction * static_cast<double>(segment.n_docs)) {
                if (n_deleted > 0) {
                    chosen = {segment.id};
                    break;
                }
            }
            const auto tier = static_cast<std::size_t>(tier_of(n_live, policy));
            if (tiers.size() <= tier) {
                tiers.resize(tier + 1);
            }
            tiers[tier].push_back(segment.id);
        }
        for (std::size_t tier = 0; chosen.empty() && tier < tiers.size(); ++tier) {
            if (tiers[tier].size() >= static_cast<std::size_t>(std::max(policy.fan_in, 2))) {
                chosen.assign(tiers[tier].begin(), tiers[tier].begin() + policy.fan_in);
            }
        }
        if (chosen.empty()) {
            break;  // the transaction rolls back: nothing was written
        }
        LORE_RETURN_IF_ERROR(merge_segments(chosen));
        LORE_RETURN_IF_ERROR(txn.commit());
        ++n_merges;
    }
    return n_merges;
}

Status LexicalWriter::optimize() {
    LORE_ASSIGN_OR_RETURN(store::Transaction txn, store::Transaction::begin_write(db_));
    LORE_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments, list_segments(db_));
    LORE_ASSIGN_OR_RETURN(std::int64_t n_tombstones,
                          db_.query_int64("SELECT count(*) FROM lex_tombstones"));
    if (segments.size() > 1 || n_tombstones > 0) {
        std::vector<std::int64_t> ids;
        for (const SegmentInfo& segment : segments) {
            ids.push_back(segment.id);
        }
        LORE_RETURN_IF_ERROR(merge_segments(ids));
    }
    return txn.commit();
}

Status LexicalWriter::merge_segments(const std::vector<std::int64_t>& segment_ids) {
    clear_buffer();
    // The merged doc table and the tombstoned chunks the inputs hold (dropped here).
    std::vector<DocLength> merged_docs;
    std::vector<std::int64_t> dead;
    LORE_ASSIGN_OR_RETURN(Stmt * tombstones_in,
                          cached("SELECT chunk_id FROM lex_tombstones WHERE chunk_id BETWEEN ? "
                                 "AND ? ORDER BY chunk_id"));
    for (std::int64_t segment_id : segment_ids) {
        LORE_ASSIGN_OR_RETURN(std::vector<DocLength> * docs, segment_doc_lengths(segment_id));
        if (docs->empty()) {
            continue;
        }
        tombstones_in->reset();
        tombstones_in->bind(1, docs->front().chunk_id).bind(2, docs->back().chunk_id);
        std::unordered_set<std::int64_t> dead_here;
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, tombstones_in->step());
            if (!has_row) {
                break;
            }
            dead_here.insert(tombstones_in->column_int64(0));
        }
        tombstones_in->reset();
        for (const DocLength& doc : *docs) {
            if (dead_here.count(doc.chunk_id) != 0) {
                dead.push_back(doc.chunk_id);
            } else {
                merged_docs.push_back(doc);
            }
        }
    }
    std::sort(dead.begin(), dead.end());
    std::sort(merged_docs.begin(), merged_docs.end(),
              [](const DocLength& a, const DocLength& b) { return a.chunk_id < b.chunk_id; });

    std::int64_t new_id = 0;
    if (!merged_docs.empty()) {
        std::int64_t total_len = 0;
        for (const DocLength& doc : merged_docs) {
            total_len += doc.len;
        }
        scratch_bytes_.clear();
        encode_doc_lengths(merged_docs, scratch_bytes_);
        LORE_ASSIGN_OR_RETURN(Stmt * insert_segment,
                              cached("INSERT INTO lex_segments(n_docs, first_chunk_id, "
                                     "last_chunk_id, total_len, doc_lengths) VALUES (?, ?, ?, "
                                     "?, ?)"));
        insert_segment->bind(1, static_cast<std::int64_t>(merged_docs.size()))
            .bind(2, merged_docs.front().chunk_id)
            .bind(3, merged_docs.back().chunk_id)
            .bind(4, total_len)
            .bind_blob(5, std::as_bytes(std::span<const std::uint8_t>(scratch_bytes_)));
        LORE_RETURN_IF_ERROR(insert_segment->run());
        new_id = db_.last_insert_rowid();
    }

    // k-way merge of the inputs' term-ordered rows. New rows go to segment new_id, a key
    // range none of the open cursors scans.
    struct Input {
        Stmt stmt;
        bool has_row = false;
        std::int64_t segment_id = 0;
    };

    std::vector<Input> inputs;
    for (std::int64_t segment_id : segment_ids) {
        Input input;
        LORE_ASSIGN_OR_RETURN(input.stmt, db_.prepare("SELECT term, postings FROM lex_postings "
                                                      "WHERE segment_id = ? ORDER BY term"));
        input.stmt.bind(1, segment_id);
        input.segment_id = segment_id;
        LORE_ASSIGN_OR_RETURN(input.has_row, input.stmt.step());
        inputs.push_back(std::move(input));
    }
    LORE_ASSIGN_OR_RETURN(Stmt * insert_postings,
                          cached("INSERT INTO lex_postings(segment_id, term, postings) VALUES "
                                 "(?, ?, ?)"));
    std::string term;
    std::vector<Posting> merged;
    while (true) {
        bool any = false;
        for (const Input& input : inputs) {
            if (input.has_row && (!any || input.stmt.column_text(0) < term)) {
                term.assign(input.stmt.column_text(0));
                any = true;
            }
        }
        if (!any) {
            break;
        }
        merged.clear();
        for (Input& input : inputs) {
            if (!input.has_row || input.stmt.column_text(0) != term) {
                continue;
            }
            const std::span<const std::byte> blob = input.stmt.column_blob(1);
            PostingList list;
            Status status = PostingList::parse(
                {reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}, list);
            if (status.is_ok()) {
                status = list.decode_all(merged);
            }
            if (!status.is_ok()) {
                return Status::corruption(status.message() + " (term '" + term + "' in " +
                                          segment_name(input.segment_id) + ")");
            }
            LORE_ASSIGN_OR_RETURN(input.has_row, input.stmt.step());
        }
        if (!dead.empty()) {
            std::erase_if(merged, [&dead](const Posting& p) {
                return std::binary_search(dead.begin(), dead.end(), p.doc_id);
            });
        }
        if (merged.empty()) {
            continue;
        }
        if (!std::is_sorted(merged.begin(), merged.end(), [](const Posting& a, const Posting& b) {
                return a.doc_id < b.doc_id;
            })) {
            std::sort(merged.begin(), merged.end(),
                      [](const Posting& a, const Posting& b) { return a.doc_id < b.doc_id; });
        }
        scratch_bytes_.clear();
        encode_postings(merged, scratch_bytes_);
        insert_postings->reset();
        insert_postings->bind(1, new_id).bind(2, term).bind_blob(
            3, std::as_bytes(std::span<const std::uint8_t>(scratch_bytes_)));
        LORE_RETURN_IF_ERROR(insert_postings->run());
    }
    inputs.clear();

    LORE_ASSIGN_OR_RETURN(Stmt * delete_postings,
                          cached("DELETE FROM lex_postings WHERE segment_id = ?"));
    LORE_ASSIGN_OR_RETURN(Stmt * delete_segment, cached("DELETE FROM lex_segments WHERE id = ?"));
    for (std::int64_t segment_id : segment_ids) {
        delete_postings->reset();
        delete_postings->bind(1, segment_id);
        LORE_RETURN_IF_ERROR(delete_postings->run());
        delete_segment->reset();
        delete_segment->bind(1, segment_id);
        LORE_RETURN_IF_ERROR(delete_segment->run());
    }
    LORE_ASSIGN_OR_RETURN(Stmt * delete_tombstone,
                          cached("DELETE FROM lex_tombstones WHERE chunk_id = ?"));
    for (std::int64_t chunk_id : dead) {
        delete_tombstone->reset();
        delete_tombstone->bind(1, chunk_id);
        LORE_RETURN_IF_ERROR(delete_tombstone->run());
    }
    doc_length_cache_.clear();
    return db_.exec("UPDATE lex_stats SET generation = generation + 1 WHERE id = 0");
}

Status check_lexical_index(store::Db& db) {
    LORE_ASSIGN_OR_RETURN(LexicalStats stats, read_lexical_stats(db));
    if (stats.rebuild_needed) {
        return Status::ok();  // nothing indexed yet; the next open rebuilds
    }
    auto mismatch = [](const std::string& what) {
        return Status::corruption("lexical: index check: " + what);
    };
    // chunk id -> (segment id, length), over every segment.
    std::unordered_map<std::int64_t, std::pair<std::int64_t, std::uint32_t>> docs;
    {
        LORE_ASSIGN_OR_RETURN(store::Stmt segments,
                              db.prepare("SELECT id, n_docs, first_chunk_id, last_chunk_id, "
                                         "total_len, doc_lengths FROM lex_segments"));
        std::vector<DocLength> lengths;
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, segments.step());
            if (!has_row) {
                break;
            }
            const std::int64_t segment_id = segments.column_int64(0);
            const std::span<const std::byte> blob = segments.column_blob(5);
            LORE_RETURN_IF_ERROR(decode_doc_lengths(
                {reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}, segment_id,
                lengths));
            std::int64_t total = 0;
            for (const DocLength& doc : lengths) {
                total += doc.len;
                if (!docs.emplace(doc.chunk_id, std::make_pair(segment_id, doc.len)).second) {
                    return mismatch("chunk " + std::to_string(doc.chunk_id) +
                                    " is in two segments");
                }
            }
            if (lengths.empty() ||
                static_cast<std::int64_t>(lengths.size()) != segments.column_int64(1) ||
                lengths.front().chunk_id != segments.column_int64(2) ||
                lengths.back().chunk_id != segments.column_int64(3) ||
                total != segments.column_int64(4)) {
                return mismatch(segment_name(segment_id) + " row disagrees with its doc table");
            }
        }
    }
    {
        LORE_ASSIGN_OR_RETURN(store::Stmt postings,
                              db.prepare("SELECT segment_id, term, postings FROM lex_postings"));
        std::vector<Posting> decoded;
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, postings.step());
            if (!has_row) {
                break;
            }
            const std::int64_t segment_id = postings.column_int64(0);
            const std::string term(postings.column_text(1));
            const std::span<const std::byte> blob = postings.column_blob(2);
            PostingList list;
            decoded.clear();
            Status status = PostingList::parse(
                {reinterpret_cast<const std::uint8_t*>(blob.data()), blob.size()}, list);
            if (status.is_ok()) {
                status = list.decode_all(decoded);
            }
            if (!status.is_ok()) {
                return Status::corruption(status.message() + " (term '" + term + "' in " +
                                          segment_name(segment_id) + ")");
            }
            for (const Posting& p : decoded) {
                auto it = docs.find(p.doc_id);
                if (it == docs.end() || it->second.first != segment_id ||
                    it->second.second != p.doc_len) {
                    return mismatch("term '" + term + "' in " + segment_name(segment_id) +
                                    " lists chunk " + std::to_string(p.doc_id) +
                                    " that the segment does not hold with that length");
                }
            }
        }
    }
    LORE_ASSIGN_OR_RETURN(store::Stmt tombstones,
                          db.prepare("SELECT chunk_id FROM lex_tombstones"));
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, tombstones.step());
        if (!has_row) {
            break;
        }
        if (docs.erase(tombstones.column_int64(0)) == 0) {
            return mismatch("tombstone " + std::to_string(tombstones.column_int64(0)) +
                            " names no indexed chunk");
        }
    }
    std::int64_t live_len = 0;
    for (const auto& [chunk_id, segment_and_len] : docs) {
        live_len += segment_and_len.second;
    }
    LORE_ASSIGN_OR_RETURN(std::int64_t n_chunks, db.query_int64("SELECT count(*) FROM chunks"));
    if (static_cast<std::int64_t>(docs.size()) != n_chunks || stats.n_docs != n_chunks ||
        stats.total_len != live_len) {
        return mismatch("live chunks " + std::to_string(docs.size()) + ", lex_stats n_docs " +
                        std::to_string(stats.n_docs) + ", chunks table " +
                        std::to_string(n_chunks) + "; total length " + std::to_string(live_len) +
                        " vs lex_stats " + std::to_string(stats.total_len));
    }
    LORE_ASSIGN_OR_RETURN(store::Stmt chunk_ids, db.prepare("SELECT id FROM chunks"));
    while (true) {
        LORE_ASSIGN_OR_RETURN(bool has_row, chunk_ids.step());
        if (!has_row) {
            break;
        }
        if (docs.count(chunk_ids.column_int64(0)) == 0) {
            return mismatch("chunk " + std::to_string(chunk_ids.column_int64(0)) +
                            " is not indexed");
        }
    }
    return Status::ok();
}

}  // namespace lore::retrieve
