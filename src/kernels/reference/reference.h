// The scalar reference kernels: the specification every SIMD variant is tested against.
// Plain loops, no tuning; dot products accumulate in double so the reference is also the
// most accurate answer. Internal to the kernels (dispatch.cpp and tests use them).
#pragma once

#include "kernels/kernels.h"

namespace lore::kernels::reference {

// Fills `set` with the reference kernels of every type lore computes with (and the
// activation-only types Q8_1 and Q8_K: quantize and dequantize).
void fill_kernels(KernelSet& set);

// Parts, registered by fill_kernels; one function per source file.
void fill_float_kernels(KernelSet& set);      // float_types.cpp: F32, F16, BF16
void fill_legacy_kernels(KernelSet& set);     // legacy_quants.cpp: Q4_0 .. Q8_1
void fill_k_kernels(KernelSet& set);          // k_quants.cpp: Q4_K, Q5_K, Q6_K, Q8_K
void fill_attention_kernels(KernelSet& set);  // attention.cpp: dot_f32 .. silu_mul

}  // namespace lore::kernels::reference
