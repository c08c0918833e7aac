// The `bert` architecture (BGE, E5, MiniLM ...): a bidirectional encoder for embeddings.
//
//   x = LayerNorm(token_embd[id] + position_embd[pos] + token_types[0])
//   for each block:  a = softmax(q k^T / sqrt(head_dim)) v     (no causal mask; biases on q/k/v/o)
//                    x = LayerNorm(x + a Wo + bo)               (attn_output_norm)
//                    x = LayerNorm(x + gelu(x Wup + bup) Wdown + bdown)   (layer_output_norm)
//   pooled by mean or CLS (bert.pooling_type: 1 mean, 2 cls), then L2-normalised.
// GELU is the exact erf form, as the original BERT and the Hugging Face models use.
#include "model/bert.h"

#include <algorithm>
#include <cmath>

#include "core/thread_pool.h"
#include "kernels/kernels.h"

namespace lore::model {

namespace {

Result<const gguf::TensorInfo*> find_checked(const gguf::GgufFile& file,
                                             const std::string& name,
                                             const std::vector<std::int64_t>& ne) {
    const gguf::TensorInfo* info = file.find_tensor(name);
    if (info == nullptr) {
        return Status::corruption("bert: tensor '" + name + "' is missing");
    }
    if (info->ne != ne) {
        return Status::corruption("bert: tensor '" + name + "' has an unexpected shape");
    }
    if (!tensor_type_traits(info->type).is_supported) {
        return Status::unsupported("bert: tensor '" + name + "' has an unsupported type");
    }
    return info;
}

Result<WeightMatrix> matrix(const gguf::GgufFile& file,
                            const std::string& name,
                            std::int64_t n_rows,
                            std::int64_t n_cols) {
    LORE_ASSIGN_OR_RETURN(const gguf::TensorInfo* info, find_checked(file, name, {n_cols, n_rows}));
    return WeightMatrix{info->type, info->data, n_rows, n_cols,
                        tensor_row_bytes(info->type, n_cols)};
}

Result<std::vector<float>> vec(const gguf::GgufFile& file,
                               const std::string& name,
                               std::int64_t n) {
    LORE_ASSIGN_OR_RETURN(const gguf::TensorInfo* info, find_checked(file, name, {n}));
    std::vector<float> out(static_cast<std::size_t>(n));
    kernels::reference_kernels()[info->type].dequantize(info->data, out.data(), n);
    return out;
}

Result<std::int32_t> positive(const gguf::GgufFile& file, const std::string& key) {
    LORE_ASSIGN_OR_RETURN(std::int64_t v, file.get_int(key));
    if (v <= 0 || v > (1 << 24)) {
        return Status::corruption("bert: " + key + " = " + std::to_string(v) + " is out of range");
    }
    return static_cast<std::int32_t>(v);
}

void layer_norm(
    float* x, const std::vector<float>& w, const std::vector<float>& b, std::int64_t n, float eps) {
    double mean = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        mean += x[i];
    }
    mean /= static_cast<double>(n);
    double var = 0.0;
    for (std::int64_t i = 0; i < n; ++i) {
        const double d = x[i] - mean;
        var += d * d;
    }
    var /= static_cast<double>(n);
    const double inv = 1.0 / std::sqrt(var + eps);
    for (std::int64_t i = 0; i < n; ++i) {
        const auto idx = static_cast<std::size_t>(i);
        x[i] = static_cast<float>((x[i] - mean) * inv) * w[idx] + b[idx];
    }
}

}  // namespace

Result<BertWeights> load_bert(const gguf::GgufFile& file) {
    BertWeights w;
    BertHParams& hp = w.hparams;
    LORE_ASSIGN_OR_RETURN(hp.n_embd, positive(file, "bert.embedding_length"));
    LORE_ASSIGN_OR_RETURN(hp.n_layer, positive(file, "bert.block_count"));
    LORE_ASSIGN_OR_RETURN(hp.n_head, positive(file, "bert.attention.head_count"));
    LORE_ASSIGN_OR_RETURN(hp.n_ff, positive(file, "bert.feed_forward_length"));
    LORE_ASSIGN_OR_RETURN(hp.n_ctx_train, positive(file, "bert.context_length"));
    if (hp.n_embd % hp.n_head != 0) {
        return Status::corruption("bert: embedding_length " + std::to_string(hp.n_embd) +
                                  " is not divisible by head_count " + std::to_string(hp.n_head));
    }
    if (file.find("bert.attention.layer_norm_epsilon") != nullptr) {
        LORE_ASSIGN_OR_RETURN(double eps, file.get_float("bert.attention.layer_norm_epsilon"));
        hp.norm_eps = static_cast<float>(eps);
    }
    if (file.find("bert.pooling_type") != nullptr) {
        LORE_ASSIGN_OR_RETURN(std::int64_t pooling, file.get_int("bert.pooling_type"));
        hp.pooling = pooling == 2 ? Pooling::kCls : Pooling::kMean;
    }
    const gguf::TensorInfo* embd = file.find_tensor("token_embd.weight");
    if (embd == nullptr || embd->ne.size() != 2) {
        return Status::corruption("bert: tensor 'token_embd.weight' is missing or not 2-D");
    }
    hp.n_vocab = static_cast<std::int32_t>(embd->ne[1]);
    const std::int64_t d = hp.n_embd;
    LORE_ASSIGN_OR_RETURN(w.token_embd, matrix(file, "token_embd.weight", hp.n_vocab, d));
    LORE_ASSIGN_OR_RETURN(w.position_embd, matrix(file, "position_embd.weight", hp.n_ctx_train, d));
    if (const gguf::TensorInfo* types = file.find_tensor("token_types.weight"); types != nullptr) {
        if (types->ne.size() != 2 || types->ne[0] != d) {
            return Status::corruption("bert: tensor 'token_types.weight' has an unexpected shape");
        }
        LORE_ASSIGN_OR_RETURN(w.token_types, matrix(file, "token_types.weight", types->ne[1], d));
    }
    LORE_ASSIGN_OR_RETURN(w.embd_norm_w, vec(file, "token_embd_norm.weight", d));
    LORE_ASSIGN_OR_RETURN(w.embd_norm_b, vec(file, "token_embd_norm.bias", d));
    w.layers.resize(static_cast<std::size_t>(hp.n_layer));
    for (std::int32_t layer_idx = 0; layer_idx < hp.n_layer; ++layer_idx) {
        BertLayer& l = w.layers[static_cast<std::size_t>(layer_idx)];
        const std::string p = "blk." + std::to_string(layer_idx) + ".";
        LORE_ASSIGN_OR_RETURN(l.wq, matrix(file, p + "attn_q.weight", d, d));
        LORE_ASSIGN_OR_RETURN(l.bq, vec(file, p + "attn_q.bias", d));
        LORE_ASSIGN_OR_RETURN(l.wk, matrix(file, p + "attn_k.weight", d, d));
        LORE_ASSIGN_OR_RETURN(l.bk, vec(file, p + "attn_k.bias", d));
        LORE_ASSIGN_OR_RETURN(l.wv, matrix(file, p + "attn_v.weight", d, d));
        LORE_ASSIGN_OR_RETURN(l.bv, vec(file, p + "attn_v.bias", d));
        LORE_ASSIGN_OR_RETURN(l.wo, matrix(file, p + "attn_output.weight", d, d));
        LORE_ASSIGN_OR_RETURN(l.bo, vec(file, p + "attn_output.bias", d));
        LORE_ASSIGN_OR_RETURN(l.attn_norm_w, vec(file, p + "attn_output_norm.weight", d));
        LORE_ASSIGN_OR_RETURN(l.attn_norm_b, vec(file, p + "attn_output_norm.bias", d));
        LORE_ASSIGN_OR_RETURN(l.w_up, matrix(file, p + "ffn_up.weight", hp.n_ff, d));
        LORE_ASSIGN_OR_RETURN(l.b_up, vec(file, p + "ffn_up.bias", hp.n_ff));
        LORE_ASSIGN_OR_RETURN(l.w_down, matrix(file, p + "ffn_down.weight", d, hp.n_ff));
        LORE_ASSIGN_OR_RETURN(l.b_down, vec(file, p + "ffn_down.bias", d));
        LORE_ASSIGN_OR_RETURN(l.out_norm_w, vec(file, p + "layer_output_norm.weight", d));
        LORE_ASSIGN_OR_RETURN(l.out_norm_b, vec(file, p + "layer_output_norm.bias", d));
    }
    return w;
}

void bert_forward(const BertWeights& w,
                  std::span<const TokenId> tokens,
                  ThreadPool& pool,
                  std::vector<float>& out) {
    const BertHParams& hp = w.hparams;
    const std::int64_t n = static_cast<std::int64_t>(tokens.size());
    const std::int64_t d = hp.n_embd;
    const std::int64_t head_dim = d / hp.n_head;
    const kernels::KernelSet& ks = kernels::active_kernels();
    auto sz = [](std::int64_t v) { return static_cast<std::size_t>(v); };

    std::vector<float> x(sz(n * d)), q(sz(n * d)), k(sz(n * d)), v(sz(n * d)), a(sz(n * d)),
        tmp(sz(n * d)), ff(sz(n * hp.n_ff)), row(sz(d));
    for (std::int64_t t = 0; t < n; ++t) {
        float* xt = x.data() + t * d;
        const WeightMatrix& te = w.token_embd;
        ks[te.type].dequantize(te.data + sz(tokens[sz(t)]) * te.row_bytes, xt, d);
        ks[w.position_embd.type].dequantize(
            w.position_embd.data + sz(t) * w.position_embd.row_bytes, row.data(), d);
        for (std::int64_t i = 0; i < d; ++i) {
            xt[i] += row[sz(i)];
        }
        if (w.token_types.data != nullptr) {
            ks[w.token_types.type].dequantize(w.token_types.data, row.data(), d);
            for (std::int64_t i = 0; i < d; ++i) {
                xt[i] += row[sz(i)];
            }
        }
        layer_norm(xt, w.embd_norm_w, w.embd_norm_b, d, hp.norm_eps);
    }
    auto matmul = [&](const WeightMatrix& m, const float* in, float* y,
                      const std::vector<float>& bias) {
        pool.parallel_for(m.n_rows, [&](std::int64_t begin, std::int64_t end) {
            kernels::matmul_rows(m.type, m.data, m.row_bytes, m.n_cols, in, n, y, m.n_rows, begin,
                                 end);
        });
        for (std::int64_t t = 0; t < n; ++t) {
            for (std::int64_t i = 0; i < m.n_rows; ++i) {
                y[t * m.n_rows + i] += bias[sz(i)];
            }
        }
    };
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    std::vector<float> scores(sz(n));
    for (const BertLayer& l : w.layers) {
        matmul(l.wq, x.data(), q.data(), l.bq);
        matmul(l.wk, x.data(), k.data(), l.bk);
        matmul(l.wv, x.data(), v.data(), l.bv);
        for (std::int64_t head = 0; head < hp.n_head; ++head) {
            for (std::int64_t t = 0; t < n; ++t) {
                const float* qt = q.data() + t * d + head * head_dim;
                float max_s = -INFINITY;
                for (std::int64_t j = 0; j < n; ++j) {
                    const float* kj = k.data() + j * d + head * head_dim;
                    float dot = 0.0f;
                    for (std::int64_t e = 0; e < head_dim; ++e) {
                        dot += qt[e] * kj[e];
                    }
                    scores[sz(j)] = dot * scale;
                    max_s = std::max(max_s, scores[sz(j)]);
                }
                double sum = 0.0;
                for (std::int64_t j = 0; j < n; ++j) {
                    scores[sz(j)] = std::exp(scores[sz(j)] - max_s);
                    sum += scores[sz(j)];
                }
                float* at = a.data() + t * d + head * head_dim;
                std::fill(at, at + head_dim, 0.0f);
                for (std::int64_t j = 0; j < n; ++j) {
                    const auto p = static_cast<float>(scores[sz(j)] / sum);
                    const float* vj = v.data() + j * d + head * head_dim;
                    for (std::int64_t e = 0; e < head_dim; ++e) {
                        at[e] += p * vj[e];
                    }
                }
            }
        }
        matmul(l.wo, a.data(), tmp.data(), l.bo);
        for (std::int64_t t = 0; t < n; ++t) {
            for (std::int64_t i = 0; i < d; ++i) {
                x[sz(t * d + i)] += tmp[sz(t * d + i)];
            }
            layer_norm(x.data() + t * d, l.attn_norm_w, l.attn_norm_b, d, hp.norm_eps);
        }
        matmul(l.w_up, x.data(), ff.data(), l.b_up);
        for (float& f : ff) {
            f = 0.5f * f * (1.0f + std::erf(f * 0.70710678118654752f));
        }
        matmul(l.w_down, ff.data(), tmp.data(), l.b_down);
        for (std::int64_t t = 0; t < n; ++t) {
            for (std::int64_t i = 0; i < d; ++i) {
                x[sz(t * d + i)] += tmp[sz(t * d + i)];
            }
            layer_norm(x.data() + t * d, l.out_norm_w, l.out_norm_b, d, hp.norm_eps);
        }
    }
    out = std::move(x);
}

}  // namespace lore::model
