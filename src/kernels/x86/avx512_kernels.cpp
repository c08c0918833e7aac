// AVX-512 kernel set (F, BW, VL, VNNI): the quantized-type kernels of quant_kernels.inc
// compiled with VNNI (each u8 x s8 quad-sum is one vpdpbusd instead of maddubs + madd), and
// 512-bit dot products for F32, F16 and BF16. Only reached through dispatch.cpp after CPUID.
#include "kernels/x86/quant_kernels.inc"

namespace lore::kernels::x86 {
namespace {

inline __m512 load16_f32(const float* p) {
    return _mm512_loadu_ps(p);
}

inline __m512 load16_f16(const std::uint16_t* p) {
    return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

inline __m512 load16_bf16(const std::uint16_t* p) {
    const __m512i wide =
        _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
    return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

inline float scalar_f32(float f) {
    return f;
}

inline float scalar_f16(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline float scalar_bf16(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float f = 0.0f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

// Four accumulators over 64 values, then 16 at a time, then a scalar tail.
template <typename Weight, __m512 (*kLoad16)(const Weight*), float (*kScalar)(Weight)>
float dot512(const void* w, const float* x, std::int64_t n) {
    const auto* row = static_cast<const Weight*>(w);
    __m512 acc0 = _mm512_setzero_ps();
    __m512 acc1 = _mm512_setzero_ps();
    __m512 acc2 = _mm512_setzero_ps();
    __m512 acc3 = _mm512_setzero_ps();
    std::int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        acc0 = _mm512_fmadd_ps(kLoad16(row + i), _mm512_loadu_ps(x + i), acc0);
        acc1 = _mm512_fmadd_ps(kLoad16(row + i + 16), _mm512_loadu_ps(x + i + 16), acc1);
        acc2 = _mm512_fmadd_ps(kLoad16(row + i + 32), _mm512_loadu_ps(x + i + 32), acc2);
        acc3 = _mm512_fmadd_ps(kLoad16(row + i + 48), _mm512_loadu_ps(x + i + 48), acc3);
    }
    for (; i + 16 <= n; i += 16) {
        acc0 = _mm512_fmadd_ps(kLoad16(row + i), _mm512_loadu_ps(x + i), acc0);
    }
    float sum =
        _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), _mm512_add_ps(acc2, acc3)));
    for (; i < n; ++i) {
        sum += kScalar(row[i]) * x[i];
    }
    return sum;
}

float dot_f32(const void* w, const float* x, std::int64_t n) {
    return dot512<float, load16_f32, scalar_f32>(w, x, n);
}

float dot_f16(const void* w, const float* x, std::int64_t n) {
    return dot512<std::uint16_t, load16_f16, scalar_f16>(w, x, n);
}

float dot_bf16(const void* w, const float* x, std::int64_t n) {
    return dot512<std::uint16_t, load16_bf16, scalar_bf16>(w, x, n);
}

template <DotFn kDot>
float vec_dot_float(const void* w, const void* x, std::int64_t n) {
    return kDot(w, static_cast<const float*>(x), n);
}

}  // namespace

void fill_avx512_kernels(KernelSet& set) {
    fill_quant_kernels(set);
    auto& f32 = set.by_type[static_cast<std::size_t>(TensorType::kF32)];
    f32.dot = dot_f32;
    f32.vec_dot = vec_dot_float<dot_f32>;
    auto& f16 = set.by_type[static_cast<std::size_t>(TensorType::kF16)];
    f16.dot = dot_f16;
    f16.vec_dot = vec_dot_float<dot_f16>;
    auto& bf16 = set.by_type[static_cast<std::size_t>(TensorType::kBF16)];
    bf16.dot = dot_bf16;
    bf16.vec_dot = vec_dot_float<dot_bf16>;
}

}  // namespace lore::kernels::x86
