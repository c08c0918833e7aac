// Tokenizers built from GGUF metadata (`tokenizer.ggml.*`): SentencePiece-style (`llama`,
// scores and byte fallback), byte-level BPE (`gpt2`, with the pre-tokenizer named by
// `tokenizer.ggml.pre`) and WordPiece (`bert`). They reproduce llama.cpp's tokenizations
// exactly (tests/tokenizer). Loading validates the vocabulary (sizes of parallel arrays,
// special token ids in range, merges that name existing tokens) and fails with kCorruption.
//
// Thread safety: immutable after load; encode/decode are const and safe from many threads.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "lore/gguf.h"
#include "lore/result.h"

namespace lore {

using TokenId = std::int32_t;

// Token attributes as `tokenizer.ggml.token_type` stores them.
enum class TokenKind : std::int32_t {
    kUndefined = 0,
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6,
};

enum class TokenizerModel { kSentencePiece, kBytePairEncoding, kWordPiece };

class Tokenizer {
public:
    // Reads the vocabulary of a model or vocab-only GGUF file.
    static Result<std::unique_ptr<Tokenizer>> from_gguf(const gguf::GgufFile& file);

    virtual ~Tokenizer() = default;

    // Token ids for `text`. add_special: BOS/EOS (and BERT's CLS/SEP) as the metadata's
    // add_bos/add_eos say. parse_special: text of control tokens in `text` becomes those
    // tokens; otherwise it is tokenized as plain text. User-defined tokens are always split
    // out (as llama.cpp and HF tokenizers do); overlapping matches go leftmost-longest.
    // Invalid UTF-8 is tokenized byte by byte, never rejected.
    virtual std::vector<TokenId> encode(std::string_view text,
                                        bool add_special,
                                        bool parse_special) const = 0;

    // The bytes a token stands for when detokenized (SentencePiece's U+2581 becomes a
    // space, byte tokens become their byte, GPT-2 byte symbols become bytes). Control
    // tokens give "" unless `render_special`. A piece may be part of a UTF-8 sequence.
    virtual std::string token_to_piece(TokenId id, bool render_special) const = 0;

    // Concatenated pieces, with the model's detokenizer cleanups: the SentencePiece and
    // WordPiece leading space of the first word (after BOS/CLS) is removed, and WordPiece
    // output gets llama.cpp's clean-up of spaces before punctuation. Byte-level BPE is
    // lossless: decode(encode(x, false, false), false) == x for any bytes x whose byte
    // symbols are normal tokens (all of GPT-2's and Llama 3's).
    virtual std::string decode(std::span<const TokenId> ids, bool render_special) const = 0;

    virtual TokenizerModel model() const = 0;
    virtual std::int32_t n_vocab() const = 0;
    // The token's text as stored in the vocabulary.
    virtual std::string_view token_text(TokenId id) const = 0;
    virtual TokenKind token_kind(TokenId id) const = 0;

    // -1 when the vocabulary has none.
    virtual TokenId bos() const = 0;
    virtual TokenId eos() const = 0;
    virtual bool add_bos() const = 0;
    virtual bool add_eos() const = 0;
    // True for tokens that end generation (eos, eot, <|im_end|>, <|eot_id|> ...).
    virtual bool is_end_of_generation(TokenId id) const = 0;
};

}  // namespace lore
