// Reference kernels of the plain float types F32, F16 and BF16, and the public conversions.
#include <cmath>
#include <cstring>

#include "kernels/float16.h"
#include "kernels/reference/reference.h"

namespace lore::kernels {

float fp16_to_f32(std::uint16_t h) {
    return half_to_float(h);
}

std::uint16_t f32_to_fp16(float f) {
    return float_to_half(f);
}

float bf16_to_f32(std::uint16_t h) {
    return bf16_to_float(h);
}

std::uint16_t f32_to_bf16(float f) {
    return float_to_bf16(f);
}

namespace reference {
namespace {

void dequantize_f32(const void* src, float* dst, std::int64_t n) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
}

void quantize_f32(const float* src, void* dst, std::int64_t n) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
}

float dot_f32(const void* w, const float* x, std::int64_t n) {
    const auto* row = static_cast<const float*>(w);
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(row[i]) * static_cast<double>(x[i]);
    }
    return static_cast<float>(sum);
}

void dequantize_f16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    for (std::int64_t i = 0; i < n; ++i) {
        dst[i] = half_to_float(h[i]);
    }
}

void quantize_f16(const float* src, void* dst, std::int64_t n) {
    auto* h = static_cast<std::uint16_t*>(dst);
    for (std::int64_t i = 0; i < n; ++i) {
        h[i] = float_to_half(src[i]);
    }
}

float dot_f16(const void* w, const float* x, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(w);
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(half_to_float(h[i])) * static_cast<double>(x[i]);
    }
    return static_cast<float>(sum);
}

void dequantize_bf16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    for (std::int64_t i = 0; i < n; ++i) {
        dst[i] = bf16_to_float(h[i]);
    }
}

void quantize_bf16(const float* src, void* dst, std::int64_t n) {
    auto* h = static_cast<std::uint16_t*>(dst);
    for (std::int64_t i = 0; i < n; ++i) {
        h[i] = float_to_bf16(src[i]);
    }
}

float dot_bf16(const void* w, const float* x, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(w);
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(bf16_to_float(h[i])) * static_cast<double>(x[i]);
    }
    return static_cast<float>(sum);
}

// The f32-activation dot doubles as the vec_dot of the float types (vec_dot_type F32).
template <DotFn kDot>
float vec_dot_float(const void* w, const void* x, std::int64_t n) {
    return kDot(w, static_cast<const float*>(x), n);
}

float load_f32(const std::uint8_t* row, std::int64_t i) {
    float f = 0.0f;
    std::memcpy(&f, row + static_cast<std::size_t>(i) * 4, sizeof(f));
    return f;
}

float load_f16(const std::uint8_t* row, std::int64_t i) {
    std::uint16_t h = 0;
    std::memcpy(&h, row + static_cast<std::size_t>(i) * 2, sizeof(h));
    return half_to_float(h);
}

float load_bf16(const std::uint8_t* row, std::int64_t i) {
    std::uint16_t h = 0;
    std::memcpy(&h, row + static_cast<std::size_t>(i) * 2, sizeof(h));
    return bf16_to_float(h);
}

// One fused multiply-add per row, in row order (kernels.h): the SIMD sets do the same in
// each lane, so they match this bit for bit.
template <float (*kLoad)(const std::uint8_t*, std::int64_t)>
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
    for (std::int64_t g = 0; g < n_weights; ++g) {
        for (std::int64_t i = 0; i < n; ++i) {
            float sum = 0.0f;
            for (std::int64_t j = 0; j < n_rows; ++j) {
                sum = std::fma(p[g * p_stride + j],
                               kLoad(rows + static_cast<std::size_t>(j) * v_row_bytes, i), sum);
            }
            y[g * y_stride + i] = sum;
        }
    }
}

}  // namespace

void fill_float_kernels(KernelSet& set) {
    auto& f32 = set.by_type[static_cast<std::size_t>(TensorType::kF32)];
    f32 = {dequantize_f32, quantize_f32, dot_f32, TensorType::kF32, vec_dot_float<dot_f32>};
    f32.weighted_rows = weighted_rows<load_f32>;
    auto& f16 = set.by_type[static_cast<std::size_t>(TensorType::kF16)];
    f16 = {dequantize_f16, quantize_f16, dot_f16, TensorType::kF32, vec_dot_float<dot_f16>};
    f16.weighted_rows = weighted_rows<load_f16>;
    auto& bf16 = set.by_type[static_cast<std::size_t>(TensorType::kBF16)];
    bf16 = {dequantize_bf16, quantize_bf16, dot_bf16, TensorType::kF32, vec_dot_float<dot_bf16>};
    bf16.weighted_rows = weighted_rows<load_bf16>;
}

}  // namespace reference
}  // namespace lore::kernels
