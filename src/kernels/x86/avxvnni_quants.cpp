// AVX2 + AVX-VNNI kernels of the quantized types: quant_kernels.inc compiled with this file's
// flags, so its unsigned x signed quad-sums are one vpdpbusd each. Only reached through
// dispatch.cpp after CPUID.
#include "kernels/x86/quant_kernels.inc"

namespace lore::kernels::x86 {

void fill_avxvnni_quant_kernels(KernelSet& set) {
    fill_quant_kernels(set);
}

}  // namespace lore::kernels::x86
