// AVX-512 (F, BW, VL, VNNI) multi-token micro-kernels: vec_dot_tile entries, which compute a
// block Y[t, r] of a matrix product with quantized activations, and the float types'
// weighted_rows (attention's sum of V rows). The point is register
// blocking: a micro-tile of kTileRows weight rows x kTileTokens tokens keeps its 16 sums in
// registers, each weight block is decoded once per micro-tile (not once per token) and each
// activation block is loaded once per micro-tile (not once per row).
//
// Integer dot products are vpdpbusd (unsigned bytes x signed bytes -> int32 quads):
//   - Q8_0 / Q4_0 / Q5_0 weights (Q8_0 activations): two 32-value blocks per 512-bit vector.
//     Weight levels are made unsigned by adding 128 (q + 128 in 1..255); the added
//     128 * sum(x) is removed exactly in integers by starting each accumulator at
//     -128 * sum(x), computed once per token. Per block the int32 sums are converted and
//     scaled by d_w * d_x in f32 (lanes 0-7 block 2p, lanes 8-15 block 2p+1).
//   - Q4_K / Q5_K / Q6_K weights (Q8_K activations): a 256-value super-block is four
//     64-value vectors of unsigned levels; sub-block scales are applied in f32 per lane, the
//     mins (Q4_K, Q5_K) or Q6_K's -32 offset meet the activation bsums through one vpmaddwd.
//   - F16 / BF16 / F32 weights (f32 activations): 16 values per FMA, weights converted once
//     per micro-tile.
// Results equal the single-pair vec_dot up to f32 summation order (tests/kernels/tile_test).
// Only reached through dispatch.cpp after CPUID said avx512f/bw/vl/vnni.
#include <cstring>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

constexpr int kTileRows = 4;
constexpr int kTileTokens = 4;
constexpr std::size_t kPrefetchRows = 16;

// Arguments of one micro-tile: R rows starting at `w`, T tokens starting at `x`.
struct TileArgs {
    const std::uint8_t* w;
    std::size_t w_row_bytes;
    const std::uint8_t* x;
    std::size_t x_row_bytes;
    float* y;
    std::int64_t y_stride;
    std::int64_t n;
};

inline float half(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline __m512i join256(__m256i lo, __m256i hi) {
    return _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
}

inline __m256i load256(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

inline __m128i load128(const void* p) {
    return _mm_loadu_si128(static_cast<const __m128i*>(p));
}

// lanes 0-7 = a, lanes 8-15 = b.
inline __m512 halves(float a, float b) {
    return _mm512_mask_mov_ps(_mm512_set1_ps(a), 0xFF00, _mm512_set1_ps(b));
}

// Prefetch for the micro-tile kPrefetchRows rows below: while a step reads bytes
// [offset, offset + n_bytes) of each of its R rows (R short streams), prefetch R * n_bytes
// bytes at the same relative position of the contiguous R-row region further on, so memory
// sees one sequential stream. Rows are short (18-64 blocks) and the hardware prefetchers
// follow brief interleaved streams poorly: without this a one-token pass over a matrix in
// DRAM ran at ~0.75x of the one-row-at-a-time loop (gemv_dram_* in bench/kernels).
template <std::size_t R>
inline void prefetch_ahead(const TileArgs& a, std::size_t offset, std::size_t n_bytes) {
    const std::uint8_t* p = a.w + kPrefetchRows * a.w_row_bytes + R * offset;
    for (std::size_t i = 0; i < R * n_bytes; i += 64) {
        _mm_prefetch(reinterpret_cast<const char*>(p + i), _MM_HINT_T0);
    }
}

// The lane sums of a, b, c and d in lanes 0-3, in one tree for all four: pairs of lanes
// within each 128-bit lane first (unpack, shuffle), then the four 128-bit lanes. Four
// separate reductions cost 2.5x the instructions, which showed in attention over short
// rows (64-value heads), where a tile does only four steps before its sums.
inline __m128 sum_lanes4(__m512 a, __m512 b, __m512 c, __m512 d) {
    const __m512 ab = _mm512_add_ps(_mm512_unpacklo_ps(a, b), _mm512_unpackhi_ps(a, b));
    const __m512 cd = _mm512_add_ps(_mm512_unpacklo_ps(c, d), _mm512_unpackhi_ps(c, d));
    const __m512 abcd =
        _mm512_add_ps(_mm512_shuffle_ps(ab, cd, 0x44), _mm512_shuffle_ps(ab, cd, 0xEE));
    const __m256 upper = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(abcd), 1));
    const __m256 half = _mm256_add_ps(_mm512_castps512_ps256(abcd), upper);
    return _mm_add_ps(_mm256_castps256_ps128(half), _mm256_extractf128_ps(half, 1));
}

// y[t, r] = the lane sum of acc[r][t]. A row's sum does not depend on R or T (missing rows
// are zero vectors in the tree), so results do not depend on where a matrix is split.
template <std::size_t R, std::size_t T>
void store_sums(const __m512 (&acc)[R][T], const TileArgs& a) {
    static_assert(R >= 1 && R <= 4);
    const __m512 zero = _mm512_setzero_ps();
    for (std::size_t t = 0; t < T; ++t) {
        const __m128 sums =
            sum_lanes4(acc[0][t], R > 1 ? acc[R > 1 ? 1 : 0][t] : zero,
                       R > 2 ? acc[R > 2 ? 2 : 0][t] : zero, R > 3 ? acc[R > 3 ? 3 : 0][t] : zero);
        _mm_mask_storeu_ps(a.y + static_cast<std::int64_t>(t) * a.y_stride,
                           static_cast<__mmask8>((1u << R) - 1u), sums);
    }
}

// ---- Q8_0-activation family: Q8_0, Q4_0, Q5_0 weights, two blocks per vector ----

// Levels + 128 of one block (32 bytes, as unsigned) in a 256-bit vector's place.
inline __m512i offset_levels_q8_0(const BlockQ8_0* b, bool has_second) {
    const __m256i lo = load256(b[0].qs);
    const __m256i hi = has_second ? load256(b[1].qs) : _mm256_setzero_si256();
    return _mm512_xor_si512(join256(lo, hi), _mm512_set1_epi8(static_cast<char>(0x80)));
}

// Nibbles of blocks b0, b1 in value order: [lo0 hi0 lo1 hi1] as 16-byte lanes.
inline __m512i nibbles_pair(const std::uint8_t* qs0, const std::uint8_t* qs1, bool has_second) {
    const __m128i q0 = load128(qs0);
    const __m128i q1 = has_second ? load128(qs1) : _mm_setzero_si128();
    const __m256i both = _mm256_inserti128_si256(_mm256_castsi128_si256(q0), q1, 1);
    const __m256i mask = _mm256_set1_epi8(15);
    const __m256i lo = _mm256_and_si256(both, mask);                        // [lo0 lo1]
    const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(both, 4), mask);  // [hi0 hi1]
    const __m512i z = join256(lo, hi);                                      // lo0 lo1 hi0 hi1
    return _mm512_shuffle_i64x2(z, z, _MM_SHUFFLE(3, 1, 2, 0));
}

inline __m512i offset_levels_q4_0(const BlockQ4_0* b, bool has_second) {
    // (q - 8) + 128
    return _mm512_add_epi8(nibbles_pair(b[0].qs, b[1].qs, has_second), _mm512_set1_epi8(120));
}

inline __m512i offset_levels_q5_0(const BlockQ5_0* b, bool has_second) {
    std::uint32_t qh0 = 0;
    std::uint32_t qh1 = 0;
    std::memcpy(&qh0, b[0].qh, sizeof(qh0));
    if (has_second) {
        std::memcpy(&qh1, b[1].qh, sizeof(qh1));
    }
    const __mmask64 bit4 = _cvtu64_mask64(qh0 | (static_cast<std::uint64_t>(qh1) << 32));
    __m512i q = nibbles_pair(b[0].qs, b[1].qs, has_second);
    q = _mm512_mask_add_epi8(q, bit4, q, _mm512_set1_epi8(16));
    // (q - 16) + 128
    return _mm512_add_epi8(q, _mm512_set1_epi8(112));
}

// Weight decoders of the family: BlockType and levels(b, has_second) = the offset levels of
// blocks b[0] and (if has_second) b[1].
struct Q8_0Weights {
    using BlockType = BlockQ8_0;

    static __m512i levels(const BlockQ8_0* b, bool has_second) {
        return offset_levels_q8_0(b, has_second);
    }
};

struct Q4_0Weights {
    using BlockType = BlockQ4_0;

    static __m512i levels(const BlockQ4_0* b, bool has_second) {
        return offset_levels_q4_0(b, has_second);
    }
};

struct Q5_0Weights {
    using BlockType = BlockQ5_0;

    static __m512i levels(const BlockQ5_0* b, bool has_second) {
        return offset_levels_q5_0(b, has_second);
    }
};

// One block pair p of R rows against T tokens.
template <typename W, std::size_t R, std::size_t T, bool kHasSecond>
inline void legacy_step(const TileArgs& a, std::int64_t p, __m512 (&acc)[R][T]) {
    using Block = typename W::BlockType;
    prefetch_ahead<R>(a, static_cast<std::size_t>(2 * p) * sizeof(Block), 2 * sizeof(Block));
    __m512i wq[R];
    __m512 wd[R];
    for (std::size_t r = 0; r < R; ++r) {
        const auto* b = reinterpret_cast<const Block*>(a.w + r * a.w_row_bytes) + 2 * p;
        wq[r] = W::levels(b, kHasSecond);
        wd[r] = halves(half(b[0].d), kHasSecond ? half(b[1].d) : 0.0f);
    }
    const __m512i k128 = _mm512_set1_epi8(static_cast<char>(0x80));
    for (std::size_t t = 0; t < T; ++t) {
        const auto* xb = reinterpret_cast<const BlockQ8_0*>(a.x + t * a.x_row_bytes) + 2 * p;
        const __m256i lo = load256(xb[0].qs);
        const __m256i hi = kHasSecond ? load256(xb[1].qs) : _mm256_setzero_si256();
        const __m512i xq = join256(lo, hi);
        // -128 * sum(x), spread over the lanes of each block (the lane sum is what counts).
        const __m512i init = _mm512_sub_epi32(
            _mm512_setzero_si512(), _mm512_dpbusd_epi32(_mm512_setzero_si512(), k128, xq));
        const __m512 xd = halves(half(xb[0].d), kHasSecond ? half(xb[1].d) : 0.0f);
        for (std::size_t r = 0; r < R; ++r) {
            const __m512i sums = _mm512_dpbusd_epi32(init, wq[r], xq);
            acc[r][t] =
                _mm512_fmadd_ps(_mm512_cvtepi32_ps(sums), _mm512_mul_ps(wd[r], xd), acc[r][t]);
        }
    }
}

template <typename W, std::size_t R, std::size_t T>
void tile_legacy(const TileArgs& a) {
    __m512 acc[R][T];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t t = 0; t < T; ++t) {
            acc[r][t] = _mm512_setzero_ps();
        }
    }
    const std::int64_t n_blocks = a.n / kQk32;
    std::int64_t p = 0;
    for (; 2 * p + 2 <= n_blocks; ++p) {
        legacy_step<W, R, T, true>(a, p, acc);
    }
    if (2 * p < n_blocks) {
        legacy_step<W, R, T, false>(a, p, acc);
    }
    store_sums<R, T>(acc, a);
}

// ---- Q8_K-activation family: Q4_K, Q5_K, Q6_K ----

// One weight super-block made ready for the dot: four vectors of unsigned levels (values
// 64c .. 64c+63), the per-lane f32 scales d * sc of each, and the integer correction
// weights (16 int16, one per group of 16 activations) with their f32 scale:
//   dot = sum_c sum_lanes(scale[c] * levels[c] . x) - corr_scale * (corr . bsums).
struct SuperBlock {
    __m512i levels[4];
    __m512 scale[4];
    __m256i corr;
    float corr_scale;
};

// The eight six-bit scales and mins of a Q4_K / Q5_K block as bytes (layout in blocks.h),
// four at a time in 32-bit words.
inline void k_scales_mins(const std::uint8_t* s, std::uint64_t* sc, std::uint64_t* m) {
    std::uint32_t w[3];
    std::memcpy(w, s, sizeof(w));
    const std::uint32_t low6 = 0x3f3f3f3fu;
    const std::uint32_t low4 = 0x0f0f0f0fu;
    const std::uint32_t low2 = 0x03030303u;
    const std::uint32_t sc_lo = w[0] & low6;
    const std::uint32_t m_lo = w[1] & low6;
    const std::uint32_t sc_hi = (w[2] & low4) | (((w[0] >> 6) & low2) << 4);
    const std::uint32_t m_hi = ((w[2] >> 4) & low4) | (((w[1] >> 6) & low2) << 4);
    *sc = sc_lo | (static_cast<std::uint64_t>(sc_hi) << 32);
    *m = m_lo | (static_cast<std::uint64_t>(m_hi) << 32);
}

// Lanes 0-7 = v[2c], lanes 8-15 = v[2c+1] for an 8-float vector v (sub-blocks of 32).
inline __m512 spread32(__m512 v, int c) {
    const __m512i idx =
        _mm512_mask_mov_epi32(_mm512_set1_epi32(2 * c), 0xFF00, _mm512_set1_epi32(2 * c + 1));
    return _mm512_permutexvar_ps(idx, v);
}

// Q4_K / Q5_K: sub-block scales and mins (six bits each) -> scale vectors and correction.
template <bool kFiveBit, typename Block>
inline void decode_scale_min(const Block& b, SuperBlock* out) {
    std::uint64_t sc_bits = 0;
    std::uint64_t m_bits = 0;
    k_scales_mins(b.scales, &sc_bits, &m_bits);
    const __m256 scales = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(
                                            _mm_cvtsi64_si128(static_cast<long long>(sc_bits)))),
                                        _mm256_set1_ps(half(b.d)));
    const __m512 wide = _mm512_castps256_ps512(scales);
    for (int c = 0; c < 4; ++c) {
        out->scale[c] = spread32(wide, c);
    }
    // m[j] for bsums 2j and 2j+1.
    const __m128i mins = _mm_cvtsi64_si128(static_cast<long long>(m_bits));
    const __m128i twice = _mm_unpacklo_epi8(mins, mins);
    out->corr = _mm256_cvtepu8_epi16(twice);
    out->corr_scale = half(b.dmin);
    __m256i qh = _mm256_setzero_si256();
    if constexpr (kFiveBit) {
        qh = load256(b.qh);
    }
    const __m256i mask = _mm256_set1_epi8(15);
    for (int c = 0; c < 4; ++c) {
        const __m256i bytes = load256(b.qs + 32 * c);
        __m256i lo = _mm256_and_si256(bytes, mask);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
        if constexpr (kFiveBit) {
            const __m256i one = _mm256_set1_epi8(1);
            lo = _mm256_or_si256(
                lo, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c), one), 4));
            hi = _mm256_or_si256(
                hi, _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(qh, 2 * c + 1), one), 4));
        }
        out->levels[c] = join256(lo, hi);
    }
}

inline void decode_q4_k(const void* p, SuperBlock* out) {
    decode_scale_min<false>(*static_cast<const BlockQ4_K*>(p), out);
}

inline void decode_q5_k(const void* p, SuperBlock* out) {
    decode_scale_min<true>(*static_cast<const BlockQ5_K*>(p), out);
}

// Q6_K: 16 int8 scales of 16 values; levels 0..63 used unsigned, the -32 offset meets bsums.
inline void decode_q6_k(const void* p, SuperBlock* out) {
    const auto& b = *static_cast<const BlockQ6_K*>(p);
    const float d = half(b.d);
    const __m128i sc8 = load128(b.scales);
    const __m512 scales =
        _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc8)), _mm512_set1_ps(d));
    for (int c = 0; c < 4; ++c) {
        // lanes 4i..4i+3 (16 values) use scale 4c + i.
        const __m512i idx =
            _mm512_add_epi32(_mm512_set1_epi32(4 * c),
                             _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
        out->scale[c] = _mm512_permutexvar_ps(idx, scales);
    }
    out->corr = _mm256_cvtepi8_epi16(sc8);
    out->corr_scale = 32.0f * d;
    const __m256i m4 = _mm256_set1_epi8(15);
    const __m256i m2 = _mm256_set1_epi8(3);
    for (int h = 0; h < 2; ++h) {
        const __m256i ql0 = load256(b.ql + 64 * h);
        const __m256i ql1 = load256(b.ql + 64 * h + 32);
        const __m256i high = load256(b.qh + 32 * h);
        const __m256i q0 = _mm256_or_si256(_mm256_and_si256(ql0, m4),
                                           _mm256_slli_epi16(_mm256_and_si256(high, m2), 4));
        const __m256i q1 =
            _mm256_or_si256(_mm256_and_si256(ql1, m4),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 2), m2), 4));
        const __m256i q2 =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 4), m2), 4));
        const __m256i q3 =
            _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4),
                            _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, 6), m2), 4));
        out->levels[2 * h] = join256(q0, q1);
        out->levels[2 * h + 1] = join256(q2, q3);
    }
}

template <std::size_t kBlockBytes,
          void (*kDecode)(const void*, SuperBlock*),
          std::size_t R,
          std::size_t T>
void tile_k(const TileArgs& a) {
    __m512 acc[R][T];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t t = 0; t < T; ++t) {
            acc[r][t] = _mm512_setzero_ps();
        }
    }
    const std::int64_t n_blocks = a.n / kQkK;
    for (std::int64_t i = 0; i < n_blocks; ++i) {
        prefetch_ahead<R>(a, static_cast<std::size_t>(i) * kBlockBytes, kBlockBytes);
        SuperBlock wb[R];
        for (std::size_t r = 0; r < R; ++r) {
            kDecode(a.w + r * a.w_row_bytes + static_cast<std::size_t>(i) * kBlockBytes, &wb[r]);
        }
        for (std::size_t t = 0; t < T; ++t) {
            const auto& xb = reinterpret_cast<const BlockQ8_K*>(a.x + t * a.x_row_bytes)[i];
            const __m512i x0 = _mm512_loadu_si512(xb.qs);
            const __m512i x1 = _mm512_loadu_si512(xb.qs + 64);
            const __m512i x2 = _mm512_loadu_si512(xb.qs + 128);
            const __m512i x3 = _mm512_loadu_si512(xb.qs + 192);
            const __m512i bsums = _mm512_zextsi256_si512(load256(xb.bsums));
            const __m512 xd = _mm512_set1_ps(xb.d);
            for (std::size_t r = 0; r < R; ++r) {
                const __m512i zero = _mm512_setzero_si512();
                __m512 s = _mm512_mul_ps(
                    _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wb[r].levels[0], x0)),
                    wb[r].scale[0]);
                s = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wb[r].levels[1], x1)),
                    wb[r].scale[1], s);
                s = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wb[r].levels[2], x2)),
                    wb[r].scale[2], s);
                s = _mm512_fmadd_ps(
                    _mm512_cvtepi32_ps(_mm512_dpbusd_epi32(zero, wb[r].levels[3], x3)),
                    wb[r].scale[3], s);
                const __m512i corr = _mm512_madd_epi16(_mm512_zextsi256_si512(wb[r].corr), bsums);
                s = _mm512_fnmadd_ps(_mm512_cvtepi32_ps(corr), _mm512_set1_ps(wb[r].corr_scale), s);
                acc[r][t] = _mm512_fmadd_ps(s, xd, acc[r][t]);
            }
        }
    }
    store_sums<R, T>(acc, a);
}

// ---- float weights against f32 activations ----

// Loaders of 16 weights as f32 from element i of a row; load_masked reads only lanes in m.
struct F16Loader {
    static constexpr std::size_t kBytes = 2;

    static __m512 load(const void* p, std::int64_t i) {
        return _mm512_cvtph_ps(load256(static_cast<const std::uint16_t*>(p) + i));
    }

    static __m512 load_masked(const void* p, std::int64_t i, __mmask16 m) {
        return _mm512_cvtph_ps(
            _mm256_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(p) + i));
    }
};

struct BF16Loader {
    static constexpr std::size_t kBytes = 2;

    static __m512 load(const void* p, std::int64_t i) {
        const __m512i wide =
            _mm512_cvtepu16_epi32(load256(static_cast<const std::uint16_t*>(p) + i));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }

    static __m512 load_masked(const void* p, std::int64_t i, __mmask16 m) {
        const __m512i wide = _mm512_cvtepu16_epi32(
            _mm256_maskz_loadu_epi16(m, static_cast<const std::uint16_t*>(p) + i));
        return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
    }
};

struct F32Loader {
    static constexpr std::size_t kBytes = 4;

    static __m512 load(const void* p, std::int64_t i) {
        return _mm512_loadu_ps(static_cast<const float*>(p) + i);
    }

    static __m512 load_masked(const void* p, std::int64_t i, __mmask16 m) {
        return _mm512_maskz_loadu_ps(m, static_cast<const float*>(p) + i);
    }
};

template <typename Loader, std::size_t R, std::size_t T>
void tile_float(const TileArgs& a) {
    __m512 acc[R][T];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t t = 0; t < T; ++t) {
            acc[r][t] = _mm512_setzero_ps();
        }
    }
    auto step = [&](std::int64_t i, __mmask16 m, bool is_full) {
        prefetch_ahead<R>(a, static_cast<std::size_t>(i) * Loader::kBytes, 16 * Loader::kBytes);
        __m512 wv[R];
        for (std::size_t r = 0; r < R; ++r) {
            const void* row = a.w + r * a.w_row_bytes;
            wv[r] = is_full ? Loader::load(row, i) : Loader::load_masked(row, i, m);
        }
        for (std::size_t t = 0; t < T; ++t) {
            const auto* xrow = reinterpret_cast<const float*>(a.x + t * a.x_row_bytes);
            const __m512 xv =
                is_full ? _mm512_loadu_ps(xrow + i) : _mm512_maskz_loadu_ps(m, xrow + i);
            for (std::size_t r = 0; r < R; ++r) {
                acc[r][t] = _mm512_fmadd_ps(wv[r], xv, acc[r][t]);
            }
        }
    };
    std::int64_t i = 0;
    for (; i + 16 <= a.n; i += 16) {
        step(i, 0xFFFF, true);
    }
    if (i < a.n) {
        step(i, static_cast<__mmask16>((1u << (a.n - i)) - 1u), false);
    }
    store_sums<R, T>(acc, a);
}

// One token against float rows (generation): rows one after another, each streamed with four
// accumulators, prefetching kStreamPrefetchBytes ahead in the matrix (rows are contiguous, so
// the prefetch runs on into the next rows). Generation of a model larger than the cache reads
// memory at its bandwidth only as one sequential stream: four interleaved rows, as in the
// micro-tiles, left a 256 MB F16 matrix at 26 GB/s against 35-37 GB/s this way (one thread).
constexpr std::size_t kStreamPrefetchBytes = 6144;

template <typename Loader>
void gemv_float_rows(const std::uint8_t* w,
                     std::size_t w_row_bytes,
                     std::int64_t n_rows,
                     const float* x,
                     float* y,
                     std::int64_t n) {
    constexpr std::int64_t kStep = 64;  // values per iteration
    for (std::int64_t r = 0; r < n_rows; ++r) {
        const std::uint8_t* row = w + static_cast<std::size_t>(r) * w_row_bytes;
        __m512 acc[4] = {_mm512_setzero_ps(), _mm512_setzero_ps(), _mm512_setzero_ps(),
                         _mm512_setzero_ps()};
        std::int64_t i = 0;
        for (; i + kStep <= n; i += kStep) {
            const std::uint8_t* ahead =
                row + static_cast<std::size_t>(i) * Loader::kBytes + kStreamPrefetchBytes;
            for (std::size_t b = 0; b < kStep * Loader::kBytes; b += 64) {
                _mm_prefetch(reinterpret_cast<const char*>(ahead + b), _MM_HINT_T0);
            }
            for (int k = 0; k < 4; ++k) {
                acc[k] = _mm512_fmadd_ps(Loader::load(row, i + 16 * k),
                                         _mm512_loadu_ps(x + i + 16 * k), acc[k]);
            }
        }
        for (; i + 16 <= n; i += 16) {
            acc[0] = _mm512_fmadd_ps(Loader::load(row, i), _mm512_loadu_ps(x + i), acc[0]);
        }
        if (i < n) {
            const auto m = static_cast<__mmask16>((1u << (n - i)) - 1u);
            acc[1] = _mm512_fmadd_ps(Loader::load_masked(row, i, m),
                                     _mm512_maskz_loadu_ps(m, x + i), acc[1]);
        }
        y[r] = _mm512_reduce_add_ps(
            _mm512_add_ps(_mm512_add_ps(acc[0], acc[1]), _mm512_add_ps(acc[2], acc[3])));
    }
}

// ---- weighted sums of rows (attention's softmax rows times the V cache) ----

// R weight rows at once over 64 values of every V row (kFull) or fewer (masked): each V
// vector is loaded once for all R rows, and each output value is one FMA chain over the V
// rows in order (kernels.h), so a row's sums do not depend on R.
template <typename Loader, std::size_t R, bool kFull>
void weighted_rows_block(const std::uint8_t* v,
                         std::size_t v_row_bytes,
                         std::int64_t n_rows,
                         const float* p,
                         std::int64_t p_stride,
                         float* y,
                         std::int64_t y_stride,
                         std::int64_t width,
                         bool is_first) {
    constexpr std::size_t kVectors = 4;
    __mmask16 mask[kVectors];
#pragma GCC unroll 16
    for (std::size_t k = 0; k < kVectors; ++k) {
        const std::int64_t left = width - static_cast<std::int64_t>(16 * k);
        mask[k] = left >= 16 ? static_cast<__mmask16>(0xFFFF)
                             : static_cast<__mmask16>(left > 0 ? (1u << left) - 1u : 0u);
    }
    __m512 acc[R][kVectors];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            const float* sums = y + static_cast<std::int64_t>(r) * y_stride + 16 * k;
            acc[r][k] = is_first ? _mm512_setzero_ps() : _mm512_maskz_loadu_ps(mask[k], sums);
        }
    }
    for (std::int64_t j = 0; j < n_rows; ++j) {
        const std::uint8_t* row = v + static_cast<std::size_t>(j) * v_row_bytes;
        __m512 values[kVectors];
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            const auto i = static_cast<std::int64_t>(16 * k);
            if constexpr (kFull) {
                values[k] = Loader::load(row, i);
            } else {
                values[k] = Loader::load_masked(row, i, mask[k]);
            }
        }
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) {
            const __m512 weight = _mm512_set1_ps(p[static_cast<std::int64_t>(r) * p_stride + j]);
#pragma GCC unroll 16
            for (std::size_t k = 0; k < kVectors; ++k) {
                acc[r][k] = _mm512_fmadd_ps(weight, values[k], acc[r][k]);
            }
        }
    }
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            float* out = y + static_cast<std::int64_t>(r) * y_stride + 16 * k;
            if constexpr (kFull) {
                _mm512_storeu_ps(out, acc[r][k]);
            } else {
                _mm512_mask_storeu_ps(out, mask[k], acc[r][k]);
            }
        }
    }
}

// Passes of 64 values (one for head_dim 64); with more than one, the passes go over kKeyBlock
// V rows at a time, which stay in L1 for the next pass, and carry their sums on through y, so
// V streams in from memory once, in order.
template <typename Loader>
void weighted_rows(const void* v,
                   std::size_t v_row_bytes,
                   std::int64_t n_rows,
                   const float* p,
                   std::int64_t p_stride,
                   std::int64_t n_weights,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t n) {
    const auto* rows = static_cast<const std::uint8_t*>(v);
    using BlockFn = void (*)(const std::uint8_t*, std::size_t, std::int64_t, const float*,
                             std::int64_t, float*, std::int64_t, std::int64_t, bool);
    static constexpr BlockFn kBlocks[2][4] = {
        {weighted_rows_block<Loader, 1, false>, weighted_rows_block<Loader, 2, false>,
         weighted_rows_block<Loader, 3, false>, weighted_rows_block<Loader, 4, false>},
        {weighted_rows_block<Loader, 1, true>, weighted_rows_block<Loader, 2, true>,
         weighted_rows_block<Loader, 3, true>, weighted_rows_block<Loader, 4, true>}};
    const std::int64_t key_block = n > 64 ? 64 : (n_rows > 0 ? n_rows : 1);
    for (std::int64_t g = 0; g < n_weights; g += 4) {
        const std::int64_t n_block = n_weights - g < 4 ? n_weights - g : 4;
        std::int64_t j0 = 0;
        do {
            const std::int64_t n_keys = n_rows - j0 < key_block ? n_rows - j0 : key_block;
            for (std::int64_t c = 0; c < n; c += 64) {
                const std::int64_t width = n - c < 64 ? n - c : 64;
                kBlocks[width == 64 ? 1 : 0][n_block - 1](
                    rows + static_cast<std::size_t>(j0) * v_row_bytes +
                        static_cast<std::size_t>(c) * Loader::kBytes,
                    v_row_bytes, n_keys, p + g * p_stride + j0, p_stride, y + g * y_stride + c,
                    y_stride, width, j0 == 0);
            }
            j0 += key_block;
        } while (j0 < n_rows);
    }
}

// ---- the tile loop: micro-tiles of kTileRows x kTileTokens, edges with smaller ones ----

using MicroFn = void (*)(const TileArgs&);

// kMicro[R-1][T-1] = Kernel<R, T>.
template <template <std::size_t, std::size_t> class Kernel>
struct MicroTable {
    static constexpr MicroFn kMicro[kTileRows][kTileTokens] = {
        {Kernel<1, 1>::run, Kernel<1, 2>::run, Kernel<1, 3>::run, Kernel<1, 4>::run},
        {Kernel<2, 1>::run, Kernel<2, 2>::run, Kernel<2, 3>::run, Kernel<2, 4>::run},
        {Kernel<3, 1>::run, Kernel<3, 2>::run, Kernel<3, 3>::run, Kernel<3, 4>::run},
        {Kernel<4, 1>::run, Kernel<4, 2>::run, Kernel<4, 3>::run, Kernel<4, 4>::run},
    };
};

// Rows outermost: a micro-row of weights stays in L1 while every token of the tile passes.
template <template <std::size_t, std::size_t> class Kernel>
void vec_dot_tile(const void* w,
                  std::size_t w_row_bytes,
                  std::int64_t n_rows,
                  const void* x,
                  std::size_t x_row_bytes,
                  std::int64_t n_tokens,
                  float* y,
                  std::int64_t y_stride,
                  std::int64_t n) {
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xbytes = static_cast<const std::uint8_t*>(x);
    for (std::int64_t r = 0; r < n_rows; r += kTileRows) {
        const std::int64_t nr = n_rows - r < kTileRows ? n_rows - r : kTileRows;
        for (std::int64_t t = 0; t < n_tokens; t += kTileTokens) {
            const std::int64_t nt = n_tokens - t < kTileTokens ? n_tokens - t : kTileTokens;
            const TileArgs args{wbytes + static_cast<std::size_t>(r) * w_row_bytes,
                                w_row_bytes,
                                xbytes + static_cast<std::size_t>(t) * x_row_bytes,
                                x_row_bytes,
                                y + t * y_stride + r,
                                y_stride,
                                n};
            MicroTable<Kernel>::kMicro[nr - 1][nt - 1](args);
        }
    }
}

template <typename W>
struct LegacyKernel {
    template <std::size_t R, std::size_t T>
    struct Of {
        static void run(const TileArgs& a) { tile_legacy<W, R, T>(a); }
    };
};

template <std::size_t kBlockBytes, void (*kDecode)(const void*, SuperBlock*)>
struct KKernel {
    template <std::size_t R, std::size_t T>
    struct Of {
        static void run(const TileArgs& a) { tile_k<kBlockBytes, kDecode, R, T>(a); }
    };
};

template <typename Loader>
struct FloatKernel {
    template <std::size_t R, std::size_t T>
    struct Of {
        static void run(const TileArgs& a) { tile_float<Loader, R, T>(a); }
    };
};

// Float weights: one token streams row by row (gemv_float_rows), more go through micro-tiles.
template <typename Loader>
void vec_dot_tile_float(const void* w,
                        std::size_t w_row_bytes,
                        std::int64_t n_rows,
                        const void* x,
                        std::size_t x_row_bytes,
                        std::int64_t n_tokens,
                        float* y,
                        std::int64_t y_stride,
                        std::int64_t n) {
    if (n_tokens == 1) {
        gemv_float_rows<Loader>(static_cast<const std::uint8_t*>(w), w_row_bytes, n_rows,
                                static_cast<const float*>(x), y, n);
        return;
    }
    vec_dot_tile<FloatKernel<Loader>::template Of>(w, w_row_bytes, n_rows, x, x_row_bytes, n_tokens,
                                                   y, y_stride, n);
}

using Q8_0Kernel = LegacyKernel<Q8_0Weights>;
using Q4_0Kernel = LegacyKernel<Q4_0Weights>;
using Q5_0Kernel = LegacyKernel<Q5_0Weights>;
using Q4_KKernel = KKernel<sizeof(BlockQ4_K), decode_q4_k>;
using Q5_KKernel = KKernel<sizeof(BlockQ5_K), decode_q5_k>;
using Q6_KKernel = KKernel<sizeof(BlockQ6_K), decode_q6_k>;

void set_tile(KernelSet& set, TensorType type, VecDotTileFn fn) {
    set.by_type[static_cast<std::size_t>(type)].vec_dot_tile = fn;
}

}  // namespace

void fill_avx512_tile_kernels(KernelSet& set) {
    set_tile(set, TensorType::kQ8_0, vec_dot_tile<Q8_0Kernel::Of>);
    set_tile(set, TensorType::kQ4_0, vec_dot_tile<Q4_0Kernel::Of>);
    set_tile(set, TensorType::kQ5_0, vec_dot_tile<Q5_0Kernel::Of>);
    set_tile(set, TensorType::kQ4_K, vec_dot_tile<Q4_KKernel::Of>);
    set_tile(set, TensorType::kQ5_K, vec_dot_tile<Q5_KKernel::Of>);
    set_tile(set, TensorType::kQ6_K, vec_dot_tile<Q6_KKernel::Of>);
    set_tile(set, TensorType::kF16, vec_dot_tile_float<F16Loader>);
    set_tile(set, TensorType::kBF16, vec_dot_tile_float<BF16Loader>);
    set_tile(set, TensorType::kF32, vec_dot_tile_float<F32Loader>);
    set.by_type[static_cast<std::size_t>(TensorType::kF32)].weighted_rows =
        weighted_rows<F32Loader>;
    set.by_type[static_cast<std::size_t>(TensorType::kF16)].weighted_rows =
        weighted_rows<F16Loader>;
    set.by_type[static_cast<std::size_t>(TensorType::kBF16)].weighted_rows =
        weighted_rows<BF16Loader>;
}

}  // namespace lore::kernels::x86
