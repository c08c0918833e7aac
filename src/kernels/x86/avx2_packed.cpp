// AVX2 kernels over packed weights (kernels.h, "Packed weights"; packed.cpp) for Q4_0 and
// Q8_0: vec_dot_packed (one token) and vec_dot_panel_packed (prompt batches), and
// vec_dot_panel, which copies rows of the file's layout into the packed one chunk by chunk. A
// panel's 16 rows are two halves of 8 rows; a 256-bit vector holds one 4-byte word of each of the 8
// rows (lane = row), so the 8 sums of a half build up in one register and no horizontal sum is
// needed. AVX2 has no vpdpbusd; its place is taken by
//   - pmaddubsw: 4 unsigned weight levels x 4 signed activation bytes (broadcast to every
//     lane) -> two int16 pair sums per row, then pmaddwd with ones -> the row's int32 sum;
//   - Q4_0: levels are used unsigned (q + 8, 0..15) and the offset is removed exactly by
//     starting the sum at -8 * sum(x). A pair sum is at most 2 * 15 * 127 = 3810, so the
//     eight pair sums of a block add up in int16 (<= 30480) and meet pmaddwd once a block;
//   - Q8_0: levels are signed; |q| meets the activations with q's sign (psignb). A pair sum
//     is at most 2 * 128 * 127 = 32512, so each word goes through pmaddwd on its own.
// Per block the int32 sums are exact, and the f32 step (one convert, one multiply-add with
// d_w * d_x) is the AVX-512 kernels' own, so both sets give the same results.
// Only reached through dispatch.cpp after CPUID said avx2/fma/f16c.
#include <cstring>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

constexpr int kHalfRows = 8;
constexpr std::size_t kHalves = 2;
static_assert(kPackRows == static_cast<std::int64_t>(kHalves) * kHalfRows);
constexpr std::size_t kWordBytes = kPackRows * 4;    // word k of the 16 rows
constexpr std::size_t kHalvesBytes = kPackRows * 2;  // the 16 fp16 d of a panel block
constexpr std::size_t kPrefetchBytes = 6144;         // as the AVX-512 packed kernels
constexpr std::int64_t kChunkBlocks = 32;            // a panel chunk stays in L1
constexpr std::int64_t kMicroTokens = 2;             // tokens per pass (16 registers)

inline __m256i load256(const std::uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// The 4 activation bytes at p, in every lane.
inline __m256i broadcast4(const std::int8_t* p) {
    std::int32_t v = 0;
    std::memcpy(&v, p, sizeof(v));
    return _mm256_set1_epi32(v);
}

// The 8 fp16 d of half h of a panel block, as f32.
inline __m256 scales8(const std::uint8_t* panel_block, std::size_t h) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(panel_block + h * 16)));
}

// Word k of half h of a panel block (its words begin after the d fields).
inline __m256i word(const std::uint8_t* panel_block, int k, std::size_t h) {
    return load256(panel_block + kHalvesBytes + static_cast<std::size_t>(k) * kWordBytes + h * 32);
}

// Adds the f32 result of one block to acc: acc += float(isum) * (d_w * d_x).
inline __m256 add_block(__m256 acc, __m256i isum, __m256 wd, float xd) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(wd, _mm256_set1_ps(xd)), acc);
}

// ---- Q4_0 ----
//
// Word k of qs: byte i holds value 4k + i (low nibble) and 16 + 4k + i (high nibble).
struct Q4_0Packed {
    using Block = BlockQ4_0;
    static constexpr int kWords = 4;
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(BlockQ4_0);

    // The int32 sums of T tokens' block with both halves of a panel block:
    // isum[t][h] = dot(levels, xq_t) - 8 * sum(xq_t).
    template <std::size_t T>
    static void block_sums(const std::uint8_t* pb,
                           const std::int8_t* const (&xq)[T],
                           const std::int32_t (&x_sum)[T],
                           __m256i (&isum)[T][kHalves]) {
        const __m256i low4 = _mm256_set1_epi8(15);
        __m256i s16[T][kHalves];
        for (std::size_t t = 0; t < T; ++t) {
            for (std::size_t h = 0; h < kHalves; ++h) {
                s16[t][h] = _mm256_setzero_si256();
            }
        }
#pragma GCC unroll 4
        for (int k = 0; k < kWords; ++k) {
            __m256i lo[kHalves];
            __m256i hi[kHalves];
            for (std::size_t h = 0; h < kHalves; ++h) {
                const __m256i w = word(pb, k, h);
                lo[h] = _mm256_and_si256(w, low4);
                hi[h] = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
            }
            for (std::size_t t = 0; t < T; ++t) {
                const __m256i a_lo = broadcast4(xq[t] + 4 * k);
                const __m256i a_hi = broadcast4(xq[t] + 16 + 4 * k);
                for (std::size_t h = 0; h < kHalves; ++h) {
                    s16[t][h] = _mm256_add_epi16(s16[t][h], _mm256_maddubs_epi16(lo[h], a_lo));
                    s16[t][h] = _mm256_add_epi16(s16[t][h], _mm256_maddubs_epi16(hi[h], a_hi));
                }
            }
        }
        const __m256i ones = _mm256_set1_epi16(1);
        for (std::size_t t = 0; t < T; ++t) {
            for (std::size_t h = 0; h < kHalves; ++h) {
                isum[t][h] = _mm256_add_epi32(_mm256_madd_epi16(s16[t][h], ones),
                                              _mm256_set1_epi32(-8 * x_sum[t]));
            }
        }
    }
};

// ---- Q8_0 ----
//
// Word k: signed levels 4k..4k+3.
struct Q8_0Packed {
    using Block = BlockQ8_0;
    static constexpr int kWords = 8;
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(BlockQ8_0);

    template <std::size_t T>
    static void block_sums(const std::uint8_t* pb,
                           const std::int8_t* const (&xq)[T],
                           const std::int32_t (&/*x_sum*/)[T],
                           __m256i (&isum)[T][kHalves]) {
        const __m256i ones = _mm256_set1_epi16(1);
        for (std::size_t t = 0; t < T; ++t) {
            for (std::size_t h = 0; h < kHalves; ++h) {
                isum[t][h] = _mm256_setzero_si256();
            }
        }
#pragma GCC unroll 8
        for (int k = 0; k < kWords; ++k) {
            __m256i q[kHalves];
            __m256i u[kHalves];
            for (std::size_t h = 0; h < kHalves; ++h) {
                q[h] = word(pb, k, h);
                u[h] = _mm256_abs_epi8(q[h]);
            }
            for (std::size_t t = 0; t < T; ++t) {
                const __m256i a = broadcast4(xq[t] + 4 * k);
                for (std::size_t h = 0; h < kHalves; ++h) {
                    const __m256i pairs = _mm256_maddubs_epi16(u[h], _mm256_sign_epi8(a, q[h]));
                    isum[t][h] = _mm256_add_epi32(isum[t][h], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
    }
};

// One token against n_panels panels, read as one stream with non-temporal prefetches (as
// the AVX-512 packed kernels do: weights are read once per token).
template <typename W>
void packed_one_token(const void* panels,
                      std::size_t w_row_bytes,
                      std::int64_t n_panels,
                      const void* x,
                      const Q8_0BlockSum* x_sums,
                      float* y,
                      std::int64_t n) {
    const auto* base = static_cast<const std::uint8_t*>(panels);
    const auto* xb = static_cast<const BlockQ8_0*>(x);
    const std::int64_t n_blocks = n / kQk32;
    for (std::int64_t p = 0; p < n_panels; ++p) {
        const std::uint8_t* panel = base + static_cast<std::size_t>(p) * kPackRows * w_row_bytes;
        __m256 acc[kHalves] = {_mm256_setzero_ps(), _mm256_setzero_ps()};
        for (std::int64_t b = 0; b < n_blocks; ++b) {
            const std::uint8_t* pb = panel + static_cast<std::size_t>(b) * W::kPanelBlock;
            for (std::size_t i = 0; i < W::kPanelBlock; i += 64) {
                _mm_prefetch(reinterpret_cast<const char*>(pb + kPrefetchBytes + i), _MM_HINT_NTA);
            }
            const std::int8_t* const xq[1] = {xb[b].qs};
            const std::int32_t x_sum[1] = {x_sums[b].sum};
            __m256i isum[1][kHalves];
            W::template block_sums<1>(pb, xq, x_sum, isum);
            for (std::size_t h = 0; h < kHalves; ++h) {
                acc[h] = add_block(acc[h], isum[0][h], scales8(pb, h), x_sums[b].d);
            }
        }
        for (std::size_t h = 0; h < kHalves; ++h) {
            _mm256_storeu_ps(y + p * kPackRows + static_cast<std::int64_t>(h) * kHalfRows, acc[h]);
        }
    }
}

// T tokens against blocks [b0, b0 + n_blocks) of one panel, whose panel blocks start at
// `chunk` (block b0's): y[t][0..n_valid) = (or +=) the row sums.
template <typename W, std::size_t T>
void panel_tokens(const std::uint8_t* chunk,
                  std::int64_t b0,
                  std::int64_t n_blocks,
                  const std::uint8_t* x,
                  std::size_t x_row_bytes,
                  const Q8_0BlockSum* sums,
                  std::int64_t sums_stride,
                  float* y,
                  std::int64_t y_stride,
                  std::int64_t n_valid,
                  bool is_accumulating) {
    __m256 acc[T][kHalves];
    for (std::size_t t = 0; t < T; ++t) {
        for (std::size_t h = 0; h < kHalves; ++h) {
            acc[t][h] = _mm256_setzero_ps();
        }
    }
    for (std::int64_t b = b0; b < b0 + n_blocks; ++b) {
        const std::uint8_t* pb = chunk + static_cast<std::size_t>(b - b0) * W::kPanelBlock;
        const std::int8_t* xq[T];
        std::int32_t x_sum[T];
        for (std::size_t t = 0; t < T; ++t) {
            const auto* row = reinterpret_cast<const BlockQ8_0*>(x + t * x_row_bytes);
            xq[t] = row[b].qs;
            x_sum[t] = sums[static_cast<std::int64_t>(t) * sums_stride + b].sum;
        }
        __m256i isum[T][kHalves];
        W::template block_sums<T>(pb, xq, x_sum, isum);
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256 wd = scales8(pb, h);
            for (std::size_t t = 0; t < T; ++t) {
                acc[t][h] = add_block(acc[t][h], isum[t][h], wd,
                                      sums[static_cast<std::int64_t>(t) * sums_stride + b].d);
            }
        }
    }
    for (std::size_t t = 0; t < T; ++t) {
        float* out = y + static_cast<std::int64_t>(t) * y_stride;
        if (n_valid == kPackRows) {
            for (std::size_t h = 0; h < kHalves; ++h) {
                float* half = out + static_cast<std::int64_t>(h) * kHalfRows;
                __m256 v = acc[t][h];
                if (is_accumulating) {
                    v = _mm256_add_ps(v, _mm256_loadu_ps(half));
                }
                _mm256_storeu_ps(half, v);
            }
            continue;
        }
        alignas(32) float sums16[kPackRows];
        _mm256_store_ps(sums16, acc[t][0]);
        _mm256_store_ps(sums16 + kHalfRows, acc[t][1]);
        for (std::int64_t r = 0; r < n_valid; ++r) {
            out[r] = is_accumulating ? out[r] + sums16[r] : sums16[r];
        }
    }
}

// Every token against one chunk of a panel (n_valid rows), kMicroTokens at a time.
template <typename W>
void chunk_products(const std::uint8_t* chunk,
                    std::int64_t b0,
                    std::int64_t n_blocks,
                    const std::uint8_t* x,
                    std::size_t x_row_bytes,
                    const Q8_0BlockSum* x_sums,
                    std::int64_t x_sums_stride,
                    std::int64_t n_tokens,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t n_valid) {
    std::int64_t t = 0;
    for (; t + kMicroTokens <= n_tokens; t += kMicroTokens) {
        panel_tokens<W, kMicroTokens>(
            chunk, b0, n_blocks, x + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
            x_sums + t * x_sums_stride, x_sums_stride, y + t * y_stride, y_stride, n_valid, b0 > 0);
    }
    for (; t < n_tokens; ++t) {
        panel_tokens<W, 1>(chunk, b0, n_blocks, x + static_cast<std::size_t>(t) * x_row_bytes,
                           x_row_bytes, x_sums + t * x_sums_stride, x_sums_stride, y + t * y_stride,
                           y_stride, n_valid, b0 > 0);
    }
}

// Many tokens against packed panels (n_rows a multiple of kPackRows): per panel, a chunk of
// kChunkBlocks blocks (L1-sized) meets every token before the next chunk.
template <typename W>
void packed_panel(const void* w,
                  std::size_t w_row_bytes,
                  std::int64_t n_rows,
                  const void* x,
                  std::size_t x_row_bytes,
                  const Q8_0BlockSum* x_sums,
                  std::int64_t x_sums_stride,
                  std::int64_t n_tokens,
                  float* y,
                  std::int64_t y_stride,
                  std::int64_t n) {
    const auto* base = static_cast<const std::uint8_t*>(w);
    const std::int64_t n_blocks = n / kQk32;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPackRows) {
        const std::uint8_t* panel = base + static_cast<std::size_t>(r0) * w_row_bytes;
        for (std::int64_t b0 = 0; b0 < n_blocks; b0 += kChunkBlocks) {
            const std::int64_t nb = n_blocks - b0 < kChunkBlocks ? n_blocks - b0 : kChunkBlocks;
            chunk_products<W>(panel + static_cast<std::size_t>(b0) * W::kPanelBlock, b0, nb,
                              static_cast<const std::uint8_t*>(x), x_row_bytes, x_sums,
                              x_sums_stride, n_tokens, y + r0, y_stride, kPackRows);
        }
    }
}

// The same over rows in the file's layout (any n_rows): each chunk of up to 16 rows is first
// copied into the packed layout (missing rows as zero blocks), so both layouts give the same
// sums, bit for bit.
template <typename W>
void file_panel(const void* w,
                std::size_t w_row_bytes,
                std::int64_t n_rows,
                const void* x,
                std::size_t x_row_bytes,
                const Q8_0BlockSum* x_sums,
                std::int64_t x_sums_stride,
                std::int64_t n_tokens,
                float* y,
                std::int64_t y_stride,
                std::int64_t n) {
    using Block = typename W::Block;
    constexpr std::size_t kWordsBytes = sizeof(Block) - 2;  // the levels after the fp16 d
    static_assert(kWordsBytes == 4 * static_cast<std::size_t>(W::kWords));
    alignas(32) std::uint8_t chunk[kChunkBlocks * W::kPanelBlock];
    const auto* base = static_cast<const std::uint8_t*>(w);
    const std::int64_t n_blocks = n / kQk32;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPackRows) {
        const std::int64_t n_valid = n_rows - r0 < kPackRows ? n_rows - r0 : kPackRows;
        for (std::int64_t b0 = 0; b0 < n_blocks; b0 += kChunkBlocks) {
            const std::int64_t nb = n_blocks - b0 < kChunkBlocks ? n_blocks - b0 : kChunkBlocks;
            if (n_valid < kPackRows) {
                std::memset(chunk, 0, static_cast<std::size_t>(nb) * W::kPanelBlock);
            }
            for (std::int64_t r = 0; r < n_valid; ++r) {
                const auto* row = reinterpret_cast<const Block*>(
                    base + static_cast<std::size_t>(r0 + r) * w_row_bytes);
                for (std::int64_t b = 0; b < nb; ++b) {
                    std::uint8_t* pb = chunk + static_cast<std::size_t>(b) * W::kPanelBlock;
                    const Block& block = row[b0 + b];
                    std::memcpy(pb + 2 * r, &block.d, 2);
                    for (int k = 0; k < W::kWords; ++k) {
                        std::memcpy(pb + kHalvesBytes + static_cast<std::size_t>(k) * kWordBytes +
                                        4 * static_cast<std::size_t>(r),
                                    block.qs + 4 * k, 4);
                    }
                }
            }
            chunk_products<W>(chunk, b0, nb, static_cast<const std::uint8_t*>(x), x_row_bytes,
                              x_sums, x_sums_stride, n_tokens, y + r0, y_stride, n_valid);
        }
    }
}

template <typename W>
void set_packed(KernelSet& set, TensorType type) {
    TypeKernels& entry = set.by_type[static_cast<std::size_t>(type)];
    entry.vec_dot_packed = packed_one_token<W>;
    entry.vec_dot_panel_packed = packed_panel<W>;
    entry.vec_dot_panel = file_panel<W>;
}

}  // namespace

void fill_avx2_packed_kernels(KernelSet& set) {
    set_packed<Q4_0Packed>(set, TensorType::kQ4_0);
    set_packed<Q8_0Packed>(set, TensorType::kQ8_0);
}

}  // namespace lore::kernels::x86
