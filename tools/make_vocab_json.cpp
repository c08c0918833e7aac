// tokenizer.json -> vocab-only GGUF (see make_vocab_json.h). nlohmann::json throws; this
// adapter catches at the boundary and returns a Status.
#include "make_vocab_json.h"

#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "lore/gguf.h"
#include "lore/tokenizer.h"

namespace lore::tools {
namespace {

using nlohmann::json;

Result<json> read_json(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        return Status::io_error("make_vocab: cannot open " + path.string());
    }
    std::stringstream buffer;
    buffer << in.rdbuf();
    json parsed = json::parse(buffer.str(), nullptr, /*allow_exceptions=*/false);
    if (parsed.is_discarded()) {
        return Status::invalid_argument("make_vocab: " + path.string() + " is not valid JSON");
    }
    return parsed;
}

// llama.cpp's does_token_look_special.
bool looks_special(const std::string& text) {
    const auto starts = [&](std::string_view p) { return text.rfind(p, 0) == 0; };
    const auto ends = [&](std::string_view s) {
        return text.size() >= s.size() && text.compare(text.size() - s.size(), s.size(), s) == 0;
    };
    return text == "<pad>" || text == "<mask>" || text == "<2mass>" || text == "[@BOS@]" ||
           (starts("<|") && ends("|>")) || (starts("<\xef\xbd\x9c") && ends("\xef\xbd\x9c>")) ||
           (starts("<unused") && ends(">"));
}

// A special token in tokenizer_config.json: a string, or {"content": ...}; "" if absent.
std::string config_token(const json& config, const char* key) {
    if (!config.contains(key)) {
        return {};
    }
    const json& value = config[key];
    if (value.is_string()) {
        return value.get<std::string>();
    }
    if (value.is_object() && value.contains("content") && value["content"].is_string()) {
        return value["content"].get<std::string>();
    }
    return {};
}

Result<std::vector<std::uint8_t>> convert(const VocabJsonOptions& options) {
    LORE_ASSIGN_OR_RETURN(const json tokenizer, read_json(options.tokenizer_json));
    const json& model = tokenizer.at("model");
    if (model.at("type").get<std::string>() != "BPE") {
        return Status::invalid_argument("make_vocab: " + options.tokenizer_json.string() +
                                        ": model.type is not BPE");
    }
    std::map<std::int64_t, std::pair<std::string, TokenKind>> by_id;
    for (const auto& [text, id] : model.at("vocab").items()) {
        by_id[id.get<std::int64_t>()] = {text, TokenKind::kNormal};
    }
    if (tokenizer.contains("added_tokens")) {
        for (const json& added : tokenizer["added_tokens"]) {
            std::string text = added.at("content").get<std::string>();
            const bool special = added.value("special", false);
            TokenKind kind = TokenKind::kUserDefined;
            if (special || looks_special(text)) {
                kind = TokenKind::kControl;
            } else {
                // Pre-normalise SentencePiece spaces in user-defined tokens, as the converter.
                std::string spaced;
                for (std::size_t i = 0; i < text.size(); ++i) {
                    if (text.compare(i, 3, "\xe2\x96\x81") == 0) {
                        spaced.push_back(' ');
                        i += 2;
                    } else {
                        spaced.push_back(text[i]);
                    }
                }
                text = std::move(spaced);
            }
            by_id[added.at("id").get<std::int64_t>()] = {text, kind};
        }
    }
    if (by_id.empty() || by_id.begin()->first < 0) {
        return Status::invalid_argument("make_vocab: no tokens, or a negative id");
    }
    const std::int64_t n_tokens = by_id.rbegin()->first + 1;
    std::vector<std::string> tokens;
    std::vector<std::int32_t> kinds;
    for (std::int64_t i = 0; i < n_tokens; ++i) {
        const auto it = by_id.find(i);
        if (it == by_id.end()) {
            tokens.push_back("[PAD" + std::to_string(i) + "]");
            kinds.push_back(static_cast<std::int32_t>(TokenKind::kUnused));
        } else {
            tokens.push_back(it->second.first);
            kinds.push_back(static_cast<std::int32_t>(it->second.second));
        }
    }
    std::vector<std::string> merges;
    for (const json& merge : model.at("merges")) {
        if (merge.is_string()) {
            merges.push_back(merge.get<std::string>());
        } else {
            merges.push_back(merge.at(0).get<std::string>() + " " + merge.at(1).get<std::string>());
        }
    }

    gguf::GgufWriter writer;
    writer.set_string("general.architecture", options.architecture);
    writer.set_string("general.name", options.name);
    writer.set_string("tokenizer.ggml.model", "gpt2");
    writer.set_string("tokenizer.ggml.pre", options.pre);
    writer.set_string_array("tokenizer.ggml.tokens", tokens);
    writer.set_i32_array("tokenizer.ggml.token_type", kinds);
    writer.set_string_array("tokenizer.ggml.merges", merges);
    if (!options.tokenizer_config.empty()) {
        LORE_ASSIGN_OR_RETURN(const json config, read_json(options.tokenizer_config));
        const auto id_of = [&](const std::string& text) -> std::int64_t {
            for (std::int64_t i = 0; i < n_tokens; ++i) {
                if (tokens[static_cast<std::size_t>(i)] == text) {
                    return i;
                }
            }
            return -1;
        };
        const std::pair<const char*, const char*> specials[] = {
            {"bos_token", "tokenizer.ggml.bos_token_id"},
            {"eos_token", "tokenizer.ggml.eos_token_id"},
            {"unk_token", "tokenizer.ggml.unknown_token_id"},
            {"pad_token", "tokenizer.ggml.padding_token_id"},
        };
        for (const auto& [config_key, gguf_key] : specials) {
            const std::string text = config_token(config, config_key);
            const std::int64_t id = text.empty() ? -1 : id_of(text);
            if (id >= 0) {
                writer.set_u32(gguf_key, static_cast<std::uint32_t>(id));
            }
        }
        for (const auto& [config_key, gguf_key] :
             {std::pair{"add_bos_token", "tokenizer.ggml.add_bos_token"},
              std::pair{"add_eos_token", "tokenizer.ggml.add_eos_token"}}) {
            if (config.contains(config_key) && config[config_key].is_boolean()) {
                writer.set_bool(gguf_key, config[config_key].get<bool>());
            }
        }
    }
    return writer.bytes();
}

}  // namespace

Result<std::vector<std::uint8_t>> make_vocab_gguf(const VocabJsonOptions& options) {
    try {
        return convert(options);
    } catch (const json::exception& e) {
        return Status::invalid_argument("make_vocab: " + options.tokenizer_json.string() +
                                        ": unexpected JSON layout: " + e.what());
    }
}

}  // namespace lore::tools
