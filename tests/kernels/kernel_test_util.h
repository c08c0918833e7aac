// Helpers shared by the kernel tests: the types under test, seeded random data, and row
// quantization into byte buffers.
#pragma once

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "lore/tensor_type.h"

#include "kernels/kernels.h"

namespace lore::kernels::testing {

inline const std::vector<TensorType>& computable_types() {
    static const std::vector<TensorType> types = {
        TensorType::kF32,  TensorType::kF16,  TensorType::kBF16, TensorType::kQ4_0,
        TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ8_0,
        TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};
    return types;
}

// The values per block that make up an awkward row length: quantized types need whole
// blocks; plain float types accept any length, so use a multiple of 32 there as well plus
// odd lengths in the tests that want them.
inline std::int64_t block_size_of(TensorType type) {
    const std::int64_t block = tensor_type_traits(type).block_size;
    return block == 1 ? 32 : block;
}

inline std::vector<float> random_values(std::int64_t n, std::uint32_t seed, float scale = 1.0f) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> normal(0.0f, scale);
    std::vector<float> values(static_cast<std::size_t>(n));
    for (float& v : values) {
        v = normal(rng);
    }
    return values;
}

inline std::vector<std::uint8_t> quantize_row(const KernelSet& set,
                                              TensorType type,
                                              const float* x,
                                              std::int64_t n) {
    std::vector<std::uint8_t> bytes(tensor_row_bytes(type, n));
    set[type].quantize(x, bytes.data(), n);
    return bytes;
}

inline std::vector<float> dequantize_row(const KernelSet& set,
                                         TensorType type,
                                         const std::uint8_t* bytes,
                                         std::int64_t n) {
    std::vector<float> values(static_cast<std::size_t>(n));
    set[type].dequantize(bytes, values.data(), n);
    return values;
}

// sum |a_i * b_i|: the natural scale of a dot product's rounding error.
inline double abs_dot(const std::vector<float>& a, const std::vector<float>& b) {
    double sum = 0.0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        sum += std::fabs(static_cast<double>(a[i]) * static_cast<double>(b[i]));
    }
    return sum;
}

inline double rms(const std::vector<float>& a) {
    double sum = 0.0;
    for (float v : a) {
        sum += static_cast<double>(v) * static_cast<double>(v);
    }
    return std::sqrt(sum / static_cast<double>(a.size()));
}

}  // namespace lore::kernels::testing
