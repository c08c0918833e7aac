// CPU kernels for every supported tensor type: dequantize, quantize, and the dot product of
// a weight row with f32 activations. `reference/` holds the scalar specification of each;
// `x86/` holds AVX2+FMA and AVX-512 variants; dispatch.cpp picks the fastest set the CPU
// supports once, at first use (CPUID). Kernels never allocate, lock, log or fail: callers
// pass checked shapes (n a multiple of the type's block size).
//
// Two matrix-product paths:
//   - matmul_rows: f32 activations, weights dequantized on the fly. The accuracy reference.
//   - matmul_rows_q8: activations first quantized once per matmul (QuantizedActivations) to
//     the weight type's `vec_dot_type` (Q8_0 blocks for Q4_0/Q5_0/Q8_0, Q8_1 for Q4_1/Q5_1,
//     Q8_K for the K-quants, f32 for F32/F16/BF16), then integer dot products. This is how
//     llama.cpp computes, and what makes quantized weights fast.
//
// Thread safety: all functions are pure; call them from any thread. A QuantizedActivations
// object is a caller-owned buffer: not thread-safe to fill, safe to read from many threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "lore/tensor_type.h"

namespace lore::kernels {

// Converts n values (n % block_size == 0) of `type` at `src` to f32 at `dst`.
using DequantizeFn = void (*)(const void* src, float* dst, std::int64_t n);
// Converts n f32 values to `type` at `dst` (round-to-nearest scales; for writers and tests).
using QuantizeFn = void (*)(const float* src, void* dst, std::int64_t n);
// Returns sum_i w[i] * x[i] for one row `w` of `type` and f32 activations `x`, n values.
using DotFn = float (*)(const void* w, const float* x, std::int64_t n);
// Returns sum_i w[i] * x[i] for one row `w` of `type` and one row `x` of activations already
// in the type's vec_dot_type (f32 for F32/F16/BF16), n values.
using VecDotFn = float (*)(const void* w, const void* x, std::int64_t n);
// Y[t * y_stride + r] = vec_dot(W row r, X row t) for r < n_rows, t < n_tokens: a block of a
// matrix product computed in register-blocked micro-tiles (each weight block decoded once
// per few tokens). W rows are w_row_bytes apart, activation rows (vec_dot_type) x_row_bytes
// apart. Equal to the vec_dot loop up to f32 summation order.
using VecDotTileFn = void (*)(const void* w,
                              std::size_t w_row_bytes,
                              std::int64_t n_rows,
                              const void* x,
                              std::size_t x_row_bytes,
                              std::int64_t n_tokens,
                              float* y,
                              std::int64_t y_stride,
                              std::int64_t n);

// Summary of one Q8_0 activation block, kept by QuantizedActivations beside the blocks: the
// block's scale as f32 and the exact sum of its 32 levels. Panel kernels use weight levels
// as unsigned bytes (q + offset) and remove offset * sum exactly in integers.
struct Q8_0BlockSum {
    float d = 0.0f;
    std::int32_t sum = 0;
};

// The many-token form of VecDotTileFn (any weight type whose set entry has one): the same
// Y[t * y_stride + r] for r < n_rows, t < n_tokens, computed by re-laying a panel of weight
// rows once per call (lane = row) and sweeping every token over it. It pays from
// kPanelMinTokens tokens up. x_sums: n / 32 Q8_0BlockSum per token, x_sums_stride apart,
// for Q8_0 activations (Q8_1, Q8_K and f32 activations carry what they need; nullptr).
using VecDotPanelFn = void (*)(const void* w,
                               std::size_t w_row_bytes,
                               std::int64_t n_rows,
                               const void* x,
                               std::size_t x_row_bytes,
                               const Q8_0BlockSum* x_sums,
                               std::int64_t x_sums_stride,
                               std::int64_t n_tokens,
                               float* y,
                               std::int64_t y_stride,
                               std::int64_t n);

// One token against packed weights (pack_rows): y[r] = vec_dot(W row r, x) for the
// kPackRows * n_panels rows of n_panels consecutive panels starting at `panels`. x: one
// activation row in the type's vec_dot_type; x_sums: its Q8_0BlockSums when that type is Q8_0
// (else unused). REQUIRES n <= kPackMaxCols.
using VecDotPackedFn = void (*)(const void* panels,
                                std::size_t w_row_bytes,
                                std::int64_t n_panels,
                                const void* x,
                                const Q8_0BlockSum* x_sums,
                                float* y,
                                std::int64_t n);

// Y[g, i] = sum_j P[g, j] * V[j, i]: attention's weighted sum of value rows (weighted_rows
// below).
using WeightedRowsFn = void (*)(const void* v,
                                std::size_t v_row_bytes,
                                std::int64_t n_rows,
                                const float* p,
                                std::int64_t p_stride,
                                std::int64_t n_weights,
                                float* y,
                                std::int64_t y_stride,
                                std::int64_t n);

struct TypeKernels {
    DequantizeFn dequantize = nullptr;
    QuantizeFn quantize = nullptr;
    DotFn dot = nullptr;
    // The activation-quantized path: activations in `vec_dot_type`, dot by `vec_dot`.
    TensorType vec_dot_type = TensorType::kF32;
    VecDotFn vec_dot = nullptr;
    // Multi-row, multi-token form of vec_dot, used by matmul_rows_q8 whenever present;
    // nullptr where a set has none (then matmul_rows_q8 calls vec_dot per (row, token)).
    VecDotTileFn vec_dot_tile = nullptr;
    // Used by matmul_rows_q8 instead of vec_dot_tile for kPanelMinTokens tokens or more;
    // nullptr where a set has none.
    VecDotPanelFn vec_dot_panel = nullptr;
    // vec_dot_panel over weights re-laid by pack_rows (w: the first of n_rows / kPackRows
    // panels); used by matmul_packed_q8 from kPanelMinTokens tokens on; nullptr where a set
    // has none (then panels are unpacked into the file's layout first).
    VecDotPanelFn vec_dot_panel_packed = nullptr;
    // One token against weights re-laid by pack_rows (see "Packed weights" below); nullptr
    // where a set has none, and then weights of this type are not worth packing.
    VecDotPackedFn vec_dot_packed = nullptr;
    // Float types (the KV cache's): weighted sums of rows (weighted_rows below); set for
    // F32, F16 and BF16 in every set, nullptr for the others.
    WeightedRowsFn weighted_rows = nullptr;
};

// f32 helpers of attention (see dot_f32, axpy_f32 and attention_head below).
using DotF32Fn = float (*)(const float* a, const float* b, std::int64_t n);
using AxpyF32Fn = void (*)(float alpha, const float* x, float* y, std::int64_t n);
using SoftmaxRowFn = void (*)(float* row, std::int64_t n_visible, std::int64_t n, float scale);
using SiluMulFn = void (*)(float* gate, const float* up, std::int64_t n);
using AttentionHeadFn = void (*)(const float* q,
                                 const float* k,
                                 const float* v,
                                 std::int64_t n_keys,
                                 std::int64_t head_dim,
                                 std::int64_t kv_stride,
                                 float scale,
                                 float* scores,
                                 float* out);

// Instruction sets with a kernel set, lowest first (LORE_ISA caps in this order). The AVX2
// set starts as a copy of the reference, the other two as copies of the AVX2 set. kAvxVnni
// is AVX2 with 256-bit vpdpbusd (AVX-VNNI) in the packed kernels.
enum class Isa { kReference, kAvx2, kAvxVnni, kAvx512 };
inline constexpr Isa kAllIsas[] = {Isa::kReference, Isa::kAvx2, Isa::kAvxVnni, Isa::kAvx512};

std::string_view isa_name(Isa isa);
// The set isa_name() names ("avx2" -> kAvx2); nullopt for any other text.
std::optional<Isa> parse_isa(std::string_view name);

// The kernels of one instruction set, indexed by TensorType. Entries a set does not
// specialise fall back to the reference.
struct KernelSet {
    Isa isa = Isa::kReference;
    TypeKernels by_type[64];
    DotF32Fn dot_f32 = nullptr;
    AxpyF32Fn axpy_f32 = nullptr;
    AttentionHeadFn attention_head = nullptr;
    SoftmaxRowFn softmax_row = nullptr;
    SiluMulFn silu_mul = nullptr;

    const TypeKernels& operator[](TensorType type) const {
        return by_type[static_cast<std::size_t>(type)];
    }
};

// The scalar specification.
const KernelSet& reference_kernels();
// The best set this CPU runs (LORE_ISA=reference|avx2|avxvnni|avx512 in the environment forces
// a lower one). Chosen once.
const KernelSet& active_kernels();
// The set for `isa`, or nullptr when this CPU (or this build) cannot run it.
const KernelSet* kernels_for(Isa isa);

// fp16 / bf16 conversions (exact, round-to-nearest-even for f32 -> half).
float fp16_to_f32(std::uint16_t h);
std::uint16_t f32_to_fp16(float f);
float bf16_to_f32(std::uint16_t h);
std::uint16_t f32_to_bf16(float f);

// ---- attention helpers (active_kernels(); each set's entries are tested against the
// reference in tests/kernels/attention_test.cpp) ----

// Returns sum_i a[i] * b[i], n >= 0 values.
float dot_f32(const float* a, const float* b, std::int64_t n);

// y[i] += alpha * x[i] for i < n.
void axpy_f32(float alpha, const float* x, float* y, std::int64_t n);

// One query row of scaled dot-product attention over n_keys cached positions:
//   s_j = scale * (q . K_j),  p = softmax(s),  out = sum_j p_j V_j
// q: [head_dim]; K_j = k + j * kv_stride and V_j = v + j * kv_stride, head_dim values each
// (pass the cache pointer already offset to the KV head); scores: scratch of n_keys floats
// (holds p unnormalised on return); out: [head_dim], overwritten.
// REQUIRES: n_keys >= 1, head_dim >= 1. The SIMD exp is within a few ulp of std::exp.
void attention_head(const float* q,
                    const float* k,
                    const float* v,
                    std::int64_t n_keys,
                    std::int64_t head_dim,
                    std::int64_t kv_stride,
                    float scale,
                    float* scores,
                    float* out);

// Attention weights of one query row, in place: with m = max_{j < n_visible} scale * row[j],
//   row[j] = exp(scale * row[j] - m) / sum_{i < n_visible} exp(scale * row[i] - m)
// for j < n_visible, and row[j] = 0 for n_visible <= j < n (keys after the query's own
// position). REQUIRES 1 <= n_visible <= n. The SIMD exp is within a few ulp of std::exp.
void softmax_row(float* row, std::int64_t n_visible, std::int64_t n, float scale);

// gate[i] = silu(gate[i]) * up[i] = gate[i] / (1 + exp(-gate[i])) * up[i] for i < n: the
// gated FFN activation.
void silu_mul(float* gate, const float* up, std::int64_t n);

// Y[g, i] = sum_{j < n_rows} P[g, j] * V[j, i] for g < n_weights and i < n: attention's sum
// of value rows weighted by softmax rows. V: rows of a float `type` (F32, F16, BF16),
// `v_row_bytes` apart; P: [n_weights, p_stride] f32; Y: [n_weights, y_stride] f32. Each Y
// value is one chain of fused multiply-adds over j in order, from zero, in every kernel set:
// the results are bit-identical across sets and do not depend on n_weights (which rows share
// a call). Uses active_kernels().
void weighted_rows(TensorType type,
                   const void* v,
                   std::size_t v_row_bytes,
                   std::int64_t n_rows,
                   const float* p,
                   std::int64_t p_stride,
                   std::int64_t n_weights,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t n);

// Y[t, r] = dot(W row r, X row t) for rows r in [row_begin, row_end), all tokens t.
// W: rows of `type`, `w_row_bytes` apart; X: [n_tokens, n_cols] f32 row-major;
// Y: [n_tokens, y_stride] f32. Uses active_kernels().
// Weight rows are processed in small groups and each group meets every token of a tile
// before the next group is loaded, so a prompt batch reads each weight row from memory once
// per tile of kTokenTile tokens instead of once per token.
void matmul_rows(TensorType type,
                 const void* w,
                 std::size_t w_row_bytes,
                 std::int64_t n_cols,
                 const float* x,
                 std::int64_t n_tokens,
                 float* y,
                 std::int64_t y_stride,
                 std::int64_t row_begin,
                 std::int64_t row_end);

// As matmul_rows with an explicit kernel set (tests and benchmarks compare sets).
void matmul_rows_with(const KernelSet& set,
                      TensorType type,
                      const void* w,
                      std::size_t w_row_bytes,
                      std::int64_t n_cols,
                      const float* x,
                      std::int64_t n_tokens,
                      float* y,
                      std::int64_t y_stride,
                      std::int64_t row_begin,
                      std::int64_t row_end);

inline constexpr std::int64_t kTokenTile = 64;
// Token counts from which matmul_rows_q8 uses a set's vec_dot_panel, and the tokens each
// panel call sweeps (a panel of weight rows is re-laid once per such tile).
inline constexpr std::int64_t kPanelMinTokens = 8;
inline constexpr std::int64_t kPanelTokenTile = 128;

// Whether `type` has kernels (dequantize, dot, vec_dot) in every set.
bool is_computable(TensorType type);

// Activations [n_tokens, n_cols] converted once to the vec_dot_type of one weight type, for
// any number of matmul_rows_q8 calls with weights of that type (q, k, v projections share
// one). Owns its buffer; quantize() reuses it and allocates only when it must grow.
// Not thread-safe while quantize() runs; const methods are safe from many threads.
class QuantizedActivations {
public:
    QuantizedActivations() = default;

    // Converts X ([n_tokens, n_cols] f32, row-major) for weights of `weight_type` with the
    // kernels of `set`. REQUIRES: is_computable(weight_type), n_cols a multiple of the
    // block size of the weight type's vec_dot_type. When that type is F32 (F32, F16 and
    // BF16 weights) nothing needs converting and the object refers to X itself, without a
    // copy: X must then outlive its use and not change meanwhile.
    void quantize(TensorType weight_type,
                  const float* x,
                  std::int64_t n_tokens,
                  std::int64_t n_cols,
                  const KernelSet& set);

    void quantize(TensorType weight_type,
                  const float* x,
                  std::int64_t n_tokens,
                  std::int64_t n_cols) {
        quantize(weight_type, x, n_tokens, n_cols, active_kernels());
    }

    // quantize() in two steps, so that threads can convert disjoint parts of X into one
    // object: prepare() sizes it (and converts nothing), then each part is converted by
    // quantize_columns(x, begin, end) for columns [begin, end) of every token, begin and end
    // multiples of block_size() (or end = n_cols). Calls on disjoint ranges may run at once.
    void prepare(TensorType weight_type,
                 const float* x,
                 std::int64_t n_tokens,
                 std::int64_t n_cols,
                 const KernelSet& set);
    void quantize_columns(const float* x,
                          std::int64_t begin,
                          std::int64_t end,
                          const KernelSet& set);

    // Values per block of type() (1 when nothing is converted).
    std::int64_t block_size() const { return tensor_type_traits(type_).block_size; }

    TensorType type() const { return type_; }  // the vec_dot_type

    std::int64_t n_tokens() const { return n_tokens_; }

    std::int64_t n_cols() const { return n_cols_; }

    std::size_t row_bytes() const { return row_bytes_; }

    const void* row(std::int64_t token_idx) const {
        return data_ + static_cast<std::size_t>(token_idx) * row_bytes_;
    }

    // The n_cols / 32 block summaries of token `token_idx` when type() is Q8_0, else nullptr.
    const Q8_0BlockSum* block_sums(std::int64_t token_idx) const {
        return block_sums_.empty()
                   ? nullptr
                   : block_sums_.data() + static_cast<std::size_t>(token_idx * blocks_per_row_);
    }

    std::int64_t block_sums_stride() const { return blocks_per_row_; }

private:
    TensorType type_ = TensorType::kF32;
    std::int64_t n_tokens_ = 0;
    std::int64_t n_cols_ = 0;
    std::size_t row_bytes_ = 0;
    std::vector<std::uint64_t> storage_;  // 8-byte aligned blocks
    const std::byte* data_ = nullptr;
    std::int64_t blocks_per_row_ = 0;
    std::vector<Q8_0BlockSum> block_sums_;  // [n_tokens, blocks_per_row_] for Q8_0, else empty
};

// Whether a VecDotPanelFn can take `xq`: kPanelMinTokens tokens or more, and the block sums
// of Q8_0 activations (the other activation types carry what the panels need).
bool panels_take(const QuantizedActivations& xq);

// Y[t, r] for rows [row_begin, row_begin + n_rows) and all tokens of `xq` through `panel`,
// one kPanelTokenTile of tokens per call: the kernel lays out each 16-row panel once per
// tile and keeps it in L1 while every token of the tile passes. `rows`: row row_begin of W
// (for a packed kernel, the first of its panels). REQUIRES panels_take(xq).
void panel_products(VecDotPanelFn panel,
                    const std::uint8_t* rows,
                    std::size_t w_row_bytes,
                    std::int64_t n_rows,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin);

// Y[t, r] = vec_dot(W row r, activation row t) for rows r in [row_begin, row_end), all tokens
// of `xq`, which was quantized for `type`. Same tiling as matmul_rows. Uses `set` (the
// overload without it uses active_kernels(), which must be the set that quantized xq).
void matmul_rows_q8(const KernelSet& set,
                    TensorType type,
                    const void* w,
                    std::size_t w_row_bytes,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin,
                    std::int64_t row_end);
void matmul_rows_q8(TensorType type,
                    const void* w,
                    std::size_t w_row_bytes,
                    const QuantizedActivations& xq,
                    float* y,
                    std::int64_t y_stride,
                    std::int64_t row_begin,
                    std::int64_t row_end);

// ---- Packed weights ----
//
// Generation reads every weight once per token, so its speed is the memory bandwidth only if
// decoding a block costs less than loading it. In the file's layout it does not: a Q4_K row's
// six-bit scales are unpacked per row and super-block, and one token against four rows left
// the kernels compute-bound at 60-79 % of the bandwidth. pack_rows re-lays a matrix once, at
// load, in panels of kPackRows rows: within a panel, block b of all 16 rows is stored as its
// fp16 fields (16 values each) followed by its remaining bytes as 4-byte words, word k of
// the 16 rows side by side (64 bytes: one vector, one lane per row). A kernel then decodes
// 16 rows with each vector operation and multiplies them with one broadcast of 4 activation
// bytes (vpdpbusd), with no horizontal sums. The panel of rows [16p, 16p + 16) occupies the
// same bytes as those rows did: offset 16p * w_row_bytes, same total size.
inline constexpr std::int64_t kPackRows = 16;
// The widest row packed kernels take (their per-call activation tables live on the stack).
inline constexpr std::int64_t kPackMaxCols = 65536;

// Whether `type` has a packed layout (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q5_K, Q6_K).
bool has_packed_layout(TensorType type);

// Whether a [n_rows, n_cols] matrix of `type` should be packed for `set`: the set has a
// vec_dot_packed kernel for the type, n_rows is a multiple of kPackRows and n_cols at most
// kPackMaxCols.
bool should_pack(const KernelSet& set, TensorType type, std::int64_t n_rows, std::int64_t n_cols);

// Re-lays n_rows rows (a multiple of kPackRows) of `type`, w_row_bytes apart at `src`, into
// `dst` (n_rows * w_row_bytes bytes, not overlapping src). REQUIRES has_packed_layout(type).
void pack_rows(
    TensorType type, const void* src, std::size_t w_row_bytes, std::int64_t n_rows, void* dst);

// Blocks [block_begin, block_begin + n_blocks) of n_rows <= kPackRows rows in the file's
// layout (w_row_bytes apart at `rows`) laid out as consecutive panel blocks at `dst`
// (n_blocks * kPackRows * block bytes); lanes past n_rows are zero blocks. For kernels that
// read the file's layout through the packed one, a cache-sized chunk at a time.
// REQUIRES has_packed_layout(type).
void pack_panel_blocks(TensorType type,
                       const void* rows,
                       std::size_t w_row_bytes,
                       std::int64_t n_rows,
                       std::int64_t block_begin,
                       std::int64_t n_blocks,
                       void* dst);

// The inverse for rows [row_begin, row_begin + n_rows) of a packed matrix: writes them in the
// file's layout to dst, w_row_bytes apart.
void unpack_rows(TensorType type,
                 const void* packed,
                 std::size_t w_row_bytes,
                 std::int64_t row_begin,
                 std::int64_t n_rows,
                 void* dst);

// matmul_rows_q8 and matmul_rows for packed weights (row_begin a multiple of kPackRows).
// One token goes through the set's vec_dot_packed, kPanelMinTokens or more through its
// vec_dot_panel_packed; anything else unpacks a panel at a time into a per-thread buffer
// and runs the unpacked kernels on it (a copy of 16 rows per call).
void matmul_packed_q8(const KernelSet& set,
                      TensorType type,
                      const void* packed,
                      std::size_t w_row_bytes,
                      const QuantizedActivations& xq,
                      float* y,
                      std::int64_t y_stride,
                      std::int64_t row_begin,
                      std::int64_t row_end);
void matmul_packed(const KernelSet& set,
                   TensorType type,
                   const void* packed,
                   std::size_t w_row_bytes,
                   std::int64_t n_cols,
                   const float* x,
                   std::int64_t n_tokens,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t row_begin,
                   std::int64_t row_end);

}  // namespace lore::kernels
