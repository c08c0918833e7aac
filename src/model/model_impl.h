// Internal representation of a loaded decoder-only transformer: hyperparameters plus every
// weight matrix, in its file type: moved at load into the model's own huge-page buffer
// (pack_weights; packed for the kernels where they have a packed form) or, without packing,
// viewed in the mapped GGUF file. Small 1-D tensors (norm weights, biases, rope frequency
// factors) are converted to owned f32 vectors at load.
//
// Thread safety: immutable after load.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "lore/engine.h"
#include "lore/gguf.h"
#include "lore/tensor_type.h"
#include "lore/tokenizer.h"

#include "core/mapped_file.h"

namespace lore::model {

// A 2-D weight [n_rows, n_cols]: in the file's layout, row r starts at data + r * row_bytes;
// when `packed`, data is in the kernels' packed layout (kernels::pack_rows), same size.
struct WeightMatrix {
    TensorType type = TensorType::kF32;
    const std::uint8_t* data = nullptr;
    std::int64_t n_rows = 0;
    std::int64_t n_cols = 0;
    std::size_t row_bytes = 0;
    bool packed = false;
};

struct LayerWeights {
    std::vector<float> attn_norm;   // [n_embd]
    WeightMatrix wq;                // [n_head * head_dim, n_embd]
    WeightMatrix wk;                // [n_head_kv * head_dim, n_embd]
    WeightMatrix wv;                // [n_head_kv * head_dim, n_embd]
    WeightMatrix wo;                // [n_embd, n_head * head_dim]
    std::vector<float> bq, bk, bv;  // qkv biases (qwen2); empty otherwise
    std::vector<float> ffn_norm;    // [n_embd]
    WeightMatrix w_gate;            // [n_ff, n_embd]
    WeightMatrix w_up;              // [n_ff, n_embd]
    WeightMatrix w_down;            // [n_embd, n_ff]
};

struct ModelWeights {
    WeightMatrix token_embd;  // [n_vocab, n_embd]
    std::vector<LayerWeights> layers;
    std::vector<float> output_norm;        // [n_embd]
    WeightMatrix output;                   // [n_vocab, n_embd]; token_embd when tied
    std::vector<float> rope_freq_factors;  // [n_rot / 2] or empty
};

class TransformerModel final : public Model {
public:
    TransformerModel(gguf::GgufFile file,
                     HParams hparams,
                     ModelWeights weights,
                     PageBuffer packed,
                     std::unique_ptr<Tokenizer> tokenizer);

    const HParams& hparams() const override { return hparams_; }

    const Tokenizer& tokenizer() const override { return *tokenizer_; }

    const gguf::GgufFile& file() const override { return file_; }

    std::string_view chat_template() const override { return chat_template_; }

    std::uint64_t n_params() const override { return n_params_; }

    std::uint64_t n_weight_bytes() const override { return n_weight_bytes_; }

    std::string type_label() const override;

    const ModelWeights& weights() const { return weights_; }

private:
    gguf::GgufFile file_;
    HParams hparams_;
    ModelWeights weights_;
    PageBuffer packed_;  // the matrices weights_ marks packed
    std::unique_ptr<Tokenizer> tokenizer_;
    std::string chat_template_;
    std::uint64_t n_params_ = 0;
    std::uint64_t n_weight_bytes_ = 0;
};

// Architecture loaders (src/model/arch/<family>.cpp): read hyperparameters and bind weights.
// One function per family, listed in the registry in model.cpp.
Result<HParams> read_llama_hparams(const gguf::GgufFile& file, std::string_view arch);
Result<ModelWeights> bind_llama_weights(const gguf::GgufFile& file, const HParams& hparams);

// Moves every matrix of `weights` that a product reads into one buffer in huge pages, packed
// (packed = true) where the active kernels have a packed kernel for its type, repoints them
// there (a tied token_embd too) and releases their bytes in `file`: afterwards read them
// only through `weights`.
// When the matrices would not fit in available_memory(), nothing moves and the result is an
// empty buffer: the model then runs from the file map.
Result<PageBuffer> pack_weights(const gguf::GgufFile& file, ModelWeights& weights);

// MemAvailable of /proc/meminfo in bytes (memory the kernel can hand out without swapping,
// page cache included), or nullopt where it cannot be read.
std::optional<std::uint64_t> available_memory();

// Whether weight_bytes of private memory may be taken: unknown availability counts as yes.
bool weights_fit(std::uint64_t weight_bytes, std::optional<std::uint64_t> available);

}  // namespace lore::model
