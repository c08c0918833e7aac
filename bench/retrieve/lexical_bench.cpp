// Lexical search benchmark of issue 5 (run by hand, not in CI): lore's own BM25 index against
// a bare SQLite FTS5 table and, when built with Xapian (optional; GPL, linked by this program
// only), Xapian.
//   bench/store/make_corpus.sh /tmp/corpus.jsonl
//   build/<dir>/bench/retrieve/lore_bench_lexical /tmp/corpus.jsonl [N_PASSAGES] [WORK_DIR]
//       [N_QUERIES]
// Indexing (CPU seconds; wall time mostly measures the other processes on a shared machine):
//   - bare FTS5: the passages inserted into `fts5(text, tokenize='porter lore_en')` in one
//     transaction (the same analysis as lore);
//   - lore KB without its own index (Store + Ingester, no observer): chunks + FTS5;
//   - lore KB with its own index (the LexicalWriter observing the ingest): the difference is
//     the CPU the index adds to an ingest, and the size difference is the index's size;
//   - lore KB with its own index and without FTS5 (StoreOptions::fts5 = false);
//   - lore's index alone: LexicalWriter::rebuild() from the chunks table;
//   - Xapian: TermGenerator with the English stemmer (STEM_ALL), one commit.
// Queries: N_QUERIES (1,000) each of 1, 2 and 3 words (OR, top 10), drawn from random
// passages, run interleaved (bare FTS5, lore, Xapian on the same query in turn) after 50
// warm-up queries. lore's hits are also checked against the KB's FTS5 index (same chunk ids)
// on the first 200 queries of each length: scores must agree to 1e-9 relative.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <sqlite3.h>
#include <sys/resource.h>

#include "lore/kb.h"

#include "../bench_util.h"
#include "retrieve/bm25_index.h"
#include "retrieve/lexical_index.h"
#include "retrieve/lexical_segments.h"
#include "store/ingest.h"
#include "store/store.h"
#include "store/text_analysis.h"

#ifdef LORE_BENCH_HAS_XAPIAN
#include <xapian.h>
#endif

namespace {

using lore::bench::check;
using lore::bench::Clock;
using lore::bench::cpu_s;
using lore::bench::dir_size;
using lore::bench::Latency;
using lore::bench::since_ms;

struct IndexRow {
    const char* name;
    double cpu_s = 0.0;
    double wall_s = 0.0;
    double bytes = 0.0;
};

// A lore KB built with the store's Ingester; `with_index` attaches lore's LexicalWriter.
IndexRow ingest_kb(const std::filesystem::path& corpus,
                   const std::filesystem::path& kb_dir,
                   bool with_index,
                   bool with_fts5 = true) {
    IndexRow row{with_index ? (with_fts5 ? "lore KB, with its own index"
                                         : "lore KB, its own index and no FTS5")
                            : "lore KB, without its own index"};
    const Clock::time_point start = Clock::now();
    const double cpu_start = cpu_s();
    {
        lore::store::StoreOptions store_options;
        store_options.fts5 = with_fts5;
        auto store = lore::store::Store::open(kb_dir, store_options);
        check(store.status(), "open kb");
        std::unique_ptr<lore::retrieve::LexicalWriter> writer;
        if (with_index) {
            auto created = lore::retrieve::LexicalWriter::create((*store)->db());
            check(created.status(), "create writer");
            writer = std::move(*created);
            (*store)->set_chunk_observer(writer.get());
        }
        lore::IngestOptions options;
        options.chunk_tokens = 200;
        lore::store::Ingester ingester(**store, options);
        auto summary = ingester.ingest_paths(std::vector<std::string>{corpus.string()});
        check(summary.status(), "ingest");
        if (writer) {
            check(writer->merge().status(), "merge");
        }
        (*store)->set_chunk_observer(nullptr);
        check((*store)->db().exec("PRAGMA wal_checkpoint(TRUNCATE)"), "checkpoint");
    }
    row.cpu_s = cpu_s() - cpu_start;
    row.wall_s = since_ms(start) / 1000;
    row.bytes = static_cast<double>(dir_size(kb_dir));
    return row;
}

}  // namespace

int main(int argc, char** argv) {
    const std::optional<lore::bench::CorpusArgs> args =
        lore::bench::parse_corpus_args(argc, argv, "/tmp/lore_lexical_bench");
    if (!args) {
        return 2;
    }
    const std::filesystem::path& work = args->work;
    const int n_queries = args->n_queries;

    const std::filesystem::path corpus = work / "corpus.jsonl";
    std::vector<std::string> texts;
    for (const std::string& line : lore::bench::copy_corpus(args->source, args->limit, corpus)) {
        texts.push_back(nlohmann::json::parse(line)["text"].get<std::string>());
    }
    const auto n_passages = static_cast<double>(texts.size());
    std::printf("passages: %zu\n", texts.size());
    std::fflush(stdout);
    std::vector<IndexRow> rows;

    // Bare FTS5 with lore's analysis.
    sqlite3* bare = nullptr;
    {
        const std::filesystem::path bare_path = work / "bare" / "fts.sqlite";
        check(sqlite3_open(bare_path.c_str(), &bare), bare, "open");
        check(lore::store::register_fts_tokenizer(bare), "register tokenizer");
        IndexRow row{"bare FTS5 (porter lore_en)"};
        const Clock::time_point start = Clock::now();
        const double cpu_start = cpu_s();
        check(sqlite3_exec(bare,
                           "CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='porter "
                           "lore_en');BEGIN",
                           nullptr, nullptr, nullptr),
              bare, "create");
        sqlite3_stmt* insert = nullptr;
        check(sqlite3_prepare_v2(bare, "INSERT INTO fts(text) VALUES (?)", -1, &insert, nullptr),
              bare, "prepare");
        for (const std::string& text : texts) {
            sqlite3_bind_text(insert, 1, text.c_str(), static_cast<int>(text.size()),
                              SQLITE_STATIC);
            check(sqlite3_step(insert), bare, "insert");
            sqlite3_reset(insert);
        }
        sqlite3_finalize(insert);
        check(sqlite3_exec(bare, "COMMIT", nullptr, nullptr, nullptr), bare, "commit");
        row.cpu_s = cpu_s() - cpu_start;
        row.wall_s = since_ms(start) / 1000;
        row.bytes = static_cast<double>(dir_size(work / "bare"));
        rows.push_back(row);
    }

    const IndexRow without_index = ingest_kb(corpus, work / "kb_plain", false);
    rows.push_back(without_index);
    const IndexRow with_index = ingest_kb(corpus, work / "kb", true);
    rows.push_back(with_index);
    rows.push_back(ingest_kb(corpus, work / "kb_no_fts5", true, false));
    rows.push_back(
        {"lore's index alone (size: KB difference)", with_index.cpu_s - without_index.cpu_s,
         with_index.wall_s - without_index.wall_s, with_index.bytes - without_index.bytes});
    {
        // The index alone, built from the chunks table of the plain KB.
        auto store = lore::store::Store::open(work / "kb_plain");
        check(store.status(), "open plain kb");
        auto writer = lore::retrieve::LexicalWriter::create((*store)->db());
        check(writer.status(), "writer");
        IndexRow row{"lore's index alone, rebuild from chunks"};
        const Clock::time_point start = Clock::now();
        const double cpu_start = cpu_s();
        check((*writer)->rebuild(), "rebuild");
        row.cpu_s = cpu_s() - cpu_start;
        row.wall_s = since_ms(start) / 1000;
        row.bytes = with_index.bytes - without_index.bytes;
        rows.push_back(row);
    }

#ifdef LORE_BENCH_HAS_XAPIAN
    const std::filesystem::path xapian_dir = work / "xapian";
    {
        IndexRow row{"Xapian 1.4 (english stemmer)"};
        const Clock::time_point start = Clock::now();
        const double cpu_start = cpu_s();
        Xapian::WritableDatabase db(xapian_dir.string(), Xapian::DB_CREATE_OR_OVERWRITE);
        Xapian::TermGenerator generator;
        generator.set_stemmer(Xapian::Stem("english"));
        generator.set_stemming_strategy(Xapian::TermGenerator::STEM_ALL);
        for (const std::string& text : texts) {
            Xapian::Document doc;
            generator.set_document(doc);
            generator.index_text(text);
            db.add_document(doc);
        }
        db.commit();
        db.close();
        row.cpu_s = cpu_s() - cpu_start;
        row.wall_s = since_ms(start) / 1000;
        row.bytes = static_cast<double>(dir_size(xapian_dir));
        rows.push_back(row);
    }
#endif

    std::printf(
        "\n| indexing | passages/CPU-s | CPU s | wall s | size on disk "
        "|\n|---|---:|---:|---:|---:|\n");
    for (const IndexRow& row : rows) {
        std::printf("| %s | %.0f | %.1f | %.1f | %.1f MB |\n", row.name, n_passages / row.cpu_s,
                    row.cpu_s, row.wall_s, row.bytes / 1e6);
    }
    std::printf("lore's index adds %.1f %% CPU to a lore ingest and %.1f %% to bare FTS5's\n",
                (with_index.cpu_s / without_index.cpu_s - 1) * 100,
                (with_index.cpu_s - without_index.cpu_s) / rows[0].cpu_s * 100);
    std::fflush(stdout);

    // Queries: words of 3+ letters, not stop words, drawn from random passages.
    std::mt19937_64 rng(7);
    std::vector<std::string> vocabulary;
    for (std::size_t sample = 0; sample < 20000; ++sample) {
        const std::string& text = texts[rng() % texts.size()];
        for (const std::string& word : lore::store::query_words(text)) {
            if (word.size() >= 3 && std::all_of(word.begin(), word.end(),
                                                [](char c) { return c >= 'a' && c <= 'z'; })) {
                vocabulary.push_back(word);
                break;
            }
        }
    }
    auto store = lore::store::Store::open(work / "kb");
    check(store.status(), "reopen kb");
    auto lore_index = lore::retrieve::Bm25Index::create((*store)->db());
    check(lore_index.status(), "bm25 index");
    lore::retrieve::Fts5Index kb_fts5((*store)->db());
    sqlite3_stmt* bare_query = nullptr;
    check(
        sqlite3_prepare_v2(bare, "SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10",
                           -1, &bare_query, nullptr),
        bare, "prepare query");
#ifdef LORE_BENCH_HAS_XAPIAN
    Xapian::Database xapian(xapian_dir.string());
    Xapian::Enquire enquire(xapian);
    enquire.set_weighting_scheme(Xapian::BM25Weight(1.2, 0, 1, 0.75, 0.5));
    Xapian::Stem stemmer("english");
    const char* xapian_header = " Xapian p50 / p95 ms |";
#else
    const char* xapian_header = "";
#endif
    std::printf(
        "\n| query words | bare FTS5 p50 / p95 ms | lore p50 / p95 ms |%s lore = FTS5 "
        "(checked) |\n|---|---:|---:|%s---:|\n",
        xapian_header, xapian_header[0] != '\0' ? "---:|" : "");
    for (int n_words = 1; n_words <= 3; ++n_words) {
        Latency bare_latency;
        Latency lore_latency;
        Latency xapian_latency;
        int n_checked = 0;
        int n_agree = 0;
        for (int query_idx = -50; query_idx < n_queries; ++query_idx) {
            std::vector<std::string> words;
            std::string query;
            for (int w = 0; w < n_words; ++w) {
                words.push_back(vocabulary[rng() % vocabulary.size()]);
                query += (w > 0 ? " " : "") + words.back();
            }
            const std::string expr = lore::store::fts_match_expression(query);
            Clock::time_point t0 = Clock::now();
            sqlite3_bind_text(bare_query, 1, expr.c_str(), -1, SQLITE_TRANSIENT);
            while (sqlite3_step(bare_query) == SQLITE_ROW) {
            }
            sqlite3_reset(bare_query);
            const double bare_ms = since_ms(t0);

            t0 = Clock::now();
            auto hits = (*lore_index)->search(query, 10);
            const double lore_ms = since_ms(t0);
            check(hits.status(), "lore search");

#ifdef LORE_BENCH_HAS_XAPIAN
            t0 = Clock::now();
            std::vector<Xapian::Query> terms;
            for (const std::string& word : words) {
                terms.emplace_back(stemmer(word));
            }
            enquire.set_query(Xapian::Query(Xapian::Query::OP_OR, terms.begin(), terms.end()));
            const Xapian::MSet mset = enquire.get_mset(0, 10);
            const double xapian_ms = since_ms(t0);
            if (mset.size() > 10) {
                std::fprintf(stderr, "bench: xapian returned more than 10 hits\n");
                return 1;
            }
#endif
            if (query_idx < 0) {
                continue;  // warm-up
            }
            bare_latency.ms.push_back(bare_ms);
            lore_latency.ms.push_back(lore_ms);
#ifdef LORE_BENCH_HAS_XAPIAN
            xapian_latency.ms.push_back(xapian_ms);
#endif
            if (query_idx < 200) {
                auto twin = kb_fts5.search(query, 10);
                check(twin.status(), "fts5 twin");
                bool agree = twin->size() == hits->size();
                for (std::size_t idx = 0; agree && idx < hits->size(); ++idx) {
                    agree = std::abs((*hits)[idx].score - (*twin)[idx].score) <=
                            1e-9 * std::abs((*twin)[idx].score);
                }
                ++n_checked;
                n_agree += agree ? 1 : 0;
            }
        }
        std::printf("| %d | %.2f / %.2f | %.3f / %.3f |", n_words, bare_latency.percentile(0.5),
                    bare_latency.percentile(0.95), lore_latency.percentile(0.5),
                    lore_latency.percentile(0.95));
#ifdef LORE_BENCH_HAS_XAPIAN
        std::printf(" %.3f / %.3f |", xapian_latency.percentile(0.5),
                    xapian_latency.percentile(0.95));
#endif
        std::printf(" %d / %d |\n", n_agree, n_checked);
        std::fflush(stdout);
    }
    sqlite3_finalize(bare_query);
    sqlite3_close(bare);
    return 0;
}
