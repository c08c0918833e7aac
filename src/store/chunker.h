// Sentence-aware chunking with overlap. Each section of an ExtractedText is split into
// sentences; sentences are packed greedily into chunks of about `chunk_tokens` tokens; the
// next chunk starts with the last whole sentences of the previous one that fit in
// `overlap_tokens`. A sentence longer than a chunk is cut at word boundaries. Chunks never
// cross sections (so a chunk has one section title and one page) and never start or end
// with whitespace.
//
// A sentence ends after . ! or ? (and closing quotes or brackets) followed by whitespace and
// an upper-case letter, digit or non-letter; or at a blank line. Token counts come from a
// TokenCounter (lore/kb.h), or count words when there is none.
//
// Thread safety: pure function; safe from any thread.
#pragma once

#include <cstdint>
#include <vector>

#include "lore/kb.h"

#include "store/extract.h"

namespace lore::store {

struct ChunkerOptions {
    std::size_t chunk_tokens = 200;
    std::size_t overlap_tokens = 40;
    const TokenCounter* counter = nullptr;  // not owned; null: words
};

struct ChunkSpan {
    std::uint64_t begin = 0;  // [begin, end) in ExtractedText::text
    std::uint64_t end = 0;
    std::size_t section_idx = 0;
};

// REQUIRES: options.chunk_tokens > 0 and options.overlap_tokens < options.chunk_tokens.
std::vector<ChunkSpan> chunk_text(const ExtractedText& text, const ChunkerOptions& options);

// Words in `text`: runs of non-whitespace bytes.
std::size_t count_words(std::string_view text);

}  // namespace lore::store
