// Ingest: every format through the Ingester, bad files skipped and counted, incremental
// re-ingest (unchanged, changed, touched, deleted), JSONL per-record updates, globs, strict.
#include "store/ingest.h"

#include <chrono>

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace lore::store {
namespace {

using lore::testing::TempDir;
using lore::testing::write_file;

class IngestTest : public ::testing::Test {
protected:
    void SetUp() override {
        StoreOptions with_fts5;  // the tests count FTS5 matches
        with_fts5.fts5 = true;
        auto store = Store::open(kb_.path(), with_fts5);
        ASSERT_TRUE(store.has_value()) << store.status().to_string();
        store_ = std::move(store).value();
        options_.chunk_tokens = 12;
        options_.overlap_tokens = 2;
    }

    IngestSummary ingest(const std::vector<std::string>& paths) {
        Ingester ingester(*store_, options_);
        auto summary = ingester.ingest_paths(paths);
        EXPECT_TRUE(summary.has_value()) << summary.status().to_string();
        return summary.has_value() ? *summary : IngestSummary{};
    }

    std::vector<std::int64_t> chunk_ids() { return *store_->chunk_ids(); }

    std::int64_t count(const char* sql) { return *store_->db().query_int64(sql); }

    std::int64_t fts_hits(const std::string& word) {
        return count(
            ("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH '" + word + "'").c_str());
    }

    // Moves the file's mtime so the size-and-mtime shortcut does not hide a change.
    static void bump_mtime(const std::filesystem::path& path) {
        const auto now = std::filesystem::last_write_time(path);
        std::filesystem::last_write_time(path, now + std::chrono::seconds(5));
    }

    TempDir kb_;
    TempDir docs_;
    std::unique_ptr<Store> store_;
    IngestOptions options_;
};

TEST_F(IngestTest, EveryFormatIsIngestedAndBadFilesAreSkipped) {
    std::filesystem::copy("tests/testdata/store", docs_.path(),
                          std::filesystem::copy_options::recursive);

    const IngestSummary summary = ingest({docs_.path().string()});

    EXPECT_EQ(summary.n_files_added, 5u);  // txt, md, html, jsonl, pdf
    // binary.txt, invalid_utf8.txt, truncated.pdf, unknown.xyz, make_pdf.py
    EXPECT_EQ(summary.n_files_skipped, 5u);
    EXPECT_EQ(summary.n_records_skipped, 2u);
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 5);
    EXPECT_EQ(count("SELECT count(*) FROM documents"), 4 + 3);
    EXPECT_EQ(fts_hits("lighthouses"), 1);  // pdf
    EXPECT_EQ(fts_hits("owl"), 1);          // jsonl, stemmed
    EXPECT_EQ(fts_hits("secret"), 0);       // html script
    EXPECT_EQ(count("SELECT count(*) FROM chunks WHERE page = 2"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM chunks WHERE section = 'Green tea'"), 3);
}

TEST_F(IngestTest, StrictMakesABadFileFatal) {
    write_file(docs_ / "a.txt", "Fine text.");
    write_file(docs_ / "b.txt", std::string("bad\0text", 8));
    options_.strict = true;
    Ingester ingester(*store_, options_);

    auto summary = ingester.ingest_paths(std::vector<std::string>{docs_.path().string()});

    ASSERT_FALSE(summary.has_value());
    EXPECT_NE(summary.status().message().find("binary file"), std::string::npos);
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 1);  // a.txt came first and stays
}

TEST_F(IngestTest, UnchangedFilesCostNothing) {
    write_file(docs_ / "a.txt", "Alpha one. Alpha two. Alpha three.");
    write_file(docs_ / "b.md", "# B\n\nBeta text here.");
    ingest({docs_.path().string()});
    const std::vector<std::int64_t> before = chunk_ids();

    const IngestSummary again = ingest({docs_.path().string()});

    EXPECT_EQ(again.n_files_unchanged, 2u);
    EXPECT_EQ(again.n_chunks_added, 0u);
    EXPECT_EQ(chunk_ids(), before);
}

TEST_F(IngestTest, TouchedFileWithSameContentIsUnchanged) {
    write_file(docs_ / "a.txt", "Alpha one.");
    ingest({docs_.path().string()});
    const std::vector<std::int64_t> before = chunk_ids();
    bump_mtime(docs_ / "a.txt");

    const IngestSummary again = ingest({docs_.path().string()});

    EXPECT_EQ(again.n_files_unchanged, 1u);
    EXPECT_EQ(chunk_ids(), before);
}

TEST_F(IngestTest, ChangedFileHasItsChunksReplaced) {
    write_file(docs_ / "a.txt", "Old walrus text.");
    write_file(docs_ / "b.txt", "Untouched badger text.");
    ingest({docs_.path().string()});
    const std::int64_t badger_chunk = count("SELECT id FROM chunks WHERE text LIKE '%badger%'");
    write_file(docs_ / "a.txt", "New narwhal text, longer than before.");
    bump_mtime(docs_ / "a.txt");

    const IngestSummary again = ingest({docs_.path().string()});

    EXPECT_EQ(again.n_files_updated, 1u);
    EXPECT_EQ(again.n_files_unchanged, 1u);
    EXPECT_EQ(fts_hits("walrus"), 0);
    EXPECT_EQ(fts_hits("narwhal"), 1);
    EXPECT_EQ(count("SELECT id FROM chunks WHERE text LIKE '%badger%'"), badger_chunk);
}

TEST_F(IngestTest, SyncRemovesDocumentsOfDeletedFiles) {
    write_file(docs_ / "a.txt", "Aardvark.");
    write_file(docs_ / "b.txt", "Bison.");
    ingest({docs_.path().string()});
    std::filesystem::remove(docs_ / "b.txt");

    options_.sync = false;
    ingest({docs_.path().string()});
    const std::int64_t without_sync = fts_hits("bison");
    options_.sync = true;
    const IngestSummary synced = ingest({docs_.path().string()});

    EXPECT_EQ(without_sync, 1);
    EXPECT_EQ(synced.n_documents_removed, 1u);
    EXPECT_EQ(fts_hits("bison"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 1);
}

TEST_F(IngestTest, JsonlReingestRewritesOnlyChangedRecords) {
    write_file(docs_ / "r.jsonl",
               "{\"id\":\"a\",\"text\":\"Apple orchard.\"}\n{\"id\":\"b\",\"text\":\"Banana "
               "grove.\"}\n{\"id\":\"c\",\"text\":\"Cherry tree.\"}\n");
    ingest({docs_.path().string()});
    const std::int64_t apple = count("SELECT id FROM chunks WHERE text LIKE 'Apple%'");
    write_file(docs_ / "r.jsonl",
               "{\"id\":\"a\",\"text\":\"Apple orchard.\"}\n{\"id\":\"b\",\"text\":\"Blueberry "
               "bush.\"}\n");
    bump_mtime(docs_ / "r.jsonl");

    const IngestSummary again = ingest({docs_.path().string()});

    EXPECT_EQ(again.n_files_updated, 1u);
    EXPECT_EQ(again.n_chunks_added, 1u);
    EXPECT_EQ(again.n_documents_removed, 1u);  // c
    EXPECT_EQ(count("SELECT id FROM chunks WHERE text LIKE 'Apple%'"), apple);
    EXPECT_EQ(fts_hits("banana"), 0);
    EXPECT_EQ(fts_hits("blueberry"), 1);
    EXPECT_EQ(fts_hits("cherry"), 0);
}

// A JSONL file larger than one batch is parsed and chunked on a worker thread while earlier
// batches are written: every record arrives, in file order, and bad lines in any batch are
// reported with their line numbers.
TEST_F(IngestTest, LargeJsonlArrivesWholeAndInOrderAcrossBatches) {
    std::string lines;
    constexpr int kRecords = 5000;
    for (int i = 0; i < kRecords; ++i) {
        if (i == 1500 || i == 4100) {
            lines += "{\"id\": \"bad" + std::to_string(i) + "\", \"text\": 7}\n";
        }
        lines += "{\"id\": \"r" + std::to_string(i) + "\", \"text\": \"Record number " +
                 std::to_string(i) + ".\"}\n";
    }
    write_file(docs_ / "big.jsonl", lines);

    const IngestSummary summary = ingest({(docs_ / "big.jsonl").string()});

    EXPECT_EQ(summary.n_files_added, 1u);
    EXPECT_EQ(summary.n_chunks_added, static_cast<std::size_t>(kRecords));
    EXPECT_EQ(summary.n_records_skipped, 2u);
    ASSERT_EQ(summary.skipped.size(), 2u);
    EXPECT_NE(summary.skipped[0].reason.find("big.jsonl:1501: no string field"), std::string::npos)
        << summary.skipped[0].reason;
    EXPECT_NE(summary.skipped[1].reason.find("big.jsonl:4102: no string field"), std::string::npos)
        << summary.skipped[1].reason;
    EXPECT_EQ(count("SELECT count(*) FROM documents"), kRecords);
    // Chunk ids follow the file's order.
    EXPECT_EQ(count("SELECT count(*) FROM chunks c JOIN documents d ON d.id = c.document_id "
                    "WHERE d.doc_key <> 'r' || (c.id - 1)"),
              0);
    EXPECT_EQ(fts_hits("4999"), 1);
}

// --strict: a bad record in a late batch aborts the file after earlier batches were inserted
// into the open transaction; the rollback leaves the KB exactly as before.
TEST_F(IngestTest, StrictJsonlErrorInALateBatchLeavesNothingBehind) {
    write_file(docs_ / "keep.txt", "This file was here before.");
    ingest({(docs_ / "keep.txt").string()});
    std::string lines;
    for (int i = 0; i < 4000; ++i) {
        lines +=
            "{\"id\": " + std::to_string(i) + ", \"text\": \"Line " + std::to_string(i) + ".\"}\n";
    }
    lines += "{\"id\": 4000, \"text\": \"broken\n";
    write_file(docs_ / "late.jsonl", lines);
    options_.strict = true;

    Ingester ingester(*store_, options_);
    const std::vector<std::string> paths = {(docs_ / "late.jsonl").string()};
    auto summary = ingester.ingest_paths(paths);

    ASSERT_FALSE(summary.has_value());
    EXPECT_NE(summary.status().message().find("late.jsonl:4001"), std::string::npos)
        << summary.status().to_string();
    EXPECT_EQ(count("SELECT count(*) FROM chunks"), 1);
    EXPECT_EQ(count("SELECT count(*) FROM sources"), 1);
    EXPECT_EQ(fts_hits("line"), 0);
}

// FTS5's index is a per-KB choice: off, chunk writes and deletes skip it; switching it on
// indexes every chunk in one go and later ingests keep it current; the choice survives a
// reopen whatever the opener asks for.
TEST_F(IngestTest, Fts5IndexCanBeLeftOutAndBuiltLater) {
    TempDir kb;
    StoreOptions no_fts5;
    no_fts5.fts5 = false;
    store_ = std::move(Store::open(kb.path(), no_fts5)).value();
    EXPECT_FALSE(store_->keeps_fts5());
    write_file(docs_ / "a.txt", "Kestrels hover over fields.");
    ingest({docs_.path().string()});
    EXPECT_EQ(count("SELECT count(*) FROM chunks"), 1);
    EXPECT_EQ(fts_hits("kestrel"), 0);

    ASSERT_TRUE(store_->set_keeps_fts5(true).is_ok());
    EXPECT_EQ(fts_hits("kestrel"), 1);
    write_file(docs_ / "b.txt", "Ospreys dive for fish.");
    ingest({docs_.path().string()});
    EXPECT_EQ(fts_hits("osprey"), 1);

    ASSERT_TRUE(store_->set_keeps_fts5(false).is_ok());
    EXPECT_EQ(fts_hits("osprey"), 0);
    write_file(docs_ / "a.txt", "Kestrels hover over meadows.");  // replaced with FTS5 off
    bump_mtime(docs_ / "a.txt");
    ingest({docs_.path().string()});
    EXPECT_EQ(count("SELECT count(*) FROM chunks"), 2);

    StoreOptions with_fts5;
    with_fts5.fts5 = true;
    store_ = std::move(Store::open(kb.path(), with_fts5)).value();  // the KB's choice stands
    EXPECT_FALSE(store_->keeps_fts5());
    ASSERT_TRUE(store_->set_keeps_fts5(true).is_ok());
    EXPECT_EQ(fts_hits("meadow"), 1);
    EXPECT_EQ(fts_hits("field"), 0);
    EXPECT_TRUE(
        store_->db().exec("INSERT INTO chunks_fts(chunks_fts) VALUES('integrity-check')").is_ok());
}

TEST_F(IngestTest, StreamAddsAndReplacesButNeverRemoves) {
    Ingester ingester(*store_, options_);
    ASSERT_TRUE(
        ingester
            .ingest_stream("{\"id\":1,\"text\":\"Kiwi.\"}\n{\"id\":2,\"text\":\"Lime.\"}", "stdin")
            .has_value());

    auto again = ingester.ingest_stream("{\"id\":2,\"text\":\"Mango.\"}", "stdin");

    ASSERT_TRUE(again.has_value());
    EXPECT_EQ(fts_hits("kiwi"), 1);
    EXPECT_EQ(fts_hits("lime"), 0);
    EXPECT_EQ(fts_hits("mango"), 1);
}

TEST_F(IngestTest, GlobsAndHiddenFilesFilterTheWalk) {
    write_file(docs_ / "keep.md", "Kept markdown.");
    write_file(docs_ / "drop.txt", "Dropped text.");
    write_file(docs_ / "sub" / "also.md", "Also kept.");
    write_file(docs_ / "sub" / "skip_me.md", "Excluded.");
    write_file(docs_ / ".hidden" / "secret.md", "Hidden.");
    options_.include_globs = {"*.md"};
    options_.exclude_globs = {"skip_*"};

    const IngestSummary summary = ingest({docs_.path().string()});

    EXPECT_EQ(summary.n_files_added, 2u);
    EXPECT_EQ(fts_hits("hidden"), 0);
    EXPECT_EQ(fts_hits("dropped"), 0);
    EXPECT_EQ(fts_hits("excluded"), 0);
}

TEST_F(IngestTest, MissingPathIsReportedAndSkipped) {
    const IngestSummary summary = ingest({(docs_ / "nope.txt").string()});

    EXPECT_EQ(summary.n_files_skipped, 1u);
    ASSERT_EQ(summary.skipped.size(), 1u);
    EXPECT_NE(summary.skipped[0].reason.find("no such file"), std::string::npos);
}

TEST_F(IngestTest, RemoveSourceDeletesItsChunksFromTheIndex) {
    write_file(docs_ / "a.txt", "Zebra crossing.");
    ingest({docs_.path().string()});
    const std::string path = (docs_ / "a.txt").string();

    auto n_removed = store_->remove_source(path);

    ASSERT_TRUE(n_removed.has_value());
    EXPECT_EQ(*n_removed, 1);
    EXPECT_EQ(fts_hits("zebra"), 0);
    EXPECT_EQ(count("SELECT count(*) FROM chunks"), 0);
}

// Records observer calls; fails on demand to prove the transaction rolls back.
class RecordingObserver final : public ChunkObserver {
public:
    Status on_chunk_added(std::int64_t chunk_id, std::string_view text) override {
        added.emplace_back(chunk_id, std::string(text));
        return Status::ok();
    }

    Status on_chunks_removed(std::int64_t first_chunk_id, std::int64_t n_chunks) override {
        removed.emplace_back(first_chunk_id, n_chunks);
        return Status::ok();
    }

    Status on_before_commit() override {
        ++n_commits;
        return fail_commit ? Status::internal("observer: refused") : Status::ok();
    }

    std::vector<std::pair<std::int64_t, std::string>> added;
    std::vector<std::pair<std::int64_t, std::int64_t>> removed;
    int n_commits = 0;
    bool fail_commit = false;
};

TEST_F(IngestTest, ChunkObserverSeesWritesInsideTheTransaction) {
    RecordingObserver observer;
    store_->set_chunk_observer(&observer);
    write_file(docs_ / "a.txt", "Quokka one.");
    ingest({docs_.path().string()});
    const std::vector<std::int64_t> first_ids = chunk_ids();
    write_file(docs_ / "a.txt", "Quokka two, changed.");
    bump_mtime(docs_ / "a.txt");
    observer.fail_commit = true;
    Ingester ingester(*store_, options_);

    auto failed = ingester.ingest_paths(std::vector<std::string>{docs_.path().string()});

    ASSERT_EQ(observer.added.size(), 2u);
    EXPECT_EQ(observer.added[0], std::make_pair(first_ids[0], std::string("Quokka one.")));
    ASSERT_EQ(observer.removed.size(), 1u);
    EXPECT_EQ(observer.removed[0], std::make_pair(first_ids[0], std::int64_t{1}));
    EXPECT_EQ(observer.n_commits, 2);
    EXPECT_FALSE(failed.has_value());
    EXPECT_EQ(chunk_ids(), first_ids);  // the refused transaction rolled back
    store_->set_chunk_observer(nullptr);
}

}  // namespace
}  // namespace lore::store
