// The write side of lore's own lexical index (issue 5), stored in the KB's SQLite database
// (tables lex_*, schema v3; docs/formats/kb.md):
//
//   lex_segments(id, n_docs, first_chunk_id, last_chunk_id, total_len, doc_lengths)
//       an immutable batch of indexed chunks; doc_lengths = varint count, then per chunk
//       (id delta, length in terms), ids increasing
//   lex_postings(segment_id, term, postings)   one posting list per term and segment
//       (postings.h), primary key (segment_id, term)
//   lex_tombstones(chunk_id)                   chunks deleted but still in some segment
//   lex_stats(n_docs, total_len, generation, rebuild_needed)   live chunks and their total
//       length (BM25's N and average length), a counter bumped by every change, and the
//       rebuild flag the v3 migration sets on a KB that already had chunks
//
// LexicalWriter is the Store's ChunkObserver: it tokenizes each chunk once as the ingest adds
// it, buffers postings in memory, and writes one segment in on_before_commit, inside the
// ingest's transaction. A rollback (SQLite's rollback hook) drops the buffer. Deleted chunks
// become tombstones; merges rewrite segments without them, each merge in its own transaction.
//
// Invariants: every live chunk is in exactly one segment and not a tombstone; lex_stats counts
// exactly the live chunks; per-term document frequency = sum of the segment lists' lengths
// minus the tombstoned chunks they hold (the reader subtracts, bm25_index.h).
//
// Thread safety: one writer per Store connection, used on the Store's thread.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lore/result.h"

#include "retrieve/postings.h"
#include "retrieve/term_analyzer.h"
#include "retrieve/word_table.h"
#include "store/sqlite.h"
#include "store/store.h"

namespace lore::retrieve {

struct MergePolicy {
    // Segments merge once `fan_in` of them sit in the same size tier; tier t holds segments of
    // [tier_base_docs * fan_in^(t-1), tier_base_docs * fan_in^t) live chunks (tier 0: fewer
    // than tier_base_docs).
    int fan_in = 8;
    std::int64_t tier_base_docs = 1024;
    // A segment with at least this fraction of its chunks deleted is rewritten alone.
    double max_deleted_fraction = 0.25;
};

struct LexicalWriterOptions {
    // A transaction writes a segment every this many chunks (and one at commit): bounds the
    // buffer, which must stay small enough to stay in cache (see lexical_segments.cpp).
    std::size_t segment_docs = 1U << 16;
};

struct LexicalStats {
    std::int64_t n_docs = 0;
    std::int64_t total_len = 0;
    std::int64_t generation = 0;
    bool rebuild_needed = false;
};

struct SegmentInfo {
    std::int64_t id = 0;
    std::int64_t n_docs = 0;
    std::int64_t first_chunk_id = 0;
    std::int64_t last_chunk_id = 0;
    std::int64_t total_len = 0;
};

struct DocLength {
    std::int64_t chunk_id = 0;
    std::uint32_t len = 0;
};

Result<LexicalStats> read_lexical_stats(store::Db& db);

// Segments by id.
Result<std::vector<SegmentInfo>> list_segments(store::Db& db);

// Encodes / decodes a segment's doc_lengths blob (layout above). Decoding fails with
// kCorruption naming the segment.
void encode_doc_lengths(std::span<const DocLength> docs, std::vector<std::uint8_t>& out);
Status decode_doc_lengths(std::span<const std::uint8_t> blob,
                          std::int64_t segment_id,
                          std::vector<DocLength>& out);

// Checks the whole index against the chunks table: every blob decodes, every posting names a
// chunk of its segment with the right length, lex_stats and the live chunks equal `chunks`.
// kCorruption with the first difference. For tests, the kill test and `lore kb check`.
Status check_lexical_index(store::Db& db);

class LexicalWriter final : public store::ChunkObserver {
public:
    // `db` must outlive the writer. It installs SQLite's rollback hook on `db` (one writer per
    // connection: a newer writer takes the hook over) and removes it on destruction. Register
    // with Store::set_chunk_observer.
    static Result<std::unique_ptr<LexicalWriter>> create(store::Db& db,
                                                         const LexicalWriterOptions& options = {});

    ~LexicalWriter() override;
    LexicalWriter(const LexicalWriter&) = delete;
    LexicalWriter& operator=(const LexicalWriter&) = delete;

    Status on_chunk_added(std::int64_t chunk_id, std::string_view text) override;
    Status on_chunks_removed(std::int64_t first_chunk_id, std::int64_t n_chunks) override;
    Status on_before_commit() override;

    // Rebuilds the index from the chunks table when lex_stats.rebuild_needed (a KB migrated
    // from v2), in one write transaction.
    Status rebuild_if_needed();
    // Drops and rebuilds the whole index from the chunks table, in one write transaction.
    Status rebuild();

    // Runs the merges `policy` asks for, each in its own write transaction; returns how many.
    Result<int> merge(const MergePolicy& policy = {});
    // Merges every segment into one and drops every tombstone, in one write transaction.
    Status optimize();

private:
    using Stmt = store::Stmt;

    struct BufferedPosting {
        std::uint32_t doc_idx = 0;  // index in docs_
        std::uint32_t tf = 0;
    };

    struct TermEntry {
        std::string term;
        std::vector<BufferedPosting> postings;
    };

    LexicalWriter(store::Db& db, const LexicalWriterOptions& options)
        : db_(db), options_(options) {}

    static void add_term_cb(void* ctx, std::string_view term);
    static void rollback_cb(void* ctx);
    void add_term(std::string_view term);
    // Counts one occurrence of dictionary entry `entry_idx` in the chunk being added.
    void add_entry(std::uint32_t entry_idx);
    std::uint32_t entry_for_term(std::string_view term);
    // The entry of a lower-case ASCII word (kStopWord when it yields no term), cached.
    Result<std::uint32_t> entry_for_ascii_word(std::string_view word, std::uint64_t hash);
    void clear_buffer();
    Status add_chunk(std::int64_t chunk_id, std::string_view text);
    // Writes the buffered chunks as one segment (nothing when none).
    Status flush_segment();
    Status apply_removals();
    Status write_stats();
    Result<std::vector<DocLength>*> segment_doc_lengths(std::int64_t segment_id);
    // Merges `segment_ids` into one new segment without their tombstoned chunks.
    Status merge_segments(const std::vector<std::int64_t>& segment_ids);
    Result<Stmt*> cached(const char* sql);

    store::Db& db_;
    LexicalWriterOptions options_;
    std::unique_ptr<TermAnalyzer> analyzer_;
    std::unordered_map<const char*, Stmt> statements_;

    // The open transaction's buffer. entries_ is a deque so the dictionary's string_view keys
    // (into entries_[i].term) stay valid as it grows; entries persist across transactions
    // (their vectors keep their capacity) until the dictionary grows past a limit.
    std::deque<TermEntry> entries_;
    std::unordered_map<std::string_view, std::uint32_t> dictionary_;
    // Fast path (see add_chunk): lower-case ASCII word -> entry (or stop word).
    WordTable word_cache_;
    std::string word_;
    std::string stemmed_;
    int n_stemmed_ = 0;
    std::vector<std::uint32_t> active_;  // entries with postings in this transaction
    std::vector<DocLength> docs_;
    std::uint32_t current_len_ = 0;
    std::vector<std::pair<std::int64_t, std::int64_t>> removed_;  // [first, last] ranges
    std::int64_t stats_docs_delta_ = 0;
    std::int64_t stats_len_delta_ = 0;
    bool stats_dirty_ = false;
    std::unordered_map<std::int64_t, std::vector<DocLength>> doc_length_cache_;

    // Scratch reused across segments.
    std::vector<Posting> scratch_postings_;
    std::vector<std::uint8_t> scratch_bytes_;
};

}  // namespace lore::retrieve
