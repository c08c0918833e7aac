// lore's own lexical index (Bm25Index + LexicalWriter) and FTS5 against a brute-force BM25
// oracle over the same tokens: a few thousand generated chunks, many random queries, top-10
// identical up to ties and scores within 1e-6 relative; again after deletions and re-ingest,
// after tiered merges and a full optimize, after a rolled-back ingest and after migrating a
// schema-v2 KB. A damaged segment blob is a clear kCorruption.
#include "retrieve/lexical_index.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <random>
#include <sstream>

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "lore/kb.h"

#include "../store/temp_dir.h"
#include "retrieve/bm25_index.h"
#include "retrieve/lexical_segments.h"
#include "store/schema.h"
#include "store/store.h"
#include "store/text_analysis.h"

namespace lore::retrieve {
namespace {

using lore::testing::TempDir;

// Words that stem together ("connect", "connected", ...), stop words and plain ones, drawn
// with a Zipf-like skew so some terms are in most chunks and some in a handful.
const std::vector<std::string>& vocabulary() {
    static const std::vector<std::string> words = [] {
        std::vector<std::string> out = {
            "connect", "connected", "connection", "running", "runs", "run", "the", "of", "and",
            "not", "file", "files", "filing", "socket", "kernel", "option", "options",
            // Non-ASCII and punctuation inside words: the
            // writer's fast path must split and fold as FTS5.
            "café", "Café", "naïve", "Über", "über", "straße", "résumé", "x86_64", "don't",
            "e-mail", "ÉCOLE", "ALL", "Connecting", "RUNS"};
        const char* syllables[] = {"ka", "lo",  "mi",  "ter", "vas",
                                   "nu", "pre", "dor", "ith", "quo"};
        std::mt19937 rng(17);
        while (out.size() < 400) {
            std::string word;
            const int n_syllables = 2 + static_cast<int>(rng() % 3);
            for (int s = 0; s < n_syllables; ++s) {
                word += syllables[rng() % 10];
            }
            out.push_back(word);
        }
        return out;
    }();
    return words;
}

std::string random_word(std::mt19937& rng) {
    const auto& words = vocabulary();
    // Zipf-ish: squaring a uniform draw favours the front of the list.
    const double u = std::uniform_real_distribution<double>(0.0, 1.0)(rng);
    return words[static_cast<std::size_t>(u * u * u * static_cast<double>(words.size()))];
}

std::string random_text(std::mt19937& rng) {
    const int n_words = 3 + static_cast<int>(rng() % 50);
    std::string text;
    for (int w = 0; w < n_words; ++w) {
        if (w > 0) {
            text.append(rng() % 9 == 0 ? ", " : " ");
        }
        text.append(random_word(rng));
        if (rng() % 40 == 0) {
            // A non-ASCII separator joining two words ("socket—kernel").
            text.append("\u2014");
            text.append(random_word(rng));
        }
    }
    text.push_back('.');
    return text;
}

std::string random_query(std::mt19937& rng) {
    const int n_words = 1 + static_cast<int>(rng() % 4);
    std::string query;
    for (int w = 0; w < n_words; ++w) {
        if (w > 0) {
            query.push_back(' ');
        }
        query.append(rng() % 25 == 0 ? std::string("unseenword") : random_word(rng));
    }
    return query;
}

// Brute force BM25 exactly as FTS5 defines it, over the terms FTS5's tokenizer produces.
class Oracle {
public:
    explicit Oracle(store::Db& db) : db_(db) {}

    void load() {
        docs_.clear();
        auto stmt = db_.prepare("SELECT id, text FROM chunks ORDER BY id");
        ASSERT_TRUE(stmt.has_value());
        while (*stmt->step()) {
            std::vector<std::string> terms;
            ASSERT_TRUE(store::fts_terms(db_.handle(), stmt->column_text(1), terms).is_ok());
            Doc doc;
            doc.id = stmt->column_int64(0);
            doc.len = terms.size();
            for (const std::string& term : terms) {
                doc.tf[term] += 1;
            }
            docs_.push_back(std::move(doc));
        }
    }

    // Every matching chunk's score, best first, ties to the smaller id.
    std::vector<ScoredChunk> rank(std::string_view query) const {
        std::vector<std::string> terms;
        for (const std::string& word : store::query_words(query)) {
            EXPECT_TRUE(store::fts_terms(db_.handle(), word, terms).is_ok());
        }
        const auto n = static_cast<double>(docs_.size());
        double total = 0.0;
        for (const Doc& doc : docs_) {
            total += static_cast<double>(doc.len);
        }
        const double avgdl = total / n;
        std::vector<double> idf;
        for (const std::string& term : terms) {
            double hits = 0.0;
            for (const Doc& doc : docs_) {
                hits += doc.tf.count(term) != 0 ? 1.0 : 0.0;
            }
            const double value = std::log((n - hits + 0.5) / (hits + 0.5));
            idf.push_back(value <= 0.0 ? 1e-6 : value);
        }
        std::vector<ScoredChunk> out;
        for (const Doc& doc : docs_) {
            double score = 0.0;
            bool matched = false;
            for (std::size_t idx = 0; idx < terms.size(); ++idx) {
                auto it = doc.tf.find(terms[idx]);
                const double freq = it == doc.tf.end() ? 0.0 : static_cast<double>(it->second);
                matched = matched || freq > 0.0;
                score += idf[idx] *
                         ((freq * 2.2) /
                          (freq + 1.2 * (0.25 + 0.75 * static_cast<double>(doc.len) / avgdl)));
            }
            if (matched) {
                out.push_back({doc.id, score});
            }
        }
        std::sort(out.begin(), out.end(), better);
        return out;
    }

private:
    struct Doc {
        std::int64_t id = 0;
        std::size_t len = 0;
        std::map<std::string, int> tf;
    };

    store::Db& db_;
    std::vector<Doc> docs_;
};

// `got` equals the oracle's top k up to ties: same length, each score within 1e-6
// relative, and where ids differ the returned chunk ties with the expected one.
void expect_matches_oracle(const std::vector<ScoredChunk>& got,
                           const std::vector<ScoredChunk>& all,
                           std::size_t k,
                           const std::string& label) {
    const std::size_t n = std::min(k, all.size());
    ASSERT_EQ(got.size(), n) << label;
    std::map<std::int64_t, double> score_of;
    for (const ScoredChunk& hit : all) {
        score_of[hit.chunk_id] = hit.score;
    }
    for (std::size_t rank = 0; rank < n; ++rank) {
        const double expected = all[rank].score;
        EXPECT_NEAR(got[rank].score, expected, 1e-6 * std::abs(expected))
            << label << " rank " << rank;
        if (got[rank].chunk_id != all[rank].chunk_id) {
            auto it = score_of.find(got[rank].chunk_id);
            ASSERT_NE(it, score_of.end())
                << label << ": chunk " << got[rank].chunk_id << " does not match the query";
            EXPECT_NEAR(it->second, expected, 1e-9 * std::abs(expected))
                << label << " rank " << rank << ": chunk " << got[rank].chunk_id
                << " is not a tie of chunk " << all[rank].chunk_id;
        }
    }
}

class LexicalIndexTest : public ::testing::Test {
protected:
    void SetUp() override {
        store::StoreOptions with_fts5;  // the twin the tests compare with
        with_fts5.fts5 = true;
        auto store = store::Store::open(dir_.path(), with_fts5);
        ASSERT_TRUE(store.has_value()) << store.status().to_string();
        store_ = std::move(*store);
        auto writer = LexicalWriter::create(store_->db());
        ASSERT_TRUE(writer.has_value()) << writer.status().to_string();
        writer_ = std::move(*writer);
        store_->set_chunk_observer(writer_.get());
        auto index = Bm25Index::create(store_->db());
        ASSERT_TRUE(index.has_value()) << index.status().to_string();
        index_ = std::move(*index);
        fts5_ = std::make_unique<Fts5Index>(store_->db());
    }

    void TearDown() override { store_->set_chunk_observer(nullptr); }

    // Replaces the writer with one that starts a new segment every `segment_docs` documents.
    void use_writer_with_segment_docs(std::size_t segment_docs) {
        store_->set_chunk_observer(nullptr);
        LexicalWriterOptions options;
        options.segment_docs = segment_docs;
        writer_.reset();  // one rollback hook per connection: the new writer owns it
        auto small = LexicalWriter::create(store_->db(), options);
        ASSERT_TRUE(small.has_value()) << small.status().to_string();
        writer_ = std::move(*small);
        store_->set_chunk_observer(writer_.get());
    }

    // Writes source `source_idx` with `n_docs` documents of 1-4 chunks, in one transaction.
    void write_source(int source_idx, int n_docs, int version) {
        std::mt19937 rng(static_cast<unsigned>(source_idx * 1000 + version));
        std::vector<store::DocumentRecord> docs;
        for (int doc_idx = 0; doc_idx < n_docs; ++doc_idx) {
            store::DocumentRecord doc;
            doc.key = "d" + std::to_string(doc_idx);
            const int n_chunks = 1 + static_cast<int>(rng() % 4);
            std::string all;
            for (int chunk_idx = 0; chunk_idx < n_chunks; ++chunk_idx) {
                store::ChunkRecord chunk;
                chunk.text = random_text(rng);
                all += chunk.text;
                doc.chunks.push_back(std::move(chunk));
            }
            // Version 1 changes only every third document; the rest keep their hash.
            const bool changed = version > 0 && doc_idx % 3 == 0;
            const std::size_t hash = std::hash<std::string>()(
                std::to_string(source_idx) + "/" + std::to_string(doc_idx) +
                (changed ? "v" + std::to_string(version) : ""));
            char hex[17];
            std::snprintf(hex, sizeof hex, "%016zx", hash);
            doc.content_hash = hex;
            if (!changed && version > 0) {
                doc.chunks.clear();  // unchanged documents are kept as they are
            }
            docs.push_back(std::move(doc));
        }
        store::SourceRecord source;
        source.path = "/corpus/s" + std::to_string(source_idx) + ".jsonl";
        source.kind = "jsonl";
        source.content_hash = std::to_string(version);
        source.is_stream = true;
        auto stats = store_->replace_source(source, docs);
        ASSERT_TRUE(stats.has_value()) << stats.status().to_string();
    }

    void expect_both_match_oracle(int n_queries, unsigned seed, const std::string& label) {
        Oracle oracle(store_->db());
        oracle.load();
        std::mt19937 rng(seed);
        for (int query_idx = 0; query_idx < n_queries; ++query_idx) {
            const std::string query = random_query(rng);
            const std::vector<ScoredChunk> expected = oracle.rank(query);
            auto lore_hits = index_->search(query, 10);
            auto fts5_hits = fts5_->search(query, 10);
            ASSERT_TRUE(lore_hits.has_value()) << lore_hits.status().to_string();
            ASSERT_TRUE(fts5_hits.has_value()) << fts5_hits.status().to_string();
            expect_matches_oracle(*lore_hits, expected, 10, label + " lore '" + query + "'");
            expect_matches_oracle(*fts5_hits, expected, 10, label + " fts5 '" + query + "'");
        }
    }

    std::int64_t count(const char* sql) { return *store_->db().query_int64(sql); }

    TempDir dir_;
    std::unique_ptr<store::Store> store_;
    std::unique_ptr<LexicalWriter> writer_;
    std::unique_ptr<Bm25Index> index_;
    std::unique_ptr<Fts5Index> fts5_;
};

TEST_F(LexicalIndexTest, LoreAndFts5MatchBruteForceOnRandomQueries) {
    for (int source_idx = 0; source_idx < 4; ++source_idx) {
        write_source(source_idx, 250, 0);
    }

    expect_both_match_oracle(120, 1, "fresh");

    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
    EXPECT_EQ(count("SELECT count(*) FROM lex_segments"), 4);
}

TEST_F(LexicalIndexTest, MatchAfterDeletionsAndReingest) {
    for (int source_idx = 0; source_idx < 4; ++source_idx) {
        write_source(source_idx, 250, 0);
    }
    write_source(1, 250, 1);  // a third of the documents replaced
    write_source(2, 250, 1);
    ASSERT_TRUE(store_->remove_source("/corpus/s3.jsonl").has_value());

    EXPECT_GT(count("SELECT count(*) FROM lex_tombstones"), 0);
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
    expect_both_match_oracle(100, 2, "after deletions");
}

TEST_F(LexicalIndexTest, MatchAfterTieredMergesAndOptimize) {
    for (int source_idx = 0; source_idx < 12; ++source_idx) {
        write_source(source_idx, 60, 0);
    }
    write_source(4, 60, 1);
    ASSERT_TRUE(store_->remove_source("/corpus/s7.jsonl").has_value());
    MergePolicy policy;
    policy.fan_in = 4;
    policy.tier_base_docs = 400;

    auto n_merges = writer_->merge(policy);

    ASSERT_TRUE(n_merges.has_value()) << n_merges.status().to_string();
    EXPECT_GT(*n_merges, 0);
    EXPECT_LT(count("SELECT count(*) FROM lex_segments"), 13);
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
    expect_both_match_oracle(60, 3, "after merges");

    ASSERT_TRUE(writer_->optimize().is_ok());

    EXPECT_EQ(count("SELECT count(*) FROM lex_segments"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM lex_tombstones"), 0);
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
    expect_both_match_oracle(60, 4, "after optimize");
}

TEST_F(LexicalIndexTest, LargeTransactionWritesSeveralSegments) {
    use_writer_with_segment_docs(100);
    ASSERT_FALSE(HasFatalFailure());

    write_source(0, 200, 0);
    write_source(1, 200, 0);
    write_source(0, 200, 1);

    EXPECT_GT(count("SELECT count(*) FROM lex_segments"), 6);
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
    expect_both_match_oracle(60, 5, "several segments per transaction");
}

TEST_F(LexicalIndexTest, RollbackAfterAMidTransactionSegmentLeavesNothing) {
    use_writer_with_segment_docs(10);
    ASSERT_FALSE(HasFatalFailure());
    write_source(0, 30, 0);
    const std::int64_t n_segments = count("SELECT count(*) FROM lex_segments");
    {
        auto txn = store::Transaction::begin_write(store_->db());
        ASSERT_TRUE(txn.has_value());
        for (std::int64_t chunk_id = 1000000; chunk_id < 1000025; ++chunk_id) {
            ASSERT_TRUE(writer_->on_chunk_added(chunk_id, "phantomword socket").is_ok());
        }
    }
    write_source(1, 30, 0);

    EXPECT_TRUE(index_->search("phantomword", 10)->empty());
    EXPECT_GT(count("SELECT count(*) FROM lex_segments"), n_segments);
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
}

TEST_F(LexicalIndexTest, RolledBackTransactionLeavesNoPostings) {
    write_source(0, 50, 0);
    {
        auto txn = store::Transaction::begin_write(store_->db());
        ASSERT_TRUE(txn.has_value());
        ASSERT_TRUE(writer_->on_chunk_added(1000000, "phantomword appears here").is_ok());
        // txn goes out of scope: ROLLBACK, and the writer's buffer is dropped with it.
    }
    write_source(1, 50, 0);

    auto hits = index_->search("phantomword", 10);

    ASSERT_TRUE(hits.has_value());
    EXPECT_TRUE(hits->empty());
    EXPECT_TRUE(check_lexical_index(store_->db()).is_ok());
}

TEST_F(LexicalIndexTest, CorruptSegmentBlobIsAClearError) {
    write_source(0, 100, 0);
    ASSERT_TRUE(store_->db()
                    .exec("UPDATE lex_postings SET postings = substr(postings, 1, "
                          "length(postings) - 1) WHERE term = 'socket'")
                    .is_ok());

    auto hits = index_->search("socket", 10);

    ASSERT_FALSE(hits.has_value());
    EXPECT_EQ(hits.status().code(), StatusCode::kCorruption);
    EXPECT_NE(hits.status().message().find("term 'socket'"), std::string::npos)
        << hits.status().message();
    EXPECT_EQ(check_lexical_index(store_->db()).code(), StatusCode::kCorruption);
}

TEST_F(LexicalIndexTest, EdgeQueriesReturnNothingOrEverything) {
    write_source(0, 20, 0);

    EXPECT_TRUE(index_->search("the of and", 10)->empty());
    EXPECT_TRUE(index_->search("", 10)->empty());
    EXPECT_TRUE(index_->search("unseenword", 10)->empty());
    EXPECT_TRUE(index_->search("socket", 0)->empty());
    const std::int64_t n_chunks = count("SELECT count(*) FROM chunks");
    Oracle oracle(store_->db());
    oracle.load();
    const std::string query = "kernel file run";
    expect_matches_oracle(*index_->search(query, 1000), oracle.rank(query), 1000, "all hits");
    EXPECT_LE(static_cast<std::int64_t>(index_->search(query, 1000)->size()), n_chunks);
}

TEST(LexicalMigrationTest, SchemaV2KbIsIndexedOnOpen) {
    TempDir dir;
    {
        auto db = store::Db::open(dir / "kb.sqlite", store::OpenMode::kReadWriteCreate);
        ASSERT_TRUE(db.has_value());
        ASSERT_TRUE(store::register_fts_tokenizer((*db)->handle()).is_ok());
        ASSERT_TRUE(store::migrate_schema(**db, 2).is_ok());
        std::mt19937 rng(5);
        std::ostringstream sql;
        sql << "BEGIN;"
            << "INSERT INTO sources VALUES (1, '/a.jsonl', 'jsonl', 'x', 1, 1, 1);"
            << "INSERT INTO documents VALUES (1, 1, 'k', 0, 1, 200, NULL, NULL);";
        for (int chunk_id = 1; chunk_id <= 200; ++chunk_id) {
            std::string text;
            for (char c : random_text(rng)) {
                text += c == '\'' ? std::string("''") : std::string(1, c);
            }
            sql << "INSERT INTO chunks VALUES (" << chunk_id << ", 1, '" << text
                << "', 0, 0, 0, '');"
                << "INSERT INTO chunks_fts(rowid, text) VALUES (" << chunk_id << ", '" << text
                << "');";
        }
        sql << "COMMIT;";
        ASSERT_TRUE((*db)->exec(sql.str()).is_ok());
    }

    auto kb = KnowledgeBase::open(dir.path());

    ASSERT_TRUE(kb.has_value()) << kb.status().to_string();
    EXPECT_EQ((*kb)->stats()->schema_version, store::kSchemaVersion);
    SearchOptions lore_options;
    SearchOptions fts5_options;
    fts5_options.lexical_engine = LexicalEngine::kFts5;
    for (const char* query : {"socket", "kernel options", "connected file running"}) {
        auto lore_hits = (*kb)->search(query, lore_options);
        auto fts5_hits = (*kb)->search(query, fts5_options);
        ASSERT_TRUE(lore_hits.has_value()) << lore_hits.status().to_string();
        ASSERT_TRUE(fts5_hits.has_value());
        ASSERT_EQ(lore_hits->size(), fts5_hits->size()) << query;
        ASSERT_FALSE(lore_hits->empty()) << query;
        for (std::size_t idx = 0; idx < lore_hits->size(); ++idx) {
            EXPECT_NEAR((*lore_hits)[idx].score, (*fts5_hits)[idx].score,
                        1e-6 * std::abs((*fts5_hits)[idx].score))
                << query;
        }
    }
    kb->reset();
    auto store = store::Store::open(dir.path());
    ASSERT_TRUE(store.has_value());
    EXPECT_TRUE(check_lexical_index((*store)->db()).is_ok());
    EXPECT_EQ(*(*store)->db().query_int64("SELECT rebuild_needed FROM lex_stats"), 0);
}

}  // namespace
}  // namespace lore::retrieve

namespace lore::retrieve {
namespace {

TEST(LexicalEngineTest, KbWithoutFts5SearchesWithLoreAndRefusesFts5) {
    TempDir dir;
    {
        store::StoreOptions options;
        options.fts5 = false;
        ASSERT_TRUE(store::Store::open(dir.path(), options).has_value());
    }
    auto kb = KnowledgeBase::open(dir.path());
    ASSERT_TRUE(kb.has_value()) << kb.status().to_string();
    const std::string jsonl =
        "{\"id\":\"a\",\"text\":\"sockets connect kernels\"}\n"
        "{\"id\":\"b\",\"text\":\"a file of options\"}\n";
    ASSERT_TRUE((*kb)->ingest_jsonl_stream(jsonl, "s", IngestOptions{}).has_value());
    SearchOptions lore_options;
    SearchOptions fts5_options;
    fts5_options.lexical_engine = LexicalEngine::kFts5;

    auto lore_hits = (*kb)->search("socket", lore_options);
    auto fts5_hits = (*kb)->search("socket", fts5_options);

    ASSERT_TRUE(lore_hits.has_value()) << lore_hits.status().to_string();
    ASSERT_EQ(lore_hits->size(), 1U);
    EXPECT_EQ(lore_hits->front().document_key, "a");
    ASSERT_FALSE(fts5_hits.has_value());
    EXPECT_EQ(fts5_hits.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lore::retrieve
