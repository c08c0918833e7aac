// The `bert` encoder: weights bound from GGUF and a plain forward pass (arch/bert.cpp).
// Immutable after load; bert_forward() keeps its state in locals.
#pragma once

#include <span>
#include <vector>

#include "lore/embed.h"

#include "core/thread_pool.h"
#include "model/model_impl.h"

namespace lore::model {

struct BertHParams {
    std::int32_t n_vocab = 0;
    std::int32_t n_ctx_train = 0;
    std::int32_t n_embd = 0;
    std::int32_t n_layer = 0;
    std::int32_t n_head = 0;
    std::int32_t n_ff = 0;
    float norm_eps = 1e-12f;
    Pooling pooling = Pooling::kMean;
};

struct BertLayer {
    WeightMatrix wq, wk, wv, wo;
    std::vector<float> bq, bk, bv, bo;
    std::vector<float> attn_norm_w, attn_norm_b;
    WeightMatrix w_up, w_down;
    std::vector<float> b_up, b_down;
    std::vector<float> out_norm_w, out_norm_b;
};

struct BertWeights {
    BertHParams hparams;
    WeightMatrix token_embd;     // [n_vocab, n_embd]
    WeightMatrix position_embd;  // [n_ctx_train, n_embd]
    WeightMatrix token_types;    // [n_types, n_embd]; data == nullptr when absent
    std::vector<float> embd_norm_w, embd_norm_b;
    std::vector<BertLayer> layers;
};

Result<BertWeights> load_bert(const gguf::GgufFile& file);

// The last layer's states of every token: `out` becomes [tokens.size(), n_embd].
// REQUIRES: tokens in range, tokens.size() <= n_ctx_train.
void bert_forward(const BertWeights& w,
                  std::span<const TokenId> tokens,
                  ThreadPool& pool,
                  std::vector<float>& out);

}  // namespace lore::model
