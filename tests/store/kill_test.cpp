// Crash safety and concurrency, with real processes:
//   - an ingest is killed (SIGKILL) at many random instants; after each kill the database
//     passes PRAGMA integrity_check, the FTS5 integrity check and lore's lexical-index check
//     (retrieve/lexical_segments.h: segments, tombstones and statistics agree with the chunks,
//     merges included), and every document holds
//     exactly the chunks of one whole version of its file (before or after, never half);
//   - searches in this process keep working and see whole versions while another process
//     ingests.
#include <map>
#include <random>
#include <set>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lore/kb.h"

#include "retrieve/lexical_segments.h"
#include "store/ingest.h"
#include "store/sha256.h"
#include "store/store.h"
#include "temp_dir.h"

namespace lore::store {
namespace {

using lore::testing::TempDir;

constexpr int kFiles = 6;

// Version `version` of file `file_idx`: many sentences, so each file has many chunks and an
// ingest takes long enough to be killed in the middle.
std::string file_text(int file_idx, int version) {
    std::ostringstream text;
    for (int sentence = 0; sentence < 400; ++sentence) {
        text << "File " << file_idx << " version v" << version << " sentence " << sentence
             << " mentions lighthouse keepers.\n";
        if (sentence % 7 == 6) {
            text << "\n";
        }
    }
    return text.str();
}

// Writes a version of every file atomically (tmp + rename): only the KB may be half-written.
void write_version(const std::filesystem::path& dir, int version) {
    for (int file_idx = 0; file_idx < kFiles; ++file_idx) {
        std::ostringstream name;
        name << "f" << file_idx << ".txt";
        const auto path = dir / name.str();
        std::filesystem::path tmp = dir / name.str();
        tmp += ".tmp";
        lore::testing::write_file(tmp, file_text(file_idx, version));
        std::filesystem::rename(tmp, path);
    }
}

IngestOptions ingest_options() {
    IngestOptions options;
    options.chunk_tokens = 40;
    options.overlap_tokens = 8;
    return options;
}

// Expected chunk texts of each (file, version), keyed by content hash.
std::map<std::string, std::vector<std::string>> expected_chunks(const TempDir& scratch) {
    std::map<std::string, std::vector<std::string>> out;
    auto store = Store::open(scratch / "expected_kb");
    const IngestOptions options = ingest_options();
    Ingester ingester(**store, options);
    for (int version = 0; version < 2; ++version) {
        for (int file_idx = 0; file_idx < kFiles; ++file_idx) {
            const std::string text = file_text(file_idx, version);
            std::vector<std::string> chunks;
            for (const ChunkRecord& chunk : ingester.make_chunks(*extract_plain_text(text, "f"))) {
                chunks.push_back(chunk.text);
            }
            out[sha256_hex(text)] = std::move(chunks);
        }
    }
    return out;
}

// Runs in the child: ingest alternating versions forever (until killed) or `n_rounds` times.
[[noreturn]] void ingest_loop(const std::filesystem::path& kb_dir,
                              const std::filesystem::path& docs_dir,
                              int first_version,
                              int n_rounds) {
    KbOpenOptions with_fts5;  // both lexical indexes, so that the kills hit either
    with_fts5.fts5 = true;
    auto kb = KnowledgeBase::open(kb_dir, with_fts5);
    if (!kb.has_value()) {
        ::_exit(3);
    }
    const IngestOptions options = ingest_options();
    const std::vector<std::string> paths = {docs_dir.string()};
    for (int round = 0; n_rounds < 0 || round < n_rounds; ++round) {
        write_version(docs_dir, (first_version + round) % 2);
        if (!(*kb)->ingest(paths, options).has_value()) {
            ::_exit(4);
        }
    }
    ::_exit(0);
}

// Every document's chunks are exactly those of the version its hash names.
void expect_whole_versions(Store& store,
                           const std::map<std::string, std::vector<std::string>>& expected) {
    auto txn = Transaction::begin_read(store.db());
    ASSERT_TRUE(txn.has_value());
    // Each source (file) has exactly its one document: none lost between delete and insert.
    EXPECT_EQ(*store.db().query_int64("SELECT count(*) FROM sources s WHERE (SELECT count(*) "
                                      "FROM documents d WHERE d.source_id = s.id) != 1"),
              0);
    EXPECT_EQ(*store.db().query_int64("SELECT count(*) FROM chunks c WHERE NOT EXISTS (SELECT 1 "
                                      "FROM documents d WHERE d.id = c.document_id)"),
              0);
    auto docs = store.db().prepare(
        "SELECT d.id, s.content_hash FROM documents d JOIN sources s ON d.source_id = s.id");
    ASSERT_TRUE(docs.has_value());
    auto chunks = store.db().prepare("SELECT text FROM chunks WHERE document_id=? ORDER BY id");
    ASSERT_TRUE(chunks.has_value());
    while (*docs->step()) {
        const std::string hash(docs->column_text(1));
        auto it = expected.find(hash);
        ASSERT_NE(it, expected.end()) << "document with unknown hash " << hash;
        chunks->bind(1, docs->column_int64(0));
        std::vector<std::string> texts;
        while (*chunks->step()) {
            texts.emplace_back(chunks->column_text(0));
        }
        chunks->reset();
        EXPECT_EQ(texts, it->second) << "document " << docs->column_int64(0) << " is half-written";
    }
}

TEST(KillTest, KilledIngestLeavesEachFileWholeBeforeOrAfter) {
    TempDir scratch;
    const auto expected = expected_chunks(scratch);
    const auto kb_dir = scratch / "kb";
    const auto docs_dir = scratch / "docs";
    std::filesystem::create_directories(docs_dir);
    std::mt19937 rng(1234);
    std::uniform_int_distribution<int> delay_us(0, 300000);
    constexpr int kKills = 30;
    int n_killed_mid_run = 0;

    for (int kill_idx = 0; kill_idx < kKills; ++kill_idx) {
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ingest_loop(kb_dir, docs_dir, kill_idx % 2, -1);
        }
        ::usleep(static_cast<useconds_t>(delay_us(rng)));
        ::kill(child, SIGKILL);
        int wait_status = 0;
        ::waitpid(child, &wait_status, 0);
        n_killed_mid_run += WIFSIGNALED(wait_status) ? 1 : 0;

        auto store = Store::open(kb_dir);
        ASSERT_TRUE(store.has_value()) << store.status().to_string();
        auto check = (*store)->db().prepare("PRAGMA integrity_check");
        ASSERT_TRUE(check.has_value());
        ASSERT_TRUE(*check->step());
        EXPECT_EQ(check->column_text(0), "ok") << "after kill " << kill_idx;
        EXPECT_TRUE((*store)
                        ->db()
                        .exec("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')")
                        .is_ok())
            << "fts index disagrees with chunks after kill " << kill_idx;
        const Status lexical = retrieve::check_lexical_index((*store)->db());
        EXPECT_TRUE(lexical.is_ok()) << "after kill " << kill_idx << ": " << lexical.to_string();
        expect_whole_versions(**store, expected);
    }

    EXPECT_EQ(n_killed_mid_run, kKills);
}

TEST(KillTest, SearchesKeepWorkingDuringAnIngestInAnotherProcess) {
    TempDir scratch;
    const auto expected = expected_chunks(scratch);
    const auto kb_dir = scratch / "kb";
    const auto docs_dir = scratch / "docs";
    std::filesystem::create_directories(docs_dir);
    {
        write_version(docs_dir, 0);
        KbOpenOptions with_fts5;
        with_fts5.fts5 = true;
        auto kb = KnowledgeBase::open(kb_dir, with_fts5);
        ASSERT_TRUE(kb.has_value());
        ASSERT_TRUE((*kb)
                        ->ingest(std::vector<std::string>{docs_dir.string()}, ingest_options())
                        .has_value());
    }
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ingest_loop(kb_dir, docs_dir, 1, 6);
    }

    auto kb = KnowledgeBase::open(kb_dir);
    ASSERT_TRUE(kb.has_value());
    auto store = Store::open(kb_dir);
    ASSERT_TRUE(store.has_value());
    SearchOptions options;
    options.top_k = 5;
    int n_searches = 0;
    int wait_status = 0;
    while (::waitpid(child, &wait_status, WNOHANG) == 0) {
        auto hits = (*kb)->search("lighthouse keepers sentence 17", options);
        ASSERT_TRUE(hits.has_value()) << hits.status().to_string();
        EXPECT_EQ(hits->size(), 5u);
        for (const SearchHit& hit : *hits) {
            EXPECT_NE(hit.text.find("lighthouse"), std::string::npos);
        }
        expect_whole_versions(**store, expected);
        ++n_searches;
    }

    ASSERT_TRUE(WIFEXITED(wait_status));
    EXPECT_EQ(WEXITSTATUS(wait_status), 0);
    EXPECT_GT(n_searches, 3);
}

}  // namespace
}  // namespace lore::store
