// VocabTokenizer construction (defaults per model, validation, indexes), special-token
// splitting, encode dispatch and detokenization. The per-model defaults follow llama.cpp's
// vocabulary loader, so a GGUF file means the same thing here as there.
#include <algorithm>
#include <cctype>
#include <string>
#include <utility>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace lore {

Result<std::unique_ptr<Tokenizer>> Tokenizer::from_gguf(const gguf::GgufFile& file) {
    LORE_ASSIGN_OR_RETURN(tokenizer::VocabData vocab, tokenizer::vocab_from_gguf(file));
    return tokenizer::make_tokenizer(std::move(vocab));
}

namespace tokenizer {
namespace {

constexpr std::uint8_t kStripLeft = 1;   // spaces before the token are dropped
constexpr std::uint8_t kStripRight = 2;  // spaces after the token are dropped

constexpr std::string_view kSpmSpace = "\xe2\x96\x81";  // U+2581, SentencePiece's space

// Token texts that end generation; llama.cpp also forces them to be control tokens.
constexpr std::string_view kEndOfGenerationTexts[] = {
    "<|eot_id|>",
    "<|im_end|>",
    "<|end|>",
    "<end_of_turn>",
    "<|endoftext|>",
    "<|eom_id|>",
    "<EOT>",
    "<\xef\xbd\x9c"
    "end\xe2\x96\x81of\xe2\x96\x81sentence\xef\xbd\x9c>",
};

// Fill-in-the-middle markers: control tokens too (pad/repo/file-separator also end generation).
constexpr std::string_view kFimTexts[] = {
    "<|fim_prefix|>",
    "<fim-prefix>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81"
    "begin\xef\xbd\x9c>",
    "<PRE>",
    "<|fim_suffix|>",
    "<fim-suffix>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81hole\xef\xbd\x9c>",
    "<SUF>",
    "<|fim_middle|>",
    "<fim-middle>",
    "<\xef\xbd\x9c"
    "fim\xe2\x96\x81"
    "end\xef\xbd\x9c>",
    "<MID>",
};
constexpr std::string_view kFimEndOfGenerationTexts[] = {
    "<|fim_pad|>",   "<fim-pad>",  "<PAD>",  "<|fim_repo|>",
    "<|repo_name|>", "<fim-repo>", "<REPO>", "<|file_sep|>",
};

bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

bool is_special_kind(TokenKind kind) {
    return kind == TokenKind::kControl || kind == TokenKind::kUserDefined ||
           kind == TokenKind::kUnknown;
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    std::string out;
    out.reserve(s.size());
    std::size_t pos = 0;
    while (true) {
        const std::size_t next = s.find(from, pos);
        if (next == std::string::npos) {
            break;
        }
        out.append(s, pos, next - pos);
        out.append(to);
        pos = next + from.size();
    }
    out.append(s, pos, std::string::npos);
    s = std::move(out);
}

// llama.cpp's clean_up_tokenization_spaces: " ." " ," " ?" " !" lose the space, " ' " becomes
// "'", and " 's" " 'm" " 're" " 've" lose the space.
std::string clean_up_spaces(const std::string& text) {
    std::string pass1;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (i > 0 && text[i - 1] == ' ' && (c == '?' || c == '!' || c == '.' || c == ',')) {
            pass1.pop_back();
        }
        pass1.push_back(c);
    }
    std::string pass2;
    for (std::size_t i = 0; i < pass1.size(); ++i) {
        const char c = pass1[i];
        if (c == '\'' && i > 0 && i + 1 < pass1.size() && pass1[i - 1] == ' ' &&
            pass1[i + 1] == ' ') {
            pass2.pop_back();
            pass2.push_back(c);
            ++i;  // drop the following space
            continue;
        }
        pass2.push_back(c);
    }
    std::string pass3;
    for (std::size_t i = 0; i < pass2.size(); ++i) {
        const char c = pass2[i];
        if (c == '\'' && i > 0 && pass2[i - 1] == ' ' && i + 1 < pass2.size()) {
            const char c1 = pass2[i + 1];
            const char c2 = i + 2 < pass2.size() ? pass2[i + 2] : '\0';
            if (c1 == 's' || c1 == 'm' || (c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e')) {
                pass3.pop_back();
            }
        }
        pass3.push_back(c);
    }
    return pass3;
}

}  // namespace

Result<std::unique_ptr<Tokenizer>> make_tokenizer(VocabData vocab) {
    LORE_ASSIGN_OR_RETURN(std::unique_ptr<VocabTokenizer> tokenizer,
                          VocabTokenizer::create(std::move(vocab)));
    return std::unique_ptr<Tokenizer>(std::move(tokenizer));
}

Result<std::unique_ptr<VocabTokenizer>> VocabTokenizer::create(VocabData vocab) {
    std::unique_ptr<VocabTokenizer> tokenizer(new VocabTokenizer());
    LORE_RETURN_IF_ERROR(tokenizer->build(std::move(vocab)));
    return tokenizer;
}

Status VocabTokenizer::build(VocabData vocab) {
    const std::size_t n_tokens = vocab.tokens.size();
    if (n_tokens == 0) {
        return Status::corruption("tokenizer: tokenizer.ggml.tokens is empty");
    }
    if (n_tokens > static_cast<std::size_t>(INT32_MAX)) {
        return Status::corruption("tokenizer: tokenizer.ggml.tokens has " +
                                  std::to_string(n_tokens) + " entries, more than token ids hold");
    }
    if (!vocab.scores.empty() && vocab.scores.size() != n_tokens) {
        return Status::corruption("tokenizer: tokenizer.ggml.scores has " +
                                  std::to_string(vocab.scores.size()) + " entries, expected " +
                                  std::to_string(n_tokens) + " (tokenizer.ggml.tokens)");
    }
    if (!vocab.kinds.empty() && vocab.kinds.size() != n_tokens) {
        return Status::corruption("tokenizer: tokenizer.ggml.token_type has " +
                                  std::to_string(vocab.kinds.size()) + " entries, expected " +
                                  std::to_string(n_tokens) + " (tokenizer.ggml.tokens)");
    }
    model_ = vocab.model;
    tokens_ = std::move(vocab.tokens);
    scores_ = vocab.scores.empty() ? std::vector<float>(n_tokens, 0.0f) : std::move(vocab.scores);
    kinds_ = vocab.kinds.empty() ? std::vector<TokenKind>(n_tokens, TokenKind::kNormal)
                                 : std::move(vocab.kinds);
    for (std::size_t i = 0; i < n_tokens; ++i) {
        if (tokens_[i].empty()) {
            // As llama.cpp: an empty text would match everywhere; give it a unique name.
            tokens_[i] = "[EMPTY_" + std::to_string(i) + "]";
        }
    }
    token_ids_.reserve(n_tokens);
    for (std::size_t i = 0; i < n_tokens; ++i) {
        // Text lookups serve the merge algorithms, so on a duplicated text (deepseek's added
        // tokens repeat byte symbols such as "\u00fa") a normal token wins over a special
        // one; otherwise the last id wins, as in llama.cpp. Special tokens are matched by
        // their own ids in split_special.
        const auto [it, inserted] = token_ids_.emplace(tokens_[i], static_cast<TokenId>(i));
        if (!inserted && (!is_special_kind(kinds_[i]) ||
                          is_special_kind(kinds_[static_cast<std::size_t>(it->second)]))) {
            it->second = static_cast<TokenId>(i);
        }
        max_token_bytes_ = std::max(max_token_bytes_, tokens_[i].size());
    }

    // Per-model defaults (llama.cpp's loader), then the metadata's values.
    TokenId default_bos = -1;
    TokenId default_eos = -1;
    TokenId default_unk = -1;
    TokenId default_sep = -1;
    bool default_add_bos = false;
    bool default_space_prefix = false;
    switch (model_) {
        case TokenizerModel::kSentencePiece:
            default_bos = 1;
            default_eos = 2;
            default_unk = 0;
            default_add_bos = true;
            default_space_prefix = true;
            clean_spaces_ = false;
            break;
        case TokenizerModel::kWordPiece:
            default_bos = vocab.cls >= 0 ? vocab.cls : 101;  // [CLS]
            default_unk = 100;
            default_sep = 102;
            default_add_bos = true;
            clean_spaces_ = true;
            break;
        case TokenizerModel::kBytePairEncoding: {
            LORE_ASSIGN_OR_RETURN(PreTokenizer pre, PreTokenizer::create(vocab.pre));
            default_bos = 11;
            default_eos = 11;
            default_add_bos = pre.traits().add_bos;
            ignore_merges_ = pre.traits().ignore_merges;
            clean_spaces_ = pre.traits().clean_spaces;
            pre_tokenizer_ = std::move(pre);
            break;
        }
    }
    const auto in_range = [&](TokenId id) {
        return id >= 0 && static_cast<std::size_t>(id) < n_tokens;
    };
    // Metadata ids must be valid; defaults that do not fit this vocabulary mean "none".
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
        if (*id != VocabData::kUnset && *id != -1 && !in_range(*id)) {
            return Status::corruption("tokenizer: " + std::string(key) + " = " +
                                      std::to_string(*id) + " is out of range (n_vocab " +
                                      std::to_string(n_tokens) + ")");
        }
    }
    const auto pick = [&](TokenId given, TokenId fallback) {
        if (given != VocabData::kUnset) {
            return given;
        }
        return in_range(fallback) ? fallback : TokenId{-1};
    };
    bos_ = pick(vocab.bos, default_bos);
    eos_ = pick(vocab.eos, default_eos);
    unk_ = pick(vocab.unk, default_unk);
    sep_ = pick(vocab.sep, default_sep);
    cls_ = pick(vocab.cls, bos_);
    add_bos_ = vocab.add_bos.value_or(default_add_bos && bos_ >= 0);
    add_eos_ = vocab.add_eos.value_or(false);
    add_space_prefix_ = vocab.add_space_prefix.value_or(default_space_prefix);
    if (add_bos_ && bos_ < 0) {
        return Status::corruption(
            "tokenizer: tokenizer.ggml.add_bos_token is set but the vocabulary has no bos token");
    }
    if (add_eos_ && eos_ < 0) {
        return Status::corruption(
            "tokenizer: tokenizer.ggml.add_eos_token is set but the vocabulary has no eos token");
    }

    // End-of-generation tokens, and the control-looking tokens llama.cpp forces to control.
    end_of_generation_.assign(n_tokens, false);
    const auto mark = [&](std::string_view text, bool ends_generation) {
        const TokenId id = find_token(text);
        if (id < 0) {
            return;
        }
        kinds_[static_cast<std::size_t>(id)] = TokenKind::kControl;
        if (ends_generation) {
            end_of_generation_[static_cast<std::size_t>(id)] = true;
        }
    };
    for (std::string_view text : kEndOfGenerationTexts) {
        mark(text, true);
    }
    for (std::string_view text : kFimTexts) {
        mark(text, false);
    }
    for (std::string_view text : kFimEndOfGenerationTexts) {
        mark(text, true);
    }
    for (TokenId id : {eos_, pick(vocab.eot, -1), pick(vocab.eom, -1)}) {
        if (id >= 0) {
            end_of_generation_[static_cast<std::size_t>(id)] = true;
        }
    }

    // Per-token strip attributes that llama.cpp derives from the model name.
    strip_flags_.assign(n_tokens, 0);
    std::string name = vocab.general_name;
    std::transform(name.begin(), name.end(), name.begin(), [](char c) {
        return static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    });
    if (vocab.pre.find("jina-v2-") != std::string::npos) {
        const TokenId mask = find_token("<mask>");
        if (mask >= 0) {
            strip_flags_[static_cast<std::size_t>(mask)] |= kStripLeft;
        }
    } else if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
        for (std::size_t i = 0; i < n_tokens; ++i) {
            if (is_special_kind(kinds_[i])) {
                strip_flags_[i] |= kStripRight;
            }
        }
        if (const TokenId id = find_token("</s>"); id >= 0) {
            strip_flags_[static_cast<std::size_t>(id)] |= kStripRight;
        }
        for (std::string_view text : {"<unk>", "<s>", "<|endoftext|>"}) {
            if (const TokenId id = find_token(text); id >= 0) {
                strip_flags_[static_cast<std::size_t>(id)] &=
                    static_cast<std::uint8_t>(~kStripRight);
            }
        }
    }

    byte_ids_.fill(-1);
    if (model_ == TokenizerModel::kBytePairEncoding) {
        LORE_RETURN_IF_ERROR(build_bpe_merges(vocab.merges));
        for (int b = 0; b < 256; ++b) {
            std::string symbol;
            append_utf8(byte_to_symbol(static_cast<std::uint8_t>(b)), symbol);
            byte_ids_[static_cast<std::size_t>(b)] = find_token(symbol);
        }
    } else if (model_ == TokenizerModel::kSentencePiece) {
        static constexpr char kHex[] = "0123456789ABCDEF";
        for (int b = 0; b < 256; ++b) {
            const std::string text = std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">";
            const TokenId id = find_token(text);
            if (id >= 0 && kinds_[static_cast<std::size_t>(id)] == TokenKind::kByte) {
                byte_ids_[static_cast<std::size_t>(b)] = id;
            }
        }
    }
    build_special_trie();
    return Status::ok();
}

Status VocabTokenizer::build_bpe_merges(const std::vector<std::string>& merges) {
    merges_.reserve(merges.size());
    for (std::size_t rank = 0; rank < merges.size(); ++rank) {
        const std::string& merge = merges[rank];
        const std::size_t space = merge.size() > 1 ? merge.find(' ', 1) : std::string::npos;
        const auto fail = [&](std::string_view why) {
            return Status::corruption("tokenizer: tokenizer.ggml.merges[" + std::to_string(rank) +
                                      "] = '" + merge + "' " + std::string(why));
        };
        if (space == std::string::npos) {
            return fail("is not 'left right'");
        }
        const std::string_view left(merge.data(), space);
        const std::string_view right(merge.data() + space + 1, merge.size() - space - 1);
        const TokenId left_id = find_token(left);
        const TokenId right_id = find_token(right);
        if (left_id < 0 || right_id < 0) {
            return fail("names a token that is not in the vocabulary");
        }
        std::string joined(left);
        joined.append(right);
        const TokenId merged_id = find_token(joined);
        if (merged_id < 0) {
            return fail("makes a token that is not in the vocabulary");
        }
        const std::uint64_t key =
            (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left_id)) << 32) |
            static_cast<std::uint32_t>(right_id);
        // The first (lowest-rank) entry of a repeated pair wins, as in llama.cpp.
        merges_.emplace(key, MergeResult{static_cast<std::int32_t>(rank), merged_id});
    }
    return Status::ok();
}

void VocabTokenizer::build_special_trie() {
    special_trie_.assign(1, TrieNode{});
    special_first_byte_.fill(false);
    for (std::size_t i = 0; i < tokens_.size(); ++i) {
        if (!is_special_kind(kinds_[i])) {
            continue;
        }
        const std::string& text = tokens_[i];
        const auto id = static_cast<TokenId>(i);  // of duplicated texts, the last wins
        std::int32_t node = 0;
        for (char c : text) {
            const auto byte = static_cast<std::uint8_t>(c);
            std::int32_t next = -1;
            for (const auto& [child_byte, child] :
                 special_trie_[static_cast<std::size_t>(node)].children) {
                if (child_byte == byte) {
                    next = child;
                    break;
                }
            }
            if (next < 0) {
                next = static_cast<std::int32_t>(special_trie_.size());
                special_trie_[static_cast<std::size_t>(node)].children.emplace_back(byte, next);
                special_trie_.emplace_back();
            }
            node = next;
        }
        TrieNode& leaf = special_trie_[static_cast<std::size_t>(node)];
        leaf.token = id;
        if (kinds_[i] == TokenKind::kUserDefined) {
            leaf.token_user_defined_only = id;
        }
        special_first_byte_[static_cast<std::uint8_t>(text[0])] = true;
    }
}

TokenId VocabTokenizer::find_token(std::string_view text) const {
    const auto it = token_ids_.find(text);
    return it == token_ids_.end() ? -1 : it->second;
}

std::string_view VocabTokenizer::token_text(TokenId id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size()) {
        return {};
    }
    return tokens_[static_cast<std::size_t>(id)];
}

TokenKind VocabTokenizer::token_kind(TokenId id) const {
    if (id < 0 || static_cast<std::size_t>(id) >= kinds_.size()) {
        return TokenKind::kUndefined;
    }
    return kinds_[static_cast<std::size_t>(id)];
}

bool VocabTokenizer::is_end_of_generation(TokenId id) const {
    return id >= 0 && static_cast<std::size_t>(id) < end_of_generation_.size() &&
           end_of_generation_[static_cast<std::size_t>(id)];
}

// Leftmost-longest matching of special token texts (HF tokenizers' added-vocabulary split).
// Without parse_special only user-defined tokens are split out; control and unknown token
// texts stay plain text.
std::vector<VocabTokenizer::Fragment> VocabTokenizer::split_special(std::string_view text,
                                                                    bool parse_special) const {
    std::vector<Fragment> fragments;
    std::size_t raw_begin = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (!special_first_byte_[static_cast<std::uint8_t>(text[pos])]) {
            ++pos;
            continue;
        }
        TokenId best = -1;
        std::size_t best_len = 0;
        std::int32_t node = 0;
        for (std::size_t i = pos; i < text.size(); ++i) {
            const auto byte = static_cast<std::uint8_t>(text[i]);
            std::int32_t next = -1;
            for (const auto& [child_byte, child] :
                 special_trie_[static_cast<std::size_t>(node)].children) {
                if (child_byte == byte) {
                    next = child;
                    break;
                }
            }
            if (next < 0) {
                break;
            }
            node = next;
            const TrieNode& trie_node = special_trie_[static_cast<std::size_t>(node)];
            const TokenId candidate =
                parse_special ? trie_node.token : trie_node.token_user_defined_only;
            if (candidate >= 0) {
                best = candidate;
                best_len = i + 1 - pos;
            }
        }
        if (best < 0) {
            ++pos;
            continue;
        }
        const std::uint8_t strip = strip_flags_[static_cast<std::size_t>(best)];
        std::size_t raw_end = pos;
        if ((strip & kStripLeft) != 0) {
            while (raw_end > raw_begin && is_ascii_space(text[raw_end - 1])) {
                --raw_end;
            }
        }
        if (raw_end > raw_begin) {
            fragments.push_back({-1, text.substr(raw_begin, raw_end - raw_begin)});
        }
        fragments.push_back({best, {}});
        pos += best_len;
        if ((strip & kStripRight) != 0) {
            while (pos < text.size() && is_ascii_space(text[pos])) {
                ++pos;
            }
        }
        raw_begin = pos;
    }
    if (raw_begin < text.size()) {
        fragments.push_back({-1, text.substr(raw_begin)});
    }
    return fragments;
}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text,
                                            bool add_special,
                                            bool parse_special) const {
    std::vector<TokenId> out;
    const std::vector<Fragment> fragments = split_special(text, parse_special);
    switch (model_) {
        case TokenizerModel::kSentencePiece: {
            if (add_special && add_bos_) {
                out.push_back(bos_);
            }
            // llama.cpp: the first piece of text, and any text after a special token, gets
            // the leading space SentencePiece's add_dummy_prefix would give it.
            bool previous_is_special = true;
            for (const Fragment& fragment : fragments) {
                if (fragment.token >= 0) {
                    out.push_back(fragment.token);
                    previous_is_special = true;
                    continue;
                }
                std::string escaped;
                if (add_space_prefix_ && previous_is_special) {
                    escaped.push_back(' ');
                }
                escaped.append(fragment.text);
                replace_all(escaped, " ", kSpmSpace);
                encode_spm(escaped, out);
                previous_is_special = false;
            }
            if (add_special && add_eos_) {
                out.push_back(eos_);
            }
            break;
        }
        case TokenizerModel::kBytePairEncoding:
            if (add_special && add_bos_) {
                out.push_back(bos_);
            }
            for (const Fragment& fragment : fragments) {
                if (fragment.token >= 0) {
                    out.push_back(fragment.token);
                } else {
                    encode_bpe(fragment.text, out);
                }
            }
            if (add_special && add_eos_) {
                out.push_back(eos_);
            }
            break;
        case TokenizerModel::kWordPiece:
            if (add_special && cls_ >= 0) {
                out.push_back(cls_);
            }
            for (const Fragment& fragment : fragments) {
                if (fragment.token >= 0) {
                    out.push_back(fragment.token);
                } else {
                    encode_wpm(fragment.text, out);
                }
            }
            if (add_special && sep_ >= 0) {
                out.push_back(sep_);
            }
            break;
    }
    return out;
}

std::string VocabTokenizer::token_to_piece(TokenId id, bool render_special) const {
    if (id < 0 || static_cast<std::size_t>(id) >= tokens_.size()) {
        return {};
    }
    const std::string& text = tokens_[static_cast<std::size_t>(id)];
    const TokenKind kind = kinds_[static_cast<std::size_t>(id)];
    if (kind == TokenKind::kControl || kind == TokenKind::kUnknown) {
        return render_special ? text : std::string();
    }
    if (kind == TokenKind::kUserDefined) {
        return text;
    }
    switch (model_) {
        case TokenizerModel::kSentencePiece:
        case TokenizerModel::kWordPiece:
            if (kind == TokenKind::kNormal) {
                std::string piece = text;
                replace_all(piece, kSpmSpace, " ");
                return piece;
            }
            if (kind == TokenKind::kByte && model_ == TokenizerModel::kSentencePiece) {
                // "<0xNN>"
                if (text.size() == 6) {
                    const std::string hex = text.substr(3, 2);
                    char* end = nullptr;
                    const long value = std::strtol(hex.c_str(), &end, 16);
                    if (end == hex.c_str() + 2) {
                        return std::string(1, static_cast<char>(value));
                    }
                }
                return {};
            }
            return {};
        case TokenizerModel::kBytePairEncoding: {
            if (kind != TokenKind::kNormal) {
                return {};
            }
            std::string piece;
            const DecodedText decoded = decode_utf8(text, false);
            for (std::size_t i = 0; i < decoded.cps.size(); ++i) {
                const int byte = symbol_to_byte(decoded.cps[i]);
                if (byte >= 0) {
                    piece.push_back(static_cast<char>(byte));
                } else {
                    piece.append(text, decoded.offsets[i],
                                 decoded.offsets[i + 1] - decoded.offsets[i]);
                }
            }
            return piece;
        }
    }
    return {};
}

std::string VocabTokenizer::decode(std::span<const TokenId> ids, bool render_special) const {
    std::string out;
    // SentencePiece and WordPiece pieces start words with a space; the first word's is not
    // part of the text. Control tokens (BOS, CLS) before it do not count as the first word.
    bool strip_leading_space = add_space_prefix_ || model_ == TokenizerModel::kWordPiece;
    for (TokenId id : ids) {
        std::string piece = token_to_piece(id, render_special);
        const TokenKind kind = token_kind(id);
        if (strip_leading_space && kind != TokenKind::kControl && kind != TokenKind::kUnknown) {
            if (!piece.empty() && piece[0] == ' ') {
                piece.erase(0, 1);
            }
            strip_leading_space = false;
        }
        out.append(piece);
    }
    // Byte-level BPE stays lossless; WordPiece output is normalised text anyway, so it gets
    // llama.cpp's clean-up of spaces before punctuation.
    if (model_ == TokenizerModel::kWordPiece && clean_spaces_) {
        return clean_up_spaces(out);
    }
    return out;
}

}  // namespace tokenizer
}  // namespace lore
