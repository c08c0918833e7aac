// AVX2 + FMA + F16C kernels of the quantized types (layouts in kernels/blocks.h):
//   - dequantize: levels unpacked 32 at a time into int8 vectors, widened to f32, scaled;
//   - dot (f32 activations): each block dequantized into an L1 buffer, then an FMA dot;
//   - vec_dot (q8 activations): integer products with maddubs (unsigned x signed bytes ->
//     int16 pairs) and madd (-> int32), one float FMA per block (per super-block for the
//     K-quants, whose sub-block scales are applied in integers);
//   - quantize of the activation types Q8_0, Q8_1, Q8_K (levels bit-identical to the
//     reference: same scale, same division, round-to-nearest-even).
// Signed x signed byte products use the sign trick: |a| * (b * sign(a)). It is exact as
// long as b != -128, which holds because activation levels are clamped to +-127.
// Only reached through dispatch.cpp after CPUID; internal linkage throughout (see
// avx2_float.cpp for why).
#include <cstring>

#include <immintrin.h>

#include "kernels/blocks.h"
#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

// ---- helpers ----

inline float half(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline std::uint16_t to_half(float f) {
    return static_cast<std::uint16_t>(_cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT));
}

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float hmax(__m256 v) {
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

inline __m256i load32(const void* p) {
    return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}

// 16 bytes of packed nibbles -> 32 levels: low nibbles first (values 0..15), then high.
inline __m256i unpack_nibbles16(const std::uint8_t* qs) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qs));
    const __m128i mask = _mm_set1_epi8(15);
    const __m128i lo = _mm_and_si128(bytes, mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), mask);
    return _mm256_set_m128i(hi, lo);
}

// Bit j of a 32-bit little-endian word -> byte j = 0x10 when set, 0 otherwise.
inline __m256i bit4_from_bits(const std::uint8_t* qh) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, qh, sizeof(bits));
    const __m256i word = _mm256_set1_epi32(static_cast<int>(bits));
    const __m256i spread = _mm256_shuffle_epi8(
        word, _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0));
    const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ULL));
    const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    return _mm256_and_si256(set, _mm256_set1_epi8(0x10));
}

// 32 int8 levels -> 4 x 8 floats, in value order.
inline void levels_to_float(__m256i q, __m256 out[4]) {
    const __m128i lo = _mm256_castsi256_si128(q);
    const __m128i hi = _mm256_extracti128_si256(q, 1);
    out[0] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(lo));
    out[1] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(lo, 8)));
    out[2] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(hi));
    out[3] = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_srli_si128(hi, 8)));
}

// Stores 32 values d * q (+ m) at dst.
inline void store_scaled(__m256i q, float d, float m, float* dst) {
    __m256 f[4];
    levels_to_float(q, f);
    const __m256 vd = _mm256_set1_ps(d);
    const __m256 vm = _mm256_set1_ps(m);
    for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(dst + 8 * k, _mm256_fmadd_ps(f[k], vd, vm));
    }
}

// Stores d * q - m (the K-quant form; fmsub keeps the reference's operation order up to
// one rounding).
inline void store_scaled_min(__m256i q, float d, float m, float* dst) {
    __m256 f[4];
    levels_to_float(q, f);
    const __m256 vd = _mm256_set1_ps(d);
    const __m256 vm = _mm256_set1_ps(m);
    for (int k = 0; k < 4; ++k) {
        _mm256_storeu_ps(dst + 8 * k, _mm256_fmsub_ps(f[k], vd, vm));
    }
}

// Unsigned levels (0..127) x signed activations, summed in pairs and quads -> 8 int32.
inline __m256i dot_u8_i8(__m256i u, __m256i s) {
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// Signed x signed bytes (b != -128) -> 8 int32.
inline __m256i dot_i8_i8(__m256i a, __m256i b) {
    return dot_u8_i8(_mm256_sign_epi8(a, a), _mm256_sign_epi8(b, a));
}

inline void scale_min_k4(const std::uint8_t* scales, int j, int* scale, int* min) {
    if (j < 4) {
        *scale = scales[j] & 63;
        *min = scales[j + 4] & 63;
    } else {
        *scale = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
        *min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
    }
}

// ---- level decoders (32 values at a time) ----

inline __m256i levels_q4_0(const BlockQ4_0& b) {
    return _mm256_sub_epi8(unpack_nibbles16(b.qs), _mm256_set1_epi8(8));
}

inline __m256i levels_q4_1(const BlockQ4_1& b) {
    return unpack_nibbles16(b.qs);
}

inline __m256i levels_q5_0(const BlockQ5_0& b) {
    const __m256i q = _mm256_or_si256(unpack_nibbles16(b.qs), bit4_from_bits(b.qh));
    return _mm256_sub_epi8(q, _mm256_set1_epi8(16));
}

inline __m256i levels_q5_1(const BlockQ5_1& b) {
    return _mm256_or_si256(unpack_nibbles16(b.qs), bit4_from_bits(b.qh));
}

// Q4_K / Q5_K chunk c (0..3): 32 bytes of nibbles -> sub-blocks 2c (low) and 2c+1 (high).
inline void levels_k_chunk(const std::uint8_t* qs, __m256i* lo, __m256i* hi) {
    const __m256i bytes = load32(qs);
    const __m256i mask = _mm256_set1_epi8(15);
    *lo = _mm256_and_si256(bytes, mask);
    *hi = _mm256_and_si256(_mm256_srli_epi16(bytes, 4), mask);
}

// Q5_K fifth bit of sub-block j: bit j of each qh byte -> 16.
inline __m256i k_bit4(__m256i qh, int j) {
    const __m256i bit = _mm256_and_si256(_mm256_srli_epi16(qh, j), _mm256_set1_epi8(1));
    return _mm256_slli_epi16(bit, 4);
}

// Q6_K half: unsigned levels 0..63 of its four 32-value quarters.
inline void levels_q6_half(const std::uint8_t* ql, const std::uint8_t* qh, __m256i q[4]) {
    const __m256i ql0 = load32(ql);
    const __m256i ql1 = load32(ql + 32);
    const __m256i high = load32(qh);
    const __m256i m4 = _mm256_set1_epi8(15);
    const __m256i m2 = _mm256_set1_epi8(3);
    auto high_bits = [&](int shift) {
        return _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(high, shift), m2), 4);
    };
    q[0] = _mm256_or_si256(_mm256_and_si256(ql0, m4), high_bits(0));
    q[1] = _mm256_or_si256(_mm256_and_si256(ql1, m4), high_bits(2));
    q[2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql0, 4), m4), high_bits(4));
    q[3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(ql1, 4), m4), high_bits(6));
}

// ---- dequantize ----

template <typename Block, __m256i (*kLevels)(const Block&), bool kHasMin>
void dequantize_legacy(const void* src, float* dst, std::int64_t n) {
    const auto* blocks = static_cast<const Block*>(src);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const Block& b = blocks[i];
        float m = 0.0f;
        if constexpr (kHasMin) {
            m = half(b.m);
        }
        store_scaled(kLevels(b), half(b.d), m, dst + i * kQk32);
    }
}

void dequantize_q8_0(const void* src, float* dst, std::int64_t n) {
    const auto* blocks = static_cast<const BlockQ8_0*>(src);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        store_scaled(load32(blocks[i].qs), half(blocks[i].d), 0.0f, dst + i * kQk32);
    }
}

template <bool kFiveBit, typename Block>
void dequantize_k_scale_min(const void* src, float* dst, std::int64_t n) {
    const auto* blocks = static_cast<const Block*>(src);
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const Block& b = blocks[i];
        const float d = half(b.d);
        const float dmin = half(b.dmin);
        __m256i qh = _mm256_setzero_si256();
        if constexpr (kFiveBit) {
            qh = load32(b.qh);
        }
        for (int c = 0; c < 4; ++c) {
            __m256i lo;
            __m256i hi;
            levels_k_chunk(b.qs + 32 * c, &lo, &hi);
            if constexpr (kFiveBit) {
                lo = _mm256_or_si256(lo, k_bit4(qh, 2 * c));
                hi = _mm256_or_si256(hi, k_bit4(qh, 2 * c + 1));
            }
            int scale = 0;
            int min = 0;
            scale_min_k4(b.scales, 2 * c, &scale, &min);
            float* out = dst + i * kQkK + 64 * c;
            store_scaled_min(lo, d * static_cast<float>(scale), dmin * static_cast<float>(min),
                             out);
            scale_min_k4(b.scales, 2 * c + 1, &scale, &min);
            store_scaled_min(hi, d * static_cast<float>(scale), dmin * static_cast<float>(min),
                             out + 32);
        }
    }
}

void dequantize_q6_k(const void* src, float* dst, std::int64_t n) {
    const auto* blocks = static_cast<const BlockQ6_K*>(src);
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const BlockQ6_K& b = blocks[i];
        const float d = half(b.d);
        for (int h = 0; h < 2; ++h) {
            __m256i q[4];
            levels_q6_half(b.ql + 64 * h, b.qh + 32 * h, q);
            for (int k = 0; k < 4; ++k) {
                __m256 f[4];
                levels_to_float(_mm256_sub_epi8(q[k], _mm256_set1_epi8(32)), f);
                const __m256 scale_a =
                    _mm256_set1_ps(d * static_cast<float>(b.scales[8 * h + 2 * k]));
                const __m256 scale_b =
                    _mm256_set1_ps(d * static_cast<float>(b.scales[8 * h + 2 * k + 1]));
                float* out = dst + i * kQkK + 128 * h + 32 * k;
                _mm256_storeu_ps(out, _mm256_mul_ps(f[0], scale_a));
                _mm256_storeu_ps(out + 8, _mm256_mul_ps(f[1], scale_a));
                _mm256_storeu_ps(out + 16, _mm256_mul_ps(f[2], scale_b));
                _mm256_storeu_ps(out + 24, _mm256_mul_ps(f[3], scale_b));
            }
        }
    }
}

// ---- dot with f32 activations: dequantize a block into L1, then FMA ----

template <DequantizeFn kDequantize, int kBlock, std::size_t kBlockBytes>
float dot_by_dequantize(const void* w, const float* x, std::int64_t n) {
    const auto* bytes = static_cast<const std::uint8_t*>(w);
    alignas(32) float values[static_cast<std::size_t>(kBlock)];
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < n / kBlock; ++i) {
        kDequantize(bytes + static_cast<std::size_t>(i) * kBlockBytes, values, kBlock);
        const float* xs = x + i * kBlock;
        for (int j = 0; j < kBlock; j += 16) {
            acc0 = _mm256_fmadd_ps(_mm256_load_ps(values + j), _mm256_loadu_ps(xs + j), acc0);
            acc1 =
                _mm256_fmadd_ps(_mm256_load_ps(values + j + 8), _mm256_loadu_ps(xs + j + 8), acc1);
        }
    }
    return hsum(_mm256_add_ps(acc0, acc1));
}

// ---- vec_dot with quantized activations ----

template <typename Block, __m256i (*kLevels)(const Block&)>
float vec_dot_symmetric(const void* w, const void* x, std::int64_t n) {
    // Q4_0 / Q5_0 against Q8_0: signed levels.
    const auto* wb = static_cast<const Block*>(w);
    const auto* xb = static_cast<const BlockQ8_0*>(x);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const __m256i products = dot_i8_i8(kLevels(wb[i]), load32(xb[i].qs));
        const __m256 d = _mm256_set1_ps(half(wb[i].d) * half(xb[i].d));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(products), acc);
    }
    return hsum(acc);
}

float vec_dot_q8_0(const void* w, const void* x, std::int64_t n) {
    const auto* wb = static_cast<const BlockQ8_0*>(w);
    const auto* xb = static_cast<const BlockQ8_0*>(x);
    __m256 acc = _mm256_setzero_ps();
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const __m256i products = dot_i8_i8(load32(wb[i].qs), load32(xb[i].qs));
        const __m256 d = _mm256_set1_ps(half(wb[i].d) * half(xb[i].d));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(products), acc);
    }
    return hsum(acc);
}

template <typename Block, __m256i (*kLevels)(const Block&)>
float vec_dot_with_min(const void* w, const void* x, std::int64_t n) {
    // Q4_1 / Q5_1 against Q8_1: unsigned levels; the min meets the activation block sum.
    const auto* wb = static_cast<const Block*>(w);
    const auto* xb = static_cast<const BlockQ8_1*>(x);
    __m256 acc = _mm256_setzero_ps();
    float sum_min = 0.0f;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const __m256i products = dot_u8_i8(kLevels(wb[i]), load32(xb[i].qs));
        const __m256 d = _mm256_set1_ps(half(wb[i].d) * half(xb[i].d));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(products), acc);
        sum_min += half(wb[i].m) * half(xb[i].s);
    }
    return hsum(acc) + sum_min;
}

template <bool kFiveBit, typename Block>
float vec_dot_k_scale_min(const void* w, const void* x, std::int64_t n) {
    const auto* wb = static_cast<const Block*>(w);
    const auto* xb = static_cast<const BlockQ8_K*>(x);
    __m256 acc = _mm256_setzero_ps();
    float sum_min = 0.0f;
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const Block& b = wb[i];
        const BlockQ8_K& a = xb[i];
        int scales[8];
        int mins = 0;
        for (int j = 0; j < 8; ++j) {
            int min = 0;
            scale_min_k4(b.scales, j, &scales[j], &min);
            mins += min * (a.bsums[2 * j] + a.bsums[2 * j + 1]);
        }
        __m256i qh = _mm256_setzero_si256();
        if constexpr (kFiveBit) {
            qh = load32(b.qh);
        }
        __m256i sumi = _mm256_setzero_si256();
        for (int c = 0; c < 4; ++c) {
            __m256i lo;
            __m256i hi;
            levels_k_chunk(b.qs + 32 * c, &lo, &hi);
            if constexpr (kFiveBit) {
                lo = _mm256_or_si256(lo, k_bit4(qh, 2 * c));
                hi = _mm256_or_si256(hi, k_bit4(qh, 2 * c + 1));
            }
            const __m256i p_lo = _mm256_maddubs_epi16(lo, load32(a.qs + 64 * c));
            const __m256i p_hi = _mm256_maddubs_epi16(hi, load32(a.qs + 64 * c + 32));
            const __m256i s_lo =
                _mm256_madd_epi16(p_lo, _mm256_set1_epi16(static_cast<short>(scales[2 * c])));
            const __m256i s_hi =
                _mm256_madd_epi16(p_hi, _mm256_set1_epi16(static_cast<short>(scales[2 * c + 1])));
            sumi = _mm256_add_epi32(sumi, _mm256_add_epi32(s_lo, s_hi));
        }
        const float d = half(b.d) * a.d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
        sum_min += half(b.dmin) * a.d * static_cast<float>(mins);
    }
    return hsum(acc) - sum_min;
}

float vec_dot_q6_k(const void* w, const void* x, std::int64_t n) {
    const auto* wb = static_cast<const BlockQ6_K*>(w);
    const auto* xb = static_cast<const BlockQ8_K*>(x);
    __m256 acc = _mm256_setzero_ps();
    float sum_offset = 0.0f;
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const BlockQ6_K& b = wb[i];
        const BlockQ8_K& a = xb[i];
        // Levels are used unsigned (0..63); the -32 offset meets the activation bsums.
        int offset = 0;
        for (int s = 0; s < 16; ++s) {
            offset += b.scales[s] * a.bsums[s];
        }
        __m256i sumi = _mm256_setzero_si256();
        for (int h = 0; h < 2; ++h) {
            __m256i q[4];
            levels_q6_half(b.ql + 64 * h, b.qh + 32 * h, q);
            for (int k = 0; k < 4; ++k) {
                const __m256i p = _mm256_maddubs_epi16(q[k], load32(a.qs + 128 * h + 32 * k));
                const __m256i scale = _mm256_set_m128i(_mm_set1_epi16(b.scales[8 * h + 2 * k + 1]),
                                                       _mm_set1_epi16(b.scales[8 * h + 2 * k]));
                sumi = _mm256_add_epi32(sumi, _mm256_madd_epi16(p, scale));
            }
        }
        const float d = half(b.d) * a.d;
        acc = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_cvtepi32_ps(sumi), acc);
        sum_offset += d * static_cast<float>(32 * offset);
    }
    return hsum(acc) - sum_offset;
}

// ---- activation quantization ----

// Levels of 32 values with scale amax / 127 (inverse `inv`), stored as int8 at `out`.
inline void store_levels32(const float* x, __m256 inv, std::int8_t* out) {
    const int mode = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    const __m256i i0 =
        _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x), inv), mode));
    const __m256i i1 =
        _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 8), inv), mode));
    const __m256i i2 =
        _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 16), inv), mode));
    const __m256i i3 =
        _mm256_cvtps_epi32(_mm256_round_ps(_mm256_mul_ps(_mm256_loadu_ps(x + 24), inv), mode));
    // packs work per 128-bit lane; the final permute restores value order.
    const __m256i w01 = _mm256_packs_epi32(i0, i1);
    const __m256i w23 = _mm256_packs_epi32(i2, i3);
    __m256i bytes = _mm256_packs_epi16(w01, w23);
    bytes = _mm256_permutevar8x32_epi32(bytes, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out), bytes);
}

inline float absmax(const float* x, int n) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 m = _mm256_setzero_ps();
    for (int j = 0; j < n; j += 8) {
        m = _mm256_max_ps(m, _mm256_andnot_ps(sign, _mm256_loadu_ps(x + j)));
    }
    return hmax(m);
}

inline float quantize_block32(const float* x, std::int8_t* qs) {
    const float d = absmax(x, kQk32) / 127.0f;
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    store_levels32(x, _mm256_set1_ps(inv), qs);
    return d;
}

void quantize_q8_0(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_0*>(dst);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        out[i].d = to_half(quantize_block32(src + i * kQk32, out[i].qs));
    }
}

inline int sum_levels(const std::int8_t* qs, int n) {
    int sum = 0;
    for (int j = 0; j < n; ++j) {
        sum += qs[j];
    }
    return sum;
}

void quantize_q8_1(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_1*>(dst);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const float d = quantize_block32(src + i * kQk32, out[i].qs);
        out[i].d = to_half(d);
        out[i].s = to_half(d * static_cast<float>(sum_levels(out[i].qs, kQk32)));
    }
}

void quantize_q8_k(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_K*>(dst);
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const float* x = src + i * kQkK;
        const float d = absmax(x, kQkK) / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        out[i].d = d;
        for (int j = 0; j < kQkK; j += 32) {
            store_levels32(x + j, _mm256_set1_ps(inv), out[i].qs + j);
        }
        for (int g = 0; g < 16; ++g) {
            out[i].bsums[g] = static_cast<std::int16_t>(sum_levels(out[i].qs + 16 * g, 16));
        }
    }
}

void set_entry(
    KernelSet& set, TensorType type, DequantizeFn dequantize, DotFn dot, VecDotFn vec_dot) {
    auto& entry = set.by_type[static_cast<std::size_t>(type)];
    entry.dequantize = dequantize;
    entry.dot = dot;
    entry.vec_dot = vec_dot;
}

}  // namespace

void fill_avx2_quant_kernels(KernelSet& set) {
    constexpr DequantizeFn kQ4_0 = dequantize_legacy<BlockQ4_0, levels_q4_0, false>;
    constexpr DequantizeFn kQ4_1 = dequantize_legacy<BlockQ4_1, levels_q4_1, true>;
    constexpr DequantizeFn kQ5_0 = dequantize_legacy<BlockQ5_0, levels_q5_0, false>;
    constexpr DequantizeFn kQ5_1 = dequantize_legacy<BlockQ5_1, levels_q5_1, true>;
    constexpr DequantizeFn kQ4_K = dequantize_k_scale_min<false, BlockQ4_K>;
    constexpr DequantizeFn kQ5_K = dequantize_k_scale_min<true, BlockQ5_K>;
    set_entry(set, TensorType::kQ4_0, kQ4_0, dot_by_dequantize<kQ4_0, kQk32, sizeof(BlockQ4_0)>,
              vec_dot_symmetric<BlockQ4_0, levels_q4_0>);
    set_entry(set, TensorType::kQ4_1, kQ4_1, dot_by_dequantize<kQ4_1, kQk32, sizeof(BlockQ4_1)>,
              vec_dot_with_min<BlockQ4_1, levels_q4_1>);
    set_entry(set, TensorType::kQ5_0, kQ5_0, dot_by_dequantize<kQ5_0, kQk32, sizeof(BlockQ5_0)>,
              vec_dot_symmetric<BlockQ5_0, levels_q5_0>);
    set_entry(set, TensorType::kQ5_1, kQ5_1, dot_by_dequantize<kQ5_1, kQk32, sizeof(BlockQ5_1)>,
              vec_dot_with_min<BlockQ5_1, levels_q5_1>);
    set_entry(set, TensorType::kQ8_0, dequantize_q8_0,
              dot_by_dequantize<dequantize_q8_0, kQk32, sizeof(BlockQ8_0)>, vec_dot_q8_0);
    set_entry(set, TensorType::kQ4_K, kQ4_K, dot_by_dequantize<kQ4_K, kQkK, sizeof(BlockQ4_K)>,
              vec_dot_k_scale_min<false, BlockQ4_K>);
    set_entry(set, TensorType::kQ5_K, kQ5_K, dot_by_dequantize<kQ5_K, kQkK, sizeof(BlockQ5_K)>,
              vec_dot_k_scale_min<true, BlockQ5_K>);
    set_entry(set, TensorType::kQ6_K, dequantize_q6_k,
              dot_by_dequantize<dequantize_q6_k, kQkK, sizeof(BlockQ6_K)>, vec_dot_q6_k);
    set.by_type[static_cast<std::size_t>(TensorType::kQ8_0)].quantize = quantize_q8_0;
    set.by_type[static_cast<std::size_t>(TensorType::kQ8_1)].quantize = quantize_q8_1;
    set.by_type[static_cast<std::size_t>(TensorType::kQ8_K)].quantize = quantize_q8_k;
}

}  // namespace lore::kernels::x86
