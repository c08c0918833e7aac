// Unit tests of the tokenizers on small hand-made vocabularies: the algorithms (SPM merges by
// score and byte fallback, BPE merge ranks, WordPiece), special tokens, add_bos/add_eos,
// detokenization, and the load-time validation table.
#include "lore/tokenizer.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/gguf.h"

#include "tokenizer/tokenizer_impl.h"
#include "tokenizer/unicode.h"
#include "tokenizer/vocab.h"

namespace lore::tokenizer {
namespace {

using Ids = std::vector<TokenId>;

std::unique_ptr<Tokenizer> make(VocabData vocab) {
    auto tokenizer = make_tokenizer(std::move(vocab));
    EXPECT_TRUE(tokenizer.is_ok()) << tokenizer.status().to_string();
    return tokenizer.is_ok() ? std::move(tokenizer).value() : nullptr;
}

// <unk> <s> </s>, the 256 byte tokens, then `pieces` (score = -index, so earlier is better).
VocabData spm_vocab(const std::vector<std::string>& pieces) {
    VocabData vocab;
    vocab.model = TokenizerModel::kSentencePiece;
    vocab.tokens = {"<unk>", "<s>", "</s>"};
    vocab.kinds = {TokenKind::kUnknown, TokenKind::kControl, TokenKind::kControl};
    static constexpr char kHex[] = "0123456789ABCDEF";
    for (int b = 0; b < 256; ++b) {
        vocab.tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
        vocab.kinds.push_back(TokenKind::kByte);
    }
    for (const std::string& piece : pieces) {
        vocab.tokens.push_back(piece);
        vocab.kinds.push_back(TokenKind::kNormal);
    }
    vocab.scores.assign(vocab.tokens.size(), 0.0f);
    for (std::size_t i = 0; i < pieces.size(); ++i) {
        vocab.scores[259 + i] = -static_cast<float>(i);
    }
    return vocab;
}

constexpr TokenId kSpmFirst = 259;  // id of the first piece in spm_vocab

// The 256 GPT-2 byte symbols, then `extra` tokens; merges as given.
VocabData bpe_vocab(const std::vector<std::string>& extra,
                    const std::vector<std::string>& merges,
                    const std::string& pre = "gpt-2") {
    VocabData vocab;
    vocab.model = TokenizerModel::kBytePairEncoding;
    vocab.pre = pre;
    for (int b = 0; b < 256; ++b) {
        std::string symbol;
        append_utf8(byte_to_symbol(static_cast<std::uint8_t>(b)), symbol);
        vocab.tokens.push_back(symbol);
    }
    for (const std::string& token : extra) {
        vocab.tokens.push_back(token);
    }
    vocab.merges = merges;
    return vocab;
}

TokenId byte_id(char c) {
    return static_cast<TokenId>(static_cast<std::uint8_t>(c));
}

TEST(SpmTokenizerTest, MergesHighestScoringPairFirst) {
    // "▁ab" beats "▁a"+"b": score of "ab" (-0) is above "▁a" (-1).
    auto tokenizer = make(spm_vocab({"ab",
                                     "\xe2\x96\x81"
                                     "a",
                                     "\xe2\x96\x81"
                                     "ab"}));

    const Ids ids = tokenizer->encode("ab", false, false);

    EXPECT_EQ(ids, (Ids{kSpmFirst + 2}));
}

TEST(SpmTokenizerTest, AddsSpacePrefixAndEscapesSpaces) {
    auto tokenizer =
        make(spm_vocab({"\xe2\x96\x81"
                        "a",
                        "\xe2\x96\x81"
                        "b"}));

    const Ids ids = tokenizer->encode("a b", false, false);

    EXPECT_EQ(ids, (Ids{kSpmFirst, kSpmFirst + 1}));
}

TEST(SpmTokenizerTest, UnknownCharactersFallBackToBytes) {
    auto tokenizer = make(spm_vocab({"\xe2\x96\x81"}));

    const Ids ids = tokenizer->encode("\xc3\xa9", false, false);  // é

    EXPECT_EQ(ids, (Ids{kSpmFirst, 3 + 0xC3, 3 + 0xA9}));
}

TEST(SpmTokenizerTest, AddsBosByDefaultAndDecodeDropsIt) {
    auto tokenizer =
        make(spm_vocab({"\xe2\x96\x81"
                        "a"}));

    const Ids ids = tokenizer->encode("a", true, false);

    EXPECT_EQ(ids, (Ids{1, kSpmFirst}));
    EXPECT_EQ(tokenizer->decode(ids, false), "a");
    EXPECT_EQ(tokenizer->decode(ids, true), "<s>a");
}

TEST(SpmTokenizerTest, MetadataTurnsOffSpacePrefix) {
    VocabData vocab = spm_vocab({"a",
                                 "\xe2\x96\x81"
                                 "a"});
    vocab.add_space_prefix = false;
    auto tokenizer = make(std::move(vocab));

    EXPECT_EQ(tokenizer->encode("a", false, false), (Ids{kSpmFirst}));
}

TEST(SpmTokenizerTest, ControlTokenTextIsPlainUnlessParseSpecial) {
    auto tokenizer =
        make(spm_vocab({"\xe2\x96\x81"
                        "a",
                        "\xe2\x96\x81"}));

    const Ids plain = tokenizer->encode("<s>", false, false);
    const Ids parsed = tokenizer->encode("<s>a", false, true);

    EXPECT_NE(plain, (Ids{1}));
    EXPECT_EQ(tokenizer->decode(plain, false), "<s>");
    EXPECT_EQ(parsed, (Ids{1, kSpmFirst}));  // text after a special token gets the prefix
}

TEST(SpmTokenizerTest, InvalidUtf8RoundTrips) {
    auto tokenizer =
        make(spm_vocab({"\xe2\x96\x81"
                        "a"}));
    const std::string text = "a\xff\xc3(\xe2\x82";

    const Ids ids = tokenizer->encode(text, false, false);

    EXPECT_EQ(tokenizer->decode(ids, false), text);
}

TEST(BpeTokenizerTest, AppliesMergesByRank) {
    // "a b" ranks before "b c", so "abc" is "ab" + "c".
    auto tokenizer = make(bpe_vocab({"ab", "bc"}, {"a b", "b c"}));

    EXPECT_EQ(tokenizer->encode("abc", false, false), (Ids{256, byte_id('c')}));
}

TEST(BpeTokenizerTest, LowerRankWinsWhicheverSideItIsOn) {
    auto tokenizer = make(bpe_vocab({"ab", "bc"}, {"b c", "a b"}));

    EXPECT_EQ(tokenizer->encode("abc", false, false), (Ids{byte_id('a'), 257}));
}

TEST(BpeTokenizerTest, PreTokenizerKeepsMergesInsideWords) {
    // "a b" would merge "a" and "b", but the gpt-2 pre-tokenizer splits "a" from " b".
    std::string space_b;
    append_utf8(byte_to_symbol(' '), space_b);
    space_b += "b";
    auto tokenizer = make(bpe_vocab({"ab", space_b}, {"a b", space_b.substr(0, 2) + " b"}));

    EXPECT_EQ(tokenizer->encode("a b", false, false), (Ids{byte_id('a'), 257}));
}

TEST(BpeTokenizerTest, Llama3TakesWholeWordTokensBeforeMerges) {
    // With ignore_merges, "abc" is a token even though no merge sequence reaches it.
    auto tokenizer = make(bpe_vocab({"ab", "abc"}, {"a b"}, "llama-bpe"));

    EXPECT_EQ(tokenizer->encode("abc", false, false), (Ids{257}));
}

TEST(BpeTokenizerTest, DecodesBytesExactly) {
    auto tokenizer = make(bpe_vocab({"ab"}, {"a b"}));
    const std::string text = "x \n\t\xff\xfe\xe2\x82 \xf0\x9f\xa6\x99";

    const Ids ids = tokenizer->encode(text, false, false);

    EXPECT_EQ(tokenizer->decode(ids, false), text);
}

TEST(BpeTokenizerTest, UserDefinedTokensSplitEvenWithoutParseSpecial) {
    VocabData vocab = bpe_vocab({"<|ctl|>", "<u>"}, {});
    vocab.kinds.assign(vocab.tokens.size(), TokenKind::kNormal);
    vocab.kinds[256] = TokenKind::kControl;
    vocab.kinds[257] = TokenKind::kUserDefined;
    auto tokenizer = make(std::move(vocab));

    const Ids ids = tokenizer->encode("<u><|ctl|>", false, false);
    const Ids parsed = tokenizer->encode("<u><|ctl|>", false, true);

    EXPECT_EQ(ids.front(), 257);
    EXPECT_GT(ids.size(), 2u);
    EXPECT_EQ(parsed, (Ids{257, 256}));
}

TEST(BpeTokenizerTest, UserDefinedDuplicateOfByteSymbolKeepsBytesLossless) {
    // As in deepseek's vocabularies: an added token "\u00fa" repeats the symbol of byte 0xFA.
    VocabData vocab = bpe_vocab({"\xc3\xba"}, {});
    vocab.kinds.assign(vocab.tokens.size(), TokenKind::kNormal);
    vocab.kinds[256] = TokenKind::kUserDefined;
    auto tokenizer = make(std::move(vocab));

    const Ids byte = tokenizer->encode("\xfa", false, false);
    const Ids text = tokenizer->encode("\xc3\xba", false, false);

    EXPECT_EQ(byte, (Ids{0xFA}));
    EXPECT_EQ(tokenizer->decode(byte, false), "\xfa");
    EXPECT_EQ(text, (Ids{256}));
    EXPECT_EQ(tokenizer->decode(text, false), "\xc3\xba");
}

TEST(BpeTokenizerTest, LongestSpecialTokenWins) {
    VocabData vocab = bpe_vocab({"<a>", "<a><b>"}, {});
    vocab.kinds.assign(vocab.tokens.size(), TokenKind::kNormal);
    vocab.kinds[256] = TokenKind::kControl;
    vocab.kinds[257] = TokenKind::kControl;
    auto tokenizer = make(std::move(vocab));

    EXPECT_EQ(tokenizer->encode("<a><b><a>", false, true), (Ids{257, 256}));
}

TEST(BpeTokenizerTest, AddBosAndEosFollowMetadata) {
    VocabData vocab = bpe_vocab({"<bos>", "<eos>"}, {});
    vocab.bos = 256;
    vocab.eos = 257;
    vocab.add_bos = true;
    vocab.add_eos = true;
    auto tokenizer = make(std::move(vocab));

    EXPECT_EQ(tokenizer->encode("a", true, false), (Ids{256, byte_id('a'), 257}));
    EXPECT_EQ(tokenizer->encode("a", false, false), (Ids{byte_id('a')}));
    EXPECT_TRUE(tokenizer->is_end_of_generation(257));
}

TEST(BpeTokenizerTest, GptTwoDoesNotAddBosByDefault) {
    VocabData vocab = bpe_vocab({"<|endoftext|>"}, {});
    vocab.bos = 256;
    vocab.eos = 256;
    auto tokenizer = make(std::move(vocab));

    EXPECT_FALSE(tokenizer->add_bos());
    EXPECT_EQ(tokenizer->encode("a", true, false), (Ids{byte_id('a')}));
    EXPECT_TRUE(tokenizer->is_end_of_generation(256));
    EXPECT_EQ(tokenizer->token_kind(256), TokenKind::kControl);
}

VocabData wpm_vocab() {
    VocabData vocab;
    vocab.model = TokenizerModel::kWordPiece;
    vocab.tokens = {"[PAD]",
                    "[UNK]",
                    "[CLS]",
                    "[SEP]",
                    "\xe2\x96\x81hello",
                    "\xe2\x96\x81"
                    "fu",
                    "hrer",
                    "\xe2\x96\x81,",
                    "\xe2\x96\x81"
                    "a",
                    "b"};
    vocab.kinds.assign(vocab.tokens.size(), TokenKind::kNormal);
    for (int i = 0; i < 4; ++i) {
        vocab.kinds[static_cast<std::size_t>(i)] = TokenKind::kControl;
    }
    vocab.unk = 1;
    vocab.cls = 2;
    vocab.sep = 3;
    vocab.pad = 0;
    return vocab;
}

TEST(WpmTokenizerTest, LowercasesStripsAccentsAndSplitsPunctuation) {
    auto tokenizer = make(wpm_vocab());

    const Ids ids = tokenizer->encode("HELLO, F\xc3\xbchrer", false, false);

    EXPECT_EQ(ids, (Ids{4, 7, 5, 6}));
}

TEST(WpmTokenizerTest, WordThatCannotBeCutIsUnknown) {
    auto tokenizer = make(wpm_vocab());

    EXPECT_EQ(tokenizer->encode("abx ab", false, false), (Ids{1, 8, 9}));
}

TEST(WpmTokenizerTest, AddSpecialWrapsInClsAndSep) {
    auto tokenizer = make(wpm_vocab());

    const Ids ids = tokenizer->encode("hello", true, false);

    EXPECT_EQ(ids, (Ids{2, 4, 3}));
    EXPECT_EQ(tokenizer->decode(ids, false), "hello");
}

TEST(WpmTokenizerTest, DecodeJoinsContinuationsAndCleansSpaces) {
    auto tokenizer = make(wpm_vocab());

    EXPECT_EQ(tokenizer->decode(Ids{4, 7, 5, 6}, false), "hello, fuhrer");
}

// Load-time validation: each malformed vocabulary is one row.
struct BadVocabCase {
    const char* name;
    void (*mutate)(VocabData&);
    StatusCode code;
    const char* message_part;
};

class BadVocabTest : public ::testing::TestWithParam<BadVocabCase> {};

TEST_P(BadVocabTest, FailsWithNamedKey) {
    VocabData vocab = bpe_vocab({"ab"}, {"a b"});
    GetParam().mutate(vocab);

    auto tokenizer = make_tokenizer(std::move(vocab));

    ASSERT_FALSE(tokenizer.is_ok());
    EXPECT_EQ(tokenizer.status().code(), GetParam().code);
    EXPECT_NE(tokenizer.status().message().find(GetParam().message_part), std::string::npos)
        << tokenizer.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table,
    BadVocabTest,
    ::testing::Values(BadVocabCase{"empty_tokens", [](VocabData& v) { v.tokens.clear(); },
                                   StatusCode::kCorruption, "tokenizer.ggml.tokens"},
                      BadVocabCase{"scores_length", [](VocabData& v) { v.scores = {1.0f}; },
                                   StatusCode::kCorruption, "tokenizer.ggml.scores"},
                      BadVocabCase{"token_type_length",
                                   [](VocabData& v) { v.kinds = {TokenKind::kNormal}; },
                                   StatusCode::kCorruption, "tokenizer.ggml.token_type"},
                      BadVocabCase{"bos_out_of_range", [](VocabData& v) { v.bos = 1000; },
                                   StatusCode::kCorruption, "tokenizer.ggml.bos_token_id"},
                      BadVocabCase{"eos_out_of_range", [](VocabData& v) { v.eos = 257; },
                                   StatusCode::kCorruption, "tokenizer.ggml.eos_token_id"},
                      BadVocabCase{"unk_out_of_range", [](VocabData& v) { v.unk = 99999; },
                                   StatusCode::kCorruption, "tokenizer.ggml.unknown_token_id"},
                      BadVocabCase{"merge_unknown_part", [](VocabData& v) { v.merges = {"a zz"}; },
                                   StatusCode::kCorruption, "tokenizer.ggml.merges[0]"},
                      BadVocabCase{"merge_unknown_result",
                                   [](VocabData& v) {
                                       v.merges = {"a b", "b c"};
                                   },
                                   StatusCode::kCorruption, "tokenizer.ggml.merges[1]"},
                      BadVocabCase{"merge_without_space", [](VocabData& v) { v.merges = {"ab"}; },
                                   StatusCode::kCorruption, "tokenizer.ggml.merges[0]"},
                      BadVocabCase{"unknown_pre", [](VocabData& v) { v.pre = "no-such-pre"; },
                                   StatusCode::kUnsupported, "no-such-pre"},
                      BadVocabCase{"add_bos_without_bos",
                                   [](VocabData& v) {
                                       v.add_bos = true;
                                       v.bos = -1;
                                   },
                                   StatusCode::kCorruption, "add_bos_token"}),
    [](const ::testing::TestParamInfo<BadVocabCase>& param_info) { return param_info.param.name; });

// The GGUF path: metadata of the wrong type or shape is reported with its key.
TEST(TokenizerFromGgufTest, ReadsVocabularyWrittenByGgufWriter) {
    gguf::GgufWriter writer;
    writer.set_string("tokenizer.ggml.model", "gpt2");
    writer.set_string("tokenizer.ggml.pre", "gpt-2");
    const VocabData vocab = bpe_vocab({"ab"}, {"a b"});
    writer.set_string_array("tokenizer.ggml.tokens", vocab.tokens);
    writer.set_string_array("tokenizer.ggml.merges", vocab.merges);
    writer.set_u32("tokenizer.ggml.eos_token_id", 256);
    const std::vector<std::uint8_t> bytes = writer.bytes();
    auto file = gguf::GgufFile::parse(bytes);
    ASSERT_TRUE(file.is_ok()) << file.status().to_string();

    auto tokenizer = Tokenizer::from_gguf(*file);

    ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().to_string();
    EXPECT_EQ((*tokenizer)->encode("ab", false, false), (Ids{256}));
    EXPECT_EQ((*tokenizer)->eos(), 256);
    EXPECT_EQ((*tokenizer)->model(), TokenizerModel::kBytePairEncoding);
}

TEST(TokenizerFromGgufTest, RejectsUnknownModelAndBadTokenType) {
    gguf::GgufWriter writer;
    writer.set_string("tokenizer.ggml.model", "t5");
    writer.set_string_array("tokenizer.ggml.tokens", {"a"});
    const std::vector<std::uint8_t> bytes = writer.bytes();
    auto file = gguf::GgufFile::parse(bytes);
    ASSERT_TRUE(file.is_ok());
    EXPECT_EQ(Tokenizer::from_gguf(*file).status().code(), StatusCode::kUnsupported);

    gguf::GgufWriter typed;
    typed.set_string("tokenizer.ggml.model", "llama");
    typed.set_string_array("tokenizer.ggml.tokens", {"a"});
    typed.set_i32_array("tokenizer.ggml.token_type", {9});
    const std::vector<std::uint8_t> typed_bytes = typed.bytes();
    auto typed_file = gguf::GgufFile::parse(typed_bytes);
    ASSERT_TRUE(typed_file.is_ok());
    const Status status = Tokenizer::from_gguf(*typed_file).status();
    EXPECT_EQ(status.code(), StatusCode::kCorruption);
    EXPECT_NE(status.message().find("tokenizer.ggml.token_type[0]"), std::string::npos);
}

TEST(TokenizerFromGgufTest, MissingTokensIsNotFound) {
    gguf::GgufWriter writer;
    writer.set_string("tokenizer.ggml.model", "llama");
    const std::vector<std::uint8_t> bytes = writer.bytes();
    auto file = gguf::GgufFile::parse(bytes);
    ASSERT_TRUE(file.is_ok());

    const Status status = Tokenizer::from_gguf(*file).status();

    EXPECT_EQ(status.code(), StatusCode::kNotFound);
    EXPECT_NE(status.message().find("tokenizer.ggml.tokens"), std::string::npos);
}

}  // namespace
}  // namespace lore::tokenizer
