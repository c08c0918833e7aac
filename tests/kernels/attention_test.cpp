// Attention helpers (dot_f32, axpy_f32, attention_head, softmax_row, silu_mul) of every
// kernel set against the reference, on lengths around the vector widths and head shapes of
// real models.
// Budgets: dot and the weighted V sum accumulate in f32 in another order and the SIMD exp
// is within a few ulp, so |got - want| <= kBudget * (sum of |terms|).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"

namespace lore::kernels {
namespace {

using testing::random_values;

constexpr double kBudget = 1e-5;

std::vector<const KernelSet*> all_sets() {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        if (const KernelSet* set = kernels_for(isa)) {
            sets.push_back(set);
        }
    }
    return sets;
}

TEST(AttentionTest, DotF32MatchesReferenceOnEveryLength) {
    const std::vector<float> a = random_values(300, 11);
    const std::vector<float> b = random_values(300, 12);
    for (const KernelSet* set : all_sets()) {
        for (std::int64_t n = 0; n <= 300; n += (n < 70 ? 1 : 37)) {
            double scale = 0.0;
            for (std::int64_t i = 0; i < n; ++i) {
                scale += std::fabs(static_cast<double>(a[static_cast<std::size_t>(i)]) *
                                   b[static_cast<std::size_t>(i)]);
            }

            const float got = set->dot_f32(a.data(), b.data(), n);

            const float want = reference_kernels().dot_f32(a.data(), b.data(), n);
            ASSERT_NEAR(got, want, kBudget * scale) << isa_name(set->isa) << " n=" << n;
        }
    }
}

TEST(AttentionTest, AxpyF32UpdatesExactlyTheFirstNValues) {
    const std::vector<float> x = random_values(80, 13);
    const std::vector<float> y0 = random_values(80, 14);
    for (const KernelSet* set : all_sets()) {
        for (std::int64_t n : {0, 1, 15, 16, 17, 33, 64, 79}) {
            std::vector<float> got = y0;
            std::vector<float> want = y0;

            set->axpy_f32(-0.75f, x.data(), got.data(), n);

            reference_kernels().axpy_f32(-0.75f, x.data(), want.data(), n);
            for (std::size_t i = 0; i < got.size(); ++i) {
                const double tolerance = 1e-6 * (std::fabs(y0[i]) + std::fabs(x[i]));
                ASSERT_NEAR(got[i], want[i], tolerance)
                    << isa_name(set->isa) << " n=" << n << " i=" << i;
            }
        }
    }
}

struct Head {
    std::int64_t n_keys;
    std::int64_t head_dim;
    float scale;
};

TEST(AttentionTest, AttentionHeadMatchesReferenceSoftmaxWeightedSum) {
    const std::vector<Head> heads = {{1, 64, 0.125f},   {2, 64, 0.125f},  {3, 24, 0.2f},
                                     {5, 80, 0.1f},     {17, 128, 0.09f}, {64, 64, 0.125f},
                                     {300, 64, 0.125f}, {37, 1, 1.0f},    {40, 64, 3.0f}};
    for (const Head& h : heads) {
        const std::int64_t kv_stride = 3 * h.head_dim + 5;  // other heads interleaved
        const std::vector<float> q = random_values(h.head_dim, 21);
        const std::vector<float> k = random_values(h.n_keys * kv_stride, 22);
        const std::vector<float> v = random_values(h.n_keys * kv_stride, 23);
        std::vector<float> ref_scores(static_cast<std::size_t>(h.n_keys));
        std::vector<float> want(static_cast<std::size_t>(h.head_dim));
        reference_kernels().attention_head(q.data(), k.data(), v.data(), h.n_keys, h.head_dim,
                                           kv_stride, h.scale, ref_scores.data(), want.data());
        double sum = 0.0;
        for (float p : ref_scores) {
            sum += p;
        }
        for (const KernelSet* set : all_sets()) {
            std::vector<float> scores(static_cast<std::size_t>(h.n_keys));
            std::vector<float> got(static_cast<std::size_t>(h.head_dim) + 1, -7.0f);

            set->attention_head(q.data(), k.data(), v.data(), h.n_keys, h.head_dim, kv_stride,
                                h.scale, scores.data(), got.data());

            for (std::int64_t d = 0; d < h.head_dim; ++d) {
                double scale = 0.0;
                for (std::int64_t j = 0; j < h.n_keys; ++j) {
                    scale += ref_scores[static_cast<std::size_t>(j)] / sum *
                             std::fabs(v[static_cast<std::size_t>(j * kv_stride + d)]);
                }
                ASSERT_NEAR(got[static_cast<std::size_t>(d)], want[static_cast<std::size_t>(d)],
                            kBudget * scale + 1e-7)
                    << isa_name(set->isa) << " keys=" << h.n_keys << " dim=" << h.head_dim
                    << " d=" << d;
            }
            EXPECT_EQ(got.back(), -7.0f) << "wrote past head_dim";
        }
    }
}

TEST(AttentionTest, AttentionHeadWithOneKeyReturnsItsValueRow) {
    const std::vector<float> q = random_values(64, 31, 10.0f);
    const std::vector<float> k = random_values(64, 32, 10.0f);
    const std::vector<float> v = random_values(64, 33);
    for (const KernelSet* set : all_sets()) {
        float score = 0.0f;
        std::vector<float> out(64);

        set->attention_head(q.data(), k.data(), v.data(), 1, 64, 64, 0.125f, &score, out.data());

        EXPECT_EQ(out, v) << isa_name(set->isa);
    }
}

// With head_dim 1 and q = 1 every score is exact, so the returned weights exp(s - max)
// test the SIMD exp alone: within 4 ulp of std::exp over the range softmax uses.
TEST(AttentionTest, AttentionHeadWeightsAreWithinUlpsOfStdExp) {
    const std::int64_t n_keys = 400;
    const float q = 1.0f;
    std::vector<float> k(static_cast<std::size_t>(n_keys));
    for (std::size_t j = 0; j < k.size(); ++j) {
        k[j] = -85.0f * static_cast<float>(j) / static_cast<float>(n_keys) + 0.37f;
    }
    k[7] = 1.5f;  // the maximum, not first
    const std::vector<float> v(k.size(), 1.0f);
    for (const KernelSet* set : all_sets()) {
        std::vector<float> scores(k.size());
        float out = 0.0f;

        set->attention_head(&q, k.data(), v.data(), n_keys, 1, 1, 1.0f, scores.data(), &out);

        for (std::size_t j = 0; j < k.size(); ++j) {
            const float want = std::exp(k[j] - 1.5f);
            ASSERT_NEAR(scores[j], want, 4 * 6e-8 * want) << isa_name(set->isa) << " j=" << j;
        }
        EXPECT_NEAR(out, 1.0f, 1e-6);
    }
}

TEST(AttentionTest, FreeFunctionsUseTheActiveSet) {
    const std::vector<float> a = random_values(40, 41);
    const std::vector<float> b = random_values(40, 42);

    EXPECT_EQ(dot_f32(a.data(), b.data(), 40), active_kernels().dot_f32(a.data(), b.data(), 40));
}

TEST(AttentionTest, SoftmaxRowMatchesReferenceAndZeroesHiddenKeys) {
    for (const KernelSet* set : all_sets()) {
        for (std::int64_t n_visible : {1, 2, 15, 16, 17, 100, 513}) {
            for (std::int64_t n_hidden : {0, 1, 20}) {
                const std::int64_t n = n_visible + n_hidden;
                const std::vector<float> scores = random_values(n, 41, 4.0f);
                std::vector<float> want = scores;
                std::vector<float> got = scores;

                reference_kernels().softmax_row(want.data(), n_visible, n, 0.125f);
                set->softmax_row(got.data(), n_visible, n, 0.125f);

                double sum = 0.0;
                for (std::int64_t j = 0; j < n; ++j) {
                    const auto idx = static_cast<std::size_t>(j);
                    if (j >= n_visible) {
                        ASSERT_EQ(got[idx], 0.0f) << isa_name(set->isa) << " j " << j;
                        continue;
                    }
                    ASSERT_NEAR(got[idx], want[idx], 1e-6 * want[idx] + 1e-12)
                        << isa_name(set->isa) << " n_visible " << n_visible << " j " << j;
                    sum += got[idx];
                }
                EXPECT_NEAR(sum, 1.0, 1e-5) << isa_name(set->isa) << " n_visible " << n_visible;
            }
        }
    }
}

// Large scores must not overflow: the maximum is subtracted before exp.
TEST(AttentionTest, SoftmaxRowIsStableForLargeScores) {
    for (const KernelSet* set : all_sets()) {
        std::vector<float> row = {1000.0f, 999.0f, -1000.0f, 5.0f};

        set->softmax_row(row.data(), 4, 4, 1.0f);

        EXPECT_NEAR(row[0], 1.0f / (1.0f + std::exp(-1.0f)), 1e-6) << isa_name(set->isa);
        EXPECT_NEAR(row[1], std::exp(-1.0f) / (1.0f + std::exp(-1.0f)), 1e-6) << isa_name(set->isa);
        // exp(-2000): 0 in std::exp, ~1e-38 in the clamped SIMD exp.
        EXPECT_LT(row[2], 1e-30f) << isa_name(set->isa);
    }
}

TEST(AttentionTest, SiluMulMatchesReferenceOnEveryLength) {
    for (const KernelSet* set : all_sets()) {
        for (std::int64_t n : {1, 15, 16, 17, 100}) {
            std::vector<float> gate = random_values(n, 42, 3.0f);
            gate[0] = n > 1 ? -120.0f : 0.5f;  // e^-g past the exp range
            if (n > 1) {
                gate[1] = 95.0f;
            }
            const std::vector<float> up = random_values(n, 43);
            std::vector<float> want = gate;
            std::vector<float> got = gate;

            reference_kernels().silu_mul(want.data(), up.data(), n);
            set->silu_mul(got.data(), up.data(), n);

            for (std::size_t i = 0; i < got.size(); ++i) {
                ASSERT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-30)
                    << isa_name(set->isa) << " n " << n << " i " << i;
            }
        }
    }
}

TEST(AttentionTest, SoftmaxAndSiluFreeFunctionsUseTheActiveSet) {
    std::vector<float> row = {0.5f, -1.0f, 2.0f};
    std::vector<float> want = row;
    active_kernels().softmax_row(want.data(), 2, 3, 2.0f);

    softmax_row(row.data(), 2, 3, 2.0f);

    EXPECT_EQ(row, want);
    std::vector<float> gate = {0.5f, -1.0f, 2.0f};
    const std::vector<float> up = {1.0f, 2.0f, 3.0f};
    std::vector<float> want_gate = gate;
    active_kernels().silu_mul(want_gate.data(), up.data(), 3);

    silu_mul(gate.data(), up.data(), 3);

    EXPECT_EQ(gate, want_gate);
}

// V rows of `type` (n_rows x row_values, converted from f32 through the reference) with
// their f32 values as the kernels read them.
struct ValueRows {
    std::vector<std::uint8_t> bytes;
    std::size_t row_bytes = 0;
};

ValueRows value_rows(TensorType type, std::int64_t n_rows, std::int64_t row_values) {
    const std::vector<float> values = random_values(n_rows * row_values, 31);
    ValueRows rows;
    rows.row_bytes = tensor_row_bytes(type, row_values);
    rows.bytes.resize(rows.row_bytes * static_cast<std::size_t>(n_rows));
    for (std::int64_t j = 0; j < n_rows; ++j) {
        reference_kernels()[type].quantize(
            values.data() + j * row_values,
            rows.bytes.data() + rows.row_bytes * static_cast<std::size_t>(j), row_values);
    }
    return rows;
}

// Every set sums each output in one FMA chain over the rows in order, as the reference does:
// the results are equal bit for bit, at widths around the vectors (head_dim 24, 64, 80, 128
// among them), for 1-6 weight rows (blocks of 4 and their edges) and strided P and Y.
TEST(WeightedRowsTest, EverySetMatchesTheReferenceBitForBit) {
    constexpr std::int64_t kRowValues = 136;  // V rows wider than n: a cache row of heads
    constexpr std::int64_t kPStride = 150;
    constexpr std::int64_t kYStride = 140;
    const std::vector<float> p = random_values(6 * kPStride, 32);
    for (TensorType type : {TensorType::kF32, TensorType::kF16, TensorType::kBF16}) {
        const ValueRows v = value_rows(type, 150, kRowValues);
        for (const KernelSet* set : all_sets()) {
            const WeightedRowsFn fn = (*set)[type].weighted_rows;
            ASSERT_NE(fn, nullptr) << isa_name(set->isa);
            for (std::int64_t n : {1, 7, 8, 15, 16, 24, 40, 64, 80, 128, 136}) {
                for (std::int64_t n_rows : {0, 1, 5, 64, 65, 150}) {
                    for (std::int64_t n_weights = 1; n_weights <= 6; ++n_weights) {
                        std::vector<float> got(6 * kYStride, -7.0f);
                        std::vector<float> want(6 * kYStride, -7.0f);

                        fn(v.bytes.data(), v.row_bytes, n_rows, p.data(), kPStride, n_weights,
                           got.data(), kYStride, n);

                        reference_kernels()[type].weighted_rows(v.bytes.data(), v.row_bytes, n_rows,
                                                                p.data(), kPStride, n_weights,
                                                                want.data(), kYStride, n);
                        ASSERT_EQ(got, want)
                            << isa_name(set->isa) << " " << tensor_type_traits(type).name
                            << " n=" << n << " rows=" << n_rows << " weights=" << n_weights;
                    }
                }
            }
        }
    }
}

// What the session relies on: a weight row's sums are the same whether it shares the call
// with others or not (threads take different shares of a KV head's query heads).
TEST(WeightedRowsTest, ARowsSumsDoNotDependOnTheRowsBesideIt) {
    const ValueRows v = value_rows(TensorType::kF16, 70, 64);
    const std::vector<float> p = random_values(5 * 70, 33);
    std::vector<float> together(5 * 64);
    weighted_rows(TensorType::kF16, v.bytes.data(), v.row_bytes, 70, p.data(), 70, 5,
                  together.data(), 64, 64);
    for (std::int64_t g = 0; g < 5; ++g) {
        std::vector<float> alone(64);

        weighted_rows(TensorType::kF16, v.bytes.data(), v.row_bytes, 70, p.data() + g * 70, 70, 1,
                      alone.data(), 64, 64);

        ASSERT_TRUE(std::equal(alone.begin(), alone.end(),
                               together.begin() + static_cast<std::ptrdiff_t>(g) * 64))
            << g;
    }
}

}  // namespace
}  // namespace lore::kernels
