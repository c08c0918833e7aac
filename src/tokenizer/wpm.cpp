// WordPiece (`bert` vocabularies). First BERT's basic tokenizer, as HF's BertNormalizer and
// BertPreTokenizer do it: drop NUL, U+FFFD and control characters; decompose (NFD), drop
// non-spacing marks and lower-case; split at whitespace; punctuation (Unicode P*, and ASCII
// symbols) and CJK ideographs become words of their own. Then each word, prefixed with
// U+2581 (llama.cpp's GGUF marks word-initial pieces so, and stores "##" continuations bare),
// is cut greedily into the longest vocabulary tokens; a word that cannot be cut, or is over
// 100 characters, is the unknown token.
#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace lore::tokenizer {
namespace {

constexpr std::size_t kMaxWordChars = 100;  // HF WordPiece's max_input_chars_per_word

bool is_bert_punctuation(char32_t cp, CpFlags flags) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) ||
        (cp >= 123 && cp <= 126)) {
        return true;
    }
    return (flags & kFlagsPunctuation) != 0;
}

}  // namespace

void VocabTokenizer::encode_wpm(std::string_view text, std::vector<TokenId>& out) const {
    const DecodedText decoded = decode_utf8(text, true);
    std::vector<std::string> words;
    std::vector<std::size_t> word_chars;
    std::string word;
    std::size_t n_chars = 0;
    const auto finish_word = [&]() {
        if (!word.empty()) {
            words.push_back(std::move(word));
            word_chars.push_back(n_chars);
            word.clear();
        }
        n_chars = 0;
    };
    std::vector<char32_t> decomposed;
    for (std::size_t i = 0; i < decoded.cps.size(); ++i) {
        const char32_t cp = decoded.cps[i];
        const CpFlags flags = decoded.flags[i];
        if (cp == 0 || cp == kReplacementChar) {
            continue;
        }
        if ((flags & kFlagWhitespace) != 0) {
            finish_word();
            continue;
        }
        if ((flags & kFlagsOther) != 0) {
            continue;
        }
        decomposed.clear();
        append_nfd(cp, decomposed);
        for (char32_t part : decomposed) {
            const CpFlags part_flags = codepoint_flags(part);
            if ((part_flags & category_flag(kMn)) != 0) {
                continue;
            }
            const char32_t lower = to_lower(part);
            if (is_bert_punctuation(lower, codepoint_flags(lower)) || is_cjk_ideograph(lower)) {
                finish_word();
                append_utf8(lower, word);
                n_chars = 1;
                finish_word();
            } else {
                append_utf8(lower, word);
                ++n_chars;
            }
        }
    }
    finish_word();

    std::string prefixed;
    for (std::size_t w = 0; w < words.size(); ++w) {
        if (word_chars[w] > kMaxWordChars) {
            if (unk_ >= 0) {
                out.push_back(unk_);
            }
            continue;
        }
        prefixed = "\xe2\x96\x81";
        prefixed += words[w];
        const std::size_t first_new = out.size();
        bool ok = true;
        for (std::size_t pos = 0; pos < prefixed.size();) {
            const std::size_t longest = std::min(prefixed.size() - pos, max_token_bytes_);
            TokenId found = -1;
            std::size_t found_len = 0;
            for (std::size_t len = longest; len > 0; --len) {
                const TokenId id = find_token(std::string_view(prefixed).substr(pos, len));
                if (id >= 0) {
                    found = id;
                    found_len = len;
                    break;
                }
            }
            if (found < 0) {
                ok = false;
                break;
            }
            out.push_back(found);
            pos += found_len;
        }
        if (!ok) {
            out.resize(first_new);
            if (unk_ >= 0) {
                out.push_back(unk_);
            }
        }
    }
}

}  // namespace lore::tokenizer
