// AVX-512 (F, BW, VL, VNNI) vec_dot_packed kernels: one token against panels of 16 rows in
// the packed layout (kernels.h, "Packed weights"; packed.cpp). Every vector holds one value
// group of 16 rows (lane = row), so a panel's 16 sums build up in one register:
//   - a word of 4 weight levels per row meets the 4 matching activation bytes, broadcast to
//     every lane, in one vpdpbusd (unsigned levels x signed activations -> int32);
//   - levels are used unsigned; their offset (Q4_0: 8, Q5_0: 16, Q8_0: 128, Q6_K: 32) is
//     removed exactly by starting the int32 sums at -offset * sum(x) of the block or sub-block;
//   - K-quant sub-block scales multiply the int32 sums (vpmulld) before one conversion per
//     super-block; Q4_K's mins meet the 32-value sums of the activations in vpdpwssd;
//     Q4_1 / Q5_1 mins meet the Q8_1 activations' block sums in one f32 multiply-add.
// Results equal the file-layout vec_dot up to f32 summation order (tests/kernels/packed_test).
// Only reached through dispatch.cpp after CPUID said avx512f/bw/vl/vnni.
#include <cstring>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/avx512_packed_decode.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

constexpr std::size_t kLanes = 16;  // kPackRows
static_assert(kPackRows == static_cast<std::int64_t>(kLanes));

using packed::halves16;
using packed::load512;

// The 4 activation bytes starting at p, in every lane.
inline __m512i broadcast4(const void* p) {
    std::int32_t v = 0;
    std::memcpy(&v, p, sizeof(v));
    return _mm512_set1_epi32(v);
}

// Panels are read as one sequential stream (the next panel follows the last block of this
// one); the hardware prefetchers alone left it at 60-70 % of the bandwidth from DRAM.
// Each block prefetches the bytes kPrefetchBytes ahead of itself, non-temporally: weights
// are read once per token, and keeping them out of the outer caches made one-thread
// generation of Llama-1B Q4_0 0-10 % (4 % on average over five interleaved runs) faster
// than a T0 prefetch, Q4_K_M 1-2 %.
constexpr std::size_t kPrefetchBytes = 6144;

template <std::size_t kBytes>
inline void prefetch_block(const std::uint8_t* block) {
    for (std::size_t i = 0; i < kBytes; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(block + kPrefetchBytes + i), _MM_HINT_NTA);
    }
}

inline void store16(float* y, __m512 v) {
    _mm512_storeu_ps(y, v);
}

// Runs acc = block(panel block b, b, acc) over the n_blocks blocks of every panel, in memory
// order, and stores each panel's 16 sums at y. (Two streams, panels p and p + n_panels / 2
// interleaved, measured the same from DRAM for Q4_0 / Q8_0 / Q4_K and 25 % slower for Q6_K,
// whose 16 sub-block sums per panel then no longer fit the registers.)
template <std::size_t kPanelBlock, typename Block>
inline void for_each_panel(const void* panels,
                           std::size_t w_row_bytes,
                           std::int64_t n_panels,
                           std::int64_t n_blocks,
                           float* y,
                           const Block& block) {
    const auto* base = static_cast<const std::uint8_t*>(panels);
    for (std::int64_t p = 0; p < n_panels; ++p) {
        const std::uint8_t* panel = base + static_cast<std::size_t>(p) * kLanes * w_row_bytes;
        __m512 acc = _mm512_setzero_ps();
        for (std::int64_t b = 0; b < n_blocks; ++b) {
            prefetch_block<kPanelBlock>(panel + static_cast<std::size_t>(b) * kPanelBlock);
            acc = block(panel + static_cast<std::size_t>(b) * kPanelBlock, b, acc);
        }
        store16(y + p * static_cast<std::int64_t>(kLanes), acc);
    }
}

// ---- The 32-value types: Q4_0, Q5_0, Q8_0 (Q8_0 activations), Q4_1, Q5_1 (Q8_1) ----
//
// Panel block: 16 fp16 d (Q4_1 / Q5_1: then 16 fp16 m), then words of the 16 rows. Q5_0 /
// Q5_1: word 0 is qh, the 32 fifth bits (bit j: value j). Then the 4 words of qs: byte j of
// a row's qs holds value j (low nibble) and j + 16 (high nibble), so word k's low nibbles
// are values 4k..4k+3 and its high nibbles 16+4k..16+4k+3. Q8_0: 8 words of signed levels,
// made unsigned by flipping the sign bit (q + 128).

// The int32 dot of the 32 levels of a 4-bit (kFiveBit: 5-bit) panel block with the
// activations xq, added to sum.
template <bool kFiveBit>
inline __m512i dot_nibbles(const std::uint8_t* words, const std::int8_t* xq, __m512i sum) {
    const std::uint8_t* qs = words + (kFiveBit ? 64 : 0);
    const packed::FifthBits qh(kFiveBit ? load512(words) : _mm512_setzero_si512());
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
        __m512i lo;
        __m512i hi;
        packed::nibbles(load512(qs + 64 * k), lo, hi);
        if constexpr (kFiveBit) {
            packed::add_fifth_bits(qh, k, lo, hi);
        }
        sum = _mm512_dpbusd_epi32(sum, lo, broadcast4(xq + 4 * k));
        sum = _mm512_dpbusd_epi32(sum, hi, broadcast4(xq + 16 + 4 * k));
    }
    return sum;
}

// Q4_0 (kFiveBit false, levels offset 8) and Q5_0 (offset 16).
template <bool kFiveBit, typename Block>
void packed_scale_only(const void* panels,
                       std::size_t w_row_bytes,
                       std::int64_t n_panels,
                       const void* x,
                       const Q8_0BlockSum* x_sums,
                       float* y,
                       std::int64_t n) {
    constexpr std::size_t kPanelBlock = kLanes * sizeof(Block);
    constexpr std::int32_t kOffset = kFiveBit ? 16 : 8;
    const auto* xb = static_cast<const BlockQ8_0*>(x);
    const std::int64_t n_blocks = n / kQk32;
    for_each_panel<kPanelBlock>(
        panels, w_row_bytes, n_panels, n_blocks, y,
        [&](const std::uint8_t* pb, std::int64_t b, __m512 acc) {
            const __m512i sum = dot_nibbles<kFiveBit>(pb + 32, xb[b].qs,
                                                      _mm512_set1_epi32(-kOffset * x_sums[b].sum));
            const __m512 scale = _mm512_mul_ps(halves16(pb), _mm512_set1_ps(x_sums[b].d));
            return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc);
        });
}

// Q4_1 and Q5_1: levels are used as they are (x = d * q + m), and per block and row
// d * dx * dot(q, xq) + m * sx, where the Q8_1 activations carry dx and sx = dx * sum(xq).
template <bool kFiveBit, typename Block>
void packed_scale_min_32(const void* panels,
                         std::size_t w_row_bytes,
                         std::int64_t n_panels,
                         const void* x,
                         const Q8_0BlockSum* /*x_sums*/,
                         float* y,
                         std::int64_t n) {
    constexpr std::size_t kPanelBlock = kLanes * sizeof(Block);
    const auto* xb = static_cast<const BlockQ8_1*>(x);
    const std::int64_t n_blocks = n / kQk32;
    alignas(64) float x_scales[kPackMaxCols / kQk32][2];
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        x_scales[b][0] = _cvtsh_ss(xb[b].d);
        x_scales[b][1] = _cvtsh_ss(xb[b].s);
    }
    for_each_panel<kPanelBlock>(
        panels, w_row_bytes, n_panels, n_blocks, y,
        [&](const std::uint8_t* pb, std::int64_t b, __m512 acc) {
            const __m512i sum = dot_nibbles<kFiveBit>(pb + 64, xb[b].qs, _mm512_setzero_si512());
            const __m512 scale = _mm512_mul_ps(halves16(pb), _mm512_set1_ps(x_scales[b][0]));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc);
            return _mm512_fmadd_ps(halves16(pb + 32), _mm512_set1_ps(x_scales[b][1]), acc);
        });
}

void packed_q8_0(const void* panels,
                 std::size_t w_row_bytes,
                 std::int64_t n_panels,
                 const void* x,
                 const Q8_0BlockSum* x_sums,
                 float* y,
                 std::int64_t n) {
    constexpr std::size_t kPanelBlock = kLanes * sizeof(BlockQ8_0);
    const auto* xb = static_cast<const BlockQ8_0*>(x);
    const std::int64_t n_blocks = n / kQk32;
    const __m512i sign = _mm512_set1_epi8(static_cast<char>(0x80));
    for_each_panel<kPanelBlock>(
        panels, w_row_bytes, n_panels, n_blocks, y,
        [&](const std::uint8_t* pb, std::int64_t b, __m512 acc) {
            const std::int8_t* xq = xb[b].qs;
            __m512i sum = _mm512_set1_epi32(-128 * x_sums[b].sum);
#pragma GCC unroll 8
            for (int k = 0; k < 8; ++k) {
                const __m512i w = _mm512_xor_si512(load512(pb + 32 + 64 * k), sign);
                sum = _mm512_dpbusd_epi32(sum, w, broadcast4(xq + 4 * k));
            }
            const __m512 scale = _mm512_mul_ps(halves16(pb), _mm512_set1_ps(x_sums[b].d));
            return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc);
        });
}

// ---- Q4_K and Q6_K (Q8_K activations) ----

constexpr std::int64_t kMaxSuperBlocks = kPackMaxCols / kQkK;

using packed::byte_s;

// Q4_K panel block: 16 fp16 d, 16 fp16 dmin, then words 0-2 (the twelve bytes of six-bit
// scales and mins) and words 3-34 (qs). Word 3 + 8c + g of a row holds values 64c + 4g + i
// (low nibbles, sub-block 2c) and 64c + 32 + 4g + i (high nibbles, sub-block 2c + 1).
// Per super-block and row: sum = d * sum_j sc_j * dot_j - dmin * sum_j m_j * xsum_j, where
// xsum_j is the sum of the activations of sub-block j; times the activations' d.
// Q5_K: the same, with words 3-10 holding qh (32 bytes: bit 2c of byte j is the fifth bit of
// value 64c + j, bit 2c + 1 that of value 64c + 32 + j) and qs moved to words 11-42.
template <bool kFiveBit, typename Block>
void packed_scale_min(const void* panels,
                      std::size_t w_row_bytes,
                      std::int64_t n_panels,
                      const void* x,
                      const Q8_0BlockSum* /*x_sums*/,
                      float* y,
                      std::int64_t n) {
    constexpr std::size_t kPanelBlock = kLanes * sizeof(Block);
    const auto* xb = static_cast<const BlockQ8_K*>(x);
    const std::int64_t n_blocks = n / kQkK;
    // Per super-block, the sub-block sums as int16 pairs (xsum_0, xsum_2), (xsum_1, xsum_3),
    // (xsum_4, xsum_6), (xsum_5, xsum_7): the order the mins come out of their bytes.
    alignas(64) std::int32_t min_pairs[kMaxSuperBlocks][4];
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        std::int32_t xsum[8];
        for (int j = 0; j < 8; ++j) {
            xsum[j] = xb[b].bsums[2 * j] + xb[b].bsums[2 * j + 1];
        }
        auto pair = [](std::int32_t lo, std::int32_t hi) {
            return static_cast<std::int32_t>((static_cast<std::uint32_t>(lo) & 0xFFFFu) |
                                             (static_cast<std::uint32_t>(hi) << 16));
        };
        min_pairs[b][0] = pair(xsum[0], xsum[2]);
        min_pairs[b][1] = pair(xsum[1], xsum[3]);
        min_pairs[b][2] = pair(xsum[4], xsum[6]);
        min_pairs[b][3] = pair(xsum[5], xsum[7]);
    }
    const __m512i low_bytes = _mm512_set1_epi32(0x00FF00FF);
    for_each_panel<kPanelBlock>(
        panels, w_row_bytes, n_panels, n_blocks, y,
        [&](const std::uint8_t* pb, std::int64_t b, __m512 acc) {
            const std::uint8_t* words = pb + 64;
            const packed::ScalesMins sm(words);
            const std::int8_t* xq = xb[b].qs;
            const std::uint8_t* qh = words + 3 * 64;
            const std::uint8_t* qs = words + (kFiveBit ? 11 : 3) * 64;
            __m512i sum = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (unsigned c = 0; c < 4; ++c) {
                __m512i dot_lo = _mm512_setzero_si512();
                __m512i dot_hi = _mm512_setzero_si512();
#pragma GCC unroll 8
                for (unsigned g = 0; g < 8; ++g) {
                    __m512i lo;
                    __m512i hi;
                    packed::nibbles(load512(qs + 64 * (8 * c + g)), lo, hi);
                    if constexpr (kFiveBit) {
                        packed::add_k_fifth_bits(load512(qh + 64 * g), c, lo, hi);
                    }
                    dot_lo = _mm512_dpbusd_epi32(dot_lo, lo, broadcast4(xq + 64 * c + 4 * g));
                    dot_hi = _mm512_dpbusd_epi32(dot_hi, hi, broadcast4(xq + 64 * c + 32 + 4 * g));
                }
                sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(dot_lo, sm.scale(2 * c)));
                sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(dot_hi, sm.scale(2 * c + 1)));
            }
            __m512i mins = _mm512_setzero_si512();
            mins = _mm512_dpwssd_epi32(mins, _mm512_and_si512(sm.m_lo, low_bytes),
                                       _mm512_set1_epi32(min_pairs[b][0]));
            mins = _mm512_dpwssd_epi32(mins,
                                       _mm512_and_si512(_mm512_srli_epi32(sm.m_lo, 8), low_bytes),
                                       _mm512_set1_epi32(min_pairs[b][1]));
            mins = _mm512_dpwssd_epi32(mins, _mm512_and_si512(sm.m_hi, low_bytes),
                                       _mm512_set1_epi32(min_pairs[b][2]));
            mins = _mm512_dpwssd_epi32(mins,
                                       _mm512_and_si512(_mm512_srli_epi32(sm.m_hi, 8), low_bytes),
                                       _mm512_set1_epi32(min_pairs[b][3]));
            __m512 s = _mm512_mul_ps(halves16(pb), _mm512_cvtepi32_ps(sum));
            s = _mm512_fnmadd_ps(halves16(pb + 32), _mm512_cvtepi32_ps(mins), s);
            return _mm512_fmadd_ps(s, _mm512_set1_ps(xb[b].d), acc);
        });
}

// Q6_K panel block: 16 fp16 d, then words 0-31 (ql), 32-47 (qh), 48-51 (int8 scales of
// 16-value sub-blocks). In half h of a super-block, ql word 16h + g (low nibbles: values
// 128h + 4g + i, high: 128h + 64 + 4g + i), ql word 16h + 8 + g (values + 32, + 96) and qh
// word 32 + 8h + g (two bits for each of those four) make four words of six-bit levels.
// Sub-block s starts its int32 sum at -32 * (sum of its 16 activations).
void packed_q6_k(const void* panels,
                 std::size_t w_row_bytes,
                 std::int64_t n_panels,
                 const void* x,
                 const Q8_0BlockSum* /*x_sums*/,
                 float* y,
                 std::int64_t n) {
    constexpr std::size_t kPanelBlock = kLanes * sizeof(BlockQ6_K);
    const auto* xb = static_cast<const BlockQ8_K*>(x);
    const std::int64_t n_blocks = n / kQkK;
    alignas(64) std::int32_t offsets[kMaxSuperBlocks][16];
    for (std::int64_t b = 0; b < n_blocks; ++b) {
        for (int s = 0; s < 16; ++s) {
            offsets[b][s] = -32 * xb[b].bsums[s];
        }
    }
    for_each_panel<kPanelBlock>(
        panels, w_row_bytes, n_panels, n_blocks, y,
        [&](const std::uint8_t* pb, std::int64_t b, __m512 acc) {
            const std::uint8_t* words = pb + 32;
            const std::int8_t* xq = xb[b].qs;
            __m512i dot[16];
#pragma GCC unroll 16
            for (int s = 0; s < 16; ++s) {
                dot[s] = _mm512_set1_epi32(offsets[b][s]);
            }
#pragma GCC unroll 2
            for (int h = 0; h < 2; ++h) {
#pragma GCC unroll 8
                for (int g = 0; g < 8; ++g) {
                    __m512i q[4];
                    packed::q6_k_levels(load512(words + 64 * (16 * h + g)),
                                        load512(words + 64 * (16 * h + 8 + g)),
                                        load512(words + 64 * (32 + 8 * h + g)), q);
                    const int base = 128 * h + 4 * g;  // value index of q[0]'s first level
                    const int s0 = base / 16;          // its sub-block
#pragma GCC unroll 4
                    for (int j = 0; j < 4; ++j) {
                        dot[s0 + 2 * j] = _mm512_dpbusd_epi32(dot[s0 + 2 * j], q[j],
                                                              broadcast4(xq + base + 32 * j));
                    }
                }
            }
            __m512i sum = _mm512_setzero_si512();
#pragma GCC unroll 4
            for (unsigned i = 0; i < 4; ++i) {
                const __m512i sc = load512(words + 64 * (48 + i));
#pragma GCC unroll 4
                for (unsigned j = 0; j < 4; ++j) {
                    sum = _mm512_add_epi32(sum, _mm512_mullo_epi32(dot[4 * i + j], byte_s(sc, j)));
                }
            }
            const __m512 scale = _mm512_mul_ps(halves16(pb), _mm512_set1_ps(xb[b].d));
            return _mm512_fmadd_ps(_mm512_cvtepi32_ps(sum), scale, acc);
        });
}

void set_packed(KernelSet& set, TensorType type, VecDotPackedFn fn) {
    set.by_type[static_cast<std::size_t>(type)].vec_dot_packed = fn;
}

}  // namespace

void fill_avx512_packed_kernels(KernelSet& set) {
    set_packed(set, TensorType::kQ4_0, packed_scale_only<false, BlockQ4_0>);
    set_packed(set, TensorType::kQ5_0, packed_scale_only<true, BlockQ5_0>);
    set_packed(set, TensorType::kQ4_1, packed_scale_min_32<false, BlockQ4_1>);
    set_packed(set, TensorType::kQ5_1, packed_scale_min_32<true, BlockQ5_1>);
    set_packed(set, TensorType::kQ8_0, packed_q8_0);
    set_packed(set, TensorType::kQ4_K, packed_scale_min<false, BlockQ4_K>);
    set_packed(set, TensorType::kQ5_K, packed_scale_min<true, BlockQ5_K>);
    set_packed(set, TensorType::kQ6_K, packed_q6_k);
}

}  // namespace lore::kernels::x86
