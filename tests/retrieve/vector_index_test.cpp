// Vector indexes against brute-force cosine: the flat index exactly, HNSW by recall.
#include "retrieve/vector_index.h"

#include <algorithm>
#include <numeric>

#include <gtest/gtest.h>

#include "structured_vectors.h"

namespace lore::retrieve {
namespace {

// The slow twin: every dot product, sorted.
std::vector<ScoredChunk> brute_force(const std::vector<float>& vectors,
                                     const std::vector<std::int64_t>& ids,
                                     const float* query,
                                     int dim,
                                     int top_k) {
    std::vector<ScoredChunk> all;
    const auto n_dim = static_cast<std::size_t>(dim);
    for (std::size_t row_idx = 0; row_idx < ids.size(); ++row_idx) {
        double dot = 0.0;
        for (std::size_t dim_idx = 0; dim_idx < n_dim; ++dim_idx) {
            dot += static_cast<double>(vectors[row_idx * n_dim + dim_idx]) * query[dim_idx];
        }
        all.push_back({ids[row_idx], dot});
    }
    std::sort(all.begin(), all.end(), better);
    all.resize(std::min(all.size(), static_cast<std::size_t>(top_k)));
    return all;
}

double recall_at_k(const std::vector<ScoredChunk>& truth, const std::vector<ScoredChunk>& got) {
    std::size_t n_found = 0;
    for (const ScoredChunk& t : truth) {
        n_found += std::any_of(got.begin(), got.end(),
                               [&](const ScoredChunk& g) { return g.chunk_id == t.chunk_id; });
    }
    return static_cast<double>(n_found) / static_cast<double>(truth.size());
}

std::vector<std::int64_t> ids_from(std::int64_t first, std::size_t n) {
    std::vector<std::int64_t> ids(n);
    std::iota(ids.begin(), ids.end(), first);
    return ids;
}

TEST(VectorIndexTest, FlatIndexEqualsBruteForce) {
    lore::testing::StructuredVectors gen;
    gen.dim = 48;
    gen.latent_dim = 8;
    const std::vector<float> corpus = gen.make(500, 1);
    const std::vector<float> queries = gen.make(20, 2);
    const std::vector<std::int64_t> ids = ids_from(100, 500);
    const FlatIndex index(ids, corpus, gen.dim);

    for (std::size_t q = 0; q < 20; ++q) {
        const float* query = queries.data() + q * 48;
        const auto got = index.search(std::span<const float>(query, 48), 10);
        const auto want = brute_force(corpus, ids, query, gen.dim, 10);

        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i) {
            EXPECT_EQ(got[i].chunk_id, want[i].chunk_id) << "query " << q << " rank " << i;
            EXPECT_NEAR(got[i].score, want[i].score, 1e-5);
        }
    }
}

TEST(VectorIndexTest, SmallHnswFindsNearlyEverything) {
    lore::testing::StructuredVectors gen;
    gen.dim = 32;
    gen.latent_dim = 8;
    const std::vector<float> corpus = gen.make(2000, 3);
    const std::vector<float> queries = gen.make(50, 4);
    const std::vector<std::int64_t> ids = ids_from(1, 2000);
    auto index = HnswIndex::build(ids, corpus, gen.dim, HnswOptions{});
    ASSERT_TRUE(index.has_value());

    double recall = 0.0;
    for (std::size_t q = 0; q < 50; ++q) {
        const float* query = queries.data() + q * 32;
        recall += recall_at_k(brute_force(corpus, ids, query, gen.dim, 10),
                              (*index)->search(std::span<const float>(query, 32), 10));
    }

    EXPECT_GE(recall / 50, 0.98);
    EXPECT_EQ((*index)->size(), 2000u);
}

TEST(VectorIndexTest, HnswRejectsInconsistentSizes) {
    const std::vector<float> vectors(10, 0.1f);
    const std::vector<std::int64_t> ids = {1, 2, 3};

    auto index = HnswIndex::build(ids, vectors, 4, HnswOptions{});

    ASSERT_FALSE(index.has_value());
    EXPECT_EQ(index.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lore::retrieve
