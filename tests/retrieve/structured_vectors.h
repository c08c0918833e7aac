// Vectors shaped like real embeddings, for tests and benchmarks of vector indexes: a
// `latent_dim` Gaussian latent mapped by a fixed random [dim, latent_dim] matrix, plus a
// little isotropic noise, L2-normalised. Uniform random vectors are the worst case of every
// graph index and say nothing about real use. Deterministic for a given seed.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace lore::testing {

struct StructuredVectors {
    int dim = 384;
    int latent_dim = 32;
    float noise = 0.05f;
    std::uint64_t matrix_seed = 42;

    // Row-major [n, dim]; `seed` picks the latents and noise (use different seeds for the
    // corpus and the queries; the mapping matrix is the same for both).
    std::vector<float> make(std::size_t n, std::uint64_t seed) const {
        std::mt19937_64 matrix_rng(matrix_seed);
        std::normal_distribution<float> gauss(0.0f, 1.0f);
        const auto n_dim = static_cast<std::size_t>(dim);
        const auto n_latent = static_cast<std::size_t>(latent_dim);
        std::vector<float> matrix(n_dim * n_latent);
        const float scale = 1.0f / std::sqrt(static_cast<float>(latent_dim));
        for (float& value : matrix) {
            value = gauss(matrix_rng) * scale;
        }
        std::mt19937_64 rng(seed);
        std::vector<float> out(n * n_dim);
        std::vector<float> latent(n_latent);
        for (std::size_t row_idx = 0; row_idx < n; ++row_idx) {
            for (float& value : latent) {
                value = gauss(rng);
            }
            float* row = out.data() + row_idx * n_dim;
            double norm = 0.0;
            for (std::size_t dim_idx = 0; dim_idx < n_dim; ++dim_idx) {
                float value = noise * gauss(rng);
                for (std::size_t latent_idx = 0; latent_idx < n_latent; ++latent_idx) {
                    value += matrix[dim_idx * n_latent + latent_idx] * latent[latent_idx];
                }
                row[dim_idx] = value;
                norm += static_cast<double>(value) * value;
            }
            const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
            for (std::size_t dim_idx = 0; dim_idx < n_dim; ++dim_idx) {
                row[dim_idx] *= inv;
            }
        }
        return out;
    }
};

}  // namespace lore::testing
