// Exact fp16 and bf16 <-> f32 conversions, inline for the kernels. Narrowing rounds to
// nearest, ties to even; overflow gives infinity; NaN stays NaN (made quiet, sign and the
// payload's top bits kept); fp16 subnormals are produced and read exactly. Pure bit
// arithmetic: no dependence on the FPU rounding mode or on F16C.
#pragma once

#include <bit>
#include <cstdint>

namespace lore::kernels {

inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    const std::uint32_t exponent = (h >> 10) & 0x1fu;
    const std::uint32_t mantissa = h & 0x3ffu;
    if (exponent == 0) {
        // Zero or subnormal: mantissa * 2^-24, exact in f32.
        const float magnitude = static_cast<float>(mantissa) * 0x1p-24f;
        return sign != 0 ? -magnitude : magnitude;
    }
    if (exponent == 31) {
        return std::bit_cast<float>(sign | 0x7f800000u | (mantissa << 13));
    }
    return std::bit_cast<float>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

inline std::uint16_t float_to_half(float f) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    const auto sign = static_cast<std::uint16_t>((bits >> 16) & 0x8000u);
    const std::uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u) {  // NaN: keep the top payload bits, force quiet
        return static_cast<std::uint16_t>(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    }
    if (magnitude >= 0x477ff000u) {  // >= 65520 rounds past 65504 (ties go to even = inf)
        return static_cast<std::uint16_t>(sign | 0x7c00u);
    }
    if (magnitude < 0x38800000u) {  // below 2^-14: an fp16 subnormal or zero
        const std::uint32_t exponent = magnitude >> 23;
        const std::uint32_t shift = 126 - exponent;  // value in units of 2^-24 is m >> shift
        if (shift >= 25) {
            return sign;  // below half of the smallest subnormal
        }
        const std::uint32_t mantissa = (magnitude & 0x7fffffu) | 0x800000u;
        std::uint32_t q = mantissa >> shift;
        const std::uint32_t rest = mantissa & ((1u << shift) - 1);
        const std::uint32_t half = 1u << (shift - 1);
        if (rest > half || (rest == half && (q & 1u) != 0)) {
            ++q;  // may carry into the smallest normal, which is the right encoding
        }
        return static_cast<std::uint16_t>(sign | q);
    }
    std::uint32_t h = (((magnitude >> 23) - 112) << 10) | ((magnitude >> 13) & 0x3ffu);
    const std::uint32_t rest = magnitude & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1u) != 0)) {
        ++h;  // a carry into the exponent is correct; the range check above excludes inf
    }
    return static_cast<std::uint16_t>(sign | h);
}

inline float bf16_to_float(std::uint16_t h) {
    return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

inline std::uint16_t float_to_bf16(float f) {
    const std::uint32_t bits = std::bit_cast<std::uint32_t>(f);
    if ((bits & 0x7fffffffu) > 0x7f800000u) {
        return static_cast<std::uint16_t>((bits >> 16) | 0x40u);  // quiet NaN
    }
    const std::uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
    return static_cast<std::uint16_t>((bits + rounding) >> 16);
}

}  // namespace lore::kernels
