// The engine against llama.cpp's outputs on tiny random-weight models of both architectures
// in every tensor type (tests/testdata/models/REFERENCE.md): tokenization, the logits at
// every prompt position, greedy continuations, and the incremental (one token at a time)
// path. Tolerances are the ones REFERENCE.md recommends for an engine that keeps
// activations in float32.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lore/engine.h"

namespace lore {
namespace {

const std::string kModelDir = std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/";

struct Tolerance {
    double max_abs;
    double mean_abs;
    double greedy_margin;  // divergence allowed after a step with a smaller margin
    bool exact_argmax;     // every row's argmax must agree
};

Tolerance tolerance_for(const std::string& type) {
    if (type == "F32") {
        return {1e-4, 1e-5, 0.0, true};
    }
    if (type == "F16") {
        return {0.05, 0.01, 0.0, true};
    }
    if (type == "BF16") {
        return {0.4, 0.05, 0.25, false};
    }
    if (type == "Q8_0") {
        return {1.25, 0.2, 1.0, false};
    }
    if (type == "Q4_0" || type == "Q4_1" || type == "Q5_0" || type == "Q5_1") {
        return {1.5, 0.2, 1.0, false};
    }
    return {2.0, 0.3, 1.0, false};  // K-quants
}

struct ReferenceCase {
    std::string family;
    std::string type;
};

std::string case_name(const testing::TestParamInfo<ReferenceCase>& info) {
    std::string name = info.param.family + "_" + info.param.type;
    for (char& c : name) {
        if (c == '-') {
            c = '_';
        }
    }
    return name;
}

std::vector<float> read_logits(const std::string& path) {
    std::ifstream in(path, std::ios::binary | std::ios::ate);
    const auto size = static_cast<std::size_t>(in.tellg());
    std::vector<float> out(size / sizeof(float));
    in.seekg(0);
    in.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(size));
    return out;
}

TokenId argmax(std::span<const float> row) {
    return static_cast<TokenId>(std::max_element(row.begin(), row.end()) - row.begin());
}

class ReferenceModelTest : public testing::TestWithParam<ReferenceCase> {
protected:
    void SetUp() override {
        const std::string stem = kModelDir + GetParam().family + "-" + GetParam().type;
        std::ifstream oracle_in(stem + ".oracle.json");
        ASSERT_TRUE(oracle_in.good()) << stem;
        oracle_ = nlohmann::json::parse(oracle_in);
        logits_ = read_logits(stem + ".logits.f32");
        Result<std::shared_ptr<const Model>> model = Model::load(stem + ".gguf");
        ASSERT_TRUE(model.has_value()) << model.status().to_string();
        model_ = *model;
        n_vocab_ = oracle_["n_vocab"].get<std::size_t>();
        tolerance_ = tolerance_for(GetParam().type);
    }

    // The oracle's prompts that it did not skip.
    std::vector<const nlohmann::json*> compared_prompts() const {
        std::vector<const nlohmann::json*> prompts;
        for (const nlohmann::json& prompt : oracle_["prompts"]) {
            if (!prompt.value("skipped", false)) {
                prompts.push_back(&prompt);
            }
        }
        return prompts;
    }

    // With an f32 KV cache unless asked otherwise: the oracle's llama.cpp ran with one.
    std::unique_ptr<Session> new_session(bool quantize_activations = true, bool f16_cache = false) {
        SessionOptions options;
        options.n_ctx = 512;
        options.n_threads = 2;
        options.quantize_activations = quantize_activations;
        options.f16_cache = f16_cache;
        Result<std::unique_ptr<Session>> session = Session::create(model_, options);
        EXPECT_TRUE(session.has_value()) << session.status().to_string();
        return std::move(session).value();
    }

    // Adds |ours - oracle row `oracle_row`| over the vocabulary to the running deviation.
    void add_row_deviation(std::span<const float> ours,
                           std::size_t oracle_row,
                           double* max_abs,
                           double* sum_abs,
                           std::size_t* n_values) const {
        const float* theirs = logits_.data() + oracle_row * n_vocab_;
        for (std::size_t v = 0; v < n_vocab_; ++v) {
            const double d = std::fabs(static_cast<double>(ours[v]) - theirs[v]);
            *max_abs = std::max(*max_abs, d);
            *sum_abs += d;
        }
        *n_values += n_vocab_;
    }

    // Compares rows [row_offset, +n) of the oracle with the session's logit rows.
    void expect_rows_match(const nlohmann::json& prompt,
                           const Session& session,
                           double* max_abs,
                           double* sum_abs,
                           std::size_t* n_values) {
        const auto row_offset = prompt["row_offset"].get<std::size_t>();
        const auto n_rows = prompt["n_rows"].get<std::int32_t>();
        ASSERT_EQ(session.n_logit_rows(), n_rows);
        for (std::int32_t r = 0; r < n_rows; ++r) {
            std::span<const float> ours = session.logits(r);
            add_row_deviation(ours, row_offset + static_cast<std::size_t>(r), max_abs, sum_abs,
                              n_values);
            const double margin =
                prompt["row_top1_margin"][static_cast<std::size_t>(r)].get<double>();
            if (tolerance_.exact_argmax || margin >= tolerance_.greedy_margin) {
                EXPECT_EQ(argmax(ours),
                          prompt["row_argmax"][static_cast<std::size_t>(r)].get<TokenId>())
                    << "prompt " << prompt["index"] << " row " << r << " margin " << margin;
            }
        }
    }

    struct Deviation {
        double max_abs = 0.0;
        double mean_abs = 0.0;
    };

    // Decodes every prompt as one batch in a new session and compares all its logit rows
    // with the oracle's (expect_rows_match); prints and returns the deviation over all.
    Deviation batch_deviation(bool quantize_activations, bool f16_cache, const char* what) {
        double max_abs = 0.0;
        double sum_abs = 0.0;
        std::size_t n_values = 0;
        for (const nlohmann::json* prompt : compared_prompts()) {
            std::unique_ptr<Session> session = new_session(quantize_activations, f16_cache);
            auto tokens = (*prompt)["prompt_tokens"].get<std::vector<TokenId>>();
            EXPECT_TRUE(session->decode(tokens, LogitsMode::kAll).is_ok());
            expect_rows_match(*prompt, *session, &max_abs, &sum_abs, &n_values);
        }
        const Deviation deviation{max_abs, sum_abs / static_cast<double>(n_values)};
        std::printf("[ logits   ] %s-%s %s: max %.3g mean %.3g\n", GetParam().family.c_str(),
                    GetParam().type.c_str(), what, deviation.max_abs, deviation.mean_abs);
        return deviation;
    }

    nlohmann::json oracle_;
    std::vector<float> logits_;
    std::shared_ptr<const Model> model_;
    std::size_t n_vocab_ = 0;
    Tolerance tolerance_{};
};

TEST_P(ReferenceModelTest, TokenizesEveryPromptAsLlamaCpp) {
    for (const nlohmann::json& prompt : oracle_["prompts"]) {
        std::vector<TokenId> ids =
            model_->tokenizer().encode(prompt["text"].get<std::string>(), true, false);

        EXPECT_EQ(ids, prompt["prompt_tokens"].get<std::vector<TokenId>>())
            << "prompt " << prompt["index"];
    }
}

TEST_P(ReferenceModelTest, BatchLogitsMatchWithinTolerance) {
    const Deviation deviation = batch_deviation(true, false, "quantized activations");

    // Quantized activations round as ggml does, so REFERENCE.md's tighter "ggml mode"
    // bounds apply to the quantized types (max 1.0, mean 0.04).
    const bool is_quantized = tolerance_.greedy_margin >= 1.0;
    EXPECT_LE(deviation.max_abs, is_quantized ? 1.0 : tolerance_.max_abs);
    EXPECT_LE(deviation.mean_abs, is_quantized ? 0.04 : tolerance_.mean_abs);
}

// The default f16 KV cache rounds every key and value once more than the oracle's f32
// cache. REFERENCE.md measured what that does to llama.cpp's own logits (up to 0.012-0.029
// on the F32 and F16 files, 0.4-0.8 on the quantized ones) and advises adding 0.03 to the
// tolerances. The quantized files then leave the tight ggml-mode bounds, which hold only
// while ggml's rounding is reproduced exactly, for the general ones.
TEST_P(ReferenceModelTest, F16CacheLogitsMatchWithinTheWiderTolerance) {
    const Deviation deviation = batch_deviation(true, true, "f16 KV cache");

    EXPECT_LE(deviation.max_abs, tolerance_.max_abs + 0.03);
    EXPECT_LE(deviation.mean_abs, tolerance_.mean_abs + 0.03);
}

TEST_P(ReferenceModelTest, ExactActivationLogitsMatchWithinTolerance) {
    const Deviation deviation = batch_deviation(false, false, "f32 activations");

    EXPECT_LE(deviation.max_abs, tolerance_.max_abs);
    EXPECT_LE(deviation.mean_abs, tolerance_.mean_abs);
}

// One token at a time (the generation path), with either cache: the f16 one gets the
// 0.03 that F16CacheLogitsMatchWithinTheWiderTolerance explains.
TEST_P(ReferenceModelTest, IncrementalDecodeMatchesBatch) {
    for (bool f16_cache : {false, true}) {
        double max_abs = 0.0;
        double sum_abs = 0.0;
        std::size_t n_values = 0;

        for (const nlohmann::json* prompt : compared_prompts()) {
            std::unique_ptr<Session> session = new_session(true, f16_cache);
            auto tokens = (*prompt)["prompt_tokens"].get<std::vector<TokenId>>();
            const auto row_offset = (*prompt)["row_offset"].get<std::size_t>();
            for (std::size_t i = 0; i < tokens.size(); ++i) {
                ASSERT_TRUE(session->decode({&tokens[i], 1}, LogitsMode::kLast).is_ok());
                add_row_deviation(session->logits(0), row_offset + i, &max_abs, &sum_abs,
                                  &n_values);
            }
        }

        const double widening = f16_cache ? 0.03 : 0.0;
        EXPECT_LE(max_abs, tolerance_.max_abs + widening) << "f16 cache: " << f16_cache;
        EXPECT_LE(sum_abs / static_cast<double>(n_values), tolerance_.mean_abs + widening)
            << "f16 cache: " << f16_cache;
    }
}

TEST_P(ReferenceModelTest, GreedyContinuationMatchesUpToNearTies) {
    for (const nlohmann::json* prompt_ptr : compared_prompts()) {
        const nlohmann::json& prompt = *prompt_ptr;
        std::unique_ptr<Session> session = new_session();
        auto tokens = prompt["prompt_tokens"].get<std::vector<TokenId>>();
        auto expected = prompt["continuation"].get<std::vector<TokenId>>();
        auto margins = prompt["continuation_top1_margin"].get<std::vector<double>>();
        GenerateOptions options;
        options.max_tokens = static_cast<std::int32_t>(expected.size());
        options.stop_at_end_of_generation = false;

        Result<Generation> gen = generate(*session, tokens, options);

        ASSERT_TRUE(gen.has_value()) << gen.status().to_string();
        ASSERT_EQ(gen->tokens.size(), expected.size());
        bool near_tie_seen = false;
        for (std::size_t j = 0; j < expected.size(); ++j) {
            near_tie_seen = near_tie_seen || margins[j] < tolerance_.greedy_margin;
            if (gen->tokens[j].token != expected[j]) {
                EXPECT_TRUE(near_tie_seen) << "prompt " << prompt["index"] << " step " << j
                                           << ": got " << gen->tokens[j].token << ", expected "
                                           << expected[j] << " (margin " << margins[j] << ")";
                break;
            }
        }
    }
}

std::vector<ReferenceCase> all_cases() {
    std::vector<ReferenceCase> cases;
    for (const char* family : {"tiny-llama", "tiny-qwen2"}) {
        for (const char* type : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1",
                                 "Q4_K_M", "Q4_K_S", "Q5_K_M", "Q6_K"}) {
            cases.push_back({family, type});
        }
    }
    return cases;
}

INSTANTIATE_TEST_SUITE_P(AllTypes, ReferenceModelTest, testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace lore
