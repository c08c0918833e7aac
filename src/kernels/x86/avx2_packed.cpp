// AVX2 kernels over packed weights (kernels.h, "Packed weights"; packed.cpp) for every type
// with a packed layout (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K): vec_dot_packed (one
// token), vec_dot_panel_packed (prompt batches), and vec_dot_panel, which lays rows of the file's
// layout out as panel blocks a chunk at a time (pack_panel_blocks) and runs the same code, so both
// layouts give the same sums bit for bit.
//
// A panel's 16 rows are two halves of 8 rows; a 256-bit vector holds one 4-byte word of each
// of the 8 rows (lane = row), so a half's 8 sums build up in one register and no horizontal
// sum is needed. AVX2 has no vpdpbusd; pmaddubsw (unsigned weight levels x signed activation
// bytes, broadcast to every lane) gives two int16 pair sums per row, and pmaddwd turns them
// into the row's int32 sum, multiplying by a sub-block scale on the way where there is one.
// The int16 sums must not saturate (activation levels are within +-127):
//   - Q4_0 (levels 0..15, offset 8): a pair sum is at most 2 * 15 * 127 = 3810, so all 8
//     pair sums of a block add up in int16 (<= 30480);
//   - Q5_0 / Q5_1 (levels 0..31): up to 2 * 31 * 127 = 7874, so two words at a time;
//     Q4_1 (0..15) as Q4_0;
//   - Q8_0 (signed levels, |q| times the activations with q's sign): up to 2 * 128 * 127 =
//     32512, so each word meets pmaddwd on its own;
//   - Q4_K (levels 0..15): the 8 words of a 32-value sub-block add up in int16, as Q4_0;
//     Q5_K (0..31): four words at a time;
//   - Q6_K (levels 0..63, offset 32): up to 2 * 63 * 127 = 16002, so two words at a time.
// Offsets and mins are removed exactly in integers, from the activation sums. Every int32
// sum is exact and the f32 steps are the AVX-512 packed kernels' own, so the two sets give
// the same results. Only reached through dispatch.cpp after CPUID said avx2/fma/f16c.
#include <cstring>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

constexpr int kHalfRows = 8;
constexpr std::size_t kHalves = 2;
static_assert(kPackRows == static_cast<std::int64_t>(kHalves) * kHalfRows);
constexpr std::size_t kPrefetchBytes = 6144;  // as the AVX-512 packed kernels
constexpr std::size_t kChunkBytes = 16384;    // a chunk of a panel stays in L1 for every token
constexpr std::int64_t kMicroTokens = 2;      // tokens per pass (AVX2 has 16 registers)

inline __m256i load256(const std::uint8_t* p) {
    return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
}

// Word k of the rows of half h, in panel-block words starting at `words` (64 bytes a word).
inline __m256i word(const std::uint8_t* words, int k, std::size_t h) {
    return load256(words + static_cast<std::size_t>(k) * 64 + h * 32);
}

// The 4 activation bytes at p, in every lane.
inline __m256i broadcast4(const std::int8_t* p) {
    std::int32_t v = 0;
    std::memcpy(&v, p, sizeof(v));
    return _mm256_set1_epi32(v);
}

// The 8 fp16 fields of half h among the 16 at p, as f32.
inline __m256 halves8(const std::uint8_t* p, std::size_t h) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p + h * 16)));
}

// Byte j (0..3) of every 32-bit lane, zero- or sign-extended.
inline __m256i byte_u(__m256i v, int j) {
    return _mm256_and_si256(_mm256_srli_epi32(v, 8 * j), _mm256_set1_epi32(0xFF));
}

inline __m256i byte_s(__m256i v, int j) {
    return _mm256_srai_epi32(_mm256_slli_epi32(v, 24 - 8 * j), 24);
}

// An int16-range value of every lane in both of its int16 halves: pmaddwd with it multiplies
// a row's two pair sums by it and adds them.
inline __m256i both_halves(__m256i v) {
    return _mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi32(0xFFFF)),
                           _mm256_slli_epi32(v, 16));
}

// Two int16 values as the two halves of one int32.
inline std::int32_t int16_pair(std::int32_t lo, std::int32_t hi) {
    return static_cast<std::int32_t>((static_cast<std::uint32_t>(lo) & 0xFFFFu) |
                                     (static_cast<std::uint32_t>(hi) << 16));
}

// Zeroes integer accumulators.
template <std::size_t N>
inline void set_zero(__m256i (&v)[N]) {
    for (__m256i& x : v) {
        x = _mm256_setzero_si256();
    }
}

template <std::size_t N, std::size_t M>
inline void set_zero(__m256i (&v)[N][M]) {
    for (auto& row : v) {
        set_zero(row);
    }
}

// acc + float(isum) * (d * xd): one block's exact integer sums of 8 rows, scaled by the
// rows' d and the activations' d, as the AVX-512 packed kernels do it.
inline __m256 add_scaled(__m256 acc, __m256i isum, __m256 d, float xd) {
    return _mm256_fmadd_ps(_mm256_cvtepi32_ps(isum), _mm256_mul_ps(d, _mm256_set1_ps(xd)), acc);
}

// One token's activations of the block being multiplied: the block, and for Q8_0 blocks
// their scale and level sum (Q8_0BlockSum).
struct TokenBlock {
    const std::uint8_t* x;
    const Q8_0BlockSum* sum;
};

// ---- Q4_0 and Q8_0 (Q8_0 activations) ----
//
// Panel block: 16 fp16 d, then the words. Q4_0 word k: byte i holds value 4k + i (low
// nibble) and 16 + 4k + i (high nibble). Q8_0 word k: signed levels 4k .. 4k + 3.

struct Q4_0Kernel {
    static constexpr TensorType kType = TensorType::kQ4_0;
    static constexpr std::int64_t kBlockValues = kQk32;
    static constexpr std::size_t kActBytes = sizeof(BlockQ8_0);
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(BlockQ4_0);

    template <std::size_t T>
    static void accumulate(const std::uint8_t* pb,
                           const TokenBlock (&x)[T],
                           __m256 (&acc)[T][kHalves]) {
        const std::uint8_t* words = pb + 32;
        const __m256i low4 = _mm256_set1_epi8(15);
        __m256i s16[T][kHalves];
        set_zero(s16);
#pragma GCC unroll 4
        for (int k = 0; k < 4; ++k) {
            __m256i lo[kHalves];
            __m256i hi[kHalves];
            for (std::size_t h = 0; h < kHalves; ++h) {
                const __m256i w = word(words, k, h);
                lo[h] = _mm256_and_si256(w, low4);
                hi[h] = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
            }
            for (std::size_t t = 0; t < T; ++t) {
                const auto* xq = reinterpret_cast<const BlockQ8_0*>(x[t].x)->qs;
                const __m256i a_lo = broadcast4(xq + 4 * k);
                const __m256i a_hi = broadcast4(xq + 16 + 4 * k);
                for (std::size_t h = 0; h < kHalves; ++h) {
                    s16[t][h] = _mm256_add_epi16(s16[t][h], _mm256_maddubs_epi16(lo[h], a_lo));
                    s16[t][h] = _mm256_add_epi16(s16[t][h], _mm256_maddubs_epi16(hi[h], a_hi));
                }
            }
        }
        const __m256i ones = _mm256_set1_epi16(1);
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256 d = halves8(pb, h);
            for (std::size_t t = 0; t < T; ++t) {
                const __m256i isum = _mm256_add_epi32(_mm256_madd_epi16(s16[t][h], ones),
                                                      _mm256_set1_epi32(-8 * x[t].sum->sum));
                acc[t][h] = add_scaled(acc[t][h], isum, d, x[t].sum->d);
            }
        }
    }
};

struct Q8_0Kernel {
    static constexpr TensorType kType = TensorType::kQ8_0;
    static constexpr std::int64_t kBlockValues = kQk32;
    static constexpr std::size_t kActBytes = sizeof(BlockQ8_0);
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(BlockQ8_0);

    template <std::size_t T>
    static void accumulate(const std::uint8_t* pb,
                           const TokenBlock (&x)[T],
                           __m256 (&acc)[T][kHalves]) {
        const std::uint8_t* words = pb + 32;
        const __m256i ones = _mm256_set1_epi16(1);
        __m256i isum[T][kHalves];
        set_zero(isum);
#pragma GCC unroll 8
        for (int k = 0; k < 8; ++k) {
            __m256i q[kHalves];
            __m256i u[kHalves];
            for (std::size_t h = 0; h < kHalves; ++h) {
                q[h] = word(words, k, h);
                u[h] = _mm256_abs_epi8(q[h]);
            }
            for (std::size_t t = 0; t < T; ++t) {
                const auto* xq = reinterpret_cast<const BlockQ8_0*>(x[t].x)->qs;
                const __m256i a = broadcast4(xq + 4 * k);
                for (std::size_t h = 0; h < kHalves; ++h) {
                    const __m256i pairs = _mm256_maddubs_epi16(u[h], _mm256_sign_epi8(a, q[h]));
                    isum[t][h] = _mm256_add_epi32(isum[t][h], _mm256_madd_epi16(pairs, ones));
                }
            }
        }
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256 d = halves8(pb, h);
            for (std::size_t t = 0; t < T; ++t) {
                acc[t][h] = add_scaled(acc[t][h], isum[t][h], d, x[t].sum->d);
            }
        }
    }
};

// Q5_0, Q4_1 and Q5_1. Panel block: 16 fp16 d (Q4_1 / Q5_1: then 16 fp16 m), then the
// words; five-bit types have qh first (bit j: the fifth bit of value j) and qs in the next
// four words, as in Q4_0. Q5_0's levels 0..31 carry an offset of 16; Q4_1 / Q5_1's levels are
// used as they are, and per block and row d * dx * dot(q, xq) + m * sx, where the Q8_1
// activations carry dx and sx = dx * sum(xq). Five-bit pair sums reach 2 * 31 * 127 = 7874,
// so they add up in int16 two words at a time (<= 31496); four-bit ones all four words at
// once, as Q4_0. Rows' halves one after the other.
template <bool kFiveBit, bool kHasMin, typename Block>
struct LegacyKernel {
    static constexpr TensorType kType =
        kFiveBit ? (kHasMin ? TensorType::kQ5_1 : TensorType::kQ5_0) : TensorType::kQ4_1;
    static_assert(kFiveBit || kHasMin, "Q4_0 has its own kernel");
    static constexpr std::int64_t kBlockValues = kQk32;
    static constexpr std::size_t kActBytes = kHasMin ? sizeof(BlockQ8_1) : sizeof(BlockQ8_0);
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(Block);
    static constexpr int kWordsPerSum = kFiveBit ? 2 : 4;

    // 16 where bit 4 * (k % 2) + i of byte `byte` of a row's qh is set, in byte i of the
    // row's lane (pshufb spreads the byte over its lane's four bytes).
    static __m256i fifth_bits(__m256i qh, int byte, int k) {
        const __m256i lane_base = _mm256_set_epi32(0x0C0C0C0C, 0x08080808, 0x04040404, 0,
                                                   0x0C0C0C0C, 0x08080808, 0x04040404, 0);
        const __m256i spread = _mm256_shuffle_epi8(
            qh, _mm256_add_epi8(lane_base, _mm256_set1_epi8(static_cast<char>(byte))));
        const __m256i bit =
            _mm256_set1_epi32(k % 2 == 0 ? 0x08040201 : static_cast<int>(0x80402010u));
        const __m256i is_set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
        return _mm256_and_si256(is_set, _mm256_set1_epi8(16));
    }

    // The activation levels of one token's block.
    static const std::int8_t* levels(const TokenBlock& x) {
        if constexpr (kHasMin) {
            return reinterpret_cast<const BlockQ8_1*>(x.x)->qs;
        } else {
            return reinterpret_cast<const BlockQ8_0*>(x.x)->qs;
        }
    }

    template <std::size_t T>
    static void accumulate(const std::uint8_t* pb,
                           const TokenBlock (&x)[T],
                           __m256 (&acc)[T][kHalves]) {
        const std::uint8_t* words = pb + (kHasMin ? 64 : 32);
        const std::uint8_t* qs = words + (kFiveBit ? 64 : 0);
        const __m256i low4 = _mm256_set1_epi8(15);
        const __m256i ones = _mm256_set1_epi16(1);
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256i qh = kFiveBit ? word(words, 0, h) : _mm256_setzero_si256();
            __m256i isum[T];
            for (std::size_t t = 0; t < T; ++t) {
                isum[t] = kHasMin ? _mm256_setzero_si256() : _mm256_set1_epi32(-16 * x[t].sum->sum);
            }
#pragma GCC unroll 2
            for (int k0 = 0; k0 < 4; k0 += kWordsPerSum) {
                __m256i s16[T];
                set_zero(s16);
#pragma GCC unroll 4
                for (int k = k0; k < k0 + kWordsPerSum; ++k) {
                    const __m256i w = word(qs, k, h);
                    __m256i lo = _mm256_and_si256(w, low4);
                    __m256i hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
                    if constexpr (kFiveBit) {
                        lo = _mm256_or_si256(lo, fifth_bits(qh, k / 2, k));
                        hi = _mm256_or_si256(hi, fifth_bits(qh, 2 + k / 2, k));
                    }
                    for (std::size_t t = 0; t < T; ++t) {
                        const std::int8_t* xq = levels(x[t]);
                        s16[t] = _mm256_add_epi16(s16[t],
                                                  _mm256_maddubs_epi16(lo, broadcast4(xq + 4 * k)));
                        s16[t] = _mm256_add_epi16(
                            s16[t], _mm256_maddubs_epi16(hi, broadcast4(xq + 16 + 4 * k)));
                    }
                }
                for (std::size_t t = 0; t < T; ++t) {
                    isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(s16[t], ones));
                }
            }
            const __m256 d = halves8(pb, h);
            for (std::size_t t = 0; t < T; ++t) {
                if constexpr (kHasMin) {
                    const auto* xb = reinterpret_cast<const BlockQ8_1*>(x[t].x);
                    const __m256 m = halves8(pb + 32, h);
                    acc[t][h] = add_scaled(acc[t][h], isum[t], d, _cvtsh_ss(xb->d));
                    acc[t][h] = _mm256_fmadd_ps(m, _mm256_set1_ps(_cvtsh_ss(xb->s)), acc[t][h]);
                } else {
                    acc[t][h] = add_scaled(acc[t][h], isum[t], d, x[t].sum->d);
                }
            }
        }
    }
};

// ---- Q4_K and Q6_K (Q8_K activations) ----
//
// Q4_K panel block: 16 fp16 d, 16 fp16 dmin, then words 0-2 (the twelve bytes of six-bit
// scales and mins) and words 3-34 (qs). Word 3 + 8c + g of a row holds values 64c + 4g + i
// (low nibbles, sub-block 2c) and 64c + 32 + 4g + i (high nibbles, sub-block 2c + 1).
// Per super-block and row: d * sum_j sc_j * dot_j - dmin * sum_j m_j * xsum_j, where xsum_j
// is the sum of sub-block j's activations; times the activations' d. The halves of rows are
// done one after the other (the 16 registers do not hold both).
//
// Q5_K: the same, with words 3-10 holding qh (bit 2c of byte j: the fifth bit of value
// 64c + j, bit 2c + 1 that of value 64c + 32 + j) and qs moved to words 11-42. Its levels
// reach 31, so pair sums (<= 2 * 31 * 127 = 7874) add up in int16 four words at a time.
template <bool kFiveBit, typename Block>
struct ScaleMinKernel {
    static constexpr TensorType kType = kFiveBit ? TensorType::kQ5_K : TensorType::kQ4_K;
    static constexpr std::int64_t kBlockValues = kQkK;
    static constexpr std::size_t kActBytes = sizeof(BlockQ8_K);
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(Block);
    static constexpr int kWordsPerSum = kFiveBit ? 4 : 8;

    template <std::size_t T>
    static void accumulate(const std::uint8_t* pb,
                           const TokenBlock (&x)[T],
                           __m256 (&acc)[T][kHalves]) {
        const std::uint8_t* words = pb + 64;
        const std::uint8_t* qh = words + 3 * 64;
        const std::uint8_t* qs = words + (kFiveBit ? 11 : 3) * 64;
        const __m256i low4 = _mm256_set1_epi8(15);
        const __m256i low1 = _mm256_set1_epi8(1);
        const __m256i low6 = _mm256_set1_epi8(0x3f);
        const __m256i low2 = _mm256_set1_epi8(3);
        const __m256i low_words = _mm256_set1_epi32(0x00FF00FF);
        const BlockQ8_K* xb[T];
        std::int32_t min_pairs[T][4];  // (xsum_0, xsum_2), (1, 3), (4, 6), (5, 7)
        for (std::size_t t = 0; t < T; ++t) {
            xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t].x);
            std::int32_t xsum[8];
            for (int j = 0; j < 8; ++j) {
                xsum[j] = xb[t]->bsums[2 * j] + xb[t]->bsums[2 * j + 1];
            }
            min_pairs[t][0] = int16_pair(xsum[0], xsum[2]);
            min_pairs[t][1] = int16_pair(xsum[1], xsum[3]);
            min_pairs[t][2] = int16_pair(xsum[4], xsum[6]);
            min_pairs[t][3] = int16_pair(xsum[5], xsum[7]);
        }
        for (std::size_t h = 0; h < kHalves; ++h) {
            const __m256i w0 = word(words, 0, h);
            const __m256i w1 = word(words, 1, h);
            const __m256i w2 = word(words, 2, h);
            const __m256i sc_lo = _mm256_and_si256(w0, low6);
            const __m256i sc_hi = _mm256_or_si256(
                _mm256_and_si256(w2, low4),
                _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w0, 6), low2), 4));
            __m256i isum[T];
            set_zero(isum);
#pragma GCC unroll 4
            for (int c = 0; c < 4; ++c) {
                // Scales of sub-blocks 2c and 2c + 1: bytes 2c % 4 and (2c + 1) % 4 of sc_lo
                // (c < 2) or sc_hi.
                const __m256i sc = c < 2 ? sc_lo : sc_hi;
                const __m256i sc_even = both_halves(byte_u(sc, (2 * c) % 4));
                const __m256i sc_odd = both_halves(byte_u(sc, (2 * c + 1) % 4));
#pragma GCC unroll 2
                for (int g0 = 0; g0 < 8; g0 += kWordsPerSum) {
                    __m256i dot_lo[T];
                    __m256i dot_hi[T];
                    set_zero(dot_lo);
                    set_zero(dot_hi);
#pragma GCC unroll 8
                    for (int g = g0; g < g0 + kWordsPerSum; ++g) {
                        const __m256i w = word(qs, 8 * c + g, h);
                        __m256i lo = _mm256_and_si256(w, low4);
                        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(w, 4), low4);
                        if constexpr (kFiveBit) {
                            const __m256i bits = word(qh, g, h);
                            lo = _mm256_or_si256(
                                lo, _mm256_slli_epi32(
                                        _mm256_and_si256(_mm256_srli_epi32(bits, 2 * c), low1), 4));
                            hi = _mm256_or_si256(
                                hi,
                                _mm256_slli_epi32(
                                    _mm256_and_si256(_mm256_srli_epi32(bits, 2 * c + 1), low1), 4));
                        }
                        for (std::size_t t = 0; t < T; ++t) {
                            const std::int8_t* xq = xb[t]->qs + 64 * c + 4 * g;
                            dot_lo[t] = _mm256_add_epi16(dot_lo[t],
                                                         _mm256_maddubs_epi16(lo, broadcast4(xq)));
                            dot_hi[t] = _mm256_add_epi16(
                                dot_hi[t], _mm256_maddubs_epi16(hi, broadcast4(xq + 32)));
                        }
                    }
                    for (std::size_t t = 0; t < T; ++t) {
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(dot_lo[t], sc_even));
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(dot_hi[t], sc_odd));
                    }
                }
            }
            const __m256i m_lo = _mm256_and_si256(w1, low6);
            const __m256i m_hi = _mm256_or_si256(
                _mm256_and_si256(_mm256_srli_epi32(w2, 4), low4),
                _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(w1, 6), low2), 4));
            const __m256i m02 = _mm256_and_si256(m_lo, low_words);
            const __m256i m13 = _mm256_and_si256(_mm256_srli_epi32(m_lo, 8), low_words);
            const __m256i m46 = _mm256_and_si256(m_hi, low_words);
            const __m256i m57 = _mm256_and_si256(_mm256_srli_epi32(m_hi, 8), low_words);
            const __m256 d = halves8(pb, h);
            const __m256 dmin = halves8(pb + 32, h);
            for (std::size_t t = 0; t < T; ++t) {
                __m256i mins = _mm256_madd_epi16(m02, _mm256_set1_epi32(min_pairs[t][0]));
                mins = _mm256_add_epi32(mins,
                                        _mm256_madd_epi16(m13, _mm256_set1_epi32(min_pairs[t][1])));
                mins = _mm256_add_epi32(mins,
                                        _mm256_madd_epi16(m46, _mm256_set1_epi32(min_pairs[t][2])));
                mins = _mm256_add_epi32(mins,
                                        _mm256_madd_epi16(m57, _mm256_set1_epi32(min_pairs[t][3])));
                __m256 s = _mm256_mul_ps(d, _mm256_cvtepi32_ps(isum[t]));
                s = _mm256_fnmadd_ps(dmin, _mm256_cvtepi32_ps(mins), s);
                acc[t][h] = _mm256_fmadd_ps(s, _mm256_set1_ps(xb[t]->d), acc[t][h]);
            }
        }
    }
};

// Q6_K panel block: 16 fp16 d, then words 0-31 (ql), 32-47 (qh), 48-51 (int8 scales of the
// 16-value sub-blocks). In half hb of a super-block, ql word 16hb + g (low nibbles: values
// 128hb + 4g + i, high: + 64), ql word 16hb + 8 + g (values + 32, + 96) and qh word
// 32 + 8hb + g (two bits for each of those) make the six-bit levels of values
// 128hb + 32j + 4g + i, j = 0..3: sub-block 8hb + 2j + g / 4. The offset 32 is removed as
// -32 * sum_s sc_s * bsum_s.
struct Q6_KKernel {
    static constexpr TensorType kType = TensorType::kQ6_K;
    static constexpr std::int64_t kBlockValues = kQkK;
    static constexpr std::size_t kActBytes = sizeof(BlockQ8_K);
    static constexpr std::size_t kPanelBlock = kPackRows * sizeof(BlockQ6_K);

    // The six-bit levels of values 128hb + 32j + 4g + i from the three words.
    static __m256i levels(__m256i ql0, __m256i ql1, __m256i qh, int j) {
        const __m256i low4 = _mm256_set1_epi8(15);
        const __m256i bits45 = _mm256_set1_epi8(0x30);
        switch (j) {
            case 0:
                return _mm256_or_si256(_mm256_and_si256(ql0, low4),
                                       _mm256_and_si256(_mm256_slli_epi16(qh, 4), bits45));
            case 1:
                return _mm256_or_si256(_mm256_and_si256(ql1, low4),
                                       _mm256_and_si256(_mm256_slli_epi16(qh, 2), bits45));
            case 2:
                return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), low4),
                                       _mm256_and_si256(qh, bits45));
            default:
                return _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), low4),
                                       _mm256_and_si256(_mm256_srli_epi16(qh, 2), bits45));
        }
    }

    template <std::size_t T>
    static void accumulate(const std::uint8_t* pb,
                           const TokenBlock (&x)[T],
                           __m256 (&acc)[T][kHalves]) {
        const std::uint8_t* words = pb + 32;
        const BlockQ8_K* xb[T];
        for (std::size_t t = 0; t < T; ++t) {
            xb[t] = reinterpret_cast<const BlockQ8_K*>(x[t].x);
        }
        for (std::size_t h = 0; h < kHalves; ++h) {
            __m256i sc[16];  // sub-block scales, sign-extended, in both int16 halves
#pragma GCC unroll 4
            for (int i = 0; i < 4; ++i) {
                const __m256i w = word(words, 48 + i, h);
#pragma GCC unroll 4
                for (int j = 0; j < 4; ++j) {
                    sc[4 * i + j] = both_halves(byte_s(w, j));
                }
            }
            __m256i isum[T];
            for (std::size_t t = 0; t < T; ++t) {
                // -32 * sum_s sc_s * bsum_s: scales and bsums of sub-blocks s, s + 1 in pairs.
                __m256i offset = _mm256_setzero_si256();
                for (int s = 0; s < 16; s += 2) {
                    const __m256i sc_pair =
                        _mm256_or_si256(_mm256_and_si256(sc[s], _mm256_set1_epi32(0xFFFF)),
                                        _mm256_slli_epi32(sc[s + 1], 16));
                    const std::int32_t bsum_pair = int16_pair(xb[t]->bsums[s], xb[t]->bsums[s + 1]);
                    offset = _mm256_add_epi32(
                        offset, _mm256_madd_epi16(sc_pair, _mm256_set1_epi32(bsum_pair)));
                }
                isum[t] = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_slli_epi32(offset, 5));
            }
#pragma GCC unroll 2
            for (int hb = 0; hb < 2; ++hb) {
#pragma GCC unroll 4
                for (int j = 0; j < 4; ++j) {
#pragma GCC unroll 4
                    for (int gp = 0; gp < 4; ++gp) {  // word pairs g = 2gp, 2gp + 1
                        __m256i q[2];
                        for (int i = 0; i < 2; ++i) {
                            const int g = 2 * gp + i;
                            q[i] =
                                levels(word(words, 16 * hb + g, h), word(words, 16 * hb + 8 + g, h),
                                       word(words, 32 + 8 * hb + g, h), j);
                        }
                        const __m256i scale = sc[8 * hb + 2 * j + gp / 2];
                        for (std::size_t t = 0; t < T; ++t) {
                            const std::int8_t* xq = xb[t]->qs + 128 * hb + 32 * j + 8 * gp;
                            const __m256i pairs =
                                _mm256_add_epi16(_mm256_maddubs_epi16(q[0], broadcast4(xq)),
                                                 _mm256_maddubs_epi16(q[1], broadcast4(xq + 4)));
                            isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs, scale));
                        }
                    }
                }
            }
            const __m256 d = halves8(pb, h);
            for (std::size_t t = 0; t < T; ++t) {
                acc[t][h] = add_scaled(acc[t][h], isum[t], d, xb[t]->d);
            }
        }
    }
};

// ---- the loops ----

// T tokens against blocks [b0, b0 + n_blocks) of one panel, whose panel blocks start at
// `chunk` (block b0's): y[t][0..n_valid) = (or +=) the row sums. x: the tokens' activation
// rows, x_row_bytes apart; sums: their Q8_0BlockSums (Q8_0 activations only).
template <typename W, std::size_t T, bool kPrefetch>
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
        if constexpr (kPrefetch) {
            // One token reads each weight once: a sequential stream, prefetched
            // non-temporally as in the AVX-512 packed kernels.
            for (std::size_t i = 0; i < W::kPanelBlock; i += 64) {
                _mm_prefetch(reinterpret_cast<const char*>(pb + kPrefetchBytes + i), _MM_HINT_NTA);
            }
        }
        TokenBlock blocks[T];
        for (std::size_t t = 0; t < T; ++t) {
            blocks[t].x = x + t * x_row_bytes + static_cast<std::size_t>(b) * W::kActBytes;
            blocks[t].sum =
                sums == nullptr ? nullptr : sums + static_cast<std::int64_t>(t) * sums_stride + b;
        }
        W::template accumulate<T>(pb, blocks, acc);
    }
    for (std::size_t t = 0; t < T; ++t) {
        float* out = y + static_cast<std::int64_t>(t) * y_stride;
        alignas(32) float row_sums[kPackRows];
        _mm256_store_ps(row_sums, acc[t][0]);
        _mm256_store_ps(row_sums + kHalfRows, acc[t][1]);
        for (std::int64_t r = 0; r < n_valid; ++r) {
            out[r] = is_accumulating ? out[r] + row_sums[r] : row_sums[r];
        }
    }
}

template <typename W>
void one_token(const void* panels,
               std::size_t w_row_bytes,
               std::int64_t n_panels,
               const void* x,
               const Q8_0BlockSum* x_sums,
               float* y,
               std::int64_t n) {
    const auto* base = static_cast<const std::uint8_t*>(panels);
    for (std::int64_t p = 0; p < n_panels; ++p) {
        panel_tokens<W, 1, true>(base + static_cast<std::size_t>(p) * kPackRows * w_row_bytes, 0,
                                 n / W::kBlockValues, static_cast<const std::uint8_t*>(x), 0,
                                 x_sums, 0, y + p * kPackRows, 0, kPackRows, false);
    }
}

// Blocks per chunk: at least one, else as many as fit kChunkBytes.
template <typename W>
constexpr std::int64_t chunk_blocks() {
    return W::kPanelBlock >= kChunkBytes ? 1
                                         : static_cast<std::int64_t>(kChunkBytes / W::kPanelBlock);
}

// Every token against one chunk of a panel, kMicroTokens at a time.
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
    const auto sums_at = [&](std::int64_t t) {
        return x_sums == nullptr ? nullptr : x_sums + t * x_sums_stride;
    };
    std::int64_t t = 0;
    for (; t + kMicroTokens <= n_tokens; t += kMicroTokens) {
        panel_tokens<W, kMicroTokens, false>(
            chunk, b0, n_blocks, x + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
            sums_at(t), x_sums_stride, y + t * y_stride, y_stride, n_valid, b0 > 0);
    }
    for (; t < n_tokens; ++t) {
        panel_tokens<W, 1, false>(
            chunk, b0, n_blocks, x + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
            sums_at(t), x_sums_stride, y + t * y_stride, y_stride, n_valid, b0 > 0);
    }
}

// Many tokens against packed panels (n_rows a multiple of kPackRows): per panel, a chunk of
// blocks meets every token before the next chunk.
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
    constexpr std::int64_t kChunk = chunk_blocks<W>();
    const auto* base = static_cast<const std::uint8_t*>(w);
    const std::int64_t n_blocks = n / W::kBlockValues;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPackRows) {
        const std::uint8_t* panel = base + static_cast<std::size_t>(r0) * w_row_bytes;
        for (std::int64_t b0 = 0; b0 < n_blocks; b0 += kChunk) {
            const std::int64_t nb = n_blocks - b0 < kChunk ? n_blocks - b0 : kChunk;
            chunk_products<W>(panel + static_cast<std::size_t>(b0) * W::kPanelBlock, b0, nb,
                              static_cast<const std::uint8_t*>(x), x_row_bytes, x_sums,
                              x_sums_stride, n_tokens, y + r0, y_stride, kPackRows);
        }
    }
}

// The same over rows in the file's layout (any n_rows): each chunk of up to 16 rows is laid
// out as panel blocks first.
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
    constexpr std::int64_t kChunk = chunk_blocks<W>();
    alignas(32) std::uint8_t chunk[static_cast<std::size_t>(kChunk) * W::kPanelBlock];
    const auto* base = static_cast<const std::uint8_t*>(w);
    const std::int64_t n_blocks = n / W::kBlockValues;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPackRows) {
        const std::int64_t n_valid = n_rows - r0 < kPackRows ? n_rows - r0 : kPackRows;
        for (std::int64_t b0 = 0; b0 < n_blocks; b0 += kChunk) {
            const std::int64_t nb = n_blocks - b0 < kChunk ? n_blocks - b0 : kChunk;
            pack_panel_blocks(W::kType, base + static_cast<std::size_t>(r0) * w_row_bytes,
                              w_row_bytes, n_valid, b0, nb, chunk);
            chunk_products<W>(chunk, b0, nb, static_cast<const std::uint8_t*>(x), x_row_bytes,
                              x_sums, x_sums_stride, n_tokens, y + r0, y_stride, n_valid);
        }
    }
}

template <typename W>
void set_kernels(KernelSet& set) {
    TypeKernels& entry = set.by_type[static_cast<std::size_t>(W::kType)];
    entry.vec_dot_packed = one_token<W>;
    entry.vec_dot_panel_packed = packed_panel<W>;
    entry.vec_dot_panel = file_panel<W>;
}

}  // namespace

void fill_avx2_packed_kernels(KernelSet& set) {
    set_kernels<Q4_0Kernel>(set);
    set_kernels<LegacyKernel<true, false, BlockQ5_0>>(set);
    set_kernels<LegacyKernel<false, true, BlockQ4_1>>(set);
    set_kernels<LegacyKernel<true, true, BlockQ5_1>>(set);
    set_kernels<Q8_0Kernel>(set);
    set_kernels<ScaleMinKernel<false, BlockQ4_K>>(set);
    set_kernels<ScaleMinKernel<true, BlockQ5_K>>(set);
    set_kernels<Q6_KKernel>(set);
}

}  // namespace lore::kernels::x86
