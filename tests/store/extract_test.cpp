// Format readers on the small files in tests/testdata/store, including broken ones.
#include "store/extract.h"

#include <gtest/gtest.h>

#include "temp_dir.h"

namespace lore::store {
namespace {

using lore::testing::read_file;
using lore::testing::store_testdata;

std::vector<std::string> titles(const ExtractedText& text) {
    std::vector<std::string> out;
    for (const Section& section : text.sections) {
        out.push_back(section.title);
    }
    return out;
}

bool contains(const std::string& text, std::string_view piece) {
    return text.find(piece) != std::string::npos;
}

TEST(ExtractTest, PlainTextMapsOneToOne) {
    const std::string bytes = read_file(store_testdata("plain.txt"));

    auto text = extract_plain_text(bytes, "plain.txt");

    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(text->text, bytes);
    const auto range = text->source_range(4, 20);
    EXPECT_EQ(range, std::make_pair(std::uint64_t{4}, std::uint64_t{20}));
}

TEST(ExtractTest, Utf8BomIsSkippedAndOffsetsStayInTheFile) {
    auto text = extract_plain_text("\xEF\xBB\xBFhello", "bom.txt");

    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(text->text, "hello");
    EXPECT_EQ(text->source_range(0, 5), std::make_pair(std::uint64_t{3}, std::uint64_t{8}));
}

TEST(ExtractTest, MarkdownStripsMarkupAndKeepsHeadingsAsSections) {
    auto text = extract_markdown(read_file(store_testdata("doc.md")), "doc.md");

    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(titles(*text),
              (std::vector<std::string>{"Brewing Guide", "Green tea", "Setext Heading"}));
    EXPECT_TRUE(contains(text->text,
                         "Tea is brewed with hot water. Use fresh leaves, see the "
                         "tea page."));
    EXPECT_TRUE(contains(text->text, "Steep it for two minutes."));
    EXPECT_TRUE(contains(text->text, "Rinse the pot first."));
    EXPECT_TRUE(contains(text->text, "kettle --temp 80"));
    EXPECT_TRUE(contains(text->text, "snake_case_name"));
    EXPECT_FALSE(contains(text->text, "**"));
    EXPECT_FALSE(contains(text->text, "https://"));
    EXPECT_FALSE(contains(text->text, "```"));
    EXPECT_FALSE(contains(text->text, "- Rinse"));
    EXPECT_FALSE(contains(text->text, "-----"));
}

TEST(ExtractTest, HtmlKeepsVisibleTextOnly) {
    auto text = extract_html(read_file(store_testdata("page.html")), "page.html");

    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(text->title, "Harbour &amp; Docks");
    EXPECT_EQ(titles(*text), (std::vector<std::string>{"The Old Harbour", "Docks"}));
    EXPECT_TRUE(
        contains(text->text, "Fishing boats return at dawn \u2014 their holds full of cod."));
    EXPECT_TRUE(contains(text->text, "keeps a ledger of every boat."));
    EXPECT_TRUE(contains(text->text, "grain & timber"));
    EXPECT_FALSE(contains(text->text, "secret"));
    EXPECT_FALSE(contains(text->text, "color"));
    EXPECT_FALSE(contains(text->text, "Navigation chrome"));
    EXPECT_FALSE(contains(text->text, "Copyright"));
}

TEST(ExtractTest, HtmlEntityMapsToItsWholeSourceRange) {
    const std::string bytes = "<p>a &amp; b</p>";

    auto text = extract_html(bytes, "e.html");

    ASSERT_TRUE(text.has_value());
    const std::size_t amp = text->text.find('&');
    ASSERT_NE(amp, std::string::npos);
    const auto range = text->source_range(amp, amp + 1);
    EXPECT_EQ(bytes.substr(range.first, range.second - range.first), "&amp;");
}

TEST(ExtractTest, PdfGivesOneSectionPerPage) {
    auto text = extract_pdf(read_file(store_testdata("two_pages.pdf")), "two_pages.pdf");

    ASSERT_TRUE(text.has_value()) << text.status().to_string();
    ASSERT_EQ(text->sections.size(), 2u);
    EXPECT_EQ(text->sections[0].page, 1);
    EXPECT_EQ(text->sections[1].page, 2);
    const std::string page1 =
        text->text.substr(text->sections[0].begin, text->sections[0].end - text->sections[0].begin);
    const std::string page2 =
        text->text.substr(text->sections[1].begin, text->sections[1].end - text->sections[1].begin);
    EXPECT_TRUE(contains(page1, "Lighthouses guide ships")) << page1;
    EXPECT_TRUE(contains(page2, "Tides rise twice a day")) << page2;
}

TEST(ExtractTest, BrokenInputsAreRejectedWithReasons) {
    struct Case {
        const char* file;
        Format format;
        std::string_view expected;
    };

    const Case cases[] = {
        {"invalid_utf8.txt", Format::kText, "invalid utf-8 at byte offset 12"},
        {"binary.txt", Format::kText, "binary file (NUL byte at offset 4)"},
        {"truncated.pdf", Format::kPdf, "truncated.pdf"},
    };
    for (const Case& c : cases) {
        const std::string bytes = read_file(store_testdata(c.file));
        Result<ExtractedText> text = c.format == Format::kPdf ? extract_pdf(bytes, c.file)
                                                              : extract_plain_text(bytes, c.file);

        ASSERT_FALSE(text.has_value()) << c.file;
        EXPECT_EQ(text.status().code(), StatusCode::kInvalidArgument) << c.file;
        EXPECT_TRUE(contains(text.status().message(), c.expected)) << text.status().message();
    }
}

TEST(ExtractTest, PdfWithoutHeaderIsRejected) {
    auto text = extract_pdf("hello", "fake.pdf");

    ASSERT_FALSE(text.has_value());
    EXPECT_TRUE(contains(text.status().message(), "no %PDF- header"));
}

TEST(ExtractTest, Utf8ValidatorRejectsOverlongAndSurrogates) {
    EXPECT_TRUE(check_text("caf\xC3\xA9 \xF0\x9F\x98\x80", "ok").is_ok());
    EXPECT_FALSE(check_text("\xC0\xAF", "overlong").is_ok());
    EXPECT_FALSE(check_text("\xED\xA0\x80", "surrogate").is_ok());
    EXPECT_FALSE(check_text("abc\xE2\x82", "cut").is_ok());
}

TEST(ExtractTest, JsonlKeepsGoodRecordsAndReportsBadOnes) {
    auto contents =
        parse_jsonl(read_file(store_testdata("records.jsonl")), "records.jsonl", "text", "id");

    ASSERT_TRUE(contents.has_value());
    ASSERT_EQ(contents->records.size(), 3u);
    EXPECT_EQ(contents->records[0].key, "r1");
    EXPECT_EQ(contents->records[0].metadata_json, "{\"topic\":\"birds\"}");
    EXPECT_EQ(contents->records[1].key, "2");
    EXPECT_EQ(contents->records[2].key, "line:6");
    ASSERT_EQ(contents->problems.size(), 2u);
    EXPECT_TRUE(contains(contents->problems[0], "records.jsonl:3: invalid json"));
    EXPECT_TRUE(contains(contents->problems[1], "records.jsonl:4: no string field 'text'"));
}

// The fields the reader looks at are found only at the top level, decided by their last
// value when repeated, and everything else is kept as metadata, nested values included.
TEST(ExtractTest, JsonlFieldsAreReadAsTheJsonSays) {
    const std::string input =
        "{\"meta\": {\"text\": \"nested, not the text\", \"id\": \"x\"}, \"text\": \"top\", "
        "\"id\": \"k1\"}\n"
        "{\"text\": \"first\", \"text\": \"second\", \"id\": 18446744073709551615}\n"
        "{\"text\": \"float id\", \"id\": 1.5, \"tags\": [1, {\"a\": null}], \"ok\": true}\n"
        "{\"text\": \"empty id\", \"id\": \"\"}\n"
        "[\"text\", \"array\"]\n"
        "{\"text\": {\"not\": \"a string\"}}\n"
        "{\"text\": \"bad utf-8 \xC3\x28\"}\n"
        "{\"text\": \"cut\"\n";
    JsonlContents contents;
    JsonlReader reader(input, "f.jsonl", "text", "id");
    // Two lines at a time: batches end and resume without losing or repeating a line.
    int n_batches = 0;
    while (reader.read(2, contents)) {
        ++n_batches;
    }
    EXPECT_EQ(n_batches, 4);

    ASSERT_EQ(contents.records.size(), 4u);
    EXPECT_EQ(contents.records[0].text, "top");
    EXPECT_EQ(contents.records[0].key, "k1");
    EXPECT_EQ(contents.records[0].metadata_json,
              "{\"meta\":{\"id\":\"x\",\"text\":\"nested, not the text\"}}");
    EXPECT_EQ(contents.records[1].text, "second");
    EXPECT_EQ(contents.records[1].key, "18446744073709551615");
    EXPECT_EQ(contents.records[1].metadata_json, "{}");
    EXPECT_EQ(contents.records[2].key, "line:3");
    EXPECT_EQ(contents.records[2].metadata_json, "{\"ok\":true,\"tags\":[1,{\"a\":null}]}");
    EXPECT_EQ(contents.records[3].key, "");
    EXPECT_EQ(contents.records[3].line_idx, 4u);
    ASSERT_EQ(contents.problems.size(), 4u);
    EXPECT_TRUE(contains(contents.problems[0], "f.jsonl:5: not a json object"));
    EXPECT_TRUE(contains(contents.problems[1], "f.jsonl:6: no string field 'text'"));
    EXPECT_TRUE(contains(contents.problems[2], "f.jsonl:7: invalid json or utf-8"));
    EXPECT_TRUE(contains(contents.problems[3], "f.jsonl:8: invalid json or utf-8"));
}

TEST(ExtractTest, FormatComesFromTheExtension) {
    EXPECT_EQ(format_from_path("a/b.TXT"), Format::kText);
    EXPECT_EQ(format_from_path("x.markdown"), Format::kMarkdown);
    EXPECT_EQ(format_from_path("x.htm"), Format::kHtml);
    EXPECT_EQ(format_from_path("x.jsonl"), Format::kJsonl);
    EXPECT_EQ(format_from_path("x.pdf"), Format::kPdf);
    EXPECT_EQ(format_from_path("x.xyz"), Format::kUnknown);
    EXPECT_EQ(format_from_path(".bashrc"), Format::kUnknown);
}

}  // namespace
}  // namespace lore::store
