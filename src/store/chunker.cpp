// Chunker: sentence splitting, greedy packing, sentence-level overlap (see chunker.h).
#include "store/chunker.h"

#include <algorithm>
#include <cctype>

namespace lore::store {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f';
}

struct Sentence {
    std::uint64_t begin = 0;
    std::uint64_t end = 0;
    std::size_t n_tokens = 0;
};

class Splitter {
public:
    Splitter(std::string_view text, const ChunkerOptions& options)
        : text_(text), options_(options) {}

    // Sentences of text_[begin, end), trimmed, long ones cut into pieces.
    std::vector<Sentence> split(std::uint64_t begin, std::uint64_t end) const {
        std::vector<Sentence> out;
        std::uint64_t start = begin;
        std::uint64_t pos = begin;
        while (pos < end) {
            const char c = text_[pos];
            std::uint64_t boundary = 0;
            if (c == '.' || c == '!' || c == '?') {
                std::uint64_t after = pos + 1;
                while (after < end &&
                       (text_[after] == '.' || text_[after] == '!' || text_[after] == '?' ||
                        text_[after] == '"' || text_[after] == '\'' || text_[after] == ')' ||
                        text_[after] == ']')) {
                    ++after;
                }
                if (after >= end) {
                    boundary = end;
                } else if (is_space(text_[after])) {
                    std::uint64_t next = after;
                    while (next < end && is_space(text_[next])) {
                        ++next;
                    }
                    // "e.g. foo": a lower-case continuation is no new sentence.
                    if (next >= end || std::islower(static_cast<unsigned char>(text_[next])) == 0) {
                        boundary = after;
                    }
                }
                if (boundary == 0) {
                    pos = after;
                    continue;
                }
            } else if (c == '\n') {
                std::uint64_t next = pos + 1;
                while (next < end &&
                       (text_[next] == ' ' || text_[next] == '\t' || text_[next] == '\r')) {
                    ++next;
                }
                if (next < end && text_[next] == '\n') {
                    boundary = pos;  // blank line: paragraph end
                }
            }
            if (boundary != 0) {
                add(out, start, boundary);
                start = boundary;
                pos = std::max(pos + 1, boundary);
            } else {
                ++pos;
            }
        }
        add(out, start, end);
        return out;
    }

    std::size_t count(std::uint64_t begin, std::uint64_t end) const {
        const std::string_view piece = text_.substr(begin, end - begin);
        return options_.counter != nullptr ? options_.counter->count_tokens(piece)
                                           : count_words(piece);
    }

private:
    void add(std::vector<Sentence>& out, std::uint64_t begin, std::uint64_t end) const {
        while (begin < end && is_space(text_[begin])) {
            ++begin;
        }
        while (end > begin && is_space(text_[end - 1])) {
            --end;
        }
        if (begin == end) {
            return;
        }
        const std::size_t n_tokens = count(begin, end);
        if (n_tokens <= options_.chunk_tokens) {
            out.push_back({begin, end, n_tokens});
            return;
        }
        // Too long for one chunk: cut at word boundaries into pieces of at most chunk_tokens,
        // counting word by word so a huge unpunctuated paragraph stays linear.
        std::uint64_t piece_begin = begin;
        std::size_t piece_tokens = 0;
        std::uint64_t pos = begin;
        while (pos < end) {
            std::uint64_t word_begin = pos;
            while (word_begin < end && is_space(text_[word_begin])) {
                ++word_begin;
            }
            std::uint64_t word_end = word_begin;
            while (word_end < end && !is_space(text_[word_end])) {
                ++word_end;
            }
            const std::size_t word_tokens = count(word_begin, word_end);
            if (piece_tokens > 0 && piece_tokens + word_tokens > options_.chunk_tokens) {
                out.push_back({piece_begin, pos, piece_tokens});
                piece_begin = word_begin;
                piece_tokens = 0;
            }
            piece_tokens += word_tokens;
            pos = word_end;
        }
        if (piece_tokens > 0) {
            out.push_back({piece_begin, end, piece_tokens});
        }
    }

    std::string_view text_;
    const ChunkerOptions& options_;
};

}  // namespace

std::size_t count_words(std::string_view text) {
    std::size_t n_words = 0;
    bool in_word = false;
    for (char c : text) {
        const bool space = is_space(c);
        if (!space && !in_word) {
            ++n_words;
        }
        in_word = !space;
    }
    return n_words;
}

std::vector<ChunkSpan> chunk_text(const ExtractedText& text, const ChunkerOptions& options) {
    std::vector<ChunkSpan> chunks;
    const Splitter splitter(text.text, options);
    for (std::size_t section_idx = 0; section_idx < text.sections.size(); ++section_idx) {
        const Section& section = text.sections[section_idx];
        const std::vector<Sentence> sentences = splitter.split(section.begin, section.end);
        std::size_t first = 0;
        while (first < sentences.size()) {
            std::size_t last = first;
            std::size_t n_tokens = sentences[first].n_tokens;
            while (last + 1 < sentences.size() &&
                   n_tokens + sentences[last + 1].n_tokens <= options.chunk_tokens) {
                ++last;
                n_tokens += sentences[last].n_tokens;
            }
            chunks.push_back({sentences[first].begin, sentences[last].end, section_idx});
            if (last + 1 >= sentences.size()) {
                break;
            }
            // Overlap: whole trailing sentences within overlap_tokens, but always progress.
            std::size_t next = last + 1;
            std::size_t n_overlap = 0;
            while (next > first + 1 &&
                   n_overlap + sentences[next - 1].n_tokens <= options.overlap_tokens) {
                --next;
                n_overlap += sentences[next].n_tokens;
            }
            first = next;
        }
    }
    return chunks;
}

}  // namespace lore::store
