// Packed weights (kernels.h, "Packed weights"): pack_rows / unpack_rows restore every byte,
// and the products over packed matrices match the reference vec_dot on the file's layout,
// for one token (the sets' vec_dot_packed kernels) and for many (unpacked panels), on
// random block bytes (every bit pattern of scales, mins and levels) and on row ranges that
// start mid-matrix. Budget: f32 summation order only, as in tile_test.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "kernel_test_util.h"
#include "kernels/blocks.h"
#include "kernels/float16.h"

namespace lore::kernels {
namespace {

using testing::abs_dot;
using testing::dequantize_row;
using testing::random_values;

constexpr double kDotBudget = 1e-5;
constexpr float kUntouched = -12345.0f;

const std::vector<TensorType>& packed_types() {
    static const std::vector<TensorType> types = {
        TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ5_0, TensorType::kQ5_1,
        TensorType::kQ8_0, TensorType::kQ4_K, TensorType::kQ5_K, TensorType::kQ6_K};
    return types;
}

std::vector<const KernelSet*> all_sets() {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        if (const KernelSet* set = kernels_for(isa); set != nullptr) {
            sets.push_back(set);
        }
    }
    return sets;
}

// Offsets of the fp16 fields of one block (blocks.h).
std::vector<std::size_t> half_fields(TensorType type) {
    switch (type) {
        case TensorType::kQ4_1:
        case TensorType::kQ5_1:
        case TensorType::kQ4_K:
        case TensorType::kQ5_K: return {0, 2};
        case TensorType::kQ6_K: return {208};
        default: return {0};
    }
}

struct Matrix {
    std::size_t row_bytes = 0;
    std::vector<std::uint8_t> bytes;
};

// Rows of random bytes, with every fp16 field a finite scale of either sign: all bit
// patterns of levels, six-bit scales and mins occur.
Matrix random_block_matrix(TensorType type,
                           std::int64_t n_rows,
                           std::int64_t n_cols,
                           std::uint32_t seed) {
    Matrix m;
    m.row_bytes = tensor_row_bytes(type, n_cols);
    m.bytes.resize(m.row_bytes * static_cast<std::size_t>(n_rows));
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_real_distribution<float> scale(-0.02f, 0.02f);
    for (std::uint8_t& b : m.bytes) {
        b = static_cast<std::uint8_t>(byte(rng));
    }
    const std::size_t block_bytes = tensor_type_traits(type).block_bytes;
    for (std::size_t at = 0; at < m.bytes.size(); at += block_bytes) {
        for (std::size_t field : half_fields(type)) {
            const std::uint16_t h = float_to_half(scale(rng));
            std::memcpy(m.bytes.data() + at + field, &h, sizeof(h));
        }
    }
    return m;
}

std::string label(const KernelSet& set, TensorType type, std::int64_t n_cols) {
    return std::string(isa_name(set.isa)) + " " + std::string(tensor_type_traits(type).name) +
           " n_cols=" + std::to_string(n_cols);
}

TEST(PackedTest, UnpackRestoresEveryRowAndPackingMovesBytes) {
    for (TensorType type : packed_types()) {
        ASSERT_TRUE(has_packed_layout(type)) << tensor_type_traits(type).name;
        const std::int64_t n_cols = tensor_type_traits(type).block_size * 3;
        const std::int64_t n_rows = 3 * kPackRows;
        const Matrix m = random_block_matrix(type, n_rows, n_cols, 5);
        std::vector<std::uint8_t> packed(m.bytes.size());

        pack_rows(type, m.bytes.data(), m.row_bytes, n_rows, packed.data());

        EXPECT_NE(packed, m.bytes) << tensor_type_traits(type).name;
        std::vector<std::uint8_t> all(m.bytes.size());
        unpack_rows(type, packed.data(), m.row_bytes, 0, n_rows, all.data());
        EXPECT_EQ(all, m.bytes) << tensor_type_traits(type).name;
        // A range across a panel boundary, starting mid-panel.
        const std::int64_t begin = 5;
        const std::int64_t count = 21;
        std::vector<std::uint8_t> some(m.row_bytes * static_cast<std::size_t>(count));
        unpack_rows(type, packed.data(), m.row_bytes, begin, count, some.data());
        EXPECT_EQ(0, std::memcmp(some.data(),
                                 m.bytes.data() + static_cast<std::size_t>(begin) * m.row_bytes,
                                 some.size()))
            << tensor_type_traits(type).name;
    }
    EXPECT_FALSE(has_packed_layout(TensorType::kF16));
    EXPECT_FALSE(has_packed_layout(TensorType::kF32));
}

TEST(PackedTest, ShouldPackNeedsAKernelWholePanelsAndBoundedRows) {
    const KernelSet& ref = reference_kernels();
    EXPECT_FALSE(should_pack(ref, TensorType::kQ4_K, 64, 256));  // no packed kernel
    const KernelSet* set = kernels_for(Isa::kAvx512);
    if (set == nullptr) {
        GTEST_SKIP() << "no AVX-512 VNNI on this CPU";
    }
    for (TensorType type : packed_types()) {
        EXPECT_TRUE(should_pack(*set, type, 64, 512)) << tensor_type_traits(type).name;
        EXPECT_FALSE(should_pack(*set, type, 65, 512)) << tensor_type_traits(type).name;
        EXPECT_FALSE(should_pack(*set, type, 64, kPackMaxCols + 256))
            << tensor_type_traits(type).name;
    }
    EXPECT_FALSE(should_pack(*set, TensorType::kF16, 64, 512));
}

// matmul_packed_q8 over rows [row_begin, row_end) of the packed `m` against the reference
// vec_dot on the file's layout; rows outside the range stay untouched.
void expect_packed_q8_matches_reference(const KernelSet& set,
                                        TensorType type,
                                        const Matrix& m,
                                        const std::vector<std::uint8_t>& packed,
                                        std::int64_t n_rows,
                                        std::int64_t n_cols,
                                        std::int64_t n_tokens,
                                        std::int64_t row_begin,
                                        std::int64_t row_end) {
    const std::vector<float> x = random_values(n_tokens * n_cols, 17, 3.0f);
    QuantizedActivations ref_xq;
    ref_xq.quantize(type, x.data(), n_tokens, n_cols, reference_kernels());
    QuantizedActivations xq;
    xq.quantize(type, x.data(), n_tokens, n_cols, set);
    std::vector<float> y(static_cast<std::size_t>(n_tokens * n_rows), kUntouched);

    matmul_packed_q8(set, type, packed.data(), m.row_bytes, xq, y.data(), n_rows, row_begin,
                     row_end);

    for (std::int64_t t = 0; t < n_tokens; ++t) {
        const std::vector<float> xd =
            dequantize_row(reference_kernels(), ref_xq.type(),
                           static_cast<const std::uint8_t*>(ref_xq.row(t)), n_cols);
        for (std::int64_t r = 0; r < n_rows; ++r) {
            const float got = y[static_cast<std::size_t>(t * n_rows + r)];
            if (r < row_begin || r >= row_end) {
                ASSERT_EQ(got, kUntouched) << label(set, type, n_cols);
                continue;
            }
            const std::uint8_t* row = m.bytes.data() + static_cast<std::size_t>(r) * m.row_bytes;
            const float want = reference_kernels()[type].vec_dot(row, ref_xq.row(t), n_cols);
            const std::vector<float> wd = dequantize_row(reference_kernels(), type, row, n_cols);
            ASSERT_NEAR(got, want, kDotBudget * abs_dot(wd, xd) + 1e-6)
                << label(set, type, n_cols) << " tokens=" << n_tokens << " t " << t << " r " << r;
        }
    }
}

TEST(PackedTest, PackedProductsMatchReferenceVecDotOnRandomBlocks) {
    const std::int64_t n_rows = 4 * kPackRows;
    for (TensorType type : packed_types()) {
        const std::int64_t block = tensor_type_traits(type).block_size;
        // 40 blocks of 32 values: rows longer than a panel chunk of the prompt kernels.
        std::vector<std::int64_t> widths = {block, 3 * block, 18 * block};
        if (block == kQk32) {
            widths.push_back(40 * block);
        }
        for (std::int64_t n_cols : widths) {
            const Matrix m = random_block_matrix(type, n_rows, n_cols, 23);
            std::vector<std::uint8_t> packed(m.bytes.size());
            pack_rows(type, m.bytes.data(), m.row_bytes, n_rows, packed.data());
            for (const KernelSet* set : all_sets()) {
                // One token (vec_dot_packed), fewer than kPanelMinTokens (unpacked), and
                // the panels over packed weights; on one-block rows (to stay fast) also more
                // than one kPanelTokenTile of them.
                std::vector<std::int64_t> token_counts = {1, 3, 9};
                if (n_cols == block) {
                    token_counts.push_back(kPanelTokenTile + 9);
                }
                for (std::int64_t n_tokens : token_counts) {
                    // All rows, and a thread's share: whole panels from mid-matrix.
                    ASSERT_NO_FATAL_FAILURE(expect_packed_q8_matches_reference(
                        *set, type, m, packed, n_rows, n_cols, n_tokens, 0, n_rows));
                    ASSERT_NO_FATAL_FAILURE(expect_packed_q8_matches_reference(
                        *set, type, m, packed, n_rows, n_cols, n_tokens, kPackRows, 3 * kPackRows));
                }
            }
        }
    }
}

// Real quantized weights (round-to-nearest of normal values) at a model's width.
TEST(PackedTest, PackedProductsMatchReferenceOnQuantizedRows) {
    const std::int64_t n_rows = 2 * kPackRows;
    for (std::int64_t n_cols : {256, 512, 2048}) {
        for (TensorType type : packed_types()) {
            Matrix m;
            m.row_bytes = tensor_row_bytes(type, n_cols);
            m.bytes.resize(m.row_bytes * static_cast<std::size_t>(n_rows));
            const std::vector<float> values = random_values(n_rows * n_cols, 31);
            for (std::int64_t r = 0; r < n_rows; ++r) {
                reference_kernels()[type].quantize(
                    values.data() + r * n_cols,
                    m.bytes.data() + static_cast<std::size_t>(r) * m.row_bytes, n_cols);
            }
            std::vector<std::uint8_t> packed(m.bytes.size());
            pack_rows(type, m.bytes.data(), m.row_bytes, n_rows, packed.data());
            for (const KernelSet* set : all_sets()) {
                ASSERT_NO_FATAL_FAILURE(expect_packed_q8_matches_reference(
                    *set, type, m, packed, n_rows, n_cols, 1, 0, n_rows));
            }
        }
    }
}

// The f32-activation path over packed weights is the same computation as over the rows.
TEST(PackedTest, MatmulPackedEqualsMatmulRowsExactly) {
    const std::int64_t n_rows = 3 * kPackRows;
    const std::int64_t n_tokens = 10;
    for (TensorType type : packed_types()) {
        const std::int64_t n_cols = 2 * tensor_type_traits(type).block_size;
        const Matrix m = random_block_matrix(type, n_rows, n_cols, 41);
        std::vector<std::uint8_t> packed(m.bytes.size());
        pack_rows(type, m.bytes.data(), m.row_bytes, n_rows, packed.data());
        const std::vector<float> x = random_values(n_tokens * n_cols, 43);
        for (const KernelSet* set : all_sets()) {
            std::vector<float> want(static_cast<std::size_t>(n_tokens * n_rows), kUntouched);
            std::vector<float> got(want.size(), kUntouched);
            matmul_rows_with(*set, type, m.bytes.data(), m.row_bytes, n_cols, x.data(), n_tokens,
                             want.data(), n_rows, kPackRows, n_rows);
            matmul_packed(*set, type, packed.data(), m.row_bytes, n_cols, x.data(), n_tokens,
                          got.data(), n_rows, kPackRows, n_rows);
            EXPECT_EQ(got, want) << label(*set, type, n_cols);
        }
    }
}

}  // namespace
}  // namespace lore::kernels
