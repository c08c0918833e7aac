// KB ingest and BM25 benchmark against a bare FTS5 table (run by hand, not in CI):
//   bench/store/make_corpus.sh /tmp/corpus.jsonl
//   build/<dir>/bench/store/lore_bench_kb /tmp/corpus.jsonl [N_PASSAGES] [WORK_DIR] [N_QUERIES]
// Reports: ingest passages/s and size on disk for lore (one JSONL file = one transaction:
// documents, chunks and lore's own lexical index, as a new KB keeps them; FTS5's twin index is
// off, as by default) and for the same passages inserted into a bare FTS5 table (porter
// unicode61) in one transaction; then BM25 top-10 latency p50/p95 for N_QUERIES (1,000)
// queries of 1, 2 and 3 words (OR), lore's lexical index and the bare table interleaved, plus
// the full KnowledgeBase::search (chunk rows and snippets). Wall time counts lore's pipeline
// (a worker parses and chunks while the writer inserts); CPU time counts both threads.
#include <algorithm>
#include <chrono>
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
#include "store/store.h"
#include "store/text_analysis.h"

using lore::bench::check;
using lore::bench::Clock;
using lore::bench::cpu_s;
using lore::bench::dir_size;
using lore::bench::Latency;
using lore::bench::since_ms;

int main(int argc, char** argv) {
    const std::optional<lore::bench::CorpusArgs> args =
        lore::bench::parse_corpus_args(argc, argv, "/tmp/lore_kb_bench");
    if (!args) {
        return 2;
    }
    const std::filesystem::path& work = args->work;
    const int n_queries = args->n_queries;

    // The passages, also written as the JSONL file lore ingests.
    const std::filesystem::path corpus = work / "corpus.jsonl";
    const std::vector<std::string> lines =
        lore::bench::copy_corpus(args->source, args->limit, corpus);
    const auto n_passages = static_cast<double>(lines.size());
    std::printf("passages: %zu\n", lines.size());
    std::fflush(stdout);

    // lore ingest.
    const std::filesystem::path kb_dir = work / "kb";
    Clock::time_point start = Clock::now();
    double cpu_start = cpu_s();
    {
        auto kb = lore::KnowledgeBase::open(kb_dir);
        lore::IngestOptions options;
        options.chunk_tokens = 200;
        auto summary = kb.value()->ingest(std::vector<std::string>{corpus.string()}, options);
        if (!summary.has_value()) {
            std::fprintf(stderr, "bench: %s\n", summary.status().to_string().c_str());
            return 1;
        }
        std::printf("lore: %zu chunks\n", summary->n_chunks_added);
    }
    const double lore_ingest_ms = since_ms(start);
    const double lore_cpu_s = cpu_s() - cpu_start;
    auto store = lore::store::Store::open(kb_dir).value();
    (void)store->db().exec("PRAGMA wal_checkpoint(TRUNCATE)");
    const std::uint64_t lore_bytes = dir_size(kb_dir);

    // Bare FTS5: parse the same JSONL, insert the texts in one transaction.
    const std::filesystem::path bare_path = work / "bare" / "fts.sqlite";
    sqlite3* bare = nullptr;
    check(sqlite3_open(bare_path.c_str(), &bare), bare, "open");
    start = Clock::now();
    cpu_start = cpu_s();
    check(sqlite3_exec(bare,
                       "CREATE VIRTUAL TABLE fts USING fts5(text, tokenize='porter unicode61');"
                       "BEGIN",
                       nullptr, nullptr, nullptr),
          bare, "create");
    sqlite3_stmt* insert = nullptr;
    check(sqlite3_prepare_v2(bare, "INSERT INTO fts(text) VALUES (?)", -1, &insert, nullptr), bare,
          "prepare");
    std::vector<std::string> texts;
    texts.reserve(lines.size());
    for (const std::string& line : lines) {
        nlohmann::json record = nlohmann::json::parse(line, nullptr, false);
        texts.push_back(
            record.is_object() && record.contains("text") ? record["text"].get<std::string>() : "");
        sqlite3_bind_text(insert, 1, texts.back().c_str(), static_cast<int>(texts.back().size()),
                          SQLITE_STATIC);
        check(sqlite3_step(insert), bare, "insert");
        sqlite3_reset(insert);
    }
    sqlite3_finalize(insert);
    check(sqlite3_exec(bare, "COMMIT", nullptr, nullptr, nullptr), bare, "commit");
    const double bare_ingest_ms = since_ms(start);
    const double bare_cpu_s = cpu_s() - cpu_start;
    const std::uint64_t bare_bytes = dir_size(work / "bare");

    std::printf(
        "\n| ingest | passages/s (wall) | wall s | CPU s | passages/CPU-s | size on disk |\n"
        "|---|---:|---:|---:|---:|---:|\n");
    std::printf("| bare FTS5, one transaction | %.0f | %.1f | %.1f | %.0f | %.1f MB |\n",
                n_passages / bare_ingest_ms * 1000, bare_ingest_ms / 1000, bare_cpu_s,
                n_passages / bare_cpu_s, static_cast<double>(bare_bytes) / 1e6);
    std::printf("| lore ingest (one JSONL file) | %.0f | %.1f | %.1f | %.0f | %.1f MB |\n",
                n_passages / lore_ingest_ms * 1000, lore_ingest_ms / 1000, lore_cpu_s,
                n_passages / lore_cpu_s, static_cast<double>(lore_bytes) / 1e6);
    std::printf("overhead: wall %+.1f %%, CPU %+.1f %%, size %+.1f %%\n",
                (lore_ingest_ms / bare_ingest_ms - 1) * 100, (lore_cpu_s / bare_cpu_s - 1) * 100,
                (static_cast<double>(lore_bytes) / static_cast<double>(bare_bytes) - 1) * 100);
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
    auto lexical_index = lore::retrieve::Bm25Index::create(store->db());
    if (!lexical_index.has_value()) {
        std::fprintf(stderr, "bench: %s\n", lexical_index.status().to_string().c_str());
        return 1;
    }
    lore::retrieve::LexicalIndex& lexical = **lexical_index;
    auto kb = lore::KnowledgeBase::open(kb_dir).value();
    sqlite3_stmt* query_stmt = nullptr;
    check(
        sqlite3_prepare_v2(bare, "SELECT rowid FROM fts WHERE fts MATCH ?1 ORDER BY rank LIMIT 10",
                           -1, &query_stmt, nullptr),
        bare, "prepare query");
    std::printf(
        "\n| query words | bare FTS5 p50 / p95 ms | lore LexicalIndex p50 / p95 ms | ratio "
        "p50 / p95 | lore search+snippets p50 / p95 ms |\n|---|---:|---:|---:|---:|\n");
    for (int n_words = 1; n_words <= 3; ++n_words) {
        Latency bare_latency, lore_latency, full_latency;
        for (int query_idx = -50; query_idx < n_queries; ++query_idx) {
            std::string query;
            for (int w = 0; w < n_words; ++w) {
                query += (w > 0 ? " " : "") + vocabulary[rng() % vocabulary.size()];
            }
            const std::string expr = lore::store::fts_match_expression(query);
            Clock::time_point t0 = Clock::now();
            sqlite3_bind_text(query_stmt, 1, expr.c_str(), -1, SQLITE_TRANSIENT);
            while (sqlite3_step(query_stmt) == SQLITE_ROW) {
            }
            sqlite3_reset(query_stmt);
            const double bare_ms = since_ms(t0);
            t0 = Clock::now();
            auto hits = lexical.search(query, 10);
            const double lore_ms = since_ms(t0);
            t0 = Clock::now();
            auto full = kb->search(query, lore::SearchOptions{});
            const double full_ms = since_ms(t0);
            if (!hits.has_value() || !full.has_value()) {
                std::fprintf(stderr, "bench: query failed\n");
                return 1;
            }
            if (query_idx >= 0) {  // the first 50 warm the caches
                bare_latency.ms.push_back(bare_ms);
                lore_latency.ms.push_back(lore_ms);
                full_latency.ms.push_back(full_ms);
            }
        }
        const double b50 = bare_latency.percentile(0.5), b95 = bare_latency.percentile(0.95);
        const double l50 = lore_latency.percentile(0.5), l95 = lore_latency.percentile(0.95);
        std::printf("| %d | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f | %.2f / %.2f |\n", n_words,
                    b50, b95, l50, l95, l50 / b50, l95 / b95, full_latency.percentile(0.5),
                    full_latency.percentile(0.95));
    }
    sqlite3_finalize(query_stmt);
    sqlite3_close(bare);
    return 0;
}
