// matmul_rows / matmul_rows_q8 in every kernel set: each output element equals the
// reference dot (vec_dot) of its weight row and token row, for row ranges that start
// mid-matrix, token counts around the tile size, and an output stride wider than the range;
// elements outside the row range are left untouched.
#include <algorithm>
#include <cstdint>
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

constexpr double kDotBudget = 1e-5;  // as in variants_test: accumulation order only
constexpr float kUntouched = -12345.0f;

std::vector<const KernelSet*> all_sets() {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        if (const KernelSet* set = kernels_for(isa)) {
            sets.push_back(set);
        }
    }
    return sets;
}

struct Problem {
    TensorType type;
    std::int64_t n_rows;
    std::int64_t n_cols;
    std::int64_t n_tokens;
    std::size_t row_bytes;
    std::vector<std::uint8_t> w;  // [n_rows, row_bytes]
    std::vector<float> x;         // [n_tokens, n_cols]
};

Problem make_problem(TensorType type,
                     std::int64_t n_rows,
                     std::int64_t n_cols,
                     std::int64_t n_tokens) {
    Problem p{type, n_rows, n_cols, n_tokens, tensor_row_bytes(type, n_cols), {}, {}};
    const std::vector<float> w = random_values(n_rows * n_cols, 77);
    p.w.resize(p.row_bytes * static_cast<std::size_t>(n_rows));
    for (std::int64_t r = 0; r < n_rows; ++r) {
        reference_kernels()[type].quantize(
            w.data() + r * n_cols, p.w.data() + static_cast<std::size_t>(r) * p.row_bytes, n_cols);
    }
    p.x = random_values(n_tokens * n_cols, 78);
    return p;
}

std::string label(const KernelSet& set, const Problem& p) {
    return std::string(isa_name(set.isa)) + " " + std::string(tensor_type_traits(p.type).name) +
           " tokens=" + std::to_string(p.n_tokens);
}

const std::vector<std::int64_t> kTokenCounts = {1, 3, 7, kTokenTile + 1};

// Reference dots and their error scales for every (token, row), computed once per problem:
// want[t * n_rows + r], scale[t * n_rows + r] = kDotBudget * sum |w x| (dequantized operands).
struct Expected {
    std::vector<float> want;
    std::vector<double> scale;
};

// `x_rows(t)` gives the activation row of token t in the type `act` that `dot` takes.
template <typename Dot, typename XRow>
Expected expected_dots(const Problem& p, TensorType act, const Dot& dot, const XRow& x_rows) {
    Expected e;
    std::vector<std::vector<float>> wd;
    for (std::int64_t r = 0; r < p.n_rows; ++r) {
        wd.push_back(dequantize_row(reference_kernels(), p.type,
                                    p.w.data() + static_cast<std::size_t>(r) * p.row_bytes,
                                    p.n_cols));
    }
    for (std::int64_t t = 0; t < p.n_tokens; ++t) {
        const auto* xrow = static_cast<const std::uint8_t*>(static_cast<const void*>(x_rows(t)));
        const std::vector<float> xd = dequantize_row(reference_kernels(), act, xrow, p.n_cols);
        for (std::int64_t r = 0; r < p.n_rows; ++r) {
            e.want.push_back(
                dot(p.w.data() + static_cast<std::size_t>(r) * p.row_bytes, xrow, p.n_cols));
            e.scale.push_back(kDotBudget * abs_dot(wd[static_cast<std::size_t>(r)], xd));
        }
    }
    return e;
}

TEST(MatmulTest, F32ActivationPathMatchesReferenceDotPerElement) {
    for (TensorType type : computable_types()) {
        for (std::int64_t n_tokens : kTokenCounts) {
            const std::int64_t n_cols = 3 * block_size_of(type);
            const Problem p = make_problem(type, 19, n_cols, n_tokens);
            const std::int64_t row_begin = 5;
            const std::int64_t row_end = 18;
            const std::int64_t y_stride = p.n_rows + 3;
            const Expected e = expected_dots(
                p, TensorType::kF32,
                [&](const void* w, const void* x, std::int64_t n) {
                    return reference_kernels()[type].dot(w, static_cast<const float*>(x), n);
                },
                [&](std::int64_t t) { return p.x.data() + t * n_cols; });
            for (const KernelSet* set : all_sets()) {
                std::vector<float> y(static_cast<std::size_t>(n_tokens * y_stride), kUntouched);

                matmul_rows_with(*set, type, p.w.data(), p.row_bytes, n_cols, p.x.data(), n_tokens,
                                 y.data(), y_stride, row_begin, row_end);

                for (std::int64_t t = 0; t < n_tokens; ++t) {
                    for (std::int64_t r = 0; r < y_stride; ++r) {
                        const float got = y[static_cast<std::size_t>(t * y_stride + r)];
                        if (r < row_begin || r >= row_end) {
                            ASSERT_EQ(got, kUntouched) << label(*set, p) << " row " << r;
                            continue;
                        }
                        const auto idx = static_cast<std::size_t>(t * p.n_rows + r);
                        ASSERT_NEAR(got, e.want[idx], e.scale[idx])
                            << label(*set, p) << " t " << t << " r " << r;
                    }
                }
            }
        }
    }
}

TEST(MatmulTest, Q8PathMatchesReferenceVecDotPerElement) {
    for (TensorType type : computable_types()) {
        for (std::int64_t n_tokens : kTokenCounts) {
            const std::int64_t n_cols = 2 * block_size_of(type);
            const Problem p = make_problem(type, 21, n_cols, n_tokens);
            const std::int64_t y_stride = p.n_rows;
            QuantizedActivations ref_xq;
            ref_xq.quantize(type, p.x.data(), n_tokens, n_cols, reference_kernels());
            const Expected e = expected_dots(p, ref_xq.type(), reference_kernels()[type].vec_dot,
                                             [&](std::int64_t t) { return ref_xq.row(t); });
            for (const KernelSet* set : all_sets()) {
                QuantizedActivations xq;
                xq.quantize(type, p.x.data(), n_tokens, n_cols, *set);
                std::vector<float> y(static_cast<std::size_t>(n_tokens * y_stride), kUntouched);

                matmul_rows_q8(*set, type, p.w.data(), p.row_bytes, xq, y.data(), y_stride, 0,
                               p.n_rows);

                ASSERT_EQ(xq.type(), reference_kernels()[type].vec_dot_type);
                for (std::size_t i = 0; i < y.size(); ++i) {
                    ASSERT_NEAR(y[i], e.want[i], e.scale[i]) << label(*set, p) << " element " << i;
                }
            }
        }
    }
}

TEST(MatmulTest, QuantizedActivationsReuseTheirBufferAcrossShapes) {
    QuantizedActivations xq;
    const std::vector<float> big = random_values(4 * 512, 1);
    const std::vector<float> small = random_values(2 * 256, 2);

    xq.quantize(TensorType::kQ4_K, big.data(), 4, 512);
    const void* first = xq.row(0);
    xq.quantize(TensorType::kQ4_0, small.data(), 2, 256);

    EXPECT_EQ(xq.row(0), first);
    EXPECT_EQ(xq.type(), TensorType::kQ8_0);
    EXPECT_EQ(xq.n_tokens(), 2);
    EXPECT_EQ(xq.row_bytes(), tensor_row_bytes(TensorType::kQ8_0, 256));
}

// Threads of a generation step convert their own columns into one shared object: the parts
// together must be the whole conversion, bytes and Q8_0 block sums alike (Q4_0 -> Q8_0 with
// 32-value blocks, Q4_1 -> Q8_1, Q4_K -> Q8_K with 256), in either order.
TEST(MatmulTest, QuantizingColumnsInPartsGivesTheWholeConversion) {
    const std::vector<float> x = random_values(2 * 1536, 3);
    for (TensorType weight : {TensorType::kQ4_0, TensorType::kQ4_1, TensorType::kQ4_K}) {
        QuantizedActivations whole;
        whole.quantize(weight, x.data(), 2, 1536);
        QuantizedActivations parts;
        parts.prepare(weight, x.data(), 2, 1536, active_kernels());
        const std::int64_t cut = 3 * parts.block_size();

        parts.quantize_columns(x.data(), cut, 1536, active_kernels());
        parts.quantize_columns(x.data(), 0, cut, active_kernels());

        ASSERT_EQ(parts.type(), whole.type());
        for (std::int64_t t = 0; t < 2; ++t) {
            const auto* got = static_cast<const std::uint8_t*>(parts.row(t));
            const auto* want = static_cast<const std::uint8_t*>(whole.row(t));
            EXPECT_TRUE(std::equal(got, got + whole.row_bytes(), want)) << static_cast<int>(weight);
            if (whole.block_sums(t) != nullptr) {
                for (std::int64_t b = 0; b < 1536 / 32; ++b) {
                    EXPECT_EQ(parts.block_sums(t)[b].sum, whole.block_sums(t)[b].sum) << b;
                    EXPECT_EQ(parts.block_sums(t)[b].d, whole.block_sums(t)[b].d) << b;
                }
            }
        }
    }
}

}  // namespace
}  // namespace lore::kernels
