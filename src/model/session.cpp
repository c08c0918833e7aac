// The forward pass of the llama family over a batch of tokens, with an f16 (or f32) KV cache.
//
// For a batch of T tokens at positions p0 .. p0 + T - 1 (x: [T, n_embd], row-major f32):
//   x = token_embd[tokens]
//   for each block:  h = rmsnorm(x) * attn_norm
//                    q, k, v = h Wq (+bq), h Wk (+bk), h Wv (+bv);  rope(q, k)
//                    cache k, v at their positions; attention over positions <= own
//                    x += attn Wo
//                    h = rmsnorm(x) * ffn_norm;   x += (silu(h Wgate) * (h Wup)) Wdown
//   logits = (rmsnorm(x) * output_norm) Woutput      (only for the rows asked for)
// Matrix products split output rows across the thread pool, and each thread finishes its
// rows' element-wise work (bias, silu(gate) * up, the residual add) in the same job;
// attention splits (head, token) pairs. One token at a time (generation) runs every layer in
// a single job instead, the threads meeting at barriers (forward_one_token). Logits do not
// depend on the thread count. Nothing allocates per token: buffers are sized for n_batch at
// creation.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <initializer_list>
#include <numeric>

#include "core/function_ref.h"
#include "core/mapped_file.h"
#include "core/thread_pool.h"
#include "kernels/kernels.h"
#include "model/model_impl.h"

namespace lore {

namespace {

using model::LayerWeights;
using model::TransformerModel;
using model::WeightMatrix;

// out = x / sqrt(mean(x^2) + eps) * weight. The sum of squares is taken in double, as
// llama.cpp does, in 16 interleaved partial sums added pairwise at the end: a fixed order
// the compiler can keep in vector registers. One running sum was a chain of n dependent
// additions, about 0.7 µs per call at n = 576, on the path between two matrix products.
void rms_norm(const float* x, const float* weight, std::int64_t n, float eps, float* out) {
    constexpr std::int64_t kParts = 16;
    std::array<double, kParts> parts{};
    std::int64_t base = 0;
    for (; base + kParts <= n; base += kParts) {
        for (std::int64_t j = 0; j < kParts; ++j) {
            const auto v = static_cast<double>(x[base + j]);
            parts[static_cast<std::size_t>(j)] += v * v;
        }
    }
    for (std::int64_t j = 0; base + j < n; ++j) {
        const auto v = static_cast<double>(x[base + j]);
        parts[static_cast<std::size_t>(j)] += v * v;
    }
    for (std::size_t width = kParts / 2; width > 0; width /= 2) {
        for (std::size_t j = 0; j < width; ++j) {
            parts[j] += parts[j + width];
        }
    }
    const double sum_sq = parts[0];
    const float scale = static_cast<float>(1.0 / std::sqrt(sum_sq / static_cast<double>(n) + eps));
    for (std::int64_t i = 0; i < n; ++i) {
        out[i] = x[i] * scale * weight[i];
    }
}

// y[t, i] += a[t * a_stride + i] for columns i in [begin, end) of every token's row of y
// (`width` wide): a_stride = width adds a matrix, 0 adds a bias to every token.
void add_rows(const float* a,
              std::int64_t a_stride,
              float* y,
              std::int64_t width,
              std::int64_t n_tokens,
              std::int64_t begin,
              std::int64_t end) {
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t i = begin; i < end; ++i) {
            y[t * width + i] += a[t * a_stride + i];
        }
    }
}

// The rows [begin, end) of an n_rows product that thread `thread_idx` of `n_threads`
// computes: equal shares of whole panels, which packed matrices need. Rows [begin, end) of
// products of one height therefore come from the same thread (silu(gate) * up relies on it).
std::pair<std::int64_t, std::int64_t> row_share(std::int64_t n_rows,
                                                int thread_idx,
                                                int n_threads) {
    const std::int64_t unit = kernels::kPackRows;
    const std::int64_t n_units = (n_rows + unit - 1) / unit;
    const std::int64_t chunk = (n_units + n_threads - 1) / n_threads * unit;
    const std::int64_t begin = std::min<std::int64_t>(n_rows, chunk * thread_idx);
    return {begin, std::min<std::int64_t>(n_rows, begin + chunk)};
}

// y[i] += bias[i] for rows i in [begin, end) of one token (nothing without a bias).
void add_bias_rows(const std::vector<float>& bias,
                   float* y,
                   std::pair<std::int64_t, std::int64_t> rows) {
    if (!bias.empty()) {
        add_rows(bias.data(), 0, y, static_cast<std::int64_t>(bias.size()), 1, rows.first,
                 rows.second);
    }
}

// One thread per physical core (ThreadPool's default), except for models so small (under 32 MiB of
// weights) that a matrix product is over before a second thread could join in.
int default_threads(const Model& model) {
    constexpr std::uint64_t kSmallModelBytes = 32ull << 20;
    return model.n_weight_bytes() < kSmallModelBytes ? 1 : 0;
}

class TransformerSession final : public Session {
public:
    TransformerSession(std::shared_ptr<const Model> model, const SessionOptions& options)
        : model_holder_(std::move(model)),
          model_(static_cast<const TransformerModel*>(model_holder_.get())),
          hp_(model_->hparams()),
          pool_(options.n_threads > 0 ? options.n_threads : default_threads(*model_)),
          barrier_(pool_.n_threads()),
          quantize_activations_(options.quantize_activations),
          cache_type_(options.f16_cache ? TensorType::kF16 : TensorType::kF32),
          cache_value_bytes_(tensor_row_bytes(cache_type_, 1)) {
        n_ctx_ = options.n_ctx > 0 ? options.n_ctx : std::min(hp_.n_ctx_train, 4096);
        n_batch_ = std::max(1, std::min(options.n_batch, n_ctx_));
        n_q_ = static_cast<std::int64_t>(hp_.n_head) * hp_.head_dim;
        n_kv_ = static_cast<std::int64_t>(hp_.n_head_kv) * hp_.head_dim;
        const auto batch = static_cast<std::size_t>(n_batch_);
        const auto embd = static_cast<std::size_t>(hp_.n_embd);
        x_.resize(batch * embd);
        h_.resize(batch * embd);
        tmp_.resize(batch * embd);
        q_.resize(batch * static_cast<std::size_t>(n_q_));
        k_.resize(batch * static_cast<std::size_t>(n_kv_));
        v_.resize(batch * static_cast<std::size_t>(n_kv_));
        attn_.resize(batch * static_cast<std::size_t>(n_q_));
        gate_.resize(batch * static_cast<std::size_t>(hp_.n_ff));
        up_.resize(batch * static_cast<std::size_t>(hp_.n_ff));
        scores_.resize(static_cast<std::size_t>(pool_.n_threads()) *
                       static_cast<std::size_t>(kQueryChunk * n_ctx_));
        query_scratch_.resize(static_cast<std::size_t>(pool_.n_threads()) *
                              static_cast<std::size_t>(kQueryChunk * hp_.head_dim));
        const std::int32_t n_pairs = hp_.n_rot / 2;
        inv_freq_.resize(static_cast<std::size_t>(n_pairs));
        const std::vector<float>& factors = model_->weights().rope_freq_factors;
        for (std::int32_t i = 0; i < n_pairs; ++i) {
            double f = std::pow(static_cast<double>(hp_.rope_freq_base),
                                -2.0 * i / static_cast<double>(hp_.n_rot));
            if (!factors.empty()) {
                f /= factors[static_cast<std::size_t>(i)];
            }
            inv_freq_[static_cast<std::size_t>(i)] = f;
        }
        rope_cos_.resize(batch * static_cast<std::size_t>(n_pairs));
        rope_sin_.resize(batch * static_cast<std::size_t>(n_pairs));
        scratch_.resize(static_cast<std::size_t>(pool_.n_threads()));
        for (ThreadScratch& scratch : scratch_) {
            scratch.h.resize(embd);
        }
        plan_kv_head_owners();
        plan_q_rows();
        plan_shared_inputs();
    }

    // The K and V caches of every layer in one buffer of huge pages (fewer TLB misses for
    // attention), mapped but not resident until written.
    Status allocate_cache() {
        const std::size_t layer_bytes =
            static_cast<std::size_t>(n_ctx_) * static_cast<std::size_t>(n_kv_) * cache_value_bytes_;
        const auto n_layers = static_cast<std::size_t>(hp_.n_layer);
        Result<PageBuffer> pages = PageBuffer::allocate(2 * n_layers * layer_bytes, "the KV cache");
        if (!pages.has_value()) {
            return pages.status();
        }
        cache_pages_ = std::move(*pages);
        for (std::size_t layer = 0; layer < n_layers; ++layer) {
            k_cache_.push_back(cache_pages_.data() + (2 * layer) * layer_bytes);
            v_cache_.push_back(cache_pages_.data() + (2 * layer + 1) * layer_bytes);
        }
        return Status::ok();
    }

    const Model& model() const override { return *model_; }

    std::int32_t n_ctx() const override { return n_ctx_; }

    std::int32_t n_past() const override { return n_past_; }

    Status decode(std::span<const TokenId> tokens, LogitsMode mode) override;

    std::int32_t n_logit_rows() const override { return n_logit_rows_; }

    std::span<const float> logits(std::int32_t row) const override {
        const auto n_vocab = static_cast<std::size_t>(hp_.n_vocab);
        if (row < 0 || row >= n_logit_rows_) {
            return {};
        }
        return {logits_.data() + static_cast<std::size_t>(row) * n_vocab, n_vocab};
    }

    void truncate(std::int32_t n_keep) override { n_past_ = std::clamp(n_keep, 0, n_past_); }

    Status request_hidden_states(const HiddenStateRequest& request) override {
        hidden_.clear();
        for (std::int32_t layer : request.layers) {
            if (layer < 0 || layer > hp_.n_layer + 1) {
                return Status::invalid_argument("session: hidden-state layer " +
                                                std::to_string(layer) + " is outside [0, " +
                                                std::to_string(hp_.n_layer + 1) + "]");
            }
            HiddenAccumulator acc;
            acc.layer = layer;
            acc.last.assign(static_cast<std::size_t>(hp_.n_embd), 0.0f);
            acc.sum.assign(static_cast<std::size_t>(hp_.n_embd), 0.0);
            hidden_.push_back(std::move(acc));
        }
        return Status::ok();
    }

    std::vector<HiddenStates> hidden_states() const override {
        std::vector<HiddenStates> out;
        for (const HiddenAccumulator& acc : hidden_) {
            HiddenStates hs;
            hs.layer = acc.layer;
            hs.last = acc.last;
            hs.n_tokens = acc.n_tokens;
            hs.mean.resize(acc.sum.size());
            for (std::size_t i = 0; i < acc.sum.size(); ++i) {
                hs.mean[i] =
                    acc.n_tokens > 0 ? static_cast<float>(acc.sum[i] / acc.n_tokens) : 0.0f;
            }
            out.push_back(std::move(hs));
        }
        return out;
    }

private:
    struct QuantizedInput {
        const float* src = nullptr;
        std::uint64_t version = 0;
        kernels::QuantizedActivations xq;
    };

    struct HiddenAccumulator {
        std::int32_t layer = 0;
        std::vector<float> last;
        std::vector<double> sum;
        std::int32_t n_tokens = 0;
    };

    // One forward pass over `tokens` (at most n_batch) at positions n_past_ ...; writes the
    // logits of rows [first_logit_row, n) of this batch to logits_ at `logits_dst_row`.
    void forward(std::span<const TokenId> tokens,
                 std::int64_t first_logit_row,
                 std::int32_t logits_dst_row);
    // x_ = the embeddings of `tokens`.
    void embed(std::span<const TokenId> tokens);

    // ---- Generation: one token through every layer in a single job on the pool ----

    // What one thread of a generation step keeps to itself.
    struct ThreadScratch {
        std::vector<float> h;                             // [n_embd] its normed input
        std::array<kernels::QuantizedActivations, 3> xq;  // its quantizations of an input
    };

    // The inputs of a layer's wo and w_down in a generation step, which the threads quantize
    // together: each the part it computed (its heads' attention, its rows of silu(gate) * up),
    // so the other threads read the smaller quantized form of that part, once. Used where
    // every part starts on a whole block of the quantized type (has_wo, has_down); otherwise
    // each thread quantizes the whole input for itself.
    struct SharedInputs {
        kernels::QuantizedActivations wo;
        kernels::QuantizedActivations down;
        bool has_wo = false;
        bool has_down = false;
    };

    // The forward pass of one token (logits into row logits_dst_row when wanted).
    void forward_one_token(TokenId token, bool want_logits, std::int32_t logits_dst_row);
    // Thread thread_idx's part of it; logits is null when none are wanted. Its phases, each
    // followed by a barrier: q, k, v (and the thread's KV heads rotated and cached),
    // attention, wo (+ residual), gate and up (silu(gate) * up), down (+ residual).
    void one_token_pass(int thread_idx, int n_threads, float* logits);
    void one_token_qkv(std::int32_t layer_idx, int thread_idx, int n_threads);
    void one_token_attention(std::int32_t layer_idx, int thread_idx, int n_threads);
    void one_token_wo(std::int32_t layer_idx, int thread_idx, int n_threads);
    void one_token_gate_up(std::int32_t layer_idx, int thread_idx, int n_threads);
    void one_token_down(std::int32_t layer_idx, int thread_idx, int n_threads);
    void add_product_to_residual(const WeightMatrix& w,
                                 const float* input,
                                 const kernels::QuantizedActivations* shared,
                                 int thread_idx,
                                 int n_threads);

    // The layer's shared inputs, or null with f32 activations.
    SharedInputs* shared_input(std::int32_t layer_idx) {
        return shared_inputs_.empty() ? nullptr
                                      : &shared_inputs_[static_cast<std::size_t>(layer_idx)];
    }

    // x quantized for each weight's vec_dot_type (once per type) into this thread's scratch;
    // null entries when activations stay f32.
    std::array<const kernels::QuantizedActivations*, 3> quantize_privately(
        ThreadScratch& scratch,
        std::initializer_list<const WeightMatrix*> weights,
        const float* x) const;
    // Chooses the thread that computes, rotates and caches each KV head's k and v rows.
    void plan_kv_head_owners();
    // Prepares shared_inputs_.
    void plan_shared_inputs();
    // Fills q_rows_.
    void plan_q_rows();
    // Rotates k of KV heads [head_begin, head_end) and stores their k and v in the cache.
    void rope_and_cache_heads(std::int32_t layer_idx,
                              std::int64_t head_begin,
                              std::int64_t head_end);
    // A thread's query heads of one token's attention (q rotated here).
    void attend_one_token(std::int32_t layer_idx, int thread_idx, int n_threads);

    // The query heads [first, last) a thread attends with in a generation step.
    std::pair<std::int64_t, std::int64_t> query_heads_of(int thread_idx, int n_threads) const {
        return {std::int64_t{hp_.n_head} * thread_idx / n_threads,
                std::int64_t{hp_.n_head} * (thread_idx + 1) / n_threads};
    }

    struct Product {
        const WeightMatrix* w;
        float* y;  // [n_tokens, w->n_rows]
    };

    // Called by a thread right after it computed rows [begin, end) of product
    // `product_idx` (for every token): element-wise work on those rows (bias, silu, the
    // residual add) runs split across the pool too, instead of on one thread in between.
    using RowsDone =
        FunctionRef<void(std::size_t product_idx, std::int64_t begin, std::int64_t end)>;

    // Y = X W^T for one or more weights that read the same X, in one job on the pool (q, k
    // and v; gate and up), each thread taking its share of every product's rows. With
    // quantized activations (the default, as llama.cpp computes) X is converted once per
    // weight vec-dot type and reused by every product that reads it; otherwise weights are
    // dequantized against f32 activations (the accuracy reference).
    void matmuls(std::initializer_list<Product> products,
                 const float* x,
                 std::int64_t n_tokens,
                 const RowsDone& rows_done = {}) {
        std::array<const kernels::QuantizedActivations*, 4> xq{};
        std::size_t i = 0;
        for (const Product& p : products) {
            if (quantize_activations_) {
                xq[i] = &quantized(p.w->type, x, n_tokens, p.w->n_cols);
            }
            ++i;
        }
        pool_.run([&](int thread_idx, int n_threads) {
            std::size_t product_idx = 0;
            for (const Product& p : products) {
                const WeightMatrix& w = *p.w;
                const auto [begin, end] = row_share(w.n_rows, thread_idx, n_threads);
                if (begin < end) {
                    matmul_range(w, x, n_tokens, xq[product_idx], p.y, begin, end);
                    if (rows_done) {
                        rows_done(product_idx, begin, end);
                    }
                }
                ++product_idx;
            }
        });
    }

    // Rows [begin, end) of Y = X W^T: through the quantized activations xq when given, else
    // against f32 activations.
    static void matmul_range(const WeightMatrix& w,
                             const float* x,
                             std::int64_t n_tokens,
                             const kernels::QuantizedActivations* xq,
                             float* y,
                             std::int64_t begin,
                             std::int64_t end) {
        const kernels::KernelSet& set = kernels::active_kernels();
        if (xq != nullptr && w.packed) {
            kernels::matmul_packed_q8(set, w.type, w.data, w.row_bytes, *xq, y, w.n_rows, begin,
                                      end);
        } else if (xq != nullptr) {
            kernels::matmul_rows_q8(set, w.type, w.data, w.row_bytes, *xq, y, w.n_rows, begin, end);
        } else if (w.packed) {
            kernels::matmul_packed(set, w.type, w.data, w.row_bytes, w.n_cols, x, n_tokens, y,
                                   w.n_rows, begin, end);
        } else {
            kernels::matmul_rows_with(set, w.type, w.data, w.row_bytes, w.n_cols, x, n_tokens, y,
                                      w.n_rows, begin, end);
        }
    }

    // Rows [begin, end) of y = x W^T for one token (none when the range is empty).
    static void product_rows(const WeightMatrix& w,
                             const float* x,
                             const kernels::QuantizedActivations* xq,
                             float* y,
                             std::pair<std::int64_t, std::int64_t> rows) {
        if (rows.first < rows.second) {
            matmul_range(w, x, 1, xq, y, rows.first, rows.second);
        }
    }

    void matmul(const WeightMatrix& w,
                const float* x,
                std::int64_t n_tokens,
                float* y,
                const RowsDone& rows_done = {}) {
        matmuls({{&w, y}}, x, n_tokens, rows_done);
    }

    // Marks every activation buffer as rewritten: cached quantizations are stale.
    void activations_changed() { ++activation_version_; }

    const kernels::QuantizedActivations& quantized(TensorType weight_type,
                                                   const float* x,
                                                   std::int64_t n_tokens,
                                                   std::int64_t n_cols) {
        const TensorType vec_dot_type = kernels::active_kernels()[weight_type].vec_dot_type;
        for (QuantizedInput& entry : quantized_inputs_) {
            if (entry.src == x && entry.version == activation_version_ &&
                entry.xq.type() == vec_dot_type && entry.xq.n_tokens() == n_tokens &&
                entry.xq.n_cols() == n_cols) {
                return entry.xq;
            }
        }
        QuantizedInput& entry = quantized_inputs_[next_quantized_input_];
        next_quantized_input_ = (next_quantized_input_ + 1) % quantized_inputs_.size();
        entry.src = x;
        entry.version = activation_version_;
        entry.xq.quantize(weight_type, x, n_tokens, n_cols);
        return entry.xq;
    }

    // Writes this batch's k_ and v_ into the layer's cache at positions n_past_ ...,
    // converted to cache_type_.
    void store_in_cache(std::int32_t layer_idx, std::int64_t n_tokens);
    // The same for one KV head of token t of the batch.
    void cache_head(std::int32_t layer_idx, std::int64_t kv_head, std::int64_t t);
    // The rotation angles of positions n_past_ .. n_past_ + n_tokens - 1, once per batch.
    void set_rope_angles(std::int64_t n_tokens);
    void rope(float* x, std::int64_t n_tokens, std::int32_t n_heads) const;
    // Rotates one head's vector by token t's angles.
    void rope_head(float* v, std::int64_t t) const;
    void attention(std::int32_t layer_idx, std::int64_t n_tokens);

    // The byte offset of cache value `index`.
    std::size_t kv_offset(std::int64_t index) const {
        return static_cast<std::size_t>(index) * cache_value_bytes_;
    }

    void capture_hidden(std::int32_t layer, std::int64_t n_tokens) {
        capture_rows(layer, x_.data(), n_tokens);
    }

    // Layer n_layer + 1: the final norm of every token (computed only when asked for).
    void capture_final_hidden(std::int64_t n_tokens);
    void capture_rows(std::int32_t layer, const float* rows, std::int64_t n_tokens);

    std::shared_ptr<const Model> model_holder_;
    const TransformerModel* model_;
    const HParams& hp_;
    ThreadPool pool_;
    SpinBarrier barrier_;                 // between the phases of a generation step
    std::vector<ThreadScratch> scratch_;  // [n_threads]
    // KV heads [kv_first_[t], kv_first_[t + 1]) are thread t's in a generation step.
    std::vector<std::int32_t> kv_first_;
    // Whether those heads' k and v rows are whole panels, so that their owner computes them
    // itself; otherwise k and v are split as any product and cached after a barrier.
    bool kv_heads_whole_ = false;
    // Rows [begin, end) of layer l's wq that thread t computes in a generation step, at
    // [l * n_threads + t].
    std::vector<std::pair<std::int64_t, std::int64_t>> q_rows_;

    std::vector<SharedInputs> shared_inputs_;  // [n_layer]; empty with f32 activations
    std::int32_t n_ctx_ = 0;
    std::int32_t n_batch_ = 0;
    std::int64_t n_q_ = 0;   // n_head * head_dim
    std::int64_t n_kv_ = 0;  // n_head_kv * head_dim
    std::int32_t n_past_ = 0;

    std::vector<float> x_;                // [n_batch, n_embd] residual stream
    std::vector<std::uint8_t> embd_row_;  // one row of a packed token_embd, unpacked
    std::vector<float> h_;                // [n_batch, n_embd] normalised input of a sub-block
    std::vector<float> tmp_;              // [n_batch, n_embd] sub-block output
    std::vector<float> q_;                // [n_batch, n_q]
    std::vector<float> k_;                // [n_batch, n_kv]
    std::vector<float> v_;                // [n_batch, n_kv]
    std::vector<float> attn_;             // [n_batch, n_q]
    std::vector<float> gate_;             // [n_batch, n_ff]
    std::vector<float> up_;               // [n_batch, n_ff]
    // Queries handled together by one attention job (bounds the scratch below).
    static constexpr std::int64_t kQueryChunk = 64;
    std::vector<float> scores_;         // [n_threads][kQueryChunk, n_ctx] attention weights
    std::vector<float> query_scratch_;  // [n_threads][kQueryChunk, head_dim] one head's queries
    // The KV cache holds cache_type_ values (f16 by default, as llama.cpp keeps it).
    PageBuffer cache_pages_;              // every layer's K and V cache
    std::vector<std::uint8_t*> k_cache_;  // per layer [n_head_kv][n_ctx][head_dim]
    std::vector<std::uint8_t*> v_cache_;  // per layer [n_head_kv][n_ctx][head_dim]
    std::vector<double> inv_freq_;        // [n_rot / 2] rope frequencies
    std::vector<float> rope_cos_;         // [n_batch, n_rot / 2] of this batch's positions
    std::vector<float> rope_sin_;         // (every layer rotates q and k by the same angles)
    std::vector<float> logits_;           // [n_logit_rows, n_vocab]
    std::int32_t n_logit_rows_ = 0;
    std::vector<HiddenAccumulator> hidden_;
    bool quantize_activations_ = true;
    TensorType cache_type_ = TensorType::kF16;
    std::size_t cache_value_bytes_ = 2;  // of one cache_type_ value
    std::uint64_t activation_version_ = 0;
    std::array<QuantizedInput, 4> quantized_inputs_;  // small cache, round-robin
    std::size_t next_quantized_input_ = 0;
};

Status TransformerSession::decode(std::span<const TokenId> tokens, LogitsMode mode) {
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        if (tokens[i] < 0 || tokens[i] >= hp_.n_vocab) {
            return Status::invalid_argument(
                "session: token id " + std::to_string(tokens[i]) + " at index " +
                std::to_string(i) + " is outside the vocabulary of " + std::to_string(hp_.n_vocab));
        }
    }
    const auto n_tokens = static_cast<std::int64_t>(tokens.size());
    if (n_past_ + n_tokens > n_ctx_) {
        return Status::resource_exhausted("session: context full: " + std::to_string(n_past_) +
                                          " tokens held + " + std::to_string(n_tokens) +
                                          " new > context length " + std::to_string(n_ctx_));
    }
    n_logit_rows_ = 0;
    if (n_tokens == 0) {
        return Status::ok();
    }
    std::int64_t n_rows = mode == LogitsMode::kAll ? n_tokens : (mode == LogitsMode::kLast ? 1 : 0);
    logits_.resize(static_cast<std::size_t>(n_rows) * static_cast<std::size_t>(hp_.n_vocab));
    std::int32_t dst_row = 0;
    for (std::int64_t begin = 0; begin < n_tokens; begin += n_batch_) {
        const std::int64_t end = std::min<std::int64_t>(n_tokens, begin + n_batch_);
        std::int64_t first_logit_row = end - begin;  // none
        if (mode == LogitsMode::kAll) {
            first_logit_row = 0;
        } else if (mode == LogitsMode::kLast && end == n_tokens) {
            first_logit_row = end - begin - 1;
        }
        forward(
            tokens.subspan(static_cast<std::size_t>(begin), static_cast<std::size_t>(end - begin)),
            first_logit_row, dst_row);
        dst_row += static_cast<std::int32_t>(end - begin - first_logit_row);
    }
    n_logit_rows_ = static_cast<std::int32_t>(n_rows);
    return Status::ok();
}

void TransformerSession::forward(std::span<const TokenId> tokens,
                                 std::int64_t first_logit_row,
                                 std::int32_t logits_dst_row) {
    const auto n_tokens = static_cast<std::int64_t>(tokens.size());
    if (n_tokens == 1 && hp_.n_head / hp_.n_head_kv <= kQueryChunk) {
        forward_one_token(tokens[0], first_logit_row == 0, logits_dst_row);
        return;
    }
    const model::ModelWeights& w = model_->weights();
    const std::int64_t n_embd = hp_.n_embd;
    const kernels::KernelSet& ks = kernels::active_kernels();

    embed(tokens);
    capture_hidden(0, n_tokens);
    set_rope_angles(n_tokens);
    // x += tmp, for the rows of the attention and FFN outputs a thread computed.
    const auto add_to_residual = [&](std::size_t, std::int64_t begin, std::int64_t end) {
        add_rows(tmp_.data(), n_embd, x_.data(), n_embd, n_tokens, begin, end);
    };
    // gate = silu(gate) * up, once a thread has both (up is computed after gate).
    const auto silu_gate_times_up = [&](std::size_t product_idx, std::int64_t begin,
                                        std::int64_t end) {
        if (product_idx == 1) {
            for (std::int64_t t = 0; t < n_tokens; ++t) {
                const std::int64_t at = t * hp_.n_ff + begin;
                ks.silu_mul(gate_.data() + at, up_.data() + at, end - begin);
            }
        }
    };

    for (std::int32_t layer_idx = 0; layer_idx < hp_.n_layer; ++layer_idx) {
        const LayerWeights& l = w.layers[static_cast<std::size_t>(layer_idx)];
        for (std::int64_t t = 0; t < n_tokens; ++t) {
            rms_norm(x_.data() + t * n_embd, l.attn_norm.data(), n_embd, hp_.rms_eps,
                     h_.data() + t * n_embd);
        }
        activations_changed();
        const auto add_qkv_bias = [&](std::size_t product_idx, std::int64_t begin,
                                      std::int64_t end) {
            const std::array<float*, 3> ys = {q_.data(), k_.data(), v_.data()};
            const std::array<const float*, 3> biases = {l.bq.data(), l.bk.data(), l.bv.data()};
            add_rows(biases[product_idx], 0, ys[product_idx], product_idx == 0 ? n_q_ : n_kv_,
                     n_tokens, begin, end);
        };
        matmuls({{&l.wq, q_.data()}, {&l.wk, k_.data()}, {&l.wv, v_.data()}}, h_.data(), n_tokens,
                hp_.has_qkv_bias ? RowsDone(add_qkv_bias) : RowsDone());
        rope(q_.data(), n_tokens, hp_.n_head);
        rope(k_.data(), n_tokens, hp_.n_head_kv);
        store_in_cache(layer_idx, n_tokens);
        attention(layer_idx, n_tokens);
        activations_changed();
        matmul(l.wo, attn_.data(), n_tokens, tmp_.data(), add_to_residual);

        for (std::int64_t t = 0; t < n_tokens; ++t) {
            rms_norm(x_.data() + t * n_embd, l.ffn_norm.data(), n_embd, hp_.rms_eps,
                     h_.data() + t * n_embd);
        }
        activations_changed();
        matmuls({{&l.w_gate, gate_.data()}, {&l.w_up, up_.data()}}, h_.data(), n_tokens,
                silu_gate_times_up);
        activations_changed();
        matmul(l.w_down, gate_.data(), n_tokens, tmp_.data(), add_to_residual);
        capture_hidden(layer_idx + 1, n_tokens);
    }
    n_past_ += static_cast<std::int32_t>(n_tokens);
    capture_final_hidden(n_tokens);

    const std::int64_t n_out = n_tokens - first_logit_row;
    if (n_out <= 0) {
        return;
    }
    for (std::int64_t r = 0; r < n_out; ++r) {
        rms_norm(x_.data() + (first_logit_row + r) * n_embd, w.output_norm.data(), n_embd,
                 hp_.rms_eps, h_.data() + r * n_embd);
    }
    activations_changed();
    matmul(w.output, h_.data(), n_out,
           logits_.data() +
               static_cast<std::size_t>(logits_dst_row) * static_cast<std::size_t>(hp_.n_vocab));
}

void TransformerSession::embed(std::span<const TokenId> tokens) {
    const model::WeightMatrix& table = model_->weights().token_embd;
    const std::int64_t n_embd = hp_.n_embd;
    for (std::size_t t = 0; t < tokens.size(); ++t) {
        const auto token = static_cast<std::int64_t>(tokens[t]);
        const std::uint8_t* row = table.data + static_cast<std::size_t>(token) * table.row_bytes;
        if (table.packed) {
            // A tied embedding table is packed for the output product: gather the row.
            embd_row_.resize(table.row_bytes);
            kernels::unpack_rows(table.type, table.data, table.row_bytes, token, 1,
                                 embd_row_.data());
            row = embd_row_.data();
        }
        kernels::active_kernels()[table.type].dequantize(
            row, x_.data() + static_cast<std::int64_t>(t) * n_embd, n_embd);
    }
}

void TransformerSession::store_in_cache(std::int32_t layer_idx, std::int64_t n_tokens) {
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int64_t kv_head = 0; kv_head < hp_.n_head_kv; ++kv_head) {
            cache_head(layer_idx, kv_head, t);
        }
    }
}

// K and V are cached head by head, [n_head_kv][n_ctx][head_dim]: one KV head's keys, and its
// values, are each one stream. Interleaved with the other heads' keys they were read with a
// stride, and SmolLM2-135M generated 145 instead of 223 tokens/s after 2048 cached tokens.
// V was once cached transposed ([n_kv][n_ctx], a row per value dimension, for the matmul
// kernels): a token then wrote one value into each of n_kv rows, and generation at n_ctx 4096
// ran 4-9 % slower than at 144, its rows 8 KB apart.
void TransformerSession::cache_head(std::int32_t layer_idx, std::int64_t kv_head, std::int64_t t) {
    const kernels::QuantizeFn convert = kernels::active_kernels()[cache_type_].quantize;
    const std::int64_t head_dim = hp_.head_dim;
    const std::size_t at = kv_offset((kv_head * n_ctx_ + n_past_ + t) * head_dim);
    convert(k_.data() + t * n_kv_ + kv_head * head_dim,
            k_cache_[static_cast<std::size_t>(layer_idx)] + at, head_dim);
    convert(v_.data() + t * n_kv_ + kv_head * head_dim,
            v_cache_[static_cast<std::size_t>(layer_idx)] + at, head_dim);
}

void TransformerSession::set_rope_angles(std::int64_t n_tokens) {
    const std::int32_t n_pairs = hp_.n_rot / 2;
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        const double pos = static_cast<double>(n_past_ + t) * hp_.rope_freq_scale;
        for (std::int32_t i = 0; i < n_pairs; ++i) {
            const double theta = pos * inv_freq_[static_cast<std::size_t>(i)];
            const auto at = static_cast<std::size_t>(t * n_pairs + i);
            rope_cos_[at] = static_cast<float>(std::cos(theta));
            rope_sin_[at] = static_cast<float>(std::sin(theta));
        }
    }
}

void TransformerSession::rope(float* x, std::int64_t n_tokens, std::int32_t n_heads) const {
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        for (std::int32_t head = 0; head < n_heads; ++head) {
            rope_head(x + (t * n_heads + head) * hp_.head_dim, t);
        }
    }
}

void TransformerSession::rope_head(float* v, std::int64_t t) const {
    const std::int32_t n_pairs = hp_.n_rot / 2;
    const float* cos_t = rope_cos_.data() + t * n_pairs;
    const float* sin_t = rope_sin_.data() + t * n_pairs;
    // Pairs innermost, one loop per style, so that the compiler vectorises them.
    if (hp_.rope_style == RopeStyle::kNormal) {
        for (std::int32_t i = 0; i < n_pairs; ++i) {
            const float x0 = v[2 * i];
            const float x1 = v[2 * i + 1];
            v[2 * i] = x0 * cos_t[i] - x1 * sin_t[i];
            v[2 * i + 1] = x0 * sin_t[i] + x1 * cos_t[i];
        }
    } else {
        for (std::int32_t i = 0; i < n_pairs; ++i) {
            const float x0 = v[i];
            const float x1 = v[i + n_pairs];
            v[i] = x0 * cos_t[i] - x1 * sin_t[i];
            v[i + n_pairs] = x0 * sin_t[i] + x1 * cos_t[i];
        }
    }
}

void TransformerSession::attention(std::int32_t layer_idx, std::int64_t n_tokens) {
    // Per (head, chunk of queries): scores = Q K^T, a matrix product over the K cache (its
    // rows are keys), and out = softmax(scores) V, weighted sums of the V cache's rows. Keys
    // after a query's own position get zero weight. (One token at a time goes through
    // attend_one_token.)
    const std::uint8_t* k_cache = k_cache_[static_cast<std::size_t>(layer_idx)];
    const std::uint8_t* v_cache = v_cache_[static_cast<std::size_t>(layer_idx)];
    const std::size_t value_bytes = cache_value_bytes_;
    const std::int64_t head_dim = hp_.head_dim;
    const std::int32_t group = hp_.n_head / hp_.n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    const std::int64_t n_chunks = (n_tokens + kQueryChunk - 1) / kQueryChunk;
    const std::int64_t n_items = n_chunks * hp_.n_head;
    const std::int64_t pos0 = n_past_;
    pool_.run([&](int thread_idx, int n_threads) {
        float* scores = scores_.data() + static_cast<std::size_t>(thread_idx) *
                                             static_cast<std::size_t>(kQueryChunk * n_ctx_);
        float* queries =
            query_scratch_.data() +
            static_cast<std::size_t>(thread_idx) * static_cast<std::size_t>(kQueryChunk * head_dim);
        for (std::int64_t item = thread_idx; item < n_items; item += n_threads) {
            const std::int64_t head = item % hp_.n_head;
            const std::int64_t first = (item / hp_.n_head) * kQueryChunk;
            const std::int64_t m = std::min<std::int64_t>(kQueryChunk, n_tokens - first);
            const std::int64_t kv_head = head / group;
            const std::int64_t n_keys = pos0 + first + m;
            for (std::int64_t t = 0; t < m; ++t) {
                const float* q = q_.data() + ((first + t) * hp_.n_head + head) * head_dim;
                std::copy(q, q + head_dim, queries + t * head_dim);
            }
            kernels::matmul_rows(cache_type_, k_cache + kv_offset(kv_head * n_ctx_ * head_dim),
                                 static_cast<std::size_t>(head_dim) * value_bytes, head_dim,
                                 queries, m, scores, n_keys, 0, n_keys);
            for (std::int64_t t = 0; t < m; ++t) {
                kernels::softmax_row(scores + t * n_keys, pos0 + first + t + 1, n_keys, scale);
            }
            kernels::weighted_rows(cache_type_, v_cache + kv_offset(kv_head * n_ctx_ * head_dim),
                                   static_cast<std::size_t>(head_dim) * value_bytes, n_keys, scores,
                                   n_keys, m, attn_.data() + first * n_q_ + head * head_dim, n_q_,
                                   head_dim);
        }
    });
}

// Y[t, r] = W row r . X row t (W rows of a float `type`, X f32) through the set's
// multi-token kernel when it has one (rows and tokens in register tiles), else matmul_rows
// (one dot per pair).
void float_products(TensorType type,
                    const void* w,
                    std::size_t w_row_bytes,
                    std::int64_t n_rows,
                    const float* x,
                    std::int64_t n_x,
                    std::int64_t n,
                    float* y,
                    std::int64_t y_stride) {
    const kernels::VecDotTileFn tile = kernels::active_kernels()[type].vec_dot_tile;
    if (tile != nullptr) {
        tile(w, w_row_bytes, n_rows, x, static_cast<std::size_t>(n) * sizeof(float), n_x, y,
             y_stride, n);
    } else {
        kernels::matmul_rows(type, w, w_row_bytes, n, x, n_x, y, y_stride, 0, n_rows);
    }
}

// Generation: the query heads that share a KV head are adjacent in q_, so they go through
// the cache together as one block of rows: each key and value row is read once per KV head
// (not once per query head), and in multi-token kernels instead of one dot per key.
// Threads take equal shares of the query heads (SmolLM2's 3 KV heads would leave one of
// two threads idle for a third of the time if split by KV head); a KV head whose query
// heads fall to two threads is read by both. A lone query head of a group goes through the
// K cache as two identical rows: the tile kernels give a (row, query) the same sum for any
// number of queries from 2 up, but one query takes the streaming path, whose other summation
// order would make the logits depend on the thread count. (weighted_rows gives a row the
// same sums whatever rows share its call.)
void TransformerSession::attend_one_token(std::int32_t layer_idx, int thread_idx, int n_threads) {
    const std::uint8_t* k_cache = k_cache_[static_cast<std::size_t>(layer_idx)];
    const std::uint8_t* v_cache = v_cache_[static_cast<std::size_t>(layer_idx)];
    const std::int64_t head_dim = hp_.head_dim;
    const std::int64_t group = hp_.n_head / hp_.n_head_kv;
    const float scale = 1.0f / std::sqrt(static_cast<float>(head_dim));
    const std::int64_t n_keys = n_past_ + 1;
    float* scores = scores_.data() + static_cast<std::size_t>(thread_idx) *
                                         static_cast<std::size_t>(kQueryChunk * n_ctx_);
    float* scratch = query_scratch_.data() + static_cast<std::size_t>(thread_idx) *
                                                 static_cast<std::size_t>(kQueryChunk * head_dim);
    const auto [first, last] = query_heads_of(thread_idx, n_threads);
    for (std::int64_t head = first; head < last; ++head) {
        rope_head(q_.data() + head * head_dim, 0);
    }
    for (std::int64_t head = first; head < last;) {
        const std::int64_t kv_head = head / group;
        const std::int64_t n_heads = std::min(last, (kv_head + 1) * group) - head;
        const float* queries = q_.data() + head * head_dim;
        std::int64_t n_query_rows = n_heads;
        if (n_heads == 1 && group > 1) {
            std::copy(queries, queries + head_dim, scratch);
            std::copy(queries, queries + head_dim, scratch + head_dim);
            queries = scratch;
            n_query_rows = 2;
        }
        const std::size_t head_at = kv_offset(kv_head * n_ctx_ * head_dim);
        const std::size_t row_bytes = static_cast<std::size_t>(head_dim) * cache_value_bytes_;
        float_products(cache_type_, k_cache + head_at, row_bytes, n_keys, queries, n_query_rows,
                       head_dim, scores, n_keys);
        for (std::int64_t g = 0; g < n_heads; ++g) {
            kernels::softmax_row(scores + g * n_keys, n_keys, n_keys, scale);
        }
        kernels::weighted_rows(cache_type_, v_cache + head_at, row_bytes, n_keys, scores, n_keys,
                               n_heads, attn_.data() + head * head_dim, head_dim, head_dim);
        head += n_heads;
    }
}

// Generation runs the whole token in one job on the pool. Each thread computes its share of
// every product's rows and the element-wise work on them, and waits at a barrier only where
// the next phase reads rows of others: after q, k and v, after attention, and after wo,
// gate/up and down. The norms (which need the whole residual) each thread computes and
// quantizes for itself; the attention output and silu(gate) * up are quantized in parts, by
// the threads that computed them (SharedInputs). So between products no thread waits for a
// job or for another's serial work, and an activation crosses between cores at most once,
// quantized where it can be. Against a job per product and the norms and quantization on
// one thread, SmolLM2-135M Q4_0 generated 5 % more tokens/s at 2 threads. Every row is
// computed by the kernels a batch uses, so the logits do not depend on the thread count.
void TransformerSession::forward_one_token(TokenId token,
                                           bool want_logits,
                                           std::int32_t logits_dst_row) {
    embed({&token, 1});
    capture_hidden(0, 1);
    set_rope_angles(1);
    float* logits = want_logits ? logits_.data() + static_cast<std::size_t>(logits_dst_row) *
                                                       static_cast<std::size_t>(hp_.n_vocab)
                                : nullptr;
    pool_.run(
        [&](int thread_idx, int n_threads) { one_token_pass(thread_idx, n_threads, logits); });
    activations_changed();
    n_past_ += 1;
    capture_final_hidden(1);
}

void TransformerSession::one_token_pass(int thread_idx, int n_threads, float* logits) {
    for (std::int32_t layer_idx = 0; layer_idx < hp_.n_layer; ++layer_idx) {
        one_token_qkv(layer_idx, thread_idx, n_threads);
        barrier_.arrive_and_wait(thread_idx);
        one_token_attention(layer_idx, thread_idx, n_threads);
        barrier_.arrive_and_wait(thread_idx);
        one_token_wo(layer_idx, thread_idx, n_threads);
        barrier_.arrive_and_wait(thread_idx);
        one_token_gate_up(layer_idx, thread_idx, n_threads);
        barrier_.arrive_and_wait(thread_idx);
        one_token_down(layer_idx, thread_idx, n_threads);
        barrier_.arrive_and_wait(thread_idx);
        if (thread_idx == 0) {
            // x_ is next written after two more barriers, which this thread passes too.
            capture_hidden(layer_idx + 1, 1);
        }
    }
    if (logits != nullptr) {
        ThreadScratch& scratch = scratch_[static_cast<std::size_t>(thread_idx)];
        const model::ModelWeights& w = model_->weights();
        rms_norm(x_.data(), w.output_norm.data(), hp_.n_embd, hp_.rms_eps, scratch.h.data());
        const auto xq = quantize_privately(scratch, {&w.output}, scratch.h.data());
        product_rows(w.output, scratch.h.data(), xq[0], logits,
                     row_share(hp_.n_vocab, thread_idx, n_threads));
    }
}

void TransformerSession::one_token_qkv(std::int32_t layer_idx, int thread_idx, int n_threads) {
    const LayerWeights& l = model_->weights().layers[static_cast<std::size_t>(layer_idx)];
    ThreadScratch& scratch = scratch_[static_cast<std::size_t>(thread_idx)];
    float* h = scratch.h.data();
    rms_norm(x_.data(), l.attn_norm.data(), hp_.n_embd, hp_.rms_eps, h);
    const auto xq = quantize_privately(scratch, {&l.wq, &l.wk, &l.wv}, h);
    const auto q_rows =
        q_rows_[static_cast<std::size_t>(layer_idx) * static_cast<std::size_t>(n_threads) +
                static_cast<std::size_t>(thread_idx)];
    product_rows(l.wq, h, xq[0], q_.data(), q_rows);
    add_bias_rows(l.bq, q_.data(), q_rows);
    const std::int64_t kv_begin = kv_first_[static_cast<std::size_t>(thread_idx)];
    const std::int64_t kv_end = kv_first_[static_cast<std::size_t>(thread_idx) + 1];
    const auto kv_rows = kv_heads_whole_ ? std::pair{kv_begin * hp_.head_dim, kv_end * hp_.head_dim}
                                         : row_share(n_kv_, thread_idx, n_threads);
    product_rows(l.wk, h, xq[1], k_.data(), kv_rows);
    add_bias_rows(l.bk, k_.data(), kv_rows);
    product_rows(l.wv, h, xq[2], v_.data(), kv_rows);
    add_bias_rows(l.bv, v_.data(), kv_rows);
    if (!kv_heads_whole_) {
        barrier_.arrive_and_wait(thread_idx);  // the owners' heads were computed by others
    }
    rope_and_cache_heads(layer_idx, kv_begin, kv_end);
}

void TransformerSession::one_token_attention(std::int32_t layer_idx,
                                             int thread_idx,
                                             int n_threads) {
    attend_one_token(layer_idx, thread_idx, n_threads);
    SharedInputs* shared = shared_input(layer_idx);
    if (shared != nullptr && shared->has_wo) {
        const auto [first, last] = query_heads_of(thread_idx, n_threads);
        shared->wo.quantize_columns(attn_.data(), first * hp_.head_dim, last * hp_.head_dim,
                                    kernels::active_kernels());
    }
}

void TransformerSession::one_token_wo(std::int32_t layer_idx, int thread_idx, int n_threads) {
    const SharedInputs* shared = shared_input(layer_idx);
    add_product_to_residual(
        model_->weights().layers[static_cast<std::size_t>(layer_idx)].wo, attn_.data(),
        shared != nullptr && shared->has_wo ? &shared->wo : nullptr, thread_idx, n_threads);
}

// x += input W^T, for this thread's rows of x; the input quantized by the threads together
// (`shared`), or else by this thread alone.
void TransformerSession::add_product_to_residual(const WeightMatrix& w,
                                                 const float* input,
                                                 const kernels::QuantizedActivations* shared,
                                                 int thread_idx,
                                                 int n_threads) {
    const kernels::QuantizedActivations* xq =
        shared != nullptr
            ? shared
            : quantize_privately(scratch_[static_cast<std::size_t>(thread_idx)], {&w}, input)[0];
    const auto rows = row_share(hp_.n_embd, thread_idx, n_threads);
    product_rows(w, input, xq, tmp_.data(), rows);
    add_rows(tmp_.data(), hp_.n_embd, x_.data(), hp_.n_embd, 1, rows.first, rows.second);
}

void TransformerSession::one_token_gate_up(std::int32_t layer_idx, int thread_idx, int n_threads) {
    const LayerWeights& l = model_->weights().layers[static_cast<std::size_t>(layer_idx)];
    ThreadScratch& scratch = scratch_[static_cast<std::size_t>(thread_idx)];
    float* h = scratch.h.data();
    rms_norm(x_.data(), l.ffn_norm.data(), hp_.n_embd, hp_.rms_eps, h);
    const auto xq = quantize_privately(scratch, {&l.w_gate, &l.w_up}, h);
    const auto [begin, end] = row_share(hp_.n_ff, thread_idx, n_threads);
    if (begin == end) {
        return;
    }
    product_rows(l.w_gate, h, xq[0], gate_.data(), {begin, end});
    product_rows(l.w_up, h, xq[1], up_.data(), {begin, end});
    kernels::active_kernels().silu_mul(gate_.data() + begin, up_.data() + begin, end - begin);
    SharedInputs* shared = shared_input(layer_idx);
    if (shared != nullptr && shared->has_down) {
        shared->down.quantize_columns(gate_.data(), begin, end, kernels::active_kernels());
    }
}

void TransformerSession::one_token_down(std::int32_t layer_idx, int thread_idx, int n_threads) {
    const SharedInputs* shared = shared_input(layer_idx);
    add_product_to_residual(
        model_->weights().layers[static_cast<std::size_t>(layer_idx)].w_down, gate_.data(),
        shared != nullptr && shared->has_down ? &shared->down : nullptr, thread_idx, n_threads);
}

std::array<const kernels::QuantizedActivations*, 3> TransformerSession::quantize_privately(
    ThreadScratch& scratch,
    std::initializer_list<const WeightMatrix*> weights,
    const float* x) const {
    std::array<const kernels::QuantizedActivations*, 3> xq{};
    if (!quantize_activations_) {
        return xq;
    }
    std::size_t n_used = 0;
    std::size_t i = 0;
    for (const WeightMatrix* w : weights) {
        const TensorType type = kernels::active_kernels()[w->type].vec_dot_type;
        std::size_t slot = 0;
        while (slot < n_used && scratch.xq[slot].type() != type) {
            ++slot;
        }
        if (slot == n_used) {
            scratch.xq[slot].quantize(w->type, x, 1, w->n_cols);
            ++n_used;
        }
        xq[i++] = &scratch.xq[slot];
    }
    return xq;
}

// Each KV head goes to the thread that attends with most of its query heads (the first of
// them on a tie): that thread computes its k and v rows, rotates and caches them, and then
// mostly reads cache lines it wrote itself. With SmolLM2's 9 query heads over 3 KV heads and
// 2 threads, thread 0 owns KV head 0 and thread 1 heads 1 and 2.
void TransformerSession::plan_kv_head_owners() {
    const int n_threads = pool_.n_threads();
    const std::int64_t group = hp_.n_head / hp_.n_head_kv;
    std::vector<int> owner(static_cast<std::size_t>(hp_.n_head_kv), 0);
    for (std::int64_t kv_head = 0; kv_head < hp_.n_head_kv; ++kv_head) {
        std::int64_t most = 0;
        for (int t = 0; t < n_threads; ++t) {
            const auto [first, last] = query_heads_of(t, n_threads);
            const std::int64_t n_shared =
                std::min(last, (kv_head + 1) * group) - std::max(first, kv_head * group);
            if (n_shared > most) {
                most = n_shared;
                owner[static_cast<std::size_t>(kv_head)] = t;
            }
        }
    }
    // Owners rise with the head (query heads are split in order), so each thread's heads are
    // one range.
    kv_first_.assign(static_cast<std::size_t>(n_threads) + 1, hp_.n_head_kv);
    for (std::int64_t kv_head = hp_.n_head_kv - 1; kv_head >= 0; --kv_head) {
        for (int t = 0; t <= owner[static_cast<std::size_t>(kv_head)]; ++t) {
            kv_first_[static_cast<std::size_t>(t)] = static_cast<std::int32_t>(kv_head);
        }
    }
    kv_heads_whole_ = hp_.head_dim % kernels::kPackRows == 0;
}

void TransformerSession::plan_shared_inputs() {
    if (!quantize_activations_) {
        return;
    }
    const int n_threads = pool_.n_threads();
    const kernels::KernelSet& set = kernels::active_kernels();
    shared_inputs_ = std::vector<SharedInputs>(static_cast<std::size_t>(hp_.n_layer));
    for (std::size_t layer = 0; layer < shared_inputs_.size(); ++layer) {
        const LayerWeights& l = model_->weights().layers[layer];
        SharedInputs& shared = shared_inputs_[layer];
        shared.wo.prepare(l.wo.type, attn_.data(), 1, n_q_, set);
        shared.down.prepare(l.w_down.type, gate_.data(), 1, hp_.n_ff, set);
        shared.has_wo = true;
        shared.has_down = true;
        for (int t = 1; t < n_threads; ++t) {
            const std::int64_t heads_begin = query_heads_of(t, n_threads).first * hp_.head_dim;
            shared.has_wo = shared.has_wo && heads_begin % shared.wo.block_size() == 0;
            const std::int64_t rows_begin = row_share(hp_.n_ff, t, n_threads).first;
            shared.has_down = shared.has_down && rows_begin % shared.down.block_size() == 0;
        }
    }
}

// With whole KV heads per thread, the q rows even out the bytes of weights each thread reads
// (a thread that owns more KV heads takes fewer q rows), in whole panels; they depend on the
// layer's types (a Q4_K_M file mixes them), so each layer has its own split.
void TransformerSession::plan_q_rows() {
    const int n_threads = pool_.n_threads();
    q_rows_.clear();
    for (const LayerWeights& l : model_->weights().layers) {
        if (!kv_heads_whole_) {
            for (int t = 0; t < n_threads; ++t) {
                q_rows_.push_back(row_share(n_q_, t, n_threads));
            }
            continue;
        }
        const auto head_bytes = static_cast<double>(hp_.head_dim) *
                                static_cast<double>(l.wk.row_bytes + l.wv.row_bytes);
        const auto q_row_bytes = static_cast<double>(l.wq.row_bytes);
        const double total = static_cast<double>(n_q_) * q_row_bytes + hp_.n_head_kv * head_bytes;
        const auto unit = static_cast<double>(kernels::kPackRows);
        // Thread t's q rows end where threads 0..t have their bytes, never before the end of
        // the thread before it; the last thread's end at n_q.
        std::int64_t begin = 0;
        for (int t = 0; t < n_threads; ++t) {
            std::int64_t end = n_q_;
            if (t < n_threads - 1) {
                const double kv_bytes = kv_first_[static_cast<std::size_t>(t) + 1] * head_bytes;
                const double q_bytes = total * (t + 1) / n_threads - kv_bytes;
                const auto rows =
                    static_cast<std::int64_t>(std::llround(q_bytes / q_row_bytes / unit)) *
                    kernels::kPackRows;
                end = std::clamp(rows, begin, n_q_);
            }
            q_rows_.emplace_back(begin, end);
            begin = end;
        }
    }
}

void TransformerSession::rope_and_cache_heads(std::int32_t layer_idx,
                                              std::int64_t head_begin,
                                              std::int64_t head_end) {
    for (std::int64_t head = head_begin; head < head_end; ++head) {
        rope_head(k_.data() + head * hp_.head_dim, 0);
        cache_head(layer_idx, head, 0);
    }
}

void TransformerSession::capture_final_hidden(std::int64_t n_tokens) {
    const std::int32_t layer = hp_.n_layer + 1;
    bool is_wanted = false;
    for (const HiddenAccumulator& acc : hidden_) {
        is_wanted = is_wanted || acc.layer == layer;
    }
    if (!is_wanted) {
        return;
    }
    const std::int64_t n_embd = hp_.n_embd;
    for (std::int64_t t = 0; t < n_tokens; ++t) {
        rms_norm(x_.data() + t * n_embd, model_->weights().output_norm.data(), n_embd, hp_.rms_eps,
                 tmp_.data() + t * n_embd);
    }
    capture_rows(layer, tmp_.data(), n_tokens);
}

void TransformerSession::capture_rows(std::int32_t layer,
                                      const float* rows,
                                      std::int64_t n_tokens) {
    const std::int64_t n_embd = hp_.n_embd;
    for (HiddenAccumulator& acc : hidden_) {
        if (acc.layer != layer) {
            continue;
        }
        for (std::int64_t t = 0; t < n_tokens; ++t) {
            const float* row = rows + t * n_embd;
            for (std::int64_t i = 0; i < n_embd; ++i) {
                acc.sum[static_cast<std::size_t>(i)] += row[i];
            }
        }
        const float* last = rows + (n_tokens - 1) * n_embd;
        std::copy(last, last + n_embd, acc.last.begin());
        acc.n_tokens += static_cast<std::int32_t>(n_tokens);
    }
}

}  // namespace

Result<std::unique_ptr<Session>> Session::create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options) {
    if (model == nullptr) {
        return Status::invalid_argument("session: no model");
    }
    if (options.n_ctx < 0 || options.n_batch <= 0 || options.n_threads < 0) {
        return Status::invalid_argument(
            "session: n_ctx, n_batch and n_threads must not be "
            "negative (n_batch at least 1)");
    }
    if (options.n_ctx > (1 << 20)) {
        return Status::invalid_argument("session: n_ctx " + std::to_string(options.n_ctx) +
                                        " is larger than 1048576");
    }
    auto session = std::make_unique<TransformerSession>(std::move(model), options);
    if (Status status = session->allocate_cache(); !status.is_ok()) {
        return status;
    }
    return std::unique_ptr<Session>(std::move(session));
}

}  // namespace lore
