// AVX-512 attention helpers: dot_f32, axpy_f32, the fused attention_head, softmax_row and
// silu_mul (kernels.h).
// 16 floats per vector, masked loads for tails, so any length works. attention_head runs
// three passes over one query's keys: scores (one dot per key, four keys at a time so the
// horizontal sums overlap), exp and sum (vectorised exp below), and the weighted sum of V
// rows with the output kept in registers (64 values per pass). Only reached through
// dispatch.cpp after CPUID said avx512f/bw/vl/vnni.
#include <cmath>

#include <immintrin.h>

#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

inline __mmask16 tail_mask(std::int64_t remaining) {
    return remaining >= 16 ? static_cast<__mmask16>(0xFFFF)
                           : static_cast<__mmask16>((1u << remaining) - 1u);
}

float dot_f32(const float* a, const float* b, std::int64_t n) {
    __m512 acc0 = _mm512_setzero_ps();
    __m512 acc1 = _mm512_setzero_ps();
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
        acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
    }
    for (; i < n; i += 16) {
        const __mmask16 m = tail_mask(n - i);
        acc0 =
            _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, a + i), _mm512_maskz_loadu_ps(m, b + i), acc0);
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc0, acc1));
}

void axpy_f32(float alpha, const float* x, float* y, std::int64_t n) {
    const __m512 va = _mm512_set1_ps(alpha);
    std::int64_t i = 0;
    for (; i + 16 <= n; i += 16) {
        _mm512_storeu_ps(y + i,
                         _mm512_fmadd_ps(va, _mm512_loadu_ps(x + i), _mm512_loadu_ps(y + i)));
    }
    if (i < n) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 sum =
            _mm512_fmadd_ps(va, _mm512_maskz_loadu_ps(m, x + i), _mm512_maskz_loadu_ps(m, y + i));
        _mm512_mask_storeu_ps(y + i, m, sum);
    }
}

// e^x for x in about [-87, 88] (clamped there), Cephes' expf: x = n ln2 + r with
// |r| <= ln2 / 2 (ln2 split in two for an exact product), a degree-7 polynomial for e^r,
// then scalef by 2^n. Within about 2 ulp of std::exp on the clamped range; below -87.3 it
// returns ~1e-38 instead of a subnormal or 0, which no softmax sum (>= 1) can see.
inline __m512 exp512(__m512 x) {
    x = _mm512_max_ps(_mm512_min_ps(x, _mm512_set1_ps(88.3762626647949f)),
                      _mm512_set1_ps(-87.3365447504019f));
    // Round to nearest through int32 (the default MXCSR mode); roundscale's -O0 macro trips
    // -Wsign-conversion inside GCC 12's header.
    const __m512 n = _mm512_cvtepi32_ps(
        _mm512_cvtps_epi32(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f))));
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

// scores[j] = scale * q . K_j for j < n_keys; returns the largest.
float attention_scores(const float* q,
                       const float* k,
                       std::int64_t n_keys,
                       std::int64_t head_dim,
                       std::int64_t kv_stride,
                       float scale,
                       float* scores) {
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    std::int64_t j = 0;
    for (; j + 4 <= n_keys; j += 4) {
        const float* k0 = k + j * kv_stride;
        const float* k1 = k0 + kv_stride;
        const float* k2 = k1 + kv_stride;
        const float* k3 = k2 + kv_stride;
        __m512 a0 = _mm512_setzero_ps();
        __m512 a1 = _mm512_setzero_ps();
        __m512 a2 = _mm512_setzero_ps();
        __m512 a3 = _mm512_setzero_ps();
        for (std::int64_t d = 0; d < head_dim; d += 16) {
            const __mmask16 m = tail_mask(head_dim - d);
            const __m512 qv = _mm512_maskz_loadu_ps(m, q + d);
            a0 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k0 + d), a0);
            a1 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k1 + d), a1);
            a2 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k2 + d), a2);
            a3 = _mm512_fmadd_ps(qv, _mm512_maskz_loadu_ps(m, k3 + d), a3);
        }
        const __m128 s = _mm_mul_ps(_mm_setr_ps(_mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(a1),
                                                _mm512_reduce_add_ps(a2), _mm512_reduce_add_ps(a3)),
                                    _mm_set1_ps(scale));
        _mm_storeu_ps(scores + j, s);
        // Only lanes 0-3 carry scores (the cast leaves the others undefined).
        vmax = _mm512_mask_max_ps(vmax, 0x000F, vmax, _mm512_castps128_ps512(s));
    }
    float max_score = _mm512_mask_reduce_max_ps(0x000F, vmax);
    for (; j < n_keys; ++j) {
        scores[j] = scale * dot_f32(q, k + j * kv_stride, head_dim);
        max_score = scores[j] > max_score ? scores[j] : max_score;
    }
    return max_score;
}

void attention_head(const float* q,
                    const float* k,
                    const float* v,
                    std::int64_t n_keys,
                    std::int64_t head_dim,
                    std::int64_t kv_stride,
                    float scale,
                    float* scores,
                    float* out) {
    const float max_score = attention_scores(q, k, n_keys, head_dim, kv_stride, scale, scores);
    const __m512 vmax = _mm512_set1_ps(max_score);
    __m512 vsum = _mm512_setzero_ps();
    for (std::int64_t j = 0; j < n_keys; j += 16) {
        const __mmask16 m = tail_mask(n_keys - j);
        const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, scores + j), vmax));
        _mm512_mask_storeu_ps(scores + j, m, e);
        vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    // 64 output values per pass in four registers; each V row is read once per pass.
    for (std::int64_t d0 = 0; d0 < head_dim; d0 += 64) {
        const __mmask16 m0 = tail_mask(head_dim - d0);
        const __mmask16 m1 = head_dim - d0 > 16 ? tail_mask(head_dim - d0 - 16) : 0;
        const __mmask16 m2 = head_dim - d0 > 32 ? tail_mask(head_dim - d0 - 32) : 0;
        const __mmask16 m3 = head_dim - d0 > 48 ? tail_mask(head_dim - d0 - 48) : 0;
        __m512 o0 = _mm512_setzero_ps();
        __m512 o1 = _mm512_setzero_ps();
        __m512 o2 = _mm512_setzero_ps();
        __m512 o3 = _mm512_setzero_ps();
        for (std::int64_t j = 0; j < n_keys; ++j) {
            const float* row = v + j * kv_stride + d0;
            const __m512 p = _mm512_set1_ps(scores[j]);
            o0 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m0, row), o0);
            o1 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m1, row + 16), o1);
            o2 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m2, row + 32), o2);
            o3 = _mm512_fmadd_ps(p, _mm512_maskz_loadu_ps(m3, row + 48), o3);
        }
        _mm512_mask_storeu_ps(out + d0, m0, _mm512_mul_ps(o0, inv));
        _mm512_mask_storeu_ps(out + d0 + 16, m1, _mm512_mul_ps(o1, inv));
        _mm512_mask_storeu_ps(out + d0 + 32, m2, _mm512_mul_ps(o2, inv));
        _mm512_mask_storeu_ps(out + d0 + 48, m3, _mm512_mul_ps(o3, inv));
    }
}

// Three passes: scale and max, exp and sum, normalise; then zeros past n_visible.
void softmax_row(float* row, std::int64_t n_visible, std::int64_t n, float scale) {
    const __m512 vscale = _mm512_set1_ps(scale);
    __m512 vmax = _mm512_set1_ps(-INFINITY);
    for (std::int64_t j = 0; j < n_visible; j += 16) {
        const __mmask16 m = tail_mask(n_visible - j);
        const __m512 s = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), vscale);
        _mm512_mask_storeu_ps(row + j, m, s);
        vmax = _mm512_mask_max_ps(vmax, m, vmax, s);
    }
    const __m512 max_score = _mm512_set1_ps(_mm512_reduce_max_ps(vmax));
    __m512 vsum = _mm512_setzero_ps();
    for (std::int64_t j = 0; j < n_visible; j += 16) {
        const __mmask16 m = tail_mask(n_visible - j);
        const __m512 e = exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(m, row + j), max_score));
        _mm512_mask_storeu_ps(row + j, m, e);
        vsum = _mm512_mask_add_ps(vsum, m, vsum, e);
    }
    const __m512 inv = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(vsum));
    for (std::int64_t j = 0; j < n_visible; j += 16) {
        const __mmask16 m = tail_mask(n_visible - j);
        _mm512_mask_storeu_ps(row + j, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, row + j), inv));
    }
    for (std::int64_t j = n_visible; j < n; j += 16) {
        _mm512_mask_storeu_ps(row + j, tail_mask(n - j), _mm512_setzero_ps());
    }
}

// silu(g) * u = g / (1 + e^-g) * u; e^-g saturates (to ~1e38 or ~1e-38) outside the exp
// range, where the quotient is then ~0 or g, as with std::exp.
void silu_mul(float* gate, const float* up, std::int64_t n) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (std::int64_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail_mask(n - i);
        const __m512 g = _mm512_maskz_loadu_ps(m, gate + i);
        const __m512 u = _mm512_maskz_loadu_ps(m, up + i);
        const __m512 e = exp512(_mm512_sub_ps(_mm512_setzero_ps(), g));
        _mm512_mask_storeu_ps(gate + i, m,
                              _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), u));
    }
}

}  // namespace

void fill_avx512_attention_kernels(KernelSet& set) {
    set.dot_f32 = dot_f32;
    set.axpy_f32 = axpy_f32;
    set.attention_head = attention_head;
    set.softmax_row = softmax_row;
    set.silu_mul = silu_mul;
}

}  // namespace lore::kernels::x86
