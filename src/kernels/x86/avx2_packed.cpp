// AVX2 + FMA + F16C kernels over packed weights: packed_int8.inc compiled with this file's
// flags (int16 pair sums through pmaddubsw / pmaddwd). Only reached through dispatch.cpp after
// CPUID.
#include "kernels/x86/packed_int8.inc"

namespace lore::kernels::x86 {

void fill_avx2_packed_kernels(KernelSet& set) {
    fill_packed_kernels(set);
}

}  // namespace lore::kernels::x86
