// Byte-level BPE (`gpt2` vocabularies): the pre-tokenizer cuts the text into words; each byte
// of a word becomes its GPT-2 symbol token; then the adjacent pair with the lowest merge rank
// is merged, leftmost first on ties, until no pair has a merge. A priority queue with lazy
// deletion keeps this O(n log n) per word.
#include <queue>

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"

namespace lore::tokenizer {
namespace {

struct Symbol {
    TokenId id;
    std::int32_t prev;
    std::int32_t next;
    bool alive;
};

struct Bigram {
    std::int32_t rank;
    std::int32_t left;
    std::int32_t right;
    TokenId left_id;
    TokenId right_id;
};

// Lowest rank first; on equal ranks the leftmost pair.
struct BigramAfter {
    bool operator()(const Bigram& a, const Bigram& b) const {
        return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
    }
};

}  // namespace

void VocabTokenizer::encode_bpe(std::string_view text, std::vector<TokenId>& out) const {
    const auto words = pre_tokenizer_->split(text);
    for (const auto& [begin, end] : words) {
        encode_bpe_word(text.substr(begin, end - begin), out);
    }
}

void VocabTokenizer::encode_bpe_word(std::string_view word, std::vector<TokenId>& out) const {
    if (word.empty()) {
        return;
    }
    if (ignore_merges_) {
        // Llama 3's tokenizer takes a word that is itself a token as is.
        std::string symbols;
        symbols.reserve(word.size() * 2);
        for (char c : word) {
            append_utf8(byte_to_symbol(static_cast<std::uint8_t>(c)), symbols);
        }
        const TokenId whole = find_token(symbols);
        if (whole >= 0) {
            out.push_back(whole);
            return;
        }
    }
    const auto n = static_cast<std::int32_t>(word.size());
    std::vector<Symbol> symbols(word.size());
    for (std::int32_t i = 0; i < n; ++i) {
        symbols[static_cast<std::size_t>(i)] = {
            byte_ids_[static_cast<std::uint8_t>(word[static_cast<std::size_t>(i)])], i - 1,
            i + 1 < n ? i + 1 : -1, true};
    }
    std::priority_queue<Bigram, std::vector<Bigram>, BigramAfter> queue;
    const auto try_add = [&](std::int32_t left, std::int32_t right) {
        if (left < 0 || right < 0) {
            return;
        }
        const TokenId left_id = symbols[static_cast<std::size_t>(left)].id;
        const TokenId right_id = symbols[static_cast<std::size_t>(right)].id;
        if (left_id < 0 || right_id < 0) {
            return;
        }
        const std::uint64_t key =
            (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left_id)) << 32) |
            static_cast<std::uint32_t>(right_id);
        const auto it = merges_.find(key);
        if (it == merges_.end()) {
            return;
        }
        queue.push({it->second.rank, left, right, left_id, right_id});
    };
    for (std::int32_t i = 0; i + 1 < n; ++i) {
        try_add(i, i + 1);
    }
    while (!queue.empty()) {
        const Bigram bigram = queue.top();
        queue.pop();
        Symbol& left = symbols[static_cast<std::size_t>(bigram.left)];
        Symbol& right = symbols[static_cast<std::size_t>(bigram.right)];
        // Stale entries: a side was merged away or grew since the pair was queued.
        if (!left.alive || !right.alive || left.next != bigram.right || left.id != bigram.left_id ||
            right.id != bigram.right_id) {
            continue;
        }
        const std::uint64_t key =
            (static_cast<std::uint64_t>(static_cast<std::uint32_t>(left.id)) << 32) |
            static_cast<std::uint32_t>(right.id);
        left.id = merges_.at(key).merged;
        right.alive = false;
        left.next = right.next;
        if (right.next >= 0) {
            symbols[static_cast<std::size_t>(right.next)].prev = bigram.left;
        }
        try_add(left.prev, bigram.left);
        try_add(bigram.left, left.next);
    }
    for (std::int32_t i = 0; i >= 0; i = symbols[static_cast<std::size_t>(i)].next) {
        // A byte whose symbol is not in the vocabulary is dropped, as in llama.cpp.
        if (symbols[static_cast<std::size_t>(i)].id >= 0) {
            out.push_back(symbols[static_cast<std::size_t>(i)].id);
        }
    }
}

}  // namespace lore::tokenizer
