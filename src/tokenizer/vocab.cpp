// Reads `tokenizer.ggml.*` metadata into VocabData (see vocab.h for the keys).
#include "tokenizer/vocab.h"

#include <string>
#include <utility>

namespace lore::tokenizer {
namespace {

// Reads an optional integer key into `id`; absent keys leave it unchanged.
Status read_optional_id(const gguf::GgufFile& file, std::string_view key, TokenId& id) {
    if (file.find(key) == nullptr) {
        return Status::ok();
    }
    LORE_ASSIGN_OR_RETURN(const std::int64_t value, file.get_int(key));
    if (value < 0 || value > INT32_MAX) {
        return Status::corruption("tokenizer: " + std::string(key) + " = " + std::to_string(value) +
                                  " is not a token id");
    }
    id = static_cast<TokenId>(value);
    return Status::ok();
}

Status read_optional_bool(const gguf::GgufFile& file,
                          std::string_view key,
                          std::optional<bool>& flag) {
    if (file.find(key) == nullptr) {
        return Status::ok();
    }
    LORE_ASSIGN_OR_RETURN(const bool value, file.get_bool(key));
    flag = value;
    return Status::ok();
}

}  // namespace

Result<VocabData> vocab_from_gguf(const gguf::GgufFile& file) {
    VocabData vocab;
    LORE_ASSIGN_OR_RETURN(const std::string_view model, file.get_string("tokenizer.ggml.model"));
    if (model == "llama") {
        vocab.model = TokenizerModel::kSentencePiece;
    } else if (model == "gpt2") {
        vocab.model = TokenizerModel::kBytePairEncoding;
    } else if (model == "bert") {
        vocab.model = TokenizerModel::kWordPiece;
    } else {
        return Status::unsupported("tokenizer: tokenizer.ggml.model '" + std::string(model) +
                                   "' is not supported (llama, gpt2, bert)");
    }
    if (file.find("tokenizer.ggml.pre") != nullptr) {
        LORE_ASSIGN_OR_RETURN(const std::string_view pre, file.get_string("tokenizer.ggml.pre"));
        vocab.pre = std::string(pre);
    }
    if (file.find("general.name") != nullptr) {
        LORE_ASSIGN_OR_RETURN(const std::string_view name, file.get_string("general.name"));
        vocab.general_name = std::string(name);
    }

    LORE_ASSIGN_OR_RETURN(const std::vector<std::string_view> tokens,
                          file.get_string_array("tokenizer.ggml.tokens"));
    vocab.tokens.reserve(tokens.size());
    for (std::string_view token : tokens) {
        vocab.tokens.emplace_back(token);
    }
    if (file.find("tokenizer.ggml.scores") != nullptr) {
        LORE_ASSIGN_OR_RETURN(vocab.scores, file.get_float_array("tokenizer.ggml.scores"));
    }
    if (file.find("tokenizer.ggml.token_type") != nullptr) {
        LORE_ASSIGN_OR_RETURN(const std::vector<std::int64_t> types,
                              file.get_int_array("tokenizer.ggml.token_type"));
        vocab.kinds.reserve(types.size());
        for (std::size_t i = 0; i < types.size(); ++i) {
            if (types[i] < 0 || types[i] > static_cast<std::int64_t>(TokenKind::kByte)) {
                return Status::corruption("tokenizer: tokenizer.ggml.token_type[" +
                                          std::to_string(i) + "] = " + std::to_string(types[i]) +
                                          " is not a token type (0..6)");
            }
            vocab.kinds.push_back(static_cast<TokenKind>(types[i]));
        }
    }
    if (vocab.model == TokenizerModel::kBytePairEncoding &&
        file.find("tokenizer.ggml.merges") == nullptr) {
        return Status::not_found(
            "tokenizer: tokenizer.ggml.merges is missing for a gpt2 (BPE) "
            "vocabulary");
    }
    if (file.find("tokenizer.ggml.merges") != nullptr) {
        LORE_ASSIGN_OR_RETURN(const std::vector<std::string_view> merges,
                              file.get_string_array("tokenizer.ggml.merges"));
        vocab.merges.reserve(merges.size());
        for (std::string_view merge : merges) {
            vocab.merges.emplace_back(merge);
        }
    }

    const std::pair<std::string_view, TokenId*> ids[] = {
        {"tokenizer.ggml.bos_token_id", &vocab.bos},
        {"tokenizer.ggml.eos_token_id", &vocab.eos},
        {"tokenizer.ggml.unknown_token_id", &vocab.unk},
        {"tokenizer.ggml.seperator_token_id", &vocab.sep},
        {"tokenizer.ggml.padding_token_id", &vocab.pad},
        {"tokenizer.ggml.cls_token_id", &vocab.cls},
        {"tokenizer.ggml.mask_token_id", &vocab.mask},
        {"tokenizer.ggml.eot_token_id", &vocab.eot},
        {"tokenizer.ggml.eom_token_id", &vocab.eom},
    };
    for (const auto& [key, id] : ids) {
        LORE_RETURN_IF_ERROR(read_optional_id(file, key, *id));
    }
    LORE_RETURN_IF_ERROR(read_optional_bool(file, "tokenizer.ggml.add_bos_token", vocab.add_bos));
    LORE_RETURN_IF_ERROR(read_optional_bool(file, "tokenizer.ggml.add_eos_token", vocab.add_eos));
    LORE_RETURN_IF_ERROR(
        read_optional_bool(file, "tokenizer.ggml.add_space_prefix", vocab.add_space_prefix));
    return vocab;
}

}  // namespace lore::tokenizer
