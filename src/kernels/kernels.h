// CPU kernels for every supported tensor type: dequantize, quantize, and the dot product of
// a weight row with f32 activations. `reference/` holds the scalar specification of each;
// `x86/` holds AVX2+FMA and AVX-512 variants; dispatch.cpp picks the fastest set the CPU
// supports once, at first use (CPUID). Kernels never allocate, lock, log or fail: callers
// pass checked shapes (n a multiple of the type's block size).
//
// Thread safety: all functions are pure; call them from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lore/tensor_type.h"

namespace lore::kernels {

// Converts n values (n % block_size == 0) of `type` at `src` to f32 at `dst`.
using DequantizeFn = void (*)(const void* src, float* dst, std::int64_t n);
// Converts n f32 values to `type` at `dst` (round-to-nearest scales; for writers and tests).
using QuantizeFn = void (*)(const float* src, void* dst, std::int64_t n);
// Returns sum_i w[i] * x[i] for one row `w` of `type` and f32 activations `x`, n values.
using DotFn = float (*)(const void* w, const float* x, std::int64_t n);

struct TypeKernels {
    DequantizeFn dequantize = nullptr;
    QuantizeFn quantize = nullptr;
    DotFn dot = nullptr;
};

enum class Isa { kReference, kAvx2, kAvx512 };

std::string_view isa_name(Isa isa);

// The kernels of one instruction set, indexed by TensorType. Entries a set does not
// specialise fall back to the reference.
struct KernelSet {
    Isa isa = Isa::kReference;
    TypeKernels by_type[64];

    const TypeKernels& operator[](TensorType type) const {
        return by_type[static_cast<std::size_t>(type)];
    }
};

// The scalar specification.
const KernelSet& reference_kernels();
// The best set this CPU runs (LORE_ISA=reference|avx2|avx512 in the environment forces a
// lower one). Chosen once.
const KernelSet& active_kernels();
// The set for `isa`, or nullptr when this CPU (or this build) cannot run it.
const KernelSet* kernels_for(Isa isa);

// fp16 / bf16 conversions (exact, round-to-nearest-even for f32 -> half).
float fp16_to_f32(std::uint16_t h);
std::uint16_t f32_to_fp16(float f);
float bf16_to_f32(std::uint16_t h);
std::uint16_t f32_to_bf16(float f);

// Y[t, r] = dot(W row r, X row t) for rows r in [row_begin, row_end), all tokens t.
// W: rows of `type`, `w_row_bytes` apart; X: [n_tokens, n_cols] f32 row-major;
// Y: [n_tokens, y_stride] f32. Uses active_kernels().
void matmul_rows(TensorType type, const void* w, std::size_t w_row_bytes, std::int64_t n_cols,
                 const float* x, std::int64_t n_tokens, float* y, std::int64_t y_stride,
                 std::int64_t row_begin, std::int64_t row_end);

}  // namespace lore::kernels
