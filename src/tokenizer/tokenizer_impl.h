// VocabTokenizer: the one Tokenizer implementation, holding a validated vocabulary and the
// indexes each algorithm needs. The algorithms live in their own files:
//   spm.cpp  SentencePiece-style merges by score, byte fallback (`llama`)
//   bpe.cpp  byte-level BPE with ranked merges after a regex pre-tokenizer (`gpt2`)
//   wpm.cpp  BERT basic tokenizer + greedy longest-match WordPiece (`bert`)
// tokenizer.cpp builds it (defaults, validation), splits special tokens out of the text and
// detokenizes.
//
// Thread safety: immutable after create(); every method is const and reentrant.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "lore/tokenizer.h"

#include "tokenizer/pre_tokenizer.h"
#include "tokenizer/vocab.h"

namespace lore::tokenizer {

// Builds a tokenizer from plain vocabulary data (applies defaults and validates; see vocab.h).
Result<std::unique_ptr<Tokenizer>> make_tokenizer(VocabData vocab);

class VocabTokenizer final : public Tokenizer {
public:
    static Result<std::unique_ptr<VocabTokenizer>> create(VocabData vocab);

    std::vector<TokenId> encode(std::string_view text,
                                bool add_special,
                                bool parse_special) const override;
    std::string token_to_piece(TokenId id, bool render_special) const override;
    std::string decode(std::span<const TokenId> ids, bool render_special) const override;

    TokenizerModel model() const override { return model_; }

    std::int32_t n_vocab() const override { return static_cast<std::int32_t>(tokens_.size()); }

    std::string_view token_text(TokenId id) const override;
    TokenKind token_kind(TokenId id) const override;

    TokenId bos() const override { return bos_; }

    TokenId eos() const override { return eos_; }

    bool add_bos() const override { return add_bos_; }

    bool add_eos() const override { return add_eos_; }

    bool is_end_of_generation(TokenId id) const override;

    // Id of a token by its exact text, or -1.
    TokenId find_token(std::string_view text) const;

    // Other special ids (-1 when absent).
    TokenId unk() const { return unk_; }

    TokenId sep() const { return sep_; }

    TokenId cls() const { return cls_; }

    bool add_space_prefix() const { return add_space_prefix_; }

private:
    VocabTokenizer() = default;

    struct MergeResult {
        std::int32_t rank = 0;
        TokenId merged = -1;
    };

    // A piece of the input after special tokens are split out: raw text, or a token.
    struct Fragment {
        TokenId token = -1;     // >= 0 for a special token
        std::string_view text;  // raw text otherwise
    };

    // Special tokens as a byte trie for leftmost-longest matching.
    struct TrieNode {
        std::vector<std::pair<std::uint8_t, std::int32_t>> children;
        TokenId token = -1;
        TokenId token_user_defined_only = -1;  // same, restricted to user-defined tokens
    };

    Status build(VocabData vocab);
    Status build_bpe_merges(const std::vector<std::string>& merges);
    void build_special_trie();

    std::vector<Fragment> split_special(std::string_view text, bool parse_special) const;

    void encode_spm(std::string_view text, std::vector<TokenId>& out) const;
    void encode_bpe(std::string_view text, std::vector<TokenId>& out) const;
    void encode_bpe_word(std::string_view word, std::vector<TokenId>& out) const;
    void encode_wpm(std::string_view text, std::vector<TokenId>& out) const;

    bool is_spm_merge_target(TokenId id) const;

    TokenizerModel model_ = TokenizerModel::kSentencePiece;
    std::vector<std::string> tokens_;
    std::vector<float> scores_;
    std::vector<TokenKind> kinds_;
    std::vector<std::uint8_t> strip_flags_;  // kStripLeft/kStripRight per token
    std::vector<bool> end_of_generation_;
    // Views tokens_, which never changes after build().
    std::unordered_map<std::string_view, TokenId> token_ids_;
    std::size_t max_token_bytes_ = 0;

    // BPE: (left id << 32 | right id) -> rank and result; byte -> id of its GPT-2 symbol.
    std::unordered_map<std::uint64_t, MergeResult> merges_;
    std::optional<PreTokenizer> pre_tokenizer_;
    bool ignore_merges_ = false;
    // SPM: byte -> id of "<0xNN>" (-1 if absent). BPE: byte -> id of its GPT-2 symbol.
    std::array<TokenId, 256> byte_ids_{};

    std::vector<TrieNode> special_trie_;
    std::array<bool, 256> special_first_byte_{};

    TokenId bos_ = -1;
    TokenId eos_ = -1;
    TokenId unk_ = -1;
    TokenId sep_ = -1;
    TokenId cls_ = -1;
    bool add_bos_ = false;
    bool add_eos_ = false;
    bool add_space_prefix_ = false;
    bool clean_spaces_ = false;
};

}  // namespace lore::tokenizer
