// Quantization accuracy of the reference kernels: quantize -> dequantize round trips stay
// within a named relative RMS budget per type; the f32-activation dot equals the dot of the
// dequantized row; the integer (q8-activation) dot equals the f32 dot of the dequantized
// weights and dequantized activations; and the q8 path stays close to the f32 path.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace lore::kernels {
namespace {

using testing::abs_dot;
using testing::block_size_of;
using testing::computable_types;
using testing::dequantize_row;
using testing::quantize_row;
using testing::random_values;
using testing::rms;

// Round-trip budget: RMS(dequantize(quantize(x)) - x) / RMS(x) for Gaussian x; about 1.25x
// what the reference quantizers reach (measured: q4_0 0.083, q4_K 0.077, q6_K 0.019).
double round_trip_budget(TensorType type) {
    switch (type) {
        case TensorType::kF32: return 0.0;
        case TensorType::kF16: return 3e-4;
        case TensorType::kBF16: return 2.5e-3;
        case TensorType::kQ8_0: return 0.0065;
        case TensorType::kQ5_0: return 0.05;
        case TensorType::kQ5_1: return 0.045;
        case TensorType::kQ4_0: return 0.10;
        case TensorType::kQ4_1: return 0.09;
        case TensorType::kQ6_K: return 0.024;
        case TensorType::kQ5_K: return 0.045;
        case TensorType::kQ4_K: return 0.095;
        default: return 0.0;
    }
}

TEST(QuantizeTest, RoundTripErrorIsWithinBudgetForEveryType) {
    const KernelSet& ref = reference_kernels();
    for (TensorType type : computable_types()) {
        const std::int64_t n = 8 * 256;
        const std::vector<float> x = random_values(n, 7);

        const std::vector<std::uint8_t> q = quantize_row(ref, type, x.data(), n);
        const std::vector<float> back = dequantize_row(ref, type, q.data(), n);

        std::vector<float> error(x.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            error[i] = back[i] - x[i];
        }
        const double relative = rms(error) / rms(x);
        EXPECT_LE(relative, round_trip_budget(type)) << tensor_type_traits(type).name;
        std::printf("round trip %-5s relative rms error %.5f\n",
                    std::string(tensor_type_traits(type).name).c_str(), relative);
    }
}

TEST(QuantizeTest, ZeroBlocksRoundTripExactlyAndConstantBlocksClosely) {
    const KernelSet& ref = reference_kernels();
    for (TensorType type : computable_types()) {
        const std::int64_t n = 256;
        for (float value : {0.0f, -1.5f, 2.25f}) {
            const std::vector<float> x(static_cast<std::size_t>(n), value);

            const std::vector<std::uint8_t> q = quantize_row(ref, type, x.data(), n);
            const std::vector<float> back = dequantize_row(ref, type, q.data(), n);

            // Only the fp16 rounding of the scale remains: 2^-11 relative.
            for (float v : back) {
                ASSERT_NEAR(v, value, std::fabs(value) * 0x1p-10f) << tensor_type_traits(type).name;
            }
        }
    }
}

TEST(QuantizeTest, DotEqualsDotOfDequantizedRow) {
    const KernelSet& ref = reference_kernels();
    for (TensorType type : computable_types()) {
        const std::int64_t n = 3 * 256;
        const std::vector<float> w = random_values(n, 11);
        const std::vector<float> x = random_values(n, 12);
        const std::vector<std::uint8_t> q = quantize_row(ref, type, w.data(), n);
        const std::vector<float> wd = dequantize_row(ref, type, q.data(), n);
        double expected = 0.0;
        for (std::size_t i = 0; i < wd.size(); ++i) {
            expected += static_cast<double>(wd[i]) * static_cast<double>(x[i]);
        }

        const float got = ref[type].dot(q.data(), x.data(), n);

        EXPECT_NEAR(got, expected, 1e-6 * abs_dot(wd, x)) << tensor_type_traits(type).name;
    }
}

TEST(QuantizeTest, IntegerDotEqualsDotOfDequantizedOperands) {
    const KernelSet& ref = reference_kernels();
    for (TensorType type : computable_types()) {
        const std::int64_t n = 3 * 256;
        const std::vector<float> w = random_values(n, 21);
        const std::vector<float> x = random_values(n, 22);
        const std::vector<std::uint8_t> wq = quantize_row(ref, type, w.data(), n);
        const TensorType act = ref[type].vec_dot_type;
        const std::vector<std::uint8_t> xq = quantize_row(ref, act, x.data(), n);
        const std::vector<float> wd = dequantize_row(ref, type, wq.data(), n);
        const std::vector<float> xd = dequantize_row(ref, act, xq.data(), n);
        double expected = 0.0;
        for (std::size_t i = 0; i < wd.size(); ++i) {
            expected += static_cast<double>(wd[i]) * static_cast<double>(xd[i]);
        }
        // Q8_1 carries the block sum as fp16 (d * sum(q)), so min * s is rounded there.
        const bool has_fp16_sum = act == TensorType::kQ8_1;
        const double budget = (has_fp16_sum ? 1e-3 : 1e-6) * abs_dot(wd, xd);

        const float got = ref[type].vec_dot(wq.data(), xq.data(), n);

        EXPECT_NEAR(got, expected, budget) << tensor_type_traits(type).name;
    }
}

TEST(QuantizeTest, ActivationTypesRoundTripWithinEightBitError) {
    const KernelSet& ref = reference_kernels();
    for (TensorType type : {TensorType::kQ8_0, TensorType::kQ8_1, TensorType::kQ8_K}) {
        const std::int64_t n = 512;
        const std::vector<float> x = random_values(n, 5);

        const std::vector<std::uint8_t> q = quantize_row(ref, type, x.data(), n);
        const std::vector<float> back = dequantize_row(ref, type, q.data(), n);

        // Each value is within half a step of its block's scale (amax / 127), plus the
        // fp16 rounding of the stored scale for Q8_0 / Q8_1.
        const std::int64_t block = tensor_type_traits(type).block_size;
        for (std::int64_t b = 0; b < n / block; ++b) {
            float amax = 0.0f;
            for (std::int64_t i = b * block; i < (b + 1) * block; ++i) {
                amax = std::max(amax, std::fabs(x[static_cast<std::size_t>(i)]));
            }
            const float step = amax / 127.0f;
            for (std::int64_t i = b * block; i < (b + 1) * block; ++i) {
                const auto idx = static_cast<std::size_t>(i);
                ASSERT_NEAR(back[idx], x[idx], 0.5f * step + 1e-3f * amax)
                    << tensor_type_traits(type).name << " value " << i;
            }
        }
    }
}

TEST(QuantizeTest, Bsums_OfQ8_KAreSumsOfSixteenLevels) {
    const KernelSet& ref = reference_kernels();
    const std::vector<float> x = random_values(256, 9);

    const std::vector<std::uint8_t> q = quantize_row(ref, TensorType::kQ8_K, x.data(), 256);

    const auto* levels = reinterpret_cast<const std::int8_t*>(q.data() + 4);
    const auto* bsums = reinterpret_cast<const std::int16_t*>(q.data() + 4 + 256);
    for (int group = 0; group < 16; ++group) {
        int sum = 0;
        for (int l = 0; l < 16; ++l) {
            sum += levels[16 * group + l];
        }
        EXPECT_EQ(bsums[group], sum) << group;
    }
}

TEST(QuantizeTest, Q8PathStaysCloseToF32Path) {
    // Activation quantization to 8 bits moves a dot by a fraction of a percent of
    // sum |w x|; 1% is the budget (Q8_1's fp16 block sum included).
    constexpr double kQ8PathBudget = 0.01;
    const KernelSet& ref = reference_kernels();
    for (TensorType type : computable_types()) {
        const std::int64_t n = 4 * block_size_of(type) * (type == TensorType::kF32 ? 1 : 2);
        const std::vector<float> w = random_values(n, 31);
        const std::vector<float> x = random_values(n, 32);
        const std::vector<std::uint8_t> wq = quantize_row(ref, type, w.data(), n);
        const std::vector<float> wd = dequantize_row(ref, type, wq.data(), n);
        QuantizedActivations xq;
        xq.quantize(type, x.data(), 1, n, ref);

        const float f32_path = ref[type].dot(wq.data(), x.data(), n);
        const float q8_path = ref[type].vec_dot(wq.data(), xq.row(0), n);

        EXPECT_NEAR(q8_path, f32_path, kQ8PathBudget * abs_dot(wd, x))
            << tensor_type_traits(type).name;
    }
}

}  // namespace
}  // namespace lore::kernels
