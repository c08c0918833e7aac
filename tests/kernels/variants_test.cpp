// Every instruction-set variant against the reference, per type, on random rows of awkward
// lengths (one block, odd numbers of blocks, and for the float types lengths that are not
// multiples of the vector width). Variants this CPU cannot run are skipped (and say so).
//
// Error budgets (named, per kernel kind; the reference accumulates in double):
//   dequantize: exact for levels and scales; one rounding of d*q+m may differ (FMA), so
//     |got - ref| <= kDequantizeBudget * max|row|.
//   dot / vec_dot: f32 accumulation in a different order, so
//     |got - ref| <= kDotBudget * sum_i |w_i x_i| (of the dequantized operands).
//   activation quantize: levels and sums bit-identical to the reference.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <limits>
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

constexpr double kDequantizeBudget = 1e-6;
constexpr double kDotBudget = 1e-5;

std::vector<const KernelSet*> simd_sets() {
    std::vector<const KernelSet*> sets;
    for (Isa isa : {Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512}) {
        if (const KernelSet* set = kernels_for(isa)) {
            sets.push_back(set);
        }
    }
    return sets;
}

std::vector<std::int64_t> awkward_lengths(TensorType type) {
    const std::int64_t block = block_size_of(type);
    std::vector<std::int64_t> lengths = {block, 3 * block, 7 * block, 16 * block};
    if (tensor_type_traits(type).block_size == 1) {
        for (std::int64_t n : {1, 3, 7, 8, 9, 31, 33, 100, 257}) {
            lengths.push_back(n);
        }
    }
    return lengths;
}

std::string label(const KernelSet& set, TensorType type, std::int64_t n) {
    return std::string(isa_name(set.isa)) + " " + std::string(tensor_type_traits(type).name) +
           " n=" + std::to_string(n);
}

class VariantsTest : public ::testing::Test {
protected:
    void SetUp() override {
        if (simd_sets().empty()) {
            GTEST_SKIP() << "this CPU runs no SIMD kernel set; only the reference is tested";
        }
    }
};

TEST_F(VariantsTest, DequantizeMatchesReference) {
    const KernelSet& ref = reference_kernels();
    for (const KernelSet* set : simd_sets()) {
        for (TensorType type : computable_types()) {
            for (std::int64_t n : awkward_lengths(type)) {
                const std::vector<float> x = random_values(n, 100 + static_cast<std::uint32_t>(n));
                const std::vector<std::uint8_t> q = quantize_row(ref, type, x.data(), n);
                const std::vector<float> want = dequantize_row(ref, type, q.data(), n);
                float max_abs = 0.0f;
                for (float v : want) {
                    max_abs = std::max(max_abs, std::fabs(v));
                }

                const std::vector<float> got = dequantize_row(*set, type, q.data(), n);

                for (std::size_t i = 0; i < want.size(); ++i) {
                    ASSERT_NEAR(got[i], want[i], kDequantizeBudget * max_abs)
                        << label(*set, type, n) << " value " << i;
                }
            }
        }
    }
}

TEST_F(VariantsTest, DotMatchesReference) {
    const KernelSet& ref = reference_kernels();
    for (const KernelSet* set : simd_sets()) {
        for (TensorType type : computable_types()) {
            for (std::int64_t n : awkward_lengths(type)) {
                const auto seed = static_cast<std::uint32_t>(200 + n);
                const std::vector<float> w = random_values(n, seed);
                const std::vector<float> x = random_values(n, seed + 1);
                const std::vector<std::uint8_t> q = quantize_row(ref, type, w.data(), n);
                const std::vector<float> wd = dequantize_row(ref, type, q.data(), n);
                const float want = ref[type].dot(q.data(), x.data(), n);

                const float got = (*set)[type].dot(q.data(), x.data(), n);

                EXPECT_NEAR(got, want, kDotBudget * abs_dot(wd, x)) << label(*set, type, n);
            }
        }
    }
}

TEST_F(VariantsTest, VecDotMatchesReference) {
    const KernelSet& ref = reference_kernels();
    for (const KernelSet* set : simd_sets()) {
        for (TensorType type : computable_types()) {
            for (std::int64_t n : awkward_lengths(type)) {
                const auto seed = static_cast<std::uint32_t>(300 + n);
                const std::vector<float> w = random_values(n, seed);
                const std::vector<float> x = random_values(n, seed + 1, 3.0f);
                const std::vector<std::uint8_t> q = quantize_row(ref, type, w.data(), n);
                const TensorType act = ref[type].vec_dot_type;
                const std::vector<std::uint8_t> xq = quantize_row(ref, act, x.data(), n);
                const std::vector<float> wd = dequantize_row(ref, type, q.data(), n);
                const std::vector<float> xd = dequantize_row(ref, act, xq.data(), n);
                const float want = ref[type].vec_dot(q.data(), xq.data(), n);

                const float got = (*set)[type].vec_dot(q.data(), xq.data(), n);

                EXPECT_NEAR(got, want, kDotBudget * abs_dot(wd, xd)) << label(*set, type, n);
            }
        }
    }
}

TEST_F(VariantsTest, ExtremeLevelsGiveExactIntegerDots) {
    // All-max levels stress int16 saturation in maddubs: weights at their largest level,
    // activations at +-127.
    const KernelSet& ref = reference_kernels();
    for (const KernelSet* set : simd_sets()) {
        for (TensorType type : computable_types()) {
            const std::int64_t n = 2 * block_size_of(type);
            std::vector<float> w(static_cast<std::size_t>(n));
            std::vector<float> x(static_cast<std::size_t>(n));
            for (std::size_t i = 0; i < w.size(); ++i) {
                w[i] = (i % 3 == 0) ? -1.0f : 1.0f;
                x[i] = (i % 2 == 0) ? 1.0f : -1.0f;
            }
            const std::vector<std::uint8_t> q = quantize_row(ref, type, w.data(), n);
            const TensorType act = ref[type].vec_dot_type;
            const std::vector<std::uint8_t> xq = quantize_row(ref, act, x.data(), n);
            const std::vector<float> wd = dequantize_row(ref, type, q.data(), n);
            const std::vector<float> xd = dequantize_row(ref, act, xq.data(), n);
            const float want = ref[type].vec_dot(q.data(), xq.data(), n);

            const float got = (*set)[type].vec_dot(q.data(), xq.data(), n);

            EXPECT_NEAR(got, want, kDotBudget * abs_dot(wd, xd)) << label(*set, type, n);
        }
    }
}

TEST_F(VariantsTest, ActivationQuantizeIsBitIdenticalToReference) {
    const KernelSet& ref = reference_kernels();
    for (const KernelSet* set : simd_sets()) {
        for (TensorType type : {TensorType::kQ8_0, TensorType::kQ8_1, TensorType::kQ8_K}) {
            for (std::int64_t blocks : {1, 3, 7}) {
                const std::int64_t n = blocks * tensor_type_traits(type).block_size;
                std::vector<float> x = random_values(n, 400 + static_cast<std::uint32_t>(n));
                x[0] = 0.0f;  // and one all-zero block when there are several
                if (blocks > 1) {
                    for (std::int64_t i = n - tensor_type_traits(type).block_size; i < n; ++i) {
                        x[static_cast<std::size_t>(i)] = 0.0f;
                    }
                }

                const std::vector<std::uint8_t> want = quantize_row(ref, type, x.data(), n);
                const std::vector<std::uint8_t> got = quantize_row(*set, type, x.data(), n);

                EXPECT_EQ(got, want) << label(*set, type, n);
            }
        }
    }
}

// The KV cache narrows keys and values to f16 with the set's quantize: every set must
// round exactly as the reference does, for ordinary values and at the edges of the range.
TEST_F(VariantsTest, F16NarrowingIsBitIdenticalToReference) {
    const KernelSet& ref = reference_kernels();
    std::vector<float> x = random_values(997, 77);
    const float edges[] = {0.0f,
                           -0.0f,
                           65504.0f,
                           65519.99f,
                           65520.0f,
                           -1e9f,
                           std::numeric_limits<float>::infinity(),
                           -std::numeric_limits<float>::infinity(),
                           std::numeric_limits<float>::quiet_NaN(),
                           6.1035156e-05f,  // the smallest normal
                           5.9604645e-08f,  // the smallest subnormal
                           2.9802322e-08f,  // half of it: a tie, to even (zero)
                           4.4703484e-08f,  // three quarters of it: rounds up
                           1.0f + 1.0f / 2048.0f,
                           1.0f + 3.0f / 2048.0f};
    x.insert(x.begin(), std::begin(edges), std::end(edges));
    for (const KernelSet* set : simd_sets()) {
        for (std::int64_t n : {std::int64_t{1}, std::int64_t{7}, std::int64_t{8},
                               static_cast<std::int64_t>(x.size())}) {
            const std::vector<std::uint8_t> want = quantize_row(ref, TensorType::kF16, x.data(), n);
            const std::vector<std::uint8_t> got = quantize_row(*set, TensorType::kF16, x.data(), n);

            EXPECT_EQ(got, want) << label(*set, TensorType::kF16, n);
        }
    }
}

TEST(DispatchTest, LoreIsaNamesParseBackToTheirSets) {
    for (Isa isa : kAllIsas) {
        EXPECT_EQ(parse_isa(isa_name(isa)), isa) << isa_name(isa);
    }
    for (const char* name : {"", "AVX2", "avx", "avx-512", "avx512 ", "vnni"}) {
        EXPECT_FALSE(parse_isa(name).has_value()) << '"' << name << '"';
    }
}

TEST(DispatchTest, ActiveSetIsTheBestAvailableUnlessCapped) {
    const KernelSet& active = active_kernels();

    if (std::getenv("LORE_ISA") == nullptr) {
        const Isa best = kernels_for(Isa::kAvx512)    ? Isa::kAvx512
                         : kernels_for(Isa::kAvxVnni) ? Isa::kAvxVnni
                         : kernels_for(Isa::kAvx2)    ? Isa::kAvx2
                                                      : Isa::kReference;
        EXPECT_EQ(active.isa, best);
    }
    EXPECT_EQ(reference_kernels().isa, Isa::kReference);
    for (TensorType type : computable_types()) {
        EXPECT_NE(active[type].dequantize, nullptr);
        EXPECT_NE(active[type].dot, nullptr);
        EXPECT_NE(active[type].vec_dot, nullptr);
        EXPECT_NE(active[active[type].vec_dot_type].quantize, nullptr);
    }
}

}  // namespace
}  // namespace lore::kernels
