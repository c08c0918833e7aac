// Generation, scoring and taps on the tiny llama reference model (F32).
#include <cmath>
#include <string>

#include <gtest/gtest.h>

#include "lore/engine.h"

namespace lore {
namespace {

const std::string kModel =
    std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/tiny-llama-F32.gguf";

class GenerateTest : public testing::Test {
protected:
    void SetUp() override {
        Result<std::shared_ptr<const Model>> model = Model::load(kModel);
        ASSERT_TRUE(model.has_value()) << model.status().to_string();
        model_ = *model;
    }

    std::unique_ptr<Session> new_session(std::int32_t n_ctx = 256) {
        SessionOptions options;
        options.n_ctx = n_ctx;
        options.n_threads = 1;
        return std::move(Session::create(model_, options)).value();
    }

    std::vector<TokenId> prompt() const {
        return model_->tokenizer().encode("Once upon a time", true, false);
    }

    std::shared_ptr<const Model> model_;
};

// --no-mmap: the weights read into private memory give the same logits, bit for bit.
TEST_F(GenerateTest, ReadInsteadOfMappedWeightsGiveTheSameLogits) {
    ModelOptions read_options;
    read_options.use_mmap = false;
    Result<std::shared_ptr<const Model>> read_model = Model::load(kModel, read_options);
    ASSERT_TRUE(read_model.has_value()) << read_model.status().to_string();
    SessionOptions options;
    options.n_threads = 1;
    std::unique_ptr<Session> mapped = new_session();
    std::unique_ptr<Session> read = std::move(Session::create(*read_model, options)).value();

    ASSERT_TRUE(mapped->decode(prompt(), LogitsMode::kLast).is_ok());
    ASSERT_TRUE(read->decode(prompt(), LogitsMode::kLast).is_ok());

    std::span<const float> a = mapped->logits(0);
    std::span<const float> b = read->logits(0);
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        ASSERT_EQ(a[i], b[i]) << "logit " << i;
    }
}

TEST_F(GenerateTest, StopStringEndsTextBeforeIt) {
    GenerateOptions options;
    options.max_tokens = 24;
    options.stop_at_end_of_generation = false;
    Result<Generation> full = generate(*new_session(), prompt(), options);
    ASSERT_TRUE(full.has_value());
    ASSERT_GT(full->text.size(), 8u);
    const std::string stop = full->text.substr(full->text.size() / 2, 3);
    options.stop = {stop};
    std::string streamed;

    Result<Generation> cut = generate(*new_session(), prompt(), options, [&](std::string_view t) {
        streamed += t;
        return true;
    });

    ASSERT_TRUE(cut.has_value());
    EXPECT_EQ(cut->stop_reason, StopReason::kStopString);
    EXPECT_EQ(cut->text, full->text.substr(0, full->text.find(stop)));
    EXPECT_EQ(streamed, cut->text);
}

TEST_F(GenerateTest, StreamedTextEqualsFinalText) {
    GenerateOptions options;
    options.max_tokens = 16;
    options.stop_at_end_of_generation = false;
    std::string streamed;

    Result<Generation> gen = generate(*new_session(), prompt(), options, [&](std::string_view t) {
        streamed += t;
        return true;
    });

    ASSERT_TRUE(gen.has_value());
    EXPECT_EQ(streamed, gen->text);
    EXPECT_EQ(gen->tokens.size(), 16u);
}

TEST_F(GenerateTest, TopLogprobsStartWithTheGreedyChoice) {
    GenerateOptions options;
    options.max_tokens = 5;
    options.n_logprobs = 3;
    options.stop_at_end_of_generation = false;

    Result<Generation> gen = generate(*new_session(), prompt(), options);

    ASSERT_TRUE(gen.has_value());
    for (const GeneratedToken& t : gen->tokens) {
        ASSERT_EQ(t.top.size(), 3u);
        EXPECT_EQ(t.top[0].token, t.token);
        EXPECT_FLOAT_EQ(t.top[0].logprob, t.logprob);
        EXPECT_GE(t.top[0].logprob, t.top[1].logprob);
    }
}

TEST_F(GenerateTest, ScoredContinuationAgreesWithGeneration) {
    GenerateOptions options;
    options.max_tokens = 6;
    options.stop_at_end_of_generation = false;
    Result<Generation> gen = generate(*new_session(), prompt(), options);
    ASSERT_TRUE(gen.has_value());
    std::vector<TokenId> continuation;
    double total = 0.0;
    for (const GeneratedToken& t : gen->tokens) {
        continuation.push_back(t.token);
        total += t.logprob;
    }
    std::vector<std::vector<TokenId>> continuations = {continuation, {continuation[0]}};

    Result<std::vector<ScoredContinuation>> scored =
        score_continuations(*new_session(), prompt(), continuations);

    ASSERT_TRUE(scored.has_value()) << scored.status().to_string();
    EXPECT_NEAR((*scored)[0].total_logprob, total, 1e-3);
    EXPECT_NEAR((*scored)[1].total_logprob, gen->tokens[0].logprob, 1e-4);
}

TEST_F(GenerateTest, HiddenStatesMeanIsAverageOfLastStates) {
    std::vector<TokenId> tokens = prompt();
    std::unique_ptr<Session> batch = new_session();
    std::unique_ptr<Session> stepwise = new_session();
    const std::int32_t layer = model_->hparams().n_layer;
    ASSERT_TRUE(batch->request_hidden_states({{0, layer}}).is_ok());
    ASSERT_TRUE(stepwise->request_hidden_states({{layer}}).is_ok());

    ASSERT_TRUE(batch->decode(tokens, LogitsMode::kNone).is_ok());
    std::vector<double> sum(static_cast<std::size_t>(model_->hparams().n_embd), 0.0);
    for (TokenId t : tokens) {
        ASSERT_TRUE(stepwise->decode({&t, 1}, LogitsMode::kNone).is_ok());
        std::vector<HiddenStates> hs = stepwise->hidden_states();
        for (std::size_t i = 0; i < sum.size(); ++i) {
            sum[i] += hs[0].last[i];
        }
    }

    std::vector<HiddenStates> hs = batch->hidden_states();
    ASSERT_EQ(hs.size(), 2u);
    EXPECT_EQ(hs[1].n_tokens, static_cast<std::int32_t>(tokens.size()));
    for (std::size_t i = 0; i < sum.size(); ++i) {
        EXPECT_NEAR(hs[1].mean[i], sum[i] / static_cast<double>(tokens.size()), 1e-3);
    }
    EXPECT_EQ(batch->request_hidden_states({{layer + 2}}).code(), StatusCode::kInvalidArgument);
}

TEST_F(GenerateTest, ContextOverflowIsAnErrorAndKeepsTheCache) {
    std::unique_ptr<Session> session = new_session(8);
    std::vector<TokenId> tokens(6, 300);
    ASSERT_TRUE(session->decode(tokens, LogitsMode::kLast).is_ok());

    Status status = session->decode(tokens, LogitsMode::kLast);

    EXPECT_EQ(status.code(), StatusCode::kResourceExhausted);
    EXPECT_EQ(session->n_past(), 6);
}

TEST_F(GenerateTest, TokenOutOfRangeIsRejected) {
    std::unique_ptr<Session> session = new_session();
    std::vector<TokenId> tokens = {1, 512};

    Status status = session->decode(tokens, LogitsMode::kLast);

    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(session->n_past(), 0);
}

TEST_F(GenerateTest, SeededSamplingIsReproducible) {
    GenerateOptions options;
    options.max_tokens = 12;
    options.sampler.temperature = 0.9f;
    options.sampler.top_p = 0.95f;
    options.sampler.seed = 1234;

    Result<Generation> a = generate(*new_session(), prompt(), options);
    Result<Generation> b = generate(*new_session(), prompt(), options);

    ASSERT_TRUE(a.has_value() && b.has_value());
    EXPECT_EQ(a->text, b->text);
}

}  // namespace
}  // namespace lore
