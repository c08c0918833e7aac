// EmbeddingModel::load: `bert` files get the encoder of arch/bert.cpp; decoder families run a
// Session and pool the final normalised hidden states (layer n_layer + 1).
#include <algorithm>
#include <cmath>

#include "lore/embed.h"
#include "lore/engine.h"

#include "model/bert.h"

namespace lore {

namespace {

void pool_and_normalize(const float* rows,
                        std::int64_t n_tokens,
                        std::int64_t n_embd,
                        Pooling pooling,
                        bool normalize,
                        std::vector<float>& out) {
    out.assign(static_cast<std::size_t>(n_embd), 0.0f);
    if (pooling == Pooling::kCls || pooling == Pooling::kLast) {
        const float* row = rows + (pooling == Pooling::kCls ? 0 : n_tokens - 1) * n_embd;
        std::copy(row, row + n_embd, out.begin());
    } else {
        for (std::int64_t t = 0; t < n_tokens; ++t) {
            for (std::int64_t i = 0; i < n_embd; ++i) {
                out[static_cast<std::size_t>(i)] += rows[t * n_embd + i];
            }
        }
        for (float& v : out) {
            v /= static_cast<float>(n_tokens);
        }
    }
    if (normalize) {
        double norm = 0.0;
        for (float v : out) {
            norm += static_cast<double>(v) * v;
        }
        norm = std::sqrt(norm);
        if (norm > 0.0) {
            for (float& v : out) {
                v = static_cast<float>(v / norm);
            }
        }
    }
}

std::string_view pooling_name(Pooling p) {
    switch (p) {
        case Pooling::kCls: return "cls";
        case Pooling::kLast: return "last";
        default: return "mean";
    }
}

class BertEmbeddingModel final : public EmbeddingModel {
public:
    BertEmbeddingModel(gguf::GgufFile file,
                       model::BertWeights weights,
                       std::unique_ptr<Tokenizer> tokenizer,
                       const EmbeddingOptions& options)
        : file_(std::move(file)),
          weights_(std::move(weights)),
          tokenizer_(std::move(tokenizer)),
          options_(options),
          pool_(options.n_threads) {
        pooling_ =
            options.pooling == Pooling::kDefault ? weights_.hparams.pooling : options.pooling;
    }

    std::int32_t n_dims() const override { return weights_.hparams.n_embd; }

    const Tokenizer& tokenizer() const override { return *tokenizer_; }

    std::string description() const override {
        return "bert " + std::string(pooling_name(pooling_));
    }

    Result<std::vector<float>> embed(std::string_view text) override {
        std::vector<TokenId> tokens = tokenizer_->encode(text, true, false);
        const auto limit =
            static_cast<std::size_t>(std::min(options_.max_tokens, weights_.hparams.n_ctx_train));
        if (tokens.size() > limit) {
            // Keep the closing [SEP] so the encoder sees a well-formed sequence.
            const TokenId last = tokens.back();
            tokens.resize(limit);
            tokens.back() = last;
        }
        if (tokens.empty()) {
            return Status::invalid_argument("embed: text has no tokens");
        }
        model::bert_forward(weights_, tokens, pool_, states_);
        std::vector<float> out;
        pool_and_normalize(states_.data(), static_cast<std::int64_t>(tokens.size()),
                           weights_.hparams.n_embd, pooling_, options_.normalize, out);
        return out;
    }

private:
    gguf::GgufFile file_;  // owns the mapped weights
    model::BertWeights weights_;
    std::unique_ptr<Tokenizer> tokenizer_;
    EmbeddingOptions options_;
    ThreadPool pool_;
    Pooling pooling_ = Pooling::kMean;
    std::vector<float> states_;
};

class DecoderEmbeddingModel final : public EmbeddingModel {
public:
    DecoderEmbeddingModel(std::shared_ptr<const Model> model,
                          std::unique_ptr<Session> session,
                          const EmbeddingOptions& options)
        : model_(std::move(model)), session_(std::move(session)), options_(options) {
        pooling_ = options.pooling == Pooling::kDefault ? Pooling::kMean : options.pooling;
    }

    std::int32_t n_dims() const override { return model_->hparams().n_embd; }

    const Tokenizer& tokenizer() const override { return model_->tokenizer(); }

    std::string description() const override {
        return model_->hparams().arch + " " + std::string(pooling_name(pooling_));
    }

    Result<std::vector<float>> embed(std::string_view text) override {
        std::vector<TokenId> tokens = model_->tokenizer().encode(text, true, false);
        const auto limit =
            static_cast<std::size_t>(std::min(options_.max_tokens, session_->n_ctx()));
        tokens.resize(std::min(tokens.size(), limit));
        if (tokens.empty()) {
            return Status::invalid_argument("embed: text has no tokens");
        }
        session_->truncate(0);
        const std::int32_t final_layer = model_->hparams().n_layer + 1;
        LORE_RETURN_IF_ERROR(session_->request_hidden_states({{final_layer}}));
        LORE_RETURN_IF_ERROR(session_->decode(tokens, LogitsMode::kNone));
        HiddenStates hs = std::move(session_->hidden_states()[0]);
        const std::vector<float>& pooled = pooling_ == Pooling::kMean ? hs.mean : hs.last;
        std::vector<float> out;
        pool_and_normalize(pooled.data(), 1, model_->hparams().n_embd, Pooling::kMean,
                           options_.normalize, out);
        return out;
    }

private:
    std::shared_ptr<const Model> model_;
    std::unique_ptr<Session> session_;
    EmbeddingOptions options_;
    Pooling pooling_ = Pooling::kMean;
};

}  // namespace

Result<std::unique_ptr<EmbeddingModel>> EmbeddingModel::load(const std::filesystem::path& path,
                                                             const EmbeddingOptions& options) {
    if (options.max_tokens <= 0) {
        return Status::invalid_argument("embed: max_tokens must be positive");
    }
    LORE_ASSIGN_OR_RETURN(gguf::GgufFile file, gguf::GgufFile::open(path));
    LORE_ASSIGN_OR_RETURN(std::string_view arch, file.get_string("general.architecture"));
    if (arch == "bert") {
        LORE_ASSIGN_OR_RETURN(model::BertWeights weights, model::load_bert(file));
        LORE_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, Tokenizer::from_gguf(file));
        if (tokenizer->n_vocab() != weights.hparams.n_vocab) {
            return Status::corruption("embed: vocabulary has " +
                                      std::to_string(tokenizer->n_vocab()) +
                                      " tokens but token_embd.weight has " +
                                      std::to_string(weights.hparams.n_vocab) + " rows");
        }
        return std::unique_ptr<EmbeddingModel>(std::make_unique<BertEmbeddingModel>(
            std::move(file), std::move(weights), std::move(tokenizer), options));
    }
    if (arch != "llama" && arch != "qwen2") {
        return Status::unsupported("embed: architecture '" + std::string(arch) +
                                   "' has no embedding path (supported: bert, llama, qwen2)");
    }
    LORE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model, Model::load(path));
    SessionOptions session_options;
    session_options.n_threads = options.n_threads;
    session_options.n_ctx = std::min(options.max_tokens, model->hparams().n_ctx_train);
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<Session> session,
                          Session::create(model, session_options));
    return std::unique_ptr<EmbeddingModel>(
        std::make_unique<DecoderEmbeddingModel>(std::move(model), std::move(session), options));
}

}  // namespace lore
