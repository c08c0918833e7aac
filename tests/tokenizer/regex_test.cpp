// Tests of the code-point regex matcher and the pre-tokenizers built on it.
#include "tokenizer/regex.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tokenizer/pre_tokenizer.h"

namespace lore::tokenizer {
namespace {

// All matches of `pattern` in `text`, as strings, scanning left to right.
std::vector<std::string> matches(std::string_view pattern, const std::string& text) {
    auto regex = Regex::compile(pattern);
    EXPECT_TRUE(regex.is_ok()) << regex.status().to_string();
    const DecodedText decoded = decode_utf8(text, true);
    std::vector<std::string> out;
    std::size_t pos = 0;
    while (pos < decoded.cps.size()) {
        const Regex::Match match = regex->search(decoded, pos, decoded.cps.size());
        if (!match.found) {
            break;
        }
        out.push_back(text.substr(decoded.offsets[match.begin],
                                  decoded.offsets[match.end] - decoded.offsets[match.begin]));
        pos = match.end;
    }
    return out;
}

std::vector<std::string> pieces(std::string_view pre, const std::string& text) {
    auto pre_tokenizer = PreTokenizer::create(pre);
    EXPECT_TRUE(pre_tokenizer.is_ok()) << pre_tokenizer.status().to_string();
    std::vector<std::string> out;
    for (const auto& [begin, end] : pre_tokenizer->split(text)) {
        out.push_back(text.substr(begin, end - begin));
    }
    return out;
}

using Strings = std::vector<std::string>;

TEST(RegexTest, AlternativesAreTriedInOrder) {
    EXPECT_EQ(matches("a|ab", "ab"), (Strings{"a"}));
    EXPECT_EQ(matches("ab|a", "ab"), (Strings{"ab"}));
}

TEST(RegexTest, GreedyRunGivesBackForNegativeLookahead) {
    // `\s+(?!\S)` leaves the last space for the word that follows.
    EXPECT_EQ(matches(R"(\s+(?!\S)| ?\p{L}+)", "a   b"), (Strings{"a", "  ", " b"}));
}

TEST(RegexTest, CountedRepeatTakesAtMostMax) {
    EXPECT_EQ(matches(R"(\p{N}{1,3})", "1234567"), (Strings{"123", "456", "7"}));
}

TEST(RegexTest, CaseInsensitiveGroupMatchesBothCases) {
    EXPECT_EQ(matches("(?i:'s|'ll)", "'S 'Ll 'x"), (Strings{"'S", "'Ll"}));
}

TEST(RegexTest, UnicodeCategoriesAndNegatedClasses) {
    EXPECT_EQ(matches(R"(\p{L}+)", "h\xc3\xa9llo \xd0\xbd\xd0\xb0 42"),
              (Strings{"h\xc3\xa9llo", "\xd0\xbd\xd0\xb0"}));
    EXPECT_EQ(matches(R"([^\s\p{L}\p{N}]+)", "a+-b 1!?"), (Strings{"+-", "!?"}));
}

TEST(RegexTest, NonAsciiRangesInClasses) {
    EXPECT_EQ(matches("[一-龥]+", "ab我想c"), (Strings{"我想"}));
}

TEST(RegexTest, DollarAnchorsAtRangeEnd) {
    EXPECT_EQ(matches(R"(\s+$)", "a  b  "), (Strings{"  "}));
}

TEST(RegexTest, InvalidUtf8IsMatchedAsOneSymbolPerByte) {
    EXPECT_EQ(matches(R"([^\s\p{L}\p{N}]+)", "a\xff\xfe b"), (Strings{"\xff\xfe"}));
}

TEST(RegexTest, RejectsMalformedPatterns) {
    for (const char* bad : {"(ab", "[ab", "a{3,1}", "\\p{Xx}", "*a", "a)", "\\q"}) {
        auto regex = Regex::compile(bad);
        EXPECT_FALSE(regex.is_ok()) << bad;
        EXPECT_EQ(regex.status().code(), StatusCode::kInvalidArgument) << bad;
    }
}

TEST(PreTokenizerTest, Gpt2SplitsContractionsWordsAndSpaces) {
    EXPECT_EQ(pieces("gpt-2", "I'll go  now!!"), (Strings{"I", "'ll", " go", " ", " now", "!!"}));
}

TEST(PreTokenizerTest, Llama3GroupsDigitsByThree) {
    EXPECT_EQ(pieces("llama-bpe", "x 12345"), (Strings{"x", " ", "123", "45"}));
}

TEST(PreTokenizerTest, Qwen2SplitsEveryDigit) {
    EXPECT_EQ(pieces("qwen2", "123"), (Strings{"1", "2", "3"}));
}

TEST(PreTokenizerTest, PiecesCoverTheWholeText) {
    const std::string text = "\n \n\n \t\t\xf0\x9f\xa6\x99 3.3 \xe5\xb7\xa5\xe4\xbd\x9c ------";
    for (const char* pre : {"default", "llama-bpe", "qwen2", "deepseek-llm", "deepseek-coder",
                            "falcon", "starcoder", "refact", "mpt", "gpt-2", "command-r",
                            "chameleon", "tekken", "deepseek-v3", "bloom", "viking"}) {
        std::string joined;
        for (const std::string& piece : pieces(pre, text)) {
            EXPECT_FALSE(piece.empty()) << pre;
            joined += piece;
        }
        EXPECT_EQ(joined, text) << pre;
    }
}

TEST(PreTokenizerTest, UnknownNameIsUnsupported) {
    EXPECT_EQ(PreTokenizer::create("nope").status().code(), StatusCode::kUnsupported);
}

}  // namespace
}  // namespace lore::tokenizer
