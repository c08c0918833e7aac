// Packed weights in a loaded model (ModelOptions::pack_weights, the default): against the
// same file loaded in its own layout (--no-pack), prompt batches give the same logits bit for
// bit (they unpack panels and run the same kernels), one-token steps (vec_dot_packed) agree
// within the noise of activation rounding, the f32-activation path is bit-identical, and a tied
// embedding table, packed for the output product and released from the file, still embeds the right
// rows, also when the file was read rather than mapped.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "lore/engine.h"

#include "model/model_impl.h"

namespace lore {
namespace {

std::string model_path(const std::string& name) {
    return std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/" + name;
}

std::shared_ptr<const Model> load(const std::string& name, bool pack, bool mmap = true) {
    ModelOptions options;
    options.pack_weights = pack;
    options.use_mmap = mmap;
    Result<std::shared_ptr<const Model>> model = Model::load(model_path(name), options);
    EXPECT_TRUE(model.has_value()) << model.status().to_string();
    return model.has_value() ? *model : nullptr;
}

struct Logits {
    std::vector<std::vector<float>> prompt;  // every prompt position
    std::vector<float> step;                 // one generated token after the prompt
};

Logits run(const std::shared_ptr<const Model>& model, bool quantize_activations = true) {
    SessionOptions options;
    options.n_ctx = 64;
    options.n_threads = 2;
    options.quantize_activations = quantize_activations;
    std::unique_ptr<Session> session = std::move(Session::create(model, options)).value();
    const std::vector<TokenId> prompt =
        model->tokenizer().encode("The quick brown fox jumps over the lazy dog", true, false);
    EXPECT_GE(prompt.size(), 8u);  // a prompt batch takes the panel path
    Logits out;
    EXPECT_TRUE(session->decode(prompt, LogitsMode::kAll).is_ok());
    for (std::size_t i = 0; i < prompt.size(); ++i) {
        std::span<const float> row = session->logits(static_cast<std::int32_t>(i));
        out.prompt.emplace_back(row.begin(), row.end());
    }
    const TokenId next = prompt[1];
    EXPECT_TRUE(session->decode({&next, 1}, LogitsMode::kLast).is_ok());
    std::span<const float> step = session->logits(0);
    out.step.assign(step.begin(), step.end());
    return out;
}

class PackedModelTest : public testing::TestWithParam<const char*> {};

TEST_P(PackedModelTest, MatchesTheFileLayout) {
    const std::shared_ptr<const Model> packed = load(GetParam(), true);
    const std::shared_ptr<const Model> plain = load(GetParam(), false);
    ASSERT_TRUE(packed && plain);

    const Logits a = run(packed);
    const Logits b = run(plain);

    ASSERT_EQ(a.prompt.size(), b.prompt.size());
    for (std::size_t i = 0; i < a.prompt.size(); ++i) {
        ASSERT_EQ(a.prompt[i], b.prompt[i]) << "prompt position " << i;
    }
    // The one-token kernels sum in another order, and activations are quantized (rounded)
    // before every product: a last-bit difference can move a level, which later layers
    // carry on (seen: 0.5 % on the Q8_0 model). The kernels' own budget is in
    // tests/kernels/packed_test; here, the logits must stay those of the same model.
    ASSERT_EQ(a.step.size(), b.step.size());
    double diff = 0.0;
    double norm = 0.0;
    for (std::size_t i = 0; i < a.step.size(); ++i) {
        diff += (a.step[i] - b.step[i]) * static_cast<double>(a.step[i] - b.step[i]);
        norm += b.step[i] * static_cast<double>(b.step[i]);
    }
    EXPECT_LT(std::sqrt(diff / norm), 0.02);
}

TEST_P(PackedModelTest, F32ActivationPathIsBitIdentical) {
    const Logits a = run(load(GetParam(), true), false);
    const Logits b = run(load(GetParam(), false), false);
    EXPECT_EQ(a.prompt, b.prompt);
    EXPECT_EQ(a.step, b.step);
}

// The tied model's token_embd is packed (the output product) and its file pages released:
// read mode returns zeros for released pages, so wrong embeddings would show at once.
TEST_P(PackedModelTest, ReadFileGivesTheSameLogitsAsTheMap) {
    const Logits mapped = run(load(GetParam(), true, true));
    const Logits read = run(load(GetParam(), true, false));
    EXPECT_EQ(mapped.prompt, read.prompt);
    EXPECT_EQ(mapped.step, read.step);
}

// A model larger than the memory left runs from the file map instead of being killed
// mid-load for taking private pages it cannot have.
TEST(PackedWeightsTest, MovesWeightsOnlyWhenTheyFit) {
    EXPECT_TRUE(model::weights_fit(1000, 1000));
    EXPECT_FALSE(model::weights_fit(1001, 1000));
    EXPECT_TRUE(model::weights_fit(std::uint64_t{1} << 40, std::nullopt));
    const std::optional<std::uint64_t> available = model::available_memory();
    ASSERT_TRUE(available.has_value());  // Linux
    EXPECT_GT(*available, 0u);
}

INSTANTIATE_TEST_SUITE_P(Files,
                         PackedModelTest,
                         testing::Values("tiny-llama-Q4_0.gguf",
                                         "tiny-llama-Q4_1.gguf",
                                         "tiny-llama-Q5_0.gguf",
                                         "tiny-llama-Q5_1.gguf",
                                         "tiny-llama-Q8_0.gguf",
                                         "tiny-llama-Q4_K_M.gguf",
                                         "tiny-llama-Q5_K_M.gguf",
                                         "tiny-qwen2-tied-Q4_K_M.gguf"));

}  // namespace
}  // namespace lore
