// Model::load: open the GGUF file, pick the architecture from `general.architecture`, read
// hyperparameters, bind the weights in place and build the tokenizer; then check that the
// vocabulary matches the embedding table.
#include <string>

#include "kernels/kernels.h"
#include "model/model_impl.h"

namespace lore::model {

namespace {

struct ArchitectureEntry {
    std::string_view name;
    Result<HParams> (*read_hparams)(const gguf::GgufFile&, std::string_view);
    Result<ModelWeights> (*bind_weights)(const gguf::GgufFile&, const HParams&);
};

// The registry: one line per supported architecture.
constexpr ArchitectureEntry kArchitectures[] = {
    {"llama", read_llama_hparams, bind_llama_weights},
    {"qwen2", read_llama_hparams, bind_llama_weights},
};

const ArchitectureEntry* find_architecture(std::string_view name) {
    for (const ArchitectureEntry& entry : kArchitectures) {
        if (entry.name == name) {
            return &entry;
        }
    }
    return nullptr;
}

// general.file_type values as llama.cpp numbers them (enum llama_ftype).
std::string file_type_label(std::int64_t file_type) {
    switch (file_type) {
        case 0: return "F32";
        case 1: return "F16";
        case 2: return "Q4_0";
        case 3: return "Q4_1";
        case 7: return "Q8_0";
        case 8: return "Q5_0";
        case 9: return "Q5_1";
        case 14: return "Q4_K - Small";
        case 15: return "Q4_K - Medium";
        case 16: return "Q5_K - Small";
        case 17: return "Q5_K - Medium";
        case 18: return "Q6_K";
        case 32: return "BF16";
        default: return "";
    }
}

}  // namespace

TransformerModel::TransformerModel(gguf::GgufFile file,
                                   HParams hparams,
                                   ModelWeights weights,
                                   PageBuffer packed,
                                   std::unique_ptr<Tokenizer> tokenizer)
    : file_(std::move(file)),
      hparams_(std::move(hparams)),
      weights_(std::move(weights)),
      packed_(std::move(packed)),
      tokenizer_(std::move(tokenizer)) {
    if (Result<std::string_view> tmpl = file_.get_string("tokenizer.chat_template");
        tmpl.has_value()) {
        chat_template_ = std::string(*tmpl);
    }
    for (const gguf::TensorInfo& info : file_.tensors()) {
        n_params_ += info.n_elements;
        n_weight_bytes_ += info.n_bytes;
    }
}

std::string TransformerModel::type_label() const {
    if (Result<std::int64_t> ft = file_.get_int("general.file_type"); ft.has_value()) {
        std::string label = file_type_label(*ft);
        if (!label.empty()) {
            return label;
        }
    }
    // The type holding most bytes.
    std::uint64_t best_bytes = 0;
    std::string best = "?";
    for (const gguf::TensorInfo& info : file_.tensors()) {
        if (info.ne.size() == 2 && info.n_bytes > best_bytes) {
            best_bytes = info.n_bytes;
            best = std::string(tensor_type_traits(info.type).name);
        }
    }
    for (char& c : best) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return best;
}

}  // namespace lore::model

namespace lore {

Result<std::shared_ptr<const Model>> Model::load(const std::filesystem::path& path,
                                                 const ModelOptions& options) {
    LORE_ASSIGN_OR_RETURN(gguf::GgufFile file,
                          gguf::GgufFile::open(path, options.use_mmap ? gguf::LoadMode::kMap
                                                                      : gguf::LoadMode::kRead));
    Result<std::string_view> arch = file.get_string("general.architecture");
    if (!arch.has_value()) {
        return Status::corruption("model: " + path.string() +
                                  " has no general.architecture: " + arch.status().message());
    }
    const model::ArchitectureEntry* entry = model::find_architecture(*arch);
    if (entry == nullptr) {
        return Status::unsupported("model: architecture '" + std::string(*arch) + "' of " +
                                   path.string() + " is not supported (supported: llama, qwen2)");
    }
    LORE_ASSIGN_OR_RETURN(HParams hparams, entry->read_hparams(file, *arch));
    LORE_ASSIGN_OR_RETURN(model::ModelWeights weights, entry->bind_weights(file, hparams));
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<Tokenizer> tokenizer, Tokenizer::from_gguf(file));
    if (tokenizer->n_vocab() != hparams.n_vocab) {
        return Status::corruption("model: vocabulary has " + std::to_string(tokenizer->n_vocab()) +
                                  " tokens but token_embd.weight has " +
                                  std::to_string(hparams.n_vocab) + " rows");
    }
    PageBuffer packed;
    if (options.pack_weights) {
        LORE_ASSIGN_OR_RETURN(packed, model::pack_weights(file, weights));
    }
    return std::shared_ptr<const Model>(std::make_shared<model::TransformerModel>(
        std::move(file), std::move(hparams), std::move(weights), std::move(packed),
        std::move(tokenizer)));
}

std::string_view kernel_isa() {
    return kernels::isa_name(kernels::active_kernels().isa);
}

}  // namespace lore
