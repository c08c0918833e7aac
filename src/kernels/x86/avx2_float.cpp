// AVX2 + FMA + F16C kernels of the plain float types F32, F16, BF16: dot products with f32
// activations (which are also their vec_dot), tiles for a few tokens (vec_dot_tile) and
// panels for prompt batches (vec_dot_panel), weighted sums of rows (attention's sum of V
// rows), dequantize (conversion to f32) and, for F16, quantize (conversion from f32: the
// session's KV cache). Rows of any length: a scalar tail
// handles n % 8. Compiled with -mavx2 -mfma -mf16c; only reached
// through dispatch.cpp after CPUID. Everything here has internal linkage and avoids shared
// inline helpers, so no AVX2 copy of an inline function can be picked by the linker for
// code that runs on older CPUs.
#include <cstring>

#include <immintrin.h>

#include "kernels/x86/x86_kernels.h"

namespace lore::kernels::x86 {
namespace {

inline float hsum(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

inline float scalar_half(std::uint16_t h) {
    return _cvtsh_ss(h);
}

inline float scalar_bf16(std::uint16_t h) {
    const std::uint32_t bits = static_cast<std::uint32_t>(h) << 16;
    float f = 0.0f;
    std::memcpy(&f, &bits, sizeof(f));
    return f;
}

inline __m256 load_half8(const std::uint16_t* p) {
    return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

inline __m256 load_bf16x8(const std::uint16_t* p) {
    const __m256i wide =
        _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(wide, 16));
}

inline __m256 load_f32x8(const float* p) {
    return _mm256_loadu_ps(p);
}

// One token against a matrix in memory reads it as one sequential stream (rows follow each
// other); the hardware prefetchers alone left Llama-3.2-1B F16 generation at 28 GB/s on
// AVX2, behind llama.cpp. kPrefetch reads ahead kStreamPrefetchBytes, as the AVX-512 set.
constexpr std::size_t kStreamPrefetchBytes = 6144;

// Generic dot: 4 independent accumulators (FMA latency 4) over 32 values, then 8, then a
// scalar tail. Load8 turns 8 weights into f32; Scalar converts one.
template <typename Weight,
          __m256 (*kLoad8)(const Weight*),
          float (*kScalar)(Weight),
          bool kPrefetch = false>
float dot_generic(const void* w, const float* x, std::int64_t n) {
    const auto* row = static_cast<const Weight*>(w);
    __m256 acc0 = _mm256_setzero_ps();
    __m256 acc1 = _mm256_setzero_ps();
    __m256 acc2 = _mm256_setzero_ps();
    __m256 acc3 = _mm256_setzero_ps();
    std::int64_t i = 0;
    for (; i + 32 <= n; i += 32) {
        if constexpr (kPrefetch) {
            const auto* ahead = reinterpret_cast<const char*>(row + i) + kStreamPrefetchBytes;
            for (std::size_t b = 0; b < 32 * sizeof(Weight); b += 64) {
                _mm_prefetch(ahead + b, _MM_HINT_T0);
            }
        }
        acc0 = _mm256_fmadd_ps(kLoad8(row + i), _mm256_loadu_ps(x + i), acc0);
        acc1 = _mm256_fmadd_ps(kLoad8(row + i + 8), _mm256_loadu_ps(x + i + 8), acc1);
        acc2 = _mm256_fmadd_ps(kLoad8(row + i + 16), _mm256_loadu_ps(x + i + 16), acc2);
        acc3 = _mm256_fmadd_ps(kLoad8(row + i + 24), _mm256_loadu_ps(x + i + 24), acc3);
    }
    for (; i + 8 <= n; i += 8) {
        acc0 = _mm256_fmadd_ps(kLoad8(row + i), _mm256_loadu_ps(x + i), acc0);
    }
    float sum = hsum(_mm256_add_ps(_mm256_add_ps(acc0, acc1), _mm256_add_ps(acc2, acc3)));
    for (; i < n; ++i) {
        sum += kScalar(row[i]) * x[i];
    }
    return sum;
}

inline float scalar_f32(float f) {
    return f;
}

float dot_f32(const void* w, const float* x, std::int64_t n) {
    return dot_generic<float, load_f32x8, scalar_f32>(w, x, n);
}

float dot_f16(const void* w, const float* x, std::int64_t n) {
    return dot_generic<std::uint16_t, load_half8, scalar_half>(w, x, n);
}

float dot_bf16(const void* w, const float* x, std::int64_t n) {
    return dot_generic<std::uint16_t, load_bf16x8, scalar_bf16>(w, x, n);
}

template <DotFn kDot>
float vec_dot_float(const void* w, const void* x, std::int64_t n) {
    return kDot(w, static_cast<const float*>(x), n);
}

void dequantize_f16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, load_half8(h + i));
    }
    for (; i < n; ++i) {
        dst[i] = scalar_half(h[i]);
    }
}

// Narrowing with F16C rounds to nearest even, keeps a NaN's top payload bits and quiets
// it, and makes subnormals, as the reference does: the results are bit-identical.
void quantize_f16(const float* src, void* dst, std::int64_t n) {
    auto* h = static_cast<std::uint16_t*>(dst);
    constexpr int kRounding = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC;
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(h + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), kRounding));
    }
    for (; i < n; ++i) {
        h[i] = static_cast<std::uint16_t>(_cvtss_sh(src[i], kRounding));
    }
}

void dequantize_bf16(const void* src, float* dst, std::int64_t n) {
    const auto* h = static_cast<const std::uint16_t*>(src);
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        _mm256_storeu_ps(dst + i, load_bf16x8(h + i));
    }
    for (; i < n; ++i) {
        dst[i] = scalar_bf16(h[i]);
    }
}

// ---- vec_dot_tile: a few tokens against float rows (attention over the KV cache) ----
//
// One token streams the rows (dot_generic, as vec_dot does, with software prefetches). From two
// tokens on, micro-tiles of up to 3 rows x 3 tokens share each loaded chunk of a row and of a token
// (9 accumulators, 3 rows and a token: 13 of the 16 registers). A (row, token) sums 8 lanes over
// the row in order, a scalar tail, then the lanes: the same whatever the tile's shape, so results
// do not depend on how rows and tokens are split between calls or threads.
constexpr std::int64_t kTileRows = 3;
constexpr std::int64_t kTileTokens = 3;

template <typename Weight,
          __m256 (*kLoad8)(const Weight*),
          float (*kScalar)(Weight),
          std::size_t R,
          std::size_t T>
void float_tile(const std::uint8_t* w,
                std::size_t w_row_bytes,
                const std::uint8_t* x,
                std::size_t x_row_bytes,
                float* y,
                std::int64_t y_stride,
                std::int64_t n) {
    const Weight* rows[R];
    const float* tokens[T];
    for (std::size_t r = 0; r < R; ++r) {
        rows[r] = reinterpret_cast<const Weight*>(w + r * w_row_bytes);
    }
    for (std::size_t t = 0; t < T; ++t) {
        tokens[t] = reinterpret_cast<const float*>(x + t * x_row_bytes);
    }
    __m256 acc[R][T];
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t t = 0; t < T; ++t) {
            acc[r][t] = _mm256_setzero_ps();
        }
    }
    std::int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 wv[R];
        for (std::size_t r = 0; r < R; ++r) {
            wv[r] = kLoad8(rows[r] + i);
        }
        for (std::size_t t = 0; t < T; ++t) {
            const __m256 xv = _mm256_loadu_ps(tokens[t] + i);
            for (std::size_t r = 0; r < R; ++r) {
                acc[r][t] = _mm256_fmadd_ps(wv[r], xv, acc[r][t]);
            }
        }
    }
    for (std::size_t r = 0; r < R; ++r) {
        for (std::size_t t = 0; t < T; ++t) {
            float tail = 0.0f;
            for (std::int64_t j = i; j < n; ++j) {
                tail += kScalar(rows[r][j]) * tokens[t][j];
            }
            y[static_cast<std::int64_t>(t) * y_stride + static_cast<std::int64_t>(r)] =
                hsum(acc[r][t]) + tail;
        }
    }
}

using FloatTileFn = void (*)(const std::uint8_t*,
                             std::size_t,
                             const std::uint8_t*,
                             std::size_t,
                             float*,
                             std::int64_t,
                             std::int64_t);

template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
void vec_dot_tile_float(const void* w,
                        std::size_t w_row_bytes,
                        std::int64_t n_rows,
                        const void* x,
                        std::size_t x_row_bytes,
                        std::int64_t n_tokens,
                        float* y,
                        std::int64_t y_stride,
                        std::int64_t n) {
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xbytes = static_cast<const std::uint8_t*>(x);
    static constexpr FloatTileFn kFns[kTileRows][kTileTokens] = {
        {float_tile<Weight, kLoad8, kScalar, 1, 1>, float_tile<Weight, kLoad8, kScalar, 1, 2>,
         float_tile<Weight, kLoad8, kScalar, 1, 3>},
        {float_tile<Weight, kLoad8, kScalar, 2, 1>, float_tile<Weight, kLoad8, kScalar, 2, 2>,
         float_tile<Weight, kLoad8, kScalar, 2, 3>},
        {float_tile<Weight, kLoad8, kScalar, 3, 1>, float_tile<Weight, kLoad8, kScalar, 3, 2>,
         float_tile<Weight, kLoad8, kScalar, 3, 3>},
    };
    if (n_tokens == 1) {
        for (std::int64_t r = 0; r < n_rows; ++r) {
            y[r] = dot_generic<Weight, kLoad8, kScalar, true>(
                wbytes + static_cast<std::size_t>(r) * w_row_bytes, static_cast<const float*>(x),
                n);
        }
        return;
    }
    for (std::int64_t r = 0; r < n_rows; r += kTileRows) {
        const std::int64_t nr = n_rows - r < kTileRows ? n_rows - r : kTileRows;
        for (std::int64_t t = 0; t < n_tokens; t += kTileTokens) {
            const std::int64_t nt = n_tokens - t < kTileTokens ? n_tokens - t : kTileTokens;
            kFns[nr - 1][nt - 1](wbytes + static_cast<std::size_t>(r) * w_row_bytes, w_row_bytes,
                                 xbytes + static_cast<std::size_t>(t) * x_row_bytes, x_row_bytes,
                                 y + t * y_stride + r, y_stride, n);
        }
    }
}

// ---- vec_dot_panel: prompt batches against float weights ----
//
// One dot per (row, token) converts and loads every weight once per token. Here 16 rows are
// re-laid per chunk of kFloatChunk columns as columns of 16 f32 (two vectors, lane = row,
// 16 KB: in L1), and every token of a micro-tile broadcasts its value of a column into two
// FMAs: 12 accumulators, two columns and a broadcast, 15 of the 16 registers. The sum of a
// (row, token) runs over the columns in order, chunk after chunk, whatever the shape of the
// call, so results do not depend on how a matrix is split.
constexpr std::int64_t kFloatChunk = 256;
constexpr std::int64_t kPanelRows = 16;
constexpr std::int64_t kFloatMicroTokens = 6;

struct FloatPanel {
    __m256 cols[kFloatChunk][2];  // rows 0-7, rows 8-15
};

// Columns c0 .. c0 + count - 1 (count <= 8) of one row as f32, zero past count.
template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
__m256 load_columns(const std::uint8_t* row, std::int64_t c0, std::int64_t count) {
    const auto* w = reinterpret_cast<const Weight*>(row) + c0;
    if (count == 8) {
        return kLoad8(w);
    }
    alignas(32) float part[8] = {};
    for (std::int64_t j = 0; j < count; ++j) {
        part[j] = kScalar(w[j]);
    }
    return _mm256_load_ps(part);
}

// r[k] holds 8 columns of row k; writes column j of the 8 rows (lane = row) to out[j].
inline void transpose8(const __m256 (&r)[8], __m256* out, std::size_t out_stride) {
    const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]);
    const __m256 t1 = _mm256_unpackhi_ps(r[0], r[1]);
    const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]);
    const __m256 t3 = _mm256_unpackhi_ps(r[2], r[3]);
    const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]);
    const __m256 t5 = _mm256_unpackhi_ps(r[4], r[5]);
    const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]);
    const __m256 t7 = _mm256_unpackhi_ps(r[6], r[7]);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44);
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44);
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44);
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44);
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
    out[0 * out_stride] = _mm256_permute2f128_ps(u0, u4, 0x20);
    out[1 * out_stride] = _mm256_permute2f128_ps(u1, u5, 0x20);
    out[2 * out_stride] = _mm256_permute2f128_ps(u2, u6, 0x20);
    out[3 * out_stride] = _mm256_permute2f128_ps(u3, u7, 0x20);
    out[4 * out_stride] = _mm256_permute2f128_ps(u0, u4, 0x31);
    out[5 * out_stride] = _mm256_permute2f128_ps(u1, u5, 0x31);
    out[6 * out_stride] = _mm256_permute2f128_ps(u2, u6, 0x31);
    out[7 * out_stride] = _mm256_permute2f128_ps(u3, u7, 0x31);
}

// Columns [c0, c0 + n_cols) of rows 0 .. n_rows - 1 (at most 16) into `panel`; rows past
// n_rows are zero. Columns past n_cols within the last group of 8 are written as zeros.
template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
void fill_float_panel(const std::uint8_t* w,
                      std::size_t w_row_bytes,
                      std::int64_t n_rows,
                      std::int64_t c0,
                      std::int64_t n_cols,
                      FloatPanel* panel) {
    for (std::int64_t c = 0; c < n_cols; c += 8) {
        const std::int64_t count = n_cols - c < 8 ? n_cols - c : 8;
        for (std::int64_t half = 0; half < 2; ++half) {
            __m256 rows[8];
            for (std::int64_t k = 0; k < 8; ++k) {
                const std::int64_t r = 8 * half + k;
                if (r < n_rows) {
                    // The same columns of the next chunk: 16 short streams, which the
                    // hardware prefetchers follow late.
                    _mm_prefetch(
                        reinterpret_cast<const char*>(w +
                                                      static_cast<std::size_t>(r) * w_row_bytes) +
                            static_cast<std::size_t>(c0 + c + kFloatChunk) * sizeof(Weight),
                        _MM_HINT_T0);
                }
                rows[k] = r < n_rows
                              ? load_columns<Weight, kLoad8, kScalar>(
                                    w + static_cast<std::size_t>(r) * w_row_bytes, c0 + c, count)
                              : _mm256_setzero_ps();
            }
            transpose8(rows, &panel->cols[c][half], 2);
        }
    }
}

// T tokens (f32 rows, x_stride apart) against a panel's n_cols columns:
// y[t][0..n_valid) = (or +=) the row sums.
template <std::size_t T>
void float_panel_tokens(const FloatPanel& panel,
                        std::int64_t n_cols,
                        const float* x,
                        std::int64_t x_stride,
                        float* y,
                        std::int64_t y_stride,
                        std::int64_t n_valid,
                        bool is_accumulating) {
    __m256 acc[T][2];
#pragma GCC unroll 6
    for (std::size_t t = 0; t < T; ++t) {
        acc[t][0] = _mm256_setzero_ps();
        acc[t][1] = _mm256_setzero_ps();
    }
    for (std::int64_t c = 0; c < n_cols; ++c) {
        const __m256 w0 = panel.cols[c][0];
        const __m256 w1 = panel.cols[c][1];
#pragma GCC unroll 6
        for (std::size_t t = 0; t < T; ++t) {
            const __m256 xv = _mm256_broadcast_ss(x + static_cast<std::int64_t>(t) * x_stride + c);
            acc[t][0] = _mm256_fmadd_ps(w0, xv, acc[t][0]);
            acc[t][1] = _mm256_fmadd_ps(w1, xv, acc[t][1]);
        }
    }
#pragma GCC unroll 6
    for (std::size_t t = 0; t < T; ++t) {
        float* out = y + static_cast<std::int64_t>(t) * y_stride;
        alignas(32) float sums[kPanelRows];
        _mm256_store_ps(sums, acc[t][0]);
        _mm256_store_ps(sums + 8, acc[t][1]);
        for (std::int64_t r = 0; r < n_valid; ++r) {
            out[r] = is_accumulating ? out[r] + sums[r] : sums[r];
        }
    }
}

using FloatTokensFn = void (*)(const FloatPanel&,
                               std::int64_t,
                               const float*,
                               std::int64_t,
                               float*,
                               std::int64_t,
                               std::int64_t,
                               bool);

constexpr FloatTokensFn kFloatTokens[kFloatMicroTokens] = {
    float_panel_tokens<1>, float_panel_tokens<2>, float_panel_tokens<3>,
    float_panel_tokens<4>, float_panel_tokens<5>, float_panel_tokens<6>,
};

// x: f32 activation rows (x_row_bytes a multiple of 4); x_sums unused.
template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
void vec_dot_panel_float(const void* w,
                         std::size_t w_row_bytes,
                         std::int64_t n_rows,
                         const void* x,
                         std::size_t x_row_bytes,
                         const Q8_0BlockSum* /*x_sums*/,
                         std::int64_t /*x_sums_stride*/,
                         std::int64_t n_tokens,
                         float* y,
                         std::int64_t y_stride,
                         std::int64_t n) {
    const auto* wbytes = static_cast<const std::uint8_t*>(w);
    const auto* xf = static_cast<const float*>(x);
    const auto x_stride = static_cast<std::int64_t>(x_row_bytes / sizeof(float));
    FloatPanel panel;
    for (std::int64_t r0 = 0; r0 < n_rows; r0 += kPanelRows) {
        const std::int64_t n_valid = n_rows - r0 < kPanelRows ? n_rows - r0 : kPanelRows;
        for (std::int64_t c0 = 0; c0 < n; c0 += kFloatChunk) {
            const std::int64_t nc = n - c0 < kFloatChunk ? n - c0 : kFloatChunk;
            fill_float_panel<Weight, kLoad8, kScalar>(
                wbytes + static_cast<std::size_t>(r0) * w_row_bytes, w_row_bytes, n_valid, c0, nc,
                &panel);
            for (std::int64_t t = 0; t < n_tokens; t += kFloatMicroTokens) {
                const std::int64_t nt =
                    n_tokens - t < kFloatMicroTokens ? n_tokens - t : kFloatMicroTokens;
                kFloatTokens[nt - 1](panel, nc, xf + t * x_stride + c0, x_stride,
                                     y + t * y_stride + r0, y_stride, n_valid, c0 > 0);
            }
        }
    }
}

// ---- weighted sums of rows (attention's softmax rows times the V cache) ----

// R weight rows at once over kVectors x 8 values of every V row starting at value c: each V
// vector is loaded once for all R rows, and each output value is one FMA chain over the V
// rows in order (kernels.h), so a row's sums do not depend on R.
template <typename Weight, __m256 (*kLoad8)(const Weight*), std::size_t R, std::size_t kVectors>
void weighted_rows_block(const std::uint8_t* v,
                         std::size_t v_row_bytes,
                         std::int64_t n_rows,
                         const float* p,
                         std::int64_t p_stride,
                         float* y,
                         std::int64_t y_stride,
                         std::int64_t c,
                         bool is_first) {
    __m256 acc[R][kVectors];
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            const float* sums =
                y + static_cast<std::int64_t>(r) * y_stride + c + static_cast<std::int64_t>(8 * k);
            acc[r][k] = is_first ? _mm256_setzero_ps() : _mm256_loadu_ps(sums);
        }
    }
    for (std::int64_t j = 0; j < n_rows; ++j) {
        const auto* row =
            reinterpret_cast<const Weight*>(v + static_cast<std::size_t>(j) * v_row_bytes);
        __m256 values[kVectors];
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            values[k] = kLoad8(row + c + static_cast<std::int64_t>(8 * k));
        }
#pragma GCC unroll 16
        for (std::size_t r = 0; r < R; ++r) {
            const __m256 weight =
                _mm256_broadcast_ss(p + static_cast<std::int64_t>(r) * p_stride + j);
#pragma GCC unroll 16
            for (std::size_t k = 0; k < kVectors; ++k) {
                acc[r][k] = _mm256_fmadd_ps(weight, values[k], acc[r][k]);
            }
        }
    }
#pragma GCC unroll 16
    for (std::size_t r = 0; r < R; ++r) {
#pragma GCC unroll 16
        for (std::size_t k = 0; k < kVectors; ++k) {
            _mm256_storeu_ps(
                y + static_cast<std::int64_t>(r) * y_stride + c + static_cast<std::int64_t>(8 * k),
                acc[r][k]);
        }
    }
}

template <typename Weight, __m256 (*kLoad8)(const Weight*), std::size_t R>
void weighted_rows_of(const std::uint8_t* v,
                      std::size_t v_row_bytes,
                      std::int64_t n_rows,
                      const float* p,
                      std::int64_t p_stride,
                      float* y,
                      std::int64_t y_stride,
                      std::int64_t n) {
    // At least 8 accumulators where registers allow (FMA latency 4, two FMA units: 8 chains
    // keep both busy), with one broadcast weight and the V vectors in the 16 registers: 32
    // values per pass for 1-2 rows, 24 for 3, 16 for 4; then 16 and 8. The passes go over
    // kKeyBlock V rows at a time, which stay in L1 for the next pass, and carry their sums
    // on through y: V streams in from memory once, in order.
    constexpr std::size_t kWide = R <= 2 ? 4 : (R == 3 ? 3 : 2);
    constexpr auto kWideValues = static_cast<std::int64_t>(8 * kWide);
    constexpr std::int64_t kKeyBlock = 64;
    std::int64_t j0 = 0;
    do {
        const std::uint8_t* block = v + static_cast<std::size_t>(j0) * v_row_bytes;
        const std::int64_t n_block = n_rows - j0 < kKeyBlock ? n_rows - j0 : kKeyBlock;
        const bool is_first = j0 == 0;
        std::int64_t c = 0;
        for (; c + kWideValues <= n; c += kWideValues) {
            weighted_rows_block<Weight, kLoad8, R, kWide>(block, v_row_bytes, n_block, p + j0,
                                                          p_stride, y, y_stride, c, is_first);
        }
        for (; c + 16 <= n; c += 16) {
            weighted_rows_block<Weight, kLoad8, R, 2>(block, v_row_bytes, n_block, p + j0, p_stride,
                                                      y, y_stride, c, is_first);
        }
        for (; c + 8 <= n; c += 8) {
            weighted_rows_block<Weight, kLoad8, R, 1>(block, v_row_bytes, n_block, p + j0, p_stride,
                                                      y, y_stride, c, is_first);
        }
        j0 += kKeyBlock;
    } while (j0 < n_rows);
}

// Blocks of up to 4 weight rows; the last n % 8 values one by one, with the same
// single-rounding FMA.
template <typename Weight, __m256 (*kLoad8)(const Weight*), float (*kScalar)(Weight)>
void weighted_rows(const void* v,
                   std::size_t v_row_bytes,
                   std::int64_t n_rows,
                   const float* p,
                   std::int64_t p_stride,
                   std::int64_t n_weights,
                   float* y,
                   std::int64_t y_stride,
                   std::int64_t n) {
    const auto* rows = static_cast<const std::uint8_t*>(v);
    using OfFn = void (*)(const std::uint8_t*, std::size_t, std::int64_t, const float*,
                          std::int64_t, float*, std::int64_t, std::int64_t);
    static constexpr OfFn kBlocks[4] = {
        weighted_rows_of<Weight, kLoad8, 1>, weighted_rows_of<Weight, kLoad8, 2>,
        weighted_rows_of<Weight, kLoad8, 3>, weighted_rows_of<Weight, kLoad8, 4>};
    for (std::int64_t g = 0; g < n_weights; g += 4) {
        const std::int64_t n_block = n_weights - g < 4 ? n_weights - g : 4;
        kBlocks[n_block - 1](rows, v_row_bytes, n_rows, p + g * p_stride, p_stride,
                             y + g * y_stride, y_stride, n);
    }
    for (std::int64_t i = n - n % 8; i < n; ++i) {
        for (std::int64_t g = 0; g < n_weights; ++g) {
            float sum = 0.0f;
            for (std::int64_t j = 0; j < n_rows; ++j) {
                const auto* row = reinterpret_cast<const Weight*>(
                    rows + static_cast<std::size_t>(j) * v_row_bytes);
                sum = _mm_cvtss_f32(_mm_fmadd_ss(_mm_set_ss(p[g * p_stride + j]),
                                                 _mm_set_ss(kScalar(row[i])), _mm_set_ss(sum)));
            }
            y[g * y_stride + i] = sum;
        }
    }
}

}  // namespace

void fill_avx2_float_kernels(KernelSet& set) {
    auto& f32 = set.by_type[static_cast<std::size_t>(TensorType::kF32)];
    f32.dot = dot_f32;
    f32.vec_dot = vec_dot_float<dot_f32>;
    f32.vec_dot_panel = vec_dot_panel_float<float, load_f32x8, scalar_f32>;
    f32.vec_dot_tile = vec_dot_tile_float<float, load_f32x8, scalar_f32>;
    auto& f16 = set.by_type[static_cast<std::size_t>(TensorType::kF16)];
    f16.dequantize = dequantize_f16;
    f16.quantize = quantize_f16;
    f16.dot = dot_f16;
    f16.vec_dot = vec_dot_float<dot_f16>;
    f16.vec_dot_panel = vec_dot_panel_float<std::uint16_t, load_half8, scalar_half>;
    f16.vec_dot_tile = vec_dot_tile_float<std::uint16_t, load_half8, scalar_half>;
    auto& bf16 = set.by_type[static_cast<std::size_t>(TensorType::kBF16)];
    bf16.dequantize = dequantize_bf16;
    bf16.dot = dot_bf16;
    bf16.vec_dot = vec_dot_float<dot_bf16>;
    bf16.vec_dot_panel = vec_dot_panel_float<std::uint16_t, load_bf16x8, scalar_bf16>;
    bf16.vec_dot_tile = vec_dot_tile_float<std::uint16_t, load_bf16x8, scalar_bf16>;
    f32.weighted_rows = weighted_rows<float, load_f32x8, scalar_f32>;
    f16.weighted_rows = weighted_rows<std::uint16_t, load_half8, scalar_half>;
    bf16.weighted_rows = weighted_rows<std::uint16_t, load_bf16x8, scalar_bf16>;
}

}  // namespace lore::kernels::x86
