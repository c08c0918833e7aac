// Format readers: turn a file's bytes into plain UTF-8 text plus a map back to the source.
//
// ExtractedText.text is what gets chunked and indexed. `segments` map every byte range of the
// text to the source bytes it came from, so a chunk can cite an exact byte range in the file:
//   - a linear segment (out_len == src_len) copies source bytes one for one;
//   - any other segment (an entity "&amp;" -> "&", collapsed whitespace, a newline standing
//     for a block tag) maps its whole output range to its whole source range.
// For .txt the map is the identity (after a UTF-8 BOM), so source[range] == chunk text.
// For .md and .html the source range spans the chunk's text and the markup inside it.
// For .pdf, offsets count bytes of the page's extracted UTF-8 text (PDF streams are
// compressed, so file offsets would mean nothing to a reader); the page is recorded.
//
// `sections` partition the text: a title (the heading above, "" before any) and a page.
//
// Thread safety: pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "lore/result.h"

namespace lore::store {

struct OffsetSegment {
    std::uint64_t out_begin = 0;
    std::uint64_t out_len = 0;
    std::uint64_t src_begin = 0;
    std::uint64_t src_len = 0;
};

struct Section {
    std::uint64_t begin = 0;  // [begin, end) in ExtractedText::text
    std::uint64_t end = 0;
    std::string title;
    std::int32_t page = 0;
};

struct ExtractedText {
    std::string text;
    std::vector<OffsetSegment> segments;  // sorted, covering [0, text.size())
    std::vector<Section> sections;        // sorted, non-overlapping
    std::string title;                    // document title when the format has one

    // The source byte range of text[begin, end). REQUIRES: begin < end <= text.size().
    std::pair<std::uint64_t, std::uint64_t> source_range(std::uint64_t begin,
                                                         std::uint64_t end) const;
};

// Appends output text while recording where each piece came from.
class TextBuilder {
public:
    // Copies source[src_begin, src_begin + bytes.size()) verbatim.
    void copy(std::string_view bytes, std::uint64_t src_begin);
    // Emits `out` standing for source[src_begin, src_begin + src_len).
    void emit(std::string_view out, std::uint64_t src_begin, std::uint64_t src_len);
    // Starts a new section at the current output position.
    void begin_section(std::string title, std::int32_t page);
    // Sets the title of the section being written.
    void set_section_title(std::string title);

    std::uint64_t size() const { return text_.text.size(); }

    // Output written since position `begin`.
    std::string_view text_since(std::uint64_t begin) const {
        return std::string_view(text_.text).substr(begin);
    }

    char last_char() const { return text_.text.empty() ? '\n' : text_.text.back(); }

    ExtractedText finish();

private:
    ExtractedText text_;
};

enum class Format { kText, kMarkdown, kHtml, kJsonl, kPdf, kUnknown };

// By file extension (case-insensitive): .txt .text .md .markdown .html .htm .jsonl .pdf.
Format format_from_path(std::string_view path);
std::string_view format_name(Format format);

// kInvalidArgument when `bytes` contain a NUL byte (binary) or invalid UTF-8; the message
// names `name` and the byte offset.
Status check_text(std::string_view bytes, std::string_view name);

Result<ExtractedText> extract_plain_text(std::string_view bytes, std::string_view name);
Result<ExtractedText> extract_markdown(std::string_view bytes, std::string_view name);
Result<ExtractedText> extract_html(std::string_view bytes, std::string_view name);
Result<ExtractedText> extract_pdf(std::string_view bytes, std::string_view name);

struct JsonlRecord {
    std::string key;
    std::string text;
    std::string metadata_json;  // the other fields, as a JSON object
    std::size_t line_idx = 0;   // 1-based
};

struct JsonlContents {
    std::vector<JsonlRecord> records;
    // Malformed records, each "name:line: reason"; they are skipped.
    std::vector<std::string> problems;
};

// Reads JSONL a batch of records at a time, so that an ingest can chunk and write one batch
// while the next is read. Repeated keys are found across the whole input. `bytes` must
// outlive the reader.
class JsonlReader {
public:
    JsonlReader(std::string_view bytes,
                std::string_view name,
                std::string_view text_field,
                std::string_view id_field);

    // Appends the next `max_records` non-blank lines' records (and problems) to `out`; false
    // when the input held no more lines.
    bool read(std::size_t max_records, JsonlContents& out);

private:
    void read_line(std::string_view line, JsonlContents& out);

    std::string_view bytes_;
    std::string name_;
    std::string text_key_;
    std::string id_key_;
    std::size_t pos_ = 0;
    std::size_t line_idx_ = 0;
    std::unordered_set<std::string> seen_keys_;
};

// One record per non-blank line. A record needs a string `text_field`; its key is the
// `id_field` (string or integer) or "line:N". A repeated key keeps the first record.
Result<JsonlContents> parse_jsonl(std::string_view bytes,
                                  std::string_view name,
                                  std::string_view text_field,
                                  std::string_view id_field);

}  // namespace lore::store
