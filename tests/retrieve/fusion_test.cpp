// Reciprocal-rank fusion arithmetic: scores, weights, ranks, ties and truncation.
#include "retrieve/fusion.h"

#include <gtest/gtest.h>

namespace lore::retrieve {
namespace {

TEST(FusionTest, ScoreIsTheWeightedSumOfReciprocalRanks) {
    const std::vector<ScoredChunk> lists[] = {{{10, 9.0}, {20, 8.0}, {30, 7.0}},
                                              {{30, 0.9}, {40, 0.8}}};
    const double weights[] = {1.0, 2.0};

    const std::vector<FusedChunk> fused = reciprocal_rank_fusion(lists, weights, 60.0, 10);

    ASSERT_EQ(fused.size(), 4u);
    EXPECT_EQ(fused[0].chunk_id, 30);  // 1/63 + 2/61
    EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 63 + 2.0 / 61);
    EXPECT_EQ(fused[0].ranks, (std::vector<int>{3, 1}));
    EXPECT_EQ(fused[1].chunk_id, 40);  // 2/62
    EXPECT_DOUBLE_EQ(fused[1].score, 2.0 / 62);
    EXPECT_EQ(fused[1].ranks, (std::vector<int>{0, 2}));
    EXPECT_EQ(fused[2].chunk_id, 10);
    EXPECT_DOUBLE_EQ(fused[2].score, 1.0 / 61);
    EXPECT_EQ(fused[3].chunk_id, 20);
}

TEST(FusionTest, TiesGoToTheSmallerChunkId) {
    const std::vector<ScoredChunk> lists[] = {{{7, 1.0}}, {{3, 1.0}}};
    const double weights[] = {1.0, 1.0};

    const std::vector<FusedChunk> fused = reciprocal_rank_fusion(lists, weights, 60.0, 10);

    ASSERT_EQ(fused.size(), 2u);
    EXPECT_EQ(fused[0].chunk_id, 3);
    EXPECT_EQ(fused[1].chunk_id, 7);
}

TEST(FusionTest, KeepsTopKAndKZeroIsPlainReciprocalRank) {
    const std::vector<ScoredChunk> lists[] = {{{1, 0}, {2, 0}, {3, 0}}};
    const double weights[] = {1.0};

    const std::vector<FusedChunk> fused = reciprocal_rank_fusion(lists, weights, 0.0, 2);

    ASSERT_EQ(fused.size(), 2u);
    EXPECT_DOUBLE_EQ(fused[0].score, 1.0);
    EXPECT_DOUBLE_EQ(fused[1].score, 0.5);
}

TEST(FusionTest, RepeatedIdInOneListCountsOnce) {
    const std::vector<ScoredChunk> lists[] = {{{5, 2.0}, {5, 1.0}}};
    const double weights[] = {1.0};

    const std::vector<FusedChunk> fused = reciprocal_rank_fusion(lists, weights, 60.0, 10);

    ASSERT_EQ(fused.size(), 1u);
    EXPECT_DOUBLE_EQ(fused[0].score, 1.0 / 61);
}

}  // namespace
}  // namespace lore::retrieve
