// Text embeddings from a GGUF model, for dense retrieval.
//
// Architectures: `bert` (BGE, E5, MiniLM ... — bidirectional encoder, WordPiece tokenizer,
// pooling from `bert.pooling_type`: mean or CLS) and the decoder families `llama`/`qwen2`
// (mean or last-token pooling over the final normalised hidden states). Vectors are
// L2-normalised unless told otherwise, so a dot product is the cosine similarity.
//
// Thread safety: an EmbeddingModel holds scratch buffers and a thread pool: one per thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/result.h"
#include "lore/tokenizer.h"

namespace lore {

enum class Pooling {
    kDefault,  // what the model file says (bert.pooling_type), else mean
    kMean,
    kCls,   // the first token's state
    kLast,  // the last token's state
};

struct EmbeddingOptions {
    std::int32_t n_threads = 0;  // 0 = one per physical core
    Pooling pooling = Pooling::kDefault;
    bool normalize = true;          // L2-normalise every vector
    std::int32_t max_tokens = 512;  // longer texts are truncated (the tokens past it are dropped)
};

class EmbeddingModel {
public:
    // Loads `path`. kUnsupported for architectures without an embedding path.
    static Result<std::unique_ptr<EmbeddingModel>> load(const std::filesystem::path& path,
                                                        const EmbeddingOptions& options = {});

    virtual ~EmbeddingModel() = default;

    virtual std::int32_t n_dims() const = 0;
    virtual const Tokenizer& tokenizer() const = 0;
    // e.g. "bert mean" — architecture and pooling, for provenance in a knowledge base.
    virtual std::string description() const = 0;

    virtual Result<std::vector<float>> embed(std::string_view text) = 0;
};

}  // namespace lore
