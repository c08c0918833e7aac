// The bert encoder against an independent oracle: tools/make_bert_reference.py wrote a tiny
// random-weight bert GGUF and, from a float64 NumPy forward pass of its own, the WordPiece ids
// and the mean- and CLS-pooled embeddings of six texts (tests/testdata/models/
// tiny-bert-F16.reference.json). lore must give the same ids and the same vectors. The F16
// matrices run through the machine's best kernels (LORE_ISA=reference|avx2 checks the others).
#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "lore/embed.h"

namespace lore {
namespace {

const std::string kDir = std::string(LORE_SOURCE_DIR) + "/tests/testdata/models/";

struct Case {
    std::string text;
    std::vector<TokenId> ids;
    std::vector<float> mean;
    std::vector<float> cls;
};

std::vector<Case> load_cases() {
    std::ifstream in(kDir + "tiny-bert-F16.reference.json");
    const nlohmann::json doc = nlohmann::json::parse(in);
    std::vector<Case> cases;
    for (const nlohmann::json& c : doc.at("cases")) {
        cases.push_back({c.at("text").get<std::string>(), c.at("ids").get<std::vector<TokenId>>(),
                         c.at("mean").get<std::vector<float>>(),
                         c.at("cls").get<std::vector<float>>()});
    }
    return cases;
}

// The largest absolute difference and the cosine of two unit vectors.
void expect_close(const std::vector<float>& got,
                  const std::vector<float>& want,
                  const std::string& what) {
    ASSERT_EQ(got.size(), want.size()) << what;
    double max_diff = 0.0;
    double dot = 0.0;
    for (std::size_t i = 0; i < got.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(static_cast<double>(got[i]) - want[i]));
        dot += static_cast<double>(got[i]) * want[i];
    }
    // F16 weights are widened exactly and activations stay f32, so only f32 rounding separates
    // lore from the float64 oracle (measured: under 1e-7 with every kernel set). A wrong
    // operation (a missing bias, tanh-GELU, a causal mask, the wrong LayerNorm) moves
    // components by 1e-2 or more.
    EXPECT_LT(max_diff, 1e-5) << what;
    EXPECT_GT(dot, 0.99999) << what;
}

TEST(BertReference, MeanAndClsPoolingMatchTheOracle) {
    const std::vector<Case> cases = load_cases();
    ASSERT_EQ(cases.size(), 6u);
    for (const Pooling pooling : {Pooling::kDefault, Pooling::kCls}) {
        EmbeddingOptions options;
        options.n_threads = 2;
        options.pooling = pooling;
        auto model = EmbeddingModel::load(kDir + "tiny-bert-F16.gguf", options);
        ASSERT_TRUE(model.is_ok()) << model.status().to_string();
        EXPECT_EQ((*model)->n_dims(), 64);
        for (const Case& c : cases) {
            EXPECT_EQ((*model)->tokenizer().encode(c.text, true, false), c.ids) << c.text;
            auto vec = (*model)->embed(c.text);
            ASSERT_TRUE(vec.is_ok()) << vec.status().to_string();
            const bool cls = pooling == Pooling::kCls;
            expect_close(*vec, cls ? c.cls : c.mean, (cls ? "cls: " : "mean: ") + c.text);
        }
    }
}

TEST(BertReference, DescriptionNamesArchitectureAndPooling) {
    auto model = EmbeddingModel::load(kDir + "tiny-bert-F16.gguf");
    ASSERT_TRUE(model.is_ok()) << model.status().to_string();
    EXPECT_EQ((*model)->description(), "bert mean");
}

}  // namespace
}  // namespace lore
