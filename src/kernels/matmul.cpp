// Row-range matrix products over one kernel set: Y[t, r] = dot(W row r, X row t).
//
// Tiling: weight rows are taken in groups of about kGroupBytes (L1-sized), tokens in tiles
// of kTokenTile; each group meets every token of a tile while it is cache-hot, so a batch
// reads each weight row from memory once per token tile, not once per token. Token rows of
// a tile (kTokenTile * row size of the activations) stay in L2.
#include <algorithm>
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/float16.h"
#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

constexpr std::size_t kGroupBytes = 16 * 1024;
constexpr std::int64_t kMaxGroupRows = 16;
constexpr std::int64_t kMinTileGroupRows = 8;

std::int64_t rows_per_group(std::size_t w_row_bytes) {
    const auto rows =
        static_cast<std::int64_t>(kGroupBytes / std::max<std::size_t>(w_row_bytes, 1));
    return std::clamp<std::int64_t>(rows, 1, kMaxGroupRows);
}

// Calls dot(row r, token t) for every (t, r) in the ranges, in tiled order.
template <typename Dot>
void for_each_tile(std::int64_t n_tokens,
                   std::size_t w_row_bytes,
                   std::int64_t row_begin,
                   std::int64_t row_end,
                   const Dot& dot) {
    if (n_tokens == 1) {
        for (std::int64_t r = row_begin; r < row_end; ++r) {
            dot(0, r);
        }
        return;
    }
    const std::int64_t group = rows_per_group(w_row_bytes);
    for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
        const std::int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
        for (std::int64_t r0 = row_begin; r0 < row_end; r0 += group) {
            const std::int64_t r1 = std::min(row_end, r0 + group);
            for (std::int64_t t = t0; t < t1; ++t) {
                for (std::int64_t r = r0; r < r1; ++r) {
                    dot(t, r);
                }
            }
        }
    }
}

}  // namespace

void matmul_rows_with(const KernelSet& set,
                      TensorType type,
                      const void* w,
                      std::size_t w_row_bytes,
                      std::int64_t n_cols,
                      const float* x,
                      std::int64_t n_tokens,
                      float* y,
                      std::int64_t y_stride,
                      std::int64_t row_begin,
                      std::int64_t row_end) {
    const DotFn dot = set[type].dot;
    const auto* rows = static_cast<const std::uint8_t*>(w);
    const VecDotPanelFn panel = set[type].vec_dot_panel;
    if (panel != nullptr && set[type].vec_dot_type == TensorType::kF32 &&
        n_tokens >= kPanelMinTokens) {
        // Float weights: x is already the kernel's activation type.
        const std::size_t x_row_bytes = static_cast<std::size_t>(n_cols) * sizeof(float);
        for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kPanelTokenTile) {
            const std::int64_t t1 = std::min(n_tokens, t0 + kPanelTokenTile);
            panel(rows + static_cast<std::size_t>(row_begin) * w_row_bytes, w_row_bytes,
                  row_end - row_begin, x + t0 * n_cols, x_row_bytes, nullptr, 0, t1 - t0,
                  y + t0 * y_stride + row_begin, y_stride, n_cols);
        }
        return;
    }
    for_each_tile(n_tokens, w_row_bytes, row_begin, row_end, [&](std::int64_t t, std::int64_t r) {
        y[t * y_stride + r] =
            dot(rows + static_cast<std::size_t>(r) * w_row_bytes, x + t * n_cols, n_cols);
    });
}

void matmul_rows(TensorType type,
                 const void* w,
                 std::size_t w_row_bytes,
                 std::int64_t n_cols,
                 const float* x,
                 std::int64_t n_tokens,
                 float* y,
                 std::int64_t y_stride,
                 std::int64_t row_begin,
                 std::int64_t row_end) {
    matmul_rows_with(active_kernels(), type, w, w_row_bytes, n_cols, x, n_tokens, y, y_stride,
                     row_begin, row_end);
}

void weighted_rows(TensorType type,
                   const void* v,
                   std::size_t v_row_bytes,
                   std::int64_t n_rows,
                   const float* p,
                   std::int64_t p_stride,
                   std::int64_t n_weights,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t n) {
    active_kernels()[type].weighted_rows(v, v_row_bytes, n_rows, p, p_stride, n_weights, y,
                                         y_stride, n);
}

void QuantizedActivations::quantize(TensorType weight_type,
                                    const float* x,
                                    std::int64_t n_tokens,
                                    std::int64_t n_cols,
                                    const KernelSet& set) {
    prepare(weight_type, x, n_tokens, n_cols, set);
    quantize_columns(x, 0, n_cols, set);
}

void QuantizedActivations::prepare(TensorType weight_type,
                                   const float* x,
                                   std::int64_t n_tokens,
                                   std::int64_t n_cols,
                                   const KernelSet& set) {
    type_ = set[weight_type].vec_dot_type;
    n_tokens_ = n_tokens;
    n_cols_ = n_cols;
    row_bytes_ = tensor_row_bytes(type_, n_cols);
    block_sums_.clear();
    blocks_per_row_ = 0;
    if (type_ == TensorType::kF32) {
        // Already in the vec_dot_type: a copy would only cost time and memory (on a 135M F16
        // model, 7 MB of the peak at a 512-token batch).
        data_ = reinterpret_cast<const std::byte*>(x);
        return;
    }
    const std::size_t total = row_bytes_ * static_cast<std::size_t>(n_tokens);
    const std::size_t words = (total + sizeof(std::uint64_t) - 1) / sizeof(std::uint64_t);
    if (storage_.size() < words) {
        storage_.resize(words);
    }
    data_ = reinterpret_cast<const std::byte*>(storage_.data());
    if (type_ == TensorType::kQ8_0) {
        blocks_per_row_ = n_cols / kQk32;
        block_sums_.resize(static_cast<std::size_t>(n_tokens * blocks_per_row_));
    }
}

void QuantizedActivations::quantize_columns(const float* x,
                                            std::int64_t begin,
                                            std::int64_t end,
                                            const KernelSet& set) {
    if (type_ == TensorType::kF32 || begin >= end) {
        return;
    }
    const TensorTypeTraits traits = tensor_type_traits(type_);
    const std::int64_t first_block = begin / traits.block_size;
    auto* bytes = reinterpret_cast<std::byte*>(storage_.data());
    const QuantizeFn quantize_row = set[type_].quantize;
    for (std::int64_t t = 0; t < n_tokens_; ++t) {
        std::byte* row = bytes + static_cast<std::size_t>(t) * row_bytes_;
        quantize_row(x + t * n_cols_ + begin,
                     row + static_cast<std::size_t>(first_block) * traits.block_bytes, end - begin);
    }
    if (type_ == TensorType::kQ8_0) {
        const std::int64_t end_block = (end + kQk32 - 1) / kQk32;
        for (std::int64_t t = 0; t < n_tokens_; ++t) {
            const auto* blocks = reinterpret_cast<const BlockQ8_0*>(
                bytes + static_cast<std::size_t>(t) * row_bytes_);
            Q8_0BlockSum* sums = block_sums_.data() + t * blocks_per_row_;
            for (std::int64_t b = first_block; b < end_block; ++b) {
                std::int32_t sum = 0;
                for (int j = 0; j < kQk32; ++j) {
                    sum += blocks[b].qs[j];
                }
                sums[b].d = half_to_float(blocks[b].d);
                sums[b].sum = sum;
            }
        }
    }
}

bool panels_take(const QuantizedActivations& xq) {
    return xq.n_tokens() >= kPanelMinTokens &&
           (xq.type() != TensorType::kQ8_0 || xq.block_sums(0) != nullptr);
}

void panel_products(VecDotPanelFn panel,
                    const std::uint8_t* rows,
                    std::size_t w_row_bytes,
                    std::int64_t n_rows,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin) {
    for (std::int64_t t0 = 0; t0 < xq.n_tokens(); t0 += kPanelTokenTile) {
        const std::int64_t t1 = std::min(xq.n_tokens(), t0 + kPanelTokenTile);
        panel(rows, w_row_bytes, n_rows, xq.row(t0), xq.row_bytes(), xq.block_sums(t0),
              xq.block_sums_stride(), t1 - t0, y + t0 * y_stride + row_begin, y_stride,
              xq.n_cols());
    }
}

void matmul_rows_q8(const KernelSet& set,
                    TensorType type,
                    const void* w,
                    std::size_t w_row_bytes,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin,
                    std::int64_t row_end) {
    const VecDotFn vec_dot = set[type].vec_dot;
    const VecDotTileFn vec_dot_tile = set[type].vec_dot_tile;
    const auto* rows = static_cast<const std::uint8_t*>(w);
    const std::int64_t n_cols = xq.n_cols();
    const std::int64_t n_tokens = xq.n_tokens();
    const VecDotPanelFn vec_dot_panel = set[type].vec_dot_panel;
    if (vec_dot_panel != nullptr && panels_take(xq)) {
        panel_products(vec_dot_panel, rows + static_cast<std::size_t>(row_begin) * w_row_bytes,
                       w_row_bytes, row_end - row_begin, xq, y, y_stride, row_begin);
        return;
    }
    if (vec_dot_tile != nullptr) {
        // Same cache blocking as for_each_tile, but a whole (row group x token tile) block per
        // call: the kernel's micro-tiles share decoded weights across tokens, and with one
        // token still share activation loads across rows (faster than vec_dot per row, see
        // gemv_q8_* in bench/kernels). Groups hold at least kMinTileGroupRows rows so that
        // long rows still fill the micro-tiles.
        const std::int64_t group = std::max(rows_per_group(w_row_bytes), kMinTileGroupRows);
        for (std::int64_t t0 = 0; t0 < n_tokens; t0 += kTokenTile) {
            const std::int64_t t1 = std::min(n_tokens, t0 + kTokenTile);
            for (std::int64_t r0 = row_begin; r0 < row_end; r0 += group) {
                const std::int64_t r1 = std::min(row_end, r0 + group);
                vec_dot_tile(rows + static_cast<std::size_t>(r0) * w_row_bytes, w_row_bytes,
                             r1 - r0, xq.row(t0), xq.row_bytes(), t1 - t0, y + t0 * y_stride + r0,
                             y_stride, n_cols);
            }
        }
        return;
    }
    for_each_tile(
        xq.n_tokens(), w_row_bytes, row_begin, row_end, [&](std::int64_t t, std::int64_t r) {
            y[t * y_stride + r] =
                vec_dot(rows + static_cast<std::size_t>(r) * w_row_bytes, xq.row(t), n_cols);
        });
}

void matmul_rows_q8(TensorType type,
                    const void* w,
                    std::size_t w_row_bytes,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin,
                    std::int64_t row_end) {
    matmul_rows_q8(active_kernels(), type, w, w_row_bytes, xq, y, y_stride, row_begin, row_end);
}

}  // namespace lore::kernels
