// AVX2 + FMA helpers of the forward pass: softmax_row and silu_mul (kernels.h), with a
// vectorised exp. Without them the AVX2 set used the reference's std::exp, one value at a
// time: about 5 % of a generated token of SmolLM2-135M. Compiled with -mavx2 -mfma -mf16c;
// only reached through dispatch.cpp after CPUID.
#include <cmath>
#include <cstdint>

#include <immintrin.h>

#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

// Lanes [0, remaining) set, as a mask for maskload / maskstore.
inline __m256i tail_mask(std::int64_t remaining) {
    const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(remaining < 8 ? remaining : 8)),
                              lanes);
}

// e^x as the AVX-512 set computes it (Cephes' expf: x = n ln2 + r, a degree-7 polynomial for
// e^r), with 2^n made in the exponent bits: x is clamped to [-87.3, 88.4], so n stays within
// [-126, 127] and 2^n is a normal float.
inline __m256 exp256(__m256 x) {
    x = _mm256_max_ps(_mm256_min_ps(x, _mm256_set1_ps(88.3762626647949f)),
                      _mm256_set1_ps(-87.3365447504019f));
    const __m256i n_int =
        _mm256_cvtps_epi32(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)));
    const __m256 n = _mm256_cvtepi32_ps(n_int);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    const __m256i two_n = _mm256_slli_epi32(_mm256_add_epi32(n_int, _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(p, _mm256_castsi256_ps(two_n));
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

// Three passes, as the AVX-512 set: scale and max, exp and sum, normalise; then zeros past
// n_visible. Tails go through masked loads and stores.
void softmax_row(float* row, std::int64_t n_visible, std::int64_t n, float scale) {
    const __m256 vscale = _mm256_set1_ps(scale);
    const __m256 minus_inf = _mm256_set1_ps(-INFINITY);
    __m256 vmax = minus_inf;
    for (std::int64_t j = 0; j < n_visible; j += 8) {
        const __m256i m = tail_mask(n_visible - j);
        const __m256 s = _mm256_mul_ps(_mm256_maskload_ps(row + j, m), vscale);
        _mm256_maskstore_ps(row + j, m, s);
        vmax = _mm256_max_ps(vmax, _mm256_blendv_ps(minus_inf, s, _mm256_castsi256_ps(m)));
    }
    const __m256 max_score = _mm256_set1_ps(hmax(vmax));
    __m256 vsum = _mm256_setzero_ps();
    for (std::int64_t j = 0; j < n_visible; j += 8) {
        const __m256i m = tail_mask(n_visible - j);
        const __m256 e = exp256(_mm256_sub_ps(_mm256_maskload_ps(row + j, m), max_score));
        _mm256_maskstore_ps(row + j, m, e);
        vsum = _mm256_add_ps(vsum, _mm256_and_ps(e, _mm256_castsi256_ps(m)));
    }
    const __m256 inv = _mm256_set1_ps(1.0f / hsum(vsum));
    for (std::int64_t j = 0; j < n_visible; j += 8) {
        const __m256i m = tail_mask(n_visible - j);
        _mm256_maskstore_ps(row + j, m, _mm256_mul_ps(_mm256_maskload_ps(row + j, m), inv));
    }
    for (std::int64_t j = n_visible; j < n; ++j) {
        row[j] = 0.0f;
    }
}

// silu(g) * u = g / (1 + e^-g) * u; e^-g saturates outside the exp range, where the quotient
// is then ~0 or g, as with std::exp.
void silu_mul(float* gate, const float* up, std::int64_t n) {
    const __m256 one = _mm256_set1_ps(1.0f);
    for (std::int64_t i = 0; i < n; i += 8) {
        const __m256i m = tail_mask(n - i);
        const __m256 g = _mm256_maskload_ps(gate + i, m);
        const __m256 u = _mm256_maskload_ps(up + i, m);
        const __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_maskstore_ps(gate + i, m, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u));
    }
}

}  // namespace

void fill_avx2_attention_kernels(KernelSet& set) {
    set.softmax_row = softmax_row;
    set.silu_mul = silu_mul;
}

}  // namespace lore::kernels::x86
