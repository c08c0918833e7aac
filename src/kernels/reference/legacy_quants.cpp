// Reference kernels of the 32-value block types Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and the
// activation type Q8_1 (layouts in kernels/blocks.h). Dequantize is the specification of
// each layout; dot dequantizes a block and accumulates in double; vec_dot is the exact
// integer dot with the activation blocks (Q8_0 for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1).
// Quantizers use the fp16-rounded scales when choosing levels, so stored scales and levels
// agree.
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/float16.h"
#include "kernels/reference/quant_common.h"
#include "kernels/reference/reference.h"

namespace lore::kernels::reference {
namespace {

// Decoders: the 32 levels of one block (signed, offset removed) and its scale / min.
void levels_q4_0(const BlockQ4_0& b, int* q) {
    for (int j = 0; j < kQk32 / 2; ++j) {
        q[j] = (b.qs[j] & 15) - 8;
        q[j + 16] = (b.qs[j] >> 4) - 8;
    }
}

void levels_q4_1(const BlockQ4_1& b, int* q) {
    for (int j = 0; j < kQk32 / 2; ++j) {
        q[j] = b.qs[j] & 15;
        q[j + 16] = b.qs[j] >> 4;
    }
}

std::uint32_t read_qh(const std::uint8_t* qh) {
    std::uint32_t bits = 0;
    std::memcpy(&bits, qh, sizeof(bits));  // little-endian, as stored
    return bits;
}

void levels_q5(const std::uint8_t* qh_bytes, const std::uint8_t* qs, int offset, int* q) {
    const std::uint32_t qh = read_qh(qh_bytes);
    for (int j = 0; j < kQk32 / 2; ++j) {
        const int high_lo = static_cast<int>((qh >> j) & 1u) << 4;
        const int high_hi = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
        q[j] = ((qs[j] & 15) | high_lo) - offset;
        q[j + 16] = ((qs[j] >> 4) | high_hi) - offset;
    }
}

template <typename Block>
const Block* blocks(const void* p) {
    return static_cast<const Block*>(p);
}

// ---- Q4_0 ----

void dequantize_q4_0(const void* src, float* dst, std::int64_t n) {
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ4_0& b = blocks<BlockQ4_0>(src)[i];
        const float d = half_to_float(b.d);
        levels_q4_0(b, q);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(q[j]);
        }
    }
}

void quantize_q4_0(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ4_0*>(dst);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const float* x = src + i * kQk32;
        const std::uint16_t d_half = float_to_half(signed_absmax(x, kQk32) / -8.0f);
        const float d = half_to_float(d_half);
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        out[i].d = d_half;
        for (int j = 0; j < kQk32 / 2; ++j) {
            const int lo = clamp_int(round_to_int(x[j] * inv) + 8, 0, 15);
            const int hi = clamp_int(round_to_int(x[j + 16] * inv) + 8, 0, 15);
            out[i].qs[j] = static_cast<std::uint8_t>(lo | (hi << 4));
        }
    }
}

// ---- Q4_1 ----

void dequantize_q4_1(const void* src, float* dst, std::int64_t n) {
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ4_1& b = blocks<BlockQ4_1>(src)[i];
        const float d = half_to_float(b.d);
        const float m = half_to_float(b.m);
        levels_q4_1(b, q);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(q[j]) + m;
        }
    }
}

// Min/max asymmetric quantization of one block to levels 0..max_level; returns the
// fp16-rounded scale and min through the out-parameters and levels in q.
void quantize_min_max(
    const float* x, int max_level, std::uint16_t* d_out, std::uint16_t* m_out, int* q) {
    float lo = x[0];
    float hi = x[0];
    for (int j = 1; j < kQk32; ++j) {
        lo = std::min(lo, x[j]);
        hi = std::max(hi, x[j]);
    }
    *d_out = float_to_half((hi - lo) / static_cast<float>(max_level));
    *m_out = float_to_half(lo);
    const float d = half_to_float(*d_out);
    const float m = half_to_float(*m_out);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQk32; ++j) {
        q[j] = clamp_int(round_to_int((x[j] - m) * inv), 0, max_level);
    }
}

void quantize_q4_1(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ4_1*>(dst);
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        quantize_min_max(src + i * kQk32, 15, &out[i].d, &out[i].m, q);
        for (int j = 0; j < kQk32 / 2; ++j) {
            out[i].qs[j] = static_cast<std::uint8_t>(q[j] | (q[j + 16] << 4));
        }
    }
}

// ---- Q5_0 / Q5_1 ----

void pack_q5(const int* q, std::uint8_t* qh_bytes, std::uint8_t* qs) {
    std::uint32_t qh = 0;
    for (int j = 0; j < kQk32 / 2; ++j) {
        qs[j] = static_cast<std::uint8_t>((q[j] & 15) | ((q[j + 16] & 15) << 4));
        qh |= static_cast<std::uint32_t>(q[j] >> 4) << j;
        qh |= static_cast<std::uint32_t>(q[j + 16] >> 4) << (j + 16);
    }
    std::memcpy(qh_bytes, &qh, sizeof(qh));
}

void dequantize_q5_0(const void* src, float* dst, std::int64_t n) {
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ5_0& b = blocks<BlockQ5_0>(src)[i];
        const float d = half_to_float(b.d);
        levels_q5(b.qh, b.qs, 16, q);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(q[j]);
        }
    }
}

void quantize_q5_0(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ5_0*>(dst);
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const float* x = src + i * kQk32;
        out[i].d = float_to_half(signed_absmax(x, kQk32) / -16.0f);
        const float d = half_to_float(out[i].d);
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        for (int j = 0; j < kQk32; ++j) {
            q[j] = clamp_int(round_to_int(x[j] * inv) + 16, 0, 31);
        }
        pack_q5(q, out[i].qh, out[i].qs);
    }
}

void dequantize_q5_1(const void* src, float* dst, std::int64_t n) {
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ5_1& b = blocks<BlockQ5_1>(src)[i];
        const float d = half_to_float(b.d);
        const float m = half_to_float(b.m);
        levels_q5(b.qh, b.qs, 0, q);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(q[j]) + m;
        }
    }
}

void quantize_q5_1(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ5_1*>(dst);
    int q[kQk32];
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        quantize_min_max(src + i * kQk32, 31, &out[i].d, &out[i].m, q);
        pack_q5(q, out[i].qh, out[i].qs);
    }
}

// ---- Q8_0 / Q8_1 ----

void dequantize_q8_0(const void* src, float* dst, std::int64_t n) {
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ8_0& b = blocks<BlockQ8_0>(src)[i];
        const float d = half_to_float(b.d);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(b.qs[j]);
        }
    }
}

// Symmetric 8-bit levels of one block with scale amax / 127 (not fp16-rounded: the levels
// are chosen with the exact scale, as llama.cpp does, which keeps |q| <= 127).
float quantize_q8_levels(const float* x, std::int8_t* qs) {
    const float d = absmax(x, kQk32) / 127.0f;
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    for (int j = 0; j < kQk32; ++j) {
        qs[j] = static_cast<std::int8_t>(clamp_int(round_to_int(x[j] * inv), -127, 127));
    }
    return d;
}

void quantize_q8_0(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_0*>(dst);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        out[i].d = float_to_half(quantize_q8_levels(src + i * kQk32, out[i].qs));
    }
}

void dequantize_q8_1(const void* src, float* dst, std::int64_t n) {
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ8_1& b = blocks<BlockQ8_1>(src)[i];
        const float d = half_to_float(b.d);
        for (int j = 0; j < kQk32; ++j) {
            dst[i * kQk32 + j] = d * static_cast<float>(b.qs[j]);
        }
    }
}

void quantize_q8_1(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_1*>(dst);
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const float d = quantize_q8_levels(src + i * kQk32, out[i].qs);
        int sum = 0;
        for (int j = 0; j < kQk32; ++j) {
            sum += out[i].qs[j];
        }
        out[i].d = float_to_half(d);
        out[i].s = float_to_half(d * static_cast<float>(sum));
    }
}

// ---- dot products ----

// f32-activation dot of any type: dequantize one block (kBlockBytes) at a time.
template <DequantizeFn kDequantize, std::size_t kBlockBytes>
float dot_by_dequantize(const void* w, const float* x, std::int64_t n) {
    const auto* bytes = static_cast<const std::uint8_t*>(w);
    float values[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        kDequantize(bytes + static_cast<std::size_t>(i) * kBlockBytes, values, kQk32);
        for (int j = 0; j < kQk32; ++j) {
            sum += static_cast<double>(values[j]) * static_cast<double>(x[i * kQk32 + j]);
        }
    }
    return static_cast<float>(sum);
}

int int_dot(const int* q, const std::int8_t* a) {
    int sum = 0;
    for (int j = 0; j < kQk32; ++j) {
        sum += q[j] * a[j];
    }
    return sum;
}

// Sum over blocks of scale(w) * scale(x) * integer dot (+ min(w) * s(x) for the _1 types).
float vec_dot_q4_0(const void* w, const void* x, std::int64_t n) {
    int q[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ4_0& b = blocks<BlockQ4_0>(w)[i];
        const BlockQ8_0& a = blocks<BlockQ8_0>(x)[i];
        levels_q4_0(b, q);
        const float scale = half_to_float(b.d) * half_to_float(a.d);
        sum += static_cast<double>(scale * static_cast<float>(int_dot(q, a.qs)));
    }
    return static_cast<float>(sum);
}

float vec_dot_q4_1(const void* w, const void* x, std::int64_t n) {
    int q[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ4_1& b = blocks<BlockQ4_1>(w)[i];
        const BlockQ8_1& a = blocks<BlockQ8_1>(x)[i];
        levels_q4_1(b, q);
        const float scale = half_to_float(b.d) * half_to_float(a.d);
        sum += static_cast<double>(scale * static_cast<float>(int_dot(q, a.qs)));
        sum += static_cast<double>(half_to_float(b.m) * half_to_float(a.s));
    }
    return static_cast<float>(sum);
}

float vec_dot_q5_0(const void* w, const void* x, std::int64_t n) {
    int q[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ5_0& b = blocks<BlockQ5_0>(w)[i];
        const BlockQ8_0& a = blocks<BlockQ8_0>(x)[i];
        levels_q5(b.qh, b.qs, 16, q);
        const float scale = half_to_float(b.d) * half_to_float(a.d);
        sum += static_cast<double>(scale * static_cast<float>(int_dot(q, a.qs)));
    }
    return static_cast<float>(sum);
}

float vec_dot_q5_1(const void* w, const void* x, std::int64_t n) {
    int q[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ5_1& b = blocks<BlockQ5_1>(w)[i];
        const BlockQ8_1& a = blocks<BlockQ8_1>(x)[i];
        levels_q5(b.qh, b.qs, 0, q);
        const float scale = half_to_float(b.d) * half_to_float(a.d);
        sum += static_cast<double>(scale * static_cast<float>(int_dot(q, a.qs)));
        sum += static_cast<double>(half_to_float(b.m) * half_to_float(a.s));
    }
    return static_cast<float>(sum);
}

float vec_dot_q8_0(const void* w, const void* x, std::int64_t n) {
    int q[kQk32];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQk32; ++i) {
        const BlockQ8_0& b = blocks<BlockQ8_0>(w)[i];
        const BlockQ8_0& a = blocks<BlockQ8_0>(x)[i];
        for (int j = 0; j < kQk32; ++j) {
            q[j] = b.qs[j];
        }
        const float scale = half_to_float(b.d) * half_to_float(a.d);
        sum += static_cast<double>(scale * static_cast<float>(int_dot(q, a.qs)));
    }
    return static_cast<float>(sum);
}

TypeKernels& entry(KernelSet& set, TensorType type) {
    return set.by_type[static_cast<std::size_t>(type)];
}

}  // namespace

void fill_legacy_kernels(KernelSet& set) {
    entry(set, TensorType::kQ4_0) = {dequantize_q4_0, quantize_q4_0,
                                     dot_by_dequantize<dequantize_q4_0, sizeof(BlockQ4_0)>,
                                     TensorType::kQ8_0, vec_dot_q4_0};
    entry(set, TensorType::kQ4_1) = {dequantize_q4_1, quantize_q4_1,
                                     dot_by_dequantize<dequantize_q4_1, sizeof(BlockQ4_1)>,
                                     TensorType::kQ8_1, vec_dot_q4_1};
    entry(set, TensorType::kQ5_0) = {dequantize_q5_0, quantize_q5_0,
                                     dot_by_dequantize<dequantize_q5_0, sizeof(BlockQ5_0)>,
                                     TensorType::kQ8_0, vec_dot_q5_0};
    entry(set, TensorType::kQ5_1) = {dequantize_q5_1, quantize_q5_1,
                                     dot_by_dequantize<dequantize_q5_1, sizeof(BlockQ5_1)>,
                                     TensorType::kQ8_1, vec_dot_q5_1};
    entry(set, TensorType::kQ8_0) = {dequantize_q8_0, quantize_q8_0,
                                     dot_by_dequantize<dequantize_q8_0, sizeof(BlockQ8_0)>,
                                     TensorType::kQ8_0, vec_dot_q8_0};
    entry(set, TensorType::kQ8_1) = {dequantize_q8_1, quantize_q8_1, nullptr, TensorType::kQ8_1,
                                     nullptr};
}

}  // namespace lore::kernels::reference
