// Reference kernels of the K-quants Q4_K, Q5_K, Q6_K (256-value super-blocks) and of the
// activation type Q8_K; layouts in kernels/blocks.h. vec_dot is the exact integer dot with
// Q8_K activations: per super-block d(w) * d(x) * sum_j scale_j * isum_j, minus
// dmin(w) * d(x) * sum_j min_j * (sum of x levels of sub-block j), the last part computed
// from the activation block's bsums.
// The quantizers are simple min/max (Q4_K, Q5_K) and absmax (Q6_K) per sub-block, with the
// sub-block scales quantized to 6 (8) bits against the super-block scale: valid, reasonably
// accurate, not llama.cpp's search-based quantizers.
#include <cstring>

#include "kernels/blocks.h"
#include "kernels/float16.h"
#include "kernels/reference/quant_common.h"
#include "kernels/reference/reference.h"

namespace lore::kernels::reference {
namespace {

constexpr int kSubBlocks = 8;  // Q4_K / Q5_K: 8 sub-blocks of 32

template <typename Block>
const Block* blocks(const void* p) {
    return static_cast<const Block*>(p);
}

// ---- level decoders: value v of a super-block -> its unsigned level ----

void levels_q4_k(const BlockQ4_K& b, int* q) {
    for (int chunk = 0; chunk < 4; ++chunk) {
        for (int l = 0; l < 32; ++l) {
            q[64 * chunk + l] = b.qs[32 * chunk + l] & 15;
            q[64 * chunk + 32 + l] = b.qs[32 * chunk + l] >> 4;
        }
    }
}

void levels_q5_k(const BlockQ5_K& b, int* q) {
    for (int chunk = 0; chunk < 4; ++chunk) {
        for (int l = 0; l < 32; ++l) {
            const int sub_lo = 2 * chunk;
            const int sub_hi = 2 * chunk + 1;
            q[64 * chunk + l] = (b.qs[32 * chunk + l] & 15) | (((b.qh[l] >> sub_lo) & 1) << 4);
            q[64 * chunk + 32 + l] = (b.qs[32 * chunk + l] >> 4) | (((b.qh[l] >> sub_hi) & 1) << 4);
        }
    }
}

// Signed levels (-32..31) of a Q6_K block.
void levels_q6_k(const BlockQ6_K& b, int* q) {
    for (int half = 0; half < 2; ++half) {
        const std::uint8_t* ql = b.ql + 64 * half;
        const std::uint8_t* qh = b.qh + 32 * half;
        int* out = q + 128 * half;
        for (int l = 0; l < 32; ++l) {
            out[l] = ((ql[l] & 15) | (((qh[l] >> 0) & 3) << 4)) - 32;
            out[l + 32] = ((ql[l + 32] & 15) | (((qh[l] >> 2) & 3) << 4)) - 32;
            out[l + 64] = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
            out[l + 96] = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
        }
    }
}

// ---- dequantize ----

template <typename Block, void (*kLevels)(const Block&, int*)>
void dequantize_scale_min(const void* src, float* dst, std::int64_t n) {
    int q[kQkK];
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const Block& b = blocks<Block>(src)[i];
        const float d = half_to_float(b.d);
        const float dmin = half_to_float(b.dmin);
        kLevels(b, q);
        for (int sub = 0; sub < kSubBlocks; ++sub) {
            int scale = 0;
            int min = 0;
            unpack_k_scale_min(b.scales, sub, &scale, &min);
            const float sub_d = d * static_cast<float>(scale);
            const float sub_m = dmin * static_cast<float>(min);
            for (int l = 0; l < 32; ++l) {
                dst[i * kQkK + 32 * sub + l] = sub_d * static_cast<float>(q[32 * sub + l]) - sub_m;
            }
        }
    }
}

void dequantize_q6_k(const void* src, float* dst, std::int64_t n) {
    int q[kQkK];
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const BlockQ6_K& b = blocks<BlockQ6_K>(src)[i];
        const float d = half_to_float(b.d);
        levels_q6_k(b, q);
        for (int v = 0; v < kQkK; ++v) {
            dst[i * kQkK + v] = d * static_cast<float>(b.scales[v / 16]) * static_cast<float>(q[v]);
        }
    }
}

void dequantize_q8_k(const void* src, float* dst, std::int64_t n) {
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const BlockQ8_K& b = blocks<BlockQ8_K>(src)[i];
        for (int v = 0; v < kQkK; ++v) {
            dst[i * kQkK + v] = b.d * static_cast<float>(b.qs[v]);
        }
    }
}

// ---- quantize ----

// Chooses 8 six-bit scales and mins for a super-block with levels 0..max_level, writes d,
// dmin and the packed scales, and the levels into q.
template <typename Block>
void quantize_scale_min(const float* x, int max_level, Block& out, int* q) {
    float sub_scale[kSubBlocks];
    float sub_min[kSubBlocks];  // stored positive; value = scale * q - min
    float max_scale = 0.0f;
    float max_min = 0.0f;
    for (int sub = 0; sub < kSubBlocks; ++sub) {
        const float* xs = x + 32 * sub;
        float lo = 0.0f;  // the min is never positive: a positive min cannot be stored
        float hi = xs[0];
        for (int l = 0; l < 32; ++l) {
            lo = std::min(lo, xs[l]);
            hi = std::max(hi, xs[l]);
        }
        sub_scale[sub] = std::max(hi - lo, 0.0f) / static_cast<float>(max_level);
        sub_min[sub] = -lo;
        max_scale = std::max(max_scale, sub_scale[sub]);
        max_min = std::max(max_min, sub_min[sub]);
    }
    out.d = float_to_half(max_scale / 63.0f);
    out.dmin = float_to_half(max_min / 63.0f);
    const float d = half_to_float(out.d);
    const float dmin = half_to_float(out.dmin);
    int scale_levels[kSubBlocks];
    int min_levels[kSubBlocks];
    for (int sub = 0; sub < kSubBlocks; ++sub) {
        // Round the scale up and the min up so the sub-block's range stays covered.
        scale_levels[sub] =
            d > 0.0f ? clamp_int(static_cast<int>(std::ceil(sub_scale[sub] / d)), 0, 63) : 0;
        min_levels[sub] =
            dmin > 0.0f ? clamp_int(static_cast<int>(std::ceil(sub_min[sub] / dmin)), 0, 63) : 0;
    }
    std::memset(out.scales, 0, sizeof(out.scales));
    for (int j = 0; j < 4; ++j) {
        out.scales[j] =
            static_cast<std::uint8_t>((scale_levels[j] & 63) | ((scale_levels[j + 4] >> 4) << 6));
        out.scales[j + 4] =
            static_cast<std::uint8_t>((min_levels[j] & 63) | ((min_levels[j + 4] >> 4) << 6));
        out.scales[j + 8] =
            static_cast<std::uint8_t>((scale_levels[j + 4] & 15) | ((min_levels[j + 4] & 15) << 4));
    }
    for (int sub = 0; sub < kSubBlocks; ++sub) {
        const float scale = d * static_cast<float>(scale_levels[sub]);
        const float min = dmin * static_cast<float>(min_levels[sub]);
        const float inv = scale > 0.0f ? 1.0f / scale : 0.0f;
        for (int l = 0; l < 32; ++l) {
            q[32 * sub + l] = clamp_int(round_to_int((x[32 * sub + l] + min) * inv), 0, max_level);
        }
    }
}

void quantize_q4_k(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ4_K*>(dst);
    int q[kQkK];
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        quantize_scale_min(src + i * kQkK, 15, out[i], q);
        for (int chunk = 0; chunk < 4; ++chunk) {
            for (int l = 0; l < 32; ++l) {
                out[i].qs[32 * chunk + l] =
                    static_cast<std::uint8_t>(q[64 * chunk + l] | (q[64 * chunk + 32 + l] << 4));
            }
        }
    }
}

void quantize_q5_k(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ5_K*>(dst);
    int q[kQkK];
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        quantize_scale_min(src + i * kQkK, 31, out[i], q);
        std::memset(out[i].qh, 0, sizeof(out[i].qh));
        for (int chunk = 0; chunk < 4; ++chunk) {
            for (int l = 0; l < 32; ++l) {
                const int lo = q[64 * chunk + l];
                const int hi = q[64 * chunk + 32 + l];
                out[i].qs[32 * chunk + l] = static_cast<std::uint8_t>((lo & 15) | ((hi & 15) << 4));
                out[i].qh[l] = static_cast<std::uint8_t>(out[i].qh[l] | ((lo >> 4) << (2 * chunk)) |
                                                         ((hi >> 4) << (2 * chunk + 1)));
            }
        }
    }
}

void quantize_q6_k(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ6_K*>(dst);
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const float* x = src + i * kQkK;
        float sub_scale[16];
        float max_scale = 0.0f;
        for (int sub = 0; sub < 16; ++sub) {
            sub_scale[sub] = signed_absmax(x + 16 * sub, 16) / -32.0f;
            max_scale = std::max(max_scale, std::fabs(sub_scale[sub]));
        }
        out[i].d = float_to_half(max_scale / 127.0f);
        const float d = half_to_float(out[i].d);
        int q[kQkK];
        for (int sub = 0; sub < 16; ++sub) {
            const int level = d > 0.0f ? clamp_int(round_to_int(sub_scale[sub] / d), -127, 127) : 0;
            out[i].scales[sub] = static_cast<std::int8_t>(level);
            const float scale = d * static_cast<float>(level);
            const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
            for (int l = 0; l < 16; ++l) {
                q[16 * sub + l] = clamp_int(round_to_int(x[16 * sub + l] * inv), -32, 31) + 32;
            }
        }
        for (int half = 0; half < 2; ++half) {
            std::uint8_t* ql = out[i].ql + 64 * half;
            std::uint8_t* qh = out[i].qh + 32 * half;
            const int* qv = q + 128 * half;
            for (int l = 0; l < 32; ++l) {
                ql[l] = static_cast<std::uint8_t>((qv[l] & 15) | ((qv[l + 64] & 15) << 4));
                ql[l + 32] =
                    static_cast<std::uint8_t>((qv[l + 32] & 15) | ((qv[l + 96] & 15) << 4));
                qh[l] =
                    static_cast<std::uint8_t>((qv[l] >> 4) | ((qv[l + 32] >> 4) << 2) |
                                              ((qv[l + 64] >> 4) << 4) | ((qv[l + 96] >> 4) << 6));
            }
        }
    }
}

void quantize_q8_k(const float* src, void* dst, std::int64_t n) {
    auto* out = static_cast<BlockQ8_K*>(dst);
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const float* x = src + i * kQkK;
        const float d = absmax(x, kQkK) / 127.0f;
        const float inv = d != 0.0f ? 1.0f / d : 0.0f;
        out[i].d = d;
        for (int v = 0; v < kQkK; ++v) {
            out[i].qs[v] = static_cast<std::int8_t>(clamp_int(round_to_int(x[v] * inv), -127, 127));
        }
        for (int group = 0; group < 16; ++group) {
            int sum = 0;
            for (int l = 0; l < 16; ++l) {
                sum += out[i].qs[16 * group + l];
            }
            out[i].bsums[group] = static_cast<std::int16_t>(sum);
        }
    }
}

// ---- dot products ----

template <DequantizeFn kDequantize, std::size_t kBlockBytes>
float dot_by_dequantize(const void* w, const float* x, std::int64_t n) {
    const auto* bytes = static_cast<const std::uint8_t*>(w);
    float values[kQkK];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        kDequantize(bytes + static_cast<std::size_t>(i) * kBlockBytes, values, kQkK);
        for (int v = 0; v < kQkK; ++v) {
            sum += static_cast<double>(values[v]) * static_cast<double>(x[i * kQkK + v]);
        }
    }
    return static_cast<float>(sum);
}

template <typename Block, void (*kLevels)(const Block&, int*)>
float vec_dot_scale_min(const void* w, const void* x, std::int64_t n) {
    int q[kQkK];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const Block& b = blocks<Block>(w)[i];
        const BlockQ8_K& a = blocks<BlockQ8_K>(x)[i];
        kLevels(b, q);
        int sum_scaled = 0;
        int sum_mins = 0;
        for (int sub = 0; sub < kSubBlocks; ++sub) {
            int scale = 0;
            int min = 0;
            unpack_k_scale_min(b.scales, sub, &scale, &min);
            int isum = 0;
            for (int l = 0; l < 32; ++l) {
                isum += q[32 * sub + l] * a.qs[32 * sub + l];
            }
            sum_scaled += scale * isum;
            sum_mins += min * (a.bsums[2 * sub] + a.bsums[2 * sub + 1]);
        }
        const float d = half_to_float(b.d) * a.d;
        const float dmin = half_to_float(b.dmin) * a.d;
        sum += static_cast<double>(d * static_cast<float>(sum_scaled)) -
               static_cast<double>(dmin * static_cast<float>(sum_mins));
    }
    return static_cast<float>(sum);
}

float vec_dot_q6_k(const void* w, const void* x, std::int64_t n) {
    int q[kQkK];
    double sum = 0.0;
    for (std::int64_t i = 0; i < n / kQkK; ++i) {
        const BlockQ6_K& b = blocks<BlockQ6_K>(w)[i];
        const BlockQ8_K& a = blocks<BlockQ8_K>(x)[i];
        levels_q6_k(b, q);
        int sum_scaled = 0;
        for (int sub = 0; sub < 16; ++sub) {
            int isum = 0;
            for (int l = 0; l < 16; ++l) {
                isum += q[16 * sub + l] * a.qs[16 * sub + l];
            }
            sum_scaled += b.scales[sub] * isum;
        }
        sum += static_cast<double>(half_to_float(b.d) * a.d * static_cast<float>(sum_scaled));
    }
    return static_cast<float>(sum);
}

TypeKernels& entry(KernelSet& set, TensorType type) {
    return set.by_type[static_cast<std::size_t>(type)];
}

}  // namespace

void fill_k_kernels(KernelSet& set) {
    constexpr DequantizeFn kDequantizeQ4K = dequantize_scale_min<BlockQ4_K, levels_q4_k>;
    constexpr DequantizeFn kDequantizeQ5K = dequantize_scale_min<BlockQ5_K, levels_q5_k>;
    entry(set, TensorType::kQ4_K) = {kDequantizeQ4K, quantize_q4_k,
                                     dot_by_dequantize<kDequantizeQ4K, sizeof(BlockQ4_K)>,
                                     TensorType::kQ8_K, vec_dot_scale_min<BlockQ4_K, levels_q4_k>};
    entry(set, TensorType::kQ5_K) = {kDequantizeQ5K, quantize_q5_k,
                                     dot_by_dequantize<kDequantizeQ5K, sizeof(BlockQ5_K)>,
                                     TensorType::kQ8_K, vec_dot_scale_min<BlockQ5_K, levels_q5_k>};
    entry(set, TensorType::kQ6_K) = {dequantize_q6_k, quantize_q6_k,
                                     dot_by_dequantize<dequantize_q6_k, sizeof(BlockQ6_K)>,
                                     TensorType::kQ8_K, vec_dot_q6_k};
    entry(set, TensorType::kQ8_K) = {dequantize_q8_k, quantize_q8_k, nullptr, TensorType::kQ8_K,
                                     nullptr};
}

void fill_kernels(KernelSet& set) {
    set.isa = Isa::kReference;
    fill_float_kernels(set);
    fill_legacy_kernels(set);
    fill_k_kernels(set);
    fill_attention_kernels(set);
}

}  // namespace lore::kernels::reference
