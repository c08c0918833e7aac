// Chunking: size limits, sentence-level overlap, long sentences, sections, token counters, and
// byte ranges that point at exactly the chunk's text in the source.
#include "store/chunker.h"

#include <sstream>

#include <gtest/gtest.h>

#include "store/ingest.h"
#include "store/store.h"
#include "temp_dir.h"

namespace lore::store {
namespace {

using lore::testing::read_file;
using lore::testing::store_testdata;

// "Sentence I has ten words in it for the test." (10 words each)
std::string sentences(int n) {
    std::ostringstream out;
    for (int i = 0; i < n; ++i) {
        out << "Sentence " << i << " has ten words in it for testing. ";
    }
    return out.str();
}

ExtractedText plain(const std::string& text) {
    return *extract_plain_text(text, "t");
}

std::string span_text(const ExtractedText& text, const ChunkSpan& span) {
    return text.text.substr(span.begin, span.end - span.begin);
}

TEST(ChunkerTest, ChunksStayWithinTheTargetSize) {
    const ExtractedText text = plain(sentences(20));
    ChunkerOptions options;
    options.chunk_tokens = 35;
    options.overlap_tokens = 0;

    const std::vector<ChunkSpan> chunks = chunk_text(text, options);

    ASSERT_EQ(chunks.size(), 7u);  // 3 sentences (30 words) per chunk
    for (const ChunkSpan& chunk : chunks) {
        EXPECT_LE(count_words(span_text(text, chunk)), 35u);
    }
    EXPECT_EQ(span_text(text, chunks[0]).substr(0, 10), "Sentence 0");
    EXPECT_EQ(span_text(text, chunks[1]).substr(0, 10), "Sentence 3");
}

TEST(ChunkerTest, OverlapRepeatsWholeTrailingSentences) {
    const ExtractedText text = plain(sentences(6));
    ChunkerOptions options;
    options.chunk_tokens = 30;
    options.overlap_tokens = 10;

    const std::vector<ChunkSpan> chunks = chunk_text(text, options);

    ASSERT_GE(chunks.size(), 2u);
    EXPECT_EQ(span_text(text, chunks[0]).substr(0, 10), "Sentence 0");
    EXPECT_EQ(span_text(text, chunks[1]).substr(0, 10), "Sentence 2");  // sentence 2 repeated
    EXPECT_EQ(span_text(text, chunks.back()).back(), '.');
}

TEST(ChunkerTest, AbbreviationFollowedByLowerCaseDoesNotEndASentence) {
    const ExtractedText text = plain("Use tools, e.g. hammers and saws. Next one.");
    ChunkerOptions options;
    options.chunk_tokens = 6;
    options.overlap_tokens = 0;

    const std::vector<ChunkSpan> chunks = chunk_text(text, options);

    ASSERT_EQ(chunks.size(), 2u);
    EXPECT_EQ(span_text(text, chunks[0]), "Use tools, e.g. hammers and saws.");
}

TEST(ChunkerTest, LongSentenceIsCutAtWordBoundaries) {
    std::string words;
    for (int i = 0; i < 25; ++i) {
        words += "word" + std::to_string(i) + " ";
    }
    const ExtractedText text = plain(words);
    ChunkerOptions options;
    options.chunk_tokens = 10;
    options.overlap_tokens = 0;

    const std::vector<ChunkSpan> chunks = chunk_text(text, options);

    ASSERT_EQ(chunks.size(), 3u);
    EXPECT_EQ(count_words(span_text(text, chunks[0])), 10u);
    EXPECT_EQ(span_text(text, chunks[1]).substr(0, 7), "word10 ");
    EXPECT_EQ(span_text(text, chunks[2]), "word20 word21 word22 word23 word24");
}

TEST(ChunkerTest, ChunksNeverCrossSections) {
    auto text = extract_markdown(read_file(store_testdata("doc.md")), "doc.md");
    ASSERT_TRUE(text.has_value());
    ChunkerOptions options;
    options.chunk_tokens = 1000;

    const std::vector<ChunkSpan> chunks = chunk_text(*text, options);

    ASSERT_EQ(chunks.size(), text->sections.size());
    for (const ChunkSpan& chunk : chunks) {
        const Section& section = text->sections[chunk.section_idx];
        EXPECT_GE(chunk.begin, section.begin);
        EXPECT_LE(chunk.end, section.end);
    }
}

class CharCounter final : public TokenCounter {
public:
    std::size_t count_tokens(std::string_view text) const override {
        return (text.size() + 3) / 4;  // about four bytes a token
    }
};

TEST(ChunkerTest, TokenCounterDecidesTheSize) {
    const ExtractedText text = plain(sentences(10));
    CharCounter counter;
    ChunkerOptions options;
    options.chunk_tokens = 30;  // ~120 bytes: 2 sentences of ~53 bytes
    options.overlap_tokens = 0;
    options.counter = &counter;

    const std::vector<ChunkSpan> chunks = chunk_text(text, options);

    ASSERT_EQ(chunks.size(), 5u);
    for (const ChunkSpan& chunk : chunks) {
        EXPECT_LE(counter.count_tokens(span_text(text, chunk)), 30u);
    }
}

// For every format, the recorded byte range leads back to the chunk in the source.
class ByteRangeTest : public ::testing::Test {
protected:
    std::vector<ChunkRecord> chunks_of(const ExtractedText& text, std::size_t chunk_tokens) {
        auto store = Store::open(dir_.path());
        EXPECT_TRUE(store.has_value());
        IngestOptions options;
        options.chunk_tokens = chunk_tokens;
        options.overlap_tokens = 3;
        Ingester ingester(**store, options);
        return ingester.make_chunks(text);
    }

    lore::testing::TempDir dir_;
};

std::vector<std::string> words_of(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    std::string word;
    while (in >> word) {
        out.push_back(word);
    }
    return out;
}

TEST_F(ByteRangeTest, PlainTextRangeIsExactlyTheChunk) {
    const std::string bytes = read_file(store_testdata("plain.txt"));
    const std::vector<ChunkRecord> chunks = chunks_of(plain(bytes), 12);

    ASSERT_GT(chunks.size(), 3u);
    for (const ChunkRecord& chunk : chunks) {
        EXPECT_EQ(bytes.substr(chunk.byte_begin, chunk.byte_end - chunk.byte_begin), chunk.text);
    }
}

TEST_F(ByteRangeTest, MarkdownAndHtmlRangesSpanTheChunkWithItsMarkup) {
    for (const char* name : {"doc.md", "page.html"}) {
        const std::string bytes = read_file(store_testdata(name));
        auto text = std::string_view(name).ends_with(".md") ? extract_markdown(bytes, name)
                                                            : extract_html(bytes, name);
        ASSERT_TRUE(text.has_value());
        const std::vector<ChunkRecord> chunks = chunks_of(*text, 8);

        ASSERT_GT(chunks.size(), 3u) << name;
        for (const ChunkRecord& chunk : chunks) {
            const std::string source =
                bytes.substr(chunk.byte_begin, chunk.byte_end - chunk.byte_begin);
            // The range starts at the chunk's first byte and ends at its last byte...
            EXPECT_EQ(source.front(), chunk.text.front()) << name << ": " << source;
            EXPECT_EQ(source.back(), chunk.text.back()) << name << ": " << source;
            // ...and re-reading it gives the chunk's words, in order.
            auto reread = std::string_view(name).ends_with(".md") ? extract_markdown(source, name)
                                                                  : extract_html(source, name);
            ASSERT_TRUE(reread.has_value());
            EXPECT_EQ(words_of(reread->text), words_of(chunk.text)) << name << ": " << source;
        }
    }
}

TEST_F(ByteRangeTest, PdfRangeIndexesThePageText) {
    auto text = extract_pdf(read_file(store_testdata("two_pages.pdf")), "two_pages.pdf");
    ASSERT_TRUE(text.has_value());

    const std::vector<ChunkRecord> chunks = chunks_of(*text, 6);

    ASSERT_GE(chunks.size(), 4u);
    for (const ChunkRecord& chunk : chunks) {
        const Section& page = text->sections[static_cast<std::size_t>(chunk.page - 1)];
        const std::string page_text = text->text.substr(page.begin, page.end - page.begin);
        EXPECT_EQ(page_text.substr(chunk.byte_begin, chunk.byte_end - chunk.byte_begin),
                  chunk.text);
    }
}

}  // namespace
}  // namespace lore::store
