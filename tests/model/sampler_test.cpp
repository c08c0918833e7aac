#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "lore/engine.h"

namespace lore {
namespace {

TEST(SamplerTest, GreedyTakesArgmaxAndBreaksTiesToLowestId) {
    Sampler sampler(SamplerOptions{});
    std::vector<float> logits = {0.5f, 2.0f, -1.0f, 2.0f};

    EXPECT_EQ(sampler.sample(logits, {}), 1);
}

TEST(SamplerTest, SameSeedGivesSameTokens) {
    SamplerOptions options;
    options.temperature = 1.0f;
    options.seed = 42;
    Sampler a(options);
    Sampler b(options);
    std::vector<float> logits = {0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f};

    for (int i = 0; i < 100; ++i) {
        EXPECT_EQ(a.sample(logits, {}), b.sample(logits, {}));
    }
}

TEST(SamplerTest, TopKOfOneIsGreedy) {
    SamplerOptions options;
    options.temperature = 5.0f;
    options.top_k = 1;
    Sampler sampler(options);
    std::vector<float> logits = {0.1f, 3.0f, 2.9f};

    for (int i = 0; i < 50; ++i) {
        EXPECT_EQ(sampler.sample(logits, {}), 1);
    }
}

TEST(SamplerTest, DrawsFollowTheDistribution) {
    SamplerOptions options;
    options.temperature = 1.0f;
    options.seed = 7;
    Sampler sampler(options);
    std::vector<float> logits = {std::log(0.25f), std::log(0.75f)};

    int ones = 0;
    for (int i = 0; i < 4000; ++i) {
        ones += sampler.sample(logits, {}) == 1 ? 1 : 0;
    }

    EXPECT_NEAR(ones / 4000.0, 0.75, 0.03);
}

TEST(SamplerTest, TopPKeepsOnlyTheNucleus) {
    SamplerOptions options;
    options.temperature = 1.0f;
    options.top_p = 0.5f;
    Sampler sampler(options);
    std::vector<float> logits = {std::log(0.6f), std::log(0.3f), std::log(0.1f)};

    for (int i = 0; i < 200; ++i) {
        EXPECT_EQ(sampler.sample(logits, {}), 0);
    }
}

TEST(SamplerTest, MinPDropsUnlikelyTokens) {
    SamplerOptions options;
    options.temperature = 1.0f;
    options.min_p = 0.5f;
    Sampler sampler(options);
    std::vector<float> logits = {std::log(0.5f), std::log(0.3f), std::log(0.2f)};

    for (int i = 0; i < 300; ++i) {
        EXPECT_NE(sampler.sample(logits, {}), 2);
    }
}

TEST(SamplerTest, RepetitionPenaltyDemotesRecentTokens) {
    SamplerOptions options;
    options.repeat_penalty = 2.0f;
    Sampler sampler(options);
    std::vector<float> logits = {1.0f, 1.5f};
    std::vector<TokenId> history = {1};

    EXPECT_EQ(sampler.sample(logits, history), 0);
}

TEST(LogprobTest, LogprobsAreLogSoftmax) {
    std::vector<float> logits = {1.0f, 2.0f, 3.0f};
    const double z = std::exp(1.0) + std::exp(2.0) + std::exp(3.0);

    EXPECT_NEAR(token_logprob(logits, 2), 3.0 - std::log(z), 1e-6);
    std::vector<TokenLogprob> top = top_logprobs(logits, 2);
    ASSERT_EQ(top.size(), 2u);
    EXPECT_EQ(top[0].token, 2);
    EXPECT_EQ(top[1].token, 1);
    EXPECT_NEAR(top[1].logprob, 2.0 - std::log(z), 1e-6);
}

TEST(LogprobTest, EntropyOfUniformIsLogN) {
    std::vector<float> logits(8, 0.5f);

    EXPECT_NEAR(logits_entropy(logits), std::log(8.0), 1e-6);
}

TEST(ChatTemplateTest, RecognisesFamiliesFromTemplateText) {
    EXPECT_EQ(detect_chat_template("{% for m in messages %}<|im_start|>{{ m.role }}"),
              ChatTemplate::kChatMl);
    EXPECT_EQ(detect_chat_template("<|start_header_id|>{{ role }}<|end_header_id|>"),
              ChatTemplate::kLlama3);
    EXPECT_EQ(detect_chat_template("{{ '[INST] ' + content + ' [/INST]' }}"),
              ChatTemplate::kLlama2);
    EXPECT_EQ(detect_chat_template("<|user|>\n{{ content }}<|end|>"), ChatTemplate::kPhi3);
    EXPECT_EQ(detect_chat_template("{{ something else }}"), ChatTemplate::kPlain);
}

TEST(ChatTemplateTest, ChatMlEndsAtTheAssistantTurn) {
    std::vector<ChatMessage> messages = {{"system", "Be brief."}, {"user", "Hi"}};

    EXPECT_EQ(format_chat(ChatTemplate::kChatMl, messages),
              "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
              "<|im_start|>assistant\n");
}

TEST(ChatTemplateTest, Llama3UsesHeaderTokens) {
    std::vector<ChatMessage> messages = {{"user", "Hi"}};

    EXPECT_EQ(format_chat(ChatTemplate::kLlama3, messages),
              "<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>"
              "<|start_header_id|>assistant<|end_header_id|>\n\n");
}

}  // namespace
}  // namespace lore
