// AVX2 + AVX-VNNI kernels over packed weights: packed_int8.inc compiled with this file's flags
// and LORE_AVX_VNNI, so integer products go through vpdpbusd on 256-bit vectors (int32 sums,
// no int16 bound): for CPUs with AVX-VNNI but no AVX-512, such as Intel's since Alder Lake.
// Only reached through dispatch.cpp after CPUID.
#define LORE_AVX_VNNI 1
#include "kernels/x86/packed_int8.inc"

namespace lore::kernels::x86 {

void fill_avxvnni_packed_kernels(KernelSet& set) {
    fill_packed_kernels(set);
}

}  // namespace lore::kernels::x86
