// Chooses the kernel sets once, at first use: the reference set always; the AVX2+FMA+F16C
// set when the CPU (and OS) support it; the AVX-VNNI set (AVX2 with 256-bit vpdpbusd) and the
// AVX-512 (F, BW, VL, VNNI) set likewise. The environment variable
// LORE_ISA=reference|avx2|avxvnni|avx512 caps the active set (a request above what the CPU
// runs gives the best it runs). Each set starts as a copy of the AVX2 set (the AVX2 set as a
// copy of the reference), so an entry a set does not specialise falls back to a lower set;
// the AVX-512 set does not depend on whether the CPU also has AVX-VNNI.
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <optional>

#include "kernels/kernels.h"
#include "kernels/reference/reference.h"

#if defined(LORE_KERNELS_X86)
#include "kernels/x86/x86_kernels.h"
#endif

namespace lore::kernels {
namespace {

struct KernelSets {
    KernelSet reference;
    KernelSet avx2;
    KernelSet avxvnni;
    KernelSet avx512;
    bool has_avx2 = false;
    bool has_avxvnni = false;
    bool has_avx512 = false;
};

bool cpu_has_avx2() {
#if defined(LORE_KERNELS_X86)
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") &&
           __builtin_cpu_supports("f16c");
#else
    return false;
#endif
}

bool cpu_has_avxvnni() {
#if defined(LORE_KERNELS_X86)
    return __builtin_cpu_supports("avxvnni");
#else
    return false;
#endif
}

bool cpu_has_avx512() {
#if defined(LORE_KERNELS_X86)
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
#else
    return false;
#endif
}

// The cap LORE_ISA asks for: no cap when unset; a value that names no set is reported on
// stderr (once: this runs once per process) and caps nothing.
Isa requested_isa() {
    const char* value = std::getenv("LORE_ISA");  // read once, before any thread uses kernels
    if (value == nullptr) {
        return Isa::kAvx512;
    }
    if (std::optional<Isa> isa = parse_isa(value)) {
        return *isa;
    }
    std::fprintf(stderr,
                 "lore: LORE_ISA=%s names no kernel set (reference, avx2, avxvnni, avx512); "
                 "using the best this CPU runs\n",
                 value);
    return Isa::kAvx512;
}

KernelSets make_sets() {
    KernelSets sets;
    reference::fill_kernels(sets.reference);
#if defined(LORE_KERNELS_X86)
    sets.has_avx2 = cpu_has_avx2();
    sets.has_avxvnni = sets.has_avx2 && cpu_has_avxvnni();
    sets.has_avx512 = sets.has_avx2 && cpu_has_avx512();
    if (sets.has_avx2) {
        sets.avx2 = sets.reference;
        sets.avx2.isa = Isa::kAvx2;
        x86::fill_avx2_float_kernels(sets.avx2);
        x86::fill_avx2_quant_kernels(sets.avx2);
        x86::fill_avx2_packed_kernels(sets.avx2);
        x86::fill_avx2_attention_kernels(sets.avx2);
    }
    if (sets.has_avxvnni) {
        sets.avxvnni = sets.avx2;
        sets.avxvnni.isa = Isa::kAvxVnni;
        x86::fill_avxvnni_quant_kernels(sets.avxvnni);
        x86::fill_avxvnni_packed_kernels(sets.avxvnni);
    }
    if (sets.has_avx512) {
        sets.avx512 = sets.avx2;
        sets.avx512.isa = Isa::kAvx512;
        x86::fill_avx512_kernels(sets.avx512);
        x86::fill_avx512_tile_kernels(sets.avx512);
        x86::fill_avx512_panel_kernels(sets.avx512);
        x86::fill_avx512_packed_kernels(sets.avx512);
        x86::fill_avx512_attention_kernels(sets.avx512);
    }
#endif
    return sets;
}

const KernelSets& kernel_sets() {
    static const KernelSets sets = [] {
        KernelSets made = make_sets();
        return made;
    }();
    return sets;
}

}  // namespace

std::optional<Isa> parse_isa(std::string_view name) {
    for (Isa isa : kAllIsas) {
        if (isa_name(isa) == name) {
            return isa;
        }
    }
    return std::nullopt;
}

std::string_view isa_name(Isa isa) {
    switch (isa) {
        case Isa::kReference: return "reference";
        case Isa::kAvx2: return "avx2";
        case Isa::kAvxVnni: return "avxvnni";
        case Isa::kAvx512: return "avx512";
    }
    return "unknown";
}

const KernelSet& reference_kernels() {
    return kernel_sets().reference;
}

const KernelSet* kernels_for(Isa isa) {
    const KernelSets& sets = kernel_sets();
    switch (isa) {
        case Isa::kReference: return &sets.reference;
        case Isa::kAvx2: return sets.has_avx2 ? &sets.avx2 : nullptr;
        case Isa::kAvxVnni: return sets.has_avxvnni ? &sets.avxvnni : nullptr;
        case Isa::kAvx512: return sets.has_avx512 ? &sets.avx512 : nullptr;
    }
    return nullptr;
}

const KernelSet& active_kernels() {
    static const KernelSet* const active = [] {
        // The highest set at or below the cap that this CPU runs (the reference always does).
        const Isa cap = requested_isa();
        for (auto isa = std::rbegin(kAllIsas); isa != std::rend(kAllIsas); ++isa) {
            if (static_cast<int>(*isa) <= static_cast<int>(cap) && kernels_for(*isa) != nullptr) {
                return kernels_for(*isa);
            }
        }
        return &reference_kernels();
    }();
    return *active;
}

float dot_f32(const float* a, const float* b, std::int64_t n) {
    return active_kernels().dot_f32(a, b, n);
}

void axpy_f32(float alpha, const float* x, float* y, std::int64_t n) {
    active_kernels().axpy_f32(alpha, x, y, n);
}

void attention_head(const float* q,
                    const float* k,
                    const float* v,
                    std::int64_t n_keys,
                    std::int64_t head_dim,
                    std::int64_t kv_stride,
                    float scale,
                    float* scores,
                    float* out) {
    active_kernels().attention_head(q, k, v, n_keys, head_dim, kv_stride, scale, scores, out);
}

void softmax_row(float* row, std::int64_t n_visible, std::int64_t n, float scale) {
    active_kernels().softmax_row(row, n_visible, n, scale);
}

void silu_mul(float* gate, const float* up, std::int64_t n) {
    active_kernels().silu_mul(gate, up, n);
}

bool is_computable(TensorType type) {
    switch (type) {
        case TensorType::kF32:
        case TensorType::kF16:
        case TensorType::kBF16:
        case TensorType::kQ4_0:
        case TensorType::kQ4_1:
        case TensorType::kQ5_0:
        case TensorType::kQ5_1:
        case TensorType::kQ8_0:
        case TensorType::kQ4_K:
        case TensorType::kQ5_K:
        case TensorType::kQ6_K: return true;
        default: return false;
    }
}

}  // namespace lore::kernels
