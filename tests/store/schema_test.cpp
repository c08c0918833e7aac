// Schema creation, migration of an older KB, and refusal of a newer or damaged one.
#include "store/schema.h"

#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "store/store.h"
#include "store/text_analysis.h"
#include "temp_dir.h"

namespace lore::store {
namespace {

using lore::testing::TempDir;

TEST(SchemaTest, FreshKbHasCurrentVersionAndWal) {
    TempDir dir;

    auto store = Store::open(dir.path());

    ASSERT_TRUE(store.has_value()) << store.status().to_string();
    EXPECT_EQ(*(*store)->db().query_int64("PRAGMA user_version"), kSchemaVersion);
    auto mode_stmt = (*store)->db().prepare("PRAGMA journal_mode");
    ASSERT_TRUE(mode_stmt.has_value());
    ASSERT_TRUE(*mode_stmt->step());
    EXPECT_EQ(mode_stmt->column_text(0), "wal");
}

TEST(SchemaTest, NewerVersionFailsClearly) {
    TempDir dir;
    {
        auto store = Store::open(dir.path());
        ASSERT_TRUE(store.has_value());
        ASSERT_TRUE((*store)->db().exec("PRAGMA user_version = 99").is_ok());
    }

    auto reopened = Store::open(dir.path());

    ASSERT_FALSE(reopened.has_value());
    EXPECT_EQ(reopened.status().code(), StatusCode::kUnsupported);
    EXPECT_NE(reopened.status().message().find("schema version 99, newer"), std::string::npos)
        << reopened.status().message();
}

TEST(SchemaTest, VersionOneKbIsMigratedWithItsData) {
    TempDir dir;
    {
        auto db = Db::open(dir / kDatabaseFileName, OpenMode::kReadWriteCreate);
        ASSERT_TRUE(db.has_value());
        ASSERT_TRUE(register_fts_tokenizer((*db)->handle()).is_ok());
        ASSERT_TRUE(migrate_schema(**db, 1).is_ok());
        ASSERT_TRUE((*db)
                        ->exec("INSERT INTO sources VALUES (1, '/a.txt', 'txt', 'h', 1, 1, 1);"
                               "INSERT INTO documents VALUES (1, 1, '', 7, 1, 1, 'a', NULL);"
                               "INSERT INTO chunks(document_id, text, byte_begin, byte_end, "
                               "page, section) VALUES (1, 'migrating herons', 0, 16, 0, '');"
                               "INSERT INTO chunks_fts(rowid, text) VALUES (1, 'migrating herons')")
                        .is_ok());
        ASSERT_EQ(*(*db)->query_int64("PRAGMA user_version"), 1);
    }

    auto store = Store::open(dir.path());

    ASSERT_TRUE(store.has_value()) << store.status().to_string();
    Db& db = (*store)->db();
    EXPECT_EQ(*db.query_int64("PRAGMA user_version"), kSchemaVersion);
    EXPECT_EQ(*db.query_int64("SELECT count(*) FROM embeddings"), 0);
    EXPECT_EQ(*db.query_int64("SELECT count(*) FROM chunks_fts WHERE chunks_fts MATCH 'heron'"), 1);
}

TEST(SchemaTest, NonDatabaseFileIsCorruption) {
    TempDir dir;
    lore::testing::write_file(dir / kDatabaseFileName, std::string(4096, 'x'));

    auto store = Store::open(dir.path());

    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.status().code(), StatusCode::kCorruption) << store.status().to_string();
}

TEST(SchemaTest, MissingKbWithoutCreateIsNotFound) {
    TempDir dir;
    StoreOptions options;
    options.create_if_missing = false;

    auto store = Store::open(dir / "absent", options);

    ASSERT_FALSE(store.has_value());
    EXPECT_EQ(store.status().code(), StatusCode::kNotFound);
}

TEST(SchemaTest, StopWordsAreDroppedAtIndexAndQueryTime) {
    TempDir dir;
    auto store = Store::open(dir.path());
    ASSERT_TRUE(store.has_value());
    std::vector<std::string> terms;

    ASSERT_TRUE(fts_terms((*store)->db().handle(), "The running of the Herons", terms).is_ok());

    EXPECT_EQ(terms, (std::vector<std::string>{"run", "heron"}));
    EXPECT_EQ(fts_match_expression("the Running OF herons herons"), "\"running\" OR \"herons\"");
    EXPECT_EQ(fts_match_expression("the of and"), "");
}

// The hashed lookup against the sorted list it is built from: every stop word, and every
// string one edit away from one (a letter added, dropped or changed), which is where a bad hash
// table would answer wrongly.
TEST(SchemaTest, StopWordLookupAgreesWithTheSortedList) {
    const auto list = stop_words();
    ASSERT_TRUE(std::is_sorted(list.begin(), list.end()));
    auto in_list = [&](std::string_view w) {
        return std::binary_search(list.begin(), list.end(), w);
    };
    std::size_t n_checked = 0;
    for (std::string_view word : list) {
        EXPECT_TRUE(is_stop_word(word)) << word;
        std::vector<std::string> near;
        for (std::size_t i = 0; i <= word.size(); ++i) {
            for (char c = 'a'; c <= 'z'; ++c) {
                near.push_back(std::string(word.substr(0, i)) + c + std::string(word.substr(i)));
                if (i < word.size()) {
                    std::string changed(word);
                    changed[i] = c;
                    near.push_back(changed);
                }
            }
            if (i < word.size()) {
                near.push_back(std::string(word.substr(0, i)) + std::string(word.substr(i + 1)));
            }
        }
        for (const std::string& w : near) {
            EXPECT_EQ(is_stop_word(w), in_list(w)) << w;
            ++n_checked;
        }
    }
    EXPECT_GT(n_checked, 10000u);
    EXPECT_FALSE(is_stop_word(""));
    EXPECT_FALSE(is_stop_word("not"));
    EXPECT_FALSE(is_stop_word("themselvesx"));
}

}  // namespace
}  // namespace lore::store
