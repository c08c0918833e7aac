// A session's logits do not depend on its thread count: every output row and every query
// head is computed by the same kernels whichever thread takes it, and the element-wise work
// done by the threads (qkv bias, silu(gate) * up, the residual add) is per element. With 3
// threads a KV head's query heads fall to two threads, which tests the attention split,
// also after 300 cached tokens.
#include <algorithm>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/engine.h"

namespace lore {
namespace {

// Logit rows of a prompt (every position), of four generated tokens, and of four more after
// 300 tokens of filler.
std::vector<std::vector<float>> logits_with_threads(const std::shared_ptr<const Model>& model,
                                                    int n_threads) {
    SessionOptions options;
    options.n_ctx = 400;
    options.n_threads = n_threads;
    std::unique_ptr<Session> session = std::move(Session::create(model, options)).value();
    const std::vector<TokenId> prompt =
        model->tokenizer().encode("The quick brown fox jumps over the lazy dog", true, false);
    std::vector<std::vector<float>> rows;
    EXPECT_TRUE(session->decode(prompt, LogitsMode::kAll).is_ok());
    for (std::size_t i = 0; i < prompt.size(); ++i) {
        std::span<const float> row = session->logits(static_cast<std::int32_t>(i));
        rows.emplace_back(row.begin(), row.end());
    }
    const auto generate_four = [&] {
        for (std::size_t step = 0; step < 4; ++step) {
            const TokenId next = prompt[step + 1];
            EXPECT_TRUE(session->decode({&next, 1}, LogitsMode::kLast).is_ok());
            std::span<const float> row = session->logits(0);
            rows.emplace_back(row.begin(), row.end());
        }
    };
    generate_four();
    std::vector<TokenId> filler(300);
    for (std::size_t i = 0; i < filler.size(); ++i) {
        filler[i] = prompt[i % prompt.size()];
    }
    EXPECT_TRUE(session->decode(filler, LogitsMode::kNone).is_ok());
    generate_four();
    return rows;
}

class ThreadCountTest : public testing::TestWithParam<const char*> {};

TEST_P(ThreadCountTest, LogitsAreBitIdenticalForOneTwoAndThreeThreads) {
    const std::string path =
        std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/" + GetParam() + ".gguf";
    Result<std::shared_ptr<const Model>> model = Model::load(path);
    ASSERT_TRUE(model.has_value()) << model.status().to_string();
    const std::vector<std::vector<float>> one = logits_with_threads(*model, 1);
    for (int n_threads : {2, 3}) {
        const std::vector<std::vector<float>> many = logits_with_threads(*model, n_threads);
        ASSERT_EQ(many.size(), one.size());
        for (std::size_t r = 0; r < one.size(); ++r) {
            ASSERT_EQ(many[r], one[r]) << n_threads << " threads, logit row " << r;
        }
    }
}

// Generation after a thousand cached tokens (one token against the whole cache, through
// the generation kernels) gives the logits of the prompt path, which takes the batch at
// once, up to the order of the sums (F32 weights and an f32 cache leave nothing else).
TEST(LongContextTest, GenerationMatchesThePromptPath) {
    const std::string path =
        std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/tiny-llama-F32.gguf";
    Result<std::shared_ptr<const Model>> model = Model::load(path);
    ASSERT_TRUE(model.has_value()) << model.status().to_string();
    SessionOptions options;
    options.n_ctx = 1100;
    options.n_threads = 2;
    options.f16_cache = false;
    options.quantize_activations = false;
    std::vector<TokenId> tokens(1040);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = static_cast<TokenId>((i * 7919 + 13) %
                                         static_cast<std::size_t>((*model)->hparams().n_vocab));
    }
    constexpr std::size_t kPrefix = 1030;  // then 10 tokens one at a time

    std::unique_ptr<Session> batch = std::move(Session::create(*model, options)).value();
    const Status status = batch->decode(tokens, LogitsMode::kAll);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    std::unique_ptr<Session> one_by_one = std::move(Session::create(*model, options)).value();
    ASSERT_TRUE(
        one_by_one->decode(std::span<const TokenId>(tokens).first(kPrefix), LogitsMode::kNone)
            .is_ok());

    for (std::size_t i = kPrefix; i < tokens.size(); ++i) {
        ASSERT_TRUE(one_by_one->decode({&tokens[i], 1}, LogitsMode::kLast).is_ok());
        std::span<const float> got = one_by_one->logits(0);
        std::span<const float> want = batch->logits(static_cast<std::int32_t>(i));
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t v = 0; v < got.size(); ++v) {
            ASSERT_NEAR(got[v], want[v], 1e-4) << "position " << i << " token " << v;
        }
    }
}

// A test name from a file stem: gtest names take no '-'.
std::string name_of(const testing::TestParamInfo<const char*>& file) {
    std::string name = file.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

// Qwen2 adds qkv biases; Q4_K_M mixes types (gate/up and down differ); Q4_0 and F16 are
// single-type.
INSTANTIATE_TEST_SUITE_P(
    TinyModels,
    ThreadCountTest,
    testing::Values("tiny-qwen2-Q4_K_M", "tiny-qwen2-F16", "tiny-llama-Q4_0", "tiny-llama-Q8_0"),
    name_of);

}  // namespace
}  // namespace lore
