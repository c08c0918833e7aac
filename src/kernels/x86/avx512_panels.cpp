// AVX-512 (F, BW, VL, VNNI) many-token kernels: vec_dot_panel entries for the weight types
// whose activations are Q8_0 blocks (Q8_0, Q4_0, Q5_0) or Q8_1 blocks (Q4_1, Q5_1), used
// for prompt batches.
//
// The tile kernels (avx512_tiles.cpp) put 64 values of one row in a vector and need, per
// (row, token, block pair), a convert, a multiply and an FMA besides the integer dot, plus
// a horizontal sum per (row, token) at the end. Here a vector holds one lane per weight row
// instead: a panel of 16 rows is re-laid once per call into
//   levels[b][g]: lane r = unsigned levels 4g .. 4g+3 of block b of row r (bytes),
//   scales[b][r] = d of block b of row r (f32),
// so that one vpdpbusd with the activation bytes 4g .. 4g+3 of one token broadcast to every
// lane advances 16 dot products by 4 values. Per (block, token): 8 vpdpbusd, then one
// convert and one FMA for all 16 rows, and the 16 sums of a token are stored as one vector.
//
// Levels are unsigned (q + offset: Q4_0 q in 0..15, offset 8; Q5_0 0..31, 16; Q8_0 q + 128,
// 128) and the integer sum of a (row, token, block) starts at -offset * sum(x), which the
// activations carry (Q8_0BlockSum), so the result is exact in integers before scaling.
// A panel covers up to kChunkBlocks blocks (L1-sized); longer rows are done in chunks that
// add into y. Rows past n_rows are padded with zero blocks and never stored.
// Q4_K / Q5_K / Q6_K (Q8_K activations) and F32 / F16 / BF16 weights (f32 activations) use
// the same layout (below).
// Results equal vec_dot up to f32 summation order (tests/kernels/tile_test.cpp).
#include <cstddef>
#include <cstring>
#include <type_traits>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/avx512_packed_decode.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

constexpr int kPanelRows = 16;
constexpr int kMicroTokens = 8;
constexpr std::int64_t kChunkBlocks = 32;
constexpr int kGroups = kQk32 / 4;  // 4-byte groups per block

struct alignas(64) Panel {
    __m512i levels[kChunkBlocks][kGroups];
    float scales[kChunkBlocks][kPanelRows];
    float mins[kChunkBlocks][kPanelRows];  // Q4_1 / Q5_1 only
};

inline __m512i join256(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// Nibble levels of one block of rows a and b: [lo_a hi_a lo_b hi_b] as 16-byte lanes, i.e.
// the 32 values of row a in order, then those of row b.
inline __m512i nibbles_of_two_rows(const std::uint8_t* qs_a, const std::uint8_t* qs_b) {
    const __m256i both =
        _mm256_inserti128_si256(_mm256_castsi128_si256(load128(qs_a)), load128(qs_b), 1);
    const __m256i mask = _mm256_set1_epi8(15);
    const __m256i lo = _mm256_and_si256(both, mask);                        // [lo_a lo_b]
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(both, 4), mask);  // [hi_a hi_b]
    const __m512i z = join256(lo, hi);
    return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
}

// Weight decoders: Block, kOffset, and levels(a, b) = the unsigned levels (q + kOffset in
// signed terms) of one block of row a (bytes 0..31) and of row b (bytes 32..63). kHasMin:
// the block has a min m (x = d * q + m) and the activations are Q8_1, whose s = d * sum(q)
// meets m once per block and row.
struct Q8_0Panel {
    using Block = BlockQ8_0;
    static constexpr std::int32_t kOffset = 128;
    static constexpr bool kHasMin = false;

    static __m512i levels(const Block* a, const Block* b) {
        return _mm512_xor_si512(join256(load256(a->qs), load256(b->qs)),
                                _mm512_set1_epi8(static_cast<char>(0x80)));
    }

    static void packed_levels(const std::uint8_t* words, __m512i* out) {
        for (int k = 0; k < kGroups; ++k) {
            out[k] = _mm512_xor_si512(packed::load512(words + 64 * k),
                                      _mm512_set1_epi8(static_cast<char>(0x80)));
        }
    }
};

template <typename B, std::int32_t kLevelOffset, bool kMin>
struct NibblePanel {
    using Block = B;
    static constexpr std::int32_t kOffset = kLevelOffset;
    static constexpr bool kHasMin = kMin;

    static __m512i levels(const Block* a, const Block* b) {
        return nibbles_of_two_rows(a->qs, b->qs);
    }

    static void packed_levels(const std::uint8_t* words, __m512i* out) {
        for (int k = 0; k < 4; ++k) {
            packed::nibbles(packed::load512(words + 64 * k), out[k], out[4 + k]);
        }
    }
};

// Five-bit levels: bit j of qh is the fifth bit of value j (bit 4 of its byte).
template <typename B, std::int32_t kLevelOffset, bool kMin>
struct FiveBitPanel {
    using Block = B;
    static constexpr std::int32_t kOffset = kLevelOffset;
    static constexpr bool kHasMin = kMin;

    static __m512i levels(const Block* a, const Block* b) {
        std::uint32_t qh_a = 0;
        std::uint32_t qh_b = 0;
        std::memcpy(&qh_a, a->qh, sizeof(qh_a));
        std::memcpy(&qh_b, b->qh, sizeof(qh_b));
        const __mmask64 bit4 = _cvtu64_mask64(qh_a | (static_cast<std::uint64_t>(qh_b) << 32));
        const __m512i q = nibbles_of_two_rows(a->qs, b->qs);
        return _mm512_mask_add_epi8(q, bit4, q, _mm512_set1_epi8(16));
    }

    // Packed: word 0 is qh, words 1-4 qs.
    static void packed_levels(const std::uint8_t* words, __m512i* out) {
        const packed::FifthBits qh(packed::load512(words));
        for (int k = 0; k < 4; ++k) {
            packed::nibbles(packed::load512(words + 64 + 64 * k), out[k], out[4 + k]);
            packed::add_fifth_bits(qh, k, out[k], out[4 + k]);
        }
    }
};

using Q4_0Panel = NibblePanel<BlockQ4_0, 8, false>;
using Q4_1Panel = NibblePanel<BlockQ4_1, 0, true>;
using Q5_0Panel = FiveBitPanel<BlockQ5_0, 16, false>;
using Q5_1Panel = FiveBitPanel<BlockQ5_1, 0, true>;

// v[k] (k < 4) holds rows k (bytes 0..31) and k + 4 (bytes 32..63); v[4 + k] rows 8 + k and
// 12 + k. Writes out[g] with lane r = dword g of row r, for r = 0..15.
inline void transpose_rows(const __m512i (&v)[8], __m512i* out) {
    __m512i u[8];
    for (int h = 0; h < 2; ++h) {
        const __m512i* s = v + 4 * h;
        const __m512i t0 = _mm512_unpacklo_epi32(s[0], s[1]);
        const __m512i t1 = _mm512_unpackhi_epi32(s[0], s[1]);
        const __m512i t2 = _mm512_unpacklo_epi32(s[2], s[3]);
        const __m512i t3 = _mm512_unpackhi_epi32(s[2], s[3]);
        // u[4h + i], 128-bit lane L: dword i (L even) or 4 + i (L odd) of the four rows of
        // that lane pair; lanes 0-1 are rows 0-3 (+8h), lanes 2-3 rows 4-7 (+8h).
        u[4 * h + 0] = _mm512_unpacklo_epi64(t0, t2);
        u[4 * h + 1] = _mm512_unpackhi_epi64(t0, t2);
        u[4 * h + 2] = _mm512_unpacklo_epi64(t1, t3);
        u[4 * h + 3] = _mm512_unpackhi_epi64(t1, t3);
    }
    for (int i = 0; i < 4; ++i) {
        out[i] = _mm512_shuffle_i32x4(u[i], u[4 + i], _MM_SHUFFLE(2, 0, 2, 0));
        out[4 + i] = _mm512_shuffle_i32x4(u[i], u[4 + i], _MM_SHUFFLE(3, 1, 3, 1));
    }
}

// Re-lays blocks [b0, b0 + n_blocks) of rows 0 .. n_rows - 1 (at most 16) into `panel`.
template <typename W>
void fill_panel(const std::uint8_t* w,
                std::size_t w_row_bytes,
                std::int64_t n_rows,
                std::int64_t b0,
                std::int64_t n_blocks,
                Panel* panel) {
    using Block = typename W::Block;
    static const Block kZeroBlocks[kChunkBlocks] = {};
    const Block* rows[kPanelRows];
    for (std::int64_t r = 0; r < kPanelRows; ++r) {
        rows[r] =
            r < n_rows
                ? reinterpret_cast<const Block*>(w + static_cast<std::size_t>(r) * w_row_bytes) + b0
                : kZeroBlocks;
    }
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        __m512i v[8];
        for (int k = 0; k < 4; ++k) {
            v[k] = W::levels(rows[k] + b, rows[k + 4] + b);
            v[4 + k] = W::levels(rows[k + 8] + b, rows[k + 12] + b);
        }
        transpose_rows(v, panel->levels[b]);
        for (int r = 0; r < kPanelRows; ++r) {
            panel->scales[b][r] = _cvtsh_ss(rows[r][b].d);
        }
        if constexpr (W::kHasMin) {
            for (int r = 0; r < kPanelRows; ++r) {
                panel->mins[b][r] = _cvtsh_ss(rows[r][b].m);
            }
        }
    }
}

// The same from a packed panel (kernels.h, "Packed weights"): its panel blocks already hold
// one word of the 16 rows per vector, the panel's layout, so filling is decoding only.
template <typename W>
void fill_panel_packed(const std::uint8_t* packed_panel,
                       std::int64_t b0,
                       std::int64_t n_blocks,
                       Panel* panel) {
    constexpr std::size_t kPanelBlock = kPanelRows * sizeof(typename W::Block);
    constexpr std::size_t kHalvesBytes = (W::kHasMin ? 2 : 1) * kPanelRows * 2;
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        const std::uint8_t* pb = packed_panel + static_cast<std::size_t>(b0 + b) * kPanelBlock;
        _mm512_store_ps(panel->scales[b], packed::halves16(pb));
        if constexpr (W::kHasMin) {
            _mm512_store_ps(panel->mins[b], packed::halves16(pb + kPanelRows * 2));
        }
        W::packed_levels(pb + kHalvesBytes, panel->levels[b]);
    }
}

// T tokens against the panel: y[t][0..15] = (or +=) the 16 row sums over the panel's blocks.
// Q8_0 activations take d and sum(x) from `sums`; Q8_1 ones carry d and s in their blocks.
template <typename W, std::size_t T>
void panel_tokens(const Panel& panel,
                  std::int64_t n_blocks,
                  const std::uint8_t* x,
                  std::size_t x_row_bytes,
                  const Q8_0BlockSum* sums,
                  std::int64_t sums_stride,
                  float* y,
                  std::int64_t y_stride,
                  __mmask16 row_mask,
                  bool is_accumulating) {
    __m512 acc[T];
#pragma GCC unroll 8
    for (std::size_t t = 0; t < T; ++t) {
        acc[t] = _mm512_setzero_ps();
    }
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        const __m512i* wq = panel.levels[b];
        const __m512 wd = _mm512_load_ps(panel.scales[b]);
#pragma GCC unroll 8
        for (std::size_t t = 0; t < T; ++t) {
            const std::uint8_t* q = x + t * x_row_bytes;
            __m512i isum;
            float xd;
            if constexpr (W::kHasMin) {
                const auto* xb = reinterpret_cast<const BlockQ8_1*>(q) + b;
                q = reinterpret_cast<const std::uint8_t*>(xb->qs);
                isum = _mm512_setzero_si512();
                xd = _cvtsh_ss(xb->d);
                acc[t] = _mm512_fmadd_ps(_mm512_load_ps(panel.mins[b]),
                                         _mm512_set1_ps(_cvtsh_ss(xb->s)), acc[t]);
            } else {
                const Q8_0BlockSum s = sums[static_cast<std::int64_t>(t) * sums_stride + b];
                q += static_cast<std::size_t>(b) * sizeof(BlockQ8_0) + offsetof(BlockQ8_0, qs);
                isum = _mm512_set1_epi32(-W::kOffset * s.sum);
                xd = s.d;
            }
#pragma GCC unroll 8
            for (int g = 0; g < kGroups; ++g) {
                std::int32_t four = 0;
                std::memcpy(&four, q + 4 * g, sizeof(four));
                isum = _mm512_dpbusd_epi32(isum, wq[g], _mm512_set1_epi32(four));
            }
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum),
                                     _mm512_mul_ps(wd, _mm512_set1_ps(xd)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (std::size_t t = 0; t < T; ++t) {
        float* out = y + static_cast<std::int64_t>(t) * y_stride;
        __m512 v = acc[t];
        if (is_accumulating) {
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(row_mask, out));
        }
        _mm512_mask_storeu_ps(out, row_mask, v);
    }
}

using TokensFn = void (*)(const Panel&,
                          std::int64_t,
                          const std::uint8_t*,
                          std::size_t,
                          const Q8_0BlockSum*,
                          std::int64_t,
                          float*,
                          std::int64_t,
                          __mmask16,
                          bool);

template <typename W>
struct TokensTable {
    static constexpr TokensFn kFns[kMicroTokens] = {
        panel_tokens<W, 1>, panel_tokens<W, 2>, panel_tokens<W, 3>, panel_tokens<W, 4>,
        panel_tokens<W, 5>, panel_tokens<W, 6>, panel_tokens<W, 7>, panel_tokens<W, 8>,
    };
};

// kPacked: w holds packed panels (pack_rows) and n_rows is a multiple of kPanelRows.
template <typename W, bool kPacked>
void vec_dot_panel(const void* w,
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
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xbytes = static_cast<const std::uint8_t*>(x);
    const std::int64_t n_blocks = n / kQk32;
    Panel panel;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPanelRows) {
        const std::int64_t nr = n_rows - r0 < kPanelRows ? n_rows - r0 : kPanelRows;
        const auto row_mask = static_cast<__mmask16>((1u << nr) - 1u);
        for (std::int64_t b0 = 0; b0 < n_blocks; b0 += kChunkBlocks) {
            const std::int64_t nb = n_blocks - b0 < kChunkBlocks ? n_blocks - b0 : kChunkBlocks;
            if constexpr (kPacked) {
                fill_panel_packed<W>(wbytes + static_cast<std::size_t>(r0) * w_row_bytes, b0, nb,
                                     &panel);
            } else {
                fill_panel<W>(wbytes + static_cast<std::size_t>(r0) * w_row_bytes, w_row_bytes, nr,
                              b0, nb, &panel);
            }
            using ActBlock = std::conditional_t<W::kHasMin, BlockQ8_1, BlockQ8_0>;
            const std::uint8_t* xchunk = xbytes + static_cast<std::size_t>(b0) * sizeof(ActBlock);
            for (std::int64_t t = 0; t < n_tokens; t += kMicroTokens) {
                const std::int64_t nt = n_tokens - t < kMicroTokens ? n_tokens - t : kMicroTokens;
                const Q8_0BlockSum* sums = W::kHasMin ? nullptr : x_sums + t * x_sums_stride + b0;
                TokensTable<W>::kFns[nt - 1](
                    panel, nb, xchunk + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
                    sums, x_sums_stride, y + t * y_stride + r0, y_stride, row_mask, b0 > 0);
            }
        }
    }
}

// ---- K-quants (Q4_K, Q5_K, Q6_K) against Q8_K activations ----
//
// Per super-block of 256 values and 16 rows: levels[64] (4-byte groups of unsigned levels,
// lane = row), scales[j] = d * sc[j] per row for each scale group of kGroupsPerScale
// 4-byte groups (8 for Q4_K/Q5_K's 32-value sub-blocks, 4 for Q6_K's 16-value ones), and
// the correction corr[k] (k = 0..7, int16 pairs per lane) that meets the activation bsums
// [2k, 2k+1] in one vpdpwssd: Q4_K/Q5_K (m[k], m[k]) scaled by dmin; Q6_K (sc[2k], sc[2k+1])
// scaled by 32 * d (the -32 offset of its levels). Then per token and super-block:
//   sum_j cvt(sum of the group's vpdpbusd) * scales[j] * d_x - cvt(corr . bsums) * cs * d_x.

constexpr std::int64_t kChunkSuper = 4;  // super-blocks per K panel (22 KB)

struct alignas(64) KPanel {
    __m512i levels[kChunkSuper][64];
    float scales[kChunkSuper][16][kPanelRows];
    __m512i corr[kChunkSuper][8];
    float corr_scale[kChunkSuper][kPanelRows];
};

// Six-bit scales and mins of a Q4_K / Q5_K block (layout in blocks.h).
inline void k_scale_min(const std::uint8_t* q, int j, std::uint8_t* sc, std::uint8_t* m) {
    if (j < 4) {
        *sc = static_cast<std::uint8_t>(q[j] & 63);
        *m = static_cast<std::uint8_t>(q[j + 4] & 63);
    } else {
        *sc = static_cast<std::uint8_t>((q[j + 4] & 15) | ((q[j - 4] >> 6) << 4));
        *m = static_cast<std::uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
    }
}

template <bool kFiveBit, typename Block>
struct ScaleMinDecoder {
    using BlockType = Block;
    static constexpr int kGroupsPerScale = 8;

    // Unsigned levels of values 32s .. 32s+31.
    static __m256i segment(const Block& b, int s) {
        const __m256i bytes = load256(b.qs + 32 * (s / 2));
        const __m256i mask = _mm256_set1_epi8(15);
        __m256i q = (s % 2 == 0) ? _mm256_and_si256(bytes, mask)
                                 : _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
        if constexpr (kFiveBit) {
            const __m256i bit =
                _mm256_and_si256(_mm256_srli_epi16(load256(b.qh), s), _mm256_set1_epi8(1));
            q = _mm256_or_si256(q, _mm256_slli_epi16(bit, 4));
        }
        return q;
    }

    static void scales(const Block& b, float* scale, std::uint32_t* corr, float* corr_scale) {
        const float d = _cvtsh_ss(b.d);
        for (int j = 0; j < 8; ++j) {
            std::uint8_t sc = 0;
            std::uint8_t m = 0;
            k_scale_min(b.scales, j, &sc, &m);
            scale[j] = d * static_cast<float>(sc);
            corr[j] = static_cast<std::uint32_t>(m) | (static_cast<std::uint32_t>(m) << 16);
        }
        *corr_scale = _cvtsh_ss(b.dmin);
    }

    // Super-block sb of `panel` from packed panel block pb: d, dmin, then words 0-2 (scales
    // and mins), Q5_K words 3-10 (qh), then qs (word 8c + g: segments 2c and 2c + 1, group g).
    static void fill_packed(const std::uint8_t* pb, std::int64_t sb, KPanel* panel) {
        const __m512 d = packed::halves16(pb);
        const std::uint8_t* words = pb + 2 * kPanelRows * 2;
        const packed::ScalesMins sm(words);
        for (unsigned j = 0; j < 8; ++j) {
            _mm512_store_ps(panel->scales[sb][j],
                            _mm512_mul_ps(d, _mm512_cvtepi32_ps(sm.scale(j))));
            const __m512i m = sm.min(j);
            panel->corr[sb][j] = _mm512_or_si512(m, _mm512_slli_epi32(m, 16));
        }
        _mm512_store_ps(panel->corr_scale[sb], packed::halves16(pb + kPanelRows * 2));
        const std::uint8_t* qh = words + 3 * 64;
        const std::uint8_t* qs = words + (kFiveBit ? 11 : 3) * 64;
        for (unsigned c = 0; c < 4; ++c) {
            for (int g = 0; g < 8; ++g) {
                __m512i lo;
                __m512i hi;
                packed::nibbles(packed::load512(qs + 64 * (8 * c + static_cast<unsigned>(g))), lo,
                                hi);
                if constexpr (kFiveBit) {
                    packed::add_k_fifth_bits(packed::load512(qh + 64 * g), c, lo, hi);
                }
                panel->levels[sb][16 * c + static_cast<unsigned>(g)] = lo;
                panel->levels[sb][16 * c + 8 + static_cast<unsigned>(g)] = hi;
            }
        }
    }
};

struct Q6KDecoder {
    using BlockType = BlockQ6_K;
    static constexpr int kGroupsPerScale = 4;

    static __m256i segment(const BlockQ6_K& b, int s) {
        const int h = s / 4;
        const int i = s % 4;
        const __m256i low = load256(b.ql + 64 * h + 32 * (i % 2));
        const __m256i high = load256(b.qh + 32 * h);
        const __m256i m4 = _mm256_set1_epi8(15);
        const __m256i m2 = _mm256_set1_epi8(3);
        const __m256i lo4 =
            i < 2 ? _mm256_and_si256(low, m4) : _mm256_and_si256(_mm256_srli_epi16(low, 4), m4);
        const __m256i hi2 =
            _mm256_and_si256(_mm256_srli_epi16(high, 2 * i), m2);  // bits 2i, 2i+1 of qh
        return _mm256_or_si256(lo4, _mm256_slli_epi16(hi2, 4));
    }

    static void scales(const BlockQ6_K& b, float* scale, std::uint32_t* corr, float* corr_scale) {
        const float d = _cvtsh_ss(b.d);
        for (int j = 0; j < 16; ++j) {
            scale[j] = d * static_cast<float>(b.scales[j]);
        }
        for (int k = 0; k < 8; ++k) {
            corr[k] =
                static_cast<std::uint32_t>(static_cast<std::uint16_t>(b.scales[2 * k])) |
                (static_cast<std::uint32_t>(static_cast<std::uint16_t>(b.scales[2 * k + 1])) << 16);
        }
        *corr_scale = 32.0f * d;
    }

    // Super-block sb of `panel` from packed panel block pb: d, then words 0-31 (ql), 32-47
    // (qh), 48-51 (int8 scales, four per word).
    static void fill_packed(const std::uint8_t* pb, std::int64_t sb, KPanel* panel) {
        const __m512 d = packed::halves16(pb);
        const std::uint8_t* words = pb + kPanelRows * 2;
        __m512i sc[16];
        for (unsigned i = 0; i < 4; ++i) {
            const __m512i w = packed::load512(words + 64 * (48 + i));
            for (unsigned j = 0; j < 4; ++j) {
                sc[4 * i + j] = packed::byte_s(w, j);
                _mm512_store_ps(panel->scales[sb][4 * i + j],
                                _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc[4 * i + j])));
            }
        }
        for (int k = 0; k < 8; ++k) {
            panel->corr[sb][k] =
                _mm512_or_si512(_mm512_and_si512(sc[2 * k], _mm512_set1_epi32(0xFFFF)),
                                _mm512_slli_epi32(sc[2 * k + 1], 16));
        }
        _mm512_store_ps(panel->corr_scale[sb], _mm512_mul_ps(d, _mm512_set1_ps(32.0f)));
        for (int h = 0; h < 2; ++h) {
            for (int g = 0; g < 8; ++g) {
                __m512i q[4];
                packed::q6_k_levels(packed::load512(words + 64 * (16 * h + g)),
                                    packed::load512(words + 64 * (16 * h + 8 + g)),
                                    packed::load512(words + 64 * (32 + 8 * h + g)), q);
                for (int j = 0; j < 4; ++j) {
                    panel->levels[sb][8 * (4 * h + j) + g] = q[j];
                }
            }
        }
    }
};

template <typename D>
void fill_k_panel(const std::uint8_t* w,
                  std::size_t w_row_bytes,
                  std::int64_t n_rows,
                  std::int64_t sb0,
                  std::int64_t n_super,
                  KPanel* panel) {
    using Block = typename D::BlockType;
    static const Block kZeroBlocks[kChunkSuper] = {};
    constexpr int kScales = 64 / D::kGroupsPerScale;
    const Block* rows[kPanelRows];
    for (std::int64_t r = 0; r < kPanelRows; ++r) {
        rows[r] =
            r < n_rows
                ? reinterpret_cast<const Block*>(w + static_cast<std::size_t>(r) * w_row_bytes) +
                      sb0
                : kZeroBlocks;
    }
    for (std::int64_t sb = 0; sb < n_super; ++sb) {
        for (int seg = 0; seg < 8; ++seg) {
            __m512i v[8];
            for (int k = 0; k < 4; ++k) {
                v[k] = join256(D::segment(rows[k][sb], seg), D::segment(rows[k + 4][sb], seg));
                v[4 + k] =
                    join256(D::segment(rows[k + 8][sb], seg), D::segment(rows[k + 12][sb], seg));
            }
            transpose_rows(v, panel->levels[sb] + 8 * seg);
        }
        alignas(64) std::uint32_t corr[8][kPanelRows];
        for (int r = 0; r < kPanelRows; ++r) {
            float scale[16];
            std::uint32_t c[8];
            D::scales(rows[r][sb], scale, c, &panel->corr_scale[sb][r]);
            for (int j = 0; j < kScales; ++j) {
                panel->scales[sb][j][r] = scale[j];
            }
            for (int k = 0; k < 8; ++k) {
                corr[k][r] = c[k];
            }
        }
        for (int k = 0; k < 8; ++k) {
            panel->corr[sb][k] = _mm512_load_si512(corr[k]);
        }
    }
}

template <typename D, std::size_t T>
void k_panel_tokens(const KPanel& panel,
                    std::int64_t n_super,
                    const std::uint8_t* x,
                    std::size_t x_row_bytes,
                    float* y,
                    std::int64_t y_stride,
                    __mmask16 row_mask,
                    bool is_accumulating) {
    constexpr int kG = D::kGroupsPerScale;
    constexpr int kScales = 64 / kG;
    __m512 acc[T];
#pragma GCC unroll 8
    for (std::size_t t = 0; t < T; ++t) {
        acc[t] = _mm512_setzero_ps();
    }
    for (std::int64_t sb = 0; sb < n_super; ++sb) {
        const BlockQ8_K* xb[T];
#pragma GCC unroll 8
        for (std::size_t t = 0; t < T; ++t) {
            xb[t] = reinterpret_cast<const BlockQ8_K*>(x + t * x_row_bytes) + sb;
        }
        for (int j = 0; j < kScales; ++j) {
            __m512i wq[static_cast<std::size_t>(kG)];
            for (int g = 0; g < kG; ++g) {
                wq[g] = panel.levels[sb][j * kG + g];
            }
            const __m512 ws = _mm512_load_ps(panel.scales[sb][j]);
#pragma GCC unroll 8
            for (std::size_t t = 0; t < T; ++t) {
                __m512i isum = _mm512_setzero_si512();
#pragma GCC unroll 8
                for (int g = 0; g < kG; ++g) {
                    std::int32_t four = 0;
                    std::memcpy(&four, xb[t]->qs + 4 * (j * kG + g), sizeof(four));
                    isum = _mm512_dpbusd_epi32(isum, wq[g], _mm512_set1_epi32(four));
                }
                acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum),
                                         _mm512_mul_ps(ws, _mm512_set1_ps(xb[t]->d)), acc[t]);
            }
        }
        const __m512 cs = _mm512_load_ps(panel.corr_scale[sb]);
#pragma GCC unroll 8
        for (std::size_t t = 0; t < T; ++t) {
            __m512i icorr = _mm512_setzero_si512();
            for (int k = 0; k < 8; ++k) {
                std::int32_t pair = 0;
                std::memcpy(&pair, xb[t]->bsums + 2 * k, sizeof(pair));
                icorr = _mm512_dpwssd_epi32(icorr, panel.corr[sb][k], _mm512_set1_epi32(pair));
            }
            acc[t] = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(icorr),
                                      _mm512_mul_ps(cs, _mm512_set1_ps(xb[t]->d)), acc[t]);
        }
    }
#pragma GCC unroll 8
    for (std::size_t t = 0; t < T; ++t) {
        float* out = y + static_cast<std::int64_t>(t) * y_stride;
        __m512 v = acc[t];
        if (is_accumulating) {
            v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(row_mask, out));
        }
        _mm512_mask_storeu_ps(out, row_mask, v);
    }
}

template <typename D>
struct KTokensTable {
    using Fn = void (*)(const KPanel&,
                        std::int64_t,
                        const std::uint8_t*,
                        std::size_t,
                        float*,
                        std::int64_t,
                        __mmask16,
                        bool);
    static constexpr Fn kFns[kMicroTokens] = {
        k_panel_tokens<D, 1>, k_panel_tokens<D, 2>, k_panel_tokens<D, 3>, k_panel_tokens<D, 4>,
        k_panel_tokens<D, 5>, k_panel_tokens<D, 6>, k_panel_tokens<D, 7>, k_panel_tokens<D, 8>,
    };
};

// x: Q8_K activation rows; x_sums unused (the blocks carry their bsums). kPacked: w holds
// packed panels (pack_rows) and n_rows is a multiple of kPanelRows.
template <typename D, bool kPacked>
void vec_dot_panel_k(const void* w,
                     std::size_t w_row_bytes,
                     std::int64_t n_rows,
                     const void* x,
                     std::size_t x_row_bytes,
                     const Q8_0BlockSum* /*x_sums*/,
                     std::int64_t /*x_sums_stride*/,
                     std::int64_t n_tokens,
                     float* y,
                     std::int64_t y_stride,
                     std::int64_t n) {
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xbytes = static_cast<const std::uint8_t*>(x);
    const std::int64_t n_super = n / kQkK;
    KPanel panel;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPanelRows) {
        const std::int64_t nr = n_rows - r0 < kPanelRows ? n_rows - r0 : kPanelRows;
        const auto row_mask = static_cast<__mmask16>((1u << nr) - 1u);
        for (std::int64_t sb0 = 0; sb0 < n_super; sb0 += kChunkSuper) {
            const std::int64_t ns = n_super - sb0 < kChunkSuper ? n_super - sb0 : kChunkSuper;
            if constexpr (kPacked) {
                constexpr std::size_t kPanelBlock = kPanelRows * sizeof(typename D::BlockType);
                const std::uint8_t* packed_panel =
                    wbytes + static_cast<std::size_t>(r0) * w_row_bytes;
                for (std::int64_t sb = 0; sb < ns; ++sb) {
                    D::fill_packed(packed_panel + static_cast<std::size_t>(sb0 + sb) * kPanelBlock,
                                   sb, &panel);
                }
            } else {
                fill_k_panel<D>(wbytes + static_cast<std::size_t>(r0) * w_row_bytes, w_row_bytes,
                                nr, sb0, ns, &panel);
            }
            const std::uint8_t* xchunk = xbytes + static_cast<std::size_t>(sb0) * sizeof(BlockQ8_K);
            for (std::int64_t t = 0; t < n_tokens; t += kMicroTokens) {
                const std::int64_t nt = n_tokens - t < kMicroTokens ? n_tokens - t : kMicroTokens;
                KTokensTable<D>::kFns[nt - 1](
                    panel, ns, xchunk + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
                    y + t * y_stride + r0, y_stride, row_mask, sb0 > 0);
            }
        }
    }
}

// ---- float weights (F32, F16, BF16) against f32 activations ----
//
// The same layout with f32 values: cols[c] lane r = value c of row r (a 16 x 16 transpose
// per 16 columns, done as two 16 x 8 dword transposes), then per (column, token) one FMA of
// the column with the token's value broadcast. No horizontal sums: a token's 16 row sums
// are stored as one vector.

// Columns per float panel chunk: 32 KB per panel, a pair in L2. Shorter chunks fit L1 but
// pay more in panel re-lays and in passes over y: on Llama-3.2-1B F16, pp256 at one thread
// ran 87, 93, 99 and 103 tokens/s with chunks of 128, 256, 512 and 1,024 columns.
constexpr std::int64_t kFloatChunk = 512;

struct alignas(64) FloatPanel {
    __m512 cols[kFloatChunk];
};

// Loaders of 8 consecutive weights of a row as f32, from element i; load_part reads only
// the first `count` (< 8) and zeroes the rest.
struct F32Load8 {
    static __m256 load(const void* row, std::int64_t i) {
        return _mm256_loadu_ps(static_cast<const float*>(row) + i);
    }

    static __m256 load_part(const void* row, std::int64_t i, std::int64_t count) {
        const auto m = static_cast<__mmask8>((1u << count) - 1u);
        return _mm256_maskz_loadu_ps(m, static_cast<const float*>(row) + i);
    }
};

struct F16Load8 {
    static __m256 load(const void* row, std::int64_t i) {
        return _mm256_cvtph_ps(load128(static_cast<const std::uint16_t*>(row) + i));
    }

    static __m256 load_part(const void* row, std::int64_t i, std::int64_t count) {
        const auto m = static_cast<__mmask8>((1u << count) - 1u);
        return _mm256_cvtph_ps(
            _mm_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(row) + i));
    }
};

struct BF16Load8 {
    static __m256 load(const void* row, std::int64_t i) {
        const __m256i wide =
            _mm256_cvtepu16_epi32(load128(static_cast<const std::uint16_t*>(row) + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }

    static __m256 load_part(const void* row, std::int64_t i, std::int64_t count) {
        const auto m = static_cast<__mmask8>((1u << count) - 1u);
        const __m256i wide = _mm256_cvtepu16_epi32(
            _mm_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(row) + i));
        return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
    }
};

// Re-lays columns [c0, c0 + n_cols) of rows 0 .. n_rows - 1 (at most 16) into `panel`;
// rows past n_rows are zero.
template <typename L>
void fill_float_panel(const std::uint8_t* w,
                      std::size_t w_row_bytes,
                      std::int64_t n_rows,
                      std::int64_t c0,
                      std::int64_t n_cols,
                      FloatPanel* panel) {
    for (std::int64_t c = 0; c < n_cols; c += 8) {
        const std::int64_t count = n_cols - c < 8 ? n_cols - c : 8;
        __m256 part[kPanelRows];
        for (std::int64_t r = 0; r < kPanelRows; ++r) {
            const std::uint8_t* row = w + static_cast<std::size_t>(r) * w_row_bytes;
            if (r >= n_rows) {
                part[r] = _mm256_setzero_ps();
            } else if (count == 8) {
                part[r] = L::load(row, c0 + c);
            } else {
                part[r] = L::load_part(row, c0 + c, count);
            }
        }
        __m512i v[8];
        for (int k = 0; k < 4; ++k) {
            v[k] = join256(_mm256_castps_si256(part[k]), _mm256_castps_si256(part[k + 4]));
            v[4 + k] = join256(_mm256_castps_si256(part[k + 8]), _mm256_castps_si256(part[k + 12]));
        }
        __m512i cols[8];
        transpose_rows(v, cols);
        for (std::int64_t j = 0; j < count; ++j) {
            panel->cols[c + j] = _mm512_castsi512_ps(cols[j]);
        }
    }
}

// T tokens (f32 rows, x_stride apart) against P panels side by side (16 P rows), n_cols
// columns each: y[t][16p + r] = (or +=) row sums. With P = 2 each broadcast token value
// feeds two FMAs: one panel alone needs a load per FMA (the column and the broadcast),
// which keeps the load ports, not the FMA units, busy.
template <std::size_t P, std::size_t T>
void float_panel_tokens(const FloatPanel* panels,
                        std::int64_t n_cols,
                        const float* x,
                        std::int64_t x_stride,
                        float* y,
                        std::int64_t y_stride,
                        __mmask16 last_mask,
                        bool is_accumulating) {
    __m512 acc[P][T];
#pragma GCC unroll 12
    for (std::size_t t = 0; t < T; ++t) {
#pragma GCC unroll 2
        for (std::size_t p = 0; p < P; ++p) {
            acc[p][t] = _mm512_setzero_ps();
        }
    }
    for (std::int64_t c = 0; c < n_cols; ++c) {
        __m512 wv[P];
#pragma GCC unroll 2
        for (std::size_t p = 0; p < P; ++p) {
            wv[p] = panels[p].cols[c];
        }
#pragma GCC unroll 12
        for (std::size_t t = 0; t < T; ++t) {
            const __m512 xv = _mm512_set1_ps(x[static_cast<std::int64_t>(t) * x_stride + c]);
#pragma GCC unroll 2
            for (std::size_t p = 0; p < P; ++p) {
                acc[p][t] = _mm512_fmadd_ps(wv[p], xv, acc[p][t]);
            }
        }
    }
#pragma GCC unroll 12
    for (std::size_t t = 0; t < T; ++t) {
#pragma GCC unroll 2
        for (std::size_t p = 0; p < P; ++p) {
            float* out = y + static_cast<std::int64_t>(t) * y_stride + 16 * p;
            const __mmask16 mask = p + 1 == P ? last_mask : static_cast<__mmask16>(0xFFFF);
            __m512 v = acc[p][t];
            if (is_accumulating) {
                v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, out));
            }
            _mm512_mask_storeu_ps(out, mask, v);
        }
    }
}

using FloatTokensFn = void (*)(const FloatPanel*,
                               std::int64_t,
                               const float*,
                               std::int64_t,
                               float*,
                               std::int64_t,
                               __mmask16,
                               bool);

// Tokens per micro-tile: 12 (with two panels: 24 accumulators, two columns and a broadcast,
// 27 of the 32 vector registers).
constexpr std::int64_t kFloatMicroTokens = 12;

template <std::size_t P>
struct FloatTokensTable {
    static constexpr FloatTokensFn kFns[kFloatMicroTokens] = {
        float_panel_tokens<P, 1>,  float_panel_tokens<P, 2>,  float_panel_tokens<P, 3>,
        float_panel_tokens<P, 4>,  float_panel_tokens<P, 5>,  float_panel_tokens<P, 6>,
        float_panel_tokens<P, 7>,  float_panel_tokens<P, 8>,  float_panel_tokens<P, 9>,
        float_panel_tokens<P, 10>, float_panel_tokens<P, 11>, float_panel_tokens<P, 12>,
    };
};

// x: f32 activation rows (x_row_bytes a multiple of 4); x_sums unused. Rows go in pairs of
// panels (32 rows), a last group of 16 rows or fewer in one panel; each panel column chunk
// meets every token while in L1.
template <typename L>
void vec_dot_panel_float(const void* w,
                         std::size_t w_row_bytes,
                         std::int64_t n_rows,
                         const void* x,
                         std::size_t x_row_bytes,
                         const Q8_0BlockSum* /*x_sums*/,
                         std::int64_t /*x_sums_stride*/,
                         std::int64_t n_tokens,
                         float* y,
                         std::int64_t y_stride,
                         std::int64_t n) {
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    const auto x_stride = static_cast<std::int64_t>(x_row_bytes / sizeof(float));
    FloatPanel panels[2];
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += 2 * kPanelRows) {
        const std::int64_t nr = n_rows - r0 < 2 * kPanelRows ? n_rows - r0 : 2 * kPanelRows;
        const bool is_pair = nr > kPanelRows;
        const std::int64_t last_rows = is_pair ? nr - kPanelRows : nr;
        const auto last_mask = static_cast<__mmask16>((1u << last_rows) - 1u);
        const FloatTokensFn* table =
            is_pair ? FloatTokensTable<2>::kFns : FloatTokensTable<1>::kFns;
        const std::uint8_t* rows = wbytes + static_cast<std::size_t>(r0) * w_row_bytes;
        for (std::int64_t c0 = 0; c0 < n; c0 += kFloatChunk) {
            const std::int64_t nc = n - c0 < kFloatChunk ? n - c0 : kFloatChunk;
            fill_float_panel<L>(rows, w_row_bytes, is_pair ? kPanelRows : nr, c0, nc, &panels[0]);
            if (is_pair) {
                fill_float_panel<L>(rows + kPanelRows * w_row_bytes, w_row_bytes, last_rows, c0, nc,
                                    &panels[1]);
            }
            for (std::int64_t t = 0; t < n_tokens; t += kFloatMicroTokens) {
                const std::int64_t nt =
                    n_tokens - t < kFloatMicroTokens ? n_tokens - t : kFloatMicroTokens;
                table[nt - 1](panels, nc, xf + t * x_stride + c0, x_stride, y + t * y_stride + r0,
                              y_stride, last_mask, c0 > 0);
            }
        }
    }
}

void set_panel(KernelSet& set, TensorType type, VecDotPanelFn fn) {
    set.by_type[static_cast<std::size_t>(type)].vec_dot_panel = fn;
}

void set_packed_panel(KernelSet& set, TensorType type, VecDotPanelFn fn) {
    set.by_type[static_cast<std::size_t>(type)].vec_dot_panel_packed = fn;
}

}  // namespace

void fill_avx512_panel_kernels(KernelSet& set) {
    set_panel(set, TensorType::kQ8_0, vec_dot_panel<Q8_0Panel, false>);
    set_panel(set, TensorType::kQ4_0, vec_dot_panel<Q4_0Panel, false>);
    set_panel(set, TensorType::kQ5_0, vec_dot_panel<Q5_0Panel, false>);
    set_panel(set, TensorType::kQ4_1, vec_dot_panel<Q4_1Panel, false>);
    set_panel(set, TensorType::kQ5_1, vec_dot_panel<Q5_1Panel, false>);
    set_panel(set, TensorType::kQ4_K, vec_dot_panel_k<ScaleMinDecoder<false, BlockQ4_K>, false>);
    set_panel(set, TensorType::kQ5_K, vec_dot_panel_k<ScaleMinDecoder<true, BlockQ5_K>, false>);
    set_panel(set, TensorType::kQ6_K, vec_dot_panel_k<Q6KDecoder, false>);
    set_packed_panel(set, TensorType::kQ8_0, vec_dot_panel<Q8_0Panel, true>);
    set_packed_panel(set, TensorType::kQ4_0, vec_dot_panel<Q4_0Panel, true>);
    set_packed_panel(set, TensorType::kQ5_0, vec_dot_panel<Q5_0Panel, true>);
    set_packed_panel(set, TensorType::kQ4_1, vec_dot_panel<Q4_1Panel, true>);
    set_packed_panel(set, TensorType::kQ5_1, vec_dot_panel<Q5_1Panel, true>);
    set_packed_panel(set, TensorType::kQ4_K,
                     vec_dot_panel_k<ScaleMinDecoder<false, BlockQ4_K>, true>);
    set_packed_panel(set, TensorType::kQ5_K,
                     vec_dot_panel_k<ScaleMinDecoder<true, BlockQ5_K>, true>);
    set_packed_panel(set, TensorType::kQ6_K, vec_dot_panel_k<Q6KDecoder, true>);
    set_panel(set, TensorType::kF32, vec_dot_panel_float<F32Load8>);
    set_panel(set, TensorType::kF16, vec_dot_panel_float<F16Load8>);
    set_panel(set, TensorType::kBF16, vec_dot_panel_float<BF16Load8>);
}

}  // namespace lore::kernels::x86
