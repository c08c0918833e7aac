// fp16 and bf16 conversions, exhaustively over all 65536 encodings: widening is exact,
// narrowing of every encodable value gives it back, and every midpoint between two
// neighbours rounds to the even one (with the floats just beside it rounding to the nearer).
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include "kernels/kernels.h"

namespace lore::kernels {
namespace {

// fp16 value computed from the IEEE definition, independent of the code under test.
double fp16_value(std::uint16_t h) {
    const int sign = (h >> 15) != 0 ? -1 : 1;
    const int exponent = (h >> 10) & 31;
    const int mantissa = h & 1023;
    if (exponent == 0) {
        return sign * std::ldexp(static_cast<double>(mantissa), -24);
    }
    if (exponent == 31) {
        return mantissa == 0 ? sign * std::numeric_limits<double>::infinity()
                             : std::numeric_limits<double>::quiet_NaN();
    }
    return sign * std::ldexp(static_cast<double>(1024 + mantissa), exponent - 25);
}

TEST(Fp16Test, WideningMatchesIeeeDefinitionForAllEncodings) {
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto half = static_cast<std::uint16_t>(h);
        const float value = fp16_to_f32(half);
        const double expected = fp16_value(half);
        if (std::isnan(expected)) {
            ASSERT_TRUE(std::isnan(value)) << h;
        } else {
            ASSERT_EQ(static_cast<double>(value), expected) << h;
            ASSERT_EQ(std::signbit(value), (h >> 15) != 0) << h;
        }
    }
}

TEST(Fp16Test, NarrowingRoundTripsEveryEncoding) {
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto half = static_cast<std::uint16_t>(h);
        const std::uint16_t back = f32_to_fp16(fp16_to_f32(half));
        if ((h & 0x7c00u) == 0x7c00u && (h & 0x3ffu) != 0) {
            // NaN stays NaN, made quiet, sign kept.
            ASSERT_EQ(back & 0x7c00u, 0x7c00u) << h;
            ASSERT_NE(back & 0x200u, 0u) << h;
            ASSERT_EQ(back & 0x8000u, h & 0x8000u) << h;
        } else {
            ASSERT_EQ(back, half) << h;
        }
    }
}

TEST(Fp16Test, MidpointsRoundToEvenAndNeighboursToNearest) {
    // Positive finite encodings and their successor (0x7bff's successor is infinity).
    for (std::uint32_t h = 0; h < 0x7c00u; ++h) {
        for (std::uint32_t sign : {0u, 0x8000u}) {
            const auto lo = static_cast<std::uint16_t>(h | sign);
            const auto hi = static_cast<std::uint16_t>((h + 1) | sign);
            const double a = fp16_value(lo);
            const double b = h + 1 == 0x7c00u ? (sign != 0 ? -65536.0 : 65536.0) : fp16_value(hi);
            const auto mid = static_cast<float>((a + b) / 2);  // exact in f32
            ASSERT_EQ(static_cast<double>(mid), (a + b) / 2);
            const std::uint16_t even = (lo & 1u) == 0 ? lo : hi;
            ASSERT_EQ(f32_to_fp16(mid), even) << h;
            const float toward_lo = std::nextafter(mid, static_cast<float>(a));
            const float toward_hi = std::nextafter(mid, static_cast<float>(b));
            ASSERT_EQ(f32_to_fp16(toward_lo), lo) << h;
            ASSERT_EQ(f32_to_fp16(toward_hi), hi) << h;
        }
    }
}

TEST(Fp16Test, SpecialValuesNarrowAsIeeeSays) {
    EXPECT_EQ(f32_to_fp16(std::numeric_limits<float>::infinity()), 0x7c00);
    EXPECT_EQ(f32_to_fp16(-std::numeric_limits<float>::infinity()), 0xfc00);
    EXPECT_EQ(f32_to_fp16(1e10f), 0x7c00);
    EXPECT_EQ(f32_to_fp16(-0.0f), 0x8000);
    EXPECT_EQ(f32_to_fp16(std::numeric_limits<float>::denorm_min()), 0x0000);
    EXPECT_EQ(f32_to_fp16(0x1p-24f), 0x0001);
    EXPECT_EQ(f32_to_fp16(0x1p-25f), 0x0000);      // tie to even (zero)
    EXPECT_EQ(f32_to_fp16(0x1.8p-24f), 0x0002);    // 1.5 ulp: tie to even (2)
    EXPECT_EQ(f32_to_fp16(0x1.ff8p-15f), 0x03ff);  // the largest subnormal
    EXPECT_EQ(f32_to_fp16(0x1.ffcp-15f), 0x0400);  // tie rounds up into the normals
    EXPECT_EQ(f32_to_fp16(std::numeric_limits<float>::quiet_NaN()) & 0x7e00, 0x7e00);
}

TEST(Bf16Test, WideningIsTheUpperHalfOfF32ForAllEncodings) {
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const float value = bf16_to_f32(static_cast<std::uint16_t>(h));
        ASSERT_EQ(std::bit_cast<std::uint32_t>(value), h << 16) << h;
    }
}

TEST(Bf16Test, NarrowingRoundTripsAndRoundsMidpointsToEven) {
    for (std::uint32_t h = 0; h < 65536; ++h) {
        const auto half = static_cast<std::uint16_t>(h);
        const bool is_nan = (h & 0x7f80u) == 0x7f80u && (h & 0x7fu) != 0;
        const std::uint16_t back = f32_to_bf16(bf16_to_f32(half));
        if (is_nan) {
            ASSERT_TRUE(std::isnan(bf16_to_f32(back))) << h;
            continue;
        }
        ASSERT_EQ(back, half) << h;
        if ((h & 0x7f80u) == 0x7f80u) {
            continue;  // infinity has no successor to round to
        }
        // The f32 halfway to the next encoding (same sign, larger magnitude).
        const std::uint32_t mid_bits = (h << 16) | 0x8000u;
        const std::uint16_t next = static_cast<std::uint16_t>(h + 1);
        const std::uint16_t even = (h & 1u) == 0 ? half : next;
        ASSERT_EQ(f32_to_bf16(std::bit_cast<float>(mid_bits)), even) << h;
        ASSERT_EQ(f32_to_bf16(std::bit_cast<float>(mid_bits - 1)), half) << h;
        ASSERT_EQ(f32_to_bf16(std::bit_cast<float>(mid_bits + 1)), next) << h;
    }
}

TEST(Bf16Test, NanStaysNanAfterNarrowing) {
    // A NaN whose payload lives only in the low 16 bits would truncate to infinity.
    const float nan_low_payload = std::bit_cast<float>(0x7f800001u);
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(nan_low_payload))));
    EXPECT_TRUE(std::isnan(bf16_to_f32(f32_to_bf16(-nan_low_payload))));
}

}  // namespace
}  // namespace lore::kernels
