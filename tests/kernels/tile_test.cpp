// Multi-token micro-kernels (vec_dot_tile) against the single-pair reference vec_dot, per
// type and kernel set, on awkward shapes: every token count 1..9 and 65 (around the 4-token
// micro-tile and the 64-token cache tile), row counts that are no multiple of the 4-row
// micro-tile, row ranges starting mid-matrix, odd block counts (the legacy kernels take two
// blocks per vector) and float rows that are no multiple of 16. Budget: f32 summation order
// only, |got - want| <= kDotBudget * sum |w x| (dequantized operands), as in variants_test.
// The many-token panel kernels (vec_dot_panel) likewise: rows across 16-row panels, rows
// longer than one 32-block chunk, token counts across the 8-token micro-tile and the
// kPanelTokenTile of matmul_rows_q8, and the activation block sums they rely on.
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/blocks.h"
#include "kernels/float16.h"

namespace lore::kernels {
namespace {

using testing::abs_dot;
using testing::computable_types;
using testing::dequantize_row;
using testing::random_values;

constexpr double kDotBudget = 1e-5;
constexpr float kUntouched = -12345.0f;

// Sets that have a tile kernel for `type`.
std::vector<const KernelSet*> tile_sets(TensorType type) {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        const KernelSet* set = kernels_for(isa);
        if (set != nullptr && (*set)[type].vec_dot_tile != nullptr) {
            sets.push_back(set);
        }
    }
    return sets;
}

// Row lengths per type: odd numbers of blocks, and for float types lengths off the vector.
std::vector<std::int64_t> row_lengths(TensorType type) {
    const std::int64_t block = tensor_type_traits(type).block_size;
    if (block == 1) {
        return {1, 16, 33, 100, 200};  // 200: past two 64-value gemv steps
    }
    if (block == 32) {
        return {32, 96, 160, 576};
    }
    return {256, 768};
}

struct Weights {
    std::size_t row_bytes = 0;
    std::vector<std::uint8_t> bytes;
    std::vector<std::vector<float>> dequantized;
};

Weights make_weights(TensorType type, std::int64_t n_rows, std::int64_t n_cols) {
    Weights w;
    w.row_bytes = tensor_row_bytes(type, n_cols);
    w.bytes.resize(w.row_bytes * static_cast<std::size_t>(n_rows));
    const std::vector<float> values = random_values(n_rows * n_cols, 91);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        std::uint8_t* row = w.bytes.data() + static_cast<std::size_t>(r) * w.row_bytes;
        reference_kernels()[type].quantize(values.data() + r * n_cols, row, n_cols);
        w.dequantized.push_back(dequantize_row(reference_kernels(), type, row, n_cols));
    }
    return w;
}

std::string label(const KernelSet& set, TensorType type, std::int64_t n_cols) {
    return std::string(isa_name(set.isa)) + " " + std::string(tensor_type_traits(type).name) +
           " n_cols=" + std::to_string(n_cols);
}

// Runs matmul_rows_q8 of `set` over rows [row_begin, row_end) of `w` for the n_tokens rows
// of `x` and checks every output against the reference vec_dot within the budget, and that
// the rows outside the range are untouched. Call through ASSERT_NO_FATAL_FAILURE.
void expect_matmul_rows_q8_matches_reference(const KernelSet& set,
                                             TensorType type,
                                             const Weights& w,
                                             const std::vector<float>& x,
                                             std::int64_t n_tokens,
                                             std::int64_t n_cols,
                                             std::int64_t y_stride,
                                             std::int64_t row_begin,
                                             std::int64_t row_end) {
    QuantizedActivations ref_xq;
    ref_xq.quantize(type, x.data(), n_tokens, n_cols, reference_kernels());
    QuantizedActivations xq;
    xq.quantize(type, x.data(), n_tokens, n_cols, set);
    std::vector<float> y(static_cast<std::size_t>(n_tokens * y_stride), kUntouched);

    matmul_rows_q8(set, type, w.bytes.data(), w.row_bytes, xq, y.data(), y_stride, row_begin,
                   row_end);

    for (std::int64_t t = 0; t < n_tokens; ++t) {
        const std::vector<float> xd =
            dequantize_row(reference_kernels(), ref_xq.type(),
                           static_cast<const std::uint8_t*>(ref_xq.row(t)), n_cols);
        for (std::int64_t r = 0; r < y_stride; ++r) {
            const float got = y[static_cast<std::size_t>(t * y_stride + r)];
            if (r < row_begin || r >= row_end) {
                ASSERT_EQ(got, kUntouched) << label(set, type, n_cols);
                continue;
            }
            const float want = reference_kernels()[type].vec_dot(
                w.bytes.data() + static_cast<std::size_t>(r) * w.row_bytes, ref_xq.row(t), n_cols);
            const double budget =
                kDotBudget * abs_dot(w.dequantized[static_cast<std::size_t>(r)], xd);
            ASSERT_NEAR(got, want, budget)
                << label(set, type, n_cols) << " tokens=" << n_tokens << " t " << t << " r " << r;
        }
    }
}

TEST(TileTest, AvxSetsHaveTilesForTheTargetTypes) {
    const KernelSet* set = kernels_for(Isa::kAvx512);
    if (set == nullptr) {
        GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
    }

    for (TensorType type : {TensorType::kF16, TensorType::kQ8_0, TensorType::kQ4_0,
                            TensorType::kQ5_0, TensorType::kQ4_K, TensorType::kQ6_K}) {
        EXPECT_NE((*set)[type].vec_dot_tile, nullptr) << tensor_type_traits(type).name;
    }
}

TEST(TileTest, Avx2SetHasTilesForThe32ValueTypesAndPanelsForQ4_0AndQ8_0) {
    const KernelSet* set = kernels_for(Isa::kAvx2);
    if (set == nullptr) {
        GTEST_SKIP() << "no AVX2 on this CPU";
    }
    for (TensorType type : {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                            TensorType::kQ5_0, TensorType::kQ5_1}) {
        EXPECT_NE((*set)[type].vec_dot_tile, nullptr) << tensor_type_traits(type).name;
    }
    // Without them AVX2 lost to llama.cpp's AVX2 build: pp512 0.60x, tg128 0.85x (Q4_0).
    for (TensorType type : {TensorType::kQ8_0, TensorType::kQ4_0}) {
        EXPECT_NE((*set)[type].vec_dot_panel, nullptr) << tensor_type_traits(type).name;
        EXPECT_NE((*set)[type].vec_dot_panel_packed, nullptr) << tensor_type_traits(type).name;
        EXPECT_NE((*set)[type].vec_dot_packed, nullptr) << tensor_type_traits(type).name;
    }
}

// The AVX-VNNI set is the AVX2 set with integer kernels of its own (vpdpbusd): a copy of the
// AVX2 entries would pass every comparison with the reference and leave VNNI unused.
TEST(TileTest, AvxVnniSetHasItsOwnIntegerKernelsForEveryPackedType) {
    const KernelSet* vnni = kernels_for(Isa::kAvxVnni);
    const KernelSet* avx2 = kernels_for(Isa::kAvx2);
    if (vnni == nullptr || avx2 == nullptr) {
        GTEST_SKIP() << "no AVX-VNNI on this CPU";
    }
    EXPECT_EQ(isa_name(vnni->isa), "avxvnni");
    for (TensorType type :
         {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ5_1,
          TensorType::kQ8_0, TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K}) {
        const std::string_view name = tensor_type_traits(type).name;
        ASSERT_NE((*vnni)[type].vec_dot_packed, nullptr) << name;
        EXPECT_NE((*vnni)[type].vec_dot_packed, (*avx2)[type].vec_dot_packed) << name;
        EXPECT_NE((*vnni)[type].vec_dot_panel_packed, (*avx2)[type].vec_dot_panel_packed) << name;
        EXPECT_NE((*vnni)[type].vec_dot_panel, (*avx2)[type].vec_dot_panel) << name;
        EXPECT_NE((*vnni)[type].vec_dot, (*avx2)[type].vec_dot) << name;
    }
}

TEST(TileTest, MatmulQ8TilesMatchReferenceVecDotOnAwkwardShapes) {
    const std::int64_t n_rows = 11;
    const std::int64_t row_begin = 3;
    const std::int64_t row_end = 10;  // 7 rows: one 4-row micro-tile and a 3-row edge
    const std::int64_t y_stride = n_rows + 2;
    std::vector<std::int64_t> token_counts = {1, 2, 3, 4, 5, 6, 7, 8, 9, 65};
    for (TensorType type : computable_types()) {
        const std::vector<const KernelSet*> sets = tile_sets(type);
        for (std::int64_t n_cols : row_lengths(type)) {
            const Weights w = make_weights(type, n_rows, n_cols);
            for (std::int64_t n_tokens : token_counts) {
                const std::vector<float> x = random_values(n_tokens * n_cols, 92, 3.0f);
                for (const KernelSet* set : sets) {
                    ASSERT_NO_FATAL_FAILURE(expect_matmul_rows_q8_matches_reference(
                        *set, type, w, x, n_tokens, n_cols, y_stride, row_begin, row_end));
                }
            }
        }
    }
}

// Extreme levels: weights at the ends of their range (Q8_0 -128 as a file may hold it, +127)
// against activations at +-127 must not overflow or saturate the integer sums.
TEST(TileTest, Q8_0TileIsExactAtExtremeLevels) {
    const KernelSet* set = kernels_for(Isa::kAvx512);
    if (set == nullptr) {
        GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
    }
    const std::int64_t n_cols = 3 * 32;
    const std::int64_t n_rows = 5;
    const std::int64_t n_tokens = 6;
    const std::size_t row_bytes = tensor_row_bytes(TensorType::kQ8_0, n_cols);
    std::vector<std::uint8_t> w(row_bytes * n_rows);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        std::vector<float> ones(static_cast<std::size_t>(n_cols), 1.0f);
        std::uint8_t* row = w.data() + static_cast<std::size_t>(r) * row_bytes;
        reference_kernels()[TensorType::kQ8_0].quantize(ones.data(), row, n_cols);
        for (std::int64_t b = 0; b < n_cols / 32; ++b) {
            auto* qs = reinterpret_cast<std::int8_t*>(row + 34 * b + 2);
            for (int j = 0; j < 32; ++j) {
                qs[j] = static_cast<std::int8_t>((r + j) % 2 == 0 ? -128 : 127);
            }
        }
    }
    std::vector<float> x(static_cast<std::size_t>(n_tokens * n_cols));
    for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = (i % 3 == 0) ? -1.0f : 1.0f;
    }
    QuantizedActivations xq;
    xq.quantize(TensorType::kQ8_0, x.data(), n_tokens, n_cols, *set);
    std::vector<float> y(static_cast<std::size_t>(n_tokens * n_rows));

    (*set)[TensorType::kQ8_0].vec_dot_tile(w.data(), row_bytes, n_rows, xq.row(0), xq.row_bytes(),
                                           n_tokens, y.data(), n_rows, n_cols);

    for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t r = 0; r < n_rows; ++r) {
            const float want = reference_kernels()[TensorType::kQ8_0].vec_dot(
                w.data() + static_cast<std::size_t>(r) * row_bytes, xq.row(t), n_cols);
            EXPECT_NEAR(y[static_cast<std::size_t>(t * n_rows + r)], want,
                        1e-6 * std::fabs(want) + 1e-6)
                << "t " << t << " r " << r;
        }
    }
}

// Sets that have a panel kernel for `type`.
std::vector<const KernelSet*> panel_sets(TensorType type) {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        const KernelSet* set = kernels_for(isa);
        if (set != nullptr && (*set)[type].vec_dot_panel != nullptr) {
            sets.push_back(set);
        }
    }
    return sets;
}

const TensorType kPanelTypes[] = {TensorType::kQ8_0, TensorType::kQ4_0, TensorType::kQ4_1,
                                  TensorType::kQ5_0, TensorType::kQ5_1, TensorType::kQ4_K,
                                  TensorType::kQ5_K, TensorType::kQ6_K, TensorType::kF32,
                                  TensorType::kF16,  TensorType::kBF16};

// Row lengths: legacy quantized, one block and 33 blocks (a 32-block chunk and one more);
// K-quants likewise in super-blocks; float, off the 8-column transpose step and across the
// 512-column chunk.
std::vector<std::int64_t> panel_row_lengths(TensorType type) {
    if (tensor_type_traits(type).block_size == 1) {
        return {5, 264, 515};
    }
    if (tensor_type_traits(type).block_size == kQkK) {
        return {256, 1280};  // one super-block; a 4-super-block chunk and one more
    }
    return {32, 1056};
}

// Token counts: one micro-tile, one and an edge, and (short rows only, to stay fast) more
// than one kPanelTokenTile.
std::vector<std::int64_t> panel_token_counts(std::int64_t n_cols) {
    if (n_cols <= 256) {
        return {8, 13, kPanelTokenTile + 3};
    }
    return {8, 13};
}

TEST(PanelTest, AvxSetHasPanelsForEveryQuantizedAndFloatType) {
    const KernelSet* set = kernels_for(Isa::kAvx512);
    if (set == nullptr) {
        GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
    }
    for (TensorType type : kPanelTypes) {
        EXPECT_NE((*set)[type].vec_dot_panel, nullptr) << tensor_type_traits(type).name;
    }
}

TEST(PanelTest, BlockSumsHoldScaleAndLevelSumOfEveryQ8_0Block) {
    const std::int64_t n_cols = 96;
    const std::int64_t n_tokens = 3;
    const std::vector<float> x = random_values(n_tokens * n_cols, 7, 2.0f);
    QuantizedActivations xq;
    xq.quantize(TensorType::kQ4_0, x.data(), n_tokens, n_cols, reference_kernels());

    ASSERT_EQ(xq.type(), TensorType::kQ8_0);
    ASSERT_EQ(xq.block_sums_stride(), n_cols / 32);
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        const auto* blocks = static_cast<const BlockQ8_0*>(xq.row(t));
        for (std::int64_t b = 0; b < n_cols / 32; ++b) {
            std::int32_t sum = 0;
            for (std::int8_t q : blocks[b].qs) {
                sum += q;
            }
            const Q8_0BlockSum& got = xq.block_sums(t)[b];
            EXPECT_EQ(got.sum, sum) << "t " << t << " b " << b;
            EXPECT_EQ(got.d, half_to_float(blocks[b].d)) << "t " << t << " b " << b;
        }
    }
    xq.quantize(TensorType::kQ4_K, x.data(), 1, 256, reference_kernels());
    EXPECT_EQ(xq.block_sums(0), nullptr);
}

TEST(PanelTest, MatmulQ8PanelsMatchReferenceVecDotOnAwkwardShapes) {
    const std::int64_t n_rows = 41;
    const std::int64_t row_begin = 2;
    const std::int64_t y_stride = n_rows + 1;
    for (TensorType type : kPanelTypes) {
        const std::vector<const KernelSet*> sets = panel_sets(type);
        for (std::int64_t n_cols : panel_row_lengths(type)) {
            const Weights w = make_weights(type, n_rows, n_cols);
            for (std::int64_t n_tokens : panel_token_counts(n_cols)) {
                const std::vector<float> x = random_values(n_tokens * n_cols, 93, 3.0f);
                for (const KernelSet* set : sets) {
                    // 37 rows: two 16-row panels and a 5-row edge; 21 rows: a full panel and
                    // a 5-row one (float panels go in pairs, the second one partial).
                    for (const std::int64_t row_end : {39, 23}) {
                        ASSERT_NO_FATAL_FAILURE(expect_matmul_rows_q8_matches_reference(
                            *set, type, w, x, n_tokens, n_cols, y_stride, row_begin, row_end));
                    }
                }
            }
        }
    }
}

// matmul_rows (f32 activations) hands float weights to the panel from kPanelMinTokens on;
// the attention products of the forward pass go through it.
TEST(PanelTest, MatmulRowsF32PanelsMatchReferenceDot) {
    const std::int64_t n_rows = 35;
    const std::int64_t y_stride = n_rows;
    for (TensorType type : {TensorType::kF32, TensorType::kF16, TensorType::kBF16}) {
        for (std::int64_t n_cols : panel_row_lengths(type)) {
            const Weights w = make_weights(type, n_rows, n_cols);
            for (std::int64_t n_tokens : {8, 21}) {
                const std::vector<float> x = random_values(n_tokens * n_cols, 94);
                for (const KernelSet* set : panel_sets(type)) {
                    std::vector<float> y(static_cast<std::size_t>(n_tokens * y_stride), kUntouched);

                    matmul_rows_with(*set, type, w.bytes.data(), w.row_bytes, n_cols, x.data(),
                                     n_tokens, y.data(), y_stride, 0, n_rows);

                    for (std::int64_t t = 0; t < n_tokens; ++t) {
                        const std::vector<float> xt(x.begin() + t * n_cols,
                                                    x.begin() + (t + 1) * n_cols);
                        for (std::int64_t r = 0; r < n_rows; ++r) {
                            const float want = reference_kernels()[type].dot(
                                w.bytes.data() + static_cast<std::size_t>(r) * w.row_bytes,
                                xt.data(), n_cols);
                            const double budget =
                                kDotBudget *
                                abs_dot(w.dequantized[static_cast<std::size_t>(r)], xt);
                            ASSERT_NEAR(y[static_cast<std::size_t>(t * y_stride + r)], want, budget)
                                << label(*set, type, n_cols) << " tokens=" << n_tokens << " t " << t
                                << " r " << r;
                        }
                    }
                }
            }
        }
    }
}

// Extreme levels through the panel: Q8_0 weights at -128 (as a file may hold it) and +127
// against activations at +-127; the unsigned levels (q + 128) span 0..255.
// Panel kernels against the reference vec_dot on weights whose levels are set by `level`
// (row, value index) and activations of +-1 set by `sign` (token, column), quantized to
// +-127: integer sums at the ends of their ranges must neither overflow nor saturate.
template <typename Level, typename Sign>
void expect_panels_exact(TensorType type, const Level& level, const Sign& sign) {
    const std::int64_t n_cols = 3 * 32;
    const std::int64_t n_rows = 18;
    const std::int64_t n_tokens = 9;
    const std::size_t row_bytes = tensor_row_bytes(type, n_cols);
    const std::size_t block_bytes = row_bytes / 3;
    std::vector<std::uint8_t> w(row_bytes * n_rows);
    for (std::int64_t r = 0; r < n_rows; ++r) {
        std::vector<float> ones(static_cast<std::size_t>(n_cols), 1.0f);
        std::uint8_t* row = w.data() + static_cast<std::size_t>(r) * row_bytes;
        reference_kernels()[type].quantize(ones.data(), row, n_cols);
        for (std::int64_t b = 0; b < n_cols / 32; ++b) {
            std::uint8_t* qs = row + block_bytes * static_cast<std::size_t>(b) + 2;
            for (int j = 0; j < 32; ++j) {
                if (type == TensorType::kQ8_0) {
                    qs[j] = static_cast<std::uint8_t>(level(r, j));
                } else if (j < 16) {  // Q4_0: byte j holds value j (low) and j + 16 (high)
                    qs[j] = static_cast<std::uint8_t>(level(r, j) | (level(r, j + 16) << 4));
                }
            }
        }
    }
    std::vector<float> x(static_cast<std::size_t>(n_tokens * n_cols));
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t c = 0; c < n_cols; ++c) {
            x[static_cast<std::size_t>(t * n_cols + c)] = sign(t, c);
        }
    }
    for (Isa isa : {Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512}) {
        const KernelSet* set = kernels_for(isa);
        if (set == nullptr || (*set)[type].vec_dot_panel == nullptr) {
            continue;
        }
        QuantizedActivations xq;
        xq.quantize(type, x.data(), n_tokens, n_cols, *set);
        std::vector<float> y(static_cast<std::size_t>(n_tokens * n_rows));

        (*set)[type].vec_dot_panel(w.data(), row_bytes, n_rows, xq.row(0), xq.row_bytes(),
                                   xq.block_sums(0), xq.block_sums_stride(), n_tokens, y.data(),
                                   n_rows, n_cols);

        for (std::int64_t t = 0; t < n_tokens; ++t) {
            for (std::int64_t r = 0; r < n_rows; ++r) {
                const float want = reference_kernels()[type].vec_dot(
                    w.data() + static_cast<std::size_t>(r) * row_bytes, xq.row(t), n_cols);
                EXPECT_NEAR(y[static_cast<std::size_t>(t * n_rows + r)], want,
                            1e-6 * std::fabs(want) + 1e-6)
                    << isa_name(isa) << " t " << t << " r " << r;
            }
        }
    }
}

TEST(PanelTest, Q8_0PanelIsExactAtExtremeLevels) {
    // Alternating -128 / 127, and every third row all -128 (AVX2's pairs of |q| = 128 against
    // activations of one sign reach 2 * 128 * 127 = 32512 of int16's 32767).
    expect_panels_exact(
        TensorType::kQ8_0,
        [](std::int64_t r, int j) { return r % 3 == 2 || (r + j) % 2 == 0 ? -128 : 127; },
        [](std::int64_t t, std::int64_t c) { return t % 2 == 0 || c % 3 == 0 ? 1.0f : -1.0f; });
}

TEST(PanelTest, Q4_0PanelIsExactAtExtremeLevels) {
    // Levels 15 (q = +7) or 0 (q = -8) against activations of one sign: AVX2 adds the eight
    // pair sums of a block in int16, up to 8 * 2 * 15 * 127 = 30480.
    expect_panels_exact(
        TensorType::kQ4_0, [](std::int64_t r, int j) { return (r + j / 16) % 2 == 0 ? 15 : 0; },
        [](std::int64_t t, std::int64_t c) { return t % 2 == 0 || c % 5 == 0 ? 1.0f : -1.0f; });
}

}  // namespace
}  // namespace lore::kernels
