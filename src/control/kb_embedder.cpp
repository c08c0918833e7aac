// The engine's EmbeddingModel behind the knowledge base's Embedder interface.
#include <algorithm>
#include <mutex>

#include "lore/ask.h"
#include "lore/embed.h"

namespace lore {

namespace {

// Also counts tokens with the model's tokenizer, so chunks are sized in its tokens.
class ModelEmbedder final : public Embedder, public TokenCounter {
public:
    ModelEmbedder(std::unique_ptr<EmbeddingModel> model, std::string model_id)
        : model_(std::move(model)), model_id_(std::move(model_id)) {}

    std::string model_id() const override { return model_id_; }

    int dim() const override { return model_->n_dims(); }

    Status embed(std::span<const std::string_view> texts, std::span<float> out) override {
        const auto dims = static_cast<std::size_t>(model_->n_dims());
        if (out.size() != texts.size() * dims) {
            return Status::invalid_argument("embed: output holds " + std::to_string(out.size()) +
                                            " floats, expected " +
                                            std::to_string(texts.size() * dims));
        }
        std::lock_guard<std::mutex> lock(mu_);  // the model's scratch is per instance
        for (std::size_t i = 0; i < texts.size(); ++i) {
            LORE_ASSIGN_OR_RETURN(std::vector<float> v, model_->embed(texts[i]));
            std::copy(v.begin(), v.end(), out.begin() + static_cast<std::ptrdiff_t>(i * dims));
        }
        return Status::ok();
    }

    std::size_t count_tokens(std::string_view text) const override {
        return model_->tokenizer().encode(text, false, false).size();
    }

private:
    std::mutex mu_;
    std::unique_ptr<EmbeddingModel> model_;
    std::string model_id_;
};

}  // namespace

std::shared_ptr<TokenCounter> token_counter_of(const std::shared_ptr<Embedder>& embedder) {
    return std::dynamic_pointer_cast<ModelEmbedder>(embedder);
}

Result<std::shared_ptr<Embedder>> load_kb_embedder(const std::filesystem::path& path,
                                                   std::int32_t n_threads) {
    EmbeddingOptions options;
    options.n_threads = n_threads;
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddingModel> model,
                          EmbeddingModel::load(path, options));
    std::string id = path.filename().string() + " (" + model->description() + ", " +
                     std::to_string(model->n_dims()) + "d)";
    return std::shared_ptr<Embedder>(
        std::make_shared<ModelEmbedder>(std::move(model), std::move(id)));
}

}  // namespace lore
