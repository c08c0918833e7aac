// Block structs of the quantized tensor types, byte for byte as GGUF files (and ggml) store
// them; every field is little-endian and the structs have no padding (checked below), so a
// row of a mapped tensor can be read as an array of them. Internal to the kernels.
//
//   Q4_0  d; qs[16]: value j (0..15) is the low nibble of qs[j], value j+16 its high nibble;
//         x = d * (q - 8)
//   Q4_1  d, m; qs[16] as Q4_0; x = d * q + m
//   Q5_0  d; qh[4] read as one little-endian uint32 whose bit j is bit 4 of value j;
//         qs[16] as Q4_0 (the low 4 bits); x = d * (q - 16)
//   Q5_1  d, m; qh[4]; qs[16]; x = d * q + m
//   Q8_0  d; int8 qs[32]; x = d * q
//   Q8_1  d, s = d * sum(qs) (fp16); int8 qs[32]; activations of Q4_1/Q5_1 dot products
//   Q4_K  256 values in 8 sub-blocks of 32. d, dmin; scales[12] packs 8 six-bit scales sc[j]
//         and 8 six-bit mins m[j]: for j < 4, sc[j] = scales[j] & 63, m[j] = scales[j+4] & 63;
//         for j >= 4, sc[j] = (scales[j+4] & 15) | (scales[j-4] >> 6) << 4 and
//         m[j] = (scales[j+4] >> 4) | (scales[j] >> 6) << 4. qs[128]: chunk c (0..3) of 64
//         values uses qs[32c .. 32c+32): low nibbles are sub-block 2c, high nibbles 2c+1.
//         x = d * sc[j] * q - dmin * m[j]
//   Q5_K  as Q4_K plus qh[32]: bit 4 of value 32*j + l is bit j of qh[l]. x as Q4_K, q 0..31.
//   Q6_K  ql[128], qh[64], int8 scales[16], d last. Half h (0..1) of 128 values uses
//         ql[64h..], qh[32h..], scales[8h..]; within it, for l in 0..31:
//           value l      = (ql[l]    & 15) | ((qh[l] >> 0) & 3) << 4
//           value l + 32 = (ql[l+32] & 15) | ((qh[l] >> 2) & 3) << 4
//           value l + 64 = (ql[l]    >> 4) | ((qh[l] >> 4) & 3) << 4
//           value l + 96 = (ql[l+32] >> 4) | ((qh[l] >> 6) & 3) << 4
//         and value v of the half has scale scales[v / 16]; x = d * scale * (q - 32).
//   Q8_K  d (f32); int8 qs[256]; int16 bsums[16] = sums of qs in groups of 16 (activations).
#pragma once

#include <cstdint>

namespace lore::kernels {

inline constexpr int kQk32 = 32;  // values per block of the legacy types
inline constexpr int kQkK = 256;  // values per super-block of the K-quants
inline constexpr int kKScaleBytes = 12;

struct BlockQ4_0 {
    std::uint16_t d;
    std::uint8_t qs[kQk32 / 2];
};

struct BlockQ4_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qs[kQk32 / 2];
};

struct BlockQ5_0 {
    std::uint16_t d;
    std::uint8_t qh[4];
    std::uint8_t qs[kQk32 / 2];
};

struct BlockQ5_1 {
    std::uint16_t d;
    std::uint16_t m;
    std::uint8_t qh[4];
    std::uint8_t qs[kQk32 / 2];
};

struct BlockQ8_0 {
    std::uint16_t d;
    std::int8_t qs[kQk32];
};

struct BlockQ8_1 {
    std::uint16_t d;
    std::uint16_t s;
    std::int8_t qs[kQk32];
};

struct BlockQ4_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[kKScaleBytes];
    std::uint8_t qs[kQkK / 2];
};

struct BlockQ5_K {
    std::uint16_t d;
    std::uint16_t dmin;
    std::uint8_t scales[kKScaleBytes];
    std::uint8_t qh[kQkK / 8];
    std::uint8_t qs[kQkK / 2];
};

struct BlockQ6_K {
    std::uint8_t ql[kQkK / 2];
    std::uint8_t qh[kQkK / 4];
    std::int8_t scales[kQkK / 16];
    std::uint16_t d;
};

struct BlockQ8_K {
    float d;
    std::int8_t qs[kQkK];
    std::int16_t bsums[kQkK / 16];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ8_1) == 36);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// Unpacks the six-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K block.
inline void unpack_k_scale_min(const std::uint8_t* scales, int j, int* scale, int* min) {
    if (j < 4) {
        *scale = scales[j] & 63;
        *min = scales[j + 4] & 63;
    } else {
        *scale = (scales[j + 4] & 15) | ((scales[j - 4] >> 6) << 4);
        *min = (scales[j + 4] >> 4) | ((scales[j] >> 6) << 4);
    }
}

}  // namespace lore::kernels
