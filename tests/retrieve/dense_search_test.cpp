// Dense and hybrid search through the KB API, with vectors supplied directly and with a
// small deterministic embedder; the HNSW file beside the database is rebuilt when stale or
// damaged.
#include <cmath>
#include <functional>

#include <gtest/gtest.h>

#include "lore/kb.h"

#include "../store/temp_dir.h"
#include "retrieve/dense_index.h"
#include "store/store.h"

namespace lore {
namespace {

using lore::testing::TempDir;

// Hashes lower-cased words into 64 buckets and normalises: texts sharing words are close.
class BagOfWordsEmbedder final : public Embedder {
public:
    std::string model_id() const override { return "test-bag-of-words"; }

    int dim() const override { return 64; }

    Status embed(std::span<const std::string_view> texts, std::span<float> out) override {
        std::fill(out.begin(), out.end(), 0.0f);
        for (std::size_t t = 0; t < texts.size(); ++t) {
            float* row = out.data() + t * 64;
            std::string word;
            auto flush = [&] {
                if (!word.empty()) {
                    row[std::hash<std::string>{}(word) % 64] += 1.0f;
                    word.clear();
                }
            };
            for (char c : texts[t]) {
                if (std::isalpha(static_cast<unsigned char>(c)) != 0) {
                    word += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                } else {
                    flush();
                }
            }
            flush();
            float norm = 0.0f;
            for (int i = 0; i < 64; ++i) {
                norm += row[i] * row[i];
            }
            for (int i = 0; norm > 0 && i < 64; ++i) {
                row[i] /= std::sqrt(norm);
            }
        }
        return Status::ok();
    }
};

constexpr std::string_view kAnimals =
    "{\"id\":\"owl\",\"text\":\"Owls hunt mice at night with silent feathers.\"}\n"
    "{\"id\":\"salmon\",\"text\":\"Salmon swim upstream to spawn in rivers.\"}\n"
    "{\"id\":\"bee\",\"text\":\"Bees make honey from flower nectar.\"}\n";

class DenseSearchTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto kb = KnowledgeBase::open(dir_.path());
        ASSERT_TRUE(kb.has_value());
        kb_ = std::move(kb).value();
    }

    TempDir dir_;
    std::unique_ptr<KnowledgeBase> kb_;
};

TEST_F(DenseSearchTest, EmbedderEmbedsChunksAtIngestAndQueriesAtSearch) {
    kb_->set_embedder(std::make_shared<BagOfWordsEmbedder>());
    ASSERT_TRUE(kb_->ingest_jsonl_stream(kAnimals, "animals", IngestOptions{}).has_value());
    SearchOptions options;
    options.mode = SearchMode::kDense;

    auto hits = kb_->search("honey nectar", options);

    ASSERT_TRUE(hits.has_value()) << hits.status().to_string();
    ASSERT_EQ(hits->size(), 3u);
    EXPECT_EQ((*hits)[0].document_key, "bee");
    EXPECT_EQ((*hits)[0].rank_dense, 1);
    EXPECT_NE((*hits)[0].snippet.find("**honey**"), std::string::npos) << (*hits)[0].snippet;
    EXPECT_EQ(kb_->stats()->n_embeddings, 3);
    EXPECT_EQ(kb_->stats()->embedding_model, "test-bag-of-words");
}

TEST_F(DenseSearchTest, HybridFusesBothRankings) {
    kb_->set_embedder(std::make_shared<BagOfWordsEmbedder>());
    ASSERT_TRUE(kb_->ingest_jsonl_stream(kAnimals, "animals", IngestOptions{}).has_value());
    SearchOptions options;
    options.mode = SearchMode::kHybrid;
    options.rrf_k = 10;

    auto hits = kb_->search("salmon rivers", options);

    ASSERT_TRUE(hits.has_value()) << hits.status().to_string();
    ASSERT_FALSE(hits->empty());
    const SearchHit& top = (*hits)[0];
    EXPECT_EQ(top.document_key, "salmon");
    EXPECT_EQ(top.rank_bm25, 1);
    EXPECT_EQ(top.rank_dense, 1);
    EXPECT_DOUBLE_EQ(top.score, 2.0 / 11.0);
}

TEST_F(DenseSearchTest, DenseWithoutEmbedderIsAClearError) {
    SearchOptions options;
    options.mode = SearchMode::kDense;

    auto hits = kb_->search("anything", options);

    ASSERT_FALSE(hits.has_value());
    EXPECT_EQ(hits.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(DenseSearchTest, SuppliedVectorsAreSearchedAndMismatchesRejected) {
    ASSERT_TRUE(kb_->ingest_jsonl_stream(kAnimals, "animals", IngestOptions{}).has_value());
    const std::vector<std::int64_t> ids = *kb_->chunk_ids();
    ASSERT_EQ(ids.size(), 3u);
    const std::vector<float> vectors = {1, 0, 0, 0, 1, 0, 0, 0, 1};
    ASSERT_TRUE(kb_->put_embeddings(ids, vectors, 3, "axes").is_ok());
    SearchOptions options;
    options.mode = SearchMode::kDense;
    const std::vector<float> query = {0.1f, 0.2f, 0.97f};

    auto hits = kb_->search_vector(query, "", options);

    ASSERT_TRUE(hits.has_value());
    ASSERT_EQ(hits->size(), 3u);
    EXPECT_EQ((*hits)[0].chunk_id, ids[2]);
    EXPECT_NEAR((*hits)[0].score, 0.97, 1e-6);
    EXPECT_EQ((*hits)[1].chunk_id, ids[1]);
    EXPECT_FALSE(kb_->put_embeddings(ids, vectors, 3, "another-model").is_ok());
    EXPECT_FALSE(kb_->search_vector(std::vector<float>{1, 0}, "", options).has_value());
}

TEST_F(DenseSearchTest, HnswFileIsSavedReusedAndRebuiltWhenStaleOrDamaged) {
    ASSERT_TRUE(kb_->ingest_jsonl_stream(kAnimals, "animals", IngestOptions{}).has_value());
    const std::vector<std::int64_t> ids = *kb_->chunk_ids();
    ASSERT_TRUE(
        kb_->put_embeddings(ids, std::vector<float>{1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, "axes").is_ok());
    auto store = store::Store::open(dir_.path());
    ASSERT_TRUE(store.has_value());
    retrieve::DenseIndexOptions options;
    options.flat_threshold = 0;  // force HNSW
    auto get = [&](retrieve::DenseIndex& index) {
        auto txn = store::Transaction::begin_read((*store)->db());
        auto result = index.get(options);
        EXPECT_TRUE(result.has_value()) << result.status().to_string();
        return result.has_value() ? *result : nullptr;
    };

    retrieve::DenseIndex first(**store);
    ASSERT_NE(get(first), nullptr);
    EXPECT_TRUE(first.last_was_rebuilt());
    EXPECT_TRUE(std::filesystem::exists(first.index_path()));

    retrieve::DenseIndex second(**store);
    ASSERT_NE(get(second), nullptr);
    EXPECT_FALSE(second.last_was_rebuilt());  // loaded from the file

    {
        std::fstream file(second.index_path(), std::ios::in | std::ios::out | std::ios::binary);
        file.seekp(40);
        file.write("\xFF\xFF\xFF\xFF", 4);
    }
    retrieve::DenseIndex third(**store);
    const retrieve::VectorIndex* rebuilt = get(third);
    ASSERT_NE(rebuilt, nullptr);
    EXPECT_TRUE(third.last_was_rebuilt());  // checksum caught the damage

    ASSERT_TRUE(kb_->put_embeddings(std::vector<std::int64_t>{ids[0]},
                                    std::vector<float>{0, 0.6f, 0.8f}, 3, "axes")
                    .is_ok());
    const retrieve::VectorIndex* fresh = get(third);
    ASSERT_NE(fresh, nullptr);
    EXPECT_TRUE(third.last_was_rebuilt());  // generation moved on
    const auto hits = fresh->search(std::vector<float>{0, 0.6f, 0.8f}, 1);
    ASSERT_EQ(hits.size(), 1u);
    EXPECT_EQ(hits[0].chunk_id, ids[0]);
}

}  // namespace
}  // namespace lore
