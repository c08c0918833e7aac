// SentencePiece-style BPE (`llama` vocabularies), as llama.cpp runs it: the text (spaces
// already escaped to U+2581) starts as one symbol per UTF-8 character; the adjacent pair
// whose concatenation is the highest-scoring vocabulary token is merged, leftmost first on
// ties, until no pair forms a token. A symbol that is not a token is emitted as its bytes'
// <0xNN> tokens (byte fallback), or as the unknown token when the vocabulary has no bytes.
#include <queue>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace lore::tokenizer {
namespace {

struct Symbol {
    std::size_t begin;
    std::size_t length;  // bytes; 0 once merged into its left neighbour
    std::int32_t prev;
    std::int32_t next;
};

struct Bigram {
    float score;
    std::int32_t left;
    std::int32_t right;
    std::size_t length;
};

// Highest score first; on equal scores the leftmost pair.
struct BigramAfter {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.score < b.score || (a.score == b.score && a.left > b.left);
    }
};

}  // namespace

bool VocabTokenizer::is_spm_merge_target(TokenId id) const {
    // Control, unknown and byte tokens are never spelled by text (SentencePiece's rule).
    const TokenKind kind = kinds_[static_cast<std::size_t>(id)];
    return kind != TokenKind::kControl && kind != TokenKind::kUnknown && kind != TokenKind::kByte;
}

void VocabTokenizer::encode_spm(std::string_view text, std::vector<TokenId>& out) const {
    std::vector<Symbol> symbols;
    symbols.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const std::size_t length = utf8_sequence_length(text, pos);
        const auto index = static_cast<std::int32_t>(symbols.size());
        symbols.push_back({pos, length, index - 1, -1});
        pos += length;
        if (pos < text.size()) {
            symbols.back().next = index + 1;
        }
    }
    if (symbols.empty()) {
        return;
    }
    std::vector<Bigram> storage;
    storage.reserve(symbols.size());
    std::priority_queue<Bigram, std::vector<Bigram>, BigramAfter> queue(BigramAfter{},
                                                                        std::move(storage));
    const auto try_add = [&](std::int32_t left, std::int32_t right) {
        if (left < 0 || right < 0) {
            return;
        }
        const Symbol& l = symbols[static_cast<std::size_t>(left)];
        const Symbol& r = symbols[static_cast<std::size_t>(right)];
        if (l.length + r.length > max_token_bytes_) {
            return;  // cheap reject: no token is that long
        }
        const std::string_view joined = text.substr(l.begin, l.length + r.length);
        const TokenId id = find_token(joined);
        if (id < 0 || !is_spm_merge_target(id)) {
            return;
        }
        queue.push({scores_[static_cast<std::size_t>(id)], left, right, joined.size()});
    };
    for (std::size_t i = 1; i < symbols.size(); ++i) {
        try_add(static_cast<std::int32_t>(i - 1), static_cast<std::int32_t>(i));
    }
    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<std::size_t>(bigram.left)];
        Symbol& right = symbols[static_cast<std::size_t>(bigram.right)];
        if (left.length == 0 || right.length == 0 || left.length + right.length != bigram.length ||
            left.next != bigram.right) {
            continue;
        }
        left.length += right.length;
        right.length = 0;
        left.next = right.next;
        if (right.next >= 0) {
            symbols[static_cast<std::size_t>(right.next)].prev = bigram.left;
        }
        try_add(left.prev, bigram.left);
        try_add(bigram.left, left.next);
    }
    for (std::int32_t i = 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
        const Symbol& symbol = symbols[static_cast<std::size_t>(i)];
        const std::string_view piece = text.substr(symbol.begin, symbol.length);
        const TokenId id = find_token(piece);
        if (id >= 0 && is_spm_merge_target(id)) {
            out.push_back(id);
            continue;
        }
        bool have_bytes = true;
        for (char c : piece) {
            have_bytes = have_bytes && byte_ids_[static_cast<std::uint8_t>(c)] >= 0;
        }
        if (have_bytes) {
            for (char c : piece) {
                out.push_back(byte_ids_[static_cast<std::uint8_t>(c)]);
            }
        } else if (unk_ >= 0) {
            out.push_back(unk_);
        }
    }
}

}  // namespace lore::tokenizer
