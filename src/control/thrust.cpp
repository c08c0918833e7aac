// The Thrust score (Zhao et al., "Thrust: Adaptively Propels Large Language Models with
// External Knowledge"): a question's hidden representation is pulled by clusters of
// representations of questions the model is known to answer; each cluster pulls with a
// force proportional to its size and inversely proportional to the squared distance, along
// the unit vector towards its centroid. The length of the summed pull, divided by the
// number of calibration points, is high inside well-known regions and low elsewhere — and
// it needs one forward pass over the question, no generation.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "lore/ask.h"

namespace lore {

namespace {

double squared_distance(std::span<const float> a, std::span<const float> b) {
    double d = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        const double x = static_cast<double>(a[i]) - b[i];
        d += x * x;
    }
    return d;
}

// Deterministic pseudo-random numbers for k-means++ seeding.
double next_uniform(std::uint64_t& state) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<double>(state >> 11) * 0x1.0p-53;
}

}  // namespace

double thrust_score(std::span<const float> hidden, const Calibration& calibration) {
    const std::size_t n_dims = hidden.size();
    std::vector<double> pull(n_dims, 0.0);
    std::int64_t n_points = 0;
    for (std::size_t k = 0; k < calibration.thrust_centroids.size(); ++k) {
        const std::vector<float>& c = calibration.thrust_centroids[k];
        if (c.size() != n_dims) {
            continue;
        }
        const double size = calibration.thrust_cluster_sizes[k];
        n_points += calibration.thrust_cluster_sizes[k];
        const double d2 = std::max(squared_distance(c, hidden), 1e-12);
        const double d = std::sqrt(d2);
        for (std::size_t i = 0; i < n_dims; ++i) {
            pull[i] += size / d2 * ((static_cast<double>(c[i]) - hidden[i]) / d);
        }
    }
    if (n_points == 0) {
        return 0.0;
    }
    double norm = 0.0;
    for (double p : pull) {
        norm += p * p;
    }
    return std::sqrt(norm) / static_cast<double>(n_points);
}

void cluster_points(const std::vector<std::vector<float>>& points,
                    std::int32_t k,
                    std::vector<std::vector<float>>& centroids,
                    std::vector<std::int32_t>& sizes) {
    centroids.clear();
    sizes.clear();
    if (points.empty() || k <= 0) {
        return;
    }
    const std::size_t n = points.size();
    const std::size_t n_clusters = std::min<std::size_t>(n, static_cast<std::size_t>(k));
    const std::size_t n_dims = points[0].size();
    std::uint64_t rng = 0x5eed;
    // k-means++ seeding.
    centroids.push_back(points[0]);
    std::vector<double> nearest(n, std::numeric_limits<double>::max());
    while (centroids.size() < n_clusters) {
        double total = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            nearest[i] = std::min(nearest[i], squared_distance(points[i], centroids.back()));
            total += nearest[i];
        }
        if (total <= 0.0) {
            break;
        }
        double r = next_uniform(rng) * total;
        std::size_t pick = n - 1;
        for (std::size_t i = 0; i < n; ++i) {
            r -= nearest[i];
            if (r <= 0.0) {
                pick = i;
                break;
            }
        }
        centroids.push_back(points[pick]);
    }
    std::vector<std::size_t> assignment(n, 0);
    for (int iteration = 0; iteration < 50; ++iteration) {
        bool is_changed = false;
        for (std::size_t i = 0; i < n; ++i) {
            std::size_t best = 0;
            double best_d = std::numeric_limits<double>::max();
            for (std::size_t c = 0; c < centroids.size(); ++c) {
                const double d = squared_distance(points[i], centroids[c]);
                if (d < best_d) {
                    best_d = d;
                    best = c;
                }
            }
            is_changed = is_changed || assignment[i] != best || iteration == 0;
            assignment[i] = best;
        }
        if (!is_changed) {
            break;
        }
        std::vector<std::vector<double>> sums(centroids.size(), std::vector<double>(n_dims, 0.0));
        std::vector<std::int32_t> counts(centroids.size(), 0);
        for (std::size_t i = 0; i < n; ++i) {
            ++counts[assignment[i]];
            for (std::size_t d = 0; d < n_dims; ++d) {
                sums[assignment[i]][d] += points[i][d];
            }
        }
        for (std::size_t c = 0; c < centroids.size(); ++c) {
            if (counts[c] == 0) {
                continue;
            }
            for (std::size_t d = 0; d < n_dims; ++d) {
                centroids[c][d] = static_cast<float>(sums[c][d] / counts[c]);
            }
        }
    }
    sizes.assign(centroids.size(), 0);
    for (std::size_t i = 0; i < n; ++i) {
        ++sizes[assignment[i]];
    }
    // Drop empty clusters.
    for (std::size_t c = centroids.size(); c-- > 0;) {
        if (sizes[c] == 0) {
            centroids.erase(centroids.begin() + static_cast<std::ptrdiff_t>(c));
            sizes.erase(sizes.begin() + static_cast<std::ptrdiff_t>(c));
        }
    }
}

}  // namespace lore
