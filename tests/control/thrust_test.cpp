#include <cmath>

#include <gtest/gtest.h>

#include "lore/ask.h"

namespace lore {
namespace {

TEST(ThrustTest, PointNearAClusterScoresHigherThanAFarPoint) {
    Calibration cal;
    cal.thrust_centroids = {{0.0f, 0.0f}, {10.0f, 0.0f}};
    cal.thrust_cluster_sizes = {5, 5};
    std::vector<float> near = {1.0f, 0.0f};
    std::vector<float> far = {5.0f, 40.0f};

    EXPECT_GT(thrust_score(near, cal), thrust_score(far, cal));
}

TEST(ThrustTest, ScoreIsTheNormalisedInverseSquarePull) {
    Calibration cal;
    cal.thrust_centroids = {{2.0f, 0.0f}};
    cal.thrust_cluster_sizes = {4};
    std::vector<float> h = {0.0f, 0.0f};

    // |C| / d^2 / N = 4 / 4 / 4
    EXPECT_NEAR(thrust_score(h, cal), 0.25, 1e-9);
}

TEST(ThrustTest, KMeansSeparatesTwoBlobs) {
    std::vector<std::vector<float>> points;
    for (int i = 0; i < 10; ++i) {
        points.push_back({static_cast<float>(i % 3) * 0.1f, 0.0f});
        points.push_back({100.0f + static_cast<float>(i % 3) * 0.1f, 0.0f});
    }
    std::vector<std::vector<float>> centroids;
    std::vector<std::int32_t> sizes;

    cluster_points(points, 2, centroids, sizes);

    ASSERT_EQ(centroids.size(), 2u);
    EXPECT_EQ(sizes[0], 10);
    EXPECT_EQ(sizes[1], 10);
    EXPECT_NEAR(std::fabs(centroids[0][0] - centroids[1][0]), 100.0, 0.5);
}

TEST(CalibrationMathTest, AucOfPerfectAndInvertedScores) {
    std::vector<double> scores = {0.1, 0.2, 0.8, 0.9};
    std::vector<bool> labels = {false, false, true, true};
    std::vector<bool> inverted = {true, true, false, false};

    EXPECT_DOUBLE_EQ(roc_auc(scores, labels), 1.0);
    EXPECT_DOUBLE_EQ(roc_auc(scores, inverted), 0.0);
}

TEST(CalibrationMathTest, AucCountsTiesHalf) {
    std::vector<double> scores = {0.5, 0.5};
    std::vector<bool> labels = {false, true};

    EXPECT_DOUBLE_EQ(roc_auc(scores, labels), 0.5);
}

TEST(CalibrationMathTest, YoudenThresholdSeparatesTheClasses) {
    std::vector<double> scores = {-3.0, -2.5, -2.0, -0.5, -0.2, -0.1};
    std::vector<bool> labels = {false, false, false, true, true, true};

    const double t = youden_threshold(scores, labels);

    EXPECT_GT(t, -2.0);
    EXPECT_LE(t, -0.5);
}

TEST(CalibrationMathTest, BudgetPicksTheMatchingQuantile) {
    std::vector<double> sorted = {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0};

    const double t = threshold_for_budget(sorted, 0.3, 0.0);

    EXPECT_GT(t, 3.0);
    EXPECT_LT(t, 4.0);
    EXPECT_LT(threshold_for_budget(sorted, 0.0, 0.0), 1.0);
    EXPECT_GT(threshold_for_budget(sorted, 1.0, 0.0), 10.0);
    EXPECT_EQ(threshold_for_budget({}, 0.5, 42.0), 42.0);
}

}  // namespace
}  // namespace lore
