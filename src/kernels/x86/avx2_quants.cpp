#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
void fill_avx2_quant_kernels(KernelSet&) {}
}  // namespace lore::kernels::x86
