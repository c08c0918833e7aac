// Tensor element types, numbered as GGUF files number them (ggml's `enum ggml_type`), and
// their block layouts. A quantized type stores a row of n values as n / block_size blocks
// of block_bytes each; n must be a multiple of block_size.
//
// Block layouts (little-endian; `d`, `m`, `dmin` are fp16 unless noted):
//   Q4_0  (32 values, 18 B): d; qs[16] — low nibbles are values 0..15, high nibbles 16..31;
//                            x = d * (q - 8)
//   Q4_1  (32, 20 B): d, m; qs[16] as Q4_0; x = d * q + m
//   Q5_0  (32, 22 B): d; qh[4] (bit j = 5th bit of value j); qs[16]; x = d * (q - 16)
//   Q5_1  (32, 24 B): d, m; qh[4]; qs[16]; x = d * q + m
//   Q8_0  (32, 34 B): d; int8 qs[32]; x = d * q
//   Q4_K  (256, 144 B): d, dmin; scales[12] (8 six-bit scales and 8 six-bit mins); qs[128]
//   Q5_K  (256, 176 B): d, dmin; scales[12]; qh[32]; qs[128]
//   Q6_K  (256, 210 B): ql[128]; qh[64]; int8 scales[16]; d (fp16, last)
//   Q8_K  (256, 292 B): d (f32); int8 qs[256]; int16 bsums[16]  (activations only)
//   BF16: the upper 16 bits of an IEEE float32.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lore {

enum class TensorType : std::uint32_t {
    kF32 = 0,
    kF16 = 1,
    kQ4_0 = 2,
    kQ4_1 = 3,
    kQ5_0 = 6,
    kQ5_1 = 7,
    kQ8_0 = 8,
    kQ8_1 = 9,
    kQ2_K = 10,
    kQ3_K = 11,
    kQ4_K = 12,
    kQ5_K = 13,
    kQ6_K = 14,
    kQ8_K = 15,
    kIQ2_XXS = 16,
    kIQ2_XS = 17,
    kIQ3_XXS = 18,
    kIQ1_S = 19,
    kIQ4_NL = 20,
    kIQ3_S = 21,
    kIQ2_S = 22,
    kIQ4_XS = 23,
    kI8 = 24,
    kI16 = 25,
    kI32 = 26,
    kI64 = 27,
    kF64 = 28,
    kIQ1_M = 29,
    kBF16 = 30,
    kTQ1_0 = 34,
    kTQ2_0 = 35,
    kMxfp4 = 39,
};

struct TensorTypeTraits {
    std::string_view name;    // "q4_K", as llama.cpp prints it; empty when unknown
    std::int64_t block_size;  // values per block (1 for plain types)
    std::size_t block_bytes;  // bytes per block
    bool is_known;            // a type GGUF defines (its size is known, even if unsupported)
    bool is_supported;        // lore can compute with it (dequantize and dot)
};

// Traits of `type`; an unknown number gives is_known == false and zero sizes.
constexpr TensorTypeTraits tensor_type_traits(TensorType type) {
    switch (type) {
        case TensorType::kF32: return {"f32", 1, 4, true, true};
        case TensorType::kF16: return {"f16", 1, 2, true, true};
        case TensorType::kBF16: return {"bf16", 1, 2, true, true};
        case TensorType::kQ4_0: return {"q4_0", 32, 18, true, true};
        case TensorType::kQ4_1: return {"q4_1", 32, 20, true, true};
        case TensorType::kQ5_0: return {"q5_0", 32, 22, true, true};
        case TensorType::kQ5_1: return {"q5_1", 32, 24, true, true};
        case TensorType::kQ8_0: return {"q8_0", 32, 34, true, true};
        case TensorType::kQ8_1: return {"q8_1", 32, 36, true, false};
        case TensorType::kQ2_K: return {"q2_K", 256, 84, true, false};
        case TensorType::kQ3_K: return {"q3_K", 256, 110, true, false};
        case TensorType::kQ4_K: return {"q4_K", 256, 144, true, true};
        case TensorType::kQ5_K: return {"q5_K", 256, 176, true, true};
        case TensorType::kQ6_K: return {"q6_K", 256, 210, true, true};
        case TensorType::kQ8_K: return {"q8_K", 256, 292, true, false};
        case TensorType::kIQ2_XXS: return {"iq2_xxs", 256, 66, true, false};
        case TensorType::kIQ2_XS: return {"iq2_xs", 256, 74, true, false};
        case TensorType::kIQ3_XXS: return {"iq3_xxs", 256, 98, true, false};
        case TensorType::kIQ1_S: return {"iq1_s", 256, 50, true, false};
        case TensorType::kIQ4_NL: return {"iq4_nl", 32, 18, true, false};
        case TensorType::kIQ3_S: return {"iq3_s", 256, 110, true, false};
        case TensorType::kIQ2_S: return {"iq2_s", 256, 82, true, false};
        case TensorType::kIQ4_XS: return {"iq4_xs", 256, 136, true, false};
        case TensorType::kI8: return {"i8", 1, 1, true, false};
        case TensorType::kI16: return {"i16", 1, 2, true, false};
        case TensorType::kI32: return {"i32", 1, 4, true, false};
        case TensorType::kI64: return {"i64", 1, 8, true, false};
        case TensorType::kF64: return {"f64", 1, 8, true, false};
        case TensorType::kIQ1_M: return {"iq1_m", 256, 56, true, false};
        case TensorType::kTQ1_0: return {"tq1_0", 256, 54, true, false};
        case TensorType::kTQ2_0: return {"tq2_0", 256, 66, true, false};
        case TensorType::kMxfp4: return {"mxfp4", 32, 17, true, false};
    }
    return {"", 0, 0, false, false};
}

// Bytes of one row of `n` values; REQUIRES: n % block_size == 0 and a known type.
constexpr std::size_t tensor_row_bytes(TensorType type, std::int64_t n) {
    TensorTypeTraits traits = tensor_type_traits(type);
    return static_cast<std::size_t>(n / traits.block_size) * traits.block_bytes;
}

}  // namespace lore
