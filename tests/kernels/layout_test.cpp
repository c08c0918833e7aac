// The layout oracle: hand-made blocks of every type, written as the bytes a GGUF file holds,
// dequantize to values computed here from the format's definition (ggml's block layouts),
// in every kernel set. Scales are exact powers of two so the expected values are exact.
#include <cstdint>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

constexpr std::uint16_t kHalfOne = 0x3c00;       // 1.0
constexpr std::uint16_t kHalfHalf = 0x3800;      // 0.5
constexpr std::uint16_t kHalfQuarter = 0x3400;   // 0.25
constexpr std::uint16_t kHalfEighth = 0x3000;    // 0.125
constexpr std::uint16_t kHalfMinusOne = 0xbc00;  // -1.0
constexpr std::uint16_t kHalfTwo = 0x4000;       // 2.0

void put_u16(std::vector<std::uint8_t>& bytes, std::uint16_t v) {
    bytes.push_back(static_cast<std::uint8_t>(v & 0xff));
    bytes.push_back(static_cast<std::uint8_t>(v >> 8));
}

std::vector<const KernelSet*> all_sets() {
    std::vector<const KernelSet*> sets;
    for (Isa isa : kAllIsas) {
        if (const KernelSet* set = kernels_for(isa)) {
            sets.push_back(set);
        }
    }
    return sets;
}

void expect_dequantizes_to(TensorType type,
                           const std::vector<std::uint8_t>& bytes,
                           const std::vector<float>& expected) {
    ASSERT_EQ(bytes.size(), tensor_row_bytes(type, static_cast<std::int64_t>(expected.size())));
    for (const KernelSet* set : all_sets()) {
        std::vector<float> got(expected.size());
        (*set)[type].dequantize(bytes.data(), got.data(), static_cast<std::int64_t>(got.size()));
        for (std::size_t i = 0; i < expected.size(); ++i) {
            ASSERT_EQ(got[i], expected[i]) << "value " << i << " isa " << isa_name(set->isa);
        }
    }
}

// qs[j] = j | (15 - j) << 4: value j has level j, value j + 16 has level 15 - j.
std::vector<std::uint8_t> nibble_pattern() {
    std::vector<std::uint8_t> qs;
    for (int j = 0; j < 16; ++j) {
        qs.push_back(static_cast<std::uint8_t>(j | ((15 - j) << 4)));
    }
    return qs;
}

int nibble_level(int v) {
    return v < 16 ? v : 15 - (v - 16);
}

TEST(LayoutTest, Q4_0BlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfHalf);
    for (std::uint8_t b : nibble_pattern()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 32; ++v) {
        expected.push_back(0.5f * static_cast<float>(nibble_level(v) - 8));
    }

    expect_dequantizes_to(TensorType::kQ4_0, bytes, expected);
}

TEST(LayoutTest, Q4_1BlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfQuarter);
    put_u16(bytes, kHalfMinusOne);
    for (std::uint8_t b : nibble_pattern()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 32; ++v) {
        expected.push_back(0.25f * static_cast<float>(nibble_level(v)) - 1.0f);
    }

    expect_dequantizes_to(TensorType::kQ4_1, bytes, expected);
}

// qh bytes 0x01 0x80 0x00 0x80: as a little-endian uint32, bits 0, 15 and 31 are set, so
// values 0, 15 and 31 have their fifth bit.
constexpr std::uint8_t kQh[4] = {0x01, 0x80, 0x00, 0x80};

int q5_level(int v) {
    const bool high = v == 0 || v == 15 || v == 31;
    return nibble_level(v) + (high ? 16 : 0);
}

TEST(LayoutTest, Q5_0BlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfTwo);
    bytes.insert(bytes.end(), kQh, kQh + 4);
    for (std::uint8_t b : nibble_pattern()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 32; ++v) {
        expected.push_back(2.0f * static_cast<float>(q5_level(v) - 16));
    }

    expect_dequantizes_to(TensorType::kQ5_0, bytes, expected);
}

TEST(LayoutTest, Q5_1BlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfHalf);
    put_u16(bytes, kHalfOne);
    bytes.insert(bytes.end(), kQh, kQh + 4);
    for (std::uint8_t b : nibble_pattern()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 32; ++v) {
        expected.push_back(0.5f * static_cast<float>(q5_level(v)) + 1.0f);
    }

    expect_dequantizes_to(TensorType::kQ5_1, bytes, expected);
}

TEST(LayoutTest, Q8_0BlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfQuarter);
    std::vector<float> expected;
    for (int v = 0; v < 32; ++v) {
        const int q = v * 8 - 127;  // -127 .. 121
        bytes.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(q)));
        expected.push_back(0.25f * static_cast<float>(q));
    }

    expect_dequantizes_to(TensorType::kQ8_0, bytes, expected);
}

// Q4_K / Q5_K: scales and mins of the 8 sub-blocks, with values >= 16 in sub-blocks 4..7
// so their high two bits (stored in the top bits of bytes 0..7) matter.
constexpr int kScales[8] = {1, 2, 3, 4, 17, 33, 50, 63};
constexpr int kMins[8] = {0, 5, 10, 15, 20, 40, 48, 61};
// Packed by hand: bytes 0..3 = scale j | (scale j+4 >> 4) << 6; bytes 4..7 = min j |
// (min j+4 >> 4) << 6; bytes 8..11 = (scale j+4 & 15) | (min j+4 & 15) << 4.
constexpr std::uint8_t kPackedScales[12] = {65,  130, 195,  196,  64,   133,
                                            202, 207, 0x41, 0x81, 0x02, 0xdf};

// qs[32c + l] = (l % 16) | (15 - l % 16) << 4: in 64-value chunk c, value l (< 32) is in
// sub-block 2c with level l % 16, value 32 + l in sub-block 2c + 1 with level 15 - l % 16.
std::vector<std::uint8_t> k_nibbles() {
    std::vector<std::uint8_t> qs;
    for (int c = 0; c < 4; ++c) {
        for (int l = 0; l < 32; ++l) {
            qs.push_back(static_cast<std::uint8_t>((l % 16) | ((15 - l % 16) << 4)));
        }
    }
    return qs;
}

int k_nibble_level(int v) {
    const int l = v % 32;
    return (v / 32) % 2 == 0 ? l % 16 : 15 - l % 16;
}

TEST(LayoutTest, Q4_KBlockDequantizesAsDefined) {
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfOne);   // d
    put_u16(bytes, kHalfHalf);  // dmin
    bytes.insert(bytes.end(), kPackedScales, kPackedScales + 12);
    for (std::uint8_t b : k_nibbles()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 256; ++v) {
        const int sub = v / 32;
        expected.push_back(1.0f * static_cast<float>(kScales[sub] * k_nibble_level(v)) -
                           0.5f * static_cast<float>(kMins[sub]));
    }

    expect_dequantizes_to(TensorType::kQ4_K, bytes, expected);
}

TEST(LayoutTest, Q5_KBlockDequantizesAsDefined) {
    // qh[l] = l * 37 mod 256: bit j of qh[l] is the fifth bit of value 32 * j + l.
    std::vector<std::uint8_t> bytes;
    put_u16(bytes, kHalfHalf);     // d
    put_u16(bytes, kHalfQuarter);  // dmin
    bytes.insert(bytes.end(), kPackedScales, kPackedScales + 12);
    for (int l = 0; l < 32; ++l) {
        bytes.push_back(static_cast<std::uint8_t>((l * 37) % 256));
    }
    for (std::uint8_t b : k_nibbles()) {
        bytes.push_back(b);
    }
    std::vector<float> expected;
    for (int v = 0; v < 256; ++v) {
        const int sub = v / 32;
        const int l = v % 32;
        const int high = (((l * 37) % 256) >> sub) & 1;
        const int level = k_nibble_level(v) + 16 * high;
        expected.push_back(0.5f * static_cast<float>(kScales[sub] * level) -
                           0.25f * static_cast<float>(kMins[sub]));
    }

    expect_dequantizes_to(TensorType::kQ5_K, bytes, expected);
}

TEST(LayoutTest, Q6_KBlockDequantizesAsDefined) {
    // ql[i] = i * 7 mod 256, qh[i] = i * 53 + 11 mod 256, scales[s] = 3 * s - 20, d = 1/8.
    std::vector<std::uint8_t> ql(128);
    std::vector<std::uint8_t> qh(64);
    std::vector<int> scales(16);
    for (int i = 0; i < 128; ++i) {
        ql[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((i * 7) % 256);
    }
    for (int i = 0; i < 64; ++i) {
        qh[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>((i * 53 + 11) % 256);
    }
    for (int s = 0; s < 16; ++s) {
        scales[static_cast<std::size_t>(s)] = 3 * s - 20;
    }
    std::vector<std::uint8_t> bytes(ql.begin(), ql.end());
    bytes.insert(bytes.end(), qh.begin(), qh.end());
    for (int s : scales) {
        bytes.push_back(static_cast<std::uint8_t>(static_cast<std::int8_t>(s)));
    }
    put_u16(bytes, kHalfEighth);
    // Value v: half h = v / 128, position p = v % 128, l = p % 32, quarter k = p / 32.
    // Low nibble from ql[64h + l + 32 * (k % 2)] (low for k < 2, high for k >= 2), two high
    // bits from qh[32h + l] at bit 2k; scale scales[8h + p / 16]; x = d * scale * (q - 32).
    std::vector<float> expected;
    for (int v = 0; v < 256; ++v) {
        const int h = v / 128;
        const int p = v % 128;
        const int l = p % 32;
        const int k = p / 32;
        const std::uint8_t low_byte = ql[static_cast<std::size_t>(64 * h + l + 32 * (k % 2))];
        const int low = k < 2 ? (low_byte & 15) : (low_byte >> 4);
        const int high = (qh[static_cast<std::size_t>(32 * h + l)] >> (2 * k)) & 3;
        const int q = (low | (high << 4)) - 32;
        const int scale = scales[static_cast<std::size_t>(8 * h + p / 16)];
        expected.push_back(0.125f * static_cast<float>(scale * q));
    }

    expect_dequantizes_to(TensorType::kQ6_K, bytes, expected);
}

TEST(LayoutTest, HalfAndBf16RowsDequantizeElementwise) {
    const std::vector<std::uint8_t> f16 = {0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0xff, 0x7b};
    const std::vector<float> f16_expected = {1.0f, -2.0f, 0x1p-24f, 65504.0f};
    const std::vector<std::uint8_t> bf16 = {0x80, 0x3f, 0x49, 0x40, 0x80, 0xbf, 0x00, 0x00};
    const std::vector<float> bf16_expected = {1.0f, 3.140625f, -1.0f, 0.0f};

    expect_dequantizes_to(TensorType::kF16, f16, f16_expected);
    expect_dequantizes_to(TensorType::kBF16, bf16, bf16_expected);
}

}  // namespace
}  // namespace lore::kernels
