// HNSW at the KB's default settings (M=16, efConstruction=200, ef=128) against brute-force
// cosine on 20k structured 384-d vectors: recall@10 >= 0.98. Integration: the build takes
// seconds.
#include <algorithm>
#include <numeric>

#include <gtest/gtest.h>

#include "lore/search.h"

#include "retrieve/vector_index.h"
#include "structured_vectors.h"

namespace lore::retrieve {
namespace {

TEST(HnswRecallTest, DefaultSettingsReachRecall98On20kStructuredVectors) {
    constexpr std::size_t kCorpus = 20000;
    constexpr std::size_t kQueries = 200;
    constexpr int kTopK = 10;
    const lore::testing::StructuredVectors gen;  // 384 = 32 latent + noise
    const std::vector<float> corpus = gen.make(kCorpus, 11);
    const std::vector<float> queries = gen.make(kQueries, 12);
    std::vector<std::int64_t> ids(kCorpus);
    std::iota(ids.begin(), ids.end(), 1);
    const FlatIndex exact(ids, corpus, gen.dim);
    HnswOptions options;
    options.ef_search = SearchOptions{}.hnsw_ef;
    auto index = HnswIndex::build(ids, corpus, gen.dim, options);
    ASSERT_TRUE(index.has_value());

    std::size_t n_found = 0;
    for (std::size_t q = 0; q < kQueries; ++q) {
        const std::span<const float> query(queries.data() + q * 384, 384);
        const auto truth = exact.search(query, kTopK);
        const auto got = (*index)->search(query, kTopK);
        for (const ScoredChunk& t : truth) {
            n_found += std::any_of(got.begin(), got.end(),
                                   [&](const ScoredChunk& g) { return g.chunk_id == t.chunk_id; });
        }
    }
    const double recall = static_cast<double>(n_found) / (kQueries * kTopK);

    EXPECT_GE(recall, 0.98) << "recall@10 = " << recall;
    RecordProperty("recall_at_10", std::to_string(recall));
}

}  // namespace
}  // namespace lore::retrieve
