// Reference attention helpers: the specification of dot_f32, axpy_f32, attention_head,
// softmax_row and silu_mul (kernels.h). Dot products and the softmax sum accumulate in
// double; exp is std::exp.
#include <cmath>

#include "kernels/reference/reference.h"

namespace lore::kernels::reference {
namespace {

float dot_f32(const float* a, const float* b, std::int64_t n) {
    double sum = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        sum += static_cast<double>(a[i]) * static_cast<double>(b[i]);
    }
    return static_cast<float>(sum);
}

void axpy_f32(float alpha, const float* x, float* y, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        y[i] += alpha * x[i];
    }
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
    float max_score = -INFINITY;
    for (std::int64_t j = 0; j < n_keys; ++j) {
        scores[j] = scale * dot_f32(q, k + j * kv_stride, head_dim);
        max_score = std::fmax(max_score, scores[j]);
    }
    double sum = 0.0;
    for (std::int64_t j = 0; j < n_keys; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        sum += static_cast<double>(scores[j]);
    }
    for (std::int64_t d = 0; d < head_dim; ++d) {
        double acc = 0.0;
        for (std::int64_t j = 0; j < n_keys; ++j) {
            acc += static_cast<double>(scores[j]) * static_cast<double>(v[j * kv_stride + d]);
        }
        out[d] = static_cast<float>(acc / sum);
    }
}

void softmax_row(float* row, std::int64_t n_visible, std::int64_t n, float scale) {
    float max_score = -INFINITY;
    for (std::int64_t j = 0; j < n_visible; ++j) {
        row[j] *= scale;
        max_score = std::fmax(max_score, row[j]);
    }
    double sum = 0.0;
    for (std::int64_t j = 0; j < n_visible; ++j) {
        row[j] = std::exp(row[j] - max_score);
        sum += static_cast<double>(row[j]);
    }
    const auto inv_sum = static_cast<float>(1.0 / sum);
    for (std::int64_t j = 0; j < n_visible; ++j) {
        row[j] *= inv_sum;
    }
    for (std::int64_t j = n_visible; j < n; ++j) {
        row[j] = 0.0f;
    }
}

void silu_mul(float* gate, const float* up, std::int64_t n) {
    for (std::int64_t i = 0; i < n; ++i) {
        const float g = gate[i];
        gate[i] = g / (1.0f + std::exp(-g)) * up[i];
    }
}

}  // namespace

void fill_attention_kernels(KernelSet& set) {
    set.dot_f32 = dot_f32;
    set.axpy_f32 = axpy_f32;
    set.attention_head = attention_head;
    set.softmax_row = softmax_row;
    set.silu_mul = silu_mul;
}

}  // namespace lore::kernels::reference
