// Bm25Index: block-max WAND over (term, segment) cursors. Chunks live in exactly one segment,
// so the cursors of one term never meet on a chunk and each cursor is simply one more list.
//
// Pruning is safe for ties: chunks are visited in increasing id order, so a later chunk whose
// score equals the current k-th best loses the tie and only scores strictly above the
// threshold need evaluating. Upper bounds come from each block's (max tf, min length), scaled
// by 1 + 1e-9 so floating-point rounding can never make a bound smaller than a score.
#include "retrieve/bm25_index.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include <sqlite3.h>

#include "retrieve/lexical_segments.h"
#include "retrieve/postings.h"
#include "store/text_analysis.h"

namespace lore::retrieve {
namespace {

constexpr std::int64_t kEndDoc = std::numeric_limits<std::int64_t>::max();
constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
constexpr double kBoundSlack = 1.0 + 1e-9;

// FTS5's per-phrase term, written in its operation order so the results are bit-identical.
inline double bm25_term(double idf, double freq, double doc_len, double avgdl) {
    return idf * ((freq * (kK1 + 1.0)) / (freq + kK1 * (1 - kB + kB * doc_len / avgdl)));
}

double fts5_idf(std::int64_t n_rows, std::int64_t n_hits) {
    const double idf = std::log((static_cast<double>(n_rows - n_hits) + 0.5) /
                                (static_cast<double>(n_hits) + 0.5));
    return idf <= 0.0 ? 1e-6 : idf;
}

}  // namespace

struct Bm25Index::Cursor {
    std::vector<std::uint8_t> bytes;
    PostingList list;
    std::vector<double> block_bound;
    double list_bound = 0.0;
    double idf = 0.0;
    std::size_t query_idx = 0;
    std::int64_t segment_id = 0;
    std::size_t block_idx = 0;
    std::size_t shallow_idx = 0;
    std::uint32_t pos = 0;
    std::uint32_t n_in_block = 0;
    std::int64_t doc = kEndDoc;
    std::int64_t doc_ids[kPostingBlockSize];
    std::uint32_t tfs[kPostingBlockSize];
    std::uint32_t lens[kPostingBlockSize];

    Status load_block(std::size_t idx) {
        block_idx = idx;
        shallow_idx = std::max(shallow_idx, idx);
        LORE_RETURN_IF_ERROR(list.decode_block(idx, doc_ids, tfs, lens));
        n_in_block = list.block(idx).n_postings;
        pos = 0;
        doc = doc_ids[0];
        return Status::ok();
    }

    Status start() {
        shallow_idx = 0;
        return load_block(0);
    }

    Status next() {
        if (++pos < n_in_block) {
            doc = doc_ids[pos];
            return Status::ok();
        }
        if (block_idx + 1 < list.n_blocks()) {
            return load_block(block_idx + 1);
        }
        doc = kEndDoc;
        return Status::ok();
    }

    // First block at or after `from` whose last doc is >= target (n_blocks when none).
    std::size_t find_block(std::size_t from, std::int64_t target) const {
        std::size_t lo = from;
        std::size_t hi = list.n_blocks();
        while (lo < hi) {
            const std::size_t mid = lo + (hi - lo) / 2;
            if (list.block(mid).last_doc < target) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    // Moves to the first posting with doc >= target.
    Status seek(std::int64_t target) {
        if (doc >= target) {
            return Status::ok();
        }
        if (list.block(block_idx).last_doc < target) {
            const std::size_t idx = find_block(block_idx + 1, target);
            if (idx == list.n_blocks()) {
                doc = kEndDoc;
                return Status::ok();
            }
            LORE_RETURN_IF_ERROR(load_block(idx));
        }
        while (doc_ids[pos] < target) {
            ++pos;
        }
        doc = doc_ids[pos];
        return Status::ok();
    }

    // Bound of the block that would hold `target`, without decoding it (0 past the end).
    double shallow_bound(std::int64_t target) {
        if (shallow_idx < list.n_blocks() && list.block(shallow_idx).last_doc < target) {
            shallow_idx = find_block(shallow_idx + 1, target);
        }
        return shallow_idx < list.n_blocks() ? block_bound[shallow_idx] : 0.0;
    }

    std::int64_t shallow_last_doc() const {
        return shallow_idx < list.n_blocks() ? list.block(shallow_idx).last_doc : kEndDoc - 1;
    }

    double score(double avgdl) const {
        return bm25_term(idf, static_cast<double>(tfs[pos]), static_cast<double>(lens[pos]), avgdl);
    }
};

struct Bm25Index::State {
    explicit State(store::Db& db) : fallback(db) {}

    std::unique_ptr<TermAnalyzer> analyzer;
    Fts5Index fallback;
    store::Stmt stats_stmt;
    store::Stmt postings_stmt;
    std::int64_t generation = -1;
    std::vector<SegmentInfo> segments;
    std::vector<std::int64_t> tombstones;  // sorted
    std::vector<std::unique_ptr<Cursor>> pool;
    std::vector<std::string> query_terms;
    std::vector<std::int64_t> df;
    std::vector<double> contributions;
};

Bm25Index::Bm25Index(store::Db& db) : db_(db), state_(std::make_unique<State>(db)) {}

Bm25Index::~Bm25Index() = default;

Result<std::unique_ptr<Bm25Index>> Bm25Index::create(store::Db& db) {
    auto index = std::unique_ptr<Bm25Index>(new Bm25Index(db));
    LORE_ASSIGN_OR_RETURN(index->state_->analyzer, TermAnalyzer::create(db.handle()));
    LORE_ASSIGN_OR_RETURN(index->state_->stats_stmt,
                          db.prepare("SELECT n_docs, total_len, generation, rebuild_needed FROM "
                                     "lex_stats WHERE id = 0"));
    LORE_ASSIGN_OR_RETURN(index->state_->postings_stmt,
                          db.prepare("SELECT postings FROM lex_postings WHERE segment_id = ?1 "
                                     "AND term = ?2"));
    return index;
}

Result<std::vector<ScoredChunk>> Bm25Index::search(std::string_view query, int top_k) {
    if (sqlite3_get_autocommit(db_.handle()) != 0) {
        LORE_ASSIGN_OR_RETURN(store::Transaction txn, store::Transaction::begin_read(db_));
        LORE_ASSIGN_OR_RETURN(std::vector<ScoredChunk> hits, search_locked(query, top_k));
        LORE_RETURN_IF_ERROR(txn.commit());
        return hits;
    }
    return search_locked(query, top_k);
}

namespace {

void collect_term(void* ctx, std::string_view term) {
    static_cast<std::vector<std::string>*>(ctx)->emplace_back(term);
}

// How many of `ids` (sorted) the list holds.
Result<std::int64_t> count_present(const PostingList& list, std::span<const std::int64_t> ids) {
    std::int64_t doc_ids[kPostingBlockSize];
    std::uint32_t tfs[kPostingBlockSize];
    std::uint32_t lens[kPostingBlockSize];
    std::size_t decoded = list.n_blocks();
    std::int64_t n = 0;
    std::size_t block_idx = 0;
    for (std::int64_t id : ids) {
        while (block_idx < list.n_blocks() && list.block(block_idx).last_doc < id) {
            ++block_idx;
        }
        if (block_idx == list.n_blocks()) {
            break;
        }
        if (decoded != block_idx) {
            LORE_RETURN_IF_ERROR(list.decode_block(block_idx, doc_ids, tfs, lens));
            decoded = block_idx;
        }
        const std::int64_t* begin = doc_ids;
        const std::int64_t* end = begin + list.block(block_idx).n_postings;
        n += std::binary_search(begin, end, id) ? 1 : 0;
    }
    return n;
}

}  // namespace

Result<std::vector<ScoredChunk>> Bm25Index::search_locked(std::string_view query, int top_k) {
    State& state = *state_;
    std::vector<ScoredChunk> heap;
    if (top_k <= 0) {
        return heap;
    }
    state.query_terms.clear();
    for (const std::string& word : store::query_words(query)) {
        LORE_RETURN_IF_ERROR(
            state.analyzer->analyze(word, true, &collect_term, &state.query_terms));
    }
    if (state.query_terms.empty()) {
        return heap;
    }

    store::Stmt& stats = state.stats_stmt;
    stats.reset();
    LORE_ASSIGN_OR_RETURN(bool has_stats, stats.step());
    if (!has_stats) {
        return Status::corruption("lexical: lex_stats has no row in " + db_.path().string());
    }
    const std::int64_t n_docs = stats.column_int64(0);
    const std::int64_t total_len = stats.column_int64(1);
    const std::int64_t generation = stats.column_int64(2);
    const bool rebuild_needed = stats.column_int64(3) != 0;
    stats.reset();
    if (rebuild_needed) {
        return state.fallback.search(query, top_k);
    }
    if (n_docs <= 0) {
        return heap;
    }
    if (generation != state.generation) {
        LORE_ASSIGN_OR_RETURN(state.segments, list_segments(db_));
        state.tombstones.clear();
        LORE_ASSIGN_OR_RETURN(store::Stmt tomb,
                              db_.prepare("SELECT chunk_id FROM lex_tombstones ORDER BY chunk_id"));
        while (true) {
            LORE_ASSIGN_OR_RETURN(bool has_row, tomb.step());
            if (!has_row) {
                break;
            }
            state.tombstones.push_back(tomb.column_int64(0));
        }
        state.generation = generation;
    }
    const double avgdl = static_cast<double>(total_len) / static_cast<double>(n_docs);

    // One cursor per (query term, segment) that has a list.
    std::size_t n_cursors = 0;
    const std::size_t n_terms = state.query_terms.size();
    state.df.assign(n_terms, 0);
    store::Stmt& fetch = state.postings_stmt;
    for (std::size_t term_idx = 0; term_idx < n_terms; ++term_idx) {
        for (const SegmentInfo& segment : state.segments) {
            fetch.reset();
            fetch.bind(1, segment.id).bind(2, state.query_terms[term_idx]);
            LORE_ASSIGN_OR_RETURN(bool has_row, fetch.step());
            if (!has_row) {
                continue;
            }
            if (state.pool.size() <= n_cursors) {
                state.pool.push_back(std::make_unique<Cursor>());
            }
            Cursor& cursor = *state.pool[n_cursors];
            const std::span<const std::byte> blob = fetch.column_blob(0);
            const auto* data = reinterpret_cast<const std::uint8_t*>(blob.data());
            cursor.bytes.assign(data, data + blob.size());
            fetch.reset();
            auto located = [&](const Status& status) {
                return Status::corruption(status.message() + " (term '" +
                                          state.query_terms[term_idx] + "' in segment " +
                                          std::to_string(segment.id) + ")");
            };
            Status status = PostingList::parse(cursor.bytes, cursor.list);
            if (!status.is_ok()) {
                return located(status);
            }
            std::int64_t df = cursor.list.n_postings();
            const auto tomb_begin = std::lower_bound(
                state.tombstones.begin(), state.tombstones.end(), segment.first_chunk_id);
            const auto tomb_end =
                std::upper_bound(tomb_begin, state.tombstones.end(), segment.last_chunk_id);
            if (tomb_begin != tomb_end) {
                Result<std::int64_t> dead = count_present(
                    cursor.list,
                    std::span<const std::int64_t>(&*tomb_begin,
                                                  static_cast<std::size_t>(tomb_end - tomb_begin)));
                if (!dead.has_value()) {
                    return located(dead.status());
                }
                df -= *dead;
            }
            state.df[term_idx] += df;
            cursor.query_idx = term_idx;
            cursor.segment_id = segment.id;
            ++n_cursors;
        }
        fetch.reset();
    }

    std::vector<Cursor*> cursors;
    cursors.reserve(n_cursors);
    for (std::size_t cursor_idx = 0; cursor_idx < n_cursors; ++cursor_idx) {
        Cursor& cursor = *state.pool[cursor_idx];
        cursor.idf = fts5_idf(n_docs, state.df[cursor.query_idx]);
        cursor.block_bound.resize(cursor.list.n_blocks());
        cursor.list_bound = 0.0;
        for (std::size_t block_idx = 0; block_idx < cursor.list.n_blocks(); ++block_idx) {
            const PostingBlock& block = cursor.list.block(block_idx);
            const double bound = bm25_term(cursor.idf, static_cast<double>(block.max_tf),
                                           static_cast<double>(block.min_len), avgdl) *
                                 kBoundSlack;
            cursor.block_bound[block_idx] = bound;
            cursor.list_bound = std::max(cursor.list_bound, bound);
        }
        Status status = cursor.start();
        if (!status.is_ok()) {
            return Status::corruption(status.message() + " (term '" +
                                      state.query_terms[cursor.query_idx] + "' in segment " +
                                      std::to_string(cursor.segment_id) + ")");
        }
        cursors.push_back(&cursor);
    }

    const auto k = static_cast<std::size_t>(top_k);
    heap.reserve(k + 1);
    state.contributions.assign(n_terms, 0.0);
    const auto by_doc = [](const Cursor* a, const Cursor* b) { return a->doc < b->doc; };
    const auto worse_on_top = [](const ScoredChunk& a, const ScoredChunk& b) {
        return better(a, b);
    };
    auto fail = [&state](Cursor& cursor, const Status& status) {
        return Status::corruption(status.message() + " (term '" +
                                  state.query_terms[cursor.query_idx] + "' in segment " +
                                  std::to_string(cursor.segment_id) + ")");
    };
    while (true) {
        std::erase_if(cursors, [](const Cursor* c) { return c->doc == kEndDoc; });
        if (cursors.empty()) {
            break;
        }
        // Insertion sort: a handful of cursors, nearly sorted after each step.
        for (std::size_t i = 1; i < cursors.size(); ++i) {
            for (std::size_t j = i; j > 0 && by_doc(cursors[j], cursors[j - 1]); --j) {
                std::swap(cursors[j], cursors[j - 1]);
            }
        }
        const bool full = heap.size() == k;
        const double threshold = full ? heap.front().score : 0.0;
        // Pivot: the first cursor at which the lists' bounds could beat the threshold.
        std::size_t pivot = cursors.size();
        double bound_sum = 0.0;
        for (std::size_t i = 0; i < cursors.size(); ++i) {
            bound_sum += cursors[i]->list_bound;
            if (!full || bound_sum > threshold) {
                pivot = i;
                break;
            }
        }
        if (pivot == cursors.size()) {
            break;  // no chunk left can enter the top k
        }
        const std::int64_t pivot_doc = cursors[pivot]->doc;
        while (pivot + 1 < cursors.size() && cursors[pivot + 1]->doc == pivot_doc) {
            ++pivot;
        }
        if (full) {
            double block_sum = 0.0;
            for (std::size_t i = 0; i <= pivot; ++i) {
                block_sum += cursors[i]->shallow_bound(pivot_doc);
            }
            if (block_sum <= threshold) {
                // No chunk before the end of the shortest of these blocks (or the next
                // cursor's chunk) can win: jump there.
                std::int64_t next = pivot + 1 < cursors.size() ? cursors[pivot + 1]->doc : kEndDoc;
                for (std::size_t i = 0; i <= pivot; ++i) {
                    next = std::min(next, cursors[i]->shallow_last_doc() + 1);
                }
                next = std::max(next, pivot_doc + 1);
                for (std::size_t i = 0; i <= pivot; ++i) {
                    Status status = cursors[i]->seek(next);
                    if (!status.is_ok()) {
                        return fail(*cursors[i], status);
                    }
                }
                continue;
            }
        }
        if (cursors[0]->doc != pivot_doc) {
            for (std::size_t i = 0; i < pivot && cursors[i]->doc < pivot_doc; ++i) {
                Status status = cursors[i]->seek(pivot_doc);
                if (!status.is_ok()) {
                    return fail(*cursors[i], status);
                }
            }
            continue;
        }
        // Every cursor up to the pivot is on pivot_doc: score it.
        const bool is_deleted =
            !state.tombstones.empty() &&
            std::binary_search(state.tombstones.begin(), state.tombstones.end(), pivot_doc);
        if (!is_deleted) {
            for (std::size_t i = 0; i <= pivot; ++i) {
                state.contributions[cursors[i]->query_idx] = cursors[i]->score(avgdl);
            }
            double score = 0.0;
            for (double& contribution : state.contributions) {
                score += contribution;
                contribution = 0.0;
            }
            const ScoredChunk candidate{pivot_doc, score};
            if (!full) {
                heap.push_back(candidate);
                std::push_heap(heap.begin(), heap.end(), worse_on_top);
            } else if (better(candidate, heap.front())) {
                std::pop_heap(heap.begin(), heap.end(), worse_on_top);
                heap.back() = candidate;
                std::push_heap(heap.begin(), heap.end(), worse_on_top);
            }
        }
        for (std::size_t i = 0; i <= pivot; ++i) {
            Status status = cursors[i]->next();
            if (!status.is_ok()) {
                return fail(*cursors[i], status);
            }
        }
    }
    std::sort(heap.begin(), heap.end(), better);
    return heap;
}

}  // namespace lore::retrieve
