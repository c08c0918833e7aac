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

// The last n_one_by_one of n_tokens positions decoded one at a time (the generation pass)
// give the logits of the prompt path, which takes them in one batch, up to the order of the
// sums: with f32 activations and an f32 cache nothing else differs.
void expect_generation_matches_prompt_path(const std::string& file,
                                           int n_threads,
                                           std::size_t n_tokens,
                                           std::size_t n_one_by_one) {
    const std::string path = std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/" + file;
    Result<std::shared_ptr<const Model>> model = Model::load(path);
    ASSERT_TRUE(model.has_value()) << model.status().to_string();
    SessionOptions options;
    options.n_ctx = static_cast<std::int32_t>(n_tokens) + 60;
    options.n_threads = n_threads;
    options.f16_cache = false;
    options.quantize_activations = false;
    std::vector<TokenId> tokens(n_tokens);
    for (std::size_t i = 0; i < tokens.size(); ++i) {
        tokens[i] = static_cast<TokenId>((i * 7919 + 13) %
                                         static_cast<std::size_t>((*model)->hparams().n_vocab));
    }
    const std::size_t prefix = n_tokens - n_one_by_one;

    std::unique_ptr<Session> batch = std::move(Session::create(*model, options)).value();
    const Status status = batch->decode(tokens, LogitsMode::kAll);
    ASSERT_TRUE(status.is_ok()) << status.to_string();
    std::unique_ptr<Session> one_by_one = std::move(Session::create(*model, options)).value();
    ASSERT_TRUE(
        one_by_one->decode(std::span<const TokenId>(tokens).first(prefix), LogitsMode::kNone)
            .is_ok());

    for (std::size_t i = prefix; i < tokens.size(); ++i) {
        ASSERT_TRUE(one_by_one->decode({&tokens[i], 1}, LogitsMode::kLast).is_ok());
        std::span<const float> got = one_by_one->logits(0);
        std::span<const float> want = batch->logits(static_cast<std::int32_t>(i));
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t v = 0; v < got.size(); ++v) {
            ASSERT_NEAR(got[v], want[v], 1e-4) << "position " << i << " token " << v;
        }
    }
}

// Generation after a thousand cached tokens, one token against the whole cache.
TEST(GenerationTest, MatchesThePromptPathAfterALongContext) {
    expect_generation_matches_prompt_path("tiny-llama-F32.gguf", 2, 1040, 10);
}

// A head_dim of 24 leaves KV heads across the 16-row panels of packed k and v, so generation
// computes them as any product and caches them after a barrier; with 3 threads one thread
// owns no KV head at all.
TEST(GenerationTest, MatchesThePromptPathWhenHeadsStraddlePanels) {
    for (int n_threads : {1, 2, 3}) {
        expect_generation_matches_prompt_path("tiny-qwen2-hd24-Q4_0.gguf", n_threads, 40, 12);
    }
}

// A test name from a file stem: gtest names take no '-'.
std::string name_of(const testing::TestParamInfo<const char*>& file) {
    std::string name = file.param;
    std::replace(name.begin(), name.end(), '-', '_');
    return name;
}

// Qwen2 adds qkv biases; Q4_K_M mixes types (gate/up and down differ); Q4_0 and F16 are
// single-type; hd24 has KV heads that straddle packed panels (24-value heads).
INSTANTIATE_TEST_SUITE_P(TinyModels,
                         ThreadCountTest,
                         testing::Values("tiny-qwen2-Q4_K_M",
                                         "tiny-qwen2-F16",
                                         "tiny-llama-Q4_0",
                                         "tiny-llama-Q8_0",
                                         "tiny-qwen2-hd24-Q4_0"),
                         name_of);

}  // namespace
}  // namespace lore
