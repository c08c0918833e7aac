// Packed weights (kernels.h, "Packed weights"): the layout, pack_rows / unpack_rows, and the
// matrix products over packed matrices.
//
// A block of a packed type is a few fp16 fields plus a run of 4-byte words. In a panel, block
// b of its kPackRows rows becomes one "panel block" of kPackRows * block_bytes bytes:
//   for each fp16 field f:  16 x uint16 (field f of rows 0..15)
//   for each word k:        16 x uint32 (word k of rows 0..15)
// and the panel blocks of a panel follow each other in block order.
#include <algorithm>
#include <cstring>
#include <vector>

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

struct PackedLayout {
    std::size_t block_bytes = 0;  // 0: no packed layout
    int n_halves = 0;
    std::size_t half_offset[2] = {0, 0};
    std::size_t words_begin = 0;  // the block's bytes [words_begin, words_end) are words
    std::size_t words_end = 0;
};

// Field offsets as blocks.h lays the blocks out.
PackedLayout packed_layout(TensorType type) {
    switch (type) {
        case TensorType::kQ4_0: return {18, 1, {0, 0}, 2, 18};      // d | qs[16]
        case TensorType::kQ5_0: return {22, 1, {0, 0}, 2, 22};      // d | qh[4] qs[16]
        case TensorType::kQ8_0: return {34, 1, {0, 0}, 2, 34};      // d | qs[32]
        case TensorType::kQ4_1: return {20, 2, {0, 2}, 4, 20};      // d m | qs[16]
        case TensorType::kQ5_1: return {24, 2, {0, 2}, 4, 24};      // d m | qh[4] qs[16]
        case TensorType::kQ4_K: return {144, 2, {0, 2}, 4, 144};    // d dmin | scales[12] qs[128]
        case TensorType::kQ5_K: return {176, 2, {0, 2}, 4, 176};    // d dmin | sc[12] qh qs
        case TensorType::kQ6_K: return {210, 1, {208, 0}, 0, 208};  // ql qh scales | d
        default: return {};
    }
}

// Byte offset, inside a panel block, of lane `lane`'s copy of half `f` and of word `k`.
std::size_t half_slot(int f, std::int64_t lane) {
    return static_cast<std::size_t>(f) * kPackRows * 2 + static_cast<std::size_t>(lane) * 2;
}

std::size_t word_slot(const PackedLayout& l, std::size_t k, std::int64_t lane) {
    return static_cast<std::size_t>(l.n_halves) * kPackRows * 2 + k * kPackRows * 4 +
           static_cast<std::size_t>(lane) * 4;
}

// Calls move(file_offset, panel_offset, n_bytes) for every field of a block in lane `lane`:
// where the field sits in the file's block and where its copy sits in the panel block.
template <typename Move>
void for_each_field(const PackedLayout& l, std::int64_t lane, const Move& move) {
    for (int f = 0; f < l.n_halves; ++f) {
        move(l.half_offset[f], half_slot(f, lane), 2);
    }
    const std::size_t n_words = (l.words_end - l.words_begin) / 4;
    for (std::size_t k = 0; k < n_words; ++k) {
        move(l.words_begin + 4 * k, word_slot(l, k, lane), 4);
    }
}

// Calls visit(block, panel_block, lane) for every block of rows [row_begin, row_begin +
// n_rows) of a packed matrix: the block's byte offset in those rows laid out in the file's
// layout (row row_begin first), and its panel block's offset in the packed matrix.
template <typename Visit>
void for_each_block(const PackedLayout& l,
                    std::size_t w_row_bytes,
                    std::int64_t row_begin,
                    std::int64_t n_rows,
                    const Visit& visit) {
    const std::size_t n_blocks = w_row_bytes / l.block_bytes;
    const std::size_t panel_block_bytes = kPackRows * l.block_bytes;
    for (std::int64_t i = 0; i < n_rows; ++i) {
        const std::int64_t r = row_begin + i;
        const std::size_t panel = static_cast<std::size_t>(r / kPackRows) * kPackRows * w_row_bytes;
        for (std::size_t b = 0; b < n_blocks; ++b) {
            visit(static_cast<std::size_t>(i) * w_row_bytes + b * l.block_bytes,
                  panel + b * panel_block_bytes, r % kPackRows);
        }
    }
}

// A per-thread buffer of at least `bytes`, 64-byte aligned; grows, never shrinks.
std::uint8_t* scratch(std::size_t bytes) {
    struct alignas(64) Line {
        std::uint8_t b[64];
    };

    thread_local std::vector<Line> lines;
    const std::size_t n = (bytes + 63) / 64;
    if (lines.size() < n) {
        lines.resize(n);
    }
    return lines.data()->b;
}

}  // namespace

bool has_packed_layout(TensorType type) {
    return packed_layout(type).block_bytes != 0;
}

bool should_pack(const KernelSet& set, TensorType type, std::int64_t n_rows, std::int64_t n_cols) {
    return has_packed_layout(type) && set[type].vec_dot_packed != nullptr && n_rows > 0 &&
           n_rows % kPackRows == 0 && n_cols <= kPackMaxCols;
}

void pack_rows(
    TensorType type, const void* src, std::size_t w_row_bytes, std::int64_t n_rows, void* dst) {
    // Panel p holds rows [16p, 16p + 16) at their own offset, its blocks one after another.
    const std::int64_t n_blocks =
        static_cast<std::int64_t>(w_row_bytes / packed_layout(type).block_bytes);
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPackRows) {
        const std::size_t offset = static_cast<std::size_t>(r0) * w_row_bytes;
        pack_panel_blocks(type, static_cast<const std::uint8_t*>(src) + offset, w_row_bytes,
                          kPackRows, 0, n_blocks, static_cast<std::uint8_t*>(dst) + offset);
    }
}

void pack_panel_blocks(TensorType type,
                       const void* rows,
                       std::size_t w_row_bytes,
                       std::int64_t n_rows,
                       std::int64_t block_begin,
                       std::int64_t n_blocks,
                       void* dst) {
    const PackedLayout l = packed_layout(type);
    const std::size_t panel_block_bytes = kPackRows * l.block_bytes;
    auto* out = static_cast<std::uint8_t*>(dst);
    if (n_rows < kPackRows) {
        std::memset(out, 0, static_cast<std::size_t>(n_blocks) * panel_block_bytes);
    }
    for (std::int64_t r = 0; r < n_rows; ++r) {
        const std::uint8_t* row = static_cast<const std::uint8_t*>(rows) +
                                  static_cast<std::size_t>(r) * w_row_bytes +
                                  static_cast<std::size_t>(block_begin) * l.block_bytes;
        for (std::int64_t b = 0; b < n_blocks; ++b) {
            const std::uint8_t* block = row + static_cast<std::size_t>(b) * l.block_bytes;
            std::uint8_t* panel_block = out + static_cast<std::size_t>(b) * panel_block_bytes;
            for_each_field(l, r, [&](std::size_t at, std::size_t slot, std::size_t n) {
                std::memcpy(panel_block + slot, block + at, n);
            });
        }
    }
}

void unpack_rows(TensorType type,
                 const void* packed,
                 std::size_t w_row_bytes,
                 std::int64_t row_begin,
                 std::int64_t n_rows,
                 void* dst) {
    const PackedLayout l = packed_layout(type);
    const auto* panels = static_cast<const std::uint8_t*>(packed);
    auto* rows = static_cast<std::uint8_t*>(dst);
    for_each_block(l, w_row_bytes, row_begin, n_rows,
                   [&](std::size_t block, std::size_t panel_block, std::int64_t lane) {
                       for_each_field(
                           l, lane, [&](std::size_t at, std::size_t slot, std::size_t n) {
                               std::memcpy(rows + block + at, panels + panel_block + slot, n);
                           });
                   });
}

namespace {

// Runs `unpacked(rows, row0, row1)` on panels of [row_begin, row_end) unpacked one at a time
// into a per-thread buffer; `rows` holds rows row0 .. row1 - 1.
template <typename Fn>
void for_each_unpacked_panel(TensorType type,
                             const void* packed,
                             std::size_t w_row_bytes,
                             std::int64_t row_begin,
                             std::int64_t row_end,
                             const Fn& unpacked) {
    std::uint8_t* rows = scratch(kPackRows * w_row_bytes);
    for (std::int64_t r0 = row_begin; r0 < row_end; r0 += kPackRows) {
        const std::int64_t r1 = std::min(row_end, r0 + kPackRows);
        unpack_rows(type, packed, w_row_bytes, r0, r1 - r0, rows);
        unpacked(rows, r0, r1);
    }
}

}  // namespace

void matmul_packed_q8(const KernelSet& set,
                      TensorType type,
                      const void* packed,
                      std::size_t w_row_bytes,
                      const QuantizedActivations& xq,
                      float* y,
                      std::int64_t y_stride,
                      std::int64_t row_begin,
                      std::int64_t row_end) {
    const VecDotPackedFn kernel = set[type].vec_dot_packed;
    const VecDotPanelFn panel = set[type].vec_dot_panel_packed;
    const std::int64_t n_full = (row_end - row_begin) / kPackRows;
    const bool has_sums = xq.type() != TensorType::kQ8_0 || xq.block_sums(0) != nullptr;
    const auto* panels = static_cast<const std::uint8_t*>(packed) +
                         static_cast<std::size_t>(row_begin) * w_row_bytes;
    if (kernel != nullptr && xq.n_tokens() == 1 && xq.n_cols() <= kPackMaxCols && has_sums &&
        n_full > 0) {
        kernel(panels, w_row_bytes, n_full, xq.row(0), xq.block_sums(0), y + row_begin,
               xq.n_cols());
        row_begin += n_full * kPackRows;
    } else if (panel != nullptr && panels_take(xq) && n_full > 0) {
        // The kernel decodes each panel straight from the packed layout.
        panel_products(panel, panels, w_row_bytes, n_full * kPackRows, xq, y, y_stride, row_begin);
        row_begin += n_full * kPackRows;
    }
    for_each_unpacked_panel(type, packed, w_row_bytes, row_begin, row_end,
                            [&](const std::uint8_t* rows, std::int64_t r0, std::int64_t r1) {
                                matmul_rows_q8(set, type, rows, w_row_bytes, xq, y + r0, y_stride,
                                               0, r1 - r0);
                            });
}

void matmul_packed(const KernelSet& set,
                   TensorType type,
                   const void* packed,
                   std::size_t w_row_bytes,
                   std::int64_t n_cols,
                   const float* x,
                   std::int64_t n_tokens,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t row_begin,
                   std::int64_t row_end) {
    for_each_unpacked_panel(type, packed, w_row_bytes, row_begin, row_end,
                            [&](const std::uint8_t* rows, std::int64_t r0, std::int64_t r1) {
                                matmul_rows_with(set, type, rows, w_row_bytes, n_cols, x, n_tokens,
                                                 y + r0, y_stride, 0, r1 - r0);
                            });
}

}  // namespace lore::kernels
