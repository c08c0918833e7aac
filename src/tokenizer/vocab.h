// VocabData: everything a tokenizer needs, as plain data, read from a GGUF file's
// `tokenizer.ggml.*` metadata (vocab_from_gguf) or built directly by tests and tools.
//
// GGUF keys read (all optional unless marked):
//   tokenizer.ggml.model       string, required: "llama" | "gpt2" | "bert"
//   tokenizer.ggml.pre         string: pre-tokenizer name (gpt2 only)
//   tokenizer.ggml.tokens      string[n], required
//   tokenizer.ggml.scores      f32[n]
//   tokenizer.ggml.token_type  i32[n] (TokenKind values)
//   tokenizer.ggml.merges      string[] "left right", rank order (required for gpt2)
//   tokenizer.ggml.{bos,eos,unknown,seperator,padding,cls,mask,eot,eom}_token_id  u32
//   tokenizer.ggml.add_bos_token, add_eos_token, add_space_prefix  bool
//   general.name               string (Phi-3's special tokens strip following spaces)
//
// finalize_vocab() applies llama.cpp's defaults per model (special ids, add_bos, space
// prefix) and validates: parallel arrays have the token count, special ids are in range,
// merges name existing tokens. Violations are kCorruption naming the key.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "lore/gguf.h"
#include "lore/result.h"
#include "lore/tokenizer.h"

namespace lore::tokenizer {

struct VocabData {
    TokenizerModel model = TokenizerModel::kSentencePiece;
    std::string pre;                  // tokenizer.ggml.pre ("" when absent)
    std::string general_name;         // general.name ("" when absent)
    std::vector<std::string> tokens;  // [n_vocab]
    std::vector<float> scores;        // [n_vocab] or empty (all 0)
    std::vector<TokenKind> kinds;     // [n_vocab] or empty (all kNormal)
    std::vector<std::string> merges;  // "left right", rank order (BPE)

    // Special ids; -1 = absent. "Unset" ids (kUnset) take the model's default in finalize.
    static constexpr TokenId kUnset = -2;
    TokenId bos = kUnset;
    TokenId eos = kUnset;
    TokenId unk = kUnset;
    TokenId sep = kUnset;
    TokenId pad = kUnset;
    TokenId cls = kUnset;
    TokenId mask = kUnset;
    TokenId eot = kUnset;
    TokenId eom = kUnset;

    // Flags; nullopt = the model's default.
    std::optional<bool> add_bos;
    std::optional<bool> add_eos;
    std::optional<bool> add_space_prefix;
};

// Reads the metadata described above. Missing required keys: kNotFound; wrong types or
// array lengths: kCorruption naming the key.
Result<VocabData> vocab_from_gguf(const gguf::GgufFile& file);

}  // namespace lore::tokenizer
