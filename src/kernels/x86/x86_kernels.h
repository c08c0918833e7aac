// Entry points of the x86 kernel sets. Each fill function overrides, in a set that already
// holds the kernels of the next lower instruction set, the entries it specialises. Each is
// compiled with its own instruction-set flags, so call it only after CPUID said yes.
#pragma once

#include "kernels/kernels.h"

namespace lore::kernels::x86 {

void fill_avx2_float_kernels(KernelSet& set);        // avx2_float.cpp: F32, F16, BF16
void fill_avx2_quant_kernels(KernelSet& set);        // avx2_quants.cpp: Q4_0 .. Q6_K, Q8_0/1/K
void fill_avx2_packed_kernels(KernelSet& set);       // avx2_packed.cpp: packed, panels
void fill_avx2_attention_kernels(KernelSet& set);    // avx2_attention.cpp: softmax, silu
void fill_avxvnni_quant_kernels(KernelSet& set);     // avxvnni_quants.cpp: Q4_0 .. Q6_K
void fill_avxvnni_packed_kernels(KernelSet& set);    // avxvnni_packed.cpp: packed, panels
void fill_avx512_kernels(KernelSet& set);            // avx512_kernels.cpp
void fill_avx512_tile_kernels(KernelSet& set);       // avx512_tiles.cpp: vec_dot_tile entries
void fill_avx512_panel_kernels(KernelSet& set);      // avx512_panels.cpp: vec_dot_panel entries
void fill_avx512_packed_kernels(KernelSet& set);     // avx512_packed.cpp: vec_dot_packed
void fill_avx512_attention_kernels(KernelSet& set);  // avx512_attention.cpp

}  // namespace lore::kernels::x86
