// AVX2 + FMA + F16C kernels of the plain float types F32, F16, BF16: dot products with f32
// activations (which are also their vec_dot), dequantize (conversion to f32) and, for F16,
// quantize (conversion from f32: the session's KV cache). Rows of any
// length: a scalar tail handles n % 8. Compiled with -mavx2 -mfma -mf16c; only reached
// through dispatch.cpp after CPUID. Everything here has internal linkage and avoids shared
// inline helpers, so no AVX2 copy of an inline function can be picked by the linker for
// code that runs on older CPUs.
#include <cstring>

#include <immintrin.h>

#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float scalar_half(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline float scalar_bf16(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float f = 0.0f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

inline __m256 load_half8(const std::uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline __m256 load_bf16x8(const std::uint16_t* p) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

inline __m256 load_f32x8(const float* p) {
    return _mm256_loadu_ps(p);
}

// Generic dot: 4 independent accumulators (FMA latency 4) over 32 values, then 8, then a
// scalar tail. Load8 turns 8 weights into f32; Scalar converts one.
template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
float dot_generic(const void* w, const float* x, std::int64_t n) {
    const auto* row = static_cast<const Weight*>(w);
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps();
    __m256 acc3 = _mm256_setzero_ps();
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        acc0 = _mm256_fmadd_ps(kLoad8(row + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(kLoad8(row + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(kLoad8(row + i + 16), _mm256_loadu_ps(x + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(kLoad8(row + i + 24), _mm256_loadu_ps(x + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(kLoad8(row + i), _mm256_loadu_ps(x + i), acc0);
    }
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) {
        sum += kScalar(row[i]) * x[i];
    }
    return sum;
}

inline float scalar_f32(float f) {
    return f;
}

float dot_f32(const void* w, const float* x, std::int64_t n) {
    return dot_generic<float, load_f32x8, scalar_f32>(w, x, n);
}

float dot_f16(const void* w, const float* x, std::int64_t n) {
    return dot_generic<std::uint16_t, load_half8, scalar_half>(w, x, n);
}

float dot_bf16(const void* w, const float* x, std::int64_t n) {
    return dot_generic<std::uint16_t, load_bf16x8, scalar_bf16>(w, x, n);
}

template <DotFn kDot>
float vec_dot_float(const void* w, const void* x, std::int64_t n) {
    return kDot(w, static_cast<const float*>(x), n);
}

void dequantize_f16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, load_half8(h + i));
    }
    for (; i < n; ++i) {
        dst[i] = scalar_half(h[i]);
    }
}

// Narrowing with F16C rounds to nearest even, keeps a NaN's top payload bits and quiets
// it, and makes subnormals, as the reference does: the results are bit-identical.
void quantize_f16(const float* src, void* dst, std::int64_t n) {
    auto* h = static_cast<std::uint16_t*>(dst);
    constexpr int kRounding = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), kRounding));
    }
    for (; i < n; ++i) {
        h[i] = static_cast<std::uint16_t>(_cvtss_sh(src[i], kRounding));
    }
}

void dequantize_bf16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, load_bf16x8(h + i));
    }
    for (; i < n; ++i) {
        dst[i] = scalar_bf16(h[i]);
    }
}

}  // namespace

void fill_avx2_float_kernels(KernelSet& set) {
    auto& f32 = set.by_type[static_cast<std::size_t>(TensorType::kF32)];
    f32.dot = dot_f32;
    f32.vec_dot = vec_dot_float<dot_f32>;
    auto& f16 = set.by_type[static_cast<std::size_t>(TensorType::kF16)];
    f16.dequantize = dequantize_f16;
    f16.quantize = quantize_f16;
    f16.dot = dot_f16;
    f16.vec_dot = vec_dot_float<dot_f16>;
    auto& bf16 = set.by_type[static_cast<std::size_t>(TensorType::kBF16)];
    bf16.dequantize = dequantize_bf16;
    bf16.dot = dot_bf16;
    bf16.vec_dot = vec_dot_float<dot_bf16>;
}

}  // namespace lore::kernels::x86
